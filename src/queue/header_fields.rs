//! The header fields a record keeps for people to read: Subject (raw and RFC 2047-decoded), the
//! From address and display name, X-Mailer, whether Reply-To is at another domain than From,
//! the count of To and Cc addresses.
//!
//! Decoded at scan time from the header summary, beside the origin (`origin.rs`), so no header
//! bytes are kept; this is text for the faces and the query language, not attribution.

use crate::queue::headers::{decode_text_cow, parse_from_cow, trim, HeaderSummary};
use crate::queue::last_syms::{LastSyms, Slot, Syms2};
use crate::queue::{HeaderFields, Interner, Sym};

/// Interning for one scan thread: through its [`LastSyms`].
pub(crate) struct Syms<'s> {
    pub(crate) strings: &'s Interner,
    pub(crate) last: &'s mut LastSyms,
}

impl Syms<'_> {
    /// `v` trimmed and interned as `slot`'s value; `None` when nothing is left.
    pub(crate) fn sym_of(&mut self, slot: Slot, v: &[u8]) -> Option<Sym> {
        let v = trim(v);
        (!v.is_empty()).then(|| self.last.intern(self.strings, slot, v))
    }

    /// `compute` of the raw input `key`, remembered in `slot` ([`LastSyms::memo`]).
    pub(crate) fn memo(
        &mut self,
        slot: Slot,
        key: &[u8],
        compute: impl FnOnce(&Interner) -> Syms2,
    ) -> Syms2 {
        self.last.memo(self.strings, slot, key, compute)
    }
}

/// `v` trimmed and interned; `None` when nothing is left.
pub(crate) fn trimmed_sym(strings: &Interner, v: &[u8]) -> Option<Sym> {
    let v = trim(v);
    (!v.is_empty()).then(|| strings.intern(v))
}

/// The header fields a record keeps: Subject raw and decoded (RFC 2047), the From address and
/// display name, X-Mailer, and how many addresses To and Cc name.
///
/// Each field is computed from its raw bytes alone, so a flood's repeated values are answered
/// from the thread's [`LastSyms`] without decoding or parsing them again.
pub(crate) fn header_fields(s: &HeaderSummary<'_>, syms: &mut Syms<'_>) -> HeaderFields {
    let mut h = HeaderFields {
        header_rcpts: s.header_rcpts,
        ..HeaderFields::default()
    };
    if let Some(raw) = s.subject.as_deref() {
        [h.subject_raw, h.subject] = syms.memo(Slot::Subject, raw, |st| subject_syms(st, raw));
    }
    if let Some(raw) = s.from_raw {
        [h.from, h.from_name] = syms.memo(Slot::From, raw, |st| from_syms(st, raw));
    }
    if let (Some(raw), Some(from)) = (s.reply_to_raw, h.from) {
        let (reply, _) = parse_from_cow(raw);
        h.reply_elsewhere = reply.is_some_and(|r| syms.strings.with(from, |f| !same_domain(&r, f)));
    }
    if let Some(m) = s.mailer.as_deref() {
        [h.mailer, _] = syms.memo(Slot::Mailer, m, |st| [trimmed_sym(st, m), None]);
    }
    h
}

/// Are `a` and `b` addresses at one organisation's domains: the same domain, or the same last
/// two labels (`help.example.com` and `example.com`, case-insensitively)? A ticketing system
/// or a list sends replies to its own subdomain; calling that "elsewhere" made a real help desk
/// a culprit. Two labels, not the public suffix list: `a.co.uk` and `b.co.uk` count as one,
/// which only keeps a message from counting as diverted (never takes more mail).
fn same_domain(a: &[u8], b: &[u8]) -> bool {
    let organisation = |x: &[u8]| {
        let at = x.iter().rposition(|&c| c == b'@')?;
        let domain = x[at + 1..].strip_suffix(b".").unwrap_or(&x[at + 1..]);
        let mut dots = domain.iter().enumerate().rev().filter(|(_, &c)| c == b'.');
        let start = dots.nth(1).map_or(0, |(i, _)| i + 1);
        Some(domain[start..].to_ascii_lowercase())
    };
    match (organisation(a), organisation(b)) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

/// A Subject value's symbols: raw (trimmed) and RFC 2047-decoded.
pub(crate) fn subject_syms(strings: &Interner, raw: &[u8]) -> Syms2 {
    let trimmed = trim(raw);
    let subject_raw = (!trimmed.is_empty()).then(|| strings.intern(trimmed));
    let decoded = decode_text_cow(raw);
    // A plain subject decodes to itself: one interning, not two.
    let subject = match &*decoded {
        b"" => None,
        d if d == trimmed => subject_raw,
        d => Some(strings.intern(d)),
    };
    [subject_raw, subject]
}

/// A raw From field's symbols: the address and the decoded display name.
pub(crate) fn from_syms(strings: &Interner, raw: &[u8]) -> Syms2 {
    let (addr, name) = parse_from_cow(raw);
    [
        addr.and_then(|a| trimmed_sym(strings, &a)),
        name.and_then(|n| trimmed_sym(strings, n.as_bytes())),
    ]
}

#[cfg(test)]
mod tests;
