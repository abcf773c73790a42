//! Watcher: owns the notify handle and a thread that batches file events per tick, reads new
//! messages, and sends [`QueueDelta`]s; falls back to directory polling when events are lost.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use notify::{RecursiveMode, Watcher as _};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use super::delta::{Change, PollReason, QueueDelta, Seed, WatchError, WatchMode};
use super::events::{Classifier, Intake, IntakeSender};
use super::poll::{queue_dirs, Poller};
use super::tracker::{Flow, Plan, Tracker};
use crate::queue::scan::read_one;
use crate::queue::{scan, AuthSource, Interner, MessageId, Parts, Progress, Queue, ScanOptions};

/// Clean ticks after which a watcher that lost events trusts notify alone again.
pub const RESUME_AFTER_TICKS: u32 = 10;

/// A tick with more pending ids than this ends early, so a burst cannot grow memory unbounded.
pub const MAX_PENDING_IDS: usize = 50_000;

/// Batches with more reads than this read in parallel.
const PARALLEL_READS: usize = 32;

/// Network file systems (statfs f_type) where inotify sees only local changes.
const NETWORK_FS: [u64; 4] = [0x6969, 0x517B, 0xFF53_4D42, 0xFE53_4D42];

/// How to watch.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// How often events are batched into a delta.
    pub tick: Duration,
    /// Capacity of the intake between notify's thread and the watcher's; when full, events are
    /// dropped and the watcher rescans (the overflow path).
    pub intake_capacity: usize,
    /// The yank area (default `<queue>/yanked`).
    pub yank_area: Option<PathBuf>,
    /// Poll directory mtimes instead of using notify.
    pub force_polling: bool,
    /// Test hook: start with the intake not drained until [`Watcher::resume`], so a test can
    /// overflow it deterministically.
    pub start_paused: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            tick: Duration::from_millis(250),
            intake_capacity: 1 << 16,
            yank_area: None,
            force_polling: false,
            start_paused: false,
        }
    }
}

/// A running watcher: a thread sending [`QueueDelta`]s; stopped when dropped.
pub struct Watcher {
    deltas: Receiver<QueueDelta>,
    strings: Arc<Interner>,
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the watcher asks notify for: names that appear or go (create, delete, rename) and
/// envelope files closed after writing. Never opens, reads or writes: qmail-send's deliveries,
/// qtriage's own reads and an operator's `top` in another terminal open files by the hundred
/// thousand, and those events alone overflowed inotify's queue (16,384 by default), so the
/// watch fell back to polling on a queue where nothing arrived or left.
pub(crate) fn notify_config() -> notify::Config {
    use notify::EventKindMask as Kinds;
    notify::Config::default()
        .with_event_kinds(Kinds::CREATE | Kinds::REMOVE | Kinds::MODIFY_NAME | Kinds::ACCESS_CLOSE)
}

/// Unix milliseconds from the system clock (the watcher thread is the one place that reads it).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Watcher {
    /// Start watching `queue`; strings of new records are interned in `strings`.
    pub fn start(
        queue: Queue,
        strings: Arc<Interner>,
        opts: WatchOptions,
    ) -> Result<Watcher, WatchError> {
        Watcher::begin(queue, strings, None, opts)
    }

    /// Start watching `queue` from `seed` (a scan its caller holds) instead of scanning it:
    /// the first delta is a `Seeded` carrying the seed and what changed since; strings of new
    /// records are interned in the seed's interner.
    pub fn start_seeded(
        queue: Queue,
        seed: Seed,
        opts: WatchOptions,
    ) -> Result<Watcher, WatchError> {
        Watcher::begin(queue, Arc::clone(&seed.strings), Some(seed), opts)
    }

    fn begin(
        queue: Queue,
        strings: Arc<Interner>,
        seed: Option<Seed>,
        opts: WatchOptions,
    ) -> Result<Watcher, WatchError> {
        let (tx, deltas) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let paused = Arc::new(AtomicBool::new(opts.start_paused));
        let path = queue.root().to_path_buf();
        let state = Worker {
            yank_area: opts
                .yank_area
                .clone()
                .unwrap_or_else(|| queue.root().join("yanked")),
            queue,
            strings: Arc::clone(&strings),
            seed,
            opts,
            tx,
            stop: Arc::clone(&stop),
            paused: Arc::clone(&paused),
        };
        let thread = std::thread::Builder::new()
            .name("qtriage-watch".into())
            .spawn(move || state.run())
            .map_err(|source| WatchError::Thread { path, source })?;
        Ok(Watcher {
            deltas,
            strings,
            stop,
            paused,
            thread: Some(thread),
        })
    }

    /// The interner new records' strings go to.
    pub fn strings(&self) -> &Arc<Interner> {
        &self.strings
    }

    /// The deltas, in order: one `Reset` (`Seeded` when started from a seed), then a `Batch`
    /// per tick.
    pub fn deltas(&self) -> &Receiver<QueueDelta> {
        &self.deltas
    }

    /// Start draining the intake (after `start_paused`).
    pub fn resume(&self) {
        self.paused.store(false, Ordering::Release);
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }

    /// A flag that resumes the watcher when cleared (for a monitor that owns it elsewhere).
    pub fn pause_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.paused)
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

struct Worker {
    queue: Queue,
    yank_area: PathBuf,
    strings: Arc<Interner>,
    /// Start from these records instead of a scan (taken at the start).
    seed: Option<Seed>,
    opts: WatchOptions,
    tx: Sender<QueueDelta>,
    stop: Arc<AtomicBool>,
    paused: Arc<AtomicBool>,
}

/// What the watcher thread keeps between ticks.
struct LoopState {
    tracker: Tracker,
    poller: Poller,
    /// Ticks without lost events since the last loss.
    clean_ticks: u32,
    /// The yank area's mtime when it was last listed for the tracker (`None`: not yet, or no
    /// yank area).
    yank_area_mtime: Option<SystemTime>,
}

/// The notify side: the handle (dropped to stop it), the intake and the lost flag.
struct Events {
    handle: Option<notify::RecommendedWatcher>,
    intake: Option<Receiver<Intake>>,
    lost: Arc<AtomicBool>,
}

fn is_network_fs(root: &Path) -> bool {
    rustix::fs::statfs(root).is_ok_and(|s| NETWORK_FS.contains(&(s.f_type as u64)))
}

impl Worker {
    fn run(mut self) {
        let layout = self.queue.layout();
        let mut st = LoopState {
            tracker: Tracker::new(layout),
            poller: Poller::new(queue_dirs(self.queue.root(), layout)),
            clean_ticks: 0,
            yank_area_mtime: None,
        };
        // Watches and the mtime baseline come before the scan (or the listing that brings a
        // seed up to date), so nothing between is missed.
        let (mut events, mut mode) = self.start_events();
        let started = match self.seed.take() {
            Some(seed) => self.seeded_start(&mut st, seed, mode),
            None => {
                st.poller.baseline();
                self.initial_scan(&mut st.tracker, mode)
            }
        };
        if !started {
            return;
        }
        self.list_yank_area(&mut st);
        let mut next_tick = Instant::now() + self.opts.tick;
        while !self.stop.load(Ordering::Acquire) {
            if self.paused.load(Ordering::Acquire) {
                std::thread::park_timeout(self.opts.tick);
                continue;
            }
            self.drain(&mut events, &mut st.tracker, next_tick);
            if Instant::now() < next_tick && st.tracker.pending_len() < MAX_PENDING_IDS {
                continue;
            }
            next_tick = Instant::now() + self.opts.tick;
            mode = self.end_tick(&mut st, &events, mode);
            let (changes, passes) = self.finish_tick(&mut st.tracker);
            // With events the tracker follows the yank area itself (yanks, restores, purges);
            // only a watcher that lost them, or polls, needs the listing.
            if matches!(mode, WatchMode::Polling(_)) {
                self.list_yank_area(&mut st);
            }
            let batch = QueueDelta::Batch {
                at_ms: now_ms(),
                changes,
                passes,
                mode,
            };
            if self.tx.send(batch).is_err() {
                return;
            }
        }
        drop(events.handle.take());
    }

    /// Scan the whole queue once, seed the tracker and send the `Reset`; false to stop.
    fn initial_scan(&self, tracker: &mut Tracker, mode: WatchMode) -> bool {
        let opts = ScanOptions::default();
        let scanned = match scan(&self.queue, &self.strings, opts, &Progress::default()) {
            Ok(s) => s,
            Err(source) => {
                let path = self.queue.root().to_path_buf();
                let _ = self
                    .tx
                    .send(QueueDelta::Failed(WatchError::Scan { path, source }));
                return false;
            }
        };
        tracker.seed_all(scanned.records.iter().map(|r| (r.id, r.parts)));
        let reset = QueueDelta::Reset {
            at_ms: now_ms(),
            records: scanned.records,
            mode,
        };
        self.tx.send(reset).is_ok()
    }

    /// Start from `seed` instead of a scan: take its messages' files, list every directory
    /// (which sets the mtime baseline), read the messages that arrived or changed since and
    /// those the logs attributed (the watcher's own reads never are), and send the `Seeded`;
    /// false to stop. Nothing the seed describes is read again.
    fn seeded_start(&self, st: &mut LoopState, seed: Seed, mode: WatchMode) -> bool {
        let mut logged = FxHashSet::default();
        let records = seed.records();
        st.tracker.seed_all(records.iter().map(|r| (r.id, r.parts)));
        for r in records
            .iter()
            .filter(|r| r.origin.auth_source == AuthSource::Log)
        {
            logged.insert(r.id);
        }
        st.poller.mark_all_dirty();
        st.poller.poll(&mut st.tracker, now_ms() / 1000);
        // A poll sees no passes (only what its listings hold).
        let (mut changes, _) = self.finish_tick(&mut st.tracker);
        for c in changes.iter().filter(|c| c.record.is_some()) {
            logged.remove(&c.id);
        }
        // The rest of them are read again below, as they are now (those gone stay gone).
        changes.retain(|c| !(logged.contains(&c.id) && st.tracker.get(c.id).is_some()));
        let again: Vec<(MessageId, Parts)> = logged
            .into_iter()
            .filter_map(|id| st.tracker.get(id).map(|t| (id, t.parts)))
            .collect();
        let reread = |&(id, parts): &(MessageId, Parts)| Change {
            id,
            parts,
            flow: Flow::Stayed,
            record: read_one(&self.queue, &self.strings, id).ok(),
        };
        changes.extend(again.par_iter().map(reread).collect::<Vec<_>>());
        for c in changes.iter().filter(|c| c.record.is_some()) {
            let enveloped = c.record.as_ref().is_some_and(|r| r.sender.is_some());
            st.tracker.mark_read(c.id, enveloped);
        }
        changes.sort_unstable_by_key(|c| c.id);
        let seeded = QueueDelta::Seeded {
            at_ms: now_ms(),
            seed,
            changes,
            mode,
        };
        self.tx.send(seeded).is_ok()
    }

    /// Handle lost events and polling at the end of a tick; returns the mode from now on.
    fn end_tick(&self, st: &mut LoopState, events: &Events, mut mode: WatchMode) -> WatchMode {
        if events.lost.swap(false, Ordering::AcqRel) {
            // Whatever is still queued is older than the rescan about to happen.
            if let Some(rx) = &events.intake {
                while rx.try_recv().is_ok() {}
            }
            st.tracker.clear_pending();
            st.poller.mark_all_dirty();
            mode = WatchMode::Polling(PollReason::EventsLost);
            st.clean_ticks = 0;
        }
        if let WatchMode::Polling(reason) = mode {
            st.poller.poll(&mut st.tracker, now_ms() / 1000);
            if reason == PollReason::EventsLost {
                st.clean_ticks += 1;
                if st.clean_ticks > RESUME_AFTER_TICKS {
                    mode = WatchMode::Notify;
                }
            }
        }
        mode
    }

    /// Set up notify on every message directory, or say why the watcher must poll.
    fn start_events(&self) -> (Events, WatchMode) {
        let lost = Arc::new(AtomicBool::new(false));
        let none = |reason| {
            (
                Events {
                    handle: None,
                    intake: None,
                    lost: Arc::clone(&lost),
                },
                WatchMode::Polling(reason),
            )
        };
        if self.opts.force_polling {
            return none(PollReason::Requested);
        }
        if is_network_fs(self.queue.root()) {
            return none(PollReason::NetworkFilesystem);
        }
        let classifier = Classifier::new(self.queue.root(), &self.yank_area, self.queue.layout());
        let (sender, rx) = IntakeSender::new(
            classifier,
            self.opts.intake_capacity.max(1),
            Arc::clone(&lost),
        );
        let Ok(mut handle) = notify::RecommendedWatcher::new(sender, notify_config()) else {
            return none(PollReason::NotifyUnavailable);
        };
        let mut dirs: Vec<PathBuf> = queue_dirs(self.queue.root(), self.queue.layout())
            .into_iter()
            .map(|d| d.path)
            .collect();
        // The queue root, to see the yank area being created; then the yank area if it exists.
        dirs.push(self.queue.root().to_path_buf());
        if self.yank_area.is_dir() {
            dirs.push(self.yank_area.clone());
        }
        for d in dirs {
            match handle.watch(&d, RecursiveMode::NonRecursive) {
                Ok(()) => {}
                Err(e) if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) => {
                    return none(PollReason::WatchLimit)
                }
                // A missing directory: the scan reports it; nothing to watch there.
                Err(_) => {}
            }
        }
        (
            Events {
                handle: Some(handle),
                intake: Some(rx),
                lost,
            },
            WatchMode::Notify,
        )
    }

    /// Move intake items into the tracker until `deadline`.
    fn drain(&self, events: &mut Events, tracker: &mut Tracker, deadline: Instant) {
        let Some(rx) = &events.intake else {
            std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()));
            return;
        };
        let mut yank_area_created = false;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            let item = match rx.try_recv() {
                Ok(item) => item,
                Err(_) if wait.is_zero() => break,
                Err(_) => match rx.recv_timeout(wait) {
                    Ok(item) => item,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        events.lost.store(true, Ordering::Release);
                        break;
                    }
                },
            };
            match item {
                Intake::File(e) => tracker.note(e),
                Intake::Written(id) => tracker.touch(id),
                Intake::YankAreaCreated => yank_area_created = true,
                Intake::WatchLimit => events.lost.store(true, Ordering::Release),
            }
            if tracker.pending_len() >= MAX_PENDING_IDS {
                break;
            }
        }
        if yank_area_created {
            // Unwatched, its restores' events never come: as lost events, the yank area's
            // listing then tells them (style53: the error was dropped).
            let watched = (events.handle.as_mut())
                .map(|h| h.watch(&self.yank_area, RecursiveMode::NonRecursive));
            if matches!(watched, Some(Err(_))) {
                events.lost.store(true, Ordering::Release);
            }
        }
    }

    /// Give the tracker a new listing of the yank area when it changed since the last one (at
    /// the start, and after a polling tick's restores were decided, so that they were still
    /// listed): restores whose events were lost are told from arrivals by it.
    fn list_yank_area(&self, st: &mut LoopState) {
        let mtime = std::fs::symlink_metadata(&self.yank_area)
            .and_then(|m| m.modified())
            .ok();
        if mtime == st.yank_area_mtime {
            return;
        }
        st.yank_area_mtime = mtime;
        let mut listed = FxHashSet::default();
        // A missing or unreadable yank area lists nothing.
        let _ = crate::queue::listing::walk_dir(&self.yank_area, &mut |name, _| {
            if let Some(id) = name
                .strip_suffix(b".mess")
                .and_then(crate::queue::layout::parse_id)
            {
                listed.insert(id);
            }
        });
        let layout = self.queue.layout();
        let root = self.queue.root();
        let mut in_queue = |id: MessageId| {
            std::fs::symlink_metadata(root.join(layout.rel_path(crate::queue::Subdir::Mess, id)))
                .is_ok()
        };
        st.tracker.list_yank_area(listed, &mut in_queue);
    }

    /// Decide per id, read what must be read, and build the changes; with the passes beyond
    /// them ([`Plan::passes`]).
    fn finish_tick(&self, tracker: &mut Tracker) -> (Vec<Change>, u32) {
        let has_yank_area = tracker.pending_len() > 0 && self.yank_area.is_dir();
        let mut in_yank_area = |id: MessageId| {
            has_yank_area
                && std::fs::symlink_metadata(self.yank_area.join(format!("{id}.mess"))).is_ok()
        };
        let plans: Vec<Plan> = tracker.finish(&mut in_yank_area);
        let passes = plans.iter().map(|p| p.passes).sum();
        let reads = plans.iter().filter(|p| p.read).count();
        let read = |p: &Plan| Change {
            id: p.id,
            parts: p.parts,
            flow: p.flow,
            record: if p.read {
                read_one(&self.queue, &self.strings, p.id).ok()
            } else {
                None
            },
        };
        let changes: Vec<Change> = if reads > PARALLEL_READS {
            plans.par_iter().map(read).collect()
        } else {
            plans.iter().map(read).collect()
        };
        for (c, p) in changes.iter().zip(&plans) {
            if p.read {
                tracker.mark_read(c.id, c.record.as_ref().is_some_and(|r| r.sender.is_some()));
            }
        }
        (changes, passes)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use notify::event::{AccessKind, AccessMode, EventKind};

    use super::*;

    /// Reading a file in a watched directory is no event at all; creating and writing one is.
    /// inotify delivers in order, so once the marker's close is seen, every event the reads
    /// could have made has been delivered before it.
    #[test]
    fn reads_make_no_event_only_names_and_finished_writes_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let read_me = dir.path().join("read-me");
        std::fs::write(&read_me, b"x").expect("write");
        let (tx, rx) = mpsc::channel();
        let mut w = notify::RecommendedWatcher::new(tx, notify_config()).expect("watcher");
        w.watch(dir.path(), RecursiveMode::NonRecursive)
            .expect("watch");
        for _ in 0..100 {
            std::fs::read(&read_me).expect("read");
        }
        let marker = dir.path().join("marker");
        std::fs::write(&marker, b"y").expect("write the marker");
        let mut seen = Vec::new();
        loop {
            let e = rx
                .recv_timeout(Duration::from_secs(10))
                .expect("the marker's events within 10 s")
                .expect("no watch error");
            let closed = e.kind == EventKind::Access(AccessKind::Close(AccessMode::Write));
            let done = closed && e.paths.contains(&marker);
            seen.push(e);
            if done {
                break;
            }
        }
        assert!(
            seen.iter().all(|e| !e.paths.contains(&read_me)),
            "{seen:#?}"
        );
        assert!(
            seen.iter()
                .any(|e| e.kind.is_create() && e.paths.contains(&marker)),
            "{seen:#?}"
        );
    }
}
