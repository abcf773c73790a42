//! `qtriage read`: qmail-qread's listing byte for byte, or one JSON object per message.

use std::io::Write;

use super::{exit::ExitCode, GlobalArgs};
use crate::queue::date::write_qmail_date;
use crate::queue::scan::{QreadFormat, QreadMessage};
use crate::queue::{
    scan, Channel, Interner, MessageRecord, ProblemKind, Progress, RecipientList, RecipientReader,
    ScanOptions, Subdir,
};

/// Message order for `read` and `list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SortKey {
    /// Oldest first.
    Age,
    /// Ascending id.
    Id,
    /// Largest first.
    Size,
}

/// Sort records by `key` (stable, so equal keys keep queue order).
pub fn sort_records(records: &mut [MessageRecord], key: Option<SortKey>) {
    match key {
        None => {}
        Some(SortKey::Age) => records.sort_by_key(|r| (r.queued(), r.id)),
        Some(SortKey::Id) => records.sort_by_key(|r| r.id),
        Some(SortKey::Size) => records.sort_by_key(|r| (std::cmp::Reverse(r.size), r.id)),
    }
}

/// Arguments of `read`.
#[derive(Debug, clap::Args)]
pub struct ReadArgs {
    /// One JSON object per message instead of qmail-qread's text.
    #[arg(long)]
    pub json: bool,
    /// Order messages (default: queue order, split directory then id).
    #[arg(long, value_enum)]
    pub sort: Option<SortKey>,
}

/// qmail's error_str() wording for the problems qmail-qread can hit.
fn trouble(kind: ProblemKind) -> &'static str {
    match kind {
        ProblemKind::Vanished => "file does not exist",
        ProblemKind::Symlink => "symbolic link (not followed)",
        ProblemKind::NotRegularFile => "not a regular file",
        _ => "access denied",
    }
}

/// Run `read`.
pub fn run(global: &GlobalArgs, args: &ReadArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    if !args.json && args.sort.is_none() {
        // qmail-qread's own text in its own order: streamed, so memory does not grow with the
        // queue and the first lines come out while the rest is read.
        let mut report = crate::queue::ScanReport::default();
        let streamed = crate::queue::scan::stream_info_messages(
            &queue,
            &mut report,
            &QreadText,
            &mut |text| out.write_all(text),
        );
        super::print::problems::warn_unlisted_dirs(&report);
        streamed?;
        return Ok(listed_whole(&report));
    }
    let strings = Interner::new();
    // qmail-qread's text needs only envelopes; the JSON's `problems` must also carry what is
    // wrong with the header block (header-too-long, unparsed-header), so JSON reads it.
    let opts = ScanOptions {
        headers: args.json,
        envelopes: true,
    };
    let mut s = scan(&queue, &strings, opts, &Progress::default())?;
    super::print::problems::warn_unlisted_dirs(&s.report);
    sort_records(&mut s.records, args.sort);
    // The records keep only counts of their recipients: each message's list is read from its
    // envelope files as it is printed.
    let envelopes = RecipientReader::new(&queue);
    let mut buf = Vec::new();
    for r in &s.records {
        let rcpts = envelopes.read(r, &mut buf);
        if args.json {
            super::print::json::write_line(
                out,
                &super::print::json::MessageJson::new(r, &rcpts, &strings),
            )?;
        } else {
            write_qread(out, r, &rcpts, &strings)?;
        }
    }
    Ok(listed_whole(&s.report))
}

/// Exit 2 when a directory the listing is made of (`info/`, `local/`, `remote/`) could not be
/// listed: the listing lacks its messages or their recipients, as qmail-qread stops (exit 111)
/// at an `info/` directory it cannot open (newuser59: `read | wc -l` said 0 of 148 messages,
/// exit 0, run outside qmail's group). One `read` does not print from (`bounce/`, `mess/N`)
/// leaves the listing whole, as it leaves qmail-qread's (review59).
fn listed_whole(report: &crate::queue::ScanReport) -> ExitCode {
    let printed_from = |path: &std::path::Path| {
        let split_of = path.parent().and_then(|p| p.file_name());
        split_of.is_some_and(|d| ["info", "local", "remote"].iter().any(|n| d == *n))
    };
    match report.unreadable_dirs.iter().any(|(p, _)| printed_from(p)) {
        true => ExitCode::Error,
        false => ExitCode::Success,
    }
}

/// qmail-qread's text, made on `read`'s reading threads.
pub struct QreadText;

impl QreadFormat for QreadText {
    fn plain(&self, m: &QreadMessage<'_>, out: &mut Vec<u8>) {
        head_line(out, m.queued, m.id, m.size, m.sender, m.bouncing);
        for (channel, recipients) in [(Channel::Local, m.local), (Channel::Remote, m.remote)] {
            for (address, done) in recipients.iter() {
                recipient_line(out, channel, address, done);
            }
        }
    }

    fn record(
        &self,
        r: &MessageRecord,
        rcpts: &RecipientList,
        strings: &Interner,
        out: &mut Vec<u8>,
    ) {
        // Writing to a Vec cannot fail.
        let _ = write_qread(out, r, rcpts, strings);
    }
}

/// qmail-qread's first line of a message: date, id, size, sender, `bouncing`.
///
/// Straight into the buffer, no `fmt` machinery or `String`s between: `read` writes this and
/// [`recipient_line`] about 1.1 million times at 100,000 messages, on the reading threads.
fn head_line(
    out: &mut Vec<u8>,
    queued: i64,
    id: crate::queue::MessageId,
    size: u64,
    sender: Option<&[u8]>,
    bouncing: bool,
) {
    write_qmail_date(out, queued);
    out.extend_from_slice(b" GMT  #");
    push_decimal(out, id.0);
    out.extend_from_slice(b"  ");
    push_decimal(out, size);
    out.extend_from_slice(b"  ");
    match sender {
        Some(sender) => {
            out.push(b'<');
            push_printable(out, sender);
            out.push(b'>');
        }
        // An info file without its F line (empty, or cut before the sender's NUL): qmail-qread
        // prints whatever its buffer held from the message before, and `<>` would read as a
        // bounce's null sender. `-`, as `list` writes an unknown sender, is neither.
        None => out.push(b'-'),
    }
    out.extend_from_slice(if bouncing { b"  bouncing\n" } else { b" \n" });
}

/// qmail-qread's line for one recipient.
fn recipient_line(out: &mut Vec<u8>, channel: Channel, address: &[u8], done: bool) {
    if done {
        out.extend_from_slice(b"  done");
    }
    out.extend_from_slice(if channel == Channel::Local {
        b"\tlocal\t"
    } else {
        b"\tremote\t"
    });
    push_printable(out, address);
    out.push(b'\n');
}

/// `v` in decimal.
fn push_decimal(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// `bytes` through qmail-qread's own filter (as `sanitize::qmail_printable`): every byte
/// outside 32..=126 printed as `_`. Copied, then the rare unprintable byte replaced in place.
fn push_printable(out: &mut Vec<u8>, bytes: &[u8]) {
    let from = out.len();
    out.extend_from_slice(bytes);
    // A select, not a branch: the loop is vectorised.
    for b in &mut out[from..] {
        *b = if (32..=126).contains(b) { *b } else { b'_' };
    }
}

/// One message as qmail-qread prints it; messages without info/ are not shown (qmail-qread walks
/// info/ only).
pub fn write_qread(
    out: &mut dyn Write,
    r: &MessageRecord,
    rcpts: &RecipientList,
    strings: &Interner,
) -> std::io::Result<()> {
    if !r.parts.has(Subdir::Info) {
        return Ok(());
    }
    // An empty mess file is no trouble to qmail-qread: it prints the entry with size 0.
    let problem_in = |part: Subdir| {
        r.problems.iter().find(|p| {
            p.part == part && !matches!(p.kind, ProblemKind::WrongSubdir | ProblemKind::EmptyMess)
        })
    };
    // qmail-qread opens mess/<id % split>/<id>: a mess file in another split directory is
    // not there for it.
    let misplaced = r
        .problems
        .iter()
        .any(|p| p.part == Subdir::Mess && p.kind == ProblemKind::WrongSubdir);
    let mess_trouble = if r.parts.has(Subdir::Mess) && !misplaced {
        problem_in(Subdir::Mess).map(|p| trouble(p.kind))
    } else {
        Some("file does not exist")
    };
    if let Some(why) = mess_trouble.or_else(|| {
        problem_in(Subdir::Info)
            .filter(|p| {
                !matches!(
                    p.kind,
                    ProblemKind::TruncatedEnvelope
                        | ProblemKind::NonUtf8Address
                        | ProblemKind::UnknownRecord
                )
            })
            .map(|p| trouble(p.kind))
    }) {
        return writeln!(out, "warning: trouble with #{}: {why}", r.id);
    }
    let sender = r.sender.map(|s| strings.resolve(s));
    let mut text = Vec::new();
    head_line(
        &mut text,
        r.queued(),
        r.id,
        u64::from(r.size),
        sender.as_deref(),
        r.is_bouncing(),
    );
    out.write_all(&text)?;
    for part in [Subdir::Local, Subdir::Remote] {
        if let Some(p) = problem_in(part).filter(|p| {
            !matches!(
                p.kind,
                ProblemKind::TruncatedEnvelope
                    | ProblemKind::NonUtf8Address
                    | ProblemKind::UnknownRecord
            )
        }) {
            writeln!(out, "warning: trouble with #{}: {}", r.id, trouble(p.kind))?;
            continue;
        }
        let channel = if part == Subdir::Local {
            Channel::Local
        } else {
            Channel::Remote
        };
        text.clear();
        for rc in rcpts.iter().filter(|rc| rc.channel == channel) {
            recipient_line(&mut text, channel, rc.address, rc.done);
        }
        out.write_all(&text)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::date::qmail_date;
    use crate::queue::MessageId;
    use crate::sanitize::qmail_printable;

    /// The lines as they were written with `write!` before (issue 22), the reference the
    /// byte-pushing versions must equal.
    fn reference(
        queued: i64,
        id: u64,
        size: u64,
        sender: Option<&[u8]>,
        bouncing: bool,
        rcpts: &[(Channel, &[u8], bool)],
    ) -> Vec<u8> {
        let mut out = format!("{} GMT  #{id}  {size}  ", qmail_date(queued)).into_bytes();
        match sender {
            Some(s) => {
                out.push(b'<');
                out.extend_from_slice(&qmail_printable(s));
                out.push(b'>');
            }
            None => out.push(b'-'),
        }
        out.extend_from_slice(if bouncing { b"  bouncing\n" } else { b" \n" });
        for (channel, address, done) in rcpts {
            if *done {
                out.extend_from_slice(b"  done");
            }
            let name = if *channel == Channel::Local {
                "local"
            } else {
                "remote"
            };
            out.extend_from_slice(format!("\t{name}\t").as_bytes());
            out.extend_from_slice(&qmail_printable(address));
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn lines_are_written_as_with_write() {
        let rcpts: &[(Channel, &[u8], bool)] = &[
            (Channel::Local, b"l@example.com", true),
            (Channel::Remote, b"r\x07\x1b[2J@x.example", false),
            (Channel::Remote, b"", true),
            (Channel::Remote, b"\x7f\x80\xff~ ", false),
        ];
        let senders: [Option<&[u8]>; 4] =
            [None, Some(b""), Some(b"s@y.example"), Some(b"\0\t\x7f")];
        for (queued, id, size) in [
            (1_796_590_417, 5_841_103, 857),
            (0, 0, 0),
            (-1, u64::MAX, u64::MAX),
            (253_402_300_800, 9, 10),
        ] {
            for sender in senders {
                for bouncing in [false, true] {
                    let mut out = b"before\n".to_vec();
                    head_line(&mut out, queued, MessageId(id), size, sender, bouncing);
                    for (channel, address, done) in rcpts {
                        recipient_line(&mut out, *channel, address, *done);
                    }
                    let mut want = b"before\n".to_vec();
                    want.extend(reference(queued, id, size, sender, bouncing, rcpts));
                    assert_eq!(
                        String::from_utf8_lossy(&out),
                        String::from_utf8_lossy(&want)
                    );
                    assert_eq!(out, want);
                }
            }
        }
    }

    #[test]
    fn decimals_are_display_s() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            push_decimal(&mut out, v);
            assert_eq!(out, v.to_string().into_bytes());
        }
    }

    #[test]
    fn printable_is_qmail_printable() {
        let every: Vec<u8> = (0..=255).collect();
        let mut out = b"x".to_vec();
        push_printable(&mut out, &every);
        assert_eq!(out[1..], *qmail_printable(&every));
    }
}
