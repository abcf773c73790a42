//! The fallback when file events are lost or unavailable: compare directory mtimes, and re-list
//! only the directories that changed, turning the difference into the same file events notify
//! would have reported.
//!
//! A directory whose mtime is within [`RACY_SECS`] of now is listed again at the next poll too:
//! file systems with coarse timestamps can change a directory twice within one mtime value, and
//! the second change would otherwise go unseen (git's "racy" index entries, same cure).

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::events::{FileEvent, Part};
use super::tracker::Tracker;
use crate::queue::listing::list;
use crate::queue::{Layout, Subdir};

/// A directory modified this recently (seconds) is listed again at the next poll.
pub const RACY_SECS: i64 = 2;

/// The queue directories whose entries are message files.
const WATCHED: [Subdir; 7] = [
    Subdir::Mess,
    Subdir::Info,
    Subdir::Local,
    Subdir::Remote,
    Subdir::Todo,
    Subdir::Intd,
    Subdir::Bounce,
];

/// One directory and what was last seen of it.
#[derive(Debug, Clone)]
pub struct PolledDir {
    /// The queue subdirectory.
    pub subdir: Subdir,
    /// Its split bucket, for split directories.
    pub bucket: Option<u32>,
    /// Its path.
    pub path: PathBuf,
    mtime: Option<(i64, i64)>,
    dirty: bool,
}

/// Every message directory of a queue (what the notify watcher watches, too).
pub fn queue_dirs(root: &std::path::Path, layout: Layout) -> Vec<PolledDir> {
    let mut out = Vec::new();
    for subdir in WATCHED {
        let base = root.join(subdir.name());
        if layout.is_split(subdir) {
            for n in 0..layout.split {
                out.push(PolledDir::new(subdir, Some(n), base.join(n.to_string())));
            }
        } else {
            out.push(PolledDir::new(subdir, None, base));
        }
    }
    out
}

impl PolledDir {
    fn new(subdir: Subdir, bucket: Option<u32>, path: PathBuf) -> PolledDir {
        PolledDir {
            subdir,
            bucket,
            path,
            mtime: None,
            dirty: true,
        }
    }

    fn stat(&self) -> Option<(i64, i64)> {
        std::fs::symlink_metadata(&self.path)
            .ok()
            .map(|m| (m.mtime(), m.mtime_nsec()))
    }
}

/// Directory-mtime poller.
#[derive(Debug)]
pub struct Poller {
    dirs: Vec<PolledDir>,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Directories whose mtime was checked.
    pub checked: usize,
    /// Directories listed again.
    pub listed: usize,
    /// Events produced.
    pub events: usize,
}

impl Poller {
    /// A poller over `dirs`, every one dirty (listed at the first poll).
    pub fn new(dirs: Vec<PolledDir>) -> Poller {
        Poller { dirs }
    }

    /// Remember the current mtimes without listing: call before the initial scan, so that a
    /// change during the scan makes its directory differ at the first poll.
    pub fn baseline(&mut self) {
        for d in &mut self.dirs {
            d.mtime = d.stat();
            d.dirty = false;
        }
    }

    /// Everything must be listed at the next poll (events were lost).
    pub fn mark_all_dirty(&mut self) {
        self.dirs.iter_mut().for_each(|d| d.dirty = true);
    }

    /// Check every directory; list the changed ones and feed the differences from `tracker`'s
    /// view to `tracker` as events. `now` is unix seconds.
    pub fn poll(&mut self, tracker: &mut Tracker, now: i64) -> PollStats {
        let mut stats = PollStats::default();
        for d in &mut self.dirs {
            stats.checked += 1;
            let mtime = d.stat();
            let racy = d.mtime.is_some_and(|(s, _)| s >= now - RACY_SECS);
            if !(d.dirty || racy || mtime != d.mtime) {
                continue;
            }
            d.mtime = mtime;
            d.dirty = false;
            stats.listed += 1;
            // A directory that cannot be listed holds nothing we can see.
            let listed: Vec<_> = list(&d.path).map(|l| l.entries).unwrap_or_default();
            let mut known = tracker.ids_with(d.subdir, d.bucket);
            let part = Part::Queue(d.subdir);
            for e in listed {
                // A file in the wrong split directory is invisible to qmail; ignore it here too.
                if d.bucket.is_some_and(|b| b != tracker.layout().bucket(e.id)) {
                    continue;
                }
                if !known.remove(&e.id) {
                    tracker.note(FileEvent {
                        id: e.id,
                        part,
                        appeared: true,
                    });
                    stats.events += 1;
                }
            }
            for id in known {
                tracker.note(FileEvent {
                    id,
                    part,
                    appeared: false,
                });
                stats.events += 1;
            }
        }
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{FixtureState, MessageSpec, QueueBuilder};
    use crate::watch::tracker::Flow;

    #[test]
    fn a_poll_finds_what_changed_and_only_lists_changed_dirs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = Layout {
            split: 5,
            big_todo: false,
        };
        let q = QueueBuilder::new(dir.path())
            .split(5)
            .create()
            .expect("queue");
        let spec = MessageSpec::new()
            .state(FixtureState::Queued)
            .remote("x@y.example");
        let a = q.add(&spec).expect("add");
        let mut t = Tracker::new(layout);
        let mut p = Poller::new(queue_dirs(dir.path(), layout));
        // First poll: everything dirty, `a` found.
        let s = p.poll(&mut t, 0);
        assert_eq!(s.listed, 5 * 4 + 3);
        let plans = t.finish(&mut |_| false);
        assert_eq!(plans.len(), 1);
        assert_eq!((plans[0].id, plans[0].flow), (a, Flow::Arrived));
        // Every directory dated 2001: a change below now moves its mtime whatever the file
        // system's timestamp granularity (a change within one coarse clock tick of the first
        // poll's listing could leave the mtime as it was on a kernel without multigrain
        // timestamps). The dates moved, so one poll lists them all and finds nothing new.
        let far = i64::MAX / 2;
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        for d in queue_dirs(dir.path(), layout) {
            std::fs::File::open(&d.path)
                .and_then(|f| f.set_modified(old))
                .expect("date the directory");
        }
        let s = p.poll(&mut t, far);
        assert_eq!((s.listed, s.events), (5 * 4 + 3, 0));
        // Nothing changed (and `now` far from the mtimes): nothing listed.
        let s = p.poll(&mut t, far);
        assert_eq!((s.listed, s.events), (0, 0));
        // A second message arrives, then the first is removed the way qmail-clean does (in that
        // order, so the file system cannot hand the first one's inode to the second).
        let b = q.add(&spec).expect("add");
        for s in [Subdir::Mess, Subdir::Intd, Subdir::Todo] {
            q.remove_part(s, a).expect("remove");
        }
        let s = p.poll(&mut t, far);
        assert!(s.listed >= 3, "{s:?}");
        let mut flows: Vec<_> = t
            .finish(&mut |_| false)
            .into_iter()
            .map(|p| (p.id, p.flow))
            .collect();
        flows.sort_by_key(|f| f.0);
        let mut want = vec![(a, Flow::Left { yanked: false }), (b, Flow::Arrived)];
        want.sort_by_key(|f| f.0);
        assert_eq!(flows, want);
        assert_eq!(t.messages(), 1);
        assert!(t.get(b).is_some() && t.get(a).is_none());
    }
}
