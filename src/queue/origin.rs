//! Attribute a message to its origin: AUTH user and IP, plain SMTP client, local uid and script.
//!
//! Runs once per message during the scan, on the header summary, so no header bytes need to be
//! kept. The rules are docs/qmail-format.md §4 and docs/cli.md "Origins".

use crate::queue::header_fields::{header_fields, trimmed_sym, Syms};
use crate::queue::headers::{trim, HeaderSummary};
use crate::queue::last_syms::{LastSyms, Slot};
use crate::queue::received::{parse_queue_line, parse_smtp_hop, Invoked};
use crate::queue::{HeaderFields, Interner, Origin, OriginKind};

/// What the envelope says, where it was read.
#[derive(Debug, Clone, Copy, Default)]
pub struct EnvelopeHints {
    /// The envelope sender is the null sender `<>`.
    pub null_sender: bool,
    /// The todo `u` record.
    pub todo_uid: Option<u32>,
}

/// The attribution of one message: its origin, qmail-queue pid and the kept header fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct Attribution {
    /// Who sent it.
    pub origin: Origin,
    /// qmail-queue's pid from its Received line.
    pub qp: Option<std::num::NonZeroU32>,
    /// Selected header fields.
    pub headers: HeaderFields,
}

/// Attribute one message from its header summary and envelope hints.
pub fn attribute(s: &HeaderSummary<'_>, env: EnvelopeHints, strings: &Interner) -> Attribution {
    attribute_with(s, env, &mut LastSyms::default(), strings)
}

/// [`attribute`] for a scan thread, which remembers the values it interned last (`last`).
pub(crate) fn attribute_with(
    s: &HeaderSummary<'_>,
    env: EnvelopeHints,
    last: &mut LastSyms,
    strings: &Interner,
) -> Attribution {
    let mut syms = Syms { strings, last };
    let mut origin = Origin::default();
    let queue_line = s.queue_received.as_deref().and_then(parse_queue_line);
    match queue_line.map(|q| q.invoked) {
        None => origin.kind = OriginKind::Unknown,
        Some(Invoked::ForBounce) => origin.kind = OriginKind::Bounce,
        Some(Invoked::ByAlias) => origin.kind = OriginKind::Alias,
        Some(Invoked::ByUid(uid)) => {
            origin.kind = OriginKind::Local;
            origin.set_uid(Some(uid));
            if let Some(v) = s.php_script.as_deref() {
                [origin.script, _] = syms.memo(Slot::Script, v, |st| [php_script(st, v), None]);
                origin.script_forged = origin.script.is_some() && !s.php_placed;
            }
        }
        Some(Invoked::FromNetwork) => {
            origin.kind = OriginKind::Smtp;
            // The thread's buffer, taken out while the hop borrows it and interning borrows
            // the thread's memory.
            let mut buf = std::mem::take(&mut syms.last.unfolded);
            if let Some(hop) = s
                .hop_received
                .and_then(|v| parse_smtp_hop(v.unfold_into(&mut buf)))
            {
                origin.ip = syms.sym_of(Slot::Ip, hop.ip);
                origin.host = syms.sym_of(Slot::Host, hop.host);
                origin.helo = hop.helo.and_then(|h| syms.sym_of(Slot::Helo, h));
                origin.protocol = hop.protocol.and_then(|p| syms.sym_of(Slot::Protocol, p));
                origin.auth_user = hop.info.and_then(|i| syms.sym_of(Slot::AuthUser, i));
                if hop.is_authenticated() || hop.is_weak_auth() {
                    origin.kind = OriginKind::SmtpAuth;
                }
            }
            syms.last.unfolded = buf;
        }
    }
    apply_envelope_hints(&mut origin, env);
    Attribution {
        origin,
        qp: queue_line.and_then(|q| std::num::NonZeroU32::new(q.pid)),
        headers: header_fields(s, &mut syms),
    }
}

/// What the envelope adds to an origin found in the headers (or to an empty one when the
/// headers could not be read): the todo `u` record's uid when the headers do not say how the
/// message came (no qmail-queue line), and a message from the network (or of unknown origin)
/// with the null sender is a bounce.
///
/// A message whose headers say "invoked from network", "for bounce" or "by alias" keeps no uid:
/// its todo `u` is qmail's own daemon's (qmaild, qmails, alias), which qmail-send's
/// preprocessing drops, so the message is attributed alike before and after it (a queue
/// captured with everything still in todo/ must not rank uid qmaild as a culprit).
///
/// Separate from [`attribute`] so that a scan that reads headers first and envelopes later
/// (`queue::scan::scan_envelopes`) gives the same origin as one that reads both at once.
pub fn apply_envelope_hints(origin: &mut Origin, env: EnvelopeHints) {
    if origin.uid().is_none() && origin.kind == OriginKind::Unknown {
        origin.set_uid(env.todo_uid);
    }
    if env.null_sender && matches!(origin.kind, OriginKind::Smtp | OriginKind::Unknown) {
        origin.kind = OriginKind::Bounce;
    }
}

/// `X-PHP-Originating-Script: 48:mailer.php` → `mailer.php` (the uid is PHP's, not qmail's).
fn php_script(strings: &Interner, v: &[u8]) -> Option<crate::queue::Sym> {
    let v = trim(v);
    let script = match v.iter().position(|&b| b == b':') {
        Some(c) if v[..c].iter().all(u8::is_ascii_digit) => &v[c + 1..],
        _ => v,
    };
    trimmed_sym(strings, script)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::headers::summarize;

    fn attr(h: &[u8], env: EnvelopeHints) -> (Attribution, Interner) {
        let strings = Interner::new();
        let a = attribute(&summarize(h), env, &strings);
        (a, strings)
    }

    fn text(strings: &Interner, s: Option<crate::queue::Sym>) -> Option<String> {
        s.map(|s| strings.text(s))
    }

    #[test]
    fn esmtpa_is_smtp_auth_with_user_and_ip() {
        let (a, st) = attr(b"Received: (qmail 5941 invoked from network); 23 Nov 2026 10:11:17 -0000\nReceived: from unknown (HELO User) (test@86.107.221.138)\n  by mail.example.com with ESMTPA; 23 Nov 2026 10:11:17 -0000\nSubject: hi\n", EnvelopeHints::default());
        assert_eq!(a.origin.kind, OriginKind::SmtpAuth);
        assert_eq!(text(&st, a.origin.auth_user).as_deref(), Some("test"));
        assert_eq!(text(&st, a.origin.ip).as_deref(), Some("86.107.221.138"));
        assert_eq!(text(&st, a.origin.protocol).as_deref(), Some("ESMTPA"));
        assert_eq!(a.qp.map(|p| p.get()), Some(5941));
        // No process has pid 0: a forged one reads as no pid (the record keeps it in 4 bytes).
        let (zero, _) = attr(
            b"Received: (qmail 0 invoked by uid 48); 23 Nov 2026 10:11:21 -0000\n",
            EnvelopeHints::default(),
        );
        assert_eq!((zero.qp, zero.origin.uid()), (None, Some(48)));
    }

    #[test]
    fn php_flood_is_local_with_script() {
        let (a, st) = attr(b"Received: (qmail 7292 invoked by uid 48); 23 Nov 2026 10:11:21 -0000\nX-PHP-Originating-Script: 48:wp-content/uploads/mailer.php\n", EnvelopeHints::default());
        assert_eq!(a.origin.kind, OriginKind::Local);
        assert_eq!(a.origin.uid(), Some(48));
        assert_eq!(
            text(&st, a.origin.script).as_deref(),
            Some("wp-content/uploads/mailer.php")
        );
    }

    /// PHP's mail() writes To, Subject, then its header; qmail's sendmail (qmail-inject) puts
    /// the Date and Message-ID it adds above them. A header below fields the message's writer
    /// chose (MIME-Version, a second Received) is not PHP's: the script is kept, marked.
    #[test]
    fn a_php_header_where_php_writes_it_is_the_scripts_and_elsewhere_is_forged() {
        let q = "Received: (qmail 7 invoked by uid 48); 4 Dec 2026 20:00:00 -0000\n";
        let php = "X-PHP-Originating-Script: 48:contact.php\n";
        let cases = [
            // Through qmail-inject, as the real qmail writes it (mixes.rs builds such mail).
            (format!("Date: 4 Dec 2026\nMessage-ID: <1@m>\nTo: a@b.example\nSubject: Thanks\n{php}From: s@example.com\n"), false),
            (format!("To: a@b.example\nSubject: Thanks\n{php}"), false),
            // A sendmail wrapper's own X- fields on top (a hosting panel's).
            (format!("X-PPP-Vhost: shop.example\nX-PPP-Message-ID: <2@m>\nTo: a@b.example\nSubject: Thanks\n{php}"), false),
            // The fixture's layout: first below qmail-queue's line.
            (format!("{php}To: a@b.example\n"), false),
            // qmail-inject's own From above To: not told from a writer's (a limit).
            (format!("From: x@y.example\nTo: a@b.example\nSubject: Hi\n{php}"), false),
            (format!("From: x@y.example\nTo: a@b.example\nSubject: Hi\nMIME-Version: 1.0\n{php}"), true),
            (format!("Subject: Hi\nTo: a@b.example\n{php}"), true),
            (format!("To: a@b.example\n{php}"), true),
            (format!("Received: (qmail 1 invoked by uid 48); x\n{php}"), true),
        ];
        for (rest, forged) in cases {
            let (a, st) = attr(format!("{q}{rest}").as_bytes(), EnvelopeHints::default());
            assert_eq!(
                text(&st, a.origin.script).as_deref(),
                Some("contact.php"),
                "{rest}"
            );
            assert_eq!(a.origin.script_forged, forged, "{rest}");
        }
    }

    #[test]
    fn null_sender_from_network_is_bounce() {
        let (a, _) = attr(b"Received: (qmail 1 invoked from network); x\nReceived: from mx (1.2.3.4)\n  by me with SMTP; x\n", EnvelopeHints { null_sender: true, todo_uid: None });
        assert_eq!(a.origin.kind, OriginKind::Bounce);
        assert!(a.origin.ip.is_some());
    }

    #[test]
    fn forged_received_below_a_local_injection_is_not_read() {
        let (a, _) = attr(b"Received: (qmail 9 invoked by uid 1001); x\nReceived: from unknown (HELO x) (admin@6.6.6.6)\n  by me with ESMTPA; x\n", EnvelopeHints::default());
        assert_eq!(a.origin.kind, OriginKind::Local);
        assert_eq!(a.origin.ip, None);
    }

    #[test]
    fn no_queue_line_is_unknown() {
        let (a, _) = attr(
            b"Subject: x\n",
            EnvelopeHints {
                null_sender: false,
                todo_uid: Some(0),
            },
        );
        assert_eq!(a.origin.kind, OriginKind::Unknown);
        assert_eq!(a.origin.uid(), Some(0));
    }

    #[test]
    fn network_mail_in_todo_keeps_no_daemon_uid() {
        let qmaild = EnvelopeHints {
            null_sender: false,
            todo_uid: Some(1002),
        };
        let (a, _) = attr(
            b"Received: (qmail 1 invoked from network); x
Received: from unknown (HELO x) (test@6.6.6.6)
  by me with ESMTPA; x
",
            qmaild,
        );
        assert_eq!(
            (a.origin.kind, a.origin.uid()),
            (OriginKind::SmtpAuth, None)
        );
        let (b, _) = attr(
            b"Received: (qmail 1 invoked for bounce); x
",
            qmaild,
        );
        assert_eq!((b.origin.kind, b.origin.uid()), (OriginKind::Bounce, None));
        let (l, _) = attr(
            b"Received: (qmail 1 invoked by uid 48); x
",
            qmaild,
        );
        assert_eq!(l.origin.uid(), Some(48));
    }
}
