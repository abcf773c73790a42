//! Count queue files the way qmail-qstat does, from directory listings alone (nothing opened).
//!
//! qmail-qstat is a shell script: `find mess/* -print | wc -w` minus the number of `mess/*`
//! entries, and `find todo -print | wc -w` minus one. So it counts every entry below the split
//! directories (files, links, anything), and it counts *words*: a name with a space counts twice.
//! We reproduce that exactly, so `qtriage stat` and `qmail-qstat` agree byte for byte.

use std::path::Path;

use super::error::{Error, Result};
use super::layout::parse_id;
use super::listing::{list, walk_dir, walk_names, EntryKind};
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

/// `wc -w` of a path `prefix/name`, where `prefix` has no whitespace: the name's words, plus one
/// when the name starts with whitespace (the prefix then stands alone) or is empty.
fn path_words(name: &[u8]) -> u64 {
    let mut words = 0;
    let mut in_word = false;
    for &b in name {
        let ws = matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        if !ws && !in_word {
            words += 1;
        }
        in_word = !ws;
    }
    let starts_ws = name
        .first()
        .is_none_or(|&b| b.is_ascii_whitespace() || b == b'\x0b');
    words + u64::from(starts_ws)
}

fn count_below(path: &Path) -> Result<u64> {
    let mut n = 0;
    walk_names(path, 0, &mut |name, _| n += path_words(name)).map_err(|e| Error::io(path, e))?;
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
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let bucket = std::str::from_utf8(name.as_encoded_bytes())
            .ok()
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n < layout.split && n.to_string().as_bytes() == name.as_encoded_bytes());
        match bucket {
            // A split directory: count and check its entries in one listing (stat's cost is
            // directory reads; listing mess/ twice made it 1.7x a plain file count).
            Some(n) => c.messages += count_split_mess(&entry.path(), n, layout, &mut c.problems)?,
            None => c.messages += count_below(&entry.path())?,
        }
    }
    let todo = root.join("todo");
    c.unpreprocessed = count_below(&todo)?;
    if layout.big_todo {
        // With big-todo the split directories are not messages.
        c.unpreprocessed = c.unpreprocessed.saturating_sub(u64::from(layout.split));
    }
    Ok(c)
}

/// Count `mess/<n>` as `find` would (every entry below it, in words) and add its unhealthy
/// entries (junk names, links, non-files, ids of another bucket) to `problems`.
fn count_split_mess(path: &Path, n: u32, layout: Layout, problems: &mut u64) -> Result<u64> {
    let mut words = 0;
    let mut subdirs = Vec::new();
    walk_dir(path, &mut |name, kind| {
        words += path_words(name);
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
        let sub = path.join(std::ffi::OsStr::from_bytes(&d));
        // Depth 1: the same limit `find` semantics got through walk_names before.
        walk_names(&sub, 1, &mut |name, _| words += path_words(name))
            .map_err(|e| Error::io(&sub, e))?;
    }
    Ok(words)
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
    use super::path_words;

    #[test]
    fn words_like_wc() {
        assert_eq!(path_words(b"12345"), 1);
        assert_eq!(path_words(b"a b"), 2);
        assert_eq!(path_words(b" a"), 2);
        assert_eq!(path_words(b"   "), 1);
    }
}
