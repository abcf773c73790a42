//! Reading one message's files into its record, step by step: sort the listed files, read each,
//! take what it says, attribute the origin, settle the birth time.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

use super::super::envelope::{each_channel_record, parse_info, parse_todo, EnvelopeIssue};
use super::super::headers::{summarize_block, HEADER_CAP};
use super::super::listing::EntryKind;
use super::super::read::{read_at, read_head_at, ReadFailure, Stop};
use super::super::recipients::{RecipientList, RecipientMemo, SummaryBuilder, ENVELOPE_CAP};
use super::super::{Channel, MessageRecord, Parts, Problem, ProblemKind, Subdir};
use super::{Files, Found, ReadCtx};
use crate::queue::last_syms::LastSyms;
use crate::queue::origin::{apply_envelope_hints, attribute_with, EnvelopeHints};
use crate::queue::received::queue_line_date;

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
    name: &CStr,
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
fn stat_only(dir: &OwnedFd, name: &CStr) -> Result<FileRead, ReadFailure> {
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

/// One message being read: its record so far and what its files said that the record does not
/// keep as such.
struct Builder<'c, 'k> {
    record: MessageRecord,
    problems: Vec<Problem>,
    /// info/'s mtime: the birth time.
    queued: Option<i64>,
    /// The oldest of todo/'s and mess/'s mtimes: the birth time without info/.
    fallback_time: Option<i64>,
    /// Listed files that were gone when read.
    vanished: usize,
    recipients: SummaryBuilder,
    /// Where the whole recipient list goes when the caller wants it (`read`).
    keep: Option<&'k mut RecipientList>,
    hints: EnvelopeHints,
    /// The mess file's header block was read (into the thread's `head` buffer, which may go
    /// on into the body).
    header_read: bool,
    /// The mess file is longer than what was read of it: a header block without its end in
    /// it is too long.
    header_cut: bool,
    /// todo/ (or intd/) was read: the other one adds nothing.
    todo_seen: bool,
    /// The mess file, when it was read without its mtime (info/ was expected to give the time,
    /// or, in the header pass, qmail-queue's Received line).
    mess_unstatted: Option<Found>,
    /// The header pass' stand-in birth time: when qmail-queue began writing the mess file, from
    /// its own Received line.
    queue_line_time: Option<i64>,
    /// The header pass' record, when its header fields were taken instead of reading mess/.
    from_first_pass: Option<&'c MessageRecord>,
}

impl<'c, 'k> Builder<'c, 'k> {
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

/// Read all files of one message; `None` when every listed file vanished. With `keep`, the
/// message's whole recipient list is written there too.
pub(super) fn read_message_keeping(
    ctx: &ReadCtx<'_>,
    group: &[Found],
    bufs: ThreadBufs<'_, '_>,
    keep: Option<&mut RecipientList>,
) -> Option<MessageRecord> {
    let ThreadBufs {
        head,
        envelope,
        last,
        memo,
    } = bufs;
    let (parts, readable, problems) = sort_files(ctx, group);
    let mut b = Builder {
        record: MessageRecord::listed(group[0].id, parts),
        problems,
        queued: None,
        fallback_time: None,
        vanished: 0,
        recipients: SummaryBuilder::default(),
        keep,
        hints: EnvelopeHints::default(),
        header_read: false,
        header_cut: false,
        todo_seen: false,
        mess_unstatted: None,
        queue_line_time: None,
        from_first_pass: None,
    };
    // Every file of a message in the queue has the same name: made once, not once a file.
    let queue_name = ctx.files.name(b.record.id, Subdir::Mess);
    for f in &readable {
        let buf = if f.subdir == Subdir::Mess {
            &mut *head
        } else {
            &mut *envelope
        };
        read_part(ctx, &mut b, (f, queue_name.c_str()), (buf, memo));
    }
    if envelope.capacity() > KEPT_ENVELOPE {
        // A hostile 16 MiB envelope is not held by every reading thread until its next one.
        *envelope = Vec::new();
    }
    if b.vanished > 0 && b.vanished == readable.len() && readable.len() == group.len() {
        return None;
    }
    take_origin(ctx, &mut b, head, last);
    settle_birth(ctx, &mut b);
    let mut record = b.record;
    record.recipients = b.recipients.finish(ctx.strings, memo);
    b.problems.sort_unstable();
    record.problems = b.problems.into();
    Some(record)
}

/// Read all files of one message; `None` when every listed file vanished.
pub(super) fn read_message(
    ctx: &ReadCtx<'_>,
    group: &[Found],
    bufs: ThreadBufs<'_, '_>,
) -> Option<MessageRecord> {
    read_message_keeping(ctx, group, bufs, None)
}

/// A reading thread's buffers and memories, lent to each message it reads.
pub(super) struct ThreadBufs<'a, 's> {
    /// The mess file's header block. Envelope files are read into a buffer of their own, so
    /// that neither is given up and allocated again each message.
    pub(super) head: &'a mut Vec<u8>,
    /// The envelope file being read.
    pub(super) envelope: &'a mut Vec<u8>,
    /// The header values interned last.
    pub(super) last: &'a mut LastSyms,
    /// The recipient domains and domain sets interned last.
    pub(super) memo: &'a mut RecipientMemo<'s>,
}

/// The envelope buffer's capacity a reading thread keeps between messages (a 1,000-recipient
/// file fits).
const KEPT_ENVELOPE: usize = 64 * 1024;

/// The parts a message's listed files make, the ones to read (at most one per subdirectory: no
/// allocation per message), and the problems the listing alone shows.
fn sort_files(
    ctx: &ReadCtx<'_>,
    group: &[Found],
) -> (Parts, smallvec::SmallVec<[Found; 8]>, Vec<Problem>) {
    let mut parts = Parts::default();
    let mut readable = smallvec::SmallVec::new();
    let mut problems = Vec::new();
    let mut flag = |kind, part| {
        let p = Problem { kind, part };
        if !problems.contains(&p) {
            problems.push(p);
        }
    };
    for f in group {
        if parts.has(f.subdir) {
            // A second copy: the first, where qmail put it, is read; a stray one still shows.
            if f.dir != u32::MAX && f.dir != ctx.bucket {
                flag(ProblemKind::WrongSubdir, f.subdir);
            }
            continue;
        }
        parts.insert(f.subdir);
        if f.dir != u32::MAX && f.dir != ctx.bucket {
            flag(ProblemKind::WrongSubdir, f.subdir);
        }
        match f.kind {
            EntryKind::Symlink => flag(ProblemKind::Symlink, f.subdir),
            EntryKind::Directory | EntryKind::Other => flag(ProblemKind::NotRegularFile, f.subdir),
            EntryKind::File => readable.push(*f),
        }
    }
    (parts, readable, problems)
}

/// Read the file `f` (when this scan wants it) and take what it says into `b`.
fn read_part<'c>(
    ctx: &ReadCtx<'c>,
    b: &mut Builder<'c, '_>,
    (f, queue_name): (&Found, &CStr),
    (buf, memo): (&mut Vec<u8>, &mut RecipientMemo<'_>),
) {
    let parts = b.record.parts;
    let id = b.record.id;
    // A file in the wrong split directory lives in another bucket's directory.
    let mut other_dir = None;
    let Some(dir_fd) = ctx.files.dir(f, &mut other_dir) else {
        b.flag(ProblemKind::Unreadable, f.subdir);
        return;
    };
    let needed = match f.subdir {
        Subdir::Mess => true,
        Subdir::Bounce => false,
        Subdir::Intd => ctx.opts.envelopes && !parts.has(Subdir::Todo),
        _ => ctx.opts.envelopes,
    };
    if !needed {
        return;
    }
    let (cap, header) = match f.subdir {
        Subdir::Mess if ctx.opts.headers => (HEADER_CAP, true),
        Subdir::Mess => (0, false),
        _ => (ENVELOPE_CAP, false),
    };
    let yank_name;
    let name = match ctx.files {
        Files::Queue { .. } => queue_name,
        Files::YankArea(_) => {
            yank_name = ctx.files.name(id, f.subdir);
            yank_name.c_str()
        }
    };
    if f.subdir == Subdir::Mess {
        // The envelope pass: the header pass read this very file (same size, an mtime within
        // `SETTLED` after the time that pass took).
        if let Some((h, mtime)) = ctx
            .first_pass
            .and_then(|p| p.same_message(id, dir_fd, name))
        {
            b.record.size = h.size;
            // Judged on this pass' listing: a header pass lists no info/, local/ or remote/.
            flag_empty_mess(b, u64::from(h.size));
            b.fallback_time.get_or_insert(mtime);
            b.from_first_pass = Some(h);
            return;
        }
    }
    // info/'s mtime is the birth time; todo/'s and mess/'s stand in for it without info/. The
    // header pass reads no envelope: qmail-queue's Received line stands in for it there, which
    // spares an fstat a message (`settle_birth` stats the file when that line gives no date).
    let want_mtime = match f.subdir {
        Subdir::Info | Subdir::Todo | Subdir::Intd => true,
        Subdir::Mess => ctx.opts.envelopes && !parts.has(Subdir::Info),
        _ => false,
    };
    let stat = want_mtime || !ctx.types_known;
    let st = match read_file(dir_fd, name, buf, (cap, header), stat) {
        Ok(st) => st,
        Err(p) => {
            b.vanished += usize::from(p == ProblemKind::Vanished);
            b.flag(p, f.subdir);
            return;
        }
    };
    match f.subdir {
        Subdir::Mess => take_mess(b, f, st, header, buf),
        Subdir::Info => take_info(ctx, b, st.mtime, buf),
        Subdir::Local | Subdir::Remote => take_channel(ctx, b, f.subdir, (buf, memo)),
        Subdir::Todo | Subdir::Intd => take_todo(ctx, b, f.subdir, st.mtime, (buf, memo)),
        Subdir::Bounce => {}
    }
}

/// The mess file: its size, its mtime as a stand-in birth time, its header block.
fn take_mess(b: &mut Builder<'_, '_>, f: &Found, st: FileRead, header: bool, head: &[u8]) {
    b.record.size = MessageRecord::size_of(st.size);
    flag_empty_mess(b, st.size);
    if let Some(t) = st.mtime {
        b.fallback_time.get_or_insert(t);
    } else {
        b.mess_unstatted = Some(*f);
    }
    if header {
        // Where the block ends is found as it is split into fields ([`take_origin`]).
        b.header_cut = st.size as usize > head.len();
        b.header_read = true;
    }
}

/// An empty mess file of a message with an envelope file is a problem (one still being received
/// is not).
fn flag_empty_mess(b: &mut Builder<'_, '_>, size: u64) {
    let parts = b.record.parts;
    let enveloped = [Subdir::Todo, Subdir::Intd, Subdir::Info, Subdir::Local]
        .into_iter()
        .any(|s| parts.has(s) || parts.has(Subdir::Remote));
    if size == 0 && enveloped {
        b.flag(ProblemKind::EmptyMess, Subdir::Mess);
    }
}

/// info/: the sender, and the birth time.
fn take_info(ctx: &ReadCtx<'_>, b: &mut Builder<'_, '_>, mtime: Option<i64>, buf: &[u8]) {
    b.queued = mtime;
    let (sender, issue) = parse_info(buf);
    b.envelope(issue, Subdir::Info);
    if let Some(s) = sender {
        b.hints.null_sender = s.is_empty();
        b.record.sender = Some(ctx.strings.intern(s));
    }
}

/// local/ or remote/: recipients.
fn take_channel(
    ctx: &ReadCtx<'_>,
    b: &mut Builder<'_, '_>,
    subdir: Subdir,
    (buf, memo): (&[u8], &mut RecipientMemo<'_>),
) {
    let channel = if subdir == Subdir::Local {
        Channel::Local
    } else {
        Channel::Remote
    };
    let (recipients, keep) = (&mut b.recipients, &mut b.keep);
    let issue = each_channel_record(buf, |a, done| {
        recipients.add(ctx.strings, memo, a, channel);
        if let Some(list) = keep.as_deref_mut() {
            list.push(a, channel, done);
        }
    });
    b.envelope(issue, subdir);
}

/// todo/ or intd/: the uid and pid, the sender without info/, the recipients without
/// local/ and remote/; a stand-in birth time.
fn take_todo(
    ctx: &ReadCtx<'_>,
    b: &mut Builder<'_, '_>,
    subdir: Subdir,
    mtime: Option<i64>,
    (buf, memo): (&[u8], &mut RecipientMemo<'_>),
) {
    if b.todo_seen {
        return;
    }
    b.todo_seen = true;
    if let Some(mtime) = mtime {
        b.fallback_time = Some(b.fallback_time.map_or(mtime, |t| t.min(mtime)));
    }
    let (env, issue) = parse_todo(buf);
    b.envelope(issue, subdir);
    b.hints.todo_uid = env.uid;
    b.record.qp = env.pid.and_then(std::num::NonZeroU32::new);
    if b.record.sender.is_none() {
        if let Some(s) = env.sender {
            b.hints.null_sender = s.is_empty();
            b.record.sender = Some(ctx.strings.intern(s));
        }
    }
    let parts = b.record.parts;
    if !parts.has(Subdir::Local) && !parts.has(Subdir::Remote) {
        for a in env.recipients {
            b.recipients.add(ctx.strings, memo, a, Channel::Todo);
            if let Some(list) = b.keep.as_deref_mut() {
                list.push(a, Channel::Todo, false);
            }
        }
    }
}

/// The origin and header fields: from the header block read, else from the header pass'
/// record, else from the envelope alone. `head` holds what was read of the mess file, its
/// header block first, when it was read.
fn take_origin(ctx: &ReadCtx<'_>, b: &mut Builder<'_, '_>, head: &[u8], last: &mut LastSyms) {
    let record = &mut b.record;
    if b.header_read {
        let (summary, end) = summarize_block(head);
        let too_long = end.is_none() && b.header_cut;
        let unparsed =
            summary.has_nul || (summary.garbage_lines > 0 && summary.queue_received.is_none());
        b.queue_line_time = summary.queue_received.as_deref().and_then(queue_line_date);
        let a = attribute_with(&summary, b.hints, last, ctx.strings);
        record.origin = a.origin;
        record.headers = a.headers;
        record.qp = a.qp.or(record.qp);
        if too_long {
            b.flag(ProblemKind::HeaderTooLong, Subdir::Mess);
        }
        if unparsed {
            b.flag(ProblemKind::UnparsedHeader, Subdir::Mess);
        }
    } else if let Some(h) = b.from_first_pass {
        b.queue_line_time = h.qmail_queue_time();
        record.origin = h.origin;
        apply_envelope_hints(&mut record.origin, b.hints);
        record.headers = h.headers;
        record.qp = h.qp.or(record.qp);
        for p in h.problems.iter().filter(|p| p.part == Subdir::Mess) {
            b.flag(p.kind, Subdir::Mess);
        }
    } else {
        apply_envelope_hints(&mut record.origin, b.hints);
    }
}

/// The birth time: info/'s mtime, else the oldest of todo/'s and mess/'s, else 0. The header
/// pass, which reads no envelope, takes qmail-queue's Received date for mess/'s mtime.
fn settle_birth(ctx: &ReadCtx<'_>, b: &mut Builder<'_, '_>) {
    let header_pass_unstatted = !ctx.opts.envelopes && b.mess_unstatted.is_some();
    if let (None, Some(t), true) = (b.queued, b.queue_line_time, header_pass_unstatted) {
        // The header pass, for a mess file it read unstatted: nothing else gave a time.
        b.fallback_time = Some(t);
    } else if b.queued.is_none() {
        // info/ was listed but could not be read (or, in the header pass, qmail-queue's line
        // gave no date): the mess file's mtime stands in after all (the oldest of it and
        // todo/'s, as when info/ is not listed).
        if let Some(f) = b.mess_unstatted {
            let mut other_dir = None;
            if let Some(dir_fd) = ctx.files.dir(&f, &mut other_dir) {
                let name = ctx.files.name(b.record.id, Subdir::Mess);
                if let Some(t) = mtime_at(dir_fd, &name) {
                    b.fallback_time = Some(b.fallback_time.map_or(t, |f| f.min(t)));
                }
            }
        }
    }
    b.record
        .set_queued(b.queued.or(b.fallback_time).unwrap_or(0));
    b.record.set_qmail_queue_time(b.queue_line_time);
}
