//! Fast paths for the common plain forms of Subject and From, equal to what mailparse gives.
//!
//! A flood's headers are plain ASCII: `Subject: Security alert 6505`, `From: <addr>`,
//! `From: "name" <addr>`. Running them through mailparse's tokenizer and address parser cost
//! about a third of the scan's CPU per message. Each function here handles only forms whose
//! mailparse result is known exactly (no encoded words, no folds, no quoting escapes, no
//! groups or comments) and returns `None` for anything else, so the caller falls back to
//! mailparse. `tests.rs` compares both over the fixture corpora and generated odd forms.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memchr_iter};

use super::{collapse_ws, MAX_DECODE};

/// [`super::decode_text`] of a value with no encoded word, no line break and valid UTF-8; `None`
/// when mailparse must decode it.
///
/// mailparse returns such a value as it is (leading spaces trimmed), so the result is the value
/// with its whitespace collapsed: borrowed when it already is.
pub(crate) fn decode_plain(value: &[u8]) -> Option<Cow<'_, str>> {
    let value = &value[..value.len().min(MAX_DECODE)];
    if memchr2(b'\n', b'\r', value).is_some() || has_encoded_word(value) {
        return None;
    }
    // Outer spaces (one always follows the colon) go either way.
    Some(collapsed(
        std::str::from_utf8(value).ok()?.trim_matches(' '),
    ))
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
fn is_plain_addr(a: &str) -> bool {
    memchr(b'@', a.as_bytes()).is_some() && !a.bytes().any(|b| b == b' ' || SPECIAL[b as usize])
}

/// The address and display name of a From field, as [`super::parse_from`] computes them.
pub(crate) type FromParts<'a> = (Option<&'a str>, Option<Cow<'a, str>>);

/// [`super::parse_from`] of a one-line printable-ASCII From field in one of the forms `addr`,
/// `<addr>`, `"name" <addr>` or `name <addr>`, borrowing from `raw`; `None` for anything else.
pub(crate) fn parse_from_plain(raw: &[u8]) -> Option<FromParts<'_>> {
    let raw = &raw[..raw.len().min(MAX_DECODE)];
    if raw.first() == Some(&b' ') {
        return None;
    }
    let colon = memchr(b':', raw)?;
    if memchr(b'\n', &raw[..colon]).is_some() {
        return None;
    }
    let rest = &raw[colon + 1..];
    let line = match memchr(b'\n', rest) {
        // A fold, or anything after the line: mailparse decides.
        Some(nl) if nl + 1 < rest.len() => return None,
        Some(nl) => &rest[..nl],
        None => rest,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.iter().all(|&b| (0x20..0x7f).contains(&b)) || has_encoded_word(line) {
        return None;
    }
    let v = std::str::from_utf8(line).ok()?.trim_matches(' ');
    if v.is_empty() {
        return Some((None, None));
    }
    if let Some(inner) = v.strip_prefix('<') {
        let a = inner.strip_suffix('>')?;
        return is_plain_addr(a).then_some((Some(a), None));
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
        return (!has_special(v)).then_some((Some(v), None));
    };
    let a = bracketed.strip_prefix('<')?.strip_suffix('>')?;
    is_plain_addr(a).then(|| (Some(a), Some(collapsed(name)).filter(|n| !n.is_empty())))
}
