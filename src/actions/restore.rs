//! Plan a restore: yanked messages back to their queue paths (`id % split`), or an expire undone.
//!
//! A message is refused when any queue file of its id exists, of whatever subdirectory: nothing
//! is overwritten, and no envelope is put beside another message's mess. A yanked mess file
//! keeps its inode, so qmail-queue cannot reuse its id meanwhile; but a message yanked without
//! one (an info or envelope whose mess was gone) holds no inode, and a new message may have
//! that id now: its old envelope would send the new mail to the old recipients. Asked when
//! planning and again under the lock.

use std::collections::HashSet;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::area::{journal_dir, list_yanked, YankedMessage};
use super::error::ActionError;
use super::journal::{self, Batch, Direction, JOURNAL_SUFFIX};
use super::ledger::{held_by, one_message_files, owned_files};
use super::mover::yank_name;
use super::plan::{Plan, PlannedMessage, Refusal, RefusalReason};
use super::yank::{new_plan, PlanOptions};
use crate::queue::listing::open_dir;
use crate::queue::read::{read_at, Stop};
use crate::queue::{MessageId, Queue, Subdir};

/// Which yanked messages to restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreSelection {
    /// The messages of one batch (a yank is moved back; an expire gets its old mtimes back).
    Batch(String),
    /// Everything in the yank area, also what qmail-remove yanked.
    All,
    /// These ids (the TUI's messages without a batch), put back as an undo is.
    Ids(Vec<MessageId>),
    /// These ids, picked by the operator (by a query over the yank area, or `--ids`): their
    /// verdict that the mail is real, which the journal keeps (`restored:yes`,
    /// [`super::restored`]). An undo (a batch, everything) is no such verdict: the messages
    /// go back to where they were, spam included.
    Picked(Vec<MessageId>),
}

/// Load batch `id` from the yank area's journal.
pub fn load_batch(yank_dir: &Path, id: &str) -> Result<Batch, ActionError> {
    let dir = journal_dir(yank_dir);
    let safe = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let path = dir.join(format!("{id}{JOURNAL_SUFFIX}"));
    if !safe || !path.is_file() {
        return Err(ActionError::NoSuchBatch {
            batch: id.to_string(),
            dir,
        });
    }
    journal::load(&path)
}

/// How far a restore's planning has come, for a face that shows it: each message's queue
/// paths are checked and its recipients read, seconds at 45,000 messages.
#[derive(Debug, Default)]
pub struct PlanProgress {
    /// Messages to check (0 until the yank area and its journal are read).
    pub total: AtomicU64,
    /// Messages checked.
    pub done: AtomicU64,
}

/// Plan a restore from the yank area `yank_dir`.
pub fn plan_restore(
    queue: &Queue,
    yank_dir: &Path,
    selection: &RestoreSelection,
    query: &str,
) -> Result<Plan, ActionError> {
    plan_restore_counted(queue, yank_dir, selection, query, &PlanProgress::default())
}

/// [`plan_restore`], counting the messages checked in `progress`.
pub fn plan_restore_counted(
    queue: &Queue,
    yank_dir: &Path,
    selection: &RestoreSelection,
    query: &str,
    progress: &PlanProgress,
) -> Result<Plan, ActionError> {
    let popts = PlanOptions {
        yank_dir: yank_dir.to_path_buf(),
        query: query.to_string(),
    };
    let mut plan = new_plan(queue, Direction::Restore, &popts);
    let yanked = list_yanked(yank_dir)?;
    let all = super::area::batches(yank_dir)?;
    let wanted: Option<HashSet<MessageId>> = match selection {
        RestoreSelection::All => None,
        RestoreSelection::Ids(ids) => Some(ids.iter().copied().collect()),
        RestoreSelection::Picked(ids) => {
            // Only the default yank area's picks are read back (`plan` and `report` read no
            // other): a pick from another is put back as an undo would be.
            plan.verdict = super::area::same_dir(yank_dir, &super::default_yank_dir(queue.root()));
            Some(ids.iter().copied().collect())
        }
        RestoreSelection::Batch(id) => {
            let batch = load_batch(yank_dir, id)?;
            plan.undoes = Some(batch.header.batch.clone());
            if batch.header.direction == Direction::Expire {
                plan_unexpire(queue, &batch, &mut plan);
                return Ok(plan);
            }
            // A message this batch yanked, restored since and yanked again by a later batch is
            // that batch's (the ledger's rule, as `yanked` counts it): undoing this batch
            // must not put the later yank's spam back in the queue. The journals alone say so.
            // A batch that yanked nothing is refused by name, as `purge --batch` refuses it:
            // "nothing to restore" would read as if its messages had gone.
            let held = held_by(&all, &batch).ok_or_else(|| ActionError::NotAYank {
                batch: batch.header.batch.clone(),
                direction: batch.header.direction.name(),
                verb: "restore",
            })?;
            Some(held)
        }
    };
    // Under one id may lie two messages' files (see `owned_files`): only one is put back.
    let owned = owned_files(&all);
    // The yank area's files are read like the queue's: no link followed, no FIFO opened.
    let area = open_dir(yank_dir).ok();
    let chosen: Vec<&YankedMessage> = (yanked.iter())
        .filter(|y| wanted.as_ref().is_none_or(|w| w.contains(&y.id)))
        .collect();
    progress.total.store(chosen.len() as u64, Ordering::Relaxed);
    for y in chosen {
        progress.done.fetch_add(1, Ordering::Relaxed);
        match conflict(queue, y) {
            Some(path) => plan.refused.push(Refusal {
                id: y.id,
                reason: RefusalReason::TargetExists(path),
            }),
            None => {
                let files = one_message_files(y, &owned);
                plan.messages.push(PlannedMessage {
                    id: y.id,
                    recipients: area
                        .as_ref()
                        .map_or(0, |a| count_recipients(a, y.id, &files)),
                    bytes: if files.contains(&Subdir::Mess) {
                        y.bytes
                    } else {
                        0
                    },
                    files,
                    set_mtime: None,
                    old_mtime: None,
                    info_inode: None,
                    seen: None,
                })
            }
        }
    }
    Ok(plan)
}

/// The first queue file of `y`'s id that exists.
fn conflict(queue: &Queue, y: &YankedMessage) -> Option<PathBuf> {
    queue_file_of(|s| queue.path(s, y.id))
}

/// The first queue file of a message that exists, by its paths `queue_path`, in any
/// subdirectory (not only those a restore moves back): see the module's doc.
pub(super) fn queue_file_of(queue_path: impl Fn(Subdir) -> PathBuf) -> Option<PathBuf> {
    Subdir::ALL
        .into_iter()
        .map(queue_path)
        .find(|p| std::fs::symlink_metadata(p).is_ok())
}

/// Undo an expire: put back each message's recorded info mtime, but only on the info file the
/// expire changed. qmail-send bounces an expired message and deletes it, and the next message
/// queued may get the same inode number, so the same id: giving that new message the old birth
/// time would bounce real mail. Same inode and the mtime the expire set, or it is refused.
fn plan_unexpire(queue: &Queue, batch: &Batch, plan: &mut Plan) {
    use std::os::unix::fs::MetadataExt;
    for m in batch
        .messages
        .iter()
        .filter(|m| !batch.failed.contains(&m.id))
    {
        let (Some(old), Some(expired_to)) = (m.old_mtime, m.set_mtime) else {
            continue;
        };
        let refuse = |reason| Refusal { id: m.id, reason };
        let Ok(info) = std::fs::symlink_metadata(queue.path(Subdir::Info, m.id)) else {
            // qmail-send deleted the expired message; a mess file under its id now is a new
            // message, not preprocessed yet (no info), that got the same inode number.
            let reused = std::fs::symlink_metadata(queue.path(Subdir::Mess, m.id)).is_ok();
            plan.refused.push(refuse(if reused {
                RefusalReason::InfoReplaced
            } else {
                RefusalReason::NotInQueue
            }));
            continue;
        };
        if let Some(reason) = unexpire_refusal(&info, m.info_inode, expired_to) {
            plan.refused.push(refuse(reason));
            continue;
        }
        let bytes =
            std::fs::symlink_metadata(queue.path(Subdir::Mess, m.id)).map_or(0, |md| md.len());
        plan.messages.push(PlannedMessage {
            id: m.id,
            files: Vec::new(),
            recipients: 0,
            bytes,
            set_mtime: Some(old),
            old_mtime: Some(expired_to),
            info_inode: Some(info.ino()),
            seen: None,
        });
    }
}

/// Why the undo of an expire must leave the info file `info` alone: it is not the file the
/// expire changed (`inode`, when the journal recorded it), or no longer at the time the expire
/// set (`expired_to`). Asked when planning and again under the lock.
pub(super) fn unexpire_refusal(
    info: &std::fs::Metadata,
    inode: Option<u64>,
    expired_to: i64,
) -> Option<RefusalReason> {
    use std::os::unix::fs::MetadataExt;
    if inode.is_some_and(|ino| ino != info.ino()) || !info.is_file() {
        return Some(RefusalReason::InfoReplaced);
    }
    (info.mtime() != expired_to).then(|| RefusalReason::BirthTimeChanged {
        now: info.mtime(),
        expired_to,
    })
}

/// The most bytes of a yanked envelope read to count recipients.
const COUNT_CAP: usize = 16 * 1024 * 1024;

/// Recipients of a yanked message: records of local + remote, else the T records of todo/intd.
/// The files are read through the queue's one bounded no-follow read, below the yank area's
/// directory `area`: a link planted there is not followed, a FIFO does not hang the restore
/// (either counts no recipient).
fn count_recipients(area: &OwnedFd, id: MessageId, files: &[Subdir]) -> u32 {
    let read = |s: Subdir| -> Vec<u8> {
        let mut buf = Vec::new();
        if read_at(
            area.as_fd(),
            yank_name(id, s),
            COUNT_CAP,
            Stop::Cap,
            &mut buf,
        )
        .is_err()
        {
            buf.clear();
        }
        buf
    };
    let records = |b: &[u8], kinds: &[u8]| {
        b.split(|c| *c == 0)
            .filter(|r| r.first().is_some_and(|k| kinds.contains(k)))
            .count() as u32
    };
    if files.contains(&Subdir::Local) || files.contains(&Subdir::Remote) {
        let mut n = 0;
        for s in [Subdir::Local, Subdir::Remote]
            .into_iter()
            .filter(|s| files.contains(s))
        {
            n += records(&read(s), b"TD");
        }
        return n;
    }
    for s in [Subdir::Todo, Subdir::Intd] {
        if files.contains(&s) {
            return records(&read(s), b"T");
        }
    }
    0
}

/// The records of the first `n` messages `plan` would move back (those with files), read from
/// its yank area for them alone (headers and envelopes): what the operator is about to put back is mail, not
/// ids, in the CLI's dry run and the TUI's confirmation. Unreadable, none: the caller shows ids.
pub fn sample_records(
    plan: &Plan,
    n: usize,
    strings: &crate::queue::Interner,
) -> Vec<crate::queue::MessageRecord> {
    let sample: HashSet<MessageId> = (plan.messages.iter())
        .take(n)
        .filter(|m| !m.files.is_empty())
        .map(|m| m.id)
        .collect();
    if sample.is_empty() {
        return Vec::new();
    }
    crate::queue::scan::scan_yank_area_where(&plan.yank_dir, strings, |id| sample.contains(&id))
        .unwrap_or_default()
}
