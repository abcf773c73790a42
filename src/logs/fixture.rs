//! Log fixtures written the way the daemons write them: multilog directories with real TAI64N
//! stamps (`current` plus rotated `@<tai64n>.s` files), BSD syslog files and gzip rotation.
//!
//! Tests, and anyone building a sample incident, use these instead of hand-writing log bytes;
//! the line texts come from the `*_line` helpers, which follow the formats in docs/logs.md.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use jiff::tz::TimeZone;

use super::tai64n;

/// One line to write: unix time and the text after the stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureLine {
    /// Unix seconds.
    pub time: i64,
    /// The daemon's text (for syslog: `prog[pid]: msg`).
    pub text: Vec<u8>,
}

impl FixtureLine {
    /// A line at `time` with `text`.
    pub fn new(time: i64, text: impl AsRef<[u8]>) -> FixtureLine {
        FixtureLine {
            time,
            text: text.as_ref().to_vec(),
        }
    }
}

fn set_mtime(path: &Path, secs: i64) -> io::Result<()> {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap_or(0));
    File::options().write(true).open(path)?.set_modified(t)
}

fn multilog_bytes(lines: &[FixtureLine]) -> Vec<u8> {
    let mut out = Vec::new();
    for (n, l) in lines.iter().enumerate() {
        // multilog stamps with nanoseconds; vary them so equal seconds still sort.
        out.extend_from_slice(tai64n::encode(l.time, (n as u32 % 1000) * 1000).as_bytes());
        out.push(b' ');
        out.extend_from_slice(&l.text);
        out.push(b'\n');
    }
    out
}

/// A daemontools/multilog log directory (`/var/log/qmail/smtpd`).
#[derive(Debug, Clone)]
pub struct MultilogDir {
    dir: PathBuf,
}

impl MultilogDir {
    /// Create the directory.
    pub fn create(dir: impl AsRef<Path>) -> io::Result<MultilogDir> {
        std::fs::create_dir_all(dir.as_ref())?;
        Ok(MultilogDir {
            dir: dir.as_ref().to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Write a finished rotated file, named like multilog names it: `@<tai64n of the rotation,
    /// one second after the last line>.s`. Returns its path.
    pub fn rotated(&self, lines: &[FixtureLine]) -> io::Result<PathBuf> {
        let at = lines.last().map_or(0, |l| l.time) + 1;
        let path = self.dir.join(format!("{}.s", tai64n::encode(at, 0)));
        std::fs::write(&path, multilog_bytes(lines))?;
        set_mtime(&path, at)?;
        Ok(path)
    }

    /// Write `current` (multilog's live file). Bytes appended raw with [`MultilogDir::append_raw`]
    /// model a line cut mid-write.
    pub fn current(&self, lines: &[FixtureLine]) -> io::Result<PathBuf> {
        let path = self.dir.join("current");
        std::fs::write(&path, multilog_bytes(lines))?;
        Ok(path)
    }

    /// Append raw bytes to `current` (a truncated last line, garbage).
    pub fn append_raw(&self, bytes: &[u8]) -> io::Result<()> {
        File::options()
            .append(true)
            .create(true)
            .open(self.dir.join("current"))?
            .write_all(bytes)
    }
}

/// BSD syslog bytes: `Nov 23 10:42:07 host text` in zone `tz`.
pub fn syslog_bytes(lines: &[FixtureLine], host: &str, tz: &TimeZone) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        let stamp = jiff::Timestamp::from_second(l.time)
            .map(|t| {
                t.to_zoned(tz.clone())
                    .strftime("%b %e %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        out.extend_from_slice(format!("{stamp} {host} ").as_bytes());
        out.extend_from_slice(&l.text);
        out.push(b'\n');
    }
    out
}

/// Write a syslog file (`maillog`) whose mtime is its last line's time, as syslogd leaves it.
pub fn write_syslog(path: &Path, lines: &[FixtureLine], tz: &TimeZone) -> io::Result<()> {
    std::fs::write(path, syslog_bytes(lines, "mail", tz))?;
    set_mtime(path, lines.last().map_or(0, |l| l.time))
}

/// Write a gzip-rotated syslog file (`maillog.1.gz`), as logrotate's `compress` leaves it.
pub fn write_syslog_gz(path: &Path, lines: &[FixtureLine], tz: &TimeZone) -> io::Result<()> {
    let mut gz = flate2::write::GzEncoder::new(File::create(path)?, flate2::Compression::default());
    gz.write_all(&syslog_bytes(lines, "mail", tz))?;
    gz.finish()?;
    set_mtime(path, lines.last().map_or(0, |l| l.time))
}

/// `CHKUSER relaying rcpt: from <sender:auth:> remote <helo:unknown:ip> rcpt <rcpt> : client
/// allowed to relay`.
pub fn chkuser_relaying_line(sender: &str, auth: &str, helo: &str, ip: &str, rcpt: &str) -> String {
    format!("CHKUSER relaying rcpt: from <{sender}:{auth}:> remote <{helo}:unknown:{ip}> rcpt <{rcpt}> : client allowed to relay")
}

/// The tcpserver lines around one SMTP session: `pid`, `ok`, and (last) `end`.
pub fn tcpserver_lines(pid: u32, ip: &str) -> [String; 3] {
    [
        format!("tcpserver: pid {pid} from {ip}"),
        format!("tcpserver: ok {pid} mail.example.com:10.0.0.1:25 :{ip}::51234"),
        format!("tcpserver: end {pid} status 0"),
    ]
}

/// qmail-send's `new msg`, `info msg` and `starting delivery` lines for one message.
pub fn qmail_send_lines(id: u64, qp: u32, sender: &str, rcpt: &str) -> [String; 3] {
    [
        format!("new msg {id}"),
        format!("info msg {id}: bytes 2275 from <{sender}> qp {qp} uid 1002"),
        format!("starting delivery 1: msg {id} to remote {rcpt}"),
    ]
}

/// One CHKUSER line naming `user` for each of `records`, a second before qmail-queue's
/// Received date (else its queued time): the log qmail-smtpd writes when its Received lines
/// name no AUTH user, as `gen-queue --smtpd-log` writes it for the `log-only-auth` mix. Sorted
/// by time, as a log is.
pub fn chkuser_lines_for<'a>(
    records: impl IntoIterator<Item = &'a crate::queue::MessageRecord>,
    strings: &crate::queue::Interner,
    user: &str,
) -> Vec<FixtureLine> {
    let text = |s: Option<crate::queue::Sym>| s.map(|s| strings.text(s)).unwrap_or_default();
    let mut lines: Vec<FixtureLine> = records
        .into_iter()
        .map(|r| {
            let line = chkuser_relaying_line(
                &text(r.sender),
                user,
                "User",
                &text(r.origin.ip),
                &text(r.recipients.first()),
            );
            FixtureLine::new(r.qmail_queue_time().unwrap_or(r.queued()) - 1, line)
        })
        .collect();
    lines.sort_by_key(|l| l.time);
    lines
}
