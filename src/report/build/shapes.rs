//! The header shapes that attribute a culprit's messages (the report's evidence lines): the
//! qmail-smtpd Received line or the PHP header, with the exact number of messages of each.

use super::{Evidence, EvidenceSource};
use std::collections::HashSet;

use crate::queue::{AuthSource, Interner, MessageRecord, OriginKind, Sym};
use crate::sanitize::sanitize_bytes;
use crate::size::{counted, thousands};

/// The header shapes that attribute a culprit's messages, each with the exact number of its
/// messages that have it (issue 17: "ESMTPA on 608 messages" when 300 of them were ESMTPSA):
/// the most common first, at most [`SHAPES_SHOWN`] lines, the last saying how many more shapes
/// the rest have.
pub(super) fn evidence_of(members: &[&MessageRecord], strings: &Interner) -> Vec<Evidence> {
    let mut shapes = shapes_of(members, strings, false);
    // A spammer's random HELO makes each message a shape of its own ("on 1 messages" three
    // times, then "297 more shapes"): when the largest shape holds under a tenth of the
    // messages, the HELO is counted instead of shown.
    let scattered =
        shapes.len() > SHAPES_SHOWN && shapes.first().is_some_and(|s| s.1 * 10 < members.len());
    if scattered {
        shapes = shapes_of(members, strings, true);
    }
    let rest: usize = shapes.iter().skip(SHAPES_SHOWN).map(|s| s.1).sum();
    let more = shapes.len().saturating_sub(SHAPES_SHOWN);
    let mut out: Vec<Evidence> = shapes
        .into_iter()
        .take(SHAPES_SHOWN)
        .map(|(shape, n, helos)| Evidence {
            source: EvidenceSource::Headers,
            text: match helos {
                h if h > 1 => format!(
                    "{shape} on {} ({} different HELOs)",
                    counted(n as u64, "message", "messages"),
                    thousands(h)
                ),
                _ => format!("{shape} on {}", counted(n as u64, "message", "messages")),
            },
        })
        .collect();
    if more > 0 {
        if let Some(last) = out.last_mut() {
            last.text.push_str(&format!(
                " ({} more shapes on {})",
                thousands(more),
                counted(rest as u64, "message", "messages")
            ));
        }
    }
    out
}

/// Whether two evidence lines give the same shape and count, whatever ` (N more shapes on M
/// messages)` either ends with.
pub(super) fn same_shape(a: &str, b: &str) -> bool {
    let shape = |s: &str| -> usize {
        match s.rfind(" (") {
            Some(at) if s.ends_with(")") && s[at..].contains(" more shapes on ") => at,
            _ => s.len(),
        }
    };
    a[..shape(a)] == b[..shape(b)]
}

/// The header shapes of `members` with how many messages and distinct HELOs each has, the
/// most frequent first; with `mask_helo`, the HELO is left out of the shape.
fn shapes_of(
    members: &[&MessageRecord],
    strings: &Interner,
    mask_helo: bool,
) -> Vec<(String, usize, usize)> {
    let mut counts: std::collections::BTreeMap<String, (usize, HashSet<Option<Sym>>)> =
        Default::default();
    for r in members {
        let e = counts
            .entry(header_shape(r, strings, mask_helo))
            .or_default();
        e.0 += 1;
        e.1.insert(r.origin.helo);
    }
    let mut shapes: Vec<(String, usize, usize)> = counts
        .into_iter()
        .map(|(shape, (n, helos))| (shape, n, if mask_helo { helos.len() } else { 1 }))
        .collect();
    shapes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    shapes
}

/// Header shapes shown per culprit.
const SHAPES_SHOWN: usize = 3;

/// The origin part of a message's headers, sanitized: the qmail-smtpd hop, the local
/// injection or the PHP script.
fn header_shape(r: &MessageRecord, strings: &Interner, mask_helo: bool) -> String {
    let t = |s: Option<Sym>| {
        s.map(|s| sanitize_bytes(&strings.resolve(s)).into_owned())
            .unwrap_or_else(|| "?".into())
    };
    let o = &r.origin;
    let helo = |h: Option<Sym>| if mask_helo { "*".into() } else { t(h) };
    let uid = || o.uid().map_or_else(|| "?".into(), |u| u.to_string());
    match o.kind {
        OriginKind::Local if o.script.is_some() => format!(
            "X-PHP-Originating-Script: {}:{} (local uid {})",
            uid(),
            t(o.script),
            uid()
        ),
        OriginKind::Local => format!("Received: (qmail invoked by uid {})", uid()),
        OriginKind::Bounce => "Received: (qmail invoked for bounce)".into(),
        OriginKind::Alias => "Received: (qmail invoked by alias)".into(),
        OriginKind::Unknown => "no qmail-queue Received line".into(),
        // The Received line names no user: say so rather than print a shape it does not have.
        _ if o.auth_source == AuthSource::Log => format!(
            "Received: from {} (HELO {}) ({}) with {} (qmail-smtpd); AUTH user {} from the logs",
            t(o.host),
            helo(o.helo),
            t(o.ip),
            t(o.protocol),
            t(o.auth_user)
        ),
        _ if o.auth_user.is_some() => format!(
            "Received: from {} (HELO {}) ({}@{}) with {} (qmail-smtpd, AUTH)",
            t(o.host),
            helo(o.helo),
            t(o.auth_user),
            t(o.ip),
            t(o.protocol)
        ),
        _ => format!(
            "Received: from {} (HELO {}) ({}) with {} (qmail-smtpd, no AUTH)",
            t(o.host),
            helo(o.helo),
            t(o.ip),
            t(o.protocol)
        ),
    }
}
