//! The TUI's one adapter to the queue-changing actions: yank, restore, and the qmail-send lock.
//!
//! INTERIM ADAPTER. The journaled actions (`crate::actions`: Plan, journal, crash-safe yank and
//! restore) are built on another branch; when they land, the integrator points the functions
//! below at them and nothing else in `tui/` changes. Until then this module does the minimal,
//! correct thing qmail-remove does: `rename(2)` every file of a message into
//! `<queue>/yanked/<id>.<subdir>` and back, refusing to overwrite anything (`RENAME_NOREPLACE`),
//! with no journal. A crash mid-message can leave a message split between the queue and the yank
//! area; the names make it recoverable by hand, and the real actions module fixes it.

use std::fs::OpenOptions;
use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, RenameFlags, CWD};

use crate::queue::{MessageId, Queue, Subdir};

/// The yank directory below the queue (qmail-remove's default name).
pub const YANK_DIR: &str = "yanked";
/// The most entries looked at in the yank directory (bounds the listing loop).
pub const MAX_YANKED_ENTRIES: usize = 10_000_000;

/// Yank order: info first so qmail-send can no longer discover the message, mess last so the
/// message stays readable until the envelope is gone (docs/qmail-format.md §3).
const YANK_ORDER: [Subdir; 7] = [
    Subdir::Info,
    Subdir::Todo,
    Subdir::Intd,
    Subdir::Local,
    Subdir::Remote,
    Subdir::Bounce,
    Subdir::Mess,
];
/// Restore order: the reverse, so info (what qmail-send scans) comes back last.
const RESTORE_ORDER: [Subdir; 7] = [
    Subdir::Mess,
    Subdir::Bounce,
    Subdir::Remote,
    Subdir::Local,
    Subdir::Intd,
    Subdir::Todo,
    Subdir::Info,
];

/// Why an action could not be done, naming the path and message where there is one.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// qmail-send holds lock/sendmutex and the action was not forced.
    #[error("qmail-send is running ({path} is locked); stop it or force")]
    SendRunning {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be opened or locked for another reason.
    #[error("{path}: cannot check the qmail-send lock: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Moving one of a message's files failed.
    #[error("message #{id}: {from} -> {to}: {source}")]
    Move {
        /// The message.
        id: MessageId,
        /// Where the file was.
        from: PathBuf,
        /// Where it was going.
        to: PathBuf,
        /// The underlying error (EEXIST when the target is taken).
        #[source]
        source: io::Error,
    },
    /// The yank directory could not be created or listed.
    #[error("{path}: {source}")]
    YankDir {
        /// The yank directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

/// One message an action is about: its id and the mess size seen at scan time, so a message
/// whose id was reused by a new message since the scan is skipped, not moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The message id.
    pub id: MessageId,
    /// Size of its mess file when planned (`None`: do not check, e.g. a restore).
    pub size: Option<u64>,
}

/// What an action did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moved {
    /// Messages moved completely.
    pub done: Vec<MessageId>,
    /// Messages left alone, with the reason (changed since the scan, nothing to move, ...).
    pub skipped: Vec<(MessageId, String)>,
}

/// Is qmail-send running? Takes a non-blocking exclusive flock on `lock/sendmutex` and releases
/// it at once (qmail-send holds that lock for its whole life). A missing lock file means no
/// qmail-send has ever run on this queue.
pub fn is_send_running(queue: &Queue) -> Result<bool, OpsError> {
    let path = queue.root().join("lock/sendmutex");
    let file = match OpenOptions::new().write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(OpsError::Lock { path, source }),
    };
    match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(false),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(true),
        Err(e) => Err(OpsError::Lock {
            path,
            source: e.into(),
        }),
    }
}

/// The yank-area path of one of a message's files: `<queue>/yanked/<id>.<subdir>`.
pub fn yanked_path(queue: &Queue, id: MessageId, subdir: Subdir) -> PathBuf {
    queue
        .root()
        .join(YANK_DIR)
        .join(format!("{id}.{}", subdir.name()))
}

fn refuse_if_running(queue: &Queue, force: bool) -> Result<(), OpsError> {
    if !force && is_send_running(queue)? {
        return Err(OpsError::SendRunning {
            path: queue.root().join("lock/sendmutex"),
        });
    }
    Ok(())
}

fn move_file(id: MessageId, from: &Path, to: &Path) -> Result<bool, OpsError> {
    match rustix::fs::renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::NOENT) => Ok(false),
        Err(e) => Err(OpsError::Move {
            id,
            from: from.to_path_buf(),
            to: to.to_path_buf(),
            source: e.into(),
        }),
    }
}

/// Move every file of each target into the yank area. Refuses while qmail-send runs unless
/// `force`; calls `progress` with the number of messages handled so far.
pub fn yank(
    queue: &Queue,
    targets: &[Target],
    force: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<Moved, OpsError> {
    refuse_if_running(queue, force)?;
    let dir = queue.root().join(YANK_DIR);
    std::fs::create_dir_all(&dir).map_err(|source| OpsError::YankDir { path: dir, source })?;
    let mut out = Moved::default();
    for (n, t) in targets.iter().enumerate() {
        let mess = queue.path(Subdir::Mess, t.id);
        let size = std::fs::symlink_metadata(&mess)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        if t.size.is_some() && size != t.size {
            out.skipped
                .push((t.id, "changed or gone since the scan".into()));
            progress(n + 1);
            continue;
        }
        let mut any = false;
        for subdir in YANK_ORDER {
            let to = yanked_path(queue, t.id, subdir);
            any |= move_file(t.id, &queue.path(subdir, t.id), &to)?;
        }
        if any {
            out.done.push(t.id);
        } else {
            out.skipped.push((t.id, "no files left to move".into()));
        }
        progress(n + 1);
    }
    Ok(out)
}

/// Move each target's files from the yank area back to their queue paths. Never overwrites a
/// file in the queue (an id reused meanwhile is reported, not clobbered).
pub fn restore(
    queue: &Queue,
    targets: &[Target],
    force: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<Moved, OpsError> {
    refuse_if_running(queue, force)?;
    let mut out = Moved::default();
    for (n, t) in targets.iter().enumerate() {
        if queue.path(Subdir::Mess, t.id).exists() {
            out.skipped
                .push((t.id, "id in use in the queue again".into()));
            progress(n + 1);
            continue;
        }
        let mut any = false;
        for subdir in RESTORE_ORDER {
            let from = yanked_path(queue, t.id, subdir);
            any |= move_file(t.id, &from, &queue.path(subdir, t.id))?;
        }
        if any {
            out.done.push(t.id);
        } else {
            out.skipped.push((t.id, "not in the yank area".into()));
        }
        progress(n + 1);
    }
    Ok(out)
}

/// The message ids with at least one file in the yank area, ascending.
pub fn yanked_on_disk(queue: &Queue) -> Result<Vec<MessageId>, OpsError> {
    let dir = queue.root().join(YANK_DIR);
    let rd = match std::fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(OpsError::YankDir { path: dir, source }),
    };
    let mut ids = Vec::new();
    for entry in rd.take(MAX_YANKED_ENTRIES).flatten() {
        let name = entry.file_name();
        let Some((id, suffix)) = name.to_str().and_then(|n| n.split_once('.')) else {
            continue;
        };
        let id = crate::queue::layout::parse_id(id.as_bytes());
        if let (Some(id), Some(_)) = (id, Subdir::from_name(suffix)) {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{MessageSpec, QueueBuilder};
    use crate::queue::QueueOptions;

    fn queue_with(n: usize) -> (tempfile::TempDir, Queue, Vec<MessageId>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let fq = QueueBuilder::new(dir.path().join("q"))
            .split(7)
            .create()
            .expect("queue");
        let ids = (0..n)
            .map(|i| {
                fq.add(
                    &MessageSpec::new()
                        .remote(format!("r{i}@x.example"))
                        .bouncing("b\n"),
                )
            })
            .collect::<io::Result<Vec<_>>>()
            .expect("add");
        let q = Queue::open(fq.root(), QueueOptions::default()).expect("open");
        (dir, q, ids)
    }

    #[test]
    fn yank_moves_every_file_and_restore_brings_them_back() {
        let (_d, q, ids) = queue_with(3);
        let t = [Target {
            id: ids[1],
            size: None,
        }];
        let moved = yank(&q, &t, false, &mut |_| {}).expect("yank");
        assert_eq!(moved.done, vec![ids[1]]);
        for s in [Subdir::Mess, Subdir::Info, Subdir::Remote, Subdir::Bounce] {
            assert!(!q.path(s, ids[1]).exists(), "{s:?} still in queue");
            assert!(yanked_path(&q, ids[1], s).exists(), "{s:?} not yanked");
        }
        assert!(q.path(Subdir::Mess, ids[0]).exists());
        assert_eq!(yanked_on_disk(&q).expect("list"), vec![ids[1]]);
        let back = restore(&q, &t, false, &mut |_| {}).expect("restore");
        assert_eq!(back.done, vec![ids[1]]);
        assert!(q.path(Subdir::Info, ids[1]).exists());
        assert!(yanked_on_disk(&q).expect("list").is_empty());
    }

    #[test]
    fn a_locked_sendmutex_refuses_unless_forced() {
        let (_d, q, ids) = queue_with(1);
        let lock = std::fs::File::options()
            .write(true)
            .open(q.root().join("lock/sendmutex"))
            .expect("open lock");
        rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive).expect("take lock");
        // flock locks belong to the open file description, so a second open conflicts.
        assert!(is_send_running(&q).expect("check"));
        let t = [Target {
            id: ids[0],
            size: None,
        }];
        assert!(matches!(
            yank(&q, &t, false, &mut |_| {}),
            Err(OpsError::SendRunning { .. })
        ));
        assert!(q.path(Subdir::Mess, ids[0]).exists());
        assert_eq!(
            yank(&q, &t, true, &mut |_| {}).expect("forced").done,
            vec![ids[0]]
        );
    }

    #[test]
    fn a_changed_message_is_skipped() {
        let (_d, q, ids) = queue_with(1);
        let t = [Target {
            id: ids[0],
            size: Some(1),
        }];
        let moved = yank(&q, &t, false, &mut |_| {}).expect("yank");
        assert!(moved.done.is_empty());
        assert_eq!(moved.skipped.len(), 1);
        assert!(q.path(Subdir::Mess, ids[0]).exists());
    }
}
