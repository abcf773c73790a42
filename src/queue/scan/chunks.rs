//! The whole queue's records, streamed: split directory by split directory, [`CHUNK`] messages
//! at a time, each chunk with an interner of its own, in constant memory (`list --count`).
//!
//! The records are a full [`scan`](super::scan)'s, in the same (bucket, id) order: every
//! subdirectory, headers and envelopes. A file listed in another split directory than its id's
//! belongs to its id's bucket, as in the scan; a first pass over the listings finds those (a
//! hostile or broken queue has a few), so each bucket is read once with all of its files.

use std::io;

use rayon::prelude::*;

use super::super::listing::list_each;
use super::super::{Interner, MessageRecord, Queue, Subdir};
use super::{
    found, read_message, BucketDirs, BufPool, Files, Found, ReadCtx, ScanOptions, ScanReport,
};

/// Messages read in parallel before their records are handed over (each chunk with an interner
/// of its own): enough to keep the read pool busy, few enough that a chunk's records stay small.
const CHUNK: usize = 2048;

/// Walk every message of the queue as [`super::scan`] reads them with `opts`, handing `each` the
/// records of up to [`CHUNK`] messages at a time with the interner their strings are in, in
/// (bucket, id) order. Directories that cannot be listed are added to `report`; an error from
/// `each` stops the walk.
pub fn stream_messages(
    queue: &Queue,
    opts: ScanOptions,
    report: &mut ScanReport,
    each: &mut dyn FnMut(&[MessageRecord], &Interner) -> io::Result<()>,
) -> io::Result<()> {
    let layout = queue.layout();
    let split_subdirs: Vec<Subdir> = Subdir::ALL
        .into_iter()
        .filter(|s| layout.is_split(*s) && opts.lists(*s))
        .collect();
    let (mut elsewhere, mut untyped) = list_elsewhere(queue, opts, &split_subdirs, report);
    let pool = super::parallel::read_pool();
    // One split directory's files at a time (at 1,000,000 messages about 128,000), in one
    // vector kept across directories: filled straight from `getdents`, never a listing of a
    // whole directory besides it, and not reallocated for every directory.
    let mut files: Vec<Found> = Vec::new();
    for n in 0..layout.split {
        files.clear();
        files.append(&mut std::mem::take(&mut elsewhere[n as usize]));
        for &subdir in &split_subdirs {
            let path = queue.root().join(subdir.name()).join(n.to_string());
            let before = files.len();
            let listed = list_each(&path, &mut |e| {
                if layout.bucket(e.id) == n {
                    files.push(found(e, subdir, n));
                }
            });
            match listed {
                Ok((junk, no_type)) => {
                    report.junk_names += junk;
                    untyped += no_type;
                }
                Err(e) => {
                    // As a failed listing lists nothing in the scan.
                    files.truncate(before);
                    report.unreadable_dirs.push((path, e.to_string()));
                }
            }
        }
        // In the order the scan reads them: a stray copy after the file where qmail put it.
        super::order::sort_in_read_order(layout, n, &mut files);
        let dirs = BucketDirs::open(queue, n);
        let mut groups = files.chunk_by(|a, b| a.id == b.id);
        let mut chunk: Vec<&[Found]> = Vec::with_capacity(CHUNK);
        loop {
            chunk.clear();
            chunk.extend(groups.by_ref().take(CHUNK));
            if chunk.is_empty() {
                break;
            }
            let strings = Interner::new();
            let ctx = ReadCtx {
                files: Files::Queue { queue, dirs: &dirs },
                strings: &strings,
                opts,
                first_pass: None,
                types_known: untyped == 0,
                bucket: n,
            };
            let records = read_chunk(&ctx, &chunk, pool.as_ref(), report);
            each(&records, &strings)?;
        }
    }
    Ok(())
}

/// Read one chunk's messages in parallel (in `pool` when there is one), in order; the
/// vanished ones are counted in `report`.
fn read_chunk(
    ctx: &ReadCtx<'_>,
    chunk: &[&[Found]],
    pool: Option<&rayon::ThreadPool>,
    report: &mut ScanReport,
) -> Vec<MessageRecord> {
    let bufs = BufPool::new(ctx.strings);
    let read_all = || -> Vec<Option<MessageRecord>> {
        chunk
            .par_iter()
            .with_min_len(64)
            .map_init(
                || bufs.take(),
                |lent, group| read_message(ctx, group, lent.lend()),
            )
            .collect()
    };
    let read = match pool {
        Some(p) => p.install(read_all),
        None => read_all(),
    };
    report.vanished += read.iter().filter(|r| r.is_none()).count() as u64;
    // filter_map (not flatten) so std collects in place, not into a second vector.
    #[allow(clippy::filter_map_identity)]
    read.into_iter().filter_map(|r| r).collect()
}

/// The files of the unsplit directories, and those listed in another split directory than their
/// id's, by their id's bucket; and how many entries of the queue had no type.
fn list_elsewhere(
    queue: &Queue,
    opts: ScanOptions,
    split_subdirs: &[Subdir],
    report: &mut ScanReport,
) -> (Vec<Vec<Found>>, u64) {
    let layout = queue.layout();
    // Files that are not in their id's split directory, and the unsplit directories' files,
    // by bucket: listed before any bucket is read.
    let (mut elsewhere, mut untyped) = super::list_unsplit_by_bucket(queue, opts, report);
    for n in 0..layout.split {
        for &subdir in split_subdirs {
            let path = queue.root().join(subdir.name()).join(n.to_string());
            let listed = list_each(&path, &mut |e| {
                if layout.bucket(e.id) != n {
                    elsewhere[layout.bucket(e.id) as usize].push(found(e, subdir, n));
                }
            });
            // Counted here too: every bucket is read knowing whether any entry lacked a type.
            // (A directory that fails here is reported when its bucket is read.)
            untyped += listed.map_or(0, |(_, no_type)| no_type);
        }
    }
    // Held until their bucket is read (todo/ and bounce/ of a million-message flood are
    // about 110,000 files): without the slack of growing.
    elsewhere.iter_mut().for_each(Vec::shrink_to_fit);
    (elsewhere, untyped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::flood::{write_flood, FloodSpec};
    use crate::fixture::{MessageSpec, QueueBuilder};
    use crate::queue::{scan, Progress, QueueOptions};

    /// The streamed records are a full scan's, in its order, with the strings they name, on
    /// the flood mix plus files in the wrong split directory.
    #[test]
    fn streamed_records_are_the_scans() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fq = QueueBuilder::new(dir.path().join("q"))
            .split(5)
            .create()
            .expect("queue");
        write_flood(&fq, &FloodSpec::new(600, 3, 1_795_428_000)).expect("flood");
        for subdir in [Subdir::Mess, Subdir::Remote, Subdir::Info] {
            let id = fq
                .add(&MessageSpec::new().remote("v@x.example"))
                .expect("add");
            fq.misplace(subdir, id).expect("misplace");
        }
        let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
        // A stray copy of a mess file, with other bytes, in the directory listed before its
        // home: both readers read the home copy.
        let home = fq
            .add(&MessageSpec::new().remote("w@x.example").subject("home"))
            .expect("add");
        let other = fq
            .add(&MessageSpec::new().remote("w@x.example").subject("stray"))
            .expect("add");
        let before = (queue.layout().bucket(home) + 4) % 5;
        let stray = fq.root().join(format!("mess/{before}/{}", home.0));
        std::fs::copy(fq.path(Subdir::Mess, other), stray).expect("copy");
        let strings = Interner::new();
        let opts = ScanOptions::default();
        let whole = scan(&queue, &strings, opts, &Progress::default()).expect("scan");
        let home = whole.records.iter().find(|r| r.id == home).expect("home");
        let subject = home.headers.subject.map(|s| strings.text(s));
        assert_eq!(subject.as_deref(), Some("home"));
        let text = |r: &MessageRecord, s: &Interner| {
            let t = |x: Option<crate::queue::Sym>| x.map(|x| s.text(x));
            (
                r.id,
                r.queued(),
                r.size,
                r.state,
                r.problems.clone(),
                t(r.sender),
                t(r.origin.ip),
                t(r.origin.auth_user),
                t(r.headers.subject),
                r.recipients.len(),
                t(r.recipients.first()),
            )
        };
        let want: Vec<_> = whole.records.iter().map(|r| text(r, &strings)).collect();
        let mut got = Vec::new();
        let mut report = ScanReport::default();
        stream_messages(&queue, opts, &mut report, &mut |rs, s| {
            got.extend(rs.iter().map(|r| text(r, s)));
            Ok(())
        })
        .expect("stream");
        assert_eq!(got.len(), want.len());
        assert_eq!(got, want);
    }
}
