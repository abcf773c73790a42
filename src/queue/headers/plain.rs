//! Fast paths for the common plain forms of Subject and From, equal to what mailparse gives.
//!
//! A flood's headers are plain ASCII: `Subject: Security alert 6505`, `From: <addr>`,
//! `From: "name" <addr>`. Running them through mailparse's tokenizer and address parser cost
//! about a third of the scan's CPU per message. Each function here handles only forms whose
//! mailparse result is known exactly (no encoded words, no folds, no quoting escapes, no
//! groups or comments) and returns `None` for anything else, so the caller falls back to
//! mailparse. `tests.rs` compares both over the fixture corpora and generated odd forms, and
//! `plain/tests.rs` these paths with the several-pass versions they replaced.

use std::borrow::Cow;

use memchr::memchr_iter;

use super::{collapse_ws, MAX_DECODE};

/// Byte classes, for telling in one pass over a value what used to take a search or a loop
/// each (a line break, an `=`, printability, UTF-8, specials, an `@`): most of a plain From's
/// or Subject's cost was those passes' setup, not their bytes.
mod class {
    /// Outside printable ASCII (`0x20..=0x7e`).
    pub const UNPRINTABLE: u8 = 1;
    /// `=`: maybe the start of an encoded word (`=?`), looked for only when one is seen.
    pub const EQUALS: u8 = 2;
    /// A space, or a byte of [`super::SPECIAL`]: not in a bare address.
    pub const NOT_IN_ADDR: u8 = 4;
    /// `@`.
    pub const AT: u8 = 8;
    /// `\n` or `\r`: a value with one is mailparse's to decode.
    pub const LINE_BREAK: u8 = 16;
    /// Whitespace other than a space (`\t..=\r`, as `char::is_whitespace` in ASCII): collapsed.
    pub const OTHER_WS: u8 = 32;
    /// Not ASCII.
    pub const HIGH: u8 = 64;
    /// A space.
    pub const SPACE: u8 = 128;
}

/// Each byte's [`class`] bits.
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let mut k = 0;
        if b < 0x20 || b > 0x7e {
            k |= class::UNPRINTABLE;
        }
        if b >= 0x80 {
            k |= class::HIGH;
        }
        if b == b'=' as usize {
            k |= class::EQUALS;
        }
        if b == b' ' as usize {
            k |= class::SPACE | class::NOT_IN_ADDR;
        }
        if SPECIAL[b] {
            k |= class::NOT_IN_ADDR;
        }
        if b == b'@' as usize {
            k |= class::AT;
        }
        if b == b'\n' as usize || b == b'\r' as usize {
            k |= class::LINE_BREAK;
        }
        if b >= b'\t' as usize && b <= b'\r' as usize {
            k |= class::OTHER_WS;
        }
        t[b] = k;
        b += 1;
    }
    t
};

/// The [`class`] bits of any byte of `b`.
fn classes(b: &[u8]) -> u8 {
    b.iter().fold(0, |k, &c| k | CLASS[c as usize])
}

/// [`classes`] of `b`, and whether two spaces follow each other in it.
fn classes_and_double_space(b: &[u8]) -> (u8, bool) {
    let (mut k, mut prev, mut double) = (0, 0, 0);
    for &c in b {
        let this = CLASS[c as usize];
        k |= this;
        double |= prev & this;
        prev = this;
    }
    (k, double & class::SPACE != 0)
}

/// `b` without the spaces at either end (as `str::trim_matches(' ')`).
fn trim_spaces(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |e| e + 1);
    &b[start..end]
}

/// [`super::decode_text_cow`] of a value with no encoded word, no line break and valid UTF-8;
/// `None` when mailparse must decode it.
///
/// mailparse returns such a value as it is (leading spaces trimmed), so the result is the value
/// with its whitespace collapsed: borrowed when it already is.
pub(crate) fn decode_plain(value: &[u8]) -> Option<Cow<'_, [u8]>> {
    let value = &value[..value.len().min(MAX_DECODE)];
    let (k, double) = classes_and_double_space(value);
    if k & class::LINE_BREAK != 0 || (k & class::EQUALS != 0 && has_encoded_word(value)) {
        return None;
    }
    // ASCII with single spaces is its own text: no UTF-8 check and no collapsing pass (two
    // spaces only at an end go the long way, to the same result). Outer spaces (one always
    // follows the colon) go either way.
    if k & (class::HIGH | class::OTHER_WS) == 0 && !double {
        return Some(Cow::Borrowed(trim_spaces(value)));
    }
    Some(
        match collapsed(std::str::from_utf8(value).ok()?.trim_matches(' ')) {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
    )
}

/// `s` with whitespace collapsed to single spaces and trimmed (as `collapse_ws`), borrowed when
/// it already is.
pub(crate) fn collapsed(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    // ASCII with no whitespace but single inner spaces (char::is_whitespace in ASCII is
    // space and \t..=\r).
    let mut prev = b' ';
    let plain = b.last() != Some(&b' ')
        && b.iter().all(|&c| {
            let ok = c < 0x80 && !(b'\t'..=b'\r').contains(&c) && !(c == b' ' && prev == b' ');
            prev = c;
            ok
        });
    if plain {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(collapse_ws(s))
    }
}

/// `=?` somewhere in `b`: maybe an RFC 2047 encoded word, which only mailparse decodes.
fn has_encoded_word(b: &[u8]) -> bool {
    memchr_iter(b'=', b).any(|i| b.get(i + 1) == Some(&b'?'))
}

/// Bytes that make an unquoted name or an address something other than plain text for
/// mailparse's address parser (quoting, brackets, lists, groups, comments, escapes), plus `[`
/// and `]` (domain literals), kept out of the fast path to be safe.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let s = b"\"<>,;:()\\[]";
    let mut i = 0;
    while i < s.len() {
        t[s[i] as usize] = true;
        i += 1;
    }
    t
};

fn has_special(s: &str) -> bool {
    s.bytes().any(|b| SPECIAL[b as usize])
}

/// A bare address: an `@`, no space, nothing special.
fn is_plain_addr(a: &[u8]) -> bool {
    let k = classes(a);
    k & class::AT != 0 && k & class::NOT_IN_ADDR == 0
}

/// The address and display name of a From field, as [`super::parse_from`] computes them; the
/// address as bytes (it is printable ASCII).
pub(crate) type FromParts<'a> = (Option<&'a [u8]>, Option<Cow<'a, str>>);

/// [`super::parse_from`] of a one-line printable-ASCII From field in one of the forms `addr`,
/// `<addr>`, `"name" <addr>` or `name <addr>`, borrowing from `raw`; `None` for anything else.
pub(crate) fn parse_from_plain(raw: &[u8]) -> Option<FromParts<'_>> {
    let raw = &raw[..raw.len().min(MAX_DECODE)];
    if raw.first() == Some(&b' ') {
        return None;
    }
    // The name is a few bytes: one loop finds its colon and any line break before it.
    let colon = raw.iter().position(|&b| b == b':' || b == b'\n')?;
    if raw[colon] != b':' {
        return None;
    }
    let rest = &raw[colon + 1..];
    // Only the field's own line break goes: a fold or a second line leaves one in `line`,
    // which is unprintable, so mailparse decides.
    let line = rest.strip_suffix(b"\n").unwrap_or(rest);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let v = trim_spaces(line);
    if let Some(inner) = v.strip_prefix(b"<") {
        // A flood's usual form, in one pass over the address: `line` is `a` with `<`, `>` and
        // spaces around it, so `a`'s bytes are all that can be unprintable, special or part of
        // an `=?`.
        let a = inner.strip_suffix(b">")?;
        let k = classes(a);
        let plain = k & (class::UNPRINTABLE | class::NOT_IN_ADDR) == 0
            && k & class::AT != 0
            && (k & class::EQUALS == 0 || !has_encoded_word(a));
        return plain.then_some((Some(a), None));
    }
    let k = classes(line);
    if k & class::UNPRINTABLE != 0 || (k & class::EQUALS != 0 && has_encoded_word(line)) {
        return None;
    }
    // Printable ASCII: valid UTF-8.
    let v = std::str::from_utf8(v).ok()?;
    if v.is_empty() {
        return Some((None, None));
    }
    let (name, bracketed) = if let Some(inner) = v.strip_prefix('"') {
        let close = inner.find('"')?;
        let name = &inner[..close];
        if name.contains('\\') {
            return None;
        }
        (name, inner[close + 1..].trim_start_matches(' '))
    } else if let Some(lt) = v.find('<') {
        let name = v[..lt].trim_end_matches(' ');
        if has_special(name) {
            return None;
        }
        (name, &v[lt..])
    } else {
        // One unquoted address, or (without an `@`) the raw value: the trimmed text either way.
        return (!has_special(v)).then_some((Some(v.as_bytes()), None));
    };
    let a = bracketed.strip_prefix('<')?.strip_suffix('>')?.as_bytes();
    is_plain_addr(a).then(|| (Some(a), Some(collapsed(name)).filter(|n| !n.is_empty())))
}

#[cfg(test)]
mod tests;
