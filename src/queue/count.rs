//! Count queue files the way qmail-qstat does, from directory listings alone (nothing opened).
//!
//! notqmail's qmail-qstat (the qmail qtriage is tested against, ../shared/qmail-notes.md §5) is
//! a shell script: `find mess/* -type f | wc -l` and `find todo -type f | wc -l`. So it counts
//! the regular files below the split directories (no link, FIFO or directory), and it counts
//! *lines*: a newline in a file's name, or in a directory's above it, counts once more. We reproduce
//! that exactly, so `qtriage stat` and `qmail-qstat` agree byte for byte. (qmail 1.03's and
//! netqmail's script, `find mess/* -print | wc -w` minus the split directories, also counted
//! links, FIFOs and directories, and a name with a space twice: on a healthy queue the two agree.)

use std::path::Path;

use super::error::{Error, Result};
use super::layout::parse_id;
use super::listing::{list, walk_dir, EntryKind};
use super::{Layout, Queue, Subdir};

/// Counts for `qtriage stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    /// qmail-qstat's "messages in queue".
    pub messages: u64,
    /// qmail-qstat's "messages in queue but not yet preprocessed".
    pub unpreprocessed: u64,
    /// Files in local/*.
    pub local: u64,
    /// Files in remote/*.
    pub remote: u64,
    /// Files in bounce/.
    pub bouncing: u64,
    /// Entries that are not healthy queue files: junk names, links, non-regular files, files in
    /// the wrong split directory.
    pub problems: u64,
}

/// How deep the count descends below a split directory: qmail's tree is two levels; a deeper
/// one is hostile (`find` has no limit; `check` reports the damage).
const MAX_WALK_DEPTH: usize = 16;

/// Newlines in a name: each one `find` prints makes one more line for `wc -l`.
fn newlines(name: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', name).count() as u64
}

/// `wc -l` of a path `prefix/name` (`find` ends each with a newline): one, plus one for each
/// newline in the name and in the directories above it below the queue (`above`).
fn path_lines(name: &[u8], above: u64) -> u64 {
    1 + above + newlines(name)
}

/// `find path -type f | wc -l`, `path` itself a directory whose own name and those above it
/// hold `above` newlines; [`MAX_WALK_DEPTH`] levels down (a queue has two; a deeper tree is
/// damage, which `check` reports).
fn count_below(path: &Path, above: u64, depth: usize) -> Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let mut n = 0;
    let mut subdirs = Vec::new();
    walk_dir(path, &mut |name, kind| match kind {
        EntryKind::File => n += path_lines(name, above),
        EntryKind::Directory => subdirs.push(name.to_vec()),
        _ => {}
    })
    .map_err(|e| Error::io(path, e))?;
    for d in subdirs.into_iter().filter(|_| depth < MAX_WALK_DEPTH) {
        let sub = path.join(std::ffi::OsStr::from_bytes(&d));
        n += count_below(&sub, above + newlines(&d), depth + 1)?;
    }
    Ok(n)
}

/// qmail-qstat's two numbers from `mess/` and `todo/` alone, as the script lists nothing else
/// (`stat` without `--states`); `problems` holds only what the mess listing showed, the other
/// fields are zero.
pub fn count_qstat(queue: &Queue) -> Result<QueueCounts> {
    let layout = queue.layout();
    let root = queue.root();
    let mut c = QueueCounts::default();

    // mess/*: every top-level entry that is a directory contributes its descendants.
    let mess = root.join("mess");
    let top = std::fs::read_dir(&mess).map_err(|e| Error::io(&mess, e))?;
    for entry in top.flatten() {
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue; // the shell glob mess/* skips dot names
        }
        // `find mess/x -type f` of a regular file prints it; of a link (not followed), a FIFO or
        // a device, nothing.
        match entry.file_type() {
            Ok(t) if t.is_file() => {
                c.messages += path_lines(name.as_encoded_bytes(), 0);
                continue;
            }
            Ok(t) if t.is_dir() => {}
            _ => continue,
        }
        let bucket = std::str::from_utf8(name.as_encoded_bytes())
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n < layout.split && n.to_string().as_bytes() == name.as_encoded_bytes());
        match bucket {
            // A split directory: count and check its entries in one listing (stat's cost is
            // directory reads; listing mess/ twice made it 1.7x a plain file count).
            Some(n) => c.messages += count_split_mess(&entry.path(), n, layout, &mut c.problems)?,
            None => {
                let above = newlines(name.as_encoded_bytes());
                c.messages += count_below(&entry.path(), above, 0)?
            }
        }
    }
    // With big-todo the split directories are directories: `-type f` leaves them out.
    c.unpreprocessed = count_below(&root.join("todo"), 0, 0)?;
    Ok(c)
}

/// Count `mess/<n>` as `find -type f | wc -l` would (its regular files, below too) and add
/// its unhealthy entries (junk names, links, non-files, ids of another bucket) to `problems`.
fn count_split_mess(path: &Path, n: u32, layout: Layout, problems: &mut u64) -> Result<u64> {
    let mut lines = 0;
    let mut subdirs = Vec::new();
    walk_dir(path, &mut |name, kind| {
        if kind == EntryKind::File {
            lines += path_lines(name, 0);
        }
        match parse_id(name) {
            Some(id) if kind == EntryKind::File && layout.bucket(id) == n => {}
            _ => *problems += 1,
        }
        if kind == EntryKind::Directory {
            subdirs.push(name.to_vec());
        }
    })
    .map_err(|e| Error::io(path, e))?;
    for d in subdirs {
        use std::os::unix::ffi::OsStrExt;
        lines += count_below(&path.join(std::ffi::OsStr::from_bytes(&d)), newlines(&d), 1)?;
    }
    Ok(lines)
}

/// Count the queue: qmail-qstat's two numbers, then every other directory for the per-state
/// counts and the problems.
pub fn count(queue: &Queue) -> Result<QueueCounts> {
    let layout = queue.layout();
    let root = queue.root();
    let mut c = count_qstat(queue)?;
    for subdir in Subdir::ALL {
        if subdir == Subdir::Mess {
            continue; // counted and checked above
        }
        if layout.is_split(subdir) {
            for n in 0..layout.split {
                let Ok(l) = list(&root.join(subdir.name()).join(n.to_string())) else {
                    continue;
                };
                c.problems += l.junk;
                for e in &l.entries {
                    if e.kind != EntryKind::File || layout.bucket(e.id) != n {
                        c.problems += 1;
                    }
                }
                match subdir {
                    Subdir::Local => c.local += l.entries.len() as u64,
                    Subdir::Remote => c.remote += l.entries.len() as u64,
                    _ => {}
                }
            }
        } else if let Ok(l) = list(&root.join(subdir.name())) {
            c.problems += l.junk
                + l.entries
                    .iter()
                    .filter(|e| e.kind != EntryKind::File)
                    .count() as u64;
            if subdir == Subdir::Bounce {
                c.bouncing = l.entries.len() as u64;
            }
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::path_lines;

    #[test]
    fn lines_like_wc_l() {
        assert_eq!(path_lines(b"12345", 0), 1);
        assert_eq!(path_lines(b"a b", 0), 1);
        assert_eq!(path_lines(b"a\nb", 0), 2);
        assert_eq!(path_lines(b"\n\n", 0), 3);
        // A directory above with a newline in its name: `find` prints it in the path.
        assert_eq!(path_lines(b"12345", 1), 2);
    }
}
