//! Plan a purge: the only permanent deletion qtriage does, and only from the yank area.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::area::list_yanked;
use super::error::ActionError;
use super::journal::{Direction, MessStamp};
use super::ledger::{held_by, owned_files};
use super::mover::yank_name;
use super::plan::{Plan, PlannedMessage, Refusal, RefusalReason};
use super::restore::load_batch;
use super::yank::{new_plan, PlanOptions};
use crate::queue::{MessageId, Parts, Queue, Subdir};

/// Which yanked messages to delete for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeSelection {
    /// The messages of one yank batch still in the yank area.
    Batch(String),
    /// Messages yanked more than `secs` seconds before `now`.
    OlderThan {
        /// Age in seconds.
        secs: i64,
        /// "Now", unix seconds.
        now: i64,
    },
    /// Everything in the yank area.
    All,
}

/// Plan a purge of the yank area `yank_dir`.
pub fn plan_purge(
    queue: &Queue,
    yank_dir: &Path,
    selection: &PurgeSelection,
    query: &str,
) -> Result<Plan, ActionError> {
    let popts = PlanOptions {
        yank_dir: yank_dir.to_path_buf(),
        query: query.to_string(),
    };
    let mut plan = new_plan(queue, Direction::Purge, &popts);
    // The journal, read once: which messages the batch holds and which files it moved.
    let all = match selection {
        PurgeSelection::Batch(_) => super::area::batches(yank_dir)?,
        _ => Vec::new(),
    };
    let batch_ids: Option<HashSet<MessageId>> = match selection {
        PurgeSelection::Batch(id) => {
            let b = load_batch(yank_dir, id)?;
            plan.undoes = Some(b.header.batch.clone());
            // Only what this yank holds: a message it yanked, restored since and yanked again
            // by a later batch is that batch's, and may be real mail that reused the id.
            let mut held = held_by(&all, &b).ok_or_else(|| ActionError::NotAYank {
                batch: b.header.batch.clone(),
                direction: b.header.direction.name(),
                verb: "delete",
            })?;
            // And only the very mess files it moved, where it stamped them: one restored since,
            // whose id new mail took and something else put in the yank area (qmail-remove
            // -r, a hand), is not this batch's to delete for good.
            for m in &b.messages {
                let Some(stamp) = m.mess else { continue };
                let now = std::fs::symlink_metadata(yank_dir.join(yank_name(m.id, Subdir::Mess)));
                if now.is_ok_and(|md| MessStamp::of(&md) != stamp) {
                    held.remove(&m.id);
                }
            }
            Some(held)
        }
        _ => None,
    };
    // A batch deletes only the files it moved: under one id may lie an earlier yank's too
    // (`owned_files`), which that batch no longer holds but is not this one's to delete.
    let owned = owned_files(&all);
    let others: Vec<_> = (super::area::every_area(queue.root()).into_iter())
        .filter(|a| !super::area::same_dir(a, yank_dir))
        .collect();
    for y in list_yanked(yank_dir)? {
        let keep = match selection {
            PurgeSelection::Batch(_) => batch_ids.as_ref().is_some_and(|ids| ids.contains(&y.id)),
            PurgeSelection::OlderThan { secs, now } => y.yanked_at <= now - secs,
            PurgeSelection::All => true,
        };
        let files: Vec<Subdir> = match selection {
            // This batch holds the id, so owns it: only the files its journal lists.
            PurgeSelection::Batch(_) => y
                .files
                .iter()
                .filter(|s| owned.get(&y.id).is_some_and(|f| f.contains(s)))
                .collect(),
            _ => y.files.iter().collect(),
        };
        if keep {
            let split = match files.contains(&Subdir::Mess) {
                true => envelope_in_queue(queue, y.id).map(RefusalReason::EnvelopeInQueue),
                false => mess_in_queue(queue, y.id).map(RefusalReason::MessInQueue),
            };
            let split = split.or_else(|| other_half_in(&others, y.id, y.files));
            if let Some(reason) = split {
                plan.refused.push(Refusal { id: y.id, reason });
                continue;
            }
        }
        if keep && !files.is_empty() {
            plan.messages.push(PlannedMessage {
                id: y.id,
                files,
                recipients: 0,
                bytes: y.bytes,
                set_mtime: None,
                old_mtime: None,
                info_inode: None,
                seen: None,
            });
        }
    }
    Ok(plan)
}

/// Message `id`'s mess in the queue, when the queue holds it and no envelope: the other half
/// of a split message whose envelope is in the yank area.
fn mess_in_queue(queue: &Queue, id: MessageId) -> Option<std::path::PathBuf> {
    let path = |s: Subdir| queue.root().join(queue.layout().rel_path(s, id));
    let mess = path(Subdir::Mess);
    let envelope = (Subdir::ALL.into_iter())
        .filter(|&s| s != Subdir::Mess)
        .any(|s| std::fs::symlink_metadata(path(s)).is_ok());
    (std::fs::symlink_metadata(&mess).is_ok() && !envelope).then_some(mess)
}

/// The other half of message `id` in another yank area, when this area holds only its mess
/// (`here`) and another only envelope files, or the reverse.
fn other_half_in(others: &[PathBuf], id: MessageId, here: Parts) -> Option<RefusalReason> {
    let envelope = |parts: Parts| parts.iter().any(|s| s != Subdir::Mess);
    let (has_mess, has_envelope) = (here.has(Subdir::Mess), envelope(here));
    if has_mess == has_envelope {
        return None;
    }
    others.iter().find_map(|area| {
        let there = super::area::parts_of(area, id);
        let path = |s: Subdir| area.join(yank_name(id, s));
        match has_mess {
            true if envelope(there) && !there.has(Subdir::Mess) => {
                let first = there.iter().next()?;
                Some(RefusalReason::EnvelopeInYankArea(path(first)))
            }
            false if there.has(Subdir::Mess) && !envelope(there) => {
                Some(RefusalReason::MessInYankArea(path(Subdir::Mess)))
            }
            _ => None,
        }
    })
}

/// A queue file of message `id`'s envelope, when the queue holds one and no mess: the other
/// half of a split message whose mess is in the yank area.
fn envelope_in_queue(queue: &Queue, id: MessageId) -> Option<std::path::PathBuf> {
    let path = |s: Subdir| queue.root().join(queue.layout().rel_path(s, id));
    if std::fs::symlink_metadata(path(Subdir::Mess)).is_ok() {
        // A whole message under the id: new mail that took it, not this one's envelope.
        return None;
    }
    (Subdir::ALL.into_iter())
        .filter(|&s| s != Subdir::Mess)
        .map(path)
        .find(|p| std::fs::symlink_metadata(p).is_ok())
}
