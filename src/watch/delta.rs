//! QueueDelta: what the watcher tells its consumer after each tick, and how it is watching.

use std::path::PathBuf;
use std::sync::Arc;

use super::tracker::Flow;
use crate::queue::{Interner, MessageId, MessageRecord, Parts};

/// Records a watcher starts from instead of scanning the queue itself: a scan its owner already
/// made (the TUI's snapshot), shared, not copied. The watcher lists the queue's directories
/// once more and reads only the messages the records do not describe (arrived since, or
/// attributed from logs, which the watcher's own reads are not), so its model is what its own
/// scan would have given.
#[derive(Clone)]
pub struct Seed {
    /// The interner the records' strings live in; the watcher interns into it from then on.
    pub strings: Arc<Interner>,
    /// One record per message, as a scan made them.
    pub records: Arc<dyn AsRef<[MessageRecord]> + Send + Sync>,
}

impl Seed {
    /// The records.
    pub fn records(&self) -> &[MessageRecord] {
        (*self.records).as_ref()
    }
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed")
            .field("records", &self.records().len())
            .finish_non_exhaustive()
    }
}

/// Why the watcher is polling directories instead of following file events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollReason {
    /// Events were lost (inotify's queue overflowed, or the watcher's intake was full); it
    /// rescans what changed until events flow cleanly again.
    EventsLost,
    /// The queue is on a network file system (NFS, SMB), where inotify misses remote changes.
    NetworkFilesystem,
    /// notify could not be started.
    NotifyUnavailable,
    /// The inotify watch limit (fs.inotify.max_user_watches) was reached.
    WatchLimit,
    /// Polling was asked for.
    Requested,
}

impl PollReason {
    /// The reason in the operator's words.
    pub fn describe(self) -> &'static str {
        match self {
            PollReason::EventsLost => "file events lost, rescanning changed directories",
            PollReason::NetworkFilesystem => "network file system, inotify cannot see it",
            PollReason::NotifyUnavailable => "inotify unavailable",
            PollReason::WatchLimit => "inotify watch limit reached",
            PollReason::Requested => "polling requested",
        }
    }

    /// A short name for JSON (`events-lost`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PollReason::EventsLost => "events-lost",
            PollReason::NetworkFilesystem => "network-filesystem",
            PollReason::NotifyUnavailable => "notify-unavailable",
            PollReason::WatchLimit => "watch-limit",
            PollReason::Requested => "requested",
        }
    }
}

/// How the watcher learns about changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// From inotify events (through notify).
    Notify,
    /// From periodic directory-mtime rescans.
    Polling(PollReason),
}

impl WatchMode {
    /// `notify` or `polling`.
    pub fn name(self) -> &'static str {
        match self {
            WatchMode::Notify => "notify",
            WatchMode::Polling(_) => "polling",
        }
    }
}

/// One message's change in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The message.
    pub id: MessageId,
    /// Its files now; empty means the id is gone entirely.
    pub parts: Parts,
    /// How it moved relative to the queue.
    pub flow: Flow,
    /// A fresh read of its files, when one was made and succeeded.
    pub record: Option<MessageRecord>,
}

/// What the watcher sends.
#[derive(Debug)]
pub enum QueueDelta {
    /// The whole queue, from the initial scan: replaces everything.
    Reset {
        /// When the scan ended, unix milliseconds.
        at_ms: i64,
        /// One record per message id.
        records: Vec<MessageRecord>,
        /// How the watcher watches from now on.
        mode: WatchMode,
    },
    /// The whole queue, from a [`Seed`] and what changed since it was scanned (applied as a
    /// `Reset` of the seed's records followed by these changes, none of them counted as
    /// arrivals or departures): replaces everything. The seed is dropped with the delta.
    Seeded {
        /// When the queue was listed, unix milliseconds.
        at_ms: i64,
        /// The records the watcher started from.
        seed: Seed,
        /// What differs from them now, by ascending id.
        changes: Vec<Change>,
        /// How the watcher watches from now on.
        mode: WatchMode,
    },
    /// One tick's changes (sent every tick, even empty, so the mode is always current).
    Batch {
        /// When the tick ended, unix milliseconds.
        at_ms: i64,
        /// Changes, by ascending id.
        changes: Vec<Change>,
        /// Messages written whole that came and went within the tick at an id the changes
        /// name once (qmail-queue reusing a delivered message's inode): each in and out once,
        /// with no cluster ([`super::tracker::Plan::passes`]).
        passes: u32,
        /// How the watcher is watching.
        mode: WatchMode,
    },
    /// The watcher stopped on an error.
    Failed(WatchError),
}

/// What stops a watcher.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The initial scan of the queue failed.
    #[error("{path}: initial scan failed: {source}")]
    Scan {
        /// The queue.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::Error,
    },
    /// The watcher thread could not be started.
    #[error("{path}: cannot start the watcher thread: {source}")]
    Thread {
        /// The queue.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The watcher ended without saying why (its thread panicked or was stopped).
    #[error("{path}: the watcher stopped")]
    Stopped {
        /// The queue.
        path: PathBuf,
    },
}
