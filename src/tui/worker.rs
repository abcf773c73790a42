//! The worker: runs Effects (scan, cluster, select, inspect, yank, restore) off the UI thread.
//!
//! One thread owns the current snapshot and answers each [`Effect`] with [`Event`]s on the UI's
//! single channel. Failures, panics included, come back as `Event::Error` so the operator sees
//! them (gitui's async jobs log and drop them). While idle it checks the qmail-send lock every
//! [`STATUS_EVERY`], so the header stays true.

use std::io;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustc_hash::{FxHashMap, FxHashSet};

use super::action::Effect;
use super::event::{Event, Outcome};
use super::ops;
use super::state::{Analysis, Clustering, Orders, Plan, PlanKind, Selection, Snapshot};
use crate::analysis::cluster::{cluster, AnalysisContext};
use crate::analysis::key::ClusterKey;
use crate::query::{select, Query, QueryContext};
use crate::queue::{scan, Interner, Progress, Queue, ScanOptions};

/// How often an idle worker re-checks qmail-send.
pub const STATUS_EVERY: Duration = Duration::from_secs(1);
/// How often scan and action progress is reported.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Handle to the worker thread: send it effects; dropping it ends the thread's loop.
pub struct Worker {
    effects: Sender<Effect>,
    /// Not joined: dropping the sender ends the loop, and a scan in progress need not be awaited
    /// when the operator quits.
    _thread: JoinHandle<()>,
}

impl Worker {
    /// Start a worker on `queue` that groups by `key` and reports to `events`.
    pub fn spawn(queue: Queue, key: ClusterKey, events: Sender<Event>) -> io::Result<Worker> {
        let (tx, rx) = mpsc::channel();
        let mut state = WorkerState {
            queue,
            key,
            events,
            query: None,
            snapshot: None,
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
    queue: Queue,
    key: ClusterKey,
    events: Sender<Event>,
    query: Option<Query>,
    snapshot: Option<Arc<Snapshot>>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl WorkerState {
    fn run(&mut self, rx: Receiver<Effect>) {
        self.status(true);
        loop {
            match rx.recv_timeout(STATUS_EVERY) {
                Ok(effect) => {
                    let run = std::panic::AssertUnwindSafe(|| self.handle(effect));
                    if let Err(p) = std::panic::catch_unwind(run) {
                        let why = p
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned());
                        self.emit(Event::Error(format!(
                            "internal error: {}",
                            why.unwrap_or_default()
                        )));
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.status(false),
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn emit(&self, e: Event) {
        let _ = self.events.send(e);
    }

    fn status(&self, list_yanked: bool) {
        let send_running = ops::is_send_running(&self.queue).ok();
        let yanked = if list_yanked {
            match ops::yanked_on_disk(&self.queue) {
                Ok(y) => Some(y),
                Err(e) => {
                    self.emit(Event::Error(e.to_string()));
                    None
                }
            }
        } else {
            None
        };
        self.emit(Event::QueueStatus {
            send_running,
            yanked,
        });
    }

    fn handle(&mut self, effect: Effect) {
        match effect {
            Effect::Scan => self.scan(),
            Effect::Cluster(key) => {
                self.key = key;
                if let Some(s) = &self.snapshot {
                    self.emit(Event::Clustered(Box::new(clustering(
                        s,
                        key,
                        &crate::analysis::locals::local_domains(self.queue.root(), &[]).0,
                    ))));
                }
            }
            Effect::Select(q) => {
                self.query = q;
                if let (Some(s), Some(q)) = (&self.snapshot, &self.query) {
                    self.emit(Event::Selected(Box::new(selection(&self.queue, s, q))));
                }
            }
            Effect::Inspect { index, id } => {
                let Some(s) = &self.snapshot else { return };
                match s.records.get(index as usize).filter(|r| r.id == id) {
                    Some(r) => {
                        let i = super::inspect::inspect(&self.queue, &s.strings, r);
                        self.emit(Event::Inspected(Box::new(i)));
                    }
                    None => self.emit(Event::Error(format!("message #{id} is no longer listed"))),
                }
            }
            Effect::Execute(plan) => self.execute(plan),
        }
    }

    fn scan(&mut self) {
        let strings = Arc::new(Interner::new());
        let progress = Arc::new(Progress::default());
        let (tx, rx) = mpsc::channel();
        let (q, st, pr) = (
            self.queue.clone(),
            Arc::clone(&strings),
            Arc::clone(&progress),
        );
        let start = Instant::now();
        let spawned = std::thread::Builder::new()
            .name("qtriage-scan".into())
            .spawn(move || {
                let _ = tx.send(scan(&q, &st, ScanOptions::default(), &pr));
            });
        if let Err(e) = spawned {
            return self.emit(Event::Error(format!("cannot start the scan: {e}")));
        }
        let result = loop {
            match rx.recv_timeout(PROGRESS_EVERY) {
                Ok(r) => break r,
                Err(RecvTimeoutError::Timeout) => {
                    let ms = start.elapsed().as_millis() as u64;
                    self.emit(Event::Scan(progress.snapshot(), ms));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return self.emit(Event::Error("the scan stopped unexpectedly".into()));
                }
            }
        };
        self.emit(Event::Scan(
            progress.snapshot(),
            start.elapsed().as_millis() as u64,
        ));
        match result {
            Ok(s) => self.publish(strings, s.records),
            Err(e) => self.emit(Event::Error(format!("scan failed: {e}"))),
        }
        self.status(true);
    }

    /// Make `records` the current snapshot and send everything the views need.
    fn publish(&mut self, strings: Arc<Interner>, records: Vec<crate::queue::MessageRecord>) {
        let generation = self.snapshot.as_ref().map_or(1, |s| s.generation + 1);
        let snap = Arc::new(Snapshot {
            generation,
            strings,
            records,
        });
        let clustering = Arc::new(clustering(
            &snap,
            self.key,
            &crate::analysis::locals::local_domains(self.queue.root(), &[]).0,
        ));
        let selection = self
            .query
            .as_ref()
            .map(|q| Arc::new(selection(&self.queue, &snap, q)));
        let orders = Arc::new(orders(&snap));
        self.snapshot = Some(Arc::clone(&snap));
        self.emit(Event::Analysed(Box::new(Analysis {
            snapshot: snap,
            clustering,
            selection,
            orders,
        })));
    }

    fn execute(&mut self, plan: Plan) {
        let total = plan.targets.len();
        let mut last = Instant::now();
        let events = self.events.clone();
        let mut progress = |n: usize| {
            if n == total || last.elapsed() >= PROGRESS_EVERY {
                last = Instant::now();
                let _ = events.send(Event::Progress(n));
            }
        };
        let result = match plan.kind {
            PlanKind::Yank => ops::yank(&self.queue, &plan.targets, plan.force, &mut progress),
            PlanKind::Restore { .. } => {
                ops::restore(&self.queue, &plan.targets, plan.force, &mut progress)
            }
        };
        match result {
            Err(e) => self.emit(Event::Error(e.to_string())),
            Ok(moved) => {
                self.refresh_after(&plan.kind, &moved.done);
                let outcome = Outcome {
                    plan,
                    done: moved.done,
                    skipped: moved.skipped,
                    at: now(),
                };
                self.emit(Event::Done(Box::new(outcome)));
            }
        }
        self.status(true);
    }

    /// The records after an action: yanked ones dropped, restored ones read back.
    fn refresh_after(&mut self, kind: &PlanKind, ids: &[crate::queue::MessageId]) {
        let Some(old) = self.snapshot.clone() else {
            return;
        };
        let strings = Arc::clone(&old.strings);
        let records = match kind {
            PlanKind::Yank => {
                let gone: FxHashSet<_> = ids.iter().copied().collect();
                old.records
                    .iter()
                    .filter(|r| !gone.contains(&r.id))
                    .cloned()
                    .collect()
            }
            PlanKind::Restore { .. } => {
                let mut records = old.records.clone();
                for id in ids {
                    match crate::queue::scan::read_one(&self.queue, &strings, *id) {
                        Ok(r) => records.push(r),
                        Err(e) => self.emit(Event::Error(format!(
                            "message #{id}: re-read after restore: {e}"
                        ))),
                    }
                }
                records
            }
        };
        self.publish(strings, records);
    }
}

/// Group a snapshot's records by `key`, with each record's cluster index.
/// `local_domains` are the queue's (control/locals, rcpthosts, virtualdomains), so the TUI ranks
/// exactly as `qtriage clusters` does.
pub fn clustering(s: &Snapshot, key: ClusterKey, local_domains: &[String]) -> Clustering {
    let ctx = AnalysisContext {
        now: now(),
        local_domains: local_domains.to_vec(),
        ..AnalysisContext::default()
    };
    let clusters = cluster(&s.records, key, &s.strings, &ctx);
    let mut cluster_of = vec![0u32; s.records.len()];
    for (ci, c) in clusters.iter().enumerate() {
        for &m in &c.members {
            if let Some(slot) = cluster_of.get_mut(m as usize) {
                *slot = ci as u32;
            }
        }
    }
    Clustering {
        generation: s.generation,
        key,
        clusters,
        cluster_of,
    }
}

/// The records of a snapshot that `query` matches, as a bit set.
pub fn selection(queue: &Queue, s: &Snapshot, query: &Query) -> Selection {
    let ctx = QueryContext {
        queue,
        strings: &s.strings,
        now: now(),
    };
    let counter = AtomicU64::new(0);
    let picked = select(query, &ctx, &s.records, Some(&counter));
    let mut bits = vec![0u64; s.records.len().div_ceil(64)];
    for &i in &picked {
        if let Some(w) = bits.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    Selection {
        generation: s.generation,
        query: query.clone(),
        bits,
        count: picked.len(),
    }
}

/// Every record index in each message order (queue, age, size, sender).
pub fn orders(s: &Snapshot) -> Orders {
    let rec = |i: u32| &s.records[i as usize];
    let all = || (0..s.records.len() as u32).collect::<Vec<u32>>();
    let mut age = all();
    age.sort_by_cached_key(|&i| (rec(i).queued, rec(i).id));
    let mut size = all();
    size.sort_by_cached_key(|&i| (std::cmp::Reverse(rec(i).size), rec(i).id));
    // Resolve each distinct sender once, then order rows by the sender's rank.
    let mut distinct: Vec<_> = s.records.iter().filter_map(|r| r.sender).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut named: Vec<_> = distinct
        .into_iter()
        .map(|x| (s.strings.resolve(x), x))
        .collect();
    named.sort();
    let rank: FxHashMap<_, usize> = named
        .iter()
        .enumerate()
        .map(|(n, (_, x))| (*x, n))
        .collect();
    let mut sender = all();
    sender.sort_by_cached_key(|&i| (rec(i).sender.and_then(|x| rank.get(&x).copied()), rec(i).id));
    Orders {
        by: [all(), age, size, sender],
    }
}
