//! Parallel read-only walk of a queue producing one MessageRecord per message id.
//!
//! Phase 1 lists every queue directory (no file is opened). Phase 2 groups the entries of each
//! split bucket by id and reads each message's files with `openat(O_NOFOLLOW|O_NONBLOCK)`
//! relative to its directory: no symlink is followed and no FIFO blocks the scan. Messages are
//! read in parallel, in a rayon pool wider than the cores (a cold cache wants many reads in
//! flight). A file that vanished between listing and reading is normal during a flood: it is a
//! problem on the record, or the message is dropped if all of it is gone.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::envelope::{parse_channel, parse_info, parse_todo, EnvelopeIssue};
use super::headers::{header_end, summarize, HEADER_CAP};
use super::listing::{list, Entry, EntryKind};
use super::read::{read_at, read_head_at, ReadFailure, Stop};
use super::{
    Channel, Interner, MessageId, MessageRecord, Parts, Problem, ProblemKind, Queue, Recipient,
    Subdir,
};
use crate::analysis::origin::{apply_envelope_hints, attribute, EnvelopeHints};
use crate::error::Result;

mod dirs;
mod one;
mod parallel;
mod passes;
mod stream;
mod yanked;
use dirs::{BucketDirs, Files};
pub use one::read_one;
use parallel::{place, read_listed, ScanCtx};
use passes::FirstPass;
pub use passes::{scan_envelopes, scan_headers};
pub use stream::{stream_info_messages, QreadFormat, QreadMessage};
pub use yanked::{parse_yank_name, scan_yank_area, MAX_YANKED_ENTRIES};

/// The most bytes read from one envelope file (10,000 recipients of 1,000 bytes fit).
pub const ENVELOPE_CAP: usize = 16 * 1024 * 1024;

/// What to read besides the directory listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Read mess/ header blocks (origin, subject, From).
    pub headers: bool,
    /// Read info/ local/ remote/ todo/ (sender, recipients, birth time).
    pub envelopes: bool,
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
    let mut report = ScanReport::default();

    // Phase 1: list. Unsplit directories first, distributed into buckets by id.
    let mut buckets: Vec<Vec<Found>> = vec![Vec::new(); split as usize];
    let mut untyped = 0;
    for subdir in [Subdir::Todo, Subdir::Intd, Subdir::Bounce] {
        if layout.is_split(subdir) {
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
    let split_subdirs: Vec<Subdir> = Subdir::ALL
        .into_iter()
        .filter(|s| layout.is_split(*s))
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

/// The problem to record for a file that could not be read.
fn problem_of(err: &ReadFailure) -> ProblemKind {
    match err {
        ReadFailure::Symlink => ProblemKind::Symlink,
        ReadFailure::NotRegularFile => ProblemKind::NotRegularFile,
        ReadFailure::Io(e) if e.kind() == io::ErrorKind::NotFound => ProblemKind::Vanished,
        ReadFailure::Io(_) => ProblemKind::Unreadable,
    }
}

/// What reading one file gave besides its bytes.
struct FileRead {
    size: u64,
    /// Its mtime; `None` when the file was read without `fstat` (see [`read_head_at`]).
    mtime: Option<i64>,
}

/// Read one of a message's files (see [`read_at`]: no links followed, no FIFO blocks, bounded);
/// `until_header_end` stops early at the end of a header block. Only a file whose mtime
/// matters (`want_mtime`) is always `fstat`ed.
fn read_file(
    dir: &OwnedFd,
    name: &str,
    buf: &mut Vec<u8>,
    (cap, until_header_end): (usize, bool),
    want_mtime: bool,
) -> Result<FileRead, ProblemKind> {
    let stop = if until_header_end {
        Stop::HeaderEnd
    } else {
        Stop::Cap
    };
    if cap == 0 {
        // Only the size (and mtime) is wanted, as qmail-qread's stat of mess/: one statat, no
        // open. The entry itself, never a link's target.
        return stat_only(dir, name).map_err(|e| problem_of(&e));
    }
    let read = if want_mtime {
        read_at(dir.as_fd(), name, cap, stop, buf).map(|st| FileRead {
            size: st.size,
            mtime: Some(st.mtime),
        })
    } else {
        read_head_at(dir.as_fd(), name, cap, stop, buf).map(|h| FileRead {
            size: h.size.unwrap_or(0),
            mtime: h.mtime,
        })
    };
    read.map_err(|e| problem_of(&e))
}

/// The size and mtime of the regular file `name` below `dir`, without opening or following it.
fn stat_only(dir: &OwnedFd, name: &str) -> std::result::Result<FileRead, ReadFailure> {
    use rustix::fs::{AtFlags, FileType};
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => Ok(FileRead {
            size: st.st_size.max(0) as u64,
            mtime: Some(st.st_mtime),
        }),
        FileType::Symlink => Err(ReadFailure::Symlink),
        _ => Err(ReadFailure::NotRegularFile),
    }
}

/// The mtime of `name` below `dir`, without following a link.
fn mtime_at(dir: &OwnedFd, name: &str) -> Option<i64> {
    rustix::fs::statat(dir, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
        .ok()
        .map(|st| st.st_mtime)
}

#[derive(Default)]
struct Builder {
    problems: Vec<Problem>,
    queued: Option<i64>,
    fallback_time: Option<i64>,
}

impl Builder {
    fn flag(&mut self, kind: ProblemKind, part: Subdir) {
        let p = Problem { kind, part };
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }
    fn envelope(&mut self, issue: EnvelopeIssue, part: Subdir) {
        if issue.truncated {
            self.flag(ProblemKind::TruncatedEnvelope, part);
        }
        if issue.unknown_record {
            self.flag(ProblemKind::UnknownRecord, part);
        }
        if issue.non_utf8 {
            self.flag(ProblemKind::NonUtf8Address, part);
        }
    }
}

/// Read all files of one message; `None` when every listed file vanished.
fn read_message(ctx: &ReadCtx<'_>, group: &[Found], buf: &mut Vec<u8>) -> Option<MessageRecord> {
    let id = group[0].id;
    let mut b = Builder::default();
    let mut parts = Parts::default();
    let mut vanished = 0;
    // At most one file per queue subdirectory: no allocation per message.
    let mut readable: smallvec::SmallVec<[Found; 8]> = smallvec::SmallVec::new();
    for f in group {
        if parts.has(f.subdir) {
            continue;
        }
        parts.insert(f.subdir);
        if f.dir != u32::MAX && f.dir != ctx.bucket {
            b.flag(ProblemKind::WrongSubdir, f.subdir);
        }
        match f.kind {
            EntryKind::Symlink => b.flag(ProblemKind::Symlink, f.subdir),
            EntryKind::Directory | EntryKind::Other => {
                b.flag(ProblemKind::NotRegularFile, f.subdir)
            }
            EntryKind::File => readable.push(*f),
        }
    }
    let mut record = MessageRecord::listed(id, parts);
    let mut recipients: Vec<Recipient> = Vec::new();
    let mut hints = EnvelopeHints::default();
    let mut header_block: Option<Vec<u8>> = None;
    let mut todo_seen = false;
    // The mess file, when it was read without its mtime (info/ was expected to give the time).
    let mut mess_unstatted: Option<Found> = None;
    let mut from_first_pass: Option<&MessageRecord> = None;
    for f in &readable {
        // A file in the wrong split directory lives in another bucket's directory.
        let mut other_dir = None;
        let Some(dir_fd) = ctx.files.dir(f, &mut other_dir) else {
            b.flag(ProblemKind::Unreadable, f.subdir);
            continue;
        };
        let needed = match f.subdir {
            Subdir::Mess => true,
            Subdir::Bounce => false,
            Subdir::Intd => ctx.opts.envelopes && !parts.has(Subdir::Todo),
            _ => ctx.opts.envelopes,
        };
        if !needed {
            continue;
        }
        let (cap, header) = match f.subdir {
            Subdir::Mess if ctx.opts.headers => (HEADER_CAP, true),
            Subdir::Mess => (0, false),
            _ => (ENVELOPE_CAP, false),
        };
        let name = ctx.files.name(id, f.subdir);
        if f.subdir == Subdir::Mess {
            // The envelope pass: the header pass read this very file (same size and mtime).
            if let Some(h) = ctx
                .first_pass
                .and_then(|p| p.same_message(id, dir_fd, &name))
            {
                record.size = h.size;
                b.fallback_time.get_or_insert(h.queued);
                from_first_pass = Some(h);
                continue;
            }
        }
        // info/'s mtime is the birth time; todo/'s and mess/'s stand in for it without info/.
        let want_mtime = match f.subdir {
            Subdir::Info | Subdir::Todo | Subdir::Intd => true,
            Subdir::Mess => !(ctx.opts.envelopes && parts.has(Subdir::Info)),
            _ => false,
        };
        let stat = want_mtime || !ctx.types_known;
        let (mtime, size) = match read_file(dir_fd, &name, buf, (cap, header), stat) {
            Ok(st) => (st.mtime, st.size),
            Err(ProblemKind::Vanished) => {
                vanished += 1;
                b.flag(ProblemKind::Vanished, f.subdir);
                continue;
            }
            Err(p) => {
                b.flag(p, f.subdir);
                continue;
            }
        };
        match f.subdir {
            Subdir::Mess => {
                record.size = size;
                let enveloped = [Subdir::Todo, Subdir::Intd, Subdir::Info, Subdir::Local]
                    .into_iter()
                    .any(|s| parts.has(s) || parts.has(Subdir::Remote));
                if size == 0 && enveloped {
                    b.flag(ProblemKind::EmptyMess, Subdir::Mess);
                }
                if let Some(t) = mtime {
                    b.fallback_time.get_or_insert(t);
                } else {
                    mess_unstatted = Some(*f);
                }
                if header {
                    match header_end(buf) {
                        Some(end) => buf.truncate(end),
                        None if size as usize > buf.len() => {
                            b.flag(ProblemKind::HeaderTooLong, Subdir::Mess)
                        }
                        None => {}
                    }
                    header_block = Some(std::mem::take(buf));
                }
            }
            Subdir::Info => {
                b.queued = mtime;
                let (sender, issue) = parse_info(buf);
                b.envelope(issue, Subdir::Info);
                if let Some(s) = sender {
                    hints.null_sender = s.is_empty();
                    record.sender = Some(ctx.strings.intern(s));
                }
            }
            Subdir::Local | Subdir::Remote => {
                let (rcpts, issue) = parse_channel(buf);
                b.envelope(issue, f.subdir);
                let channel = if f.subdir == Subdir::Local {
                    Channel::Local
                } else {
                    Channel::Remote
                };
                // Exactly sized: the list becomes the record's box without a shrinking realloc
                // (which leaves a flood's one-recipient box in a 48-byte chunk, not 32).
                recipients.reserve_exact(rcpts.len());
                recipients.extend(rcpts.into_iter().map(|(a, done)| Recipient {
                    address: ctx.strings.intern(a),
                    channel,
                    done,
                }));
            }
            Subdir::Todo | Subdir::Intd => {
                if todo_seen {
                    continue;
                }
                todo_seen = true;
                if let Some(mtime) = mtime {
                    b.fallback_time = Some(b.fallback_time.map_or(mtime, |t| t.min(mtime)));
                }
                let (env, issue) = parse_todo(buf);
                b.envelope(issue, f.subdir);
                hints.todo_uid = env.uid;
                record.qp = env.pid;
                if record.sender.is_none() {
                    if let Some(s) = env.sender {
                        hints.null_sender = s.is_empty();
                        record.sender = Some(ctx.strings.intern(s));
                    }
                }
                if !parts.has(Subdir::Local) && !parts.has(Subdir::Remote) {
                    recipients.reserve_exact(env.recipients.len());
                    recipients.extend(env.recipients.into_iter().map(|a| Recipient {
                        address: ctx.strings.intern(a),
                        channel: Channel::Todo,
                        done: false,
                    }));
                }
            }
            Subdir::Bounce => {}
        }
    }
    if vanished > 0 && vanished == readable.len() && readable.len() == group.len() {
        return None;
    }
    if let Some(h) = header_block.as_deref() {
        let summary = summarize(h);
        if summary.has_nul || (summary.garbage_lines > 0 && summary.queue_received.is_none()) {
            b.flag(ProblemKind::UnparsedHeader, Subdir::Mess);
        }
        let a = attribute(&summary, hints, ctx.strings);
        record.origin = a.origin;
        record.headers = a.headers;
        record.qp = a.qp.or(record.qp);
        *buf = header_block.unwrap_or_default();
    } else if let Some(h) = from_first_pass {
        record.origin = h.origin;
        apply_envelope_hints(&mut record.origin, hints);
        record.headers = h.headers;
        record.qp = h.qp.or(record.qp);
        for p in h.problems.iter().filter(|p| p.part == Subdir::Mess) {
            b.flag(p.kind, Subdir::Mess);
        }
    } else {
        apply_envelope_hints(&mut record.origin, hints);
    }
    if b.queued.is_none() {
        // info/ was listed but could not be read: the mess file's mtime stands in after all
        // (the oldest of it and todo/'s, as when info/ is not listed).
        if let Some(f) = mess_unstatted {
            let mut other_dir = None;
            if let Some(dir_fd) = ctx.files.dir(&f, &mut other_dir) {
                if let Some(t) = mtime_at(dir_fd, &ctx.files.name(id, Subdir::Mess)) {
                    b.fallback_time = Some(b.fallback_time.map_or(t, |f| f.min(t)));
                }
            }
        }
    }
    record.queued = b.queued.or(b.fallback_time).unwrap_or(0);
    record.recipients = recipients.into_boxed_slice();
    b.problems.sort_unstable();
    record.problems = b.problems.into_boxed_slice();
    Some(record)
}
