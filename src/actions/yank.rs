//! Plan a yank: the selected messages, all their files, into the yank area.

use std::path::{Path, PathBuf};

use super::journal::Direction;
use super::lock::mta_status;
use super::plan::{Plan, PlannedMessage, Refusal, RefusalReason, Seen};
use crate::queue::{
    Layout, MessageId, MessageRecord, MessageState, Parts, ProblemKind, Queue, Subdir,
};

/// Where to yank to and why.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// The yank area.
    pub yank_dir: PathBuf,
    /// The query text (recorded in the journal, shown by `qtriage yanked`).
    pub query: String,
}

/// An empty plan of `direction` on `queue`, noting whether qmail-send runs now.
pub(crate) fn new_plan(queue: &Queue, direction: Direction, opts: &PlanOptions) -> Plan {
    Plan {
        direction,
        queue_root: queue.root().to_path_buf(),
        layout: queue.layout(),
        yank_dir: opts.yank_dir.clone(),
        query: opts.query.clone(),
        undoes: None,
        verdict: false,
        messages: Vec::new(),
        refused: Vec::new(),
        mta: mta_status(queue.root()).ok(),
    }
}

/// Plan yanking these scanned messages (the files are re-listed when executing). A message
/// whose queueing is not finished ([`MessageState::is_queueing_unfinished`]) is refused, and so
/// is one with a file qmail did not write (a link, a FIFO...) or in the wrong split directory.
pub fn plan_yank<'r>(
    queue: &Queue,
    records: impl IntoIterator<Item = &'r MessageRecord>,
    opts: &PlanOptions,
) -> Plan {
    let mut plan = new_plan(queue, Direction::Yank, opts);
    for r in records {
        if MessageState::from_parts(r.parts).is_queueing_unfinished() {
            plan.refused.push(unfinished_refusal(r.id));
            continue;
        }
        let odd = r.problems.iter().find_map(|p| match p.kind {
            ProblemKind::Symlink | ProblemKind::NotRegularFile => {
                Some(RefusalReason::NotAQueueFile(p.part))
            }
            // Misfiled: that file is not where qmail keeps it. A stray copy beside the file
            // qmail does keep is no reason to leave the message (it would still be delivered).
            ProblemKind::WrongSubdir
                if std::fs::symlink_metadata(queue.path(p.part, r.id)).is_err() =>
            {
                Some(RefusalReason::WrongSubdir)
            }
            _ => None,
        });
        if let Some(reason) = odd {
            plan.refused.push(Refusal { id: r.id, reason });
            continue;
        }
        plan.messages.push(PlannedMessage {
            id: r.id,
            files: r.parts.iter().collect(),
            recipients: r.recipients.len() as u32,
            bytes: u64::from(r.size),
            set_mtime: None,
            old_mtime: None,
            info_inode: None,
            seen: Seen::of(r),
        });
    }
    plan
}

/// The refusal of a message qmail-queue may still be writing.
pub(crate) fn unfinished_refusal(id: MessageId) -> Refusal {
    Refusal {
        id,
        reason: RefusalReason::QueueingUnfinished,
    }
}

/// The first of `files` of message `id` that is not a regular file now (`lstat`, no link
/// followed): a yank leaves such a message where it is.
pub(crate) fn odd_file(queue_path: impl Fn(Subdir) -> PathBuf, files: &[Subdir]) -> Option<Subdir> {
    files
        .iter()
        .copied()
        .find(|&s| std::fs::symlink_metadata(queue_path(s)).is_ok_and(|m| !m.file_type().is_file()))
}

/// Is `id`'s mess file, absent from `mess/<id % split>/`, in another split directory (misfiled,
/// unseen by qmail-send)? Looked for only when `files` (those at their paths) lack it: the
/// envelope alone would be moved and the mess left (the review: `remove -p . -r` did that).
pub(crate) fn mess_misfiled(root: &Path, layout: Layout, id: MessageId, files: &[Subdir]) -> bool {
    if files.contains(&Subdir::Mess) {
        return false;
    }
    let mess = root.join(Subdir::Mess.name());
    (0..layout.split)
        .filter(|&n| n != layout.bucket(id))
        .any(|n| std::fs::symlink_metadata(mess.join(n.to_string()).join(id.to_string())).is_ok())
}

/// Would yanking a message with these files split one that qmail-queue is still writing?
pub(crate) fn is_unfinished(files: &[Subdir]) -> bool {
    let mut parts = Parts::default();
    files.iter().for_each(|s| parts.insert(*s));
    MessageState::from_parts(parts).is_queueing_unfinished()
}

/// Plan yanking messages by id, looking at their files now (for callers without records,
/// such as `qtriage remove`). Ids with no file in the queue are left out.
pub fn plan_yank_ids(queue: &Queue, ids: &[MessageId], opts: &PlanOptions) -> Plan {
    let mut plan = new_plan(queue, Direction::Yank, opts);
    for &id in ids {
        let files: Vec<Subdir> = Subdir::ALL
            .into_iter()
            .filter(|s| std::fs::symlink_metadata(queue.path(*s, id)).is_ok())
            .collect();
        if files.is_empty() {
            // Not in the queue at all, or every file misfiled (`remove` matched its mess in
            // another split directory): the latter is said, not skipped in silence.
            if mess_misfiled(queue.root(), queue.layout(), id, &files) {
                plan.refused.push(Refusal {
                    id,
                    reason: RefusalReason::WrongSubdir,
                });
            }
            continue;
        }
        if is_unfinished(&files) {
            plan.refused.push(unfinished_refusal(id));
            continue;
        }
        if let Some(part) = odd_file(|s| queue.path(s, id), &files) {
            plan.refused.push(Refusal {
                id,
                reason: RefusalReason::NotAQueueFile(part),
            });
            continue;
        }
        if mess_misfiled(queue.root(), queue.layout(), id, &files) {
            plan.refused.push(Refusal {
                id,
                reason: RefusalReason::WrongSubdir,
            });
            continue;
        }
        let bytes = std::fs::symlink_metadata(queue.path(Subdir::Mess, id)).map_or(0, |m| m.len());
        plan.messages.push(PlannedMessage {
            id,
            files,
            recipients: 0,
            bytes,
            set_mtime: None,
            old_mtime: None,
            info_inode: None,
            seen: None,
        });
    }
    plan
}
