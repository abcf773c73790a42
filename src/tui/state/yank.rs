//! Plain data of the destructive actions: plan requests, confirmations, the yank area's batches.

use std::sync::Arc;

use super::ListPos;
use crate::actions::{BatchState, Direction, Plan, PurgeSelection, RestoreSelection};
use crate::queue::MessageId;

/// What the operator asked to plan; the worker turns it into an `actions::Plan` (planning reads
/// the disk: qmail-send's lock, the yank area, the journal) and answers with a [`Confirm`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanRequest {
    /// Yank these messages (the marks).
    Yank(Vec<MessageId>),
    /// Expire these messages (the marks): qmail-send will bounce them.
    Expire(Vec<MessageId>),
    /// Restore from the yank area (a batch, the messages without a batch, or everything).
    Restore(RestoreSelection),
    /// Delete from the yank area for good.
    Purge(PurgeSelection),
}

/// What the worker is at while it builds a plan, for the Planning box: a plan can take seconds
/// (the cleanup plan built for a yank's warning, an undo's 45,000 messages checked), and a box
/// that says nothing meanwhile reads as a frozen screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanStep {
    /// The step, in words (`building the cleanup plan`).
    pub what: &'static str,
    /// Messages done so far, of `total`.
    pub done: u64,
    /// Messages to do (0: the step is not counted).
    pub total: u64,
    /// Milliseconds the plan has taken so far.
    pub ms: u64,
}

/// A destructive action waiting for Enter: the `actions::Plan` the worker built, shown as it is
/// and, on Enter, executed as it is (the same `Arc`, never rebuilt).
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    /// What was chosen, in words (`30 marked messages`, `batch 20261123-101117-3f2a`).
    pub what: String,
    /// The plan.
    pub plan: Arc<Plan>,
    /// Clusters of the current grouping with a message in the plan (`None`: not known here,
    /// e.g. for messages in the yank area).
    pub clusters_hit: Option<ClustersHit>,
    /// Of a yank's or an expire's messages, those the cleanup plan (`p`) would not take
    /// (`None`: not asked, as for a restore).
    pub not_in_plan: Option<NotInPlan>,
    /// Run even while qmail-send runs (the popup's F).
    pub force: bool,
    /// A restore (always an undo here): of its messages, those picked back as real mail before
    /// their last yank, which stay so (`None`: not asked, or not known).
    pub still_picked: Option<usize>,
    /// A yank or an expire when a restore journal cannot be read: which of its messages were
    /// picked back as real mail is not known, in words (`None`: known, or not asked).
    pub picks_unknown: Option<String>,
    /// A pick-back (`/` in the yank area): of its messages, those the ranking calls culprits',
    /// in words (`careful: 2,374 of these are culprits' ...`); `None` when none are.
    pub pick_warning: Option<String>,
    /// A restore's first messages as `<sender>  subject` (sanitized), read from the yank area:
    /// an undo's popup showed counts alone (newuser56). Empty for a yank, whose marks are in
    /// sight, and when the yank area could not be read.
    pub sample: Vec<String>,
}

/// The messages of a yank or an expire that the cleanup plan (`p`, `qtriage plan`) would not
/// take: the analysis calls them no culprit's (an account sending as itself, inbound mail to
/// local users), so taking them is likely taking real mail; the popup says so with counts. Its
/// kinds' words are sanitized by the worker, which builds it.
pub use crate::analysis::plan::NotInPlan;

impl Confirm {
    /// Does the plan say qmail-send was running when it was made?
    pub fn planned_while_running(&self) -> bool {
        self.plan.mta.as_ref().is_some_and(|m| m.is_send_running)
    }
}

/// The clusters a plan takes messages from, as the CLI's dry run names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClustersHit {
    /// How many clusters.
    pub count: usize,
    /// The largest ones: value as shown (sanitized), messages of the plan in it.
    pub largest: Vec<(String, usize)>,
}

/// One batch of the journal, as `qtriage yanked` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// The batch id.
    pub batch: String,
    /// Which way it went.
    pub direction: Direction,
    /// Done, interrupted, ...
    pub state: BatchState,
    /// Unfinished because another qtriage is at work on it (it holds the journal lock).
    pub running: bool,
    /// The query that chose its messages (sanitized).
    pub query: String,
    /// Unix seconds it was written.
    pub created: i64,
    /// Its messages.
    pub messages: usize,
    /// Of those, failed (left where they were).
    pub failed: usize,
    /// For a yank batch: its messages still in the yank area.
    pub in_yank_area: usize,
    /// A restore of messages the operator picked back as real mail, not an undo.
    pub verdict: bool,
}

/// The yank area and its journal as last read by the worker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YankListing {
    /// Every batch in the journal, oldest first.
    pub batches: Vec<BatchRow>,
    /// Messages in the yank area.
    pub messages: usize,
    /// Their mess bytes.
    pub bytes: u64,
    /// Messages in the yank area that no yank batch accounts for (qmail-remove `-r`, by hand).
    pub orphans: Vec<MessageId>,
}

/// A row of the yank-area view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YankRow<'a> {
    /// A batch of the journal.
    Batch(&'a BatchRow),
    /// The messages without a batch.
    Orphans(usize),
    /// Everything in the yank area.
    All(usize),
}

/// The yank-area view.
#[derive(Debug, Clone, Default)]
pub struct YankArea {
    /// The last listing (`None` until the worker has read it).
    pub listing: Option<YankListing>,
    /// Yank and expire batches made in this session and not undone, oldest first (`u`).
    pub session: Vec<String>,
    /// Position (rows: batches newest first, then the messages without a batch, then all).
    pub pos: ListPos,
}

impl YankArea {
    /// The rows of the view, top to bottom.
    pub fn rows(&self) -> Vec<YankRow<'_>> {
        let Some(l) = &self.listing else {
            return Vec::new();
        };
        let mut rows: Vec<YankRow<'_>> = l.batches.iter().rev().map(YankRow::Batch).collect();
        if !l.orphans.is_empty() {
            rows.push(YankRow::Orphans(l.orphans.len()));
        }
        if l.messages > 0 {
            rows.push(YankRow::All(l.messages));
        }
        rows
    }
}
