//! Live watching for the TUI: `watch::spawn` on the grouping key, its updates forwarded onto the
//! UI's one event channel.
//!
//! The watcher keeps per-cluster rates for the key it was started with (and origin-ip), so when
//! the grouping key changes the worker starts a new one for the new key (once the key has been
//! stable for a second, so cycling through keys does not start a watcher per key press). The
//! header's sparkline keeps its history in the UI state, so it continues across restarts.
//! [`watched`] is the pure half `update` calls with each update.

use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Duration;

use super::event::{Event, Report};
use super::state::{AppState, LiveRates};
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

/// Apply a watcher update to the state (called by `update`; no I/O): the header's figures, the
/// sparkline's history and the per-cluster rates of `key`.
pub fn watched(state: &mut AppState, key: ClusterKey, u: &WatchUpdate) {
    let w = &mut state.status.watch;
    w.queue_size = Some(u.queue_size);
    w.growth_per_min = Some(u.growth_per_min());
    w.restored_per_min = u.restored_per_min;
    w.young_secs = u.young_secs();
    w.mode = Some(u.mode);
    w.failed = None;
    if w.history.len() >= HISTORY_LEN {
        w.history.pop_front();
    }
    w.history.push_back(u.queue_size);
    let by_value = u
        .clusters
        .iter()
        .filter(|c| c.key == key)
        .map(|c| (c.text(), c.per_min()))
        .collect();
    state.clusters.live = Some(LiveRates { key, by_value });
}
