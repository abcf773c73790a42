//! The parallel read phase of a scan: one rayon task per message in a pool wider than the cores.

use std::sync::atomic::Ordering;

use rayon::prelude::*;

use super::super::layout::{Layout, Parts, Subdir};
use super::super::listing::EntryKind;
use super::super::{Interner, MessageRecord, Queue};
use super::order::home;
use super::{
    read_message, BucketDirs, BufPool, Files, Found, Lent, Progress, ReadCtx, ScanOptions,
};

/// What every read task shares.
pub(super) struct ScanCtx<'a> {
    pub(super) queue: &'a Queue,
    pub(super) strings: &'a Interner,
    pub(super) opts: ScanOptions,
    pub(super) first_pass: Option<super::FirstPass<'a>>,
    pub(super) types_known: bool,
    pub(super) progress: &'a Progress,
}

/// The listed messages, between listing and reading.
///
/// Each message is already the slot its record will be read into, holding only its id and
/// parts: for a plain message (every file a regular file in its own bucket's directory, the
/// whole of a flood) that says where all its files are, so the listing (16 bytes a file, 3.4
/// files a message) is freed before the records fill up. The files of the other messages are
/// kept as listed.
pub(super) struct Listed {
    /// One slot per message id, in (bucket, id) order.
    slots: Vec<Option<MessageRecord>>,
    /// Every file of the messages that are not plain (a symlink or non-file, a file in another
    /// bucket's directory, an id listed twice in one subdir), sorted by id.
    odd: Vec<Found>,
}

impl Listed {
    /// How many message ids were listed.
    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }
}

/// Turn each bucket's listed files into one slot per message id, freeing the files as it goes.
pub(super) fn place(layout: Layout, mut buckets: Vec<Vec<Found>>) -> Listed {
    let total: usize = buckets
        .par_iter_mut()
        .enumerate()
        .map(|(n, b)| {
            super::order::sort_in_read_order(layout, n as u32, b);
            b.chunk_by(|a, b| a.id == b.id).count()
        })
        .sum();
    // Filled bucket by bucket while the buckets are dropped, so the listing and the slots are
    // never both whole.
    let mut slots = Vec::with_capacity(total);
    let mut odd = Vec::new();
    for (n, bucket) in buckets.into_iter().enumerate() {
        for group in bucket.chunk_by(|a, b| a.id == b.id) {
            let mut parts = Parts::default();
            group.iter().for_each(|f| parts.insert(f.subdir));
            if !is_plain(layout, n as u32, group, parts) {
                odd.extend_from_slice(group);
            }
            slots.push(Some(placeholder(group[0], parts)));
        }
    }
    // Stable: a message's files stay in the order they were grouped in.
    odd.sort_by_key(|f| f.id);
    Listed { slots, odd }
}

/// Are the group's files exactly what [`plain_group`] rebuilds from its parts?
fn is_plain(layout: Layout, bucket: u32, group: &[Found], parts: Parts) -> bool {
    group.len() == parts.0.count_ones() as usize
        && group
            .iter()
            .all(|f| f.kind == EntryKind::File && f.dir == home(layout, f.subdir, bucket))
}

/// The files of a plain message, rebuilt from its parts in (subdir) order as they were listed.
fn plain_group(
    layout: Layout,
    bucket: u32,
    first: Found,
    parts: Parts,
    out: &mut [Found; 7],
) -> &[Found] {
    let mut len = 0;
    for (slot, subdir) in out.iter_mut().zip(parts.iter()) {
        *slot = Found {
            subdir,
            dir: home(layout, subdir, bucket),
            ..first
        };
        len += 1;
    }
    &out[..len]
}

/// A record holding only what the listing knows; [`read_message`] replaces it.
fn placeholder(first: Found, parts: Parts) -> MessageRecord {
    MessageRecord::listed(first.id, parts)
}

/// Phase 2: read each message's files into its slot; returns the records and how many
/// messages vanished.
///
/// One task per message (not per bucket) so that, with the read pool's extra threads, many reads
/// are in flight when the page cache is cold; each record is written into its own slot (no
/// per-bucket copies at flood scale).
pub(super) fn read_listed(sc: &ScanCtx<'_>, listed: Listed) -> (Vec<MessageRecord>, u64) {
    let layout = sc.queue.layout();
    let dirs: Vec<BucketDirs> = (0..layout.split)
        .map(|n| BucketDirs::open(sc.queue, n))
        .collect();
    let Listed { mut slots, odd } = listed;
    let bufs = BufPool::new(sc.strings);
    let read_slot = |lent: &mut Lent<'_, '_>, slot: &mut Option<MessageRecord>| {
        let Some(listed) = slot.take() else {
            return;
        };
        let id = listed.id;
        let bucket = layout.bucket(id);
        let from = odd.partition_point(|f| f.id < id);
        let len = odd[from..].partition_point(|f| f.id == id);
        let mut rebuilt = [Found {
            id,
            subdir: Subdir::Mess,
            kind: EntryKind::File,
            dir: bucket,
        }; 7];
        let group = match len {
            0 => plain_group(layout, bucket, rebuilt[0], listed.parts, &mut rebuilt),
            _ => &odd[from..from + len],
        };
        let ctx = ReadCtx {
            files: Files::Queue {
                queue: sc.queue,
                dirs: &dirs[bucket as usize],
            },
            strings: sc.strings,
            opts: sc.opts,
            first_pass: sc.first_pass,
            types_known: sc.types_known,
            bucket,
        };
        *slot = read_message(&ctx, group, lent.lend());
        sc.progress.read.fetch_add(1, Ordering::Relaxed);
    };
    let read_all = |slots: &mut Vec<Option<MessageRecord>>| {
        slots
            .par_iter_mut()
            .with_min_len(READ_BATCH)
            .for_each_init(|| bufs.take(), read_slot)
    };
    match read_pool() {
        Some(pool) => pool.install(|| read_all(&mut slots)),
        None => read_all(&mut slots),
    }
    let vanished = slots.iter().filter(|r| r.is_none()).count() as u64;
    // filter_map (not flatten) so std collects in place: Option<MessageRecord> has the record's
    // size, and a million records are not copied into a second vector.
    #[allow(clippy::filter_map_identity)]
    let records: Vec<MessageRecord> = slots.into_iter().filter_map(|r| r).collect();
    (records, vanished)
}

/// Messages read by one task before rayon may split the work further (amortises scheduling).
const READ_BATCH: usize = 64;
/// Threads reading per core: a cold page cache is latency-bound, so more reads in flight than
/// cores is faster (issue 9 measured 4x from 1 to 32 concurrent reads on 2 cores).
const READ_THREADS_PER_CORE: usize = 8;

/// Threads reading: [`READ_THREADS_PER_CORE`] a core.
pub(super) fn read_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores * READ_THREADS_PER_CORE
}

/// A rayon pool with more threads than cores for the read phase; `None` (use the current pool)
/// if it cannot be built.
pub(super) fn read_pool() -> Option<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(read_threads())
        .thread_name(|i| format!("qtriage-read-{i}"))
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{MessageId, MessageState};

    fn file(id: u64, subdir: Subdir, kind: EntryKind, dir: u32) -> Found {
        Found {
            id: MessageId(id),
            subdir,
            kind,
            dir,
        }
    }

    /// The group the read phase hands to `read_message` for slot `i`.
    fn group_of(layout: Layout, listed: &Listed, i: usize) -> Vec<Found> {
        let r = listed.slots[i].as_ref().expect("placed");
        let odd: Vec<Found> = listed
            .odd
            .iter()
            .filter(|f| f.id == r.id)
            .copied()
            .collect();
        if !odd.is_empty() {
            return odd;
        }
        let bucket = layout.bucket(r.id);
        let first = file(r.id.0, Subdir::Mess, EntryKind::File, bucket);
        plain_group(layout, bucket, first, r.parts, &mut [first; 7]).to_vec()
    }

    #[test]
    fn plain_messages_are_rebuilt_exactly_and_odd_ones_kept_as_listed() {
        use EntryKind::{File, Symlink};
        use Subdir::{Info, Mess, Remote, Todo};
        let layout = Layout {
            split: 3,
            big_todo: false,
        };
        let plain = [
            file(7, Remote, File, 1),
            file(7, Mess, File, 1),
            file(7, Todo, File, u32::MAX),
            file(7, Info, File, 1),
        ];
        let odd: [Found; 5] = [
            file(4, Mess, File, 1),
            file(4, Info, File, 2), // in another bucket's directory
            file(10, Mess, Symlink, 1),
            file(13, Mess, File, 1),
            file(13, Mess, File, 0), // the same name listed twice
        ];
        let listed = place(
            layout,
            vec![Vec::new(), [&plain[..], &odd[..]].concat(), Vec::new()],
        );
        let ids: Vec<u64> = listed.slots.iter().flatten().map(|r| r.id.0).collect();
        assert_eq!(ids, [4, 7, 10, 13]);
        let mut want = plain.to_vec();
        want.sort_by_key(|f| f.subdir);
        assert_eq!(group_of(layout, &listed, 1), want);
        let r = listed.slots[1].as_ref().expect("placed");
        assert_eq!(r.state, MessageState::Preprocessing);
        assert_eq!(group_of(layout, &listed, 0), odd[..2]);
        assert_eq!(group_of(layout, &listed, 2), odd[2..3]);
        assert_eq!(group_of(layout, &listed, 3).len(), 2);
        assert_eq!(listed.odd.len(), 5);
    }

    /// Records come out once per id in (bucket, id) order, each the one a read of that
    /// message alone gives, whatever is odd about it.
    #[test]
    fn records_are_in_scan_order_once_each_and_each_its_message_read_alone() {
        use crate::fixture::{hostile, MessageSpec};
        use crate::queue::scan::read_one;
        use crate::queue::{scan, Interner, ProblemKind, Progress, QueueOptions, ScanOptions};
        let dir = tempfile::tempdir().expect("tempdir");
        let (fq, truth) = hostile::build(dir.path()).expect("hostile queue");
        let q = crate::queue::Queue::open(fq.root(), QueueOptions::default()).expect("open");
        let layout = q.layout();
        // A mess file at home and a stray copy, with another message's bytes, in the previous
        // bucket's directory (listed before it); an info/ file with no mess file.
        let twice = fq
            .add(&MessageSpec::new().remote("x@y.example").subject("home"))
            .expect("add");
        let other = fq
            .add(&MessageSpec::new().remote("x@y.example").subject("stray"))
            .expect("add");
        let stray = fq
            .root()
            .join("mess")
            .join(((layout.bucket(twice) + layout.split - 1) % layout.split).to_string())
            .join(twice.to_string());
        std::fs::copy(fq.path(Subdir::Mess, other), &stray).expect("copy");
        let orphan = fq
            .add(&MessageSpec::new().remote("x@y.example"))
            .expect("add");
        std::fs::remove_file(fq.path(Subdir::Mess, orphan)).expect("rm");
        let strings = Interner::new();
        let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
        let keys: Vec<(u32, MessageId)> = s
            .records
            .iter()
            .map(|r| (layout.bucket(r.id), r.id))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        let ids: std::collections::BTreeSet<MessageId> = keys.iter().map(|k| k.1).collect();
        for id in truth.all_ids().into_iter().chain([twice, orphan]) {
            assert!(ids.contains(&id), "no record of {id:?}");
        }
        let mut compared = 0;
        for r in &s.records {
            if !r
                .problems
                .iter()
                .any(|p| p.kind == ProblemKind::WrongSubdir)
            {
                assert_eq!(&read_one(&q, &strings, r.id).expect("read alone"), r);
                compared += 1;
            }
        }
        assert!(compared > 50, "{compared}");
        // The copy where qmail put it is read; the stray one is flagged.
        let twice = s.records.iter().find(|r| r.id == twice).expect("twice");
        let subject = twice.headers.subject.map(|s| strings.text(s));
        assert_eq!(subject.as_deref(), Some("home"));
        let stray = crate::queue::Problem {
            kind: ProblemKind::WrongSubdir,
            part: Subdir::Mess,
        };
        assert_eq!(twice.problems.to_vec(), [stray]);
        assert!(twice.parts.has(Subdir::Mess) && twice.parts.has(Subdir::Remote));
        let orphan = s.records.iter().find(|r| r.id == orphan).expect("orphan");
        assert!(!orphan.parts.has(Subdir::Mess) && orphan.parts.has(Subdir::Info));
    }
}
