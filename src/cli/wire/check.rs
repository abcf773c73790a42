//! `check --json`: one object with the queue's findings (docs/cli.md "check").

use serde::Serialize;

use super::Text;

/// One finding on the wire.
#[derive(Debug, Serialize)]
pub struct FindingJson {
    /// The finding's kind (`orphan-mess`, `wrong-split`, ...).
    pub kind: &'static str,
    /// The message it is about, null for the queue as a whole.
    pub id: Option<u64>,
    /// The files involved, exact bytes.
    pub files: Vec<Text>,
    /// What is wrong, in words.
    pub detail: String,
    /// The repair qmail's own tools or the operator would make.
    pub repair: String,
}

/// `check --json`.
#[derive(Debug, Serialize)]
pub struct CheckJson {
    /// The queue directory.
    pub queue: super::Text,
    /// Messages seen.
    pub messages: u64,
    /// Files seen.
    pub files: u64,
    /// What was found.
    pub findings: Vec<FindingJson>,
    /// What could not be checked, and why.
    pub notes: Vec<String>,
    /// The yank area whose journal was checked.
    pub yank_area: YankAreaJson,
}

/// The yank area `check` looked at: its unfinished batches are findings.
#[derive(Debug, Serialize)]
pub struct YankAreaJson {
    /// Its directory, exact bytes.
    pub dir: Text,
    /// Journaled batches read (every batch ever run there, finished or not).
    pub batches: u64,
    /// Messages held in it now.
    pub messages: u64,
}
