//! Is qmail-send running? (`lock/sendmutex`), and qtriage's own locks held while it acts.
//!
//! qmail-send takes `flock(LOCK_EX|LOCK_NB)` on `lock/sendmutex` and refuses to start when it
//! fails (docs/qmail-format.md §3). So: if we cannot take it, qmail-send runs; if we can, it does
//! not, and as long as we hold it, it cannot start. qtriage keeps holding it for the whole action.
//! A second lock, `<yank>/.journal/lock`, serialises qtriage processes on one yank area, and a
//! third, on the queue directory itself, serialises every qtriage action on one queue whatever
//! its yank area; `--force` overrides neither.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rustix::fs::FlockOperation;

use super::error::{ActionError, Holder};

/// What `qtriage mta` reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MtaStatus {
    /// qmail-send (or whoever) holds lock/sendmutex.
    pub is_send_running: bool,
    /// The holder, when /proc shows it.
    pub holder: Option<Holder>,
}

/// A held exclusive flock; released when dropped (or when the process dies, even by SIGKILL).
#[derive(Debug)]
pub struct HeldLock {
    file: File,
    path: PathBuf,
}

impl HeldLock {
    /// The locked file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for HeldLock {
    /// Unlock explicitly rather than by closing: the lock belongs to the open file description,
    /// and a child that another thread is forking holds a copy of it until its exec, so a close
    /// alone can leave the lock held for a while after the action ended (the next action in this
    /// process is then refused). LOCK_UN releases it for every copy.
    fn drop(&mut self) {
        let _ = rustix::fs::flock(&self.file, FlockOperation::Unlock);
    }
}

/// The path of qmail-send's lock in `queue_root`.
pub fn sendmutex_path(queue_root: &Path) -> PathBuf {
    queue_root.join("lock").join("sendmutex")
}

/// Try to take an exclusive flock on `path` without blocking; `None` if someone holds it.
/// `create` makes the file if missing (never for sendmutex: that belongs to qmail).
fn try_flock(path: &Path, create: bool) -> Result<Option<HeldLock>, ActionError> {
    let file = OpenOptions::new()
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
        .map_err(|e| ActionError::io(path, e))?;
    match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(HeldLock {
            file,
            path: path.to_path_buf(),
        })),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        Err(e) => Err(ActionError::io(path, e.into())),
    }
}

/// Take qtriage's lock on the queue: a flock on the queue directory itself (nothing is created
/// in the queue, and qmail locks no directory). Two actions with different yank areas, under
/// `--force`, moved the same messages at once: each took the other's renames for its own, and
/// 11 messages were shredded between the two areas (safety62).
pub fn lock_queue(queue_root: &Path) -> Result<HeldLock, ActionError> {
    let file = File::open(queue_root).map_err(|e| ActionError::io(queue_root, e))?;
    match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(HeldLock {
            file,
            path: queue_root.to_path_buf(),
        }),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(ActionError::QueueLocked {
            queue: queue_root.to_path_buf(),
            holder: lock_holder(queue_root),
        }),
        Err(e) => Err(ActionError::io(queue_root, e.into())),
    }
}

/// Take qmail-send's lock so it cannot start; `None` while qmail-send runs.
pub fn try_lock_send(queue_root: &Path) -> Result<Option<HeldLock>, ActionError> {
    try_flock(&sendmutex_path(queue_root), false)
}

/// Take qtriage's own action lock in the journal directory (created if missing).
pub fn lock_actions(journal_dir: &Path) -> Result<HeldLock, ActionError> {
    let path = journal_dir.join("lock");
    try_flock(&path, true)?.ok_or(ActionError::ActionRunning { lock: path })
}

/// Does someone hold a flock on `path`? Never creates it: a missing or unopenable file is not
/// locked.
pub fn is_locked(path: &Path) -> bool {
    matches!(try_flock(path, false), Ok(None))
}

/// Report whether qmail-send runs: take the lock and release it at once.
pub fn mta_status(queue_root: &Path) -> Result<MtaStatus, ActionError> {
    let path = sendmutex_path(queue_root);
    match try_flock(&path, false)? {
        Some(_released_on_drop) => Ok(MtaStatus {
            is_send_running: false,
            holder: None,
        }),
        None => Ok(MtaStatus {
            is_send_running: true,
            holder: lock_holder(&path),
        }),
    }
}

/// The most /proc/locks lines read (a busy host has a few hundred).
const MAX_PROC_LOCKS_LINES: usize = 100_000;

/// Who holds a flock on `path`, from /proc/locks (`N: FLOCK ADVISORY WRITE PID MAJ:MIN:INO ..`,
/// major and minor in hex, inode in decimal).
pub fn lock_holder(path: &Path) -> Option<Holder> {
    let meta = std::fs::metadata(path).ok()?;
    let dev = meta.dev();
    let want = (
        u64::from(rustix::fs::major(dev)),
        u64::from(rustix::fs::minor(dev)),
        meta.ino(),
    );
    let text = std::fs::read_to_string("/proc/locks").ok()?;
    for line in text.lines().take(MAX_PROC_LOCKS_LINES) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // Waiters are shown as "N: -> FLOCK ..."; only holders interest us.
        if f.len() < 6 || f[1] != "FLOCK" || f[3] != "WRITE" {
            continue;
        }
        let mut id = f[5].split(':');
        let parsed = (
            id.next().and_then(|m| u64::from_str_radix(m, 16).ok()),
            id.next().and_then(|m| u64::from_str_radix(m, 16).ok()),
            id.next().and_then(|i| i.parse::<u64>().ok()),
        );
        if parsed == (Some(want.0), Some(want.1), Some(want.2)) {
            let pid: u32 = f[4].parse().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .ok()
                .map(|c| c.trim_end().to_string());
            return Some(Holder { pid, comm });
        }
    }
    None
}

/// Does a qtriage action (or recovery) hold the yank area's journal lock now? Its batch is then
/// unfinished because it is running, not because it was interrupted. Read from /proc/locks,
/// without taking the lock: a probe that took it for a moment made an action starting in that
/// moment refuse ("another qtriage action is running"), because `yanked` or `check` ran.
pub fn action_running(yank_dir: &Path) -> bool {
    lock_holder(&super::area::journal_dir(yank_dir).join("lock")).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_lock_is_seen_as_running_and_released_on_drop() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("lock")).expect("mkdir");
        File::create(sendmutex_path(dir.path())).expect("create");
        assert!(!mta_status(dir.path()).expect("status").is_send_running);
        let held = try_lock_send(dir.path()).expect("lock").expect("free");
        let status = mta_status(dir.path()).expect("status");
        assert!(status.is_send_running);
        let holder = status.holder.expect("/proc/locks shows our flock");
        assert_eq!(holder.pid, std::process::id());
        assert!(try_lock_send(dir.path()).expect("lock").is_none());
        drop(held);
        assert!(try_lock_send(dir.path()).expect("lock").is_some());
    }
}
