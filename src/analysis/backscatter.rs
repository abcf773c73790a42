//! Backscatter: the message a bounce quotes, attributed as the scan attributes a message.
//!
//! A bounce of the flood (qmail-send's "invoked for bounce", or a null-sender failure notice)
//! carries a copy of the spam it returns. Its own origin says only "bounce"; the copy's
//! Received lines name the AUTH user, IP or script that sent the spam, so the bounce belongs
//! to that culprit's cleanup; qmail-send's copy starts with the spam's envelope sender
//! (`Return-Path: <...>`), which names a forged-sender culprit. [`quoted`] is a pure function
//! of the mess bytes; [`read`] reads the bounces of a queue through the reader it is given.

use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::analysis::KeyTables;
use crate::queue::headers::{header_end, summarize};
use crate::queue::origin::{attribute, Attribution, EnvelopeHints};
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// The lines after which bounces quote the returned message: qmail-send, Exim, a MIME
/// `message/rfc822` or `text/rfc822-headers` part (Postfix, Sendmail, Exchange DSNs).
const MARKERS: [&[u8]; 4] = [
    b"--- Below this line is a copy of the message.",
    b"------ This is a copy of the message",
    b"message/rfc822",
    b"text/rfc822-headers",
];

/// The keys `bounce-of:` reads: the quoted copy's origin ([`ORIGIN_KEYS`], the first six),
/// then the envelope sender's when the copy gives it (its `Return-Path`), for the operator to
/// choose, then its subject template (a spam campaign's backscatter, `plan/campaign.rs`).
pub const KEYS: [ClusterKey; 10] = [
    ClusterKey::AuthUser,
    ClusterKey::OriginIp,
    ClusterKey::OriginNet,
    ClusterKey::Uid,
    ClusterKey::Script,
    ClusterKey::Helo,
    ClusterKey::Sender,
    ClusterKey::SenderDomain,
    ClusterKey::SenderPattern,
    ClusterKey::Subject,
];

/// The keys the plan takes a bounce by: the quoted copy's origin, which a culprit never shares
/// with real mail. A sender is not among them: a real correspondent at a domain the flood
/// forges (`<random>@gmail.com`), or the owner of a joe-jobbed address, gets bounces too.
pub const ORIGIN_KEYS: &[ClusterKey] = KEYS.split_at(6).0;

/// The keys of the copy's envelope sender (its `Return-Path`).
pub const SENDER_KEYS: &[ClusterKey] = KEYS.split_at(6).1.split_at(3).0;

/// The message a bounce quotes, as far as its copy tells.
#[derive(Debug, Clone, Copy)]
pub struct Quoted {
    /// Its origin and header fields, as the scan would have found them in the queue.
    pub attribution: Attribution,
    /// Its envelope sender, from the copy's `Return-Path: <...>` (qmail-send writes one).
    pub sender: Option<Sym>,
}

/// The most mess bytes looked at for the quoted copy (the failure text comes first).
pub const QUOTE_CAP: usize = 64 * 1024;

/// Is `r` a bounce: qmail-send's own, a null-sender message, or a MAILER-DAEMON notice?
pub fn is_bounce(r: &MessageRecord, strings: &Interner) -> bool {
    if r.origin.kind == OriginKind::Bounce {
        return true;
    }
    if r.sender.is_some_and(|s| strings.resolve(s).is_empty()) {
        return true;
    }
    r.headers.from.is_some_and(|f| {
        let f = strings.resolve(f);
        f.len() > 14 && f[..14].eq_ignore_ascii_case(b"mailer-daemon@")
    })
}

/// The message `mess` (a bounce's bytes) quotes, if it quotes one with a header block: its
/// origin as the scan would have found it in the queue, and its envelope sender when given.
pub fn quoted(mess: &[u8], strings: &Interner) -> Option<Quoted> {
    let mess = &mess[..mess.len().min(QUOTE_CAP)];
    let body = &mess[header_end(mess)?..];
    let (at, marker) = MARKERS
        .iter()
        .filter_map(|m| memchr::memmem::find(body, m).map(|at| (at, *m)))
        .min_by_key(|(at, _)| *at)?;
    let mut rest = after_line(&body[at + marker.len()..]);
    if marker.starts_with(b"message/") || marker.starts_with(b"text/") {
        // The rest of the MIME part's own header, up to its blank line.
        rest = &rest[header_end(rest).unwrap_or(rest.len())..];
    }
    let start = rest.iter().position(|&b| b != b'\n' && b != b'\r')?;
    let copy = &rest[start..];
    let end = header_end(copy).unwrap_or(copy.len());
    let header = &copy[..end];
    // qmail-queue's Received line is the first field once the delivery's Return-Path and
    // Delivered-To are left out.
    let received = find_line(header, b"received:").unwrap_or(0);
    let a = attribute(
        &summarize(&header[received..]),
        EnvelopeHints::default(),
        strings,
    );
    let sender = find_line(&header[..received], b"return-path:")
        .and_then(|at| return_path(&header[at..received]))
        .map(|s| strings.intern(s));
    (a.origin.kind != OriginKind::Unknown || a.origin.script.is_some()).then_some(Quoted {
        attribution: a,
        sender,
    })
}

/// The address of the `Return-Path: <addr>` line `line` starts with (`<>` gives it empty).
fn return_path(line: &[u8]) -> Option<&[u8]> {
    let end = memchr::memchr(b'\n', line).unwrap_or(line.len());
    let line = &line[..end];
    let open = memchr::memchr(b'<', line)?;
    let close = open + 1 + memchr::memchr(b'>', &line[open + 1..])?;
    Some(&line[open + 1..close])
}

/// `s` after its first line break (empty when there is none).
fn after_line(s: &[u8]) -> &[u8] {
    match memchr::memchr(b'\n', s) {
        Some(nl) => &s[nl + 1..],
        None => &[],
    }
}

/// The offset of the first line of `header` starting with `name` (case-insensitive).
fn find_line(header: &[u8], name: &[u8]) -> Option<usize> {
    let mut at = 0;
    while at < header.len() {
        let line = &header[at..];
        if line.len() >= name.len() && line[..name.len()].eq_ignore_ascii_case(name) {
            return Some(at);
        }
        at += memchr::memchr(b'\n', line).map_or(line.len(), |nl| nl + 1);
    }
    None
}

/// The `key` value of the quoted message, as `cluster:KEY=` shows it with `tables` (an AUTH
/// login as its account, as the auth-user clusters key it; a forged sender as its pattern).
pub fn quoted_value(
    q: &Quoted,
    key: ClusterKey,
    strings: &Interner,
    tables: Option<KeyTables<'_>>,
) -> Option<KeyValue> {
    let mut r = MessageRecord::listed(crate::queue::MessageId(0), Default::default());
    let a = &q.attribution;
    (r.origin, r.headers, r.qp, r.sender) = (a.origin, a.headers, a.qp, q.sender);
    let mut ex = match tables {
        Some(t) => t.extractor(key, strings),
        None => KeyExtractor::new(key, strings),
    };
    ex.value(&r)
}

/// The quoted copies of the bounces among `records`: (record index, quoted copy), in record
/// order. `read(index)` gives a record's mess bytes (at least [`QUOTE_CAP`] of them, or `None`
/// when unreadable); only bounces are read.
pub fn read(
    records: &[MessageRecord],
    strings: &Interner,
    read: impl Fn(usize) -> Option<Vec<u8>> + Sync,
) -> Vec<(u32, Quoted)> {
    use rayon::prelude::*;
    let bounces: Vec<usize> = (0..records.len())
        .filter(|&i| is_bounce(&records[i], strings))
        .collect();
    bounces
        .par_iter()
        .filter_map(|&i| {
            let bytes = read(i)?;
            quoted(&bytes, strings).map(|a| (i as u32, a))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNCE: &[u8] = b"Received: (qmail 99 invoked for bounce); 1 Dec 2026 10:00:00 -0000\n\
Date: 1 Dec 2026 10:00:00 -0000\nFrom: MAILER-DAEMON@mail.example.com\n\
To: kbradford@philadefender.org\nSubject: failure notice\n\n\
Hi. This is the qmail-send program at mail.example.com.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\n\
<x@aol.com>:\nSorry, I couldn't find any host named aol.com. (#5.1.2)\n\n\
--- Below this line is a copy of the message.\n\n\
Return-Path: <kbradford@philadefender.org>\n\
Received: (qmail 1234 invoked from network); 1 Dec 2026 09:00:00 -0000\n\
Received: from unknown (HELO User) (test@86.107.221.138)\n  by mail.example.com with ESMTPA; 1 Dec 2026 09:00:00 -0000\n\
From: <kbradford@philadefender.org>\nSubject: Replica watches\n\nbuy\n";

    #[test]
    fn a_qmail_bounce_quotes_its_auth_user() {
        let s = Interner::new();
        let a = quoted(BOUNCE, &s).expect("quoted");
        assert_eq!(a.attribution.origin.kind, OriginKind::SmtpAuth);
        let v = quoted_value(&a, ClusterKey::AuthUser, &s, None).map(|v| v.text(&s));
        assert_eq!(v.as_deref(), Some("test"));
        let ip = quoted_value(&a, ClusterKey::OriginIp, &s, None).map(|v| v.text(&s));
        assert_eq!(ip.as_deref(), Some("86.107.221.138"));
        // Under the server's default domain the login is its account, as auth-user clusters
        // key it, so the culprit `test@example.com` owns this bounce.
        let ctx = crate::analysis::AnalysisContext {
            default_domain: Some("example.com".into()),
            ..Default::default()
        };
        let patterns = crate::analysis::patterns::SenderPatterns::default();
        let tables = KeyTables {
            sender_patterns: &patterns,
            ctx: &ctx,
        };
        let v = quoted_value(&a, ClusterKey::AuthUser, &s, Some(tables)).map(|v| v.text(&s));
        assert_eq!(v.as_deref(), Some("test@example.com"));
    }

    /// qmail-send's copy starts with the spam's envelope sender: a bounce of a forged sender
    /// goes with the sender, its domain and, with the analysis' table, its pattern.
    #[test]
    fn a_qmail_bounce_gives_the_quoted_envelope_sender() {
        let s = Interner::new();
        let a = quoted(BOUNCE, &s).expect("quoted");
        assert_eq!(
            a.sender.map(|x| s.text(x)).as_deref(),
            Some("kbradford@philadefender.org")
        );
        let value = |key| quoted_value(&a, key, &s, None).map(|v| v.text(&s));
        assert_eq!(
            value(ClusterKey::Sender).as_deref(),
            Some("kbradford@philadefender.org")
        );
        assert_eq!(
            value(ClusterKey::SenderDomain).as_deref(),
            Some("philadefender.org")
        );
        // A table that learnt the flood's random names at that domain gives their pattern.
        let senders: Vec<String> = ["kbradford", "qkowalski", "awalsh50", "dnovak", "mzhang7"]
            .iter()
            .flat_map(|n| (0..5).map(move |i| format!("{n}{i}@philadefender.org")))
            .collect();
        let ctx = crate::analysis::AnalysisContext::default();
        let patterns = crate::analysis::patterns::SenderPatterns::build(
            senders.iter().map(|x| (x.as_bytes(), 1)),
            &ctx.local_domains,
        );
        let tables = KeyTables {
            sender_patterns: &patterns,
            ctx: &ctx,
        };
        let pattern = quoted_value(&a, ClusterKey::SenderPattern, &s, Some(tables));
        assert_eq!(
            pattern.map(|v| v.text(&s)).as_deref(),
            Some("<random>@philadefender.org")
        );
        // The null sender of a bounce's own bounce is given, empty.
        let twice = String::from_utf8_lossy(BOUNCE).replace(
            "Return-Path: <kbradford@philadefender.org>",
            "Return-Path: <>",
        );
        let b = quoted(twice.as_bytes(), &s).expect("quoted");
        assert_eq!(b.sender.map(|x| s.text(x)).as_deref(), Some(""));
    }

    #[test]
    fn a_mime_dsn_quotes_a_php_script() {
        let s = Interner::new();
        let dsn = b"From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\n\n\
--b\nContent-Type: text/plain\n\nfailed\n--b\nContent-Type: message/rfc822\n\n\
Received: (qmail 5 invoked by uid 48); 1 Dec 2026 09:00:00 -0000\n\
X-PHP-Originating-Script: 48:mailer.php\nSubject: x\n\nbody\n--b--\n";
        let a = quoted(dsn, &s).expect("quoted");
        let v = quoted_value(&a, ClusterKey::Script, &s, None).map(|v| v.text(&s));
        assert_eq!(v.as_deref(), Some("mailer.php"));
        assert_eq!(a.attribution.origin.uid(), Some(48));
        assert_eq!(
            a.sender, None,
            "a DSN's copy without a Return-Path gives no sender"
        );
    }

    #[test]
    fn no_copy_no_attribution_and_hostile_bytes_do_not_panic() {
        let s = Interner::new();
        assert!(quoted(b"Subject: x\n\nno copy here\n", &s).is_none());
        assert!(quoted(b"", &s).is_none());
        let cut = &BOUNCE[..BOUNCE.len() - 200];
        let _ = quoted(cut, &s);
        for n in 0..BOUNCE.len() {
            let _ = quoted(&BOUNCE[..n], &s);
        }
        let marker_last = b"Subject: x\n\n--- Below this line is a copy of the message.";
        assert!(quoted(marker_last, &s).is_none());
    }
}
