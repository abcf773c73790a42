//! AppState: the TUI's plain data (snapshot, views, selection, marks, pending confirmation).
//!
//! No channels, terminal or file handles live here: `action::update` changes it, the views read
//! it. Large shared data (records, clusters) sits behind `Arc` so the worker and the UI share one
//! copy without locks; a new scan or action result replaces the `Arc`, never mutates it.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::cluster::Cluster;
use crate::analysis::evidence::LogFacts;
use crate::analysis::key::ClusterKey;
use crate::query::{Query, QueryError};
use crate::queue::{Interner, MessageId, MessageRecord, ProgressSnapshot};
use crate::watch::WatchMode;

pub use super::live::FreshCluster;

mod accounts;
mod basis;
mod order;
mod plan_cell;
mod why;
mod yank;
pub use accounts::{AccountRow, AccountsListing, AccountsView};
pub use basis::BasisCell;
pub use order::{Order, Orders};
pub use plan_cell::{CleanupPlan, PlanBuilt, PlanCell, YankStamp};
pub use why::{ClusterAt, Explained};
pub use yank::{
    BatchRow, ClustersHit, Confirm, NotInPlan, PlanRequest, PlanStep, YankArea, YankListing,
    YankRow,
};

/// A scanned queue: its records and the interner their strings live in.
#[derive(Debug)]
pub struct Snapshot {
    /// Increases with every new snapshot, so late results for an old one are dropped.
    pub generation: u64,
    /// The interner.
    pub strings: Arc<Interner>,
    /// One record per message.
    pub records: Vec<MessageRecord>,
    /// What the `--log` files said about these records (empty without logs): applied once,
    /// at scan time; the accounts view and the report reuse it.
    pub logs: Arc<LogFacts>,
    /// Records with a mess file: what the watcher counts (qmail-qstat's "messages in queue"),
    /// so the header compares like with like (a record of an orphan info/ file has none).
    pub with_mess: u64,
    /// Queue directories the scan could not list (their messages are not here): with the
    /// records' unreadable files, what makes the cleanup plan one of a queue read in part.
    pub unlisted_dirs: usize,
    /// The analysis of these records (context, sender patterns, facts): every clustering,
    /// query, ranking and the watcher's rates of this snapshot take their values from it.
    basis: basis::BasisCell,
    /// The cleanup plan of these records, built once for `p` and every `y`/`E`.
    pub cleanup: PlanCell,
}

impl Snapshot {
    /// Snapshot `generation` of `records`, analysed under a default context (tests).
    pub fn new(
        generation: u64,
        strings: Arc<Interner>,
        records: Vec<MessageRecord>,
        logs: Arc<LogFacts>,
    ) -> Snapshot {
        Snapshot::analysed(generation, strings, records, logs, &Default::default())
    }

    /// Snapshot `generation` of `records`, analysed under `ctx` (the worker's setup, as `top`'s).
    pub fn analysed(
        generation: u64,
        strings: Arc<Interner>,
        records: Vec<MessageRecord>,
        logs: Arc<LogFacts>,
        ctx: &crate::analysis::cluster::AnalysisContext,
    ) -> Snapshot {
        let with_mess = records
            .iter()
            .filter(|r| r.parts.has(crate::queue::Subdir::Mess))
            .count() as u64;
        let basis = basis::BasisCell::new(&records, &strings, ctx);
        Snapshot {
            generation,
            strings,
            records,
            logs,
            with_mess,
            unlisted_dirs: 0,
            basis,
            cleanup: PlanCell::default(),
        }
    }

    /// The analysis of these records (built again if it was let go).
    pub fn basis(&self) -> Arc<crate::analysis::Basis> {
        self.basis.get(&self.records, &self.strings)
    }

    /// Let the analysis go while the snapshot is only drawn (see [`BasisCell`]).
    pub fn let_basis_go(&self) {
        self.basis.release();
    }

    /// Is the analysis held now?
    pub fn holds_basis(&self) -> bool {
        self.basis.is_held()
    }
}

/// The records, for a watcher to start from ([`crate::watch::Seed`]) without copying them.
impl AsRef<[MessageRecord]> for Snapshot {
    fn as_ref(&self) -> &[MessageRecord] {
        &self.records
    }
}

/// The clusters of one snapshot by one key.
#[derive(Debug, Clone)]
pub struct Clustering {
    /// The snapshot these were computed on.
    pub generation: u64,
    /// The key.
    pub key: ClusterKey,
    /// The clusters, largest first. Their `members` are empty: a key gives a record one
    /// value, so each record is in one cluster, and `cluster_of` says which (the members
    /// again would be 4 MB more at a million messages, on screen at the TUI's peak).
    pub clusters: Vec<Cluster>,
    /// For each record, the index of its cluster (the selected cluster's rows and marks, the
    /// clusters hit by a plan).
    pub cluster_of: Vec<u32>,
}

/// The records a query selected, as a bit set over record indices.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The snapshot it was computed on.
    pub generation: u64,
    /// The query.
    pub query: Query,
    /// Bit `i` set: record `i` matched.
    pub bits: Vec<u64>,
    /// Number of matches.
    pub count: usize,
}

impl Selection {
    /// Did record `i` match?
    pub fn contains(&self, i: u32) -> bool {
        self.bits
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// What the worker produced from a scan or an action: everything the views show.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The records.
    pub snapshot: Arc<Snapshot>,
    /// Their clusters.
    pub clustering: Arc<Clustering>,
    /// The active query's matches, if a query is set.
    pub selection: Option<Arc<Selection>>,
    /// The records in every message order.
    pub orders: Arc<Orders>,
    /// These are the header pass' records: the envelopes (senders, recipients, birth times)
    /// are still being read, and another analysis follows.
    pub envelopes_pending: bool,
}

/// Is qmail-send running (as last checked)?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SendState {
    /// Not checked yet, or the check failed.
    #[default]
    Unknown,
    /// lock/sendmutex is held.
    Running,
    /// The lock is free.
    Stopped,
}

/// Where the scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScanPhase {
    /// Reading the queue.
    #[default]
    Scanning,
    /// The header pass is shown; reading the envelopes.
    Envelopes,
    /// The envelopes are read; the header pass' records were let go (two sets of records are
    /// never alive at once) while the full analysis is built: nothing is shown for that moment.
    Analysing,
    /// Done; the data is shown.
    Ready,
    /// The scan failed (the error is in the notice).
    Failed,
}

/// Header and status-bar data.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The queue directory, sanitized for display.
    pub queue_path: String,
    /// qmail-send's state.
    pub send: SendState,
    /// The watcher's live figures.
    pub watch: WatchStatus,
    /// "Now", unix seconds, from the last tick (render never reads the clock).
    pub now: i64,
    /// Scan phase.
    pub phase: ScanPhase,
    /// Last scan progress.
    pub progress: Option<ProgressSnapshot>,
    /// Milliseconds the scan has been running at the last progress report.
    pub scan_ms: u64,
    /// Interrupted batches being completed before the first scan: the messages they list and
    /// when it began ([`Status::now`]).
    pub recovering: Option<(u64, i64)>,
    /// What the worker is at for the plan being built or run (the Planning and Running boxes
    /// show it).
    pub planning: Option<PlanStep>,
    /// One line of feedback (last error or result).
    pub notice: Option<Notice>,
}

/// A one-line message in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text (already sanitized).
    pub text: String,
    /// Show in the error colour.
    pub is_error: bool,
    /// It asks to wait for the scan: it goes when the envelopes are in.
    pub until_scanned: bool,
}

/// Show `text` on the status line, in the error colour when `is_error` (already sanitized).
pub(crate) fn notice(state: &mut AppState, text: impl Into<String>, is_error: bool) {
    state.status.notice = Some(Notice {
        text: text.into(),
        is_error,
        until_scanned: false,
    });
}

/// How clusters are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusterSort {
    /// The ranking score when any cluster has one, else message count.
    #[default]
    Score,
    /// Message count.
    Count,
    /// Messages per minute over the last hour.
    Rate,
}

impl ClusterSort {
    /// The next order in the cycle.
    pub fn next(self) -> ClusterSort {
        match self {
            ClusterSort::Score => ClusterSort::Count,
            ClusterSort::Count => ClusterSort::Rate,
            ClusterSort::Rate => ClusterSort::Score,
        }
    }
    /// Its name in the pane title.
    pub fn name(self) -> &'static str {
        match self {
            ClusterSort::Score => "score",
            ClusterSort::Count => "count",
            ClusterSort::Rate => "rate",
        }
    }
}

/// A list position: the selected row and the first visible row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListPos {
    /// Selected row.
    pub selected: usize,
    /// First row shown.
    pub offset: usize,
}

/// The clusters pane. Row 0 is "all messages"; row `n` is `order[n-1]`.
#[derive(Debug, Clone, Default)]
pub struct ClusterView {
    /// The grouping key in use (or requested).
    pub key: Option<ClusterKey>,
    /// The order.
    pub sort: ClusterSort,
    /// Cluster indices in display order.
    pub order: Vec<u32>,
    /// Position.
    pub pos: ListPos,
    /// Live growth per cluster value from the watcher, for the key it watches.
    pub live: Option<LiveRates>,
    /// Show qshape's age matrix instead of the rates and scores.
    pub ages: bool,
    /// The cluster that was selected when the header pass was let go
    /// ([`ScanPhase::Analysing`]), selected again in the full analysis.
    pub kept: Option<Option<Vec<u8>>>,
    /// The reasons of the selected cluster, when its clustering did not write them.
    pub explained: Option<Explained>,
}

/// Per-cluster growth from the watcher: in minus what was delivered or bounced per minute over
/// the last minute (a yank is not the cluster draining), by the cluster value's text (values
/// not growing are absent).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRates {
    /// The key the watcher groups by.
    pub key: ClusterKey,
    /// The snapshot generation `fresh` and `in_snapshot` were checked against.
    pub generation: u64,
    /// Growth per minute by value text (unsanitized; only compared, never drawn).
    pub by_value: FxHashMap<String, f64>,
    /// Values the snapshot has no cluster for, fastest first: rows 1.. of the clusters pane.
    pub fresh: Vec<FreshCluster>,
    /// Growing values found among the snapshot's clusters (not looked for again).
    pub in_snapshot: FxHashSet<String>,
}

/// The watcher's live figures for the header and the status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatchStatus {
    /// Messages with a mess file at the last update.
    pub queue_size: Option<u64>,
    /// In minus delivered and bounced per minute over the last minute (`None` before the
    /// first update): the messages yanked are not the queue draining, they are shown apart.
    pub growth_per_min: Option<f64>,
    /// Messages moved into the yank area per minute over the last minute (this qtriage's
    /// yanks, another's, qmail-remove's): not in the growth, shown beside it.
    pub yanked_per_min: f64,
    /// Messages put back from the yank area per minute over the last minute (an undo): not
    /// in the growth, shown beside it.
    pub restored_per_min: f64,
    /// While the watch is younger than a minute, the seconds its figures span (shown beside
    /// them: one burst scaled to a minute reads as a steady rate).
    pub young_secs: Option<u64>,
    /// The messages counted over the last minute: while the watch is young, its yanks and
    /// restores are said as these counts, as one yank scaled to a minute read as a flow
    /// (newuser54: `-15,862/min yanked` 34 s after one batch of 9,000).
    pub last_minute: crate::watch::LastMinute,
    /// What arrived and what was delivered or bounced over the last minute (counts since the
    /// start while the watch is young): said beside a growth they cancel out (newuser59).
    pub arrived_delivered: (u64, u64),
    /// The watcher's count of moves into and back from the yank area at the last update.
    pub yank_area_moves: Option<u64>,
    /// That count when the yank area was last listed: the area is listed again once it has
    /// changed and settled (newuser55: `-1,000 yanked` beside `yanked 0`).
    pub yank_area_listed: Option<u64>,
    /// Queue size at each update, oldest first (at most `watch::HISTORY_LEN`); kept here so a
    /// watcher restarted for another key continues the line.
    pub history: VecDeque<u64>,
    /// How the watcher learns about changes (`None`: not started yet).
    pub mode: Option<WatchMode>,
    /// Why the watcher stopped, when it did.
    pub failed: Option<String>,
}

/// How messages are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageSort {
    /// Queue order (split directory, then id).
    #[default]
    Queue,
    /// Oldest first.
    Age,
    /// Largest first.
    Size,
    /// By envelope sender.
    Sender,
}

impl MessageSort {
    /// The next order in the cycle.
    pub fn next(self) -> MessageSort {
        match self {
            MessageSort::Queue => MessageSort::Age,
            MessageSort::Age => MessageSort::Size,
            MessageSort::Size => MessageSort::Sender,
            MessageSort::Sender => MessageSort::Queue,
        }
    }
    /// Its slot in [`Orders::by`].
    pub fn index(self) -> usize {
        self as usize
    }
    /// Its name in the pane title.
    pub fn name(self) -> &'static str {
        match self {
            MessageSort::Queue => "queue",
            MessageSort::Age => "age",
            MessageSort::Size => "size",
            MessageSort::Sender => "sender",
        }
    }
}

/// The message list: record indices of the selected cluster (filtered by the query), sorted.
#[derive(Debug, Clone, Default)]
pub struct MessageView {
    /// Record indices, in display order; only the visible ones are ever rendered.
    pub rows: Order,
    /// The order.
    pub sort: MessageSort,
    /// Position.
    pub pos: ListPos,
}

/// The inspector's content ([`crate::inspect`]: the CLI's `show` prints the same).
pub use crate::inspect::Inspection;

/// The inspector pane.
#[derive(Debug, Clone, Default)]
pub struct DetailView {
    /// The message being inspected (`None`: pane closed).
    pub id: Option<MessageId>,
    /// Its content once read.
    pub inspection: Option<Inspection>,
    /// Lines scrolled.
    pub scroll: u16,
}

/// The filter bar.
#[derive(Debug, Clone, Default)]
pub struct QueryBar {
    /// Being edited (keys go to it).
    pub editing: bool,
    /// The text.
    pub text: String,
    /// Caret position, a byte offset at a char boundary.
    pub cursor: usize,
    /// The parse error of `text`, shown under the caret.
    pub error: Option<QueryError>,
    /// The query in force (applied with Enter).
    pub applied: Option<Query>,
    /// Typed in the yank area: Enter picks back the yanked messages it selects, and leaves
    /// the query in force as it was.
    pub picking: bool,
}

/// Marked messages.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// The marked ids.
    pub ids: FxHashSet<MessageId>,
    /// The cleanup plan marked last (`p`, Enter): while every mark is one of its messages, the
    /// confirmation and the journal name the marks by it.
    pub plan: Option<Arc<CleanupPlan>>,
}

/// A popup over the main view.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Popup {
    /// None.
    #[default]
    None,
    /// The key list.
    Help,
    /// The cleanup plan (`p`): Enter marks it whole.
    Cleanup(Arc<CleanupPlan>),
    /// The selected cluster's reasons, whole (`w`). They are read from the cluster at each
    /// frame: those the worker writes when the cursor reaches a cluster show as they come.
    Why,
    /// The worker is building a plan (what was asked, in words); Esc cancels.
    Planning(String),
    /// A plan waiting for Enter (or F to force).
    Confirm(Confirm),
    /// A plan being executed: messages handled so far.
    Running {
        /// The plan.
        confirm: Confirm,
        /// Messages handled (from the `AtomicU64` the actions count with).
        done: u64,
    },
}

/// Which pane has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The clusters.
    #[default]
    Clusters,
    /// The message list.
    Messages,
    /// The inspector.
    Detail,
    /// The yank area.
    Yanked,
    /// The vpopmail accounts at risk.
    Accounts,
}

/// Terminal-level facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ui {
    /// Pane with the keys.
    pub focus: Focus,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Colours on (off with NO_COLOR).
    pub colour: bool,
    /// Leave the event loop.
    pub quit: bool,
    /// `q` was just pressed with messages marked: the next `q` quits.
    pub quit_armed: bool,
    /// First row of the help popup (it scrolls when the screen cannot hold the keymap).
    pub help_scroll: u16,
    /// First row of the cleanup plan popup (it scrolls when the screen cannot hold the plan).
    pub plan_scroll: u16,
    /// First row of the reasons popup.
    pub why_scroll: u16,
    /// First row of the confirmation popup (it scrolls when the screen cannot hold it).
    pub confirm_scroll: u16,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            focus: Focus::Clusters,
            size: (80, 24),
            colour: true,
            quit: false,
            quit_armed: false,
            help_scroll: 0,
            plan_scroll: 0,
            why_scroll: 0,
            confirm_scroll: 0,
        }
    }
}

/// Everything the TUI shows.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    /// Header and status line.
    pub status: Status,
    /// Scan result and its clusters (none until the first scan ends).
    pub data: Option<Analysis>,
    /// Clusters pane.
    pub clusters: ClusterView,
    /// Message list.
    pub messages: MessageView,
    /// Inspector.
    pub detail: DetailView,
    /// Filter bar.
    pub query: QueryBar,
    /// Marked messages.
    pub marks: Marks,
    /// Yank area.
    pub yank_area: YankArea,
    /// Accounts at risk.
    pub accounts: AccountsView,
    /// Popup.
    pub popup: Popup,
    /// Focus, size, colours.
    pub ui: Ui,
}

impl AppState {
    /// A fresh state for `queue_path`, scanning.
    pub fn new(queue_path: &std::path::Path, now: i64, colour: bool) -> AppState {
        let mut s = AppState::default();
        s.status.queue_path =
            crate::sanitize::sanitize_bytes(queue_path.as_os_str().as_encoded_bytes()).into_owned();
        s.status.now = now;
        s.ui.colour = colour;
        s
    }

    /// The record under the message-list cursor.
    pub fn selected_record(&self) -> Option<(u32, &MessageRecord)> {
        let data = self.data.as_ref()?;
        let i = self.messages.rows.get(self.messages.pos.selected)?;
        Some((i, data.snapshot.records.get(i as usize)?))
    }
}
