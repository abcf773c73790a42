//! Move one message's files between the queue and the yank area, in the crash-safe order.
//!
//! **Order.** A yank renames `mess` first, then `todo`, `info`, `intd`, `local`, `remote`,
//! `bounce`; a restore renames in exactly the reverse order, so both directions pass through the
//! same set of partial states. Why this order (docs/architecture.md "Crash-safe order"; qmail facts
//! from docs/qmail-format.md §3), should qmail-send be started on a half-moved message before
//! `qtriage recover` ran:
//! - mess gone, envelope still queued: qmail-send cannot open the message, so every delivery
//!   attempt is a *temporary* failure (`Z... unable to open message`); it deletes nothing. From
//!   `todo` it may redo preprocessing, which only recreates info/local/remote from the same data.
//! - mess, todo and info gone: no info and no todo, so qmail-send never schedules the message,
//!   and its 36-hour cleanup only removes *mess* files that lack info and todo: there is none.
//! - The one order to avoid is any that leaves `mess` in the queue without `info` and `todo`:
//!   qmail-send's cleanup would unlink that mess after 36 h. With mess moved first on yank and
//!   last on restore, that state never occurs.
//! - Known narrow case: a *done* message (info only, no channel files) with mess already moved:
//!   qmail-send would finish it and unlink info. The message had no recipients left.
//!
//! **Atomicity.** Every rename uses `renameat2(RENAME_NOREPLACE)`, so nothing is ever
//! overwritten; each file is always in exactly one of its two places. If a file cannot be moved,
//! the message is moved back whole (a rollback in the other direction) and reported as failed.
//!
//! **Idempotence.** Moving toward a side only renames files still on the other side: a file
//! already there (ENOENT at the source, present at the destination) counts as moved. Running the
//! same message again, any number of times, after a crash at any point, ends in the same place.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::{RenameFlags, CWD};

use super::failpoint::Armed;
use crate::queue::{Layout, MessageId, Subdir};

/// The order a yank moves a message's files in (a restore uses the reverse).
pub const YANK_ORDER: [Subdir; 7] = [
    Subdir::Mess,
    Subdir::Todo,
    Subdir::Info,
    Subdir::Intd,
    Subdir::Local,
    Subdir::Remote,
    Subdir::Bounce,
];

/// The name qmail-remove gives a yanked file: `<id>.<subdir>` (docs/qmail-format.md §6).
pub fn yank_name(id: MessageId, subdir: Subdir) -> String {
    format!("{}.{}", id.0, subdir.name())
}

/// Which side files are moved toward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    /// Into the yank area.
    Yank,
    /// Back into the queue.
    Queue,
}

/// A message that could not be moved.
#[derive(Debug)]
pub struct MoveFailure {
    /// The file that failed.
    pub path: PathBuf,
    /// Why.
    pub error: io::Error,
    /// The rollback also failed: the message is split and its batch must stay open.
    pub is_split: bool,
}

/// Renames files of messages and remembers which directories it touched.
#[derive(Debug)]
pub(crate) struct Mover<'a> {
    pub queue_root: &'a Path,
    pub layout: Layout,
    pub yank_dir: &'a Path,
    pub fail: Armed,
    /// File operations so far in this batch (failpoint counter).
    pub ops: u64,
    /// Directories whose entries changed; fsync'd before the batch is marked done.
    pub touched: BTreeSet<PathBuf>,
}

/// rename(2) that never replaces an existing destination.
pub(crate) fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    match rustix::fs::renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // A filesystem without RENAME_NOREPLACE: check, then rename. We hold both locks, so no
        // other qtriage or qmail-send can create the destination in between.
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            if std::fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            std::fs::rename(from, to)
        }
        Err(e) => Err(e.into()),
    }
}

fn exists(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok()
}

/// Is `p` known to be missing (not merely unreadable)?
fn absent(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
}

impl<'a> Mover<'a> {
    /// The queue path of a message's file.
    pub fn queue_path(&self, subdir: Subdir, id: MessageId) -> PathBuf {
        self.queue_root.join(self.layout.rel_path(subdir, id))
    }

    /// The yank-area path of a message's file.
    pub fn yank_path(&self, subdir: Subdir, id: MessageId) -> PathBuf {
        self.yank_dir.join(yank_name(id, subdir))
    }

    fn ends(&self, subdir: Subdir, id: MessageId, toward: Toward) -> (PathBuf, PathBuf) {
        let (q, y) = (self.queue_path(subdir, id), self.yank_path(subdir, id));
        match toward {
            Toward::Yank => (q, y),
            Toward::Queue => (y, q),
        }
    }

    fn note(&mut self, from: &Path, to: &Path) {
        for p in [from, to] {
            if let Some(dir) = p.parent() {
                if !self.touched.contains(dir) {
                    self.touched.insert(dir.to_path_buf());
                }
            }
        }
    }

    /// Make message `id` whole on the `toward` side, moving the listed files still on the other
    /// side. `on_move` sees each rename done. On failure the message is moved back whole.
    pub fn move_message(
        &mut self,
        id: MessageId,
        files: &[Subdir],
        toward: Toward,
        on_move: &mut dyn FnMut(&Path, &Path),
    ) -> Result<u32, MoveFailure> {
        let mut moved = 0;
        for subdir in ordered(files, toward) {
            let (from, to) = self.ends(subdir, id, toward);
            match rename_noreplace(&from, &to) {
                Ok(()) => {
                    moved += 1;
                    self.ops += 1;
                    self.note(&from, &to);
                    on_move(&from, &to);
                    self.fail.after_rename(self.ops);
                }
                // Already moved (by an earlier run), or gone on both sides (a file qmail-send
                // removed while it ran under --force): nothing to do for this file.
                Err(e) if e.kind() == io::ErrorKind::NotFound && !exists(&from) => {}
                Err(error) => {
                    let is_split = self.roll_back(id, files, toward).is_err();
                    return Err(MoveFailure {
                        path: from,
                        error,
                        is_split,
                    });
                }
            }
        }
        Ok(moved)
    }

    /// Move the message whole to the side opposite `toward`.
    fn roll_back(&mut self, id: MessageId, files: &[Subdir], toward: Toward) -> io::Result<()> {
        let back = match toward {
            Toward::Yank => Toward::Queue,
            Toward::Queue => Toward::Yank,
        };
        for subdir in ordered(files, back) {
            let (from, to) = self.ends(subdir, id, back);
            match rename_noreplace(&from, &to) {
                Ok(()) => self.note(&from, &to),
                Err(e) if e.kind() == io::ErrorKind::NotFound && !exists(&from) => {}
                // Between two mounts rename(2) says EXDEV before it looks for the source: a
                // file that never moved needs no moving back (safety63: a bind-mounted area
                // reported every message split).
                Err(e) if e.kind() == io::ErrorKind::CrossesDevices && absent(&from) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Unlink a message's files from the yank area (purge), mess last so a half-purged message
    /// still lists as yanked.
    pub fn purge_message(&mut self, id: MessageId, files: &[Subdir]) -> Result<u32, MoveFailure> {
        let mut removed = 0;
        for subdir in ordered(files, Toward::Queue) {
            let path = self.yank_path(subdir, id);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    removed += 1;
                    self.ops += 1;
                    self.note(&path, &path);
                    self.fail.after_rename(self.ops);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(MoveFailure {
                        path,
                        error,
                        is_split: false,
                    })
                }
            }
        }
        Ok(removed)
    }

    /// Set the info file's access and modification times (expire, and its undo).
    pub fn set_info_mtime(
        &mut self,
        id: MessageId,
        mtime: i64,
        inode: Option<u64>,
    ) -> Result<(), MoveFailure> {
        use std::os::unix::fs::MetadataExt;
        let path = self.queue_path(Subdir::Info, id);
        // Recovery re-times what a journal recorded; if the id now names another message, leave it.
        if let Some(ino) = inode {
            let now = std::fs::symlink_metadata(&path).map(|md| md.ino());
            if now.as_ref().ok() != Some(&ino) {
                return Err(MoveFailure {
                    error: now.err().unwrap_or_else(|| {
                        std::io::Error::other("the info file is not the one journaled (id reused)")
                    }),
                    path,
                    is_split: false,
                });
            }
        }
        let t = rustix::fs::Timespec {
            tv_sec: mtime,
            tv_nsec: 0,
        };
        let times = rustix::fs::Timestamps {
            last_access: t,
            last_modification: t,
        };
        let flags = rustix::fs::AtFlags::SYMLINK_NOFOLLOW;
        rustix::fs::utimensat(CWD, &path, &times, flags).map_err(|e| MoveFailure {
            path,
            error: e.into(),
            is_split: false,
        })?;
        self.ops += 1;
        self.fail.after_rename(self.ops);
        Ok(())
    }
}

/// `files` in the order a move toward `toward` must take them.
fn ordered(files: &[Subdir], toward: Toward) -> Vec<Subdir> {
    let mut v: Vec<Subdir> = YANK_ORDER
        .into_iter()
        .filter(|s| files.contains(s))
        .collect();
    if toward == Toward::Queue {
        v.reverse();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_is_the_reverse_of_yank() {
        let files = [Subdir::Info, Subdir::Mess, Subdir::Remote, Subdir::Todo];
        let y = ordered(&files, Toward::Yank);
        let q = ordered(&files, Toward::Queue);
        assert_eq!(
            y,
            [Subdir::Mess, Subdir::Todo, Subdir::Info, Subdir::Remote]
        );
        assert_eq!(
            q,
            [Subdir::Remote, Subdir::Info, Subdir::Todo, Subdir::Mess]
        );
    }

    /// A yank into another mount (a bind mount of the queue's filesystem) fails at its first
    /// rename; nothing moved, so the message is whole where it was, not split.
    #[test]
    fn a_move_between_mounts_fails_whole_not_split() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (queue, area, view) = (
            dir.path().join("q"),
            dir.path().join("a"),
            dir.path().join("v"),
        );
        let layout = Layout {
            split: 1,
            big_todo: false,
        };
        let id = MessageId(7);
        for s in [Subdir::Mess, Subdir::Todo] {
            let p = queue.join(layout.rel_path(s, id));
            std::fs::create_dir_all(p.parent().expect("dir")).expect("queue dir");
            std::fs::write(&p, "x").expect("queue file");
        }
        for d in [&area, &view] {
            std::fs::create_dir(d).expect("area");
        }
        let mounted = std::process::Command::new("mount")
            .arg("--bind")
            .args([&area, &view])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            println!("skipped: mount --bind is not permitted here");
            return;
        }
        let mut mover = Mover {
            queue_root: &queue,
            layout,
            yank_dir: &view,
            fail: Armed::none(),
            ops: 0,
            touched: BTreeSet::new(),
        };
        let moved = mover.move_message(
            id,
            &[Subdir::Mess, Subdir::Todo],
            Toward::Yank,
            &mut |_, _| {},
        );
        let _ = std::process::Command::new("umount").arg(&view).status();
        let failure = moved.expect_err("EXDEV");
        assert_eq!(failure.error.kind(), io::ErrorKind::CrossesDevices);
        assert!(!failure.is_split, "nothing moved: whole in the queue");
        assert!(queue.join(layout.rel_path(Subdir::Mess, id)).is_file());
    }

    #[test]
    fn noreplace_refuses_to_overwrite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "a").expect("write");
        std::fs::write(&b, "b").expect("write");
        let err = rename_noreplace(&a, &b).expect_err("exists");
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&b).expect("read"), b"b");
    }
}
