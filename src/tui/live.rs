//! Live watching for the TUI: `watch::spawn` on the grouping key, its updates forwarded onto the
//! UI's one event channel.
//!
//! The watcher keeps per-cluster rates for the key it was started with (and origin-ip), so when
//! the grouping key changes the worker starts a new one for the new key (once the key has been
//! stable for a second, so cycling through keys does not start a watcher per key press). The
//! header's sparkline keeps its history in the UI state, so it continues across restarts.
//! [`watched`] is the pure half `update` calls with each update.
//!
//! A value the watcher sees grow that no cluster of the snapshot has (an account that started
//! flooding after the scan) gets a row of its own, a [`FreshCluster`]: the pane is drawn from
//! the snapshot's clusters, so without one the operator would see the header grow and no row
//! say who. Its figures are the watcher's; the TUI attributes nothing itself.

use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use rustc_hash::{FxHashMap, FxHashSet};

use super::event::{Effect, Event, Report};
use super::lists;
use super::state::{AppState, LiveRates, WatchStatus};
use crate::analysis::key::ClusterKey;
use crate::analysis::Tables;
use crate::queue::Queue;
use crate::watch::{
    self, MonitorConfig, MonitorHandle, Seed, WatchError, WatchUpdate, HISTORY_LEN,
};

/// Time between the watcher's updates.
pub const LIVE_INTERVAL: Duration = Duration::from_secs(1);
/// Growing clusters reported per update (the clusters pane shows a rate for each of them).
pub const LIVE_CLUSTERS: usize = 1000;

/// A running watcher for one key; stopped when dropped.
pub struct Live {
    key: ClusterKey,
    /// Dropping it stops the monitor; the forwarding thread then ends with the monitor's channel.
    _handle: MonitorHandle,
}

impl Live {
    /// Watch `queue` with per-cluster rates for `key`, sending `Event::Worker(Report::Watch)` /
    /// `Event::Worker(Report::WatchFailed)` to `events`.
    /// `tables` are the snapshot's analysis' (accounts, sender patterns), so the rates are of
    /// the clusters shown; `seed` its records, so the watcher does not scan the queue again.
    pub fn start(
        queue: Queue,
        key: ClusterKey,
        tables: Option<Arc<Tables>>,
        seed: Option<Seed>,
        events: Sender<Event>,
    ) -> Result<Live, WatchError> {
        let path = queue.root().to_path_buf();
        let mut config = MonitorConfig::new(key, LIVE_INTERVAL);
        config.top = LIVE_CLUSTERS;
        config.tables = tables;
        config.seed = seed;
        // The TUI's figures leave yanks out (shown apart), so a flood whose queued messages
        // were yanked still ranks as growing; and its rows of values the scan lacks show
        // their count.
        config.growth = watch::Growth::WithoutYanks;
        config.count_queued = true;
        let (updates, handle) = watch::spawn(queue, config)?;
        std::thread::Builder::new()
            .name("qtriage-live".into())
            .spawn(move || {
                for update in updates {
                    let event = match update {
                        Ok(u) => Event::Worker(Report::Watch(key, Box::new(u))),
                        Err(e) => Event::Worker(Report::WatchFailed(e.to_string())),
                    };
                    if events.send(event).is_err() {
                        return;
                    }
                }
            })
            .map_err(|source| WatchError::Thread { path, source })?;
        Ok(Live {
            key,
            _handle: handle,
        })
    }

    /// The key it keeps per-cluster rates for.
    pub fn key(&self) -> ClusterKey {
        self.key
    }
}

/// A value of the watched key that no cluster of the snapshot has: mail that arrived after the
/// scan. Kept until the next scan (a flood that pauses for a minute drops out of the watcher's
/// growing values, but its messages are still in the queue).
#[derive(Debug, Clone, PartialEq)]
pub struct FreshCluster {
    /// The value's text (unsanitized; sanitize before drawing).
    pub value: String,
    /// Its growth per minute now (`None`: not growing at the last update).
    pub per_min: Option<f64>,
    /// Its messages in the queue, as the watcher last counted them (`None`: not counted yet).
    pub queued: Option<u64>,
}

/// Apply a watcher update to the state (called by `update`; no I/O): the header's figures, the
/// sparkline's history and the per-cluster rates of `key`, with the values the snapshot lacks.
/// Once the yank area has changed and settled (a yank from another shell), the effect that
/// lists it again: the header said `-1,000 yanked` beside `yanked 0` (newuser55).
pub fn watched(state: &mut AppState, key: ClusterKey, u: &WatchUpdate) -> Option<Effect> {
    let relist = yank_area_settled(&mut state.status.watch, u);
    watched_figures(state, key, u);
    relist.then_some(Effect::ListYankArea)
}

/// Whether the yank area has changed since it was last listed and stopped changing at `u`:
/// listed then once, not at every update of a long yank (a listing reads the whole area).
/// Judged by the watcher's running count of moves: the last minute's counts slide and net a
/// restore against a yank, and stayed equal across a yank a minute after another (reread55).
fn yank_area_settled(w: &mut WatchStatus, u: &WatchUpdate) -> bool {
    let now = u.yank_area_moves;
    let was = w.yank_area_moves.replace(now);
    // The first update's count is what the listing at start saw.
    let listed = *w.yank_area_listed.get_or_insert(now);
    let settled = was == Some(now) && now != listed;
    if settled {
        w.yank_area_listed = Some(now);
    }
    settled
}

fn watched_figures(state: &mut AppState, key: ClusterKey, u: &WatchUpdate) {
    let w = &mut state.status.watch;
    w.queue_size = Some(u.queue_size);
    // A yank is the operator's doing, not delivery: out of the growth, shown beside it.
    w.growth_per_min = Some(u.growth_without_yanks_per_min());
    w.yanked_per_min = u.yanked_per_min;
    w.restored_per_min = u.restored_per_min;
    w.young_secs = u.young_secs();
    w.last_minute = u.last_minute;
    let (arrived, delivered, _) = u.flow();
    w.arrived_delivered = (arrived, delivered);
    w.mode = Some(u.mode);
    w.failed = None;
    if w.history.len() >= HISTORY_LEN {
        w.history.pop_front();
    }
    w.history.push_back(u.queue_size);
    let ours = || u.clusters.iter().filter(|c| c.key == key);
    let by_value: FxHashMap<String, f64> = ours()
        .map(|c| (c.text(), c.per_min_without_yanks()))
        .collect();
    let queued: FxHashMap<String, u64> = ours()
        .filter_map(|c| c.queued.map(|n| (c.text(), n)))
        .collect();
    let generation = state.data.as_ref().map_or(0, |d| d.clustering.generation);
    let before: Vec<String> = state
        .fresh_clusters()
        .iter()
        .map(|f| f.value.clone())
        .collect();
    let (fresh, in_snapshot) = fresh_clusters(state, key, &by_value, &queued);
    let moved = fresh.iter().map(|f| &f.value).ne(before.iter());
    let keep = moved.then(|| lists::selected_value(state));
    state.clusters.live = Some(LiveRates {
        key,
        generation,
        by_value,
        fresh,
        in_snapshot,
    });
    // New rows sit above the snapshot's: keep the cursor on the cluster it was on, so `m`
    // never marks another than the one the operator looked at.
    if let Some(keep) = keep {
        lists::reselect_cluster(state, keep.clone());
        if lists::selected_value(state) != keep {
            lists::rebuild_rows(state);
        }
    }
}

/// The growing values of `key` that no cluster of the snapshot has, with those seen before on
/// the same snapshot, fastest first, each with its queued messages (`queued`, else as last
/// counted); and the growing values the snapshot has. Only a value not seen before costs a
/// pass over the snapshot's clusters.
fn fresh_clusters(
    state: &AppState,
    key: ClusterKey,
    by_value: &FxHashMap<String, f64>,
    queued: &FxHashMap<String, u64>,
) -> (Vec<FreshCluster>, FxHashSet<String>) {
    let Some(data) = state.data.as_ref().filter(|d| d.clustering.key == key) else {
        return Default::default();
    };
    let earlier = state.fresh_clusters();
    let mut known = state
        .clusters
        .live
        .as_ref()
        .filter(|_| state.live_is_current())
        .map(|l| l.in_snapshot.clone())
        .unwrap_or_default();
    let mut unseen: FxHashSet<&str> = by_value
        .keys()
        .map(String::as_str)
        .filter(|v| !known.contains(*v) && !earlier.iter().any(|f| f.value == *v))
        .collect();
    if !unseen.is_empty() {
        let strings = &data.snapshot.strings;
        for v in data.clustering.clusters.iter().filter_map(|c| c.value) {
            let text = v.text(strings);
            if unseen.remove(text.as_str()) {
                known.insert(text);
                if unseen.is_empty() {
                    break;
                }
            }
        }
    }
    let last = |v: &str| earlier.iter().find(|f| f.value == v).and_then(|f| f.queued);
    let mut fresh: Vec<FreshCluster> = earlier
        .iter()
        .map(|f| f.value.as_str())
        .chain(unseen)
        .map(|v| FreshCluster {
            value: v.to_string(),
            per_min: by_value.get(v).copied(),
            // Only growing values are counted: one that paused keeps its last count.
            queued: queued.get(v).copied().or_else(|| last(v)),
        })
        .collect();
    fresh.sort_by(|a, b| {
        let g = |f: &FreshCluster| f.per_min.unwrap_or(f64::NEG_INFINITY);
        g(b).total_cmp(&g(a)).then_with(|| a.value.cmp(&b.value))
    });
    (fresh, known)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;

    use super::*;
    use crate::tui::action::{update, Action};
    use crate::tui::keys::Command;
    use crate::tui::lists::ClusterRow;
    use crate::tui::testdata::{state, watch_update};
    use crate::tui::view::Theme;
    use crate::watch::{ClusterRate, Rate, WatchMode};

    fn screen(s: &AppState) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
        crate::tui::view::clusters::ClustersPane::new(s, Theme { colour: false })
            .render(buf.area, &mut buf);
        (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect()
    }

    /// A flood from an account that started after the scan (`mallory`) grew the header, but
    /// the pane drew only the snapshot's clusters, so no row said who: it gets one, at the
    /// top, with the watcher's growth, and marked new.
    #[test]
    fn a_value_the_snapshot_lacks_gets_a_row() {
        let mut s = state((80, 24), 30, 20, false);
        s.clusters.pos.selected = 1;
        let before = crate::tui::lists::selected_value(&s);
        let mut u = watch_update(60, WatchMode::Notify);
        u.clusters.push(ClusterRate {
            key: ClusterKey::AuthUser,
            value: Arc::from(&b"mallory"[..]),
            rate: Rate {
                in_per_min: 1950.0,
                ..Rate::default()
            },
            queued: Some(1_234),
        });
        watched(&mut s, ClusterKey::AuthUser, &u);
        let text = screen(&s);
        let row = text
            .lines()
            .find(|l| l.contains("mallory"))
            .unwrap_or_else(|| panic!("no row for mallory:\n{text}"));
        assert!(
            row.contains("new since the scan") && row.contains("+1,950"),
            "{row}"
        );
        // Its count where counts go, its growth in the live column (the row once read
        // `new +1,950`: no count at all).
        let cells: Vec<&str> = row.trim_matches(['│', ' ']).split_whitespace().collect();
        assert_eq!(cells[..2], ["1,234", "+1,950"], "{row}");
        assert!(matches!(s.cluster_row(1), Some(ClusterRow::Fresh(_))));
        // `test` is in the snapshot: a rate on its row, not a second row.
        let rows = |v: &str| {
            text.lines()
                .filter(|l| l.trim_end_matches(['│', ' ']).ends_with(v))
                .count()
        };
        assert_eq!(rows(" test"), 1, "{text}");
        assert!(text.contains(" 2 + 1 new "), "{text}");
        // The cursor stays on the cluster it was on, and the new row lists and marks nothing.
        assert_eq!(crate::tui::lists::selected_value(&s), before);
        s.clusters.pos.selected = 1;
        crate::tui::lists::rebuild_rows(&mut s);
        assert!(s.messages.rows.is_empty());
        update(&mut s, Action::Cmd(Command::MarkCluster));
        assert!(s.marks.ids.is_empty());
        // Not growing at the next update, it stays (its messages are still queued).
        watched(
            &mut s,
            ClusterKey::AuthUser,
            &watch_update(60, WatchMode::Notify),
        );
        assert!(screen(&s).contains("mallory (new since the scan)"));
    }

    /// A cluster whose queued messages were yanked while it still arrives: its `now/m` is its
    /// arrivals less its deliveries (600 - 100), not the yank (it read -700).
    #[test]
    fn a_yank_is_not_a_clusters_growth() {
        let mut s = state((80, 24), 30, 20, false);
        let mut u = watch_update(60, WatchMode::Notify);
        u.clusters[0].rate = Rate {
            in_per_min: 600.0,
            out_per_min: 1_300.0,
            yanked_per_min: 1_200.0,
            restored_per_min: 0.0,
        };
        watched(&mut s, ClusterKey::AuthUser, &u);
        let text = screen(&s);
        let row = (text.lines())
            .find(|l| l.trim_end_matches(['│', ' ']).ends_with(" test"))
            .unwrap_or_else(|| panic!("no row for test:\n{text}"));
        assert!(row.contains("+500"), "{row}");
    }

    /// Another shell yanks 1,000 messages over two updates: the yank area is listed again
    /// once, after the move has settled, not at every update while it runs; a yank a minute
    /// after another (the minute's count the same) and an undo the same.
    #[test]
    fn the_yank_area_is_listed_again_once_another_shells_yank_settles() {
        let mut s = state((120, 24), 30, 20, false);
        let mut u = watch_update(60, WatchMode::Notify);
        let mut at = |s: &mut AppState, moves: u64| {
            u.yank_area_moves = moves;
            watched(s, ClusterKey::AuthUser, &u)
        };
        assert_eq!(at(&mut s, 0), None);
        assert_eq!(at(&mut s, 400), None);
        assert_eq!(at(&mut s, 1_000), None);
        assert_eq!(at(&mut s, 1_000), Some(Effect::ListYankArea));
        assert_eq!(at(&mut s, 1_000), None);
        assert_eq!(at(&mut s, 1_400), None);
        assert_eq!(at(&mut s, 1_400), Some(Effect::ListYankArea));
        assert_eq!(at(&mut s, 1_700), None);
        assert_eq!(at(&mut s, 1_700), Some(Effect::ListYankArea));
    }
}
