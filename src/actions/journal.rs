//! The journal: one append-only, fsync'd JSON-lines file per batch under `<yank>/.journal/`.
//!
//! Format (docs/architecture.md "Journal"): a `batch` line (id, direction, query, times), one
//! `message` line per message (id, its files, mtimes for expire), then a `sealed` line. The file
//! and its directory are fsync'd before the first file of the batch moves, so after any crash the
//! batch record is either absent/unsealed (then nothing was moved) or complete. It is written as
//! `<batch>.journal-new` and renamed to its name only once sealed: a kill while it is written
//! leaves no `.journal` with a torn first line, which would stop every later action until removed
//! by hand (`recover` removes what such a kill leaves). As the batch runs
//! `progress` and `failed` lines are appended; `done` is appended only after every touched
//! directory was fsync'd. A torn last line (crash while appending) is ignored when reading.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{ActionError, JournalProblem};
use super::failpoint::Armed;
use crate::queue::{MessageId, Subdir};

/// The journal format version written in every batch line.
pub const JOURNAL_VERSION: u32 = 1;
/// The most lines a journal may have (a batch of 10 million messages fits).
pub const MAX_JOURNAL_LINES: usize = 20_000_000;
/// The name of the journal directory inside the yank area.
pub const JOURNAL_DIR: &str = ".journal";
/// The suffix of journal files.
pub const JOURNAL_SUFFIX: &str = ".journal";
/// The suffix of a journal while it is written, before it is sealed (never read as a batch).
pub const PENDING_SUFFIX: &str = ".journal-new";

/// Which way a batch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Queue → yank area.
    Yank,
    /// Yank area → queue (and/or put expired info mtimes back).
    Restore,
    /// Unlink from the yank area.
    Purge,
    /// Set info mtimes back past queuelifetime.
    Expire,
}

impl Direction {
    /// The name used in journals, output and failpoints.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Yank => "yank",
            Direction::Restore => "restore",
            Direction::Purge => "purge",
            Direction::Expire => "expire",
        }
    }
}

/// The first line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchHeader {
    /// Format version ([`JOURNAL_VERSION`]).
    pub version: u32,
    /// The batch id (also the file name without suffix).
    pub batch: String,
    /// Which way it goes.
    pub direction: Direction,
    /// The query (or selection) text that chose the messages, for the operator.
    pub query: String,
    /// Unix seconds when the batch was written.
    pub created: i64,
    /// The queue directory (informational; recovery uses the queue it is run on).
    pub queue: String,
    /// conf-split of the queue when the batch ran.
    pub split: u32,
    /// The big-todo layout was in use.
    pub big_todo: bool,
    /// For a restore: the batch it undoes, if it was chosen with `--batch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// For a restore: the operator picked its messages (a query, `--ids`), their verdict that
    /// the mail is real ([`super::restored`]); absent for an undo.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub verdict: bool,
}

/// One message of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalMessage {
    /// The message id.
    pub id: MessageId,
    /// Its files to move or unlink, by queue subdirectory name.
    #[serde(with = "subdir_names")]
    pub files: Vec<Subdir>,
    /// The info mtime to set (expire; restore of an expire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_mtime: Option<i64>,
    /// The info mtime before the batch (expire), so the batch can be undone. A message expired
    /// twice keeps its first expire's original birth time here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_mtime: Option<i64>,
    /// The inode of the info file re-timed (expire, and the undo of an expire): ids are inode
    /// numbers that qmail reuses, so a re-time applies only to this very file. Absent in journals
    /// written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_inode: Option<u64>,
    /// A yank: its mess file as journaled, under the lock. Recovery (and the run itself) moves
    /// a message whose mess is still queued only while it is this very file: a batch killed
    /// and recovered after qmail-send ran again would otherwise yank new mail that took the id.
    /// Absent in journals written before it was recorded. A restore: the mess file it puts
    /// back, by which the queue's message is known as the one the operator restored
    /// ([`super::restored`]). An expire and the undo of one: the queued message's mess file,
    /// which a re-time requires unchanged (the info file's inode alone is reused with the id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mess: Option<MessStamp>,
}

/// A mess file's size and mtime (seconds, nanoseconds), as `lstat` gives them: a rename keeps
/// both, new mail under the same id does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessStamp(pub u64, pub i64, pub i64);

impl MessStamp {
    /// The stamp of a file's metadata.
    pub fn of(m: &std::fs::Metadata) -> MessStamp {
        use std::os::unix::fs::MetadataExt;
        MessStamp(m.len(), m.mtime(), m.mtime_nsec())
    }
}

mod subdir_names {
    use super::Subdir;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[Subdir], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|d| d.name()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Subdir>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|n| Subdir::from_name(n).ok_or_else(|| serde::de::Error::custom(n)))
            .collect()
    }
}

/// One line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Line {
    Batch(BatchHeader),
    Message(JournalMessage),
    Sealed {
        messages: u64,
    },
    Progress {
        messages: u64,
    },
    Failed {
        id: MessageId,
        reason: String,
    },
    Done {
        messages: u64,
        failed: u64,
        recovered: bool,
    },
    Abandoned,
}

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BatchState {
    /// Finished: every message moved (or failed and left whole where it was).
    Done,
    /// Sealed but not done: interrupted; recovery completes it.
    Interrupted,
    /// Never sealed: nothing was moved; recovery marks it abandoned.
    Unsealed,
    /// An unsealed batch that recovery has closed.
    Abandoned,
}

impl BatchState {
    /// Its name in listings: `done`, `interrupted`, `unsealed`, `abandoned` (as `--json`'s
    /// `state` writes it).
    pub fn name(self) -> &'static str {
        match self {
            BatchState::Done => "done",
            BatchState::Interrupted => "interrupted",
            BatchState::Unsealed => "unsealed",
            BatchState::Abandoned => "abandoned",
        }
    }
}

/// A journal read back.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The journal file.
    pub path: PathBuf,
    /// Its batch line.
    pub header: BatchHeader,
    /// Its messages.
    pub messages: Vec<JournalMessage>,
    /// Messages that failed and were left whole at their origin.
    pub failed: HashSet<MessageId>,
    /// Where it stands.
    pub state: BatchState,
    /// The last progress count seen.
    pub progress: u64,
    /// The messages its `sealed` line counts (none when never sealed): a damaged message line
    /// is skipped on reading, and this tells.
    pub sealed: Option<u64>,
}

/// Serialize one line (never fails for these types; an error would be a bug, reported as I/O).
fn encode(line: &Line, buf: &mut Vec<u8>) -> io::Result<()> {
    serde_json::to_writer(&mut *buf, line).map_err(io::Error::other)?;
    buf.push(b'\n');
    Ok(())
}

/// fsync a directory so the entries created or renamed in it are durable.
pub fn fsync_dir(dir: &Path) -> Result<(), ActionError> {
    let f = File::open(dir).map_err(|e| ActionError::io(dir, e))?;
    f.sync_all().map_err(|e| ActionError::io(dir, e))
}

/// An open journal being appended to by a running batch.
#[derive(Debug)]
pub struct JournalWriter {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
}

impl JournalWriter {
    /// Write and seal a new batch record: header, messages, `sealed`; fsync it, give it its
    /// name (`<batch>.journal`, never replacing one) and fsync the directory. On error nothing
    /// is left under either name (it was never sealed, so nothing moved).
    pub(crate) fn create(
        dir: &Path,
        header: &BatchHeader,
        messages: &[JournalMessage],
        fail: &Armed,
    ) -> Result<JournalWriter, ActionError> {
        let pending = dir.join(format!("{}{PENDING_SUFFIX}", header.batch));
        let path = dir.join(format!("{}{JOURNAL_SUFFIX}", header.batch));
        // One a killed run of this very batch id left: we hold the journal lock, so it is stale.
        let _ = std::fs::remove_file(&pending);
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&pending)
            .map_err(|e| ActionError::io(&pending, e))?;
        let mut w = JournalWriter {
            file,
            path: pending.clone(),
            buf: Vec::with_capacity(1 << 16),
        };
        let named = w.write_record(header, messages, fail).and_then(|()| {
            super::mover::rename_noreplace(&pending, &path)
                .map_err(|e| ActionError::io(&path, e))?;
            w.path = path.clone();
            fsync_dir(dir)
        });
        match named {
            Ok(()) => Ok(w),
            Err(e) => {
                // Best effort: what is left is removed by recovery anyway.
                let _ = std::fs::remove_file(&pending);
                if w.path == path {
                    // Durably: a sealed journal back after a power loss would be recovered,
                    // carrying out a batch the operator was told had failed.
                    let _ = std::fs::remove_file(&path);
                    let _ = fsync_dir(dir);
                }
                Err(e)
            }
        }
    }

    fn write_record(
        &mut self,
        header: &BatchHeader,
        messages: &[JournalMessage],
        fail: &Armed,
    ) -> Result<(), ActionError> {
        let io = |p: &Path, e| ActionError::io(p, e);
        encode(&Line::Batch(header.clone()), &mut self.buf).map_err(|e| io(&self.path, e))?;
        for m in messages {
            encode(&Line::Message(m.clone()), &mut self.buf).map_err(|e| io(&self.path, e))?;
            if self.buf.len() > 1 << 20 {
                self.flush()?;
            }
        }
        let sealed = Line::Sealed {
            messages: messages.len() as u64,
        };
        encode(&sealed, &mut self.buf).map_err(|e| io(&self.path, e))?;
        if fail.journal_enospc() {
            return Err(io(
                &self.path,
                io::Error::from_raw_os_error(rustix::io::Errno::NOSPC.raw_os_error()),
            ));
        }
        let half = self.buf.iter().position(|&b| b == b'\n').unwrap_or(0) / 2;
        fail.in_journal(&mut self.file, &self.buf[..half]);
        self.flush()?;
        self.file.sync_all().map_err(|e| io(&self.path, e))
    }

    fn flush(&mut self) -> Result<(), ActionError> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| ActionError::io(&self.path, e))?;
        self.buf.clear();
        Ok(())
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Note progress (a hint for the operator; recovery does not depend on it).
    pub(crate) fn progress(&mut self, messages: u64) -> Result<(), ActionError> {
        encode(&Line::Progress { messages }, &mut self.buf)
            .map_err(|e| ActionError::io(&self.path, e))?;
        self.flush()
    }

    /// Note a message that failed and was put back whole where it was.
    pub(crate) fn failed(&mut self, id: MessageId, reason: &str) -> Result<(), ActionError> {
        let line = Line::Failed {
            id,
            reason: reason.to_string(),
        };
        encode(&line, &mut self.buf).map_err(|e| ActionError::io(&self.path, e))?;
        self.flush()
    }

    /// Mark the batch done (the caller has fsync'd every touched directory) and fsync.
    pub(crate) fn done(
        mut self,
        messages: u64,
        failed: u64,
        recovered: bool,
    ) -> Result<(), ActionError> {
        let line = Line::Done {
            messages,
            failed,
            recovered,
        };
        encode(&line, &mut self.buf).map_err(|e| ActionError::io(&self.path, e))?;
        self.flush()?;
        self.file
            .sync_all()
            .map_err(|e| ActionError::io(&self.path, e))
    }

    /// Reopen an existing journal to append to it (recovery).
    pub(crate) fn reopen(path: &Path) -> Result<JournalWriter, ActionError> {
        let mut file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| ActionError::io(path, e))?;
        // A torn last line gets a newline so our next line parses on its own.
        let len = file.metadata().map_err(|e| ActionError::io(path, e))?.len();
        let mut w = JournalWriter {
            file: file.try_clone().map_err(|e| ActionError::io(path, e))?,
            path: path.to_path_buf(),
            buf: Vec::new(),
        };
        if len > 0 {
            let mut r = File::open(path).map_err(|e| ActionError::io(path, e))?;
            r.seek(SeekFrom::Start(len - 1))
                .map_err(|e| ActionError::io(path, e))?;
            let mut last = [0u8; 1];
            r.read_exact(&mut last)
                .map_err(|e| ActionError::io(path, e))?;
            if last[0] != b'\n' {
                file.write_all(b"\n")
                    .map_err(|e| ActionError::io(path, e))?;
            }
        }
        w.buf.clear();
        Ok(w)
    }

    /// Close an unsealed batch: nothing of it was ever moved.
    pub(crate) fn abandon(mut self) -> Result<(), ActionError> {
        encode(&Line::Abandoned, &mut self.buf).map_err(|e| ActionError::io(&self.path, e))?;
        self.flush()?;
        self.file
            .sync_all()
            .map_err(|e| ActionError::io(&self.path, e))
    }
}

/// Read a journal back. Unparseable lines after the header (a torn append) are skipped. A file
/// whose first line was never finished ([`JournalProblem::TornHeader`]: one an older qtriage was
/// killed while writing) is no batch: nothing of it moved.
pub fn load(path: &Path) -> Result<Batch, ActionError> {
    let bytes = std::fs::read(path).map_err(|e| ActionError::io(path, e))?;
    let bad = |problem| ActionError::Journal {
        path: path.to_path_buf(),
        problem,
    };
    if !bytes.contains(&b'\n') {
        return Err(bad(JournalProblem::TornHeader));
    }
    let mut lines = bytes.split(|b| *b == b'\n');
    let header = match lines.next().map(serde_json::from_slice::<Line>) {
        // A split of 0 would divide by zero in every path; qtriage never writes one.
        Some(Ok(Line::Batch(h)))
            if h.version == JOURNAL_VERSION && (1..=crate::queue::MAX_SPLIT).contains(&h.split) =>
        {
            h
        }
        _ => return Err(bad(JournalProblem::BadHeader)),
    };
    let mut b = Batch {
        path: path.to_path_buf(),
        header,
        messages: Vec::new(),
        failed: HashSet::new(),
        state: BatchState::Unsealed,
        progress: 0,
        sealed: None,
    };
    for (n, line) in lines.enumerate() {
        if n >= MAX_JOURNAL_LINES {
            return Err(bad(JournalProblem::TooLong));
        }
        match serde_json::from_slice::<Line>(line) {
            Ok(Line::Message(m)) if b.state == BatchState::Unsealed => b.messages.push(m),
            Ok(Line::Sealed { messages }) if b.state == BatchState::Unsealed => {
                b.state = BatchState::Interrupted;
                b.sealed = Some(messages);
            }
            Ok(Line::Progress { messages }) => b.progress = messages,
            Ok(Line::Failed { id, .. }) => {
                b.failed.insert(id);
            }
            Ok(Line::Done { .. }) if b.state == BatchState::Interrupted => {
                b.state = BatchState::Done
            }
            Ok(Line::Abandoned) if b.state == BatchState::Unsealed => {
                b.state = BatchState::Abandoned
            }
            _ => {}
        }
    }
    Ok(b)
}

/// The direction of the batch in the journal at `path`, from its first line alone (`None` when
/// that line is not a batch header), so finding the expire batches does not read every yank's.
pub fn direction_of(path: &Path) -> Result<Option<Direction>, ActionError> {
    Ok(header_of(path)?.map(|h| h.direction))
}

/// The batch line of the journal at `path`, from its first line alone (`None` when that line
/// is not a batch header).
pub fn header_of(path: &Path) -> Result<Option<BatchHeader>, ActionError> {
    use std::io::BufRead;
    let f = File::open(path).map_err(|e| ActionError::io(path, e))?;
    let mut first = Vec::new();
    io::BufReader::new(f.take(1 << 20))
        .read_until(b'\n', &mut first)
        .map_err(|e| ActionError::io(path, e))?;
    Ok(
        match serde_json::from_slice::<Line>(first.trim_ascii_end()) {
            Ok(Line::Batch(h)) => Some(h),
            _ => None,
        },
    )
}

/// Is the journal finished (done or abandoned)? Reads only its tail, so checking many old
/// journals before every action stays cheap.
pub fn is_finished(path: &Path) -> Result<bool, ActionError> {
    let mut f = File::open(path).map_err(|e| ActionError::io(path, e))?;
    let len = f.metadata().map_err(|e| ActionError::io(path, e))?.len();
    let start = len.saturating_sub(256);
    f.seek(SeekFrom::Start(start))
        .map_err(|e| ActionError::io(path, e))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail)
        .map_err(|e| ActionError::io(path, e))?;
    let last = tail
        .split(|b| *b == b'\n')
        .rev()
        .find(|l| !l.is_empty())
        .unwrap_or(&[]);
    Ok(matches!(
        serde_json::from_slice::<Line>(last),
        Ok(Line::Done { .. } | Line::Abandoned)
    ))
}

/// The journal files in `journal_dir`, oldest batch first (batch ids sort by time).
pub fn journal_files(journal_dir: &Path) -> Result<Vec<PathBuf>, ActionError> {
    files_ending(journal_dir, JOURNAL_SUFFIX)
}

/// The journals a killed run left while writing them (`<batch>.journal-new`): never sealed, so
/// nothing of them moved.
pub fn pending_files(journal_dir: &Path) -> Result<Vec<PathBuf>, ActionError> {
    files_ending(journal_dir, PENDING_SUFFIX)
}

/// The files of `journal_dir` whose names end in `suffix`, sorted (none when it is missing).
/// Only regular files, as `lstat` sees them: qtriage writes nothing else there, and opening a
/// FIFO planted under a journal's name would hang every command that reads the journal, a
/// link lead it elsewhere.
fn files_ending(journal_dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, ActionError> {
    let rd = match std::fs::read_dir(journal_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ActionError::io(journal_dir, e)),
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        // The name, not the whole path: a queue under a directory whose name is not UTF-8
        // had every batch skipped, its undo "nothing to restore" (script53).
        .filter(|e| e.file_name().as_bytes().ends_with(suffix.as_bytes()))
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

/// Is this error a journal whose first line was never finished ([`load`])?
pub fn is_torn_header(e: &ActionError) -> bool {
    matches!(
        e,
        ActionError::Journal {
            problem: JournalProblem::TornHeader,
            ..
        }
    )
}

/// A new batch id: UTC time to the second plus four hex digits, e.g. `20261123-101117-3f2a`,
/// sorting after every batch of the same second among `earlier` (the journal's files, listed
/// under the journal lock that serialises batches).
///
/// The ledger reads batches oldest first by name, and a yanked message belongs to the latest
/// yank that moved it; an undo and a yank again within one second, with random digits, came in
/// either order. So a second's first batch takes random digits below `8000` and each later one
/// the highest of that second plus one. (A batch of a later second, from a clock set back,
/// still sorts after: the time in the id is not bent to hide that.)
pub fn new_batch_id(now: i64, earlier: &[PathBuf]) -> String {
    let time = jiff::Timestamp::from_second(now)
        .map(|t| t.strftime("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|_| now.to_string());
    let prefix = format!("{time}-");
    let highest = earlier
        .iter()
        .filter_map(|p| p.file_name()?.to_str()?.strip_suffix(JOURNAL_SUFFIX))
        .filter_map(|id| id.strip_prefix(&prefix))
        .filter(|digits| digits.len() == 4)
        .filter_map(|digits| u16::from_str_radix(digits, 16).ok())
        .max();
    let digits = match highest {
        Some(h) => h.saturating_add(1),
        None => rand::random::<u16>() & 0x7fff,
    };
    format!("{prefix}{digits:04x}")
}

#[cfg(test)]
mod tests;
