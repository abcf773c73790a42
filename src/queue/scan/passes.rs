//! A scan in two passes: mess headers first, then the envelopes, together one full scan.
//!
//! At a million messages the header pass is the cheaper half (one file a message instead of
//! three or four), and it is all a first ranking by AUTH user, IP, uid, script and subject
//! needs; the TUI shows that ranking while the envelopes (senders, recipients, birth times) are
//! still being read. The envelope pass is a full scan of the queue as it is then, except that
//! for a mess file the header pass already read (same inode and size, an mtime that fits the
//! time that pass took) it takes that pass' header fields instead of opening the file again; a
//! message queued, changed or given a reused inode in between is read whole: a mess file last
//! written less than a second before that pass began, or since, is never taken from it (a
//! reused inode's new file is written after the old one was read). Its records are therefore
//! one full scan's (tested on the fixture queues), up to a queue whose files' times were set
//! back by hand.
//!
//! The header pass takes the time of a mess file it read whole (nearly every one: the first read
//! takes 8 KiB) from the date on qmail-queue's own Received line, the file's mtime when that
//! line has none, not from an `fstat` of the file: at a million messages that system call was
//! 6-10 % of the pass' wall time (docs/performance.md, ninth pass).

use std::os::fd::OwnedFd;

use super::super::layout::Layout;
use super::super::{Interner, MessageId, MessageRecord, Queue};
use super::{scan, scan_files, Progress, ReadPlan, Scan, ScanOptions};
use crate::queue::error::Result;

/// The first pass: every message's mess header block (origin, subject, From, size), no envelope.
pub fn scan_headers(queue: &Queue, strings: &Interner, progress: &Progress) -> Result<Scan> {
    let opts = ScanOptions {
        headers: true,
        envelopes: false,
    };
    scan(queue, strings, opts, progress)
}

/// The second pass: a full scan that takes `headers`' header fields (the first pass' records,
/// same interner, in scan order) for every mess file that pass read, instead of reading it
/// again. `headers` is borrowed: the TUI shows it meanwhile. `began` is when the first pass
/// began (its [`ScanReport::started`](super::ScanReport::started)).
pub fn scan_envelopes(
    queue: &Queue,
    strings: &Interner,
    headers: &[MessageRecord],
    began: i64,
    progress: &Progress,
) -> Result<Scan> {
    let plan = ReadPlan {
        opts: ScanOptions::default(),
        first_pass: Some(FirstPass {
            records: headers,
            layout: queue.layout(),
            began,
        }),
    };
    scan_files(queue, strings, plan, progress)
}

/// How many seconds after qmail-queue's Received date a mess file's last write may be and still
/// be taken for the file the header pass read: qmail-queue dates its line when it starts, before
/// the client's DATA, and the file's mtime is its last write: the same second or the next for a
/// flood's small messages. A small mess file whose sender took longer over DATA is read again
/// (a file longer than the first read is dated by its mtime, which always fits); so is every one
/// of a queue whose mtimes were not kept (copied without them), which costs time, not truth.
const SETTLED: i64 = 2;

/// The header pass' records, as the envelope pass looks them up.
#[derive(Clone, Copy)]
pub(super) struct FirstPass<'a> {
    /// In scan order: by (bucket, id).
    records: &'a [MessageRecord],
    layout: Layout,
    /// When the first pass began (unix seconds).
    began: i64,
}

impl<'a> FirstPass<'a> {
    /// The first pass' record of `id`, and the mess file's mtime, when the mess file `name`
    /// below `dir` is still the file that pass read: a regular file of the size it saw, last
    /// written no earlier than the time it took and at most [`SETTLED`] later, and before that
    /// pass began. `None` means: read it.
    pub(super) fn same_message(
        self,
        id: MessageId,
        dir: &OwnedFd,
        name: &std::ffi::CStr,
    ) -> Option<(&'a MessageRecord, i64)> {
        let key = |r: &MessageRecord| (self.layout.bucket(r.id), r.id);
        let at = self
            .records
            .binary_search_by_key(&(self.layout.bucket(id), id), key)
            .ok()?;
        let h = &self.records[at];
        // The header pass took its time from qmail-queue's Received line (or this file's mtime,
        // which fits too), and its size from this file.
        let st = rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let regular = rustix::fs::FileType::from_raw_mode(st.st_mode).is_file();
        // Checked: a hostile mtime near i64::MIN must not overflow.
        let settled = st
            .st_mtime
            .checked_sub(h.queued())
            .is_some_and(|after| (0..=SETTLED).contains(&after));
        // A new file at a reused inode was written after the first pass read the old one, so
        // after it began; a second's margin, since file times come from the kernel's coarse
        // clock, a tick behind the one `began` was read from.
        let before = st.st_mtime < self.began.saturating_sub(1);
        let same_size = st.st_size.max(0) as u64 == u64::from(h.size);
        (regular && same_size && settled && before).then_some((h, st.st_mtime))
    }
}
