//! The parallel read phase of a scan: one rayon task per message in a pool wider than the cores.

use std::sync::atomic::Ordering;

use rayon::prelude::*;

use super::super::headers::FIRST_READ;
use super::super::{Interner, MessageRecord, Queue};
use super::{read_message, BucketDirs, Found, Progress, ReadCtx, ScanOptions};

/// What every read task shares.
pub(super) struct ScanCtx<'a> {
    pub(super) queue: &'a Queue,
    pub(super) strings: &'a Interner,
    pub(super) opts: ScanOptions,
    pub(super) progress: &'a Progress,
}

/// Sort each bucket by (id, subdir) and return one (bucket, first entry, entry count) per
/// message id: the unit of parallel reading.
pub(super) fn group_spans(buckets: &mut [Vec<Found>]) -> Vec<(u32, u32, u32)> {
    buckets
        .par_iter_mut()
        .enumerate()
        .map(|(n, b)| {
            b.sort_unstable_by_key(|f| (f.id, f.subdir));
            let mut spans = Vec::new();
            let mut at = 0u32;
            for g in b.chunk_by(|a, b| a.id == b.id) {
                spans.push((n as u32, at, g.len() as u32));
                at += g.len() as u32;
            }
            spans
        })
        .flatten_iter()
        .collect()
}

/// Phase 2: read each message's files; returns the records and how many messages vanished.
///
/// One task per message (not per bucket) so that, with the read pool's extra threads, many reads
/// are in flight when the page cache is cold; the results are written straight into one vector
/// (no per-bucket copies at flood scale).
pub(super) fn read_groups(
    sc: &ScanCtx<'_>,
    buckets: &[Vec<Found>],
    groups: &[(u32, u32, u32)],
) -> (Vec<MessageRecord>, u64) {
    let split = buckets.len() as u32;
    let dirs: Vec<BucketDirs> = (0..split).map(|n| BucketDirs::open(sc.queue, n)).collect();
    let read_one_group = |buf: &mut Vec<u8>, &(n, at, len): &(u32, u32, u32)| {
        let group = &buckets[n as usize][at as usize..(at + len) as usize];
        let ctx = ReadCtx {
            queue: sc.queue,
            dirs: &dirs[n as usize],
            strings: sc.strings,
            opts: sc.opts,
            bucket: n,
        };
        let r = read_message(&ctx, group, buf);
        sc.progress.read.fetch_add(1, Ordering::Relaxed);
        r
    };
    let mut read: Vec<Option<MessageRecord>> = Vec::new();
    let collect = |read: &mut Vec<Option<MessageRecord>>| {
        groups
            .par_iter()
            .with_min_len(READ_BATCH)
            .map_init(|| Vec::with_capacity(FIRST_READ), read_one_group)
            .collect_into_vec(read)
    };
    match read_pool() {
        Some(pool) => pool.install(|| collect(&mut read)),
        None => collect(&mut read),
    }
    let vanished = read.iter().filter(|r| r.is_none()).count() as u64;
    // filter_map (not flatten) so std collects in place: Option<MessageRecord> has the record's
    // size, and a million records are not copied into a second vector.
    #[allow(clippy::filter_map_identity)]
    let records: Vec<MessageRecord> = read.into_iter().filter_map(|r| r).collect();
    (records, vanished)
}

/// Messages read by one task before rayon may split the work further (amortises scheduling).
const READ_BATCH: usize = 64;
/// Threads reading per core: a cold page cache is latency-bound, so more reads in flight than
/// cores is faster (issue 9 measured 4x from 1 to 32 concurrent reads on 2 cores).
const READ_THREADS_PER_CORE: usize = 8;

/// A rayon pool with more threads than cores for the read phase; `None` (use the current pool)
/// if it cannot be built.
fn read_pool() -> Option<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads(cores * READ_THREADS_PER_CORE)
        .thread_name(|i| format!("qtriage-read-{i}"))
        .build()
        .ok()
}
