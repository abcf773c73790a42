//! Event: the one channel into the UI loop (input, ticks, scan progress, worker results, errors).

use crossterm::event::KeyEvent;

use super::state::{Analysis, Clustering, Inspection, Plan, Selection};
use crate::queue::{MessageId, ProgressSnapshot};

/// What an executed plan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The plan that was executed.
    pub plan: Plan,
    /// Messages moved.
    pub done: Vec<MessageId>,
    /// Messages skipped, with the reason.
    pub skipped: Vec<(MessageId, String)>,
    /// Unix time it finished.
    pub at: i64,
}

/// Everything that can wake the UI loop.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key press.
    Key(KeyEvent),
    /// The terminal was resized (columns, rows).
    Resize(u16, u16),
    /// Time passed; carries "now" in unix seconds (the only clock the UI sees).
    Tick(i64),
    /// Scan progress and milliseconds since the scan started.
    Scan(ProgressSnapshot, u64),
    /// A scan or action produced new data.
    Analysed(Box<Analysis>),
    /// The same records grouped by another key.
    Clustered(Box<Clustering>),
    /// A query's matches.
    Selected(Box<Selection>),
    /// A message was read for the inspector.
    Inspected(Box<Inspection>),
    /// A plan is running: messages handled so far.
    Progress(usize),
    /// A plan finished.
    Done(Box<Outcome>),
    /// qmail-send state and the yank area, as last checked.
    QueueStatus {
        /// The sendmutex is held (`None`: could not check).
        send_running: Option<bool>,
        /// Ids in the yank area (`None`: not listed this time).
        yanked: Option<Vec<MessageId>>,
    },
    /// A background failure the operator must see.
    Error(String),
}
