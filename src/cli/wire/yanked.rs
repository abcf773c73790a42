//! `yanked --json`: batches first, then messages, one object per line (docs/cli.md "yanked").

use crate::actions::{BatchState, Direction};
use crate::queue::MessageId;

/// A batch line of `yanked --json`.
#[derive(serde::Serialize)]
pub struct BatchJson<'a> {
    /// Always `batch`.
    pub r#type: &'static str,
    /// The batch id.
    pub batch: &'a str,
    /// `yank`, `restore`, `purge` or `expire`.
    pub direction: Direction,
    /// Where the batch got to.
    pub state: BatchState,
    /// An unfinished batch that a qtriage action is working on now (it holds the journal
    /// lock): not interrupted, nothing to recover.
    pub running: bool,
    /// The query or selection recorded in the journal.
    pub query: &'a str,
    /// When it was written, RFC 3339 UTC.
    pub created: String,
    /// Messages in it.
    pub messages: usize,
    /// Messages that failed.
    pub failed: usize,
    /// Its messages still in the yank area.
    pub in_yank_area: usize,
    /// A restore of messages the operator picked back as real mail (`restored:yes`), not an
    /// undo (newuser53: only the query's words told them apart).
    pub verdict: bool,
}

/// A message line of `yanked --json`.
#[derive(serde::Serialize)]
pub struct MessageJson<'a> {
    /// Always `message`.
    pub r#type: &'static str,
    /// The id.
    pub id: MessageId,
    /// Its files in the yank area (`mess`, `info`, ...).
    pub files: Vec<&'static str>,
    /// Their bytes.
    pub bytes: u64,
    /// When it was yanked, RFC 3339 UTC.
    pub yanked_at: String,
    /// The batch that yanked it; null when none did (qmail-remove).
    pub batch: Option<&'a str>,
    /// The interrupted restore or purge that was taking it out when it stopped (`qtriage
    /// recover` completes it); null otherwise.
    pub interrupted_by: Option<&'a str>,
}
