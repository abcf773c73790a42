//! One message shown whole for the operator: its envelope, Received chain, subject, headers and
//! the start of its body, from a bounded read of its mess file (the TUI's inspector and the CLI's
//! `show` print it).
//!
//! The TUI runs it on its worker thread. The read is the queue's ([`read_message_file`]): it never follows a
//! symlink, never blocks on a FIFO and stops at [`HEADER_CAP`] header bytes plus [`BODY_PREVIEW`]
//! body bytes. Every string produced is
//! already sanitized, so the view only lays it out.

use crate::logs::LogAttribution;
use crate::queue::date::rfc3339;
use crate::queue::headers::{decode_text_cow, fields, header_end, HEADER_CAP};
use crate::queue::read::{read_message_file, Stop};
use crate::queue::{
    AuthSource, Interner, MessageId, MessageRecord, OriginKind, Queue, RecipientList, Subdir, Sym,
};
use crate::sanitize::sanitize_bytes;

/// The inspector's content, built from a bounded read (all text sanitized).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The message.
    pub id: MessageId,
    /// Envelope lines (`sender`, recipients, state, size, birth).
    pub envelope: Vec<String>,
    /// Received lines, first (qmail-queue's) first.
    pub received: Vec<String>,
    /// Index into `received` of the line the origin was extracted from.
    pub origin_line: Option<usize>,
    /// Subject decoded, and its raw bytes shown escaped.
    pub subject: Option<(String, String)>,
    /// Other header fields, `Name: value`, bounded.
    pub headers: Vec<String>,
    /// The first body lines, bounded; binary bytes shown escaped.
    pub body: Vec<String>,
    /// Why something could not be read (vanished, symlink...).
    pub problem: Option<String>,
}

impl Inspection {
    /// An empty inspection of `id` (filled in by `inspect`).
    pub fn empty(id: MessageId) -> Inspection {
        Inspection {
            id,
            envelope: Vec::new(),
            received: Vec::new(),
            origin_line: None,
            subject: None,
            headers: Vec::new(),
            body: Vec::new(),
            problem: None,
        }
    }
}

/// Body bytes read for the preview.
pub const BODY_PREVIEW: usize = 4 * 1024;
/// Body lines shown.
pub const MAX_BODY_LINES: usize = 40;
/// Header fields shown (besides Received and Subject).
pub const MAX_HEADERS: usize = 100;
/// Recipients listed in the envelope section.
pub const MAX_RECIPIENTS: usize = 20;
/// Characters kept of one shown line (after sanitizing).
pub const MAX_LINE_CHARS: usize = 500;

fn clip(s: std::borrow::Cow<'_, str>) -> String {
    crate::sanitize::clipped(s, MAX_LINE_CHARS)
}

fn text(strings: &Interner, sym: Option<Sym>) -> String {
    sym.map_or_else(
        || "-".to_string(),
        |s| clip(sanitize_bytes(&strings.resolve(s))),
    )
}

/// The envelope line of a message the operator picked back from the yank area as real mail.
pub const PICKED_BACK: &str =
    "picked back from the yank area as real mail (restored:yes): qtriage plan and report leave it";

/// Say in `i`'s envelope that the operator picked it back from the yank area as real mail, when
/// the picks read from the yank area's journal (`picks`, `Restored::in_queue`) hold it: `plan`
/// and `report` leave such a message, and neither `show` nor the inspector said so (newuser52).
/// Picks that could not be read say nothing here (the plan says they are not known).
pub fn note_picked_back<E>(i: &mut Inspection, picks: &Result<crate::actions::Restored, E>) {
    if picks.as_ref().is_ok_and(|p| p.contains(i.id)) {
        i.envelope.push(PICKED_BACK.to_string());
    }
}

/// The inspector content for `r`; `log` is the log line that named its AUTH user, when its
/// headers did not (`--log`).
pub fn inspect(
    queue: &Queue,
    strings: &Interner,
    r: &MessageRecord,
    log: Option<&LogAttribution>,
) -> Inspection {
    // The record keeps only counts of its recipients: the list is read from the envelope files.
    let rcpts = crate::queue::recipients_of(queue, r);
    let mut envelope = envelope(strings, r, &rcpts);
    if r.origin.auth_source == AuthSource::Log {
        // The headers name no AUTH user: the one shown is the logs' claim, and the operator
        // must see that, and on which line it rests, before yanking on it.
        envelope.push(match log {
            Some(l) => format!(
                "auth user {} from the logs, not the headers: {}",
                clip(sanitize_bytes(l.auth_user.as_bytes())),
                clip(sanitize_bytes(l.evidence.as_bytes()))
            ),
            None => "auth user from the logs (--log), not the headers".to_string(),
        });
        // The line itself, read again from its file (logs are not kept in memory): what the
        // operator yanks on. Attacker-influenced text, so sanitized like everything shown.
        if let Some(l) = log {
            envelope.push(match crate::logs::reader::line_at(&l.file, l.at.line) {
                Ok(Some(line)) => format!("log line: {}", clip(sanitize_bytes(&line))),
                Ok(None) => "log line: no longer in its file (rotated?)".to_string(),
                Err(e) => format!("log line: not read ({e})"),
            });
        }
    }
    let mut out = Inspection {
        envelope,
        ..Inspection::empty(r.id)
    };
    let bytes = match read_bounded(queue, r) {
        Ok(b) => b,
        Err(why) => {
            out.problem = Some(why);
            return out;
        }
    };
    let end = header_end(&bytes);
    let (header, body) = match end {
        Some(e) => (&bytes[..e], bytes.get(e..).unwrap_or_default()),
        None => (&bytes[..bytes.len().min(HEADER_CAP)], &b""[..]),
    };
    let mut it = fields(header);
    let mut not_shown = 0usize;
    for f in it.by_ref() {
        let value = clip(sanitize_bytes(&f.value));
        if f.is("received") {
            out.received.push(value.trim_start().to_string());
        } else if f.is("subject") && out.subject.is_none() {
            let decoded = clip(sanitize_bytes(&decode_text_cow(&f.value)));
            out.subject = Some((decoded, value.trim_start().to_string()));
        } else if out.headers.len() < MAX_HEADERS {
            let name = sanitize_bytes(f.name);
            out.headers.push(format!("{name}:{value}"));
        } else {
            not_shown += 1;
        }
    }
    // Said, not dropped in silence: a field past the cap may be the one that matters.
    if not_shown > 0 {
        out.headers.push(format!(
            "({} not shown)",
            crate::size::counted(not_shown as u64, "more field", "more fields")
        ));
    }
    // A line that is no `name: value` field (a name with an escape in it) is skipped by every
    // reader: say so, not show the rest as if it were all (the hostile-input audit).
    if it.garbage > 0 {
        out.headers.push(format!(
            "({} not parsed as `name: value` fields)",
            crate::size::counted(it.garbage as u64, "line", "lines")
        ));
    }
    out.origin_line = match r.origin.kind {
        OriginKind::Smtp | OriginKind::SmtpAuth if out.received.len() > 1 => Some(1),
        OriginKind::Local | OriginKind::Bounce | OriginKind::Alias if !out.received.is_empty() => {
            Some(0)
        }
        _ => None,
    };
    out.body = body_lines(body.strip_prefix(b"\n").unwrap_or(body));
    if end.is_none() {
        // A read that stopped short of the limit reached the file's end: the message ends in
        // its header, no limit was hit (newuser60, a 204-byte message).
        let (problem, body) = match bytes.len() < HEADER_CAP + BODY_PREVIEW {
            true => (
                "the message ends inside its header block (no blank line after its fields)",
                "(none: the message ends inside its header block)",
            ),
            false => (
                "the header block did not end within the read limit",
                "(not reached: the header block did not end within the read limit)",
            ),
        };
        out.problem = Some(problem.into());
        // Not an empty body: the read stopped before it, or there is none.
        out.body = vec![body.into()];
    }
    out
}

fn envelope(strings: &Interner, r: &MessageRecord, rcpts: &RecipientList) -> Vec<String> {
    let o = &r.origin;
    let mut v = vec![
        format!(
            "#{}  {}  {}  queued {}",
            r.id,
            r.state.name(),
            crate::size::human_bytes(u64::from(r.size)),
            r.birth().map_or_else(|| "-".to_string(), rfc3339)
        ),
        format!(
            "sender <{}>",
            r.sender
                .map_or_else(String::new, |s| text(strings, Some(s)))
        ),
        format!(
            "origin {}  ip {}  auth {}  helo {}  uid {}  script {}",
            o.kind.name(),
            text(strings, o.ip),
            text(strings, o.auth_user),
            text(strings, o.helo),
            o.uid().map_or_else(|| "-".to_string(), |u| u.to_string()),
            text(strings, o.script),
        ),
        crate::size::counted(r.recipients.len() as u64, "recipient", "recipients"),
    ];
    for rc in rcpts.iter().take(MAX_RECIPIENTS) {
        let done = if rc.done { "  (done)" } else { "" };
        v.push(format!(
            "  {:<6} {}{done}",
            rc.channel.name(),
            clip(sanitize_bytes(rc.address))
        ));
    }
    if rcpts.len() > MAX_RECIPIENTS {
        v.push(format!(
            "  … {} more",
            crate::size::thousands((rcpts.len() - MAX_RECIPIENTS) as u64)
        ));
    }
    if !r.problems.is_empty() {
        let p: Vec<String> = r.problems.iter().map(|p| p.to_string()).collect();
        v.push(format!("problems: {}", p.join(", ")));
    }
    v
}

fn body_lines(body: &[u8]) -> Vec<String> {
    if body.is_empty() {
        return vec!["(empty body)".into()];
    }
    let odd = body
        .iter()
        .filter(|&&b| b == 0 || (b < 32 && !b"\t\r\n".contains(&b)))
        .count();
    let mut out = Vec::new();
    if odd * 10 > body.len() {
        out.push(format!(
            "(binary: {odd} control bytes in the first {} bytes, shown escaped)",
            body.len()
        ));
    }
    for line in body.split(|&b| b == b'\n').take(MAX_BODY_LINES) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        out.push(clip(sanitize_bytes(line)));
    }
    out
}

/// Read the head of the mess file through the queue's one bounded no-follow read: no symbolic
/// link anywhere below the queue root, no FIFO, at most the header cap plus the preview.
fn read_bounded(queue: &Queue, r: &MessageRecord) -> Result<Vec<u8>, String> {
    if !r.parts.has(Subdir::Mess) {
        return Err("no mess file (info without mess)".into());
    }
    let mut buf = Vec::new();
    read_message_file(
        queue,
        Subdir::Mess,
        r.id,
        HEADER_CAP + BODY_PREVIEW,
        Stop::Cap,
        &mut buf,
    )
    .map_err(|e| sanitize_bytes(e.to_string().as_bytes()).into_owned())?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{MessageSpec, QueueBuilder};
    use crate::queue::{scan, Progress, QueueOptions, ScanOptions};

    #[test]
    fn hostile_message_is_shown_escaped_with_the_origin_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fq = QueueBuilder::new(dir.path())
            .split(3)
            .create()
            .expect("queue");
        let spec = MessageSpec::new()
            .sender("evil\x1b[2J@spam.example")
            .remote("a@b.example")
            .received_from("86.107.221.138")
            .auth("test")
            .subject("=?UTF-8?B?0J/RgNC40LLQtdGC?= \x1b]0;owned\x07")
            .header("X-\x1b[2JEvil", b"v")
            .body(b"hello\x1b[31m red\n\xff\xfe\n".as_slice());
        fq.add(&spec).expect("add");
        let q = Queue::open(fq.root(), QueueOptions::default()).expect("open");
        let strings = Interner::new();
        let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
        let i = inspect(&q, &strings, &s.records[0], None);
        assert_eq!(i.origin_line, Some(1));
        assert!(
            i.received[1].contains("test@86.107.221.138"),
            "{:?}",
            i.received
        );
        let (decoded, raw) = i.subject.clone().expect("subject");
        assert!(decoded.starts_with("Привет \\e]0;owned\\x07"), "{decoded}");
        assert!(raw.starts_with("=?UTF-8?B?"), "{raw}");
        assert_eq!(i.body[0], "hello\\e[31m red");
        assert_eq!(i.body[1], "\\xff\\xfe");
        assert!(i.envelope[1].contains("evil\\e[2J@spam.example"));
        // A field whose name holds an escape is no field: it is said to be skipped.
        let skipped = "(1 line not parsed as `name: value` fields)";
        assert_eq!(
            i.headers.last().map(String::as_str),
            Some(skipped),
            "{:?}",
            i.headers
        );
        let all = format!("{i:?}");
        assert!(!all.contains('\x1b'), "raw ESC leaked");
    }

    /// Issue 19: an AUTH user the logs gave (no header names one) says so, with its line.
    #[test]
    fn an_auth_user_from_the_logs_shows_its_log_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fq = QueueBuilder::new(dir.path()).create().expect("queue");
        fq.add(&MessageSpec::new().received_from("86.107.221.138"))
            .expect("add");
        let q = Queue::open(fq.root(), QueueOptions::default()).expect("open");
        let strings = Interner::new();
        let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
        let mut r = s.records[0].clone();
        assert!(!inspect(&q, &strings, &r, None)
            .envelope
            .iter()
            .any(|l| l.contains("from the logs")));
        r.origin.auth_user = Some(strings.intern(b"test"));
        r.origin.auth_source = AuthSource::Log;
        // The log file the attribution points into: its third line, with an escape in it.
        let log_file = dir.path().join("current");
        std::fs::write(
            &log_file,
            b"@4000000069260d7f0a1b2c3d tcpserver: status: 1/20\n\
              @4000000069260d7f0a1b2c3e tcpserver: pid 7 from 86.107.221.138\n\
              @4000000069260d7f0a1b2c3f CHKUSER accepted rcpt: from <x@y> remote <h:\x1b]0;t:86.107.221.138> rcpt <a@b> : auth test\n",
        )
        .expect("log");
        let line = LogAttribution {
            auth_user: "test".into(),
            evidence:
                "from log: CHKUSER line at 2026-11-23T09:59:59Z (/var/log/qmail/smtpd/current:3)"
                    .into(),
            ip: "86.107.221.138".parse().ok(),
            source: crate::logs::AttributionSource::Chkuser,
            time: 0,
            at: crate::logs::event::LogRef { file: 0, line: 3 },
            file: log_file.clone(),
        };
        let i = inspect(&q, &strings, &r, Some(&line));
        assert!(
            i.envelope.iter().any(|l| l
                == "auth user test from the logs, not the headers: from log: CHKUSER line at \
                    2026-11-23T09:59:59Z (/var/log/qmail/smtpd/current:3)"),
            "{:?}",
            i.envelope
        );
        let shown = i
            .envelope
            .iter()
            .find(|l| l.starts_with("log line: "))
            .expect("the log line itself");
        assert!(shown.contains("CHKUSER accepted rcpt") && shown.ends_with(": auth test"));
        assert!(!shown.contains('\u{1b}'), "sanitized: {shown:?}");
        let gone = LogAttribution {
            at: crate::logs::event::LogRef { file: 0, line: 99 },
            ..line
        };
        assert!(inspect(&q, &strings, &r, Some(&gone))
            .envelope
            .iter()
            .any(|l| l == "log line: no longer in its file (rotated?)"));
    }

    /// Issue 21: the inspector reads through the queue, which refuses a link anywhere below the
    /// root; its own `openat(O_NOFOLLOW)` of the whole path followed a linked split directory.
    #[test]
    fn a_linked_directory_on_the_way_to_the_mess_file_is_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fq = QueueBuilder::new(dir.path().join("queue"))
            .split(3)
            .create()
            .expect("queue");
        let id = fq
            .add(&MessageSpec::new().subject("the real one"))
            .expect("add");
        let q = Queue::open(fq.root(), QueueOptions::default()).expect("open");
        let strings = Interner::new();
        let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
        let r = &s.records[0];
        assert!(inspect(&q, &strings, r, None).problem.is_none());
        // An attacker's directory holding a file of the same name, linked in as mess/N.
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).expect("elsewhere");
        std::fs::write(
            elsewhere.join(id.to_string()),
            b"Subject: followed\n\nsecret\n",
        )
        .expect("planted");
        fq.symlink_split_dir(Subdir::Mess, q.layout().bucket(id), &elsewhere)
            .expect("link split dir");
        let i = inspect(&q, &strings, r, None);
        assert!(i.subject.is_none() && i.body.is_empty(), "{i:?}");
        let why = i.problem.expect("refused");
        assert!(why.contains("symbolic link is not followed"), "{why}");
        // The same with the whole mess/ directory a link: a link in the middle of the path.
        let other = dir.path().join("other");
        std::fs::create_dir_all(other.join(q.layout().bucket(id).to_string())).expect("other");
        std::fs::copy(
            elsewhere.join(id.to_string()),
            other
                .join(q.layout().bucket(id).to_string())
                .join(id.to_string()),
        )
        .expect("planted");
        fq.symlink_subdir(Subdir::Mess, &other).expect("link mess");
        let i = inspect(&q, &strings, r, None);
        assert!(i.subject.is_none() && i.body.is_empty(), "{i:?}");
        assert!(i.problem.is_some_and(|p| p.contains("/mess:")));
    }
}
