//! The header fields a record keeps for people to read: Subject (raw and RFC 2047-decoded), the
//! From address and display name, X-Mailer, the count of To and Cc addresses.
//!
//! Decoded at scan time from the header summary, beside the origin (`origin.rs`), so no header
//! bytes are kept; this is text for the faces and the query language, not attribution.

use crate::queue::headers::{decode_text_cow, parse_from_cow, trim, HeaderSummary};
use crate::queue::last_syms::{LastSyms, Slot};
use crate::queue::{HeaderFields, Interner, Sym};

/// Interning for one scan thread: through its [`LastSyms`].
pub(crate) struct Syms<'s> {
    pub(crate) strings: &'s Interner,
    pub(crate) last: &'s mut LastSyms,
}

impl Syms<'_> {
    /// `v` interned as `slot`'s value.
    pub(crate) fn intern(&mut self, slot: Slot, v: &[u8]) -> Sym {
        self.last.intern(self.strings, slot, v)
    }

    /// `v` trimmed and interned as `slot`'s value; `None` when nothing is left.
    pub(crate) fn sym_of(&mut self, slot: Slot, v: &[u8]) -> Option<Sym> {
        let v = trim(v);
        (!v.is_empty()).then(|| self.intern(slot, v))
    }
}

/// The header fields a record keeps: Subject raw and decoded (RFC 2047), the From address and
/// display name, X-Mailer, and how many addresses To and Cc name.
pub(crate) fn header_fields(s: &HeaderSummary<'_>, syms: &mut Syms<'_>) -> HeaderFields {
    let mut h = HeaderFields {
        header_rcpts: s.header_rcpts,
        ..HeaderFields::default()
    };
    if let Some(raw) = s.subject.as_deref() {
        let trimmed = trim(raw);
        h.subject_raw = (!trimmed.is_empty()).then(|| syms.intern(Slot::SubjectRaw, trimmed));
        let decoded = decode_text_cow(raw);
        // A plain subject decodes to itself: one interning, not two.
        h.subject = match &*decoded {
            b"" => None,
            d if d == trimmed => h.subject_raw,
            d => Some(syms.intern(Slot::Subject, d)),
        };
    }
    if let Some(raw) = s.from_raw {
        let (addr, name) = parse_from_cow(raw);
        h.from = addr.and_then(|a| syms.sym_of(Slot::From, a.as_bytes()));
        h.from_name = name.and_then(|n| syms.sym_of(Slot::FromName, n.as_bytes()));
    }
    h.mailer = s
        .mailer
        .as_deref()
        .and_then(|m| syms.sym_of(Slot::Mailer, m));
    h
}
