//! Event: the one channel into the UI loop (input, ticks, scan progress, worker results, the
//! watcher's updates, errors); Effect: the work the UI loop hands the worker.

use crossterm::event::KeyEvent;

use super::state::{
    AccountsListing, Analysis, ClusterAt, Clustering, Confirm, Inspection, PlanRequest, PlanStep,
    Selection, YankListing,
};
use crate::actions::{Outcome, RecoveryReport};
use crate::analysis::cluster::Cluster;
use crate::analysis::key::ClusterKey;
use crate::query::Query;
use crate::queue::{MessageId, ProgressSnapshot};
use crate::watch::WatchUpdate;

/// What an executed plan did: the confirmation that was executed and the actions' outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// The confirmed plan, exactly as executed.
    pub confirm: Confirm,
    /// What `actions::execute` reported (batch, failures, vanished, recovery done first).
    pub outcome: Outcome,
}

/// Everything that can wake the UI loop.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key press.
    Key(KeyEvent),
    /// The terminal was resized (columns, rows).
    Resize(u16, u16),
    /// Text pasted (bracketed paste): one event, never keys.
    Paste(String),
    /// Time passed; carries "now" in unix seconds (the only clock the UI sees).
    Tick(i64),
    /// The worker (or the watcher) reports back.
    Worker(Report),
}

/// What the worker and the watcher report back; `update()` receives it unchanged as
/// `Action::Worker`.
#[derive(Debug, Clone)]
pub enum Report {
    /// Scan progress and milliseconds since the scan started.
    Scan(ProgressSnapshot, u64),
    /// A scan or action produced new data.
    Analysed(Box<Analysis>),
    /// The envelope pass is read and its analysis is being built: drop the header pass'
    /// records now (the worker waits for that, so that two sets of a million records and two
    /// analyses are never alive at once); the analysis follows.
    Analysing,
    /// The same records grouped by another key.
    Clustered(Box<Clustering>),
    /// A query's matches.
    Selected(Box<Selection>),
    /// A message was read for the inspector.
    Inspected(Box<Inspection>),
    /// The reasons of a cluster its clustering left without (`Effect::Explain`).
    Explained(ClusterAt, Vec<String>),
    /// The worker is still building the plan that was asked for: what it is at.
    Planning(PlanStep),
    /// The worker built the plan that was asked for.
    Planned(Box<Confirm>),
    /// The cleanup plan of a snapshot (`p`).
    Cleanup(Box<crate::tui::state::CleanupPlan>),
    /// A plan is running: messages handled so far.
    Progress(u64),
    /// A plan finished.
    Done(Box<Finished>),
    /// Is qmail-send running (`None`: could not check)?
    SendStatus(Option<bool>),
    /// The yank area and its journal, read again.
    YankArea(Box<YankListing>),
    /// At start, before a scan: interrupted batches listing this many messages are being
    /// completed (as `qtriage recover` does).
    Recovering(u64),
    /// Interrupted batches were completed (at start, or before planning).
    Recovered(RecoveryReport),
    /// The watcher's figures for the last interval, and the key its cluster rates are for.
    Watch(ClusterKey, Box<WatchUpdate>),
    /// The watcher stopped (the reason).
    WatchFailed(String),
    /// The accounts check for the accounts view.
    Accounts(Box<AccountsListing>),
    /// The incident report was written (or not).
    ReportWritten {
        /// The status line, sanitized: where the file went, or why it was not written.
        text: String,
        /// It was not written.
        is_error: bool,
    },
    /// The scan failed or stopped (the reason): the shown records, if any, are those of an
    /// earlier or unfinished scan. Only the worker's scan sends it.
    ScanFailed(String),
    /// A background failure the operator must see (it says nothing about the scan).
    Error(String),
}

/// Work for the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Scan the queue (again).
    Scan,
    /// Group the current records by this key.
    Cluster(ClusterKey),
    /// Select with this query (`None`: no filter).
    Select(Option<Query>),
    /// Read a message for the inspector.
    Inspect {
        /// Record index in the snapshot.
        index: u32,
        /// Its id (checked against the record).
        id: MessageId,
    },
    /// Write the reasons of a cluster (with its members) that its clustering left without
    /// (the answer is `Report::Explained`).
    Explain(ClusterAt, Box<Cluster>),
    /// Build the plan of a request (the answer is `Event::Worker(Report::Planned)`).
    Plan {
        /// What was chosen, in words (shown, and recorded in the journal).
        what: String,
        /// What to plan.
        request: PlanRequest,
    },
    /// Plan putting back the yanked messages a query selects, as real mail picked back (the
    /// answer is `Event::Worker(Report::Planned)`, as for `Plan`).
    PickBack {
        /// What was chosen, in words (shown, and recorded in the journal).
        what: String,
        /// The query, evaluated on the yank area's messages.
        query: crate::query::Query,
    },
    /// Execute a confirmed plan: exactly the one the popup showed.
    Execute(Confirm),
    /// Read the yank area and its journal again.
    ListYankArea,
    /// Check the vpopmail accounts (with `top`'s and the logs' culprits).
    CheckAccounts,
    /// Write the incident report to a new file.
    WriteReport,
    /// Build the cleanup plan of the current records (`Report::Cleanup`).
    CleanupPlan,
}
