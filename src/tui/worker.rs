//! The worker: runs Effects (scan, cluster, explain, select, inspect, plan, execute) off the UI
//! thread.
//!
//! One thread owns the current snapshot and answers each [`Effect`] with [`Event`]s on the UI's
//! single channel. Failures, panics included, come back as `Event::Worker(Report::Error)` so
//! the operator sees them (gitui's async jobs log and drop them); a scan's own failure as
//! `Report::ScanFailed`. Queue-changing work goes through [`Ops`] (the journaled
//! `crate::actions`). Before the first scan it completes interrupted batches, so the scan sees
//! whole messages. While idle it checks the qmail-send lock every [`STATUS_EVERY`] and keeps a
//! watcher ([`Live`]) running for the grouping key.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod after;
mod cleanup;
mod passes;
mod refresh;
mod views;
pub use after::AfterFlood;
pub use views::{clustering, explain, opening_clustering, orders, selection, REASONS_WRITTEN};

use super::event::Effect;
use super::event::{Event, Finished, Report};
use super::live::Live;
use super::ops::{acted_on, Ops};
use super::state::{
    AccountsListing, Analysis, Confirm, PlanRequest, PlanStep, Snapshot, YankListing,
};
use crate::actions::{ActionError, Direction, PlanProgress};
use crate::analysis::cluster::AnalysisContext;
use crate::analysis::evidence::LogFacts;
use crate::analysis::key::ClusterKey;
use crate::query::Query;
use crate::queue::{Interner, MessageId, MessageRecord};
use crate::watch::Seed;

/// How often an idle worker re-checks qmail-send.
pub const STATUS_EVERY: Duration = Duration::from_secs(1);
/// How often scan progress is reported.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// How long the worker waits for the UI to drop the header pass' records.
pub const LET_GO_WAIT: Duration = Duration::from_secs(1);

/// Handle to the worker thread: send it effects; dropping it ends the thread's loop.
pub struct Worker {
    effects: Sender<Effect>,
    /// Not joined: dropping the sender ends the loop, and a scan in progress need not be awaited
    /// when the operator quits.
    _thread: JoinHandle<()>,
}

impl Worker {
    /// Start a worker on `after.queue` that groups by `key` and reports to `events`.
    pub fn spawn(after: AfterFlood, key: ClusterKey, events: Sender<Event>) -> io::Result<Worker> {
        let (tx, rx) = mpsc::channel();
        let mut ops = Ops::new(after.queue.clone());
        ops.yank_dir = after.yank_dir.clone();
        let mut state = WorkerState {
            ops,
            after,
            key,
            key_chosen: false,
            events,
            query: None,
            snapshot: None,
            generation: 0,
            whole: false,
            live: None,
            live_failed: false,
            scanning: false,
            unlisted_dirs: 0,
            yank_area_shown: false,
        };
        let thread = std::thread::Builder::new()
            .name("qtriage-worker".into())
            .spawn(move || state.run(rx))?;
        Ok(Worker {
            effects: tx,
            _thread: thread,
        })
    }

    /// Queue an effect. If the worker is gone (it only ends when this handle is dropped) the
    /// effect is dropped with it.
    pub fn send(&self, effect: Effect) {
        let _ = self.effects.send(effect);
    }
}

struct WorkerState {
    ops: Ops,
    /// Accounts and reports: where they come from and go to.
    after: AfterFlood,
    key: ClusterKey,
    /// The operator picked the key: it is kept, culprit or not ([`opening_clustering`]).
    key_chosen: bool,
    events: Sender<Event>,
    query: Option<Query>,
    snapshot: Option<Arc<Snapshot>>,
    /// The last snapshot's generation, kept apart from `snapshot`, which `let_go` empties: the
    /// envelope pass' snapshot was numbered 1 again, as the header pass' was (or the snapshot
    /// before a rescan), and a request made of one (a cluster's reasons) was answered from the
    /// other.
    generation: u64,
    /// The snapshot's records are whole (not the header pass' alone): a watcher may start
    /// from them.
    whole: bool,
    /// The watcher, once the first scan is done.
    live: Option<Live>,
    /// The watcher could not start; not retried (the reason was shown).
    live_failed: bool,
    /// A scan is running: a panic now ends it, and is reported as its failure.
    scanning: bool,
    /// Queue directories the last scan pass could not list (given to every snapshot).
    unlisted_dirs: usize,
    /// The yank area was listed: the header shows its count, read again with every rescan
    /// (another terminal's `qtriage restore` changes it).
    yank_area_shown: bool,
}

impl WorkerState {
    fn run(&mut self, rx: Receiver<Effect>) {
        self.emit(Event::Worker(Report::SendStatus(self.ops.send_running())));
        // A restore of 180,000 killed half-way took 8 s to complete under "listing the
        // queue…" (newuser60): say what is being done.
        if let Some(n) = self.ops.unfinished_messages() {
            self.emit(Event::Worker(Report::Recovering(n)));
        }
        self.recover();
        self.list_yank_area();
        loop {
            match rx.recv_timeout(STATUS_EVERY) {
                Ok(effect) => {
                    let run = std::panic::AssertUnwindSafe(|| self.handle(effect));
                    if let Err(p) = std::panic::catch_unwind(run) {
                        let text = format!("internal error: {}", panic_text(&p));
                        let report = if std::mem::take(&mut self.scanning) {
                            Report::ScanFailed(text)
                        } else {
                            Report::Error(text)
                        };
                        self.emit(Event::Worker(report));
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.idle(),
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    /// Idle for a second: re-check qmail-send; (re)start the watcher for the grouping key.
    fn idle(&mut self) {
        self.emit(Event::Worker(Report::SendStatus(self.ops.send_running())));
        let wanted = self.snapshot.is_some() && !self.live_failed;
        if wanted && self.live.as_ref().map(Live::key) != Some(self.key) {
            // Stop the old one first (two watchers would double the inotify watches), on a
            // thread of its own: stopping joins a watcher that may still be in its initial
            // scan, which cannot be interrupted, and the worker must keep answering keys.
            if let Some(old) = self.live.take() {
                let _ = std::thread::Builder::new()
                    .name("qtriage-live-stop".into())
                    .spawn(move || drop(old));
            }
            let tables = self.snapshot.as_ref().map(|s| {
                let basis = s.basis();
                Arc::new(crate::analysis::Tables {
                    ctx: basis.ctx.clone(),
                    sender_patterns: basis.sender_patterns.clone(),
                })
            });
            // The watcher starts from the snapshot's records rather than a scan of its own (a
            // second copy of the queue at its peak), unless they lack the envelopes (the
            // envelope pass failed).
            let seed = self.snapshot.as_ref().filter(|_| self.whole).map(|s| Seed {
                strings: Arc::clone(&s.strings),
                records: Arc::clone(s) as _,
            });
            match Live::start(
                self.ops.queue.clone(),
                self.key,
                tables,
                seed,
                self.events.clone(),
            ) {
                Ok(l) => self.live = Some(l),
                Err(e) => {
                    self.live_failed = true;
                    self.emit(Event::Worker(Report::WatchFailed(e.to_string())));
                }
            }
        }
    }

    /// Complete interrupted batches and say so. Returns whether any batch was completed (the
    /// records may then be stale).
    fn recover(&self) -> bool {
        match self.ops.recover() {
            Ok(report) => {
                let changed = !report.completed.is_empty();
                if !report.is_empty() {
                    self.emit(Event::Worker(Report::Recovered(report)));
                }
                changed
            }
            // Unfinished batches while qmail-send runs: the next action recovers them under
            // the lock, or refuses; say it now so the operator knows.
            Err(e) => {
                self.emit(Event::Worker(Report::Error(format!("recovery: {e}"))));
                false
            }
        }
    }

    fn list_yank_area(&mut self) {
        self.yank_area_shown = true;
        self.yank_area_read(self.ops.listing());
    }

    /// Send the yank area as read, or why it could not be.
    fn yank_area_read(&self, listing: Result<YankListing, ActionError>) {
        match listing {
            Ok(l) => self.emit(Event::Worker(Report::YankArea(Box::new(l)))),
            Err(e) => self.emit(Event::Worker(Report::Error(format!("yank area: {e}")))),
        }
    }

    fn handle(&mut self, effect: Effect) {
        match effect {
            Effect::Scan => self.scan(),
            Effect::Cluster(key) => {
                (self.key, self.key_chosen) = (key, true);
                if let Some(s) = &self.snapshot {
                    let c = clustering(s, key);
                    self.emit(Event::Worker(Report::Clustered(Box::new(c))));
                }
            }
            Effect::Select(q) => {
                self.query = q;
                if let (Some(s), Some(q)) = (&self.snapshot, &self.query) {
                    match selection(&self.ops, s, q) {
                        Ok(sel) => self.emit(Event::Worker(Report::Selected(Box::new(sel)))),
                        Err(words) => self.emit(Event::Worker(Report::Error(words))),
                    }
                }
            }
            Effect::Inspect { index, id } => self.inspect(index, id),
            Effect::Explain(at, cluster) => {
                // A clustering of a snapshot since replaced: its new one is on its way.
                if let Some(s) = self
                    .snapshot
                    .as_ref()
                    .filter(|s| s.generation == at.generation)
                {
                    let reasons = explain(s, *cluster);
                    self.emit(Event::Worker(Report::Explained(at, reasons)));
                }
            }
            Effect::Plan { what, request } => self.plan(what, request, None),
            Effect::PickBack { what, query } => self.pick_back(what, query),
            Effect::Execute(confirm) => self.execute(confirm),
            Effect::ListYankArea => self.list_yank_area(),
            Effect::CheckAccounts => self.off_thread(
                |snap, env| Report::Accounts(Box::new(after::check_accounts(snap, env))),
                Report::Accounts(Box::new(AccountsListing {
                    error: Some("the queue is still being scanned; press a again".into()),
                    ..AccountsListing::default()
                })),
            ),
            Effect::CleanupPlan => self.off_thread(
                |snap, env| Report::Cleanup(Box::new(cleanup::plan(snap, env, env.now()))),
                Report::Error("the queue is still being scanned; press p again".into()),
            ),
            Effect::WriteReport => self.off_thread(
                |snap, env| {
                    let (text, is_error) = after::write_report(snap, env, env.now());
                    Report::ReportWritten { text, is_error }
                },
                Report::ReportWritten {
                    text: "nothing to report yet: the queue is still being scanned".into(),
                    is_error: true,
                },
            ),
        }
    }

    /// Run `job` on the current snapshot in a thread of its own (it may hash passwords or
    /// read the yank area for seconds; the worker keeps answering keys), reporting its result;
    /// `not_yet` when there is no snapshot yet. A panic in it comes back as an error, like the
    /// worker's own.
    fn off_thread(&self, job: fn(&Snapshot, &AfterFlood) -> Report, not_yet: Report) {
        let Some(snap) = self.snapshot.clone() else {
            return self.emit(Event::Worker(not_yet));
        };
        let (env, events) = (self.after.clone(), self.events.clone());
        let spawned = std::thread::Builder::new()
            .name("qtriage-after".into())
            .spawn(move || {
                let run = std::panic::AssertUnwindSafe(|| job(&snap, &env));
                let report = std::panic::catch_unwind(run).unwrap_or_else(|p| {
                    Report::Error(format!("internal error: {}", panic_text(&p)))
                });
                let _ = events.send(Event::Worker(report));
            });
        if let Err(e) = spawned {
            self.emit(Event::Worker(Report::Error(format!(
                "cannot start a thread: {e}"
            ))));
        }
    }

    /// Read message `id` for the inspector: at `index` in the UI's records, which may be an
    /// older snapshot's (keys pressed during the envelope pass are answered after it, from its
    /// records, where messages that came or went between the passes shift the indices); else
    /// found by its id.
    fn inspect(&self, index: u32, id: MessageId) {
        let Some(s) = &self.snapshot else {
            return self.emit(Event::Worker(Report::Error(
                "the queue is still being analysed; open the message again".into(),
            )));
        };
        let at = s.records.get(index as usize).filter(|r| r.id == id);
        match at.or_else(|| s.records.iter().find(|r| r.id == id)) {
            Some(r) => {
                let log = s.logs.attributed.get(&r.id);
                let mut i = crate::inspect::inspect(&self.ops.queue, &s.strings, r, log);
                let picks = crate::actions::Restored::in_queue(&self.ops.queue, &self.ops.yank_dir);
                crate::inspect::note_picked_back(&mut i, &picks);
                self.emit(Event::Worker(Report::Inspected(Box::new(i))));
            }
            None => self.emit(Event::Worker(Report::Error(format!(
                "message #{id} is no longer listed"
            )))),
        }
    }

    /// Make `records` the current snapshot and send everything the views need.
    fn publish(
        &mut self,
        strings: Arc<Interner>,
        records: Vec<MessageRecord>,
        logs: Arc<LogFacts>,
        ctx: &AnalysisContext,
    ) {
        let snap = self.new_snapshot(strings, records, logs, ctx);
        self.show(snap, false, false);
    }

    /// The next snapshot of `records`, analysed under `ctx`.
    fn new_snapshot(
        &mut self,
        strings: Arc<Interner>,
        records: Vec<MessageRecord>,
        logs: Arc<LogFacts>,
        ctx: &AnalysisContext,
    ) -> Arc<Snapshot> {
        self.generation += 1;
        let mut snap = Snapshot::analysed(self.generation, strings, records, logs, ctx);
        snap.unlisted_dirs = self.unlisted_dirs;
        Arc::new(snap)
    }

    /// Make `snap` the current snapshot and send everything the views need;
    /// `envelopes_pending` when it is the header pass'. `keep_key` for the records after an
    /// action: they are grouped by the key shown, chosen or not; a new opening choice there
    /// (the next culprit's key once the first is yanked) moved the pane under the operator and
    /// restarted the watcher, taking the yank's `-N/min yanked` off the header.
    fn show(&mut self, snap: Arc<Snapshot>, envelopes_pending: bool, keep_key: bool) {
        let clustering = match self.key_chosen || keep_key {
            true => clustering(&snap, self.key),
            // From auth-user each time: the logs may name its culprit in the envelope pass.
            false => opening_clustering(&snap, crate::tui::DEFAULT_KEY),
        };
        self.key = clustering.key;
        let clustering = Arc::new(clustering);
        let selection = match self.query.as_ref().map(|q| selection(&self.ops, &snap, q)) {
            Some(Ok(sel)) => Some(Arc::new(sel)),
            Some(Err(words)) => {
                self.emit(Event::Worker(Report::Error(words)));
                None
            }
            None => None,
        };
        let orders = Arc::new(orders(&snap));
        self.snapshot = Some(Arc::clone(&snap));
        self.whole = !envelopes_pending;
        self.emit(Event::Worker(Report::Analysed(Box::new(Analysis {
            snapshot: snap,
            clustering,
            selection,
            orders,
            envelopes_pending,
        }))));
    }

    /// Build the plan of `request` (recovering interrupted batches first, like every action).
    fn plan(&mut self, what: String, request: PlanRequest, pick_warning: Option<String>) {
        if self.recover() {
            self.scan();
        }
        let started = Instant::now();
        let records = self.snapshot.as_ref().map_or(&[][..], |s| &s.records[..]);
        let step = match request {
            PlanRequest::Yank(_) | PlanRequest::Expire(_) => "checking the marked messages",
            PlanRequest::Restore(_) => "checking the messages to put back",
            PlanRequest::Purge(_) => "reading the yank area",
        };
        let ops = &self.ops;
        let planned = self.step(step, started, |p| {
            ops.plan_counted(&request, &what, records, p)
        });
        match planned {
            Ok(plan) => {
                // Marks the analysis calls no culprit's (a cluster that is not one, an account
                // sending as itself): the popup says how many and which kinds, from the
                // cleanup plan itself (built once per snapshot, see `PlanCell`).
                let not_in_plan = match (&request, &self.snapshot) {
                    (PlanRequest::Yank(_) | PlanRequest::Expire(_), Some(snap))
                        if !plan.messages.is_empty() =>
                    {
                        let ids = plan.messages.iter().map(|m| m.id).collect();
                        let (env, now) = (&self.after, self.after.now());
                        let words = "building the cleanup plan (what of the marks it keeps)";
                        Some(self.step(words, started, |_| {
                            let n = cleanup::not_in_plan(snap, env, now, &ids);
                            (n, cleanup::picks_unknown(snap, env, now))
                        }))
                    }
                    _ => None,
                };
                let (not_in_plan, picks_unknown) = match not_in_plan {
                    Some((n, unknown)) => (Some(n), unknown),
                    None => (None, None),
                };
                // Asked before the undo runs: the yank area still holds what was picked.
                let still_picked = (plan.direction == Direction::Restore)
                    .then(|| crate::actions::restored::still_picked(&plan).ok())
                    .flatten();
                let sample = match plan.direction {
                    Direction::Restore => views::restore_sample(&plan),
                    _ => Vec::new(),
                };
                // What the journal will record: with the marks gone since the scan said.
                let what = (plan.query.strip_prefix("tui: ")).map_or(what, |q| q.to_string());
                self.emit(Event::Worker(Report::Planned(Box::new(Confirm {
                    what,
                    plan: Arc::new(plan),
                    clusters_hit: None,
                    not_in_plan,
                    force: false,
                    still_picked,
                    picks_unknown,
                    pick_warning,
                    sample,
                }))))
            }
            Err(e) => self.emit(Event::Worker(Report::Error(e.to_string()))),
        }
    }

    /// Find the yanked messages `query` selects (`qtriage restore QUERY`'s selection, judged
    /// with this session's context), then plan putting them back as picked: real mail by the
    /// operator's verdict, which `p` and the report leave from then on.
    fn pick_back(&mut self, what: String, query: crate::query::Query) {
        if self.recover() {
            self.scan();
        }
        let now = self.after.now();
        let ctx = self.after.context(now);
        let strings = crate::queue::Interner::new();
        let (queue, yank_dir) = (&self.ops.queue, &self.ops.yank_dir);
        let found =
            crate::query::yanked::select_yanked(&query, queue, yank_dir, &strings, (&ctx, now));
        match found {
            Ok(records) if records.is_empty() => self.emit(Event::Worker(Report::Error(format!(
                "{what}: no message in the yank area matches"
            )))),
            Ok(records) => {
                let ids: Vec<_> = records.iter().map(|r| r.id).collect();
                let what = after::picks_named(what, &records, &strings);
                // As `qtriage restore QUERY` warns: picking a culprit's spam back hides it from
                // the plan and the report (newuser52: `auth:test` asked without a word).
                let warning = self.snapshot.as_ref().and_then(|snap| {
                    let picks = ids.iter().copied().collect();
                    after::pick_warning(snap, &self.after, &picks)
                });
                let request = PlanRequest::Restore(crate::actions::RestoreSelection::Picked(ids));
                self.plan(what, request, warning);
            }
            Err(e) => self.emit(Event::Worker(Report::Error(e.to_string()))),
        }
    }

    /// Run `job`, a step of a plan (`what`, in words), on a thread of its own and tell the UI
    /// every [`PROGRESS_EVERY`] what it is at, with the time since `started`: a plan can take
    /// seconds, and a Planning box that says nothing meanwhile reads as a frozen screen. A
    /// panic in it is the worker's own (resumed here).
    fn step<T: Send>(
        &self,
        what: &'static str,
        started: Instant,
        job: impl FnOnce(&PlanProgress) -> T + Send,
    ) -> T {
        let progress = PlanProgress::default();
        let counted = &progress;
        std::thread::scope(|s| {
            let (finished, done) = mpsc::channel::<()>();
            let run = s.spawn(move || {
                let r = job(counted);
                let _ = finished.send(());
                r
            });
            while let Err(RecvTimeoutError::Timeout) = done.recv_timeout(PROGRESS_EVERY) {
                self.emit(Event::Worker(Report::Planning(PlanStep {
                    what,
                    done: counted.done.load(Ordering::Relaxed),
                    total: counted.total.load(Ordering::Relaxed),
                    ms: started.elapsed().as_millis() as u64,
                })));
            }
            run.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// Execute a confirmed plan as one journaled batch, reporting progress; then update the
    /// records, the yank area and qmail-send's state.
    fn execute(&mut self, confirm: Confirm) {
        let events = self.events.clone();
        let result = self.ops.execute(&confirm, &mut |n| {
            let _ = events.send(Event::Worker(Report::Progress(n)));
        });
        match result {
            Err(e) => {
                self.emit(Event::Worker(Report::Error(action_error(&e))));
                self.list_yank_area();
            }
            Ok(outcome) => {
                let ids = acted_on(&confirm.plan, &outcome);
                self.refresh_after(confirm.plan.direction, &ids);
                // Before Done: the header's `yanked N` once said 0 for a second or two beside
                // `yanked 44,990 messages`, the journal being read after the popup closed.
                let ops = &self.ops;
                let listing = self.step("reading the yank area", Instant::now(), |_| ops.listing());
                self.yank_area_read(listing);
                self.emit(Event::Worker(Report::Done(Box::new(Finished {
                    confirm,
                    outcome,
                }))));
            }
        }
        self.emit(Event::Worker(Report::SendStatus(self.ops.send_running())));
    }
}

/// A panic's message, when it has one.
fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// An action's error in the operator's words (a refusal says how to go on).
fn action_error(e: &ActionError) -> String {
    match e {
        ActionError::SendRunning { .. } => {
            format!("{e}: stop qmail-send (svc -d /service/qmail-send), or F to force")
        }
        _ => e.to_string(),
    }
}
