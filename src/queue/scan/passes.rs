//! A scan in two passes: mess headers first, then envelopes merged in, equal to one full scan.
//!
//! At a million messages the header pass is the cheaper half (one file a message instead of
//! three or four), and it is all a first ranking by AUTH user, IP, uid, script and subject
//! needs; the TUI shows that ranking while the envelopes (senders, recipients, birth times) are
//! still being read. [`merge_envelopes`] makes the two passes' records exactly what [`scan`]
//! with headers and envelopes gives for the same files (tested on the fixture queues).

use std::cmp::Ordering;

use super::super::layout::{Layout, Subdir};
use super::super::{Interner, MessageRecord, ProblemKind, Queue};
use super::{scan, scan_files, Progress, Scan, ScanOptions};
use crate::analysis::origin::{apply_envelope_hints, EnvelopeHints};
use crate::error::Result;

/// The first pass: every message's mess header block (origin, subject, From, size), no envelope.
pub fn scan_headers(queue: &Queue, strings: &Interner, progress: &Progress) -> Result<Scan> {
    let opts = ScanOptions {
        headers: true,
        envelopes: false,
    };
    scan(queue, strings, opts, progress)
}

/// The second pass: read the envelopes (not the mess files again) and merge `headers`, the
/// first pass' records (same interner), into them, as [`merge_envelopes`] does. `headers` is
/// borrowed: the TUI is showing it meanwhile, and a million records are not copied.
pub fn scan_envelopes(
    queue: &Queue,
    strings: &Interner,
    headers: &[MessageRecord],
    progress: &Progress,
) -> Result<Scan> {
    let opts = ScanOptions {
        headers: false,
        envelopes: true,
    };
    let mut envelopes = scan_files(queue, strings, (opts, false), progress)?;
    envelopes.records = merge_envelopes(queue.layout(), strings, headers, envelopes.records);
    Ok(envelopes)
}

/// One record per message the envelope pass found: its envelope, state and parts, with the
/// header pass' size, origin, header fields and problems, as one full scan would have made it.
///
/// Both lists are in scan order ((bucket, id)). A message gone by the envelope pass is dropped
/// (it was delivered meanwhile); one queued since the header pass is kept with what its
/// envelope says (no origin yet: the next scan reads its headers).
pub fn merge_envelopes(
    layout: Layout,
    strings: &Interner,
    headers: &[MessageRecord],
    envelopes: Vec<MessageRecord>,
) -> Vec<MessageRecord> {
    let null_sender = strings.intern(b"");
    let order = |r: &MessageRecord| (layout.bucket(r.id), r.id);
    let mut headers = headers.iter().peekable();
    let mut out = Vec::with_capacity(envelopes.len());
    for env in envelopes {
        while headers
            .next_if(|h| order(h).cmp(&order(&env)) == Ordering::Less)
            .is_some()
        {}
        match headers.next_if(|h| h.id == env.id) {
            Some(h) => out.push(merged(h, env, null_sender)),
            None => out.push(env),
        }
    }
    out
}

/// `env`'s record completed with what `h` read from the mess file.
fn merged(
    h: &MessageRecord,
    mut env: MessageRecord,
    null_sender: super::super::Sym,
) -> MessageRecord {
    let hints = EnvelopeHints {
        null_sender: env.sender == Some(null_sender),
        todo_uid: env.origin.uid,
    };
    // The full scan: info/'s mtime when info/ was read, else the oldest of mess/'s and todo/'s.
    let info_time = env.parts.has(Subdir::Info) && !unread(&env, Subdir::Info);
    if !info_time {
        env.queued = match (h.queued, env.queued) {
            (0, t) | (t, 0) => t,
            (a, b) => a.min(b),
        };
    }
    env.size = h.size;
    env.qp = h.qp.or(env.qp);
    env.headers = h.headers;
    env.origin = h.origin;
    apply_envelope_hints(&mut env.origin, hints);
    let mut problems: Vec<_> = h
        .problems
        .iter()
        .chain(env.problems.iter())
        .copied()
        .collect();
    problems.sort_unstable();
    problems.dedup();
    env.problems = problems.into_boxed_slice();
    env
}

/// Was `part`'s file listed but not read (so its mtime was not taken)?
fn unread(r: &MessageRecord, part: Subdir) -> bool {
    r.problems.iter().any(|p| {
        p.part == part
            && matches!(
                p.kind,
                ProblemKind::Symlink
                    | ProblemKind::NotRegularFile
                    | ProblemKind::Unreadable
                    | ProblemKind::Vanished
            )
    })
}
