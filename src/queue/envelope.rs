//! Parse qmail's envelope files: info/ (sender), local/ and remote/ (recipients), todo/ and intd/.
//!
//! Every record is a type byte, a value and a NUL (docs/qmail-format.md §2). Parsing never fails:
//! what cannot be read as records becomes a [`EnvelopeIssue`] and the records that could be read
//! are kept, so one damaged file costs one flag, not the message.

/// A record's value with its type byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// `F`, `T`, `D`, `u`, `p`.
    pub kind: u8,
    /// The bytes between the type byte and the NUL.
    pub value: &'a [u8],
}

/// What was wrong with an envelope file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EnvelopeIssue {
    /// The last record had no NUL, or the file was empty where a record was required.
    pub truncated: bool,
    /// A record of a type this file never holds.
    pub unknown_record: bool,
    /// An address that is not UTF-8.
    pub non_utf8: bool,
}

impl EnvelopeIssue {
    /// Nothing wrong.
    pub fn is_clean(&self) -> bool {
        *self == EnvelopeIssue::default()
    }
    fn note_address(&mut self, value: &[u8]) {
        // ASCII first: a relay flood's 25 million addresses are, and `is_ascii` is a few word
        // compares inline where `from_utf8` was a call each (1.2% of `top`'s CPU by perf).
        if !self.non_utf8 && !value.is_ascii() && std::str::from_utf8(value).is_err() {
            self.non_utf8 = true;
        }
    }
}

/// Split bytes into NUL-terminated records; the second value is true when bytes trail the last NUL.
pub fn records(bytes: &[u8]) -> (impl Iterator<Item = Record<'_>>, bool) {
    let truncated = !bytes.is_empty() && bytes.last() != Some(&0);
    // Only bytes up to and including the last NUL form whole records.
    let complete: &[u8] = match bytes.iter().rposition(|&b| b == 0) {
        Some(last) => &bytes[..=last],
        None => &[],
    };
    let iter = complete.split_inclusive(|&b| b == 0).map(|r| {
        let r = &r[..r.len() - 1];
        match r.split_first() {
            Some((&kind, value)) => Record { kind, value },
            None => Record {
                kind: 0,
                value: &[],
            },
        }
    });
    (iter, truncated)
}

/// info/ID: `F<sender>\0`. Returns the sender as qmail-qread prints it (up to the first NUL).
pub fn parse_info(bytes: &[u8]) -> (Option<&[u8]>, EnvelopeIssue) {
    let mut issue = EnvelopeIssue::default();
    let Some((&b'F', rest)) = bytes.split_first() else {
        issue.truncated = bytes.is_empty();
        issue.unknown_record = !bytes.is_empty();
        return (None, issue);
    };
    let sender = match rest.iter().position(|&b| b == 0) {
        Some(end) => &rest[..end],
        None => {
            issue.truncated = true;
            rest
        }
    };
    issue.note_address(sender);
    (Some(sender), issue)
}

/// local/ID or remote/ID: `T<addr>\0` pending, `D<addr>\0` done. Returns (address, done) pairs.
pub fn parse_channel(bytes: &[u8]) -> (Vec<(&[u8], bool)>, EnvelopeIssue) {
    let mut out = Vec::new();
    let issue = each_channel_record(bytes, |a, done| out.push((a, done)));
    (out, issue)
}

/// [`parse_channel`]'s records handed to `each` in file order, without collecting them: the
/// scan reads 17 a message on average and needs each once.
pub fn each_channel_record<'a>(
    bytes: &'a [u8],
    mut each: impl FnMut(&'a [u8], bool),
) -> EnvelopeIssue {
    let mut issue = EnvelopeIssue {
        // Bytes after the last NUL are a cut record. qmail-send unlinks a channel file once
        // every record is done, so an empty one was cut short too (a crash between creating
        // and writing it), as an empty info is.
        truncated: bytes.last() != Some(&0),
        ..EnvelopeIssue::default()
    };
    // Records found with `memchr` (vectorised), not byte by byte: most of a channel file's
    // bytes are addresses.
    let mut rest = bytes;
    while let Some(end) = memchr::memchr(0, rest) {
        let record = &rest[..end];
        rest = &rest[end + 1..];
        match record.split_first() {
            Some((&kind @ (b'T' | b'D'), value)) => {
                issue.note_address(value);
                each(value, kind == b'D');
            }
            _ => issue.unknown_record = true,
        }
    }
    issue
}

/// The recipients of a channel file, read from its bytes as they are listed (not collected
/// first: a relay flood's message has 1-50, and collecting them was a vector grown three
/// times a message).
#[derive(Debug, Clone, Copy, Default)]
pub struct Recipients<'a>(&'a [u8]);

impl<'a> Recipients<'a> {
    /// The recipients of the channel file `bytes`.
    pub fn new(bytes: &'a [u8]) -> Recipients<'a> {
        Recipients(bytes)
    }

    /// Each recipient (address, done) in file order, as [`parse_channel`] gives them.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], bool)> + 'a {
        // `each_channel_record`'s records: NUL-terminated, `T` pending or `D` done; anything
        // else and the bytes after the last NUL are no recipient.
        let mut rest = self.0;
        std::iter::from_fn(move || loop {
            let end = memchr::memchr(0, rest)?;
            let record = &rest[..end];
            rest = &rest[end + 1..];
            if let [kind @ (b'T' | b'D'), address @ ..] = record {
                return Some((address, *kind == b'D'));
            }
        })
    }
}

/// A todo/ or intd/ envelope as qmail-queue wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TodoEnvelope<'a> {
    /// `u`: real uid of the process that ran qmail-queue.
    pub uid: Option<u32>,
    /// `p`: qmail-queue's pid.
    pub pid: Option<u32>,
    /// `F`: envelope sender (empty = null sender).
    pub sender: Option<&'a [u8]>,
    /// `T`: recipients as given.
    pub recipients: Vec<&'a [u8]>,
}

fn parse_decimal(value: &[u8]) -> Option<u32> {
    std::str::from_utf8(value).ok()?.parse().ok()
}

/// todo/ID or intd/ID: `u<uid>\0p<pid>\0F<sender>\0T<rcpt>\0...`.
pub fn parse_todo(bytes: &[u8]) -> (TodoEnvelope<'_>, EnvelopeIssue) {
    let mut issue = EnvelopeIssue::default();
    let mut env = TodoEnvelope::default();
    let (recs, truncated) = records(bytes);
    issue.truncated = truncated || bytes.is_empty();
    for r in recs {
        match r.kind {
            b'u' => env.uid = parse_decimal(r.value),
            b'p' => env.pid = parse_decimal(r.value),
            b'F' => {
                issue.note_address(r.value);
                env.sender = Some(r.value);
            }
            b'T' => {
                issue.note_address(r.value);
                env.recipients.push(r.value);
            }
            _ => issue.unknown_record = true,
        }
    }
    (env, issue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_from_the_reference_queue() {
        let (env, issue) = parse_todo(b"u1002\0p5941\0Ftest@example.com\0Tli.jose521@gmail.com\0");
        assert!(issue.is_clean());
        assert_eq!(env.uid, Some(1002));
        assert_eq!(env.pid, Some(5941));
        assert_eq!(env.sender, Some(&b"test@example.com"[..]));
        assert_eq!(env.recipients, vec![&b"li.jose521@gmail.com"[..]]);
    }

    #[test]
    fn remote_with_done_records() {
        let bytes =
            b"Tpeter@customer.example.org\0Dmike@partner.example\0Tolga@customer.example.org\0";
        let (rcpts, issue) = parse_channel(bytes);
        assert!(issue.is_clean());
        let done: Vec<bool> = rcpts.iter().map(|r| r.1).collect();
        assert_eq!(done, [false, true, false]);
    }

    #[test]
    fn null_sender_and_missing_nul() {
        assert_eq!(parse_info(b"F\0").0, Some(&b""[..]));
        let (s, issue) = parse_info(b"Fdave@mail.example");
        assert_eq!(s, Some(&b"dave@mail.example"[..]));
        assert!(issue.truncated);
        assert!(parse_info(b"").1.truncated);
        assert!(parse_info(b"Xjunk\0").1.unknown_record);
    }

    #[test]
    fn truncated_channel_keeps_complete_records() {
        let (rcpts, issue) = parse_channel(b"Ta@x\0Tb@");
        assert_eq!(rcpts, vec![(&b"a@x"[..], false)]);
        assert!(issue.truncated);
        let (rcpts, issue) = parse_channel(b"no nul at all");
        assert!(rcpts.is_empty() && issue.truncated);
        // An empty record (two NULs in a row) is of no known type; the records around it stay.
        let (rcpts, issue) = parse_channel(b"Ta@x\0\0Db@y\0");
        assert_eq!(rcpts, vec![(&b"a@x"[..], false), (&b"b@y"[..], true)]);
        assert!(issue.unknown_record && !issue.truncated);
        // Issue 10: an empty channel file is as truncated as an empty info file.
        let (rcpts, issue) = parse_channel(b"");
        assert!(rcpts.is_empty() && issue.truncated);
    }

    /// [`Recipients`] gives [`parse_channel`]'s pairs: on files cut short, empty records,
    /// records of other types, and any bytes at all.
    #[test]
    fn recipients_are_parse_channel_s() {
        fn listed(b: &[u8]) -> Vec<(&[u8], bool)> {
            Recipients::new(b).iter().collect()
        }
        for bytes in [
            &b""[..],
            b"\0",
            b"\0\0",
            b"Ta@x\0",
            b"Ta@x\0Tb@",
            b"Ta@x\0\0Db@y\0",
            b"Xodd\0Ta@x\0D\0T",
            b"no nul at all",
            b"T\xff\x1b@x\0Dd@y\0Q?\0",
        ] {
            assert_eq!(listed(bytes), parse_channel(bytes).0, "{bytes:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_give_parse_channel_s_recipients(
            v in proptest::collection::vec(
                proptest::sample::select(vec![0u8, b'T', b'D', b'X', b'a', b'@', 0xff]),
                0..64,
            )
        ) {
            let listed: Vec<_> = Recipients::new(&v).iter().collect();
            proptest::prop_assert_eq!(listed, parse_channel(&v).0);
        }
    }

    #[test]
    fn hostile_bytes_are_flagged_not_fatal() {
        let (env, issue) = parse_todo(b"u\xff\0Fevil\x1b[2J@x\0T\xfe@y\0Q?\0");
        assert_eq!(env.uid, None);
        assert!(issue.non_utf8 && issue.unknown_record);
        assert_eq!(env.recipients.len(), 1);
    }
}
