//! Bounded read of a mess/ file's header block and extraction of the fields the analysis uses.
//!
//! The header block is attacker-controlled. Reads stop at the first blank line or at
//! [`HEADER_CAP`] bytes, whichever comes first, so a 10 MB header costs at most the cap. Field
//! iteration is bounded by [`MAX_FIELDS`], decoded values by [`MAX_DECODE`]: no input can make
//! the work unbounded.

use std::borrow::Cow;

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
    let mut from = 0;
    while let Some(pos) = memchr_nl(&buf[from..]) {
        let nl = from + pos;
        let rest = &buf[nl + 1..];
        if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
            return Some(nl + 1);
        }
        from = nl + 1;
    }
    None
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
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
}

/// Start iterating the fields of `header`.
pub fn fields(header: &[u8]) -> FieldIter<'_> {
    FieldIter {
        rest: header,
        seen: 0,
        garbage: 0,
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        while !self.rest.is_empty() && self.seen < MAX_FIELDS {
            // A field runs until a newline that is not followed by whitespace.
            let mut end = 0;
            loop {
                match memchr_nl(&self.rest[end..]) {
                    Some(p) => {
                        end += p + 1;
                        if end < self.rest.len() && is_wsp(self.rest[end]) {
                            continue;
                        }
                    }
                    None => end = self.rest.len(),
                }
                break;
            }
            let raw = &self.rest[..end];
            self.rest = &self.rest[end..];
            let Some(colon) = raw.iter().position(|&b| b == b':') else {
                self.garbage += 1;
                continue;
            };
            let name = &raw[..colon];
            if name.is_empty() || name.iter().any(|&b| b <= b' ' || b >= 127) {
                self.garbage += 1;
                continue;
            }
            self.seen += 1;
            return Some(Field {
                name,
                value: unfold(trim_eol(&raw[colon + 1..])),
                raw,
            });
        }
        None
    }
}

fn trim_eol(v: &[u8]) -> &[u8] {
    let v = v.strip_suffix(b"\n").unwrap_or(v);
    v.strip_suffix(b"\r").unwrap_or(v)
}

/// Remove the line breaks of folded lines (RFC 5322 §2.2.3 unfolding keeps the whitespace).
pub fn unfold(v: &[u8]) -> Cow<'_, [u8]> {
    if !v.contains(&b'\n') {
        return Cow::Borrowed(v);
    }
    Cow::Owned(
        v.iter()
            .copied()
            .filter(|&b| b != b'\n' && b != b'\r')
            .collect(),
    )
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

/// The fields the analysis keeps, borrowed from the header block.
#[derive(Debug, Default)]
pub struct HeaderSummary<'a> {
    /// Value of the first field if it is a Received line (qmail-queue's own).
    pub queue_received: Option<Cow<'a, [u8]>>,
    /// Value of the Received line after qmail-queue's (qmail-smtpd's hop, when from network).
    pub hop_received: Option<Cow<'a, [u8]>>,
    /// Raw Subject value (unfolded), first Subject only.
    pub subject: Option<Cow<'a, [u8]>>,
    /// The whole raw From field (for mailparse).
    pub from_raw: Option<&'a [u8]>,
    /// X-Mailer value.
    pub mailer: Option<Cow<'a, [u8]>>,
    /// X-PHP-Originating-Script value.
    pub php_script: Option<Cow<'a, [u8]>>,
    /// Approximate count of addresses in To and Cc (count of `@`).
    pub header_rcpts: u16,
    /// Lines that were not header fields.
    pub garbage_lines: usize,
    /// A NUL byte was seen in the header block.
    pub has_nul: bool,
}

/// Pick the fields the analysis uses out of a header block.
pub fn summarize(header: &[u8]) -> HeaderSummary<'_> {
    let mut s = HeaderSummary {
        has_nul: header.contains(&0),
        ..HeaderSummary::default()
    };
    let mut it = fields(header);
    let mut received_seen = 0;
    let mut first = true;
    for f in it.by_ref() {
        if f.is("received") {
            if first {
                s.queue_received = Some(f.value);
            } else if received_seen == 1 && s.hop_received.is_none() {
                s.hop_received = Some(f.value);
            }
            received_seen += 1;
        } else if f.is("subject") {
            s.subject.get_or_insert(f.value);
        } else if f.is("from") {
            s.from_raw.get_or_insert(f.raw);
        } else if f.is("x-mailer") {
            s.mailer.get_or_insert(f.value);
        } else if f.is("x-php-originating-script") {
            s.php_script.get_or_insert(f.value);
        } else if f.is("to") || f.is("cc") {
            let n = f.value.iter().filter(|&&b| b == b'@').count();
            s.header_rcpts = s
                .header_rcpts
                .saturating_add(n.min(u16::MAX as usize) as u16);
        }
        first = false;
    }
    s.garbage_lines = it.garbage;
    s
}

/// Decode an RFC 2047 value (Subject, display name) to text, bounded by [`MAX_DECODE`].
pub fn decode_text(value: &[u8]) -> String {
    let value = &value[..value.len().min(MAX_DECODE)];
    let mut field = Vec::with_capacity(value.len() + 3);
    field.extend_from_slice(b"X: ");
    field.extend_from_slice(value);
    let decoded = match mailparse::parse_header(&field) {
        Ok((h, _)) => h.get_value(),
        Err(_) => String::from_utf8_lossy(value).into_owned(),
    };
    collapse_ws(&decoded)
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
    let raw = &raw[..raw.len().min(MAX_DECODE)];
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
mod tests {
    use super::*;

    const SEED: &[u8] = b"Received: (qmail 10728 invoked from network); 22 Jul 2008 19:40:46 +0300\n\
Received: from unknown (HELO User) (86.107.221.138)\n  by domain.com with SMTP; 22 Jul 2008 19:40:46 +0300\n\
Reply-To: <support@PayPal.Inc.com>\n\
From: \"PayPal\"<support@PayPal.Inc.com>\n\
Subject: Dispute Transaction\n\
Content-Type: text/html;\n        charset=\"Windows-1251\"\n\
X-Mailer: Microsoft Outlook Express 6.00.2600.0000\n\nbody\n";

    #[test]
    fn header_ends_at_first_blank_line() {
        let end = header_end(SEED).expect("has an end");
        assert!(SEED[..end].ends_with(b"6.00.2600.0000\n"));
        assert_eq!(header_end(b"\nbody"), Some(0));
        assert_eq!(header_end(b"Subject: x\r\n\r\nbody"), Some(12));
        assert_eq!(header_end(b"Subject: no end"), None);
    }

    #[test]
    fn seed_message_summary() {
        let s = summarize(&SEED[..header_end(SEED).expect("end")]);
        assert_eq!(
            s.hop_received.as_deref(),
            Some(&b" from unknown (HELO User) (86.107.221.138)  by domain.com with SMTP; 22 Jul 2008 19:40:46 +0300"[..])
        );
        assert_eq!(s.subject.as_deref(), Some(&b" Dispute Transaction"[..]));
        let (addr, name) = parse_from(s.from_raw.expect("from"));
        assert_eq!(addr.as_deref(), Some("support@PayPal.Inc.com"));
        assert_eq!(name.as_deref(), Some("PayPal"));
        assert_eq!(s.garbage_lines, 0);
    }

    #[test]
    fn rfc2047_windows_1251_and_folded_words() {
        assert_eq!(decode_text(b" =?windows-1251?B?z/Do4uXy?="), "Привет");
        assert_eq!(
            decode_text(b" =?UTF-8?Q?Re:_Your_?=\n =?UTF-8?Q?account?="),
            "Re: Your account"
        );
    }

    #[test]
    fn garbage_lines_are_counted_and_fields_are_bounded() {
        let mut h = b"no colon here\n\x1b[2J\n".to_vec();
        for i in 0..(MAX_FIELDS + 50) {
            h.extend_from_slice(format!("X-{i}: v\n").as_bytes());
        }
        let mut it = fields(&h);
        assert_eq!(it.by_ref().count(), MAX_FIELDS);
        assert_eq!(it.garbage, 2);
    }
}
