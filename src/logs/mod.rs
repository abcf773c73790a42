//! Log evidence: read the smtpd, qmail-send and login logs and tie them to the queue.
#![deny(clippy::unwrap_used)]
//!
//! The AUTH user of a flood is often in no header of the queued message (old AUTH patches,
//! POP-before-SMTP, a relay opened by a guessed password). It is in the logs: qmail-smtpd's
//! CHKUSER lines, vchkpw/Dovecot/Courier login lines, qmail-send's `info msg` lines.
//!
//! # Use
//! ```no_run
//! use qtriage::logs::{attribute, LogEvidence};
//! # fn demo(records: &[qtriage::queue::MessageRecord], strings: &qtriage::queue::Interner) -> Result<(), qtriage::logs::LogError> {
//! let evidence = LogEvidence::load(&["/var/log/qmail/smtpd".into(), "/var/log/maillog".into()])?;
//! let found = attribute(records, strings, &evidence); // HashMap<MessageId, LogAttribution>
//! for (id, a) in &found {
//!     println!("#{id}: {} ({})", a.auth_user, a.evidence);
//! }
//! let summary = qtriage::logs::guessing::summarize(&evidence); // for `qtriage logins`
//! # let _ = summary; Ok(()) }
//! ```
//! - [`LogEvidence::load`] reads `--log` paths (multilog directories, syslog files, `.gz`),
//!   recognizes each line ([`recognize`]) and keeps [`LogEntry`]s sorted by time, plus a
//!   [`SourceReport`] per file (lines read, recognized, unknown, untimed, cut).
//! - [`attribute`] (in [`correlate`]) gives, for each message whose headers name no AUTH user,
//!   the user the logs name, with a human-readable evidence string naming file, line and time.
//! - [`guessing::summarize`] finds harvesting IPs and guessed accounts.
//! - [`decode_auth`] decodes AUTH LOGIN / PLAIN exchanges in SMTP transcripts.

pub mod correlate;
pub mod decode_auth;
pub mod event;
pub mod fixture;
pub mod guessing;
pub mod reader;
pub mod recognize;
pub mod tai64n;

use std::path::{Path, PathBuf};

pub use correlate::{attribute, AttributionSource, LogAttribution};
pub use event::{LogEntry, LogEvent, LogRef};

/// Most lines read from all logs together; past it the rest is counted as skipped (a year of
/// a busy server's logs would otherwise fill memory).
pub const MAX_TOTAL_LINES: u64 = 50_000_000;

/// Why logs could not be read. Names the path.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A `--log` path or one of the files in it could not be opened or read.
    #[error("log {path}: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// What reading one file gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SourceReport {
    /// The file.
    pub path: PathBuf,
    /// Lines read.
    pub lines: u64,
    /// Lines a recognizer took.
    pub recognized: u64,
    /// Lines with a stamp that no recognizer took.
    pub unknown: u64,
    /// Lines without a readable stamp (not used: correlation needs the time).
    pub untimed: u64,
    /// Lines longer than [`reader::MAX_LINE_BYTES`], cut.
    pub cut: u64,
    /// A last line without its newline, still being written: not read.
    pub unfinished: u64,
}

/// Everything recognized in the logs, sorted by time.
#[derive(Debug, Clone, Default)]
pub struct LogEvidence {
    /// The files read, in reading order; [`LogRef::file`] indexes this.
    pub files: Vec<PathBuf>,
    /// Recognized lines, by time (stable: equal times keep file order).
    pub entries: Vec<LogEntry>,
    /// One report per file, same order as `files`.
    pub reports: Vec<SourceReport>,
}

/// The `--log` entries that name something: `QTRIAGE_LOGS=a::b` or a trailing colon gives
/// empty entries, which are not paths. The one rule for every face and [`crate::analysis::setup`].
pub fn given_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|p| !p.as_os_str().is_empty())
        .cloned()
        .collect()
}

impl LogEvidence {
    /// Read the [`given_paths`] of `paths`; `None` when none is left.
    pub fn load_given(paths: &[PathBuf]) -> Result<Option<LogEvidence>, LogError> {
        let given = given_paths(paths);
        if given.is_empty() {
            return Ok(None);
        }
        Self::load(&given).map(Some)
    }

    /// Read every path (files or multilog directories) in the system time zone.
    pub fn load(paths: &[PathBuf]) -> Result<LogEvidence, LogError> {
        Self::load_in(paths, &jiff::tz::TimeZone::system())
    }

    /// Read every path, taking syslog stamps as local time in `tz`.
    pub fn load_in(paths: &[PathBuf], tz: &jiff::tz::TimeZone) -> Result<LogEvidence, LogError> {
        let mut ev = LogEvidence::default();
        let mut total: u64 = 0;
        for p in paths {
            let files = reader::expand(p).map_err(|source| LogError::Read {
                path: p.clone(),
                source,
            })?;
            // `current` first opened, then read last (see `reader::for_each_line`).
            let read_error = |path: &Path, source| LogError::Read {
                path: path.to_path_buf(),
                source,
            };
            let current = (files.last())
                .filter(|f| f.file_name().is_some_and(|n| n == "current") && files.len() > 1)
                .map(|f| std::fs::File::open(f).map_err(|e| read_error(f, e)))
                .transpose()?;
            let rotated = files.len() - usize::from(current.is_some());
            for f in &files[..rotated] {
                let file = std::fs::File::open(f).map_err(|e| read_error(f, e))?;
                ev.read_file(file, f, tz, &mut total)?;
            }
            if let (Some(file), Some(f)) = (current, files.last()) {
                ev.read_file(file, f, tz, &mut total)?;
            }
        }
        ev.entries.sort_by_key(|e| e.time);
        Ok(ev)
    }

    fn read_file(
        &mut self,
        file_handle: std::fs::File,
        path: &Path,
        tz: &jiff::tz::TimeZone,
        total: &mut u64,
    ) -> Result<(), LogError> {
        let file = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        let mut report = SourceReport {
            path: path.to_path_buf(),
            ..SourceReport::default()
        };
        let entries = &mut self.entries;
        reader::for_each_line(file_handle, path, tz, |raw| {
            *total += 1;
            if *total > MAX_TOTAL_LINES {
                return;
            }
            report.lines += 1;
            if raw.is_unterminated {
                report.unfinished += 1;
                return;
            }
            if raw.is_cut {
                // Its end (the IP, often) is gone: recognized, a failure line of 9,000 escape
                // bytes became a login of 9,000 `\e` with no IP (the hostile-input audit).
                report.cut += 1;
                return;
            }
            let Some(time) = raw.time else {
                report.untimed += 1;
                return;
            };
            match recognize::recognize(&String::from_utf8_lossy(&raw.text)) {
                Some(event) => {
                    report.recognized += 1;
                    entries.push(LogEntry {
                        time,
                        at: LogRef {
                            file,
                            line: raw.line_no,
                        },
                        event,
                    });
                }
                None => report.unknown += 1,
            }
        })
        .map_err(|source| LogError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.files.push(path.to_path_buf());
        self.reports.push(report);
        Ok(())
    }

    /// The file a reference points into.
    pub fn file_of(&self, at: LogRef) -> PathBuf {
        self.files
            .get(at.file as usize)
            .cloned()
            .unwrap_or_default()
    }

    /// `path:line` of `at`, as evidence strings name it.
    pub fn place(&self, at: LogRef) -> String {
        let path = self
            .files
            .get(at.file as usize)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        format!("{path}:{}", at.line)
    }

    /// Entries whose time lies in `from..=to` (binary search on the sorted list).
    pub fn between(&self, from: i64, to: i64) -> &[LogEntry] {
        let lo = self.entries.partition_point(|e| e.time < from);
        let hi = self.entries.partition_point(|e| e.time <= to);
        self.entries.get(lo..hi.max(lo)).unwrap_or(&[])
    }
}
