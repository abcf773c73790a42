//! Rates: messages in and out per minute over sliding 1, 5 and 15 minute windows, overall and
//! per cluster value. Pure: every call takes the time, nothing reads a clock.
//!
//! Counts are kept in one-second buckets, only for seconds that saw something (a quiet cluster
//! costs nothing), and buckets older than the longest window are dropped as new ones arrive, so
//! memory is bounded by activity in the last 15 minutes, not by the size of the queue.

use std::collections::{HashMap, VecDeque};

use crate::analysis::key::{ClusterKey, KeyValue};
use crate::queue::Interner;

/// The longest window, in seconds: older buckets are dropped.
const HORIZON_SECS: i64 = 15 * 60;

/// The most distinct values tracked per key. Beyond it (an attacker randomising senders with
/// `--by sender`), new values are counted under "no value" so memory stays bounded.
pub const MAX_TRACKED_CLUSTERS: usize = 100_000;

/// A sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last minute.
    OneMinute,
    /// The last five minutes.
    FiveMinutes,
    /// The last fifteen minutes.
    FifteenMinutes,
}

impl Window {
    /// All windows, shortest first.
    pub const ALL: [Window; 3] = [
        Window::OneMinute,
        Window::FiveMinutes,
        Window::FifteenMinutes,
    ];

    /// Its length in seconds.
    pub fn secs(self) -> i64 {
        match self {
            Window::OneMinute => 60,
            Window::FiveMinutes => 300,
            Window::FifteenMinutes => 900,
        }
    }

    /// Its name in JSON (`1m`, `5m`, `15m`).
    pub fn name(self) -> &'static str {
        match self {
            Window::OneMinute => "1m",
            Window::FiveMinutes => "5m",
            Window::FifteenMinutes => "15m",
        }
    }
}

/// Per-minute rates over one window.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Rate {
    /// Messages that entered the queue, per minute.
    pub in_per_min: f64,
    /// Messages that left it (delivered, bounced or yanked), per minute.
    pub out_per_min: f64,
    /// Of those, messages moved into the yank area, per minute.
    pub yanked_per_min: f64,
    /// Messages put back from the yank area (restores), per minute, overall only (0 for a
    /// cluster): not counted in `in_per_min`, so an undo does not look like mail arriving; a
    /// restore takes back the yank it undoes from `out_per_min` and `yanked_per_min`.
    pub restored_per_min: f64,
}

impl Rate {
    /// In minus out: positive while the queue grows.
    pub fn growth_per_min(&self) -> f64 {
        self.in_per_min - self.out_per_min
    }

    /// `growth` of this rate.
    pub fn growth(&self, growth: Growth) -> f64 {
        match growth {
            Growth::Net => self.growth_per_min(),
            Growth::WithoutYanks => self.in_per_min - (self.out_per_min - self.yanked_per_min),
        }
    }
}

/// Which growth a figure means: what counts as the queue shrinking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Growth {
    /// In minus out, yanks included: how the queue's size moves (`qtriage watch`'s
    /// `growth_per_min`, a contract).
    #[default]
    Net,
    /// In minus what was delivered or bounced: a yank is the operator's doing, not the queue
    /// draining, so a flood still arriving after its messages were yanked still reads as
    /// growth (the TUI's; restores are never arrivals either way).
    WithoutYanks,
}

/// Messages counted, not rated, over the last minute: what a watch younger than a minute shows
/// and judges, where a rate would be a few seconds scaled up to a minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LastMinute {
    /// Arrived (restores are not arrivals).
    pub arrived: u64,
    /// Left the queue: delivered, bounced, or moved into the yank area (`yanked`).
    pub left: u64,
    /// Moved into the yank area.
    pub yanked: u64,
    /// Put back from the yank area.
    pub restored: u64,
}

/// Counts of one second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Bucket {
    sec: i64,
    arrived: u32,
    left: u32,
    yanked: u32,
    restored: u32,
    /// Restores that took back no yank (the yank came before the watch, or left the
    /// horizon): a yank of the same messages again takes one back instead of counting out.
    put_back: u32,
}

/// Sparse per-second counts, oldest first.
#[derive(Debug, Default, Clone)]
struct Series {
    buckets: VecDeque<Bucket>,
}

impl Series {
    /// The bucket for `sec`, created in order (usually at the back).
    fn bucket(&mut self, sec: i64) -> &mut Bucket {
        while self
            .buckets
            .front()
            .is_some_and(|b| b.sec <= sec - HORIZON_SECS)
        {
            self.buckets.pop_front();
        }
        let at = self.buckets.partition_point(|b| b.sec < sec);
        if self.buckets.get(at).is_none_or(|b| b.sec != sec) {
            self.buckets.insert(
                at,
                Bucket {
                    sec,
                    ..Bucket::default()
                },
            );
        }
        &mut self.buckets[at]
    }

    /// Sums of the buckets in `(now - secs, now]`.
    fn sum(&self, now: i64, secs: i64) -> Bucket {
        let mut total = Bucket::default();
        for b in self.buckets.iter().rev() {
            if b.sec <= now - secs {
                break;
            }
            if b.sec > now {
                continue;
            }
            total.arrived += b.arrived;
            total.left += b.left;
            total.yanked += b.yanked;
            total.restored += b.restored;
        }
        total
    }

    fn is_stale(&self, now: i64) -> bool {
        self.buckets
            .back()
            .is_none_or(|b| b.sec <= now - HORIZON_SECS)
    }

    /// A restore at `sec`: it takes back the newest yank still counted (it undid it), or is
    /// kept as put back for a yank of the same message to take back; `true` when kept.
    fn unyank(&mut self, sec: i64) -> bool {
        match self.buckets.iter_mut().rev().find(|b| b.yanked > 0) {
            Some(b) => {
                b.yanked -= 1;
                b.left = b.left.saturating_sub(1);
                false
            }
            None => {
                self.bucket(sec).put_back += 1;
                true
            }
        }
    }

    /// A yank: does it take back a restore kept as put back (the undo undone)? Then it is
    /// not counted out: the queue went up by it uncounted, and comes down by it.
    fn takes_back_restore(&mut self) -> bool {
        match self.buckets.iter_mut().rev().find(|b| b.put_back > 0) {
            Some(b) => {
                b.put_back -= 1;
                true
            }
            None => false,
        }
    }

    /// Take one arrival away from `sec` (a re-read changed the message's cluster).
    fn unarrive(&mut self, sec: i64) {
        let at = self.buckets.partition_point(|b| b.sec < sec);
        if let Some(b) = self.buckets.get_mut(at).filter(|b| b.sec == sec) {
            b.arrived = b.arrived.saturating_sub(1);
        }
    }
}

/// One cluster's rate over the 1-minute window.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterGrowth {
    /// The cluster's value.
    pub value: KeyValue,
    /// Its rates.
    pub rate: Rate,
}

/// Rate tracker: overall and per value of each tracked key.
#[derive(Debug, Clone)]
pub struct Rates {
    started_ms: i64,
    /// Messages moved into or back from the yank area since the watch started, each once,
    /// before any netting: whether the area changed between two updates (the windows' counts
    /// slide and net a restore against a yank, so they can stay equal across a move).
    yank_area_moves: u64,
    overall: Series,
    per_key: Vec<(ClusterKey, HashMap<Option<KeyValue>, Series>)>,
}

fn sec_of(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

impl Rates {
    /// A tracker for `keys`, watching since `started_ms` (unix milliseconds).
    pub fn new(keys: &[ClusterKey], started_ms: i64) -> Rates {
        Rates {
            started_ms,
            yank_area_moves: 0,
            overall: Series::default(),
            per_key: keys.iter().map(|k| (*k, HashMap::new())).collect(),
        }
    }

    /// The keys tracked, in order.
    pub fn keys(&self) -> impl Iterator<Item = ClusterKey> + '_ {
        self.per_key.iter().map(|(k, _)| *k)
    }

    fn series(map: &mut HashMap<Option<KeyValue>, Series>, value: Option<KeyValue>) -> &mut Series {
        let value = if map.len() >= MAX_TRACKED_CLUSTERS && !map.contains_key(&value) {
            None
        } else {
            value
        };
        map.entry(value).or_default()
    }

    /// A message entered the queue at `at_ms`; `values[i]` is its value for the i-th key.
    pub fn arrived(&mut self, at_ms: i64, values: &[Option<KeyValue>]) {
        let sec = sec_of(at_ms);
        self.overall.bucket(sec).arrived += 1;
        for ((_, map), v) in self.per_key.iter_mut().zip(values) {
            Self::series(map, *v).bucket(sec).arrived += 1;
        }
    }

    /// A message came back from the yank area at `at_ms` (a restore): never an arrival. It
    /// takes back the newest yank still counted, overall and in its clusters (`values`), so a
    /// yank undone within a window leaves that window as it was; and it is counted as restored
    /// (overall only). `true` when no yank was counted to take back: kept as put back, for a
    /// yank of this same message to take back ([`Rates::left`]'s `takes_back`).
    pub fn restored(&mut self, at_ms: i64, values: &[Option<KeyValue>]) -> bool {
        let sec = sec_of(at_ms);
        self.yank_area_moves += 1;
        let kept = self.overall.unyank(sec);
        self.overall.bucket(sec).restored += 1;
        for ((_, map), v) in self.per_key.iter_mut().zip(values) {
            Self::series(map, *v).unyank(sec);
        }
        kept
    }

    /// A message left the queue at `at_ms` (`yanked`: into the yank area). A yank of a
    /// message a restore put back uncounted (`takes_back`: the undo undone) is not counted
    /// out: after a restore and a yank again the queue is where it was, and read -1,971/min
    /// (an operator's run). Only that message's: netted by count, a yank of other mail after
    /// a restore read as nothing (newuser51: 39,508 yanked after an undo of 89,979, `+0/min`).
    pub fn left(
        &mut self,
        at_ms: i64,
        values: &[Option<KeyValue>],
        yanked: bool,
        takes_back: bool,
    ) {
        let sec = sec_of(at_ms);
        self.yank_area_moves += u64::from(yanked);
        let takes_back = yanked && takes_back;
        if !(takes_back && self.overall.takes_back_restore()) {
            let b = self.overall.bucket(sec);
            b.left += 1;
            b.yanked += u32::from(yanked);
        }
        for ((_, map), v) in self.per_key.iter_mut().zip(values) {
            let s = Self::series(map, *v);
            if takes_back && s.takes_back_restore() {
                continue;
            }
            let b = s.bucket(sec);
            b.left += 1;
            b.yanked += u32::from(yanked);
        }
    }

    /// Move an arrival counted at `at_ms` from one value of key `key_index` to another (the
    /// message was re-read once its envelope appeared and its value changed).
    pub fn reattribute(
        &mut self,
        key_index: usize,
        at_ms: i64,
        from: Option<KeyValue>,
        to: Option<KeyValue>,
    ) {
        let Some((_, map)) = self.per_key.get_mut(key_index) else {
            return;
        };
        if from == to {
            return;
        }
        let sec = sec_of(at_ms);
        if let Some(s) = map.get_mut(&from) {
            s.unarrive(sec);
        }
        Self::series(map, to).bucket(sec).arrived += 1;
    }

    /// How long the watch has run at `now_ms`, in milliseconds.
    pub fn watched_ms(&self, now_ms: i64) -> i64 {
        (now_ms - self.started_ms).max(0)
    }

    /// Per-minute rates over `window` ending at `now_ms`. While the watch is younger than the
    /// window, the counts are divided by the time watched (at least one second).
    pub fn overall(&self, now_ms: i64, window: Window) -> Rate {
        self.rate_of(&self.overall, now_ms, window)
    }

    /// Message counts (in, out, yanked) in `window` ending at `now_ms`.
    pub fn counts(&self, now_ms: i64, window: Window) -> (u64, u64, u64) {
        let b = self.overall.sum(sec_of(now_ms), window.secs());
        (u64::from(b.arrived), u64::from(b.left), u64::from(b.yanked))
    }

    /// Messages moved into or back from the yank area since the watch started.
    pub fn yank_area_moves(&self) -> u64 {
        self.yank_area_moves
    }

    /// The messages counted over the minute ending at `now_ms`.
    pub fn last_minute(&self, now_ms: i64) -> LastMinute {
        let b = self.overall.sum(sec_of(now_ms), Window::OneMinute.secs());
        LastMinute {
            arrived: u64::from(b.arrived),
            left: u64::from(b.left),
            yanked: u64::from(b.yanked),
            restored: u64::from(b.restored),
        }
    }

    /// Message counts (in, out, yanked) of one value of key `key_index` in `window`.
    pub fn cluster_counts(
        &self,
        key_index: usize,
        value: Option<KeyValue>,
        now_ms: i64,
        window: Window,
    ) -> (u64, u64, u64) {
        let b = self
            .per_key
            .get(key_index)
            .and_then(|(_, m)| m.get(&value))
            .map(|s| s.sum(sec_of(now_ms), window.secs()))
            .unwrap_or_default();
        (u64::from(b.arrived), u64::from(b.left), u64::from(b.yanked))
    }

    fn rate_of(&self, s: &Series, now_ms: i64, window: Window) -> Rate {
        let b = s.sum(sec_of(now_ms), window.secs());
        let span_ms = self.watched_ms(now_ms).clamp(1000, window.secs() * 1000) as f64;
        let per_min = |n: u32| f64::from(n) * 60_000.0 / span_ms;
        Rate {
            in_per_min: per_min(b.arrived),
            out_per_min: per_min(b.left),
            yanked_per_min: per_min(b.yanked),
            restored_per_min: per_min(b.restored),
        }
    }

    /// The rate of one value of key `key_index` over `window`.
    pub fn cluster(
        &self,
        key_index: usize,
        value: Option<KeyValue>,
        now_ms: i64,
        window: Window,
    ) -> Rate {
        self.per_key
            .get(key_index)
            .and_then(|(_, m)| m.get(&value))
            .map(|s| self.rate_of(s, now_ms, window))
            .unwrap_or_default()
    }

    /// Up to `n` values of key `key_index` whose 1-minute `growth` is positive, fastest first,
    /// ties by the value's text as clusters are listed (`strings` holds the values' symbols).
    /// Messages without a value are not a cluster here.
    pub fn top_growing(
        &self,
        key_index: usize,
        now_ms: i64,
        n: usize,
        strings: &Interner,
        growth: Growth,
    ) -> Vec<ClusterGrowth> {
        let Some((_, map)) = self.per_key.get(key_index) else {
            return Vec::new();
        };
        let mut out: Vec<ClusterGrowth> = map
            .iter()
            .filter_map(|(v, s)| {
                let value = (*v)?;
                let rate = self.rate_of(s, now_ms, Window::OneMinute);
                (rate.growth(growth) > 0.0).then_some(ClusterGrowth { value, rate })
            })
            .collect();
        out.sort_by(|a, b| {
            b.rate
                .growth(growth)
                .total_cmp(&a.rate.growth(growth))
                .then_with(|| a.value.cmp_text(&b.value, strings))
        });
        out.truncate(n);
        out
    }

    /// Forget values with nothing in the last 15 minutes (call once per interval).
    pub fn prune(&mut self, now_ms: i64) {
        let now = sec_of(now_ms);
        for (_, map) in &mut self.per_key {
            map.retain(|_, s| !s.is_stale(now));
        }
    }

    /// How many values are tracked over all keys (for memory checks).
    pub fn tracked_values(&self) -> usize {
        self.per_key.iter().map(|(_, m)| m.len()).sum()
    }
}

#[cfg(test)]
mod tests;
