//! Read the messages of a yank area where they lie: `<id>.<subdir>` files (qmail-remove's
//! names, which qtriage's yank uses too) in one directory, with the queue's own reader.
//!
//! Nothing is written, linked or renamed: a hard-link view would change every file's ctime
//! (which says when it was yanked) and could be left behind by an interrupted run. Like the
//! queue's scan, no symlink is followed and no FIFO blocks; a file that vanished meanwhile is
//! a problem on its record.

use std::io;
use std::path::Path;

use rayon::prelude::*;

use super::super::layout::{parse_id, Subdir};
use super::super::listing::{open_dir, walk_dir};
use super::super::{Interner, MessageId, MessageRecord};
use super::{read_message, BufPool, Files, Found, ReadCtx, ScanOptions};

/// The most entries read from a yank area (each message has up to 7 files).
pub const MAX_YANKED_ENTRIES: usize = 70_000_000;

/// Parse a yank-area name, `<id>.<subdir>`, with the id written as a move writes it: decimal
/// without a leading zero. Restore and purge find a message's files by the name its id gives
/// (`42.mess`), so `0042.mess` read as 42 was restored or purged "done" with none of its files,
/// and left where it was. An id is an inode number, never 0, so `0.mess` is no message either.
/// Such names are skipped like any other that is not a yanked file (docs/cli.md `yanked`).
pub fn parse_yank_name(name: &[u8]) -> Option<(MessageId, Subdir)> {
    let dot = name.iter().position(|b| *b == b'.')?;
    if name.first() == Some(&b'0') {
        return None;
    }
    let id = parse_id(&name[..dot])?;
    let subdir = Subdir::from_name(std::str::from_utf8(&name[dot + 1..]).ok()?)?;
    Some((id, subdir))
}

/// Every message in the yank area `dir`, read like the queue's (headers and envelopes), in id
/// order. A missing area holds none. Names that are not `<id>.<subdir>` (the journal, ...)
/// are skipped.
pub fn scan_yank_area(dir: &Path, strings: &Interner) -> io::Result<Vec<MessageRecord>> {
    scan_yank_area_where(dir, strings, |_| true)
}

/// The messages of the yank area `dir` whose id `keep` wants, read as [`scan_yank_area`]
/// reads them: the area is listed whole, only those are opened (a dry run's sample of a
/// batch of 100,000).
pub fn scan_yank_area_where(
    dir: &Path,
    strings: &Interner,
    keep: impl Fn(MessageId) -> bool,
) -> io::Result<Vec<MessageRecord>> {
    // The area is wherever its path leads, as for the moves (rename(2) follows a link to it):
    // a linked area was filled by `yank` and listed by `yanked`, but refused here, so `list
    // --yanked` and `restore QUERY` failed on it (hostile50). Links inside it are not followed.
    let resolved;
    let dir = match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => match std::fs::canonicalize(dir) {
            Ok(p) => {
                resolved = p;
                resolved.as_path()
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        },
        _ => dir,
    };
    let fd = match open_dir(dir) {
        Ok(fd) => fd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found: Vec<Found> = Vec::new();
    walk_dir(dir, &mut |name, kind| {
        if found.len() >= MAX_YANKED_ENTRIES {
            return;
        }
        if let Some((id, subdir)) = parse_yank_name(name).filter(|&(id, _)| keep(id)) {
            found.push(Found {
                id,
                subdir,
                kind,
                dir: u32::MAX,
            });
        }
    })?;
    found.sort_unstable_by_key(|f| (f.id, f.subdir as u8));
    let groups: Vec<&[Found]> = found.chunk_by(|a, b| a.id == b.id).collect();
    let ctx = ReadCtx {
        files: Files::YankArea(&fd),
        strings,
        opts: ScanOptions::default(),
        first_pass: None,
        types_known: false,
        bucket: u32::MAX,
    };
    let bufs = BufPool::new(strings);
    Ok(groups
        .par_iter()
        .map_init(
            || bufs.take(),
            |lent, group| read_message(&ctx, group, lent.lend()),
        )
        .flatten()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{MessageSpec, QueueBuilder};
    use crate::queue::ProblemKind;

    /// Two messages moved the way qmail-remove -r moves them, a symlink to /etc/passwd named
    /// like a yanked mess file, and the journal directory: the messages are read whole, the
    /// symlink is a problem and is not followed, the rest is skipped.
    #[test]
    fn reads_yanked_messages_in_place_and_follows_no_symlink() {
        let dir = tempfile::tempdir().expect("temp dir");
        let q = QueueBuilder::new(dir.path().join("queue"))
            .split(7)
            .create()
            .expect("queue");
        let spec = |n: u32| {
            MessageSpec::new()
                .sender(format!("s{n}@example.net"))
                .remote(format!("r{n}@example.org"))
                .auth("test")
                .subject("yanked")
        };
        let ids = [q.add(&spec(1)).expect("add"), q.add(&spec(2)).expect("add")];
        let yank = dir.path().join("yanked");
        std::fs::create_dir_all(yank.join(".journal")).expect("yank dir");
        for id in ids {
            for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
                let to = yank.join(format!("{}.{}", id.0, s.name()));
                std::fs::rename(q.path(s, id), to).expect("rename");
            }
        }
        std::os::unix::fs::symlink("/etc/passwd", yank.join("99.mess")).expect("symlink");
        let strings = Interner::new();
        let recs = scan_yank_area(&yank, &strings).expect("scan");
        assert_eq!(recs.len(), 3);
        for (id, n) in ids.iter().zip(1..) {
            let r = recs.iter().find(|r| r.id == *id).expect("yanked record");
            assert!(r.problems.is_empty(), "{:?}", r.problems);
            let sender = r.sender.map(|s| strings.text(s));
            assert_eq!(
                sender.as_deref(),
                Some(format!("s{n}@example.net").as_str())
            );
            assert_eq!(r.recipients.len(), 1);
            assert!(r.origin.auth_user.is_some() && r.headers.subject.is_some());
        }
        let link = recs
            .iter()
            .find(|r| r.id == MessageId(99))
            .expect("symlink record");
        assert!(
            link.has_problem(ProblemKind::Symlink),
            "{:?}",
            link.problems
        );
        assert_eq!(link.size, 0, "the symlink's target was not read");
        assert!(scan_yank_area(&dir.path().join("none"), &strings)
            .expect("missing area")
            .is_empty());
    }

    #[test]
    fn yank_names_are_qmail_removes() {
        assert_eq!(
            parse_yank_name(b"10012345.mess"),
            Some((MessageId(10012345), Subdir::Mess))
        );
        assert_eq!(
            parse_yank_name(b"7.remote"),
            Some((MessageId(7), Subdir::Remote))
        );
        for junk in [
            &b".journal"[..],
            b"12.txt",
            b"x.mess",
            b"12",
            b"12.mess.bak",
            b"",
            b"0042.mess",
            b"07.remote",
            b"0.mess",
            b"00.info",
        ] {
            assert_eq!(parse_yank_name(junk), None, "{junk:?}");
        }
    }
}
