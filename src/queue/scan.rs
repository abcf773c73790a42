//! Parallel read-only walk of a queue producing one MessageRecord per message id.
//!
//! Phase 1 lists every queue directory (no file is opened). Phase 2 groups the entries of each
//! split bucket by id and reads each message's files with `openat(O_NOFOLLOW|O_NONBLOCK)`
//! relative to its directory: no symlink is followed and no FIFO blocks the scan. Messages are
//! read in parallel, in a rayon pool wider than the cores (a cold cache wants many reads in
//! flight). A file that vanished between listing and reading is normal during a flood: it is a
//! problem on the record, or the message is dropped if all of it is gone.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::error::Result;
use super::headers::FIRST_READ;
use super::last_syms::LastSyms;
use super::listing::{list, Entry, EntryKind};
use super::recipients::RecipientMemo;
use super::{Interner, Layout, MessageId, MessageRecord, Queue, Subdir};

mod chunks;
mod dirs;
mod handoff;
mod message;
mod one;
mod order;
mod parallel;
mod passes;
mod stream;
mod yanked;
pub use chunks::stream_messages;
use dirs::{BucketDirs, Files};
use message::{read_message, read_message_keeping};
pub use one::read_one;
use parallel::{place, read_listed, ScanCtx};
use passes::FirstPass;
pub use passes::{scan_envelopes, scan_headers};
pub use stream::{stream_info_messages, QreadFormat, QreadMessage};
pub use yanked::{parse_yank_name, scan_yank_area, scan_yank_area_where, MAX_YANKED_ENTRIES};

pub use super::recipients::ENVELOPE_CAP;

/// What to read besides the directory listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Read mess/ header blocks (origin, subject, From).
    pub headers: bool,
    /// Read info/ local/ remote/ todo/ (sender, recipients, birth time). Without envelopes the
    /// scan lists only mess/, todo/ and intd/ (see [`ScanOptions::lists`]): its records' parts
    /// and state say nothing of info/, local/, remote/ and bounce/ files, and a message with
    /// neither a mess file nor a todo/ or intd/ file has no record.
    pub envelopes: bool,
}

impl ScanOptions {
    /// Does a scan with these options list `subdir`? Every subdirectory with envelopes; without,
    /// mess/ (the headers) and the unsplit todo/ and intd/ (so a record still says whether
    /// qmail-queue finished queueing it: `queued`, `incoming`), not the split envelope
    /// directories, whose listing was two thirds of a header pass' `getdents`.
    pub fn lists(self, subdir: Subdir) -> bool {
        self.envelopes || matches!(subdir, Subdir::Mess | Subdir::Todo | Subdir::Intd)
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            headers: true,
            envelopes: true,
        }
    }
}

/// Progress counters a scan updates as it goes; another thread may read them at any time.
#[derive(Debug, Default)]
pub struct Progress {
    /// Message ids found by the listing phase (0 until it ends).
    pub listed: AtomicU64,
    /// Messages read so far.
    pub read: AtomicU64,
    /// Set when the scan has finished.
    pub done: AtomicBool,
}

/// A copy of the progress counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProgressSnapshot {
    /// Message ids found by the listing.
    pub listed: u64,
    /// Messages read.
    pub read: u64,
    /// The scan has finished.
    pub done: bool,
}

impl Progress {
    /// Read the counters.
    pub fn snapshot(&self) -> ProgressSnapshot {
        ProgressSnapshot {
            listed: self.listed.load(Ordering::Relaxed),
            read: self.read.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Acquire),
        }
    }
}

/// What the scan saw besides the records.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Entries qmail ignores because their names are not ids.
    pub junk_names: u64,
    /// Messages listed and then entirely gone when read (delivered meanwhile).
    pub vanished: u64,
    /// Queue directories that are missing or could not be listed, with the reason.
    pub unreadable_dirs: Vec<(PathBuf, String)>,
    /// How long the scan took.
    pub elapsed: Duration,
    /// When the scan began, before it listed anything (unix seconds, this host's clock): a file
    /// last written before then was there, as it is, when the scan read it.
    pub started: i64,
}

/// The result of a scan: records in (bucket, id) order, and the report.
#[derive(Debug, Default)]
pub struct Scan {
    /// One record per message id.
    pub records: Vec<MessageRecord>,
    /// What else was seen.
    pub report: ScanReport,
}

/// One split directory number's listings: entries, (junk names, untyped entries), unreadable
/// directories.
type SplitListing = (Vec<Found>, (u64, u64), Vec<(PathBuf, String)>);

/// A reading thread's buffers, reused from message to message: the header block, the envelope
/// file, and the values and recipient domains it interned last (into `strings`).
struct ReadBufs<'s> {
    head: Vec<u8>,
    envelope: Vec<u8>,
    last: LastSyms,
    memo: RecipientMemo<'s>,
}

fn read_bufs(strings: &Interner) -> ReadBufs<'_> {
    ReadBufs {
        head: Vec::with_capacity(FIRST_READ),
        envelope: Vec::with_capacity(FIRST_READ),
        last: LastSyms::default(),
        memo: RecipientMemo::new(strings),
    }
}

/// The reading threads' buffers of one scan, lent to each batch of messages a thread takes
/// and given back after it. Rayon starts every batch (some 64 to 200 messages) with fresh
/// state, and a flood's values, which [`LastSyms`] and [`RecipientMemo`] remember, are the same
/// from batch to batch. It holds at most as many as were lent at once (the reading threads),
/// and they all serve the one interner it borrows.
struct BufPool<'s> {
    strings: &'s Interner,
    free: std::sync::Mutex<Vec<ReadBufs<'s>>>,
}

impl<'s> BufPool<'s> {
    fn new(strings: &'s Interner) -> BufPool<'s> {
        BufPool {
            strings,
            free: std::sync::Mutex::default(),
        }
    }

    /// A thread's buffers for one batch: the last ones given back, or new ones.
    fn take(&self) -> Lent<'_, 's> {
        let kept = self.free.lock().ok().and_then(|mut free| free.pop());
        Lent {
            pool: self,
            bufs: Some(kept.unwrap_or_else(|| read_bufs(self.strings))),
        }
    }
}

/// Buffers lent by a [`BufPool`], given back when dropped.
struct Lent<'p, 's> {
    pool: &'p BufPool<'s>,
    bufs: Option<ReadBufs<'s>>,
}

impl<'s> Lent<'_, 's> {
    /// The buffers as [`read_message`] takes them.
    fn lend(&mut self) -> message::ThreadBufs<'_, 's> {
        let bufs = self
            .bufs
            .get_or_insert_with(|| read_bufs(self.pool.strings));
        lend(bufs)
    }
}

impl Drop for Lent<'_, '_> {
    fn drop(&mut self) {
        // A poisoned pool (a reading thread panicked) keeps what it has: these are dropped.
        if let (Some(bufs), Ok(mut free)) = (self.bufs.take(), self.pool.free.lock()) {
            free.push(bufs);
        }
    }
}

/// `bufs` as [`read_message`] takes them.
fn lend<'a, 's>(bufs: &'a mut ReadBufs<'s>) -> message::ThreadBufs<'a, 's> {
    message::ThreadBufs {
        head: &mut bufs.head,
        envelope: &mut bufs.envelope,
        last: &mut bufs.last,
        memo: &mut bufs.memo,
    }
}

/// A listed file of one message, with the bucket it actually sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Found {
    id: MessageId,
    subdir: Subdir,
    kind: EntryKind,
    /// The split directory it was listed in (`u32::MAX` for unsplit directories).
    dir: u32,
}

/// Scan the whole queue.
pub fn scan(
    queue: &Queue,
    strings: &Interner,
    opts: ScanOptions,
    progress: &Progress,
) -> Result<Scan> {
    let plan = ReadPlan {
        opts,
        first_pass: None,
    };
    scan_files(queue, strings, plan, progress)
}

/// What a scan reads.
#[derive(Clone, Copy)]
struct ReadPlan<'a> {
    opts: ScanOptions,
    /// The header pass' records, whose header fields are taken instead of reading a mess file
    /// again when it is still the same file (see `passes.rs`).
    first_pass: Option<FirstPass<'a>>,
}

/// [`scan`] as `plan` says.
fn scan_files(
    queue: &Queue,
    strings: &Interner,
    plan: ReadPlan<'_>,
    progress: &Progress,
) -> Result<Scan> {
    let opts = plan.opts;
    let start = Instant::now();
    let layout = queue.layout();
    let split = layout.split;
    let mut report = ScanReport {
        started: super::date::unix_now(),
        ..ScanReport::default()
    };

    // Phase 1: list. Unsplit directories first, distributed into buckets by id.
    let (mut buckets, mut untyped) = list_unsplit_by_bucket(queue, opts, &mut report);
    let split_subdirs: Vec<Subdir> = Subdir::ALL
        .into_iter()
        .filter(|s| layout.is_split(*s) && opts.lists(*s))
        .collect();
    let listed: Vec<SplitListing> = (0..split)
        .into_par_iter()
        .map(|n| {
            let (mut out, mut junk, mut bad) = (Vec::new(), (0, 0), Vec::new());
            for &subdir in &split_subdirs {
                let path = queue.root().join(subdir.name()).join(n.to_string());
                match list(&path) {
                    Ok(l) => {
                        junk.0 += l.junk;
                        junk.1 += l.untyped;
                        out.extend(l.entries.into_iter().map(|e| found(e, subdir, n)));
                    }
                    Err(e) => bad.push((path, e.to_string())),
                }
            }
            (out, junk, bad)
        })
        .collect();
    reserve_exactly(layout, &mut buckets, &listed);
    // Files in the wrong split directory belong to their id's bucket (and are flagged).
    for (entries, (junk, no_type), bad) in listed {
        report.junk_names += junk;
        untyped += no_type;
        report.unreadable_dirs.extend(bad);
        for f in entries {
            buckets[layout.bucket(f.id) as usize].push(f);
        }
    }
    let listed = place(layout, buckets);
    progress
        .listed
        .store(listed.len() as u64, Ordering::Relaxed);
    let ctx = ScanCtx {
        queue,
        strings,
        opts,
        first_pass: plan.first_pass,
        types_known: untyped == 0,
        progress,
    };
    let (records, vanished) = read_listed(&ctx, listed);
    report.vanished = vanished;
    report.elapsed = start.elapsed();
    progress.done.store(true, Ordering::Release);
    Ok(Scan { records, report })
}

/// Give each bucket room for exactly the files `listed` puts in it. Grown by doubling, a
/// bucket held up to twice its files: at a million messages 23 buckets of 262,144 slots for
/// about 133,000 files each, 96 MB where 49 MB were used, and all of it still alive when the
/// records (112 MB) are allocated, the scan's and `top`'s peak.
fn reserve_exactly(layout: Layout, buckets: &mut [Vec<Found>], listed: &[SplitListing]) {
    let mut counts = vec![0usize; buckets.len()];
    for f in listed.iter().flat_map(|l| &l.0) {
        if let Some(n) = counts.get_mut(layout.bucket(f.id) as usize) {
            *n += 1;
        }
    }
    for (bucket, n) in buckets.iter_mut().zip(counts) {
        bucket.reserve_exact(n);
    }
}

/// List the unsplit directories (todo/, intd/, bounce/ unless big-todo splits them; those `opts`
/// lists) into one list of files per split directory, by id; and how many entries came
/// without a type.
fn list_unsplit_by_bucket(
    queue: &Queue,
    opts: ScanOptions,
    report: &mut ScanReport,
) -> (Vec<Vec<Found>>, u64) {
    let layout = queue.layout();
    let mut buckets: Vec<Vec<Found>> = vec![Vec::new(); layout.split as usize];
    let mut untyped = 0;
    for subdir in [Subdir::Todo, Subdir::Intd, Subdir::Bounce] {
        if layout.is_split(subdir) || !opts.lists(subdir) {
            continue;
        }
        let path = queue.root().join(subdir.name());
        match list(&path) {
            Ok(l) => {
                report.junk_names += l.junk;
                untyped += l.untyped;
                for e in l.entries {
                    buckets[layout.bucket(e.id) as usize].push(found(e, subdir, u32::MAX));
                }
            }
            Err(e) => report.unreadable_dirs.push((path, e.to_string())),
        }
    }
    (buckets, untyped)
}

fn found(e: Entry, subdir: Subdir, dir: u32) -> Found {
    Found {
        id: e.id,
        subdir,
        kind: e.kind,
        dir,
    }
}

struct ReadCtx<'a> {
    files: Files<'a>,
    strings: &'a Interner,
    opts: ScanOptions,
    /// The header pass' records, when this is the envelope pass.
    first_pass: Option<FirstPass<'a>>,
    /// The listing had a type for every entry: a file listed as regular may be read without
    /// `fstat` (on a filesystem without `d_type` a FIFO or device would pass for one).
    types_known: bool,
    bucket: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::last_syms::Slot;

    #[test]
    fn the_next_batch_gets_the_buffers_and_memory_given_back() {
        let strings = Interner::new();
        let pool = BufPool::new(&strings);
        let calls = std::cell::Cell::new(0);
        let count = |st: &Interner| {
            calls.set(calls.get() + 1);
            [Some(st.intern(b"x")), None]
        };
        let remember = |lent: &mut Lent<'_, '_>| {
            let bufs = lent.lend();
            bufs.last.memo(&strings, Slot::Mailer, b" x", count)
        };
        let first = remember(&mut pool.take());
        // Given back when the batch's buffers were dropped: the next batch remembers.
        let again = remember(&mut pool.take());
        assert_eq!((first, calls.get()), (again, 1));
        // Two lent at once (two threads): the second is new, and both come back.
        let (mut a, mut b) = (pool.take(), pool.take());
        remember(&mut a);
        remember(&mut b);
        assert_eq!(calls.get(), 2);
        drop((a, b));
        assert_eq!(pool.free.lock().map(|f| f.len()).ok(), Some(2));
    }

    #[test]
    fn buckets_get_room_for_exactly_their_files() {
        let layout = Layout {
            split: 3,
            big_todo: false,
        };
        let file = |id: u64| Found {
            id: MessageId(id),
            subdir: Subdir::Mess,
            kind: EntryKind::File,
            dir: (id % 3) as u32,
        };
        // 1,000 files of bucket 0 and 5 of bucket 1, from two split listings; one already in
        // bucket 2 (an unsplit directory's).
        let listed: Vec<SplitListing> = vec![
            ((0..600).map(|i| file(i * 3)).collect(), (0, 0), Vec::new()),
            (
                (600..1000)
                    .map(|i| file(i * 3))
                    .chain((0..5).map(|i| file(i * 3 + 1)))
                    .collect(),
                (0, 0),
                Vec::new(),
            ),
        ];
        let mut buckets = vec![Vec::new(), Vec::new(), vec![file(2)]];
        reserve_exactly(layout, &mut buckets, &listed);
        // Pushed one by one, bucket 0 would have grown to 1,024 slots.
        assert_eq!(buckets[0].capacity(), 1000);
        assert_eq!(buckets[1].capacity(), 5);
        assert!(buckets[2].capacity() >= 1);
    }
}
