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
}
