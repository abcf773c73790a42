//! Bounded read of a mess/ file's header block and extraction of the fields the analysis uses.
//!
//! The header block is attacker-controlled. Reads stop at the first blank line or at
//! [`HEADER_CAP`] bytes, whichever comes first, so a 10 MB header costs at most the cap. Field
//! iteration is bounded by [`MAX_FIELDS`], decoded values by [`MAX_DECODE`]: no input can make
//! the work unbounded.

use std::borrow::Cow;

use std::sync::LazyLock;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2, memchr_iter};

mod charset;
mod names;
mod plain;

use names::{wanted, Wanted};

/// Bytes read by the first `read(2)`: most headers (a flood's are 1-3 KiB) fit in one.
pub const FIRST_READ: usize = 8 * 1024;
/// The most header bytes read from one message.
pub const HEADER_CAP: usize = 64 * 1024;
/// The most header fields looked at in one message.
pub const MAX_FIELDS: usize = 512;
/// The most bytes of one field value handed to the RFC 2047 decoder.
pub const MAX_DECODE: usize = 4 * 1024;

/// The offset where the header block ends (exclusive of the blank line), if it ends in `buf`.
///
/// A message that starts with a blank line has an empty header block (offset 0).
pub fn header_end(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(b"\n") || buf.starts_with(b"\r\n") {
        return Some(0);
    }
    // One SIMD pass for each form of blank line, not one search per line: the header pass
    // looks for the end of a million header blocks. The searchers are built once and never
    // change (constants, not state), rather than a setup for every message.
    static LF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\n"));
    static CRLF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\n\r\n"));
    let lf = LF.find(buf);
    // A CRLF blank line counts only before the first LF one.
    let before = lf.map_or(buf.len(), |i| i + 2);
    let crlf = CRLF.find(&buf[..before]);
    let nl = match (lf, crlf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some(nl + 1)
}

/// One header field, unfolded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field<'a> {
    /// The name before the colon.
    pub name: &'a [u8],
    /// The value after the colon, continuation lines joined (the line breaks removed).
    pub value: Cow<'a, [u8]>,
    /// The raw bytes of the whole field, name and folds included.
    pub raw: &'a [u8],
}

impl Field<'_> {
    /// Case-insensitive name test.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// Iterate over the fields of a header block, at most [`MAX_FIELDS`].
///
/// Lines that are neither a field nor a continuation are skipped and counted in
/// [`FieldIter::garbage`] so the caller can flag the message.
pub struct FieldIter<'a> {
    rest: &'a [u8],
    seen: usize,
    /// Lines that were not `name: value` and not a continuation.
    pub garbage: usize,
    /// Stop at a blank line ([`summarize_block`]: the bytes after it are the body).
    to_blank: bool,
    /// Where the blank line that stopped the iteration starts, when one did.
    blank: Option<usize>,
    /// The length of the bytes iterated: where `rest` starts is this less its length.
    len: usize,
}

/// Start iterating the fields of `header`.
pub fn fields(header: &[u8]) -> FieldIter<'_> {
    FieldIter {
        rest: header,
        seen: 0,
        garbage: 0,
        to_blank: false,
        blank: None,
        len: header.len(),
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> FieldIter<'a> {
    /// The next field, its value not unfolded (unfolding allocates, and most fields are not
    /// used).
    // Inlined: summarize calls it for every line, and a call costs about a tenth of a line.
    #[inline(always)]
    fn next_raw(&mut self) -> Option<RawField<'a>> {
        while !self.rest.is_empty() && self.seen < MAX_FIELDS {
            // A line that starts with a line break is blank: every `\n\n` or `\n\r\n`
            // [`header_end`] finds starts a line here, since a line break or `\r` is no fold.
            if self.to_blank && (self.rest[0] == b'\n' || self.rest.starts_with(b"\r\n")) {
                self.blank = Some(self.len - self.rest.len());
                return None;
            }
            let (end, folded) = field_len(self.rest);
            let raw = &self.rest[..end];
            self.rest = &self.rest[end..];
            // A name is printable ASCII up to the first colon; anything else before a colon, or
            // no colon, makes the line garbage.
            let colon = names::name_end(raw).filter(|&c| c > 0 && raw[c] == b':');
            let Some(colon) = colon else {
                self.garbage += 1;
                continue;
            };
            self.seen += 1;
            return Some(RawField { raw, colon, folded });
        }
        None
    }
}

/// A field as [`FieldIter`] finds it.
struct RawField<'a> {
    /// The whole field, name and folds included.
    raw: &'a [u8],
    /// The offset of the colon after the name.
    colon: usize,
    /// Does the field go on over more than one line?
    folded: bool,
}

impl<'a> RawField<'a> {
    fn name(&self) -> &'a [u8] {
        &self.raw[..self.colon]
    }

    /// The value, unfolded: borrowed unless it was folded.
    fn value(&self) -> Cow<'a, [u8]> {
        let v = trim_eol(&self.raw[self.colon + 1..]);
        // A field of one line holds no line break once its own is trimmed: nothing to unfold,
        // and no second search for one.
        if self.folded {
            unfold(v)
        } else {
            Cow::Borrowed(v)
        }
    }
}

/// The length of the field at the start of `rest` (up to a newline not followed by
/// whitespace), and whether a newline followed by whitespace (a fold) came before that.
fn field_len(rest: &[u8]) -> (usize, bool) {
    let mut folded = false;
    for nl in memchr_iter(b'\n', rest) {
        let end = nl + 1;
        if end >= rest.len() || !is_wsp(rest[end]) {
            return (end, folded);
        }
        folded = true;
    }
    (rest.len(), folded)
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        let f = self.next_raw()?;
        Some(Field {
            name: f.name(),
            value: f.value(),
            raw: f.raw,
        })
    }
}

fn trim_eol(v: &[u8]) -> &[u8] {
    let v = v.strip_suffix(b"\n").unwrap_or(v);
    v.strip_suffix(b"\r").unwrap_or(v)
}

/// Remove the line breaks of folded lines (RFC 5322 §2.2.3 unfolding keeps the whitespace).
pub fn unfold(v: &[u8]) -> Cow<'_, [u8]> {
    if memchr(b'\n', v).is_none() {
        return Cow::Borrowed(v);
    }
    let mut out = Vec::with_capacity(v.len());
    let mut rest = v;
    while let Some(i) = memchr2(b'\n', b'\r', rest) {
        out.extend_from_slice(&rest[..i]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

/// Trim ASCII whitespace at both ends.
pub fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// A field's value as it stands in the header, line breaks and all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Value<'a> {
    raw: &'a [u8],
    folded: bool,
}

impl<'a> Value<'a> {
    /// The value unfolded ([`unfold`]).
    pub fn unfolded(&self) -> Cow<'a, [u8]> {
        if self.folded {
            unfold(self.raw)
        } else {
            Cow::Borrowed(self.raw)
        }
    }

    /// The value unfolded as [`unfold`] does, into `buf` when it was folded (a buffer reused
    /// from message to message, not an allocation each).
    pub fn unfold_into<'b>(&self, buf: &'b mut Vec<u8>) -> &'b [u8]
    where
        'a: 'b,
    {
        if !self.folded {
            return self.raw;
        }
        buf.clear();
        let mut rest = self.raw;
        while let Some(i) = memchr2(b'\n', b'\r', rest) {
            buf.extend_from_slice(&rest[..i]);
            rest = &rest[i + 1..];
        }
        buf.extend_from_slice(rest);
        buf
    }
}

/// The fields the analysis keeps, borrowed from the header block.
#[derive(Debug, Default)]
pub struct HeaderSummary<'a> {
    /// Value of the first field if it is a Received line (qmail-queue's own).
    pub queue_received: Option<Cow<'a, [u8]>>,
    /// Value of the Received line after qmail-queue's (qmail-smtpd's hop, when from network),
    /// unfolded only when it is read ([`Value::unfold_into`]): it is folded in most messages,
    /// and unfolding it here would allocate for each.
    pub hop_received: Option<Value<'a>>,
    /// Raw Subject value (unfolded), first Subject only.
    pub subject: Option<Cow<'a, [u8]>>,
    /// The whole raw From field (for mailparse).
    pub from_raw: Option<&'a [u8]>,
    /// X-Mailer value.
    pub mailer: Option<Cow<'a, [u8]>>,
    /// X-PHP-Originating-Script value.
    pub php_script: Option<Cow<'a, [u8]>>,
    /// The X-PHP-Originating-Script field sits where PHP's mail() writes it through qmail's
    /// sendmail ([`PhpPlace`]); false without one.
    pub php_placed: bool,
    /// The whole raw Reply-To field (for mailparse), first Reply-To only.
    pub reply_to_raw: Option<&'a [u8]>,
    /// Approximate count of addresses in To and Cc (count of `@`).
    pub header_rcpts: u16,
    /// Lines that were not header fields.
    pub garbage_lines: usize,
    /// A NUL byte was seen in the header block.
    pub has_nul: bool,
}

/// Pick the fields the analysis uses out of a header block.
pub fn summarize(header: &[u8]) -> HeaderSummary<'_> {
    let mut it = fields(header);
    let mut s = summarize_fields(&mut it);
    s.has_nul = memchr(0, header).is_some();
    s
}

/// [`summarize`] of the header block at the start of `buf` (which may go on into the body),
/// and where that block ends, as [`header_end`] gives it: one pass over the lines finds both,
/// where the scan searched the whole block for its end and then split it into lines.
pub fn summarize_block(buf: &[u8]) -> (HeaderSummary<'_>, Option<usize>) {
    let mut it = fields(buf);
    it.to_blank = true;
    let mut s = summarize_fields(&mut it);
    let end = match it.blank {
        Some(end) => Some(end),
        None if it.rest.is_empty() => None,
        // Stopped at `MAX_FIELDS`: the end, if any, is further on.
        None => header_end(it.rest).map(|e| it.len - it.rest.len() + e),
    };
    s.has_nul = memchr(0, &buf[..end.unwrap_or(buf.len())]).is_some();
    (s, end)
}

/// The fields `it` gives, picked as [`summarize`] picks them (all but `has_nul`).
fn summarize_fields<'a>(it: &mut FieldIter<'a>) -> HeaderSummary<'a> {
    let mut s = HeaderSummary::default();
    let mut received_seen = 0;
    let mut first = true;
    let mut place = PhpPlace::Start;
    while let Some(f) = it.next_raw() {
        let w = wanted(f.name());
        if s.php_script.is_none() && !(first && matches!(w, Wanted::Received)) {
            // A sendmail wrapper (a hosting panel's) may put X- fields of its own on top: they
            // are not the message writer's layout, and skipping them frames nothing (a forger
            // can write PHP's own layout anyway).
            let wrapper = place == PhpPlace::Start
                && !matches!(w, Wanted::PhpScript)
                && f.name()
                    .get(..2)
                    .is_some_and(|p| p.eq_ignore_ascii_case(b"x-"));
            if !wrapper {
                place = place.next(&w);
            }
        }
        match w {
            Wanted::Received => {
                if first {
                    s.queue_received = Some(f.value());
                } else if received_seen == 1 && s.hop_received.is_none() {
                    s.hop_received = Some(Value {
                        raw: trim_eol(&f.raw[f.colon + 1..]),
                        folded: f.folded,
                    });
                }
                received_seen += 1;
            }
            Wanted::Subject if s.subject.is_none() => s.subject = Some(f.value()),
            Wanted::From => {
                s.from_raw.get_or_insert(f.raw);
            }
            Wanted::Mailer if s.mailer.is_none() => s.mailer = Some(f.value()),
            Wanted::PhpScript if s.php_script.is_none() => {
                s.php_script = Some(f.value());
                s.php_placed = place == PhpPlace::Placed;
            }
            Wanted::ReplyTo => {
                s.reply_to_raw.get_or_insert(f.raw);
            }
            Wanted::Rcpt | Wanted::To => {
                // Unfolding only removes line breaks: count on the raw value.
                let n = memchr_iter(b'@', &f.raw[f.colon + 1..]).count();
                s.header_rcpts = s
                    .header_rcpts
                    .saturating_add(n.min(u16::MAX as usize) as u16);
            }
            _ => {}
        }
        first = false;
    }
    s.garbage_lines = it.garbage;
    s
}

/// Where an X-PHP-Originating-Script field stands among the fields below qmail-queue's
/// Received line. PHP's mail() writes `To:`, `Subject:`, then its header, then the script's own
/// (php-src ext/standard/mail.c and its tests); qmail's sendmail runs qmail-inject, which
/// prints the Date, Message-ID, From (and Cc, Mail-Followup-To) it adds above the fields it was
/// given, in their order (notqmail qmail-inject.c, `finishheader`). So the header PHP wrote
/// follows `To:` and `Subject:`, with nothing but qmail-inject's fields above them. One
/// written first (the fixture writes it so) is taken as placed too; one below any other field
/// (`MIME-Version`, a second Received) was written by whoever wrote the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhpPlace {
    /// Only fields qmail-inject adds so far.
    Start,
    /// ... then `To:`.
    AfterTo,
    /// ... then `Subject:`.
    AfterSubject,
    /// The next field is where PHP's header goes.
    Placed,
    /// Anything else came first.
    Elsewhere,
}

impl PhpPlace {
    /// The place after a field `w`; a PHP header itself is placed when it comes at
    /// [`PhpPlace::Start`] or right after `Subject:`.
    fn next(self, w: &Wanted) -> PhpPlace {
        use PhpPlace::*;
        match (self, w) {
            (Start | AfterSubject, Wanted::PhpScript) => Placed,
            (Start, Wanted::Injected | Wanted::From | Wanted::Rcpt) => Start,
            (Start, Wanted::To) => AfterTo,
            (AfterTo, Wanted::Subject) => AfterSubject,
            _ => Elsewhere,
        }
    }
}

/// Decode an RFC 2047 value (Subject, display name) to text, bounded by [`MAX_DECODE`]. Bytes
/// whose charset cannot be told become U+FFFD here; [`decode_text_cow`] keeps them.
pub fn decode_text(value: &[u8]) -> String {
    String::from_utf8_lossy(&decode_text_cow(value)).into_owned()
}

/// [`decode_text`] as bytes, borrowing from `value` when it is plain text already collapsed.
/// UTF-8 unless the value held raw 8-bit bytes of a charset that could not be told
/// ([`charset`]): those are kept as they are, for the sanitizer to show as `\xNN` and for
/// `--json` to give exactly.
pub fn decode_text_cow(value: &[u8]) -> Cow<'_, [u8]> {
    plain::decode_plain(value).unwrap_or_else(|| Cow::Owned(decode_text_mailparse(value)))
}

/// [`decode_text_cow`] through mailparse, for any value. Raw 8-bit text is first decoded from
/// its detected charset, so mailparse sees UTF-8 and never falls back to Latin-1.
fn decode_text_mailparse(value: &[u8]) -> Vec<u8> {
    let value = &value[..value.len().min(MAX_DECODE)];
    let detected;
    let text = match std::str::from_utf8(value) {
        Ok(_) => value,
        // Only cut short (by MAX_DECODE, mid-character): the whole characters are UTF-8.
        Err(e) if e.error_len().is_none() => &value[..e.valid_up_to()],
        Err(_) => match charset::decode_8bit(value) {
            Some(t) => {
                detected = t;
                detected.as_bytes()
            }
            None => return collapse_ws_bytes(value),
        },
    };
    let mut field = Vec::with_capacity(text.len() + 3);
    field.extend_from_slice(b"X: ");
    field.extend_from_slice(text);
    let decoded = match mailparse::parse_header(&field) {
        Ok((h, _)) => h.get_value(),
        Err(_) => String::from_utf8_lossy(text).into_owned(),
    };
    collapse_ws(&decoded).into_bytes()
}

/// [`collapse_ws`] over bytes that are not text: ASCII whitespace runs become one space.
fn collapse_ws_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for w in b.split(u8::is_ascii_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(w);
    }
    out
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// The address and decoded display name of a raw `From:` field.
pub fn parse_from(raw: &[u8]) -> (Option<String>, Option<String>) {
    let (addr, name) = parse_from_cow(raw);
    // The address is text: printable ASCII from the plain path, a String from mailparse.
    let addr = addr.map(|a| String::from_utf8_lossy(&a).into_owned());
    (addr, name.map(Cow::into_owned))
}

/// [`parse_from`], borrowing from `raw` for the common plain forms (see [`plain`]), the
/// address as bytes: the scan interns bytes, and the plain forms' address needs no second
/// check as UTF-8.
pub(crate) fn parse_from_cow(raw: &[u8]) -> (Option<Cow<'_, [u8]>>, Option<Cow<'_, str>>) {
    match plain::parse_from_plain(raw) {
        Some((addr, name)) => (addr.map(Cow::Borrowed), name),
        None => {
            let (addr, name) = parse_from_mailparse(raw);
            (
                addr.map(|a| Cow::Owned(a.into_bytes())),
                name.map(Cow::Owned),
            )
        }
    }
}

/// [`parse_from`] through mailparse, for any field.
fn parse_from_mailparse(raw: &[u8]) -> (Option<String>, Option<String>) {
    let raw = &raw[..raw.len().min(MAX_DECODE)];
    // A raw 8-bit display name in a charset that can be told is read in it, not as Latin-1.
    let detected = std::str::from_utf8(raw)
        .is_err()
        .then(|| charset::decode_8bit(raw))
        .flatten();
    let raw = detected.as_deref().map_or(raw, str::as_bytes);
    if let Ok((h, _)) = mailparse::parse_header(raw) {
        if let Ok(list) = mailparse::addrparse_header(&h) {
            if let Some(single) = list.extract_single_info() {
                let name = single
                    .display_name
                    .map(|n| collapse_ws(&n))
                    .filter(|n| !n.is_empty());
                return (Some(single.addr), name);
            }
        }
        let v = h.get_value();
        let v = v.trim();
        return ((!v.is_empty()).then(|| v.to_string()), None);
    }
    (None, None)
}

#[cfg(test)]
mod tests;
