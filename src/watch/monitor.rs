//! The monitor: a thread that runs a [`Watcher`], applies its deltas to a [`QueueModel`] and sends
//! one [`WatchUpdate`] per interval (what the CLI prints and the TUI shows).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::delta::{QueueDelta, Seed, WatchError, WatchMode};
use super::model::QueueModel;
use super::rates::{Growth, LastMinute, Rate, Window};
use super::watcher::{now_ms, WatchOptions, Watcher};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::queue::{Interner, Queue};

/// Samples of the queue size kept for the sparkline.
pub const HISTORY_LEN: usize = 120;

/// What to watch and how often to report.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Keys with per-cluster rates: the chosen key first (at most two are used).
    pub keys: Vec<ClusterKey>,
    /// Time between updates.
    pub interval: Duration,
    /// Growing clusters reported per key.
    pub top: usize,
    /// The watcher's options.
    pub watch: WatchOptions,
    /// An analysis' tables for the per-cluster values (the TUI's snapshot's), so the rates
    /// are of that analysis' clusters.
    pub tables: Option<Arc<crate::analysis::Tables>>,
    /// Without `tables`: the context to build them with from the watcher's own scan (as an
    /// analysis of it would: `qtriage watch`); neither gives literal values.
    pub context: Option<crate::analysis::cluster::AnalysisContext>,
    /// Start from these records (a scan the caller already holds) instead of scanning the
    /// queue again; the monitor lets go of them once its model has taken their values.
    pub seed: Option<Seed>,
    /// Which growth ranks the clusters reported ([`Growth::Net`]: `qtriage watch`'s).
    pub growth: Growth,
    /// Count each reported cluster of the first key's queued messages
    /// ([`ClusterRate::queued`]): one pass over the model per update (the TUI's rows for
    /// values its scan lacks show it; `qtriage watch` does not ask).
    pub count_queued: bool,
}

impl MonitorConfig {
    /// Watch `key` (and origin-ip) every `interval`, top 3 clusters per key.
    pub fn new(key: ClusterKey, interval: Duration) -> MonitorConfig {
        let mut keys = vec![key];
        if key != ClusterKey::OriginIp {
            keys.push(ClusterKey::OriginIp);
        }
        MonitorConfig {
            keys,
            interval,
            top: 3,
            watch: WatchOptions::default(),
            tables: None,
            context: None,
            seed: None,
            growth: Growth::Net,
            count_queued: false,
        }
    }
}

/// One growing cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRate {
    /// The key.
    pub key: ClusterKey,
    /// The value's bytes (unsanitized: sanitize before a terminal sees them).
    pub value: Arc<[u8]>,
    /// Its rates over the last minute; its growth ([`MonitorConfig::growth`]) ranks it.
    pub rate: Rate,
    /// Its messages in the queue now (with a mess file), when the monitor was asked to count
    /// them ([`MonitorConfig::count_queued`], first key only).
    pub queued: Option<u64>,
}

impl ClusterRate {
    /// The value as lossy UTF-8 (still unsanitized).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }
    /// In minus out per minute over the last minute.
    pub fn per_min(&self) -> f64 {
        self.rate.growth_per_min()
    }

    /// In minus delivered and bounced per minute over the last minute: yanks are not the
    /// cluster draining ([`Growth::WithoutYanks`]).
    pub fn per_min_without_yanks(&self) -> f64 {
        self.rate.growth(Growth::WithoutYanks)
    }
}

/// One interval's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchUpdate {
    /// When, unix milliseconds.
    pub at_ms: i64,
    /// Messages with a mess file.
    pub queue_size: u64,
    /// Messages with a todo file (not yet preprocessed).
    pub todo: u64,
    /// Messages in per minute, last minute (restores are not counted: see `restored_per_min`).
    pub in_per_min: f64,
    /// Messages out per minute (delivered, bounced, yanked), last minute.
    pub out_per_min: f64,
    /// Of those, yanked per minute.
    pub yanked_per_min: f64,
    /// Messages put back from the yank area per minute, last minute.
    pub restored_per_min: f64,
    /// Rates over the 1, 5 and 15 minute windows.
    pub windows: [(Window, Rate); 3],
    /// Message counts (in, out, yanked) over the last 15 minutes of the watch.
    pub counts_15m: (u64, u64, u64),
    /// The messages counted over the last minute (the rates above are these scaled to a minute
    /// while the watch is younger than one).
    pub last_minute: LastMinute,
    /// Messages moved into or back from the yank area since the watch started: a change
    /// between two updates is the area changing (another shell's yank, qmail-remove, an undo).
    pub yank_area_moves: u64,
    /// Queue size at each past interval, oldest first (at most [`HISTORY_LEN`]).
    pub history: Vec<u64>,
    /// The fastest-growing clusters, per key in [`MonitorConfig::keys`] order, fastest first.
    pub clusters: Vec<ClusterRate>,
    /// Under [`Growth::Net`]: clusters yanked in the last minute whose mail still arrives,
    /// which the net figure hides (a yank of 900 outweighs 40 new): per key, fastest first
    /// by [`ClusterRate::per_min_without_yanks`], none of them among `clusters` (walk65: the
    /// guessed login still sending dropped off `qtriage watch`'s line for a minute after its
    /// yank). Empty under [`Growth::WithoutYanks`], whose ranking shows them in `clusters`.
    pub still_arriving: Vec<ClusterRate>,
    /// How the watcher is watching.
    pub mode: WatchMode,
    /// How long the watch has run, in milliseconds: a figure "per minute" of a watch younger
    /// than a minute is its count scaled up from this (one burst can read as a steady rate).
    pub watched_ms: i64,
}

impl WatchUpdate {
    /// In minus out per minute over the last minute.
    pub fn growth_per_min(&self) -> f64 {
        self.in_per_min - self.out_per_min
    }

    /// In minus delivered and bounced per minute over the last minute: what the queue does
    /// of itself, the yanks (`yanked_per_min`) shown apart ([`Growth::WithoutYanks`]).
    pub fn growth_without_yanks_per_min(&self) -> f64 {
        self.in_per_min - (self.out_per_min - self.yanked_per_min)
    }

    /// The seconds the watch has run, to the nearest and at least one: what a rate of a
    /// window not yet full was divided by (the rates' floor is one second too).
    pub fn watched_secs(&self) -> u64 {
        (self.watched_ms.max(1000) as u64 + 500) / 1000
    }

    /// While the watch is younger than the last-minute window: [`WatchUpdate::watched_secs`],
    /// to be shown beside the figures; `None` once they cover a whole minute.
    pub fn young_secs(&self) -> Option<u64> {
        let window = Window::OneMinute.secs() * 1000;
        (self.watched_ms < window).then(|| self.watched_secs())
    }

    /// While the watch is younger than the last-minute window, the messages counted since it
    /// started: a yank of 9,000 in its first 34 seconds is 9,000, not "15,882 a minute".
    /// `None` once the rates cover a whole minute.
    pub fn young_counts(&self) -> Option<LastMinute> {
        self.young_secs().map(|_| self.last_minute)
    }

    /// What arrived, what qmail-send delivered or bounced (what left, less the yanks) and what
    /// was yanked, over the last minute: counts since the start while the watch is younger
    /// ([`WatchUpdate::young_counts`]), else the rates rounded.
    pub fn flow(&self) -> (u64, u64, u64) {
        match self.young_counts() {
            Some(c) => (c.arrived, c.left.saturating_sub(c.yanked), c.yanked),
            None => (
                self.in_per_min.round() as u64,
                (self.out_per_min - self.yanked_per_min).round().max(0.0) as u64,
                self.yanked_per_min.round() as u64,
            ),
        }
    }
}

/// What a monitor sends: an update per interval, or the error that stopped it.
pub type MonitorEvent = Result<WatchUpdate, WatchError>;

/// A running monitor; stopped when dropped.
pub struct MonitorHandle {
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MonitorHandle {
    /// Resume a watcher started with `start_paused` (test hook).
    pub fn resume(&self) {
        self.paused.store(false, Ordering::Release);
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The model a monitor keeps: rates and counts only, no records (nothing it reports reads
/// them, and they would be a second copy of the queue beside the TUI's snapshot).
fn monitor_model(strings: Arc<Interner>, config: &MonitorConfig) -> QueueModel {
    QueueModel::new(strings, &config.keys)
        .with_tables(config.tables.clone(), config.context.clone())
        .without_records()
}

/// Build one update from the model at `now_ms` (pure: no clock, no I/O): `config.top`
/// clusters per key ranked by `config.growth`, counted when `config.count_queued`.
pub fn update_of(
    model: &QueueModel,
    now_ms: i64,
    config: &MonitorConfig,
    history: &VecDeque<u64>,
) -> WatchUpdate {
    let strings: &Interner = model.strings();
    let rates = model.rates();
    let windows = Window::ALL.map(|w| (w, rates.overall(now_ms, w)));
    let one = windows[0].1;
    let value_of = |v: KeyValue| match v {
        KeyValue::Text(sym) => strings.resolve(sym),
        other => Arc::from(other.text(strings).into_bytes()),
    };
    let (mut clusters, mut still_arriving) = (Vec::new(), Vec::new());
    for (i, key) in model.keys().iter().enumerate() {
        let growing = rates.top_growing(i, now_ms, config.top, strings, config.growth);
        let queued = (config.count_queued && i == 0).then(|| {
            let values = growing.iter().map(|c| c.value).collect();
            model.queued_with(i, &values)
        });
        for c in growing {
            clusters.push(ClusterRate {
                key: *key,
                value: value_of(c.value),
                rate: c.rate,
                queued: (queued.as_ref()).map(|q| q.get(&c.value).copied().unwrap_or(0)),
            });
        }
        if config.growth == Growth::Net {
            let yanked = rates.top_growing(i, now_ms, config.top, strings, Growth::WithoutYanks);
            // Growing without its yanks but not with them: yanked, and hidden by the yank.
            let hidden = yanked
                .into_iter()
                .filter(|c| c.rate.growth_per_min() <= 0.0);
            still_arriving.extend(hidden.map(|c| ClusterRate {
                key: *key,
                value: value_of(c.value),
                rate: c.rate,
                queued: None,
            }));
        }
    }
    WatchUpdate {
        at_ms: now_ms,
        queue_size: model.queue_size(),
        todo: model.todo(),
        in_per_min: one.in_per_min,
        out_per_min: one.out_per_min,
        yanked_per_min: one.yanked_per_min,
        restored_per_min: one.restored_per_min,
        windows,
        counts_15m: rates.counts(now_ms, Window::FifteenMinutes),
        last_minute: rates.last_minute(now_ms),
        yank_area_moves: rates.yank_area_moves(),
        history: history.iter().copied().collect(),
        clusters,
        still_arriving,
        mode: model.mode().unwrap_or(WatchMode::Notify),
        watched_ms: rates.watched_ms(now_ms),
    }
}

/// Start watching `queue`: returns the updates (one per interval, the first after the initial
/// scan) and a handle that stops the watch when dropped. With `config.seed` the watcher starts
/// from it and the seed's interner, instead of a scan of its own.
pub fn spawn(
    queue: Queue,
    mut config: MonitorConfig,
) -> Result<(Receiver<MonitorEvent>, MonitorHandle), WatchError> {
    // Taken out of the config the monitor keeps, so the records go with the first delta.
    let watcher = match config.seed.take() {
        Some(seed) => Watcher::start_seeded(queue.clone(), seed, config.watch.clone())?,
        None => Watcher::start(
            queue.clone(),
            Arc::new(Interner::new()),
            config.watch.clone(),
        )?,
    };
    let strings = Arc::clone(watcher.strings());
    let (tx, rx) = std::sync::mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let paused = watcher.pause_flag();
    let stop2 = Arc::clone(&stop);
    let path = queue.root().to_path_buf();
    let thread = std::thread::Builder::new()
        .name("qtriage-monitor".into())
        .spawn(move || {
            let model = monitor_model(strings, &config);
            run(
                Running {
                    watcher,
                    model,
                    path: queue.root().to_path_buf(),
                },
                &config,
                &tx,
                &stop2,
            )
        })
        .map_err(|source| WatchError::Thread { path, source })?;
    Ok((
        rx,
        MonitorHandle {
            stop,
            paused,
            thread: Some(thread),
        },
    ))
}

struct Running {
    watcher: Watcher,
    model: QueueModel,
    path: std::path::PathBuf,
}

fn run(running: Running, config: &MonitorConfig, tx: &Sender<MonitorEvent>, stop: &AtomicBool) {
    let Running {
        watcher,
        mut model,
        path,
    } = running;
    let mut history = VecDeque::with_capacity(HISTORY_LEN);
    let mut next: Option<Instant> = None;
    // Short waits so a dropped handle or a resumed watcher is noticed promptly.
    let step = config.interval.min(Duration::from_millis(100));
    while !stop.load(Ordering::Acquire) {
        match watcher.deltas().recv_timeout(step) {
            Ok(QueueDelta::Failed(e)) => {
                let _ = tx.send(Err(e));
                return;
            }
            Ok(d) => {
                let is_reset = matches!(d, QueueDelta::Reset { .. } | QueueDelta::Seeded { .. });
                model.apply(d);
                if is_reset {
                    next = Some(Instant::now() + config.interval);
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                let _ = tx.send(Err(WatchError::Stopped { path }));
                return;
            }
        }
        if next.is_some_and(|n| Instant::now() >= n) {
            let now = now_ms().max(model.last_ms());
            if history.len() == HISTORY_LEN {
                history.pop_front();
            }
            history.push_back(model.queue_size());
            model.prune_rates(now);
            if tx
                .send(Ok(update_of(&model, now, config, &history)))
                .is_err()
            {
                return;
            }
            // Keep the cadence, but never try to catch up with intervals already missed.
            next = next.map(|n| (n + config.interval).max(Instant::now()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{MessageId, MessageRecord, Parts, Subdir};

    #[test]
    fn a_monitor_keeps_no_records_only_their_values() {
        let strings = Arc::new(Interner::new());
        let config = MonitorConfig::new(ClusterKey::Sender, Duration::from_secs(1));
        let mut model = monitor_model(Arc::clone(&strings), &config);
        let mut parts = Parts::default();
        parts.insert(Subdir::Mess);
        let mut r = MessageRecord::listed(MessageId(7), parts);
        r.sender = Some(strings.intern(b"bulk@example.org"));
        model.apply(QueueDelta::Reset {
            at_ms: 1_795_428_000_000,
            records: vec![r],
            mode: WatchMode::Notify,
        });
        let t = model.get(MessageId(7)).expect("tracked");
        assert!(
            model.record(MessageId(7)).is_none(),
            "a second copy of the queue's records"
        );
        assert!(t.values[0].is_some(), "its sender is still counted");
        assert_eq!(model.queue_size(), 1);
    }

    /// A yank of a cluster's five queued messages outweighs the two that arrive in the same
    /// minute: `qtriage watch`'s net ranking drops the cluster, and `still_arriving` names it
    /// with its arrivals; one whose arrivals outweigh its yank stays a cluster. The TUI's
    /// ranking without yanks keeps both clusters instead.
    #[test]
    fn a_cluster_still_arriving_after_its_yank_is_named_apart() {
        const T0: i64 = 1_795_428_000_000;
        let strings = Arc::new(Interner::new());
        let bulk = strings.intern(b"bulk@example.org");
        let other = strings.intern(b"other@example.org");
        let record = |id: u64| {
            let mut parts = Parts::default();
            parts.insert(Subdir::Mess);
            let mut r = MessageRecord::listed(MessageId(id), parts);
            r.sender = Some(if id < 8 { bulk } else { other });
            r
        };
        let gone = |id: u64| crate::watch::delta::Change {
            id: MessageId(id),
            parts: Parts::default(),
            flow: crate::watch::tracker::Flow::Left { yanked: true },
            record: None,
        };
        let came = |id: u64| crate::watch::delta::Change {
            id: MessageId(id),
            parts: record(id).parts,
            flow: crate::watch::tracker::Flow::Arrived,
            record: Some(record(id)),
        };
        let mut config = MonitorConfig::new(ClusterKey::Sender, Duration::from_secs(1));
        let mut model = monitor_model(Arc::clone(&strings), &config);
        model.apply(QueueDelta::Reset {
            at_ms: T0,
            records: [1, 2, 3, 4, 5, 8].map(record).to_vec(),
            mode: WatchMode::Notify,
        });
        let mut changes: Vec<_> = [1, 2, 3, 4, 5, 8].map(gone).to_vec();
        changes.extend([6, 7, 9, 10, 11].map(came));
        model.apply(QueueDelta::Batch {
            at_ms: T0 + 60_000,
            changes,
            passes: 0,
            mode: WatchMode::Notify,
        });
        let now = T0 + 90_000;
        let u = update_of(&model, now, &config, &VecDeque::new());
        let [growing] = &u.clusters[..] else {
            panic!("{:?}", u.clusters)
        };
        assert_eq!(&*growing.value, &b"other@example.org"[..]);
        let [c] = &u.still_arriving[..] else {
            panic!("{:?}", u.still_arriving)
        };
        assert_eq!(
            (c.key, &*c.value),
            (ClusterKey::Sender, &b"bulk@example.org"[..])
        );
        assert_eq!((c.rate.in_per_min, c.rate.yanked_per_min), (2.0, 5.0));
        assert_eq!(c.per_min_without_yanks(), 2.0);

        config.growth = Growth::WithoutYanks;
        let u = update_of(&model, now, &config, &VecDeque::new());
        assert!(u.still_arriving.is_empty(), "{:?}", u.still_arriving);
        assert_eq!(u.clusters.len(), 2, "{:?}", u.clusters);
    }

    /// The TUI's rows for values its scan lacks show each value's queued messages: counted
    /// from the model for the values asked about, only messages with a mess file (as the
    /// queue's size), none for a value no message holds.
    #[test]
    fn queued_messages_are_counted_for_the_values_asked_about() {
        let strings = Arc::new(Interner::new());
        let config = MonitorConfig::new(ClusterKey::Sender, Duration::from_secs(1));
        let mut model = monitor_model(Arc::clone(&strings), &config);
        let (bulk, other) = (
            strings.intern(b"bulk@example.org"),
            strings.intern(b"x@y.org"),
        );
        let record = |id: u64, sender, mess: bool| {
            let mut parts = Parts::default();
            parts.insert(if mess { Subdir::Mess } else { Subdir::Info });
            let mut r = MessageRecord::listed(MessageId(id), parts);
            r.sender = Some(sender);
            r
        };
        model.apply(QueueDelta::Reset {
            at_ms: 1_795_428_000_000,
            records: vec![
                record(1, bulk, true),
                record(2, bulk, true),
                record(3, bulk, false),
                record(4, other, true),
            ],
            mode: WatchMode::Notify,
        });
        let asked: rustc_hash::FxHashSet<KeyValue> =
            std::iter::once(KeyValue::Text(bulk)).collect();
        let counted = model.queued_with(0, &asked);
        assert_eq!(counted.get(&KeyValue::Text(bulk)), Some(&2));
        assert_eq!(counted.len(), 1, "{counted:?}");
    }
}
