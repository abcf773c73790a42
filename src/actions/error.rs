//! ActionError: why an action (yank, restore, purge, expire, recover) stopped, naming the path, id
//! or the process holding a lock ([`Holder`]).

use std::io;
use std::path::PathBuf;

use crate::queue::MessageId;

/// What is wrong with a journal file that recovery cannot use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalProblem {
    /// The first line is not a batch header this version understands.
    BadHeader,
    /// The journal has more lines than [`super::journal::MAX_JOURNAL_LINES`].
    TooLong,
    /// The first line was never finished: the writer was killed before the batch was sealed.
    TornHeader,
    /// Its message lines are not the ones its `sealed` line counts: a line was damaged.
    MessagesMissing,
}

impl std::fmt::Display for JournalProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            JournalProblem::BadHeader => "not a qtriage journal (bad or unknown header line)",
            JournalProblem::TooLong => "too many lines",
            JournalProblem::TornHeader => {
                "its first line was never finished (never sealed: nothing of it moved)"
            }
            JournalProblem::MessagesMissing => {
                "damaged: it holds fewer message lines than its sealed line counts"
            }
        })
    }
}

/// Why an action could not run or stopped. Every variant names what the operator must look at.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// qmail-send holds `lock/sendmutex`, and `--force` was not given.
    #[error("qmail-send is running: {lock} is locked{}", holder_text(.holder))]
    SendRunning {
        /// The sendmutex path.
        lock: PathBuf,
        /// The process holding it, when /proc shows it.
        holder: Option<Holder>,
    },
    /// Someone holds a flock on the queue directory: another qtriage action (which takes it
    /// whatever its yank area), or any program that locked it.
    #[error(
        "another qtriage action (or a program that locked the queue directory) is running: \
         {queue} is locked{}",
        holder_text(.holder)
    )]
    QueueLocked {
        /// The queue directory.
        queue: PathBuf,
        /// The process holding it, when /proc shows it.
        holder: Option<Holder>,
    },
    /// Another qtriage action holds the yank area's journal lock.
    #[error("another qtriage action is running: {lock} is locked")]
    ActionRunning {
        /// The journal lock path.
        lock: PathBuf,
    },
    /// The yank area is on another filesystem: rename(2) cannot move files there atomically.
    #[error(
        "the yank area {yank} is on another filesystem than the queue {queue}: \
         rename(2) cannot move messages there; choose a --yank-dir on the queue's filesystem"
    )]
    CrossDevice {
        /// The queue directory.
        queue: PathBuf,
        /// The yank area.
        yank: PathBuf,
    },
    /// The yank area is on the queue's filesystem but another mount of it (a bind mount):
    /// rename(2) fails with EXDEV between mounts whatever their device (safety63).
    #[error(
        "the yank area {yank} is on another mount than the queue {queue} (a bind mount of its \
         filesystem): rename(2) cannot move messages between mounts; choose a --yank-dir on the \
         queue's mount"
    )]
    OtherMount {
        /// The queue directory.
        queue: PathBuf,
        /// The yank area.
        yank: PathBuf,
    },
    /// The yank area is the queue's directory or inside one of qmail's (`pid/`, `mess/`, ...):
    /// qmail reads those, and qmail-clean deletes every file of `pid/` 36 hours old.
    #[error(
        "the yank area {yank} is {place}, which qmail reads (qmail-clean deletes old files in \
         pid/): choose a --yank-dir outside qmail's directories (the default, <queue>/yanked, is)"
    )]
    InsideQueue {
        /// The yank area.
        yank: PathBuf,
        /// `the queue directory` or `inside the queue's pid/`.
        place: String,
    },
    /// An I/O error on a path that is not one message's file (journal, directory, lock).
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A journal file recovery cannot read.
    #[error("journal {path}: {problem}")]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong with it.
        problem: JournalProblem,
    },
    /// `--batch` names no journal in the yank area.
    #[error("no batch {batch} in {dir}")]
    NoSuchBatch {
        /// The batch id asked for.
        batch: String,
        /// The journal directory searched.
        dir: PathBuf,
    },
    /// `purge --batch` names a batch that yanked nothing (a restore, purge or expire), or
    /// `restore --batch` one that yanked nothing and re-timed nothing (a restore or purge).
    #[error("batch {batch} is {} batch, not a yank: it holds no message to {verb}", a_batch_of(.direction))]
    NotAYank {
        /// The batch id asked for.
        batch: String,
        /// What the batch did (`restore`, `purge`, `expire`).
        direction: &'static str,
        /// What was asked of its messages (`delete`, `restore`).
        verb: &'static str,
    },
    /// Messages are left split between queue and yank area and could not be made whole.
    #[error(
        "batch {batch}: {} message(s) could not be made whole (first: #{}, {reason}); \
         fix the cause and run `qtriage recover`",
        .ids.len(), .ids.first().map_or(0, |i| i.0)
    )]
    Split {
        /// The batch.
        batch: String,
        /// The messages still split.
        ids: Vec<MessageId>,
        /// Why the first of them could not be moved.
        reason: String,
    },
    /// `QTRIAGE_FAILPOINT` could not be parsed.
    #[error("bad QTRIAGE_FAILPOINT {spec:?}: expected OP:STEP[:N], e.g. yank:after-rename:10")]
    BadFailpoint {
        /// The text given.
        spec: String,
    },
    /// A line of the qtriage config file could not be parsed.
    #[error(
        "{path}:{line}: expected `key = value` with a known key (mta_stop, mta_start, mta_wait)"
    )]
    Config {
        /// The config file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
}

/// `a restore`, `an expire`: the batch's kind with its article.
fn a_batch_of(name: &str) -> String {
    let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

/// The process that holds a lock, from /proc/locks and /proc/PID/comm.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holder {
    /// Its pid (as this pid namespace sees it).
    pub pid: u32,
    /// Its command name, when readable.
    pub comm: Option<String>,
}

impl Holder {
    /// `pid 1234 (qmail-send)`, the command name sanitized (any process can set its own to an
    /// escape sequence); `pid 1234, not visible in /proc` when it cannot be read: the locker has
    /// exited and a process it started holds the lock, or /proc hides it.
    pub fn describe(&self) -> String {
        match &self.comm {
            Some(comm) => format!("pid {} ({})", self.pid, crate::sanitize::sanitize_str(comm)),
            None => format!("pid {}, not visible in /proc", self.pid),
        }
    }
}

fn holder_text(h: &Option<Holder>) -> String {
    match h {
        Some(h) => format!(" by {}", h.describe()),
        None => String::new(),
    }
}

impl ActionError {
    /// Wrap an I/O error with its path.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> ActionError {
        ActionError::Io {
            path: path.into(),
            source,
        }
    }
}
