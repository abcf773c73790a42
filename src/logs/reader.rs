//! Read log files as bounded lines with a unix timestamp: multilog directories, syslog, gzip.
//!
//! A multilog directory is read as its rotated files (`@<tai64n>.s` finished, `.u` unfinished,
//! and their `.gz` if an operator compressed them) in name order, which is time order because
//! the names are fixed-width hex, then `current`. A file is read as plain text unless its name
//! ends in `.gz`. Each line's time comes from its own stamp: a TAI64N label, an RFC 3339 stamp
//! (rsyslog's high-precision format) or a BSD syslog `Nov 23 10:42:07`, whose missing year is
//! inferred from the file's mtime (see [`SyslogClock`]). Lines longer than [`MAX_LINE_BYTES`]
//! are cut there; bytes that are not UTF-8 are decoded lossily by the recognizers, never a panic.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use super::tai64n;

/// Longest line kept, in bytes; the rest of a longer line is skipped (qmail-smtpd lines are
/// short; a longer one is hostile or corrupt, and must not make us buffer a whole file).
pub const MAX_LINE_BYTES: usize = 8192;

/// Most rotated files read from one multilog directory (multilog's `n` defaults to 10).
pub const MAX_ROTATED_FILES: usize = 10_000;

/// Seconds a syslog line may lie after its file's mtime before it is taken to be from the
/// previous year (covers clock skew and a file touched a little before its last line).
pub const YEAR_ROLLOVER_SLACK_SECS: i64 = 86_400;

/// One line read from a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// 1-based line number in its file.
    pub line_no: u32,
    /// The bytes after the timestamp (and, for syslog, after the host name).
    pub text: Vec<u8>,
    /// Unix seconds, when the line carried a readable stamp.
    pub time: Option<i64>,
    /// The line was longer than [`MAX_LINE_BYTES`] and was cut.
    pub is_cut: bool,
    /// The file ended without the line's newline: a line still being written (multilog and
    /// syslog write whole lines), whose end is not there yet (review52: `login success
    /// postmaster@exa` made an account of its own).
    pub is_unterminated: bool,
}

/// How [`read_bounded`]'s line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineEnd {
    /// It was longer than [`MAX_LINE_BYTES`] and was cut.
    pub is_cut: bool,
    /// The input ended before its newline.
    pub is_unterminated: bool,
}

/// The files a `--log` path stands for, oldest first.
pub fn expand(path: &Path) -> io::Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut rotated = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stem = name.strip_suffix(".gz").unwrap_or(name);
        let is_rotated = stem.len() == 1 + tai64n::LABEL_HEX_DIGITS + 2
            && (stem.ends_with(".s") || stem.ends_with(".u"))
            && tai64n::decode(stem.as_bytes()).is_some();
        if is_rotated && entry.file_type()?.is_file() {
            rotated.push(name.to_string());
            if rotated.len() >= MAX_ROTATED_FILES {
                break;
            }
        }
    }
    rotated.sort();
    let mut files: Vec<PathBuf> = rotated.into_iter().map(|n| path.join(n)).collect();
    // Not followed, as the rotated files' links are not (their `file_type` does not follow):
    // a `current` linked to /etc/passwd was read as a log (hostile50).
    let current = path.join("current");
    if std::fs::symlink_metadata(&current).is_ok_and(|m| m.is_file()) {
        files.push(current);
    }
    Ok(files)
}

/// Turns BSD syslog stamps (no year, local time) into unix time for one file.
#[derive(Debug, Clone)]
pub struct SyslogClock {
    /// The file's mtime: no line of it is later (give or take the slack).
    mtime: i64,
    /// The year of the mtime, in the local zone.
    year: i16,
    tz: TimeZone,
}

impl SyslogClock {
    /// A clock for a file last modified at `mtime` (unix seconds), in zone `tz`.
    pub fn new(mtime: i64, tz: TimeZone) -> SyslogClock {
        let year = jiff::Timestamp::from_second(mtime)
            .map(|t| t.to_zoned(tz.clone()).year())
            .unwrap_or(1970);
        SyslogClock { mtime, year, tz }
    }

    /// `Nov 23 10:42:07` → unix seconds. A line dated after the mtime (beyond the slack) was
    /// written in the previous year: a file modified in January holds December's lines.
    pub fn resolve(&self, month: i8, day: i8, h: i8, m: i8, s: i8) -> Option<i64> {
        let at = |year: i16| -> Option<i64> {
            let dt = DateTime::new(year, month, day, h, m, s, 0).ok()?;
            Some(dt.to_zoned(self.tz.clone()).ok()?.timestamp().as_second())
        };
        match at(self.year) {
            Some(t) if t <= self.mtime + YEAR_ROLLOVER_SLACK_SECS => Some(t),
            // Feb 29 of a leap year read in a non-leap mtime year also lands here.
            _ => at(self.year - 1),
        }
    }
}

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn num(b: &[u8]) -> Option<i8> {
    std::str::from_utf8(b).ok()?.trim_start().parse().ok()
}

/// Split a stamp off `line`: returns (time, rest). `rest` starts after the stamp and, for
/// syslog, after the host name.
pub fn split_stamp<'a>(line: &'a [u8], clock: &SyslogClock) -> (Option<i64>, &'a [u8]) {
    if let Some(t) = tai64n::decode(line) {
        let rest = &line[1 + tai64n::LABEL_HEX_DIGITS..];
        return (Some(t.secs), rest.strip_prefix(b" ").unwrap_or(rest));
    }
    if let Some((t, rest)) = bsd_syslog(line, clock).or_else(|| rfc3339_syslog(line)) {
        return (Some(t), skip_host(rest));
    }
    (None, line)
}

/// `Nov 23 10:42:07 ` (day space-padded to two characters).
fn bsd_syslog<'a>(line: &'a [u8], clock: &SyslogClock) -> Option<(i64, &'a [u8])> {
    let head = line.get(..16)?;
    if head[3] != b' ' || head[6] != b' ' || head[9] != b':' || head[12] != b':' || head[15] != b' '
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| *m == &head[..3])? as i8 + 1;
    let (day, h, m, s) = (
        num(&head[4..6])?,
        num(&head[7..9])?,
        num(&head[10..12])?,
        num(&head[13..15])?,
    );
    Some((clock.resolve(month, day, h, m, s)?, &line[16..]))
}

/// `2026-11-23T10:42:07.123456+01:00 ` (rsyslog's RSYSLOG_FileFormat).
fn rfc3339_syslog(line: &[u8]) -> Option<(i64, &[u8])> {
    if !line.first()?.is_ascii_digit() {
        return None;
    }
    let end = line.iter().position(|&b| b == b' ')?.min(40);
    let stamp = std::str::from_utf8(line.get(..end)?).ok()?;
    let ts: jiff::Timestamp = stamp.parse().ok()?;
    Some((ts.as_second(), &line[end + 1..]))
}

fn skip_host(rest: &[u8]) -> &[u8] {
    match rest.iter().position(|&b| b == b' ') {
        Some(i) => &rest[i + 1..],
        None => rest,
    }
}

/// Read the next line into `buf`, keeping at most [`MAX_LINE_BYTES`]. Returns `None` at end of
/// input, else how the line ended.
pub fn read_bounded(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<LineEnd>> {
    buf.clear();
    let mut is_cut = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(LineEnd {
                is_cut,
                is_unterminated: true,
            }));
        }
        any = true;
        let (take, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        is_cut |= take > room;
        r.consume(if found { take + 1 } else { take });
        if found {
            return Ok(Some(LineEnd {
                is_cut,
                is_unterminated: false,
            }));
        }
    }
}

/// Open a log file, decompressing `.gz`.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    open_file(File::open(path)?, path)
}

/// [`open`] of a file opened already (`path` names it, for `.gz`).
fn open_file(file: File, path: &Path) -> io::Result<Box<dyn BufRead>> {
    let is_gz = path.extension().is_some_and(|e| e == "gz");
    let reader: Box<dyn Read> = if is_gz {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Ok(Box::new(BufReader::with_capacity(64 * 1024, reader)))
}

/// Line `line_no` (1-based, as [`RawLine::line_no`] counts) of `path`, at most
/// [`MAX_LINE_BYTES`] of it, read again when a person asks to see it (the inspector): logs are
/// not kept in memory. `None` when the file has fewer lines now (rotated meanwhile).
pub fn line_at(path: &Path, line_no: u32) -> io::Result<Option<Vec<u8>>> {
    let mut r = open(path)?;
    let mut buf = Vec::with_capacity(256);
    let mut n: u32 = 0;
    while read_bounded(&mut r, &mut buf)?.is_some() {
        n = n.saturating_add(1);
        if n == line_no {
            return Ok(Some(buf));
        }
    }
    Ok(None)
}

/// Read every line of `file` (`path` names it: `.gz` is gunzipped), calling `each` for each;
/// the syslog year comes from the file's mtime in `tz`. It takes the file opened: a multilog
/// `current` is opened before the rotated files are read, so that a rotation meanwhile
/// (multilog renames `current` to `@....s` and starts a new one) leaves its lines in the file
/// read, not in one never listed (review52: ten lines lost, nothing said).
pub fn for_each_line(
    file: File,
    path: &Path,
    tz: &TimeZone,
    mut each: impl FnMut(RawLine),
) -> io::Result<()> {
    let mtime = file
        .metadata()?
        .modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map_or(0, |t| t.as_second());
    let clock = SyslogClock::new(mtime, tz.clone());
    let mut r = open_file(file, path)?;
    let mut buf = Vec::with_capacity(256);
    let mut line_no: u32 = 0;
    while let Some(end) = read_bounded(&mut r, &mut buf)? {
        line_no = line_no.saturating_add(1);
        let (time, rest) = split_stamp(&buf, &clock);
        each(RawLine {
            line_no,
            text: rest.to_vec(),
            time,
            is_cut: end.is_cut,
            is_unterminated: end.is_unterminated,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc_clock(mtime: i64) -> SyslogClock {
        SyslogClock::new(mtime, TimeZone::UTC)
    }

    /// Links inside a multilog directory, `current` and rotated files alike, are not followed.
    #[test]
    fn a_multilog_directorys_links_are_not_followed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let elsewhere = dir.path().join("passwd");
        std::fs::write(&elsewhere, "root:x:0:0::/root:/bin/sh\n").expect("write");
        let log = dir.path().join("smtpd");
        std::fs::create_dir(&log).expect("dir");
        let rotated = format!("{}.s", tai64n::encode(1_795_428_000, 5));
        std::os::unix::fs::symlink(&elsewhere, log.join(&rotated)).expect("link");
        std::os::unix::fs::symlink(&elsewhere, log.join("current")).expect("link");
        assert_eq!(expand(&log).expect("listed"), Vec::<PathBuf>::new());
        std::fs::remove_file(log.join("current")).expect("unlink");
        std::fs::write(log.join("current"), "x\n").expect("write");
        assert_eq!(expand(&log).expect("listed"), vec![log.join("current")]);
    }

    #[test]
    fn syslog_stamp_takes_the_mtime_year() {
        // mtime 2026-11-23 12:00 UTC.
        let clock = utc_clock(1_795_435_200);
        let (t, rest) = split_stamp(b"Nov 23 10:42:07 mail vchkpw-pop3[77]: x", &clock);
        assert_eq!(t, Some(1_795_430_527));
        assert_eq!(rest, b"vchkpw-pop3[77]: x");
    }

    #[test]
    fn december_lines_in_a_january_file_are_last_year() {
        // mtime 2027-01-01 00:10 UTC; the line is 2026-12-31 23:59:59.
        let clock = utc_clock(1_798_762_200);
        let (t, _) = split_stamp(b"Dec 31 23:59:59 mail qmail: x", &clock);
        assert_eq!(t, Some(1_798_761_599));
        let (t, _) = split_stamp(b"Jan  1 00:05:00 mail qmail: x", &clock);
        assert_eq!(t, Some(1_798_761_900));
    }

    #[test]
    fn tai64n_and_rfc3339_stamps() {
        let clock = utc_clock(0);
        let line = format!("{} new msg 5", tai64n::encode(1_795_428_000, 5));
        assert_eq!(
            split_stamp(line.as_bytes(), &clock),
            (Some(1_795_428_000), &b"new msg 5"[..])
        );
        let (t, rest) = split_stamp(b"2026-11-23T11:00:00.5+01:00 mail qmail: y", &clock);
        assert_eq!((t, rest), (Some(1_795_428_000), &b"qmail: y"[..]));
        assert_eq!(
            split_stamp(b"no stamp here", &clock),
            (None, &b"no stamp here"[..])
        );
        assert_eq!(split_stamp(b"Foo 23 10:42:07 x", &clock).0, None);
        assert_eq!(split_stamp(b"Nov 99 10:42:07 x y", &clock).0, None);
    }

    #[test]
    fn long_lines_are_cut_and_the_rest_skipped() {
        let mut input = vec![b'a'; MAX_LINE_BYTES + 100];
        input.extend_from_slice(b"\nshort\nlast-without-newline");
        let mut r = io::BufReader::with_capacity(64, &input[..]);
        let mut buf = Vec::new();
        let end = |is_cut, is_unterminated| {
            Some(Some(LineEnd {
                is_cut,
                is_unterminated,
            }))
        };
        assert_eq!(read_bounded(&mut r, &mut buf).ok(), end(true, false));
        assert_eq!(buf.len(), MAX_LINE_BYTES);
        assert_eq!(read_bounded(&mut r, &mut buf).ok(), end(false, false));
        assert_eq!(buf, b"short");
        assert_eq!(read_bounded(&mut r, &mut buf).ok(), end(false, true));
        assert_eq!(buf, b"last-without-newline");
        assert_eq!(read_bounded(&mut r, &mut buf).ok(), Some(None));
    }
}
