//! Live watching: follow the queue's file events, keep its records current, and measure who
//! makes it grow.
//!
//! # Pieces
//! - [`Watcher`] owns the notify (inotify) handle on every split directory of `mess/ info/
//!   local/ remote/`, on `todo/ intd/` (split too with big-todo), `bounce/`, the queue root and
//!   the yank area. A thread batches events per tick (coalesced per id), reads only the messages
//!   that arrived or whose envelope just appeared (`queue::scan::read_one`), and sends one
//!   [`QueueDelta`] per tick on a std mpsc channel. It never rescans the queue while events flow.
//!   Given a [`Seed`] (a scan its caller holds: the TUI's snapshot) it does not scan at all: it
//!   lists the directories once and reads only what the seed does not describe.
//! - When events are lost (inotify overflow, the watcher's own bounded intake full) or cannot be
//!   had (NFS/SMB, notify unavailable, watch limit), it polls directory mtimes and re-lists only
//!   the directories that changed; the mode ([`WatchMode`]) rides on every delta so faces can say
//!   so.
//! - [`QueueModel`] applies deltas: files and key values by id (records too, unless
//!   `without_records`, as a monitor's), queue and todo counts, and [`Rates`].
//! - [`Rates`] (pure, clock injected): in/out per minute over 1, 5 and 15 minutes, overall and
//!   per cluster value for the chosen key and origin-ip.
//!
//! # For the TUI
//! ```no_run
//! use qtriage::analysis::key::ClusterKey;
//! use qtriage::queue::{Queue, QueueOptions};
//! use qtriage::watch::{spawn, MonitorConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let queue = Queue::open("/var/qmail/queue", QueueOptions::default())?;
//! let config = MonitorConfig::new(ClusterKey::AuthUser, std::time::Duration::from_secs(1));
//! let (updates, _handle) = spawn(queue, config)?; // dropping the handle stops the watch
//! for update in updates {
//!     let u = update?; // a WatchError ends the watch
//!     // u.growth_per_min(): the header's growth figure
//!     // u.history: queue size per interval for a sparkline (oldest first)
//!     // u.clusters: (key, value bytes, rate); sanitize value before drawing it
//!     // u.mode: WatchMode::Notify, or Polling(reason) — show reason.describe()
//!     let _ = (u.growth_per_min(), &u.history, &u.clusters, u.mode);
//! }
//! # Ok(()) }
//! ```
//! Each [`WatchUpdate`] carries `queue_size`, `todo`, `in_per_min`, `out_per_min`,
//! `yanked_per_min`, `restored_per_min` (messages back from the yank area, never counted as in),
//! the three windows, `history` (at most [`HISTORY_LEN`] samples) and
//! `clusters` (the top growing values of each key, ranked by in minus out over the last minute,
//! or by in minus delivered and bounced with [`Growth::WithoutYanks`], as the TUI asks, which
//! also has each counted: [`MonitorConfig::count_queued`]).
//!
//! # Cost
//! Per event: a path parse and a hash-map update on notify's thread and the watcher's; per new
//! message: one `read_one`. Nothing per event walks the queue, so CPU and memory per event stay
//! flat as the queue grows; only the model's records grow with the queue itself. Polling after
//! lost events costs one `stat` per directory per tick plus a listing of each changed one.

pub mod delta;
pub mod events;
pub mod idmap;
pub mod model;
pub mod monitor;
pub mod poll;
pub mod rates;
pub mod tracker;
pub mod watcher;

pub use delta::{Change, PollReason, QueueDelta, Seed, WatchError, WatchMode};
pub use model::QueueModel;
pub use monitor::{
    spawn, ClusterRate, MonitorConfig, MonitorEvent, MonitorHandle, WatchUpdate, HISTORY_LEN,
};
pub use rates::{Growth, LastMinute, Rate, Rates, Window};
pub use tracker::Flow;
pub use watcher::{WatchOptions, Watcher};
