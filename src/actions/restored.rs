//! The messages in the queue that the operator restored from the yank area: their verdict that
//! the mail is real, which `plan`, `report` and the query term `restored:yes` keep to.
//!
//! Only messages the operator picked (`restore QUERY`, `restore --ids`) are such a verdict. An
//! undo (`restore --batch`, `--all`, the TUI's `u`) puts a yank back as it was, spam included,
//! to be judged again. A restore journals each mess file it puts back with its size and mtime ([`MessStamp`]). The
//! rename keeps both, so the message in the queue under that id is the one restored while its
//! mess file still has them. qmail reuses ids (they are inode numbers): new mail that took the
//! id after the restored message was delivered has another mtime, and is not taken for it.

use std::collections::HashMap;
use std::path::Path;

use super::area::journal_dir;
use super::error::{ActionError, JournalProblem};
use super::journal::{self, BatchState, Direction, MessStamp};
use crate::queue::{MessageId, Queue, Subdir};

/// The ids of the messages in the queue that a restore put back, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    ids: Vec<MessageId>,
}

/// The mess file of each message the verdict restores of `yank_dir` picked back, by id (a
/// message picked back twice by its latest pick), as the restore journaled it: each verdict
/// restore that ran (done, or interrupted: recovery completes it). Reads only the verdict
/// restores' journals past their first line.
pub fn picks(yank_dir: &Path) -> Result<HashMap<MessageId, MessStamp>, ActionError> {
    let mut moved: HashMap<MessageId, MessStamp> = HashMap::new();
    for path in journal::journal_files(&journal_dir(yank_dir))? {
        let verdict = match journal::header_of(&path)? {
            // An undo (a batch, everything) puts spam back too: only picked messages count.
            Some(h) => h.direction == Direction::Restore && h.verdict,
            // A first line this version cannot read may be a verdict's: not known, unless it
            // was never finished (nothing of that batch moved).
            None => match journal::load(&path) {
                Err(e) if journal::is_torn_header(&e) => false,
                Err(e) => return Err(e),
                Ok(_) => false,
            },
        };
        if !verdict {
            continue;
        }
        let batch = match journal::load(&path) {
            Err(e) if journal::is_torn_header(&e) => continue,
            batch => batch?,
        };
        if !matches!(batch.state, BatchState::Done | BatchState::Interrupted) {
            continue;
        }
        // A damaged message line is skipped on reading: its pick would be forgotten.
        if batch.sealed != Some(batch.messages.len() as u64) {
            return Err(ActionError::Journal {
                path: path.clone(),
                problem: JournalProblem::MessagesMissing,
            });
        }
        // Oldest batch first: a message picked back twice is known by its latest pick.
        let done = (batch.messages.iter()).filter(|m| !batch.failed.contains(&m.id));
        for m in done {
            if let Some(stamp) = m.mess {
                moved.insert(m.id, stamp);
            }
        }
    }
    Ok(moved)
}

/// Of the messages an undo `plan` puts back, those picked back as real mail before their last
/// yank: their mess file in the yank area is still the one a verdict restore journaled, so the
/// verdict stands once they are back (an undo adds none and takes none away). Asked before the
/// undo runs; none from another yank area than the queue's own, whose picks are not read.
pub fn still_picked(plan: &super::Plan) -> Result<usize, ActionError> {
    let own = super::default_yank_dir(&plan.queue_root);
    if !super::area::same_dir(&plan.yank_dir, &own) {
        return Ok(0);
    }
    let picks = picks(&plan.yank_dir)?;
    let yanked = |id| {
        plan.yank_dir
            .join(super::mover::yank_name(id, Subdir::Mess))
    };
    let still = |m: &&super::PlannedMessage| {
        picks.get(&m.id).is_some_and(|stamp| {
            std::fs::symlink_metadata(yanked(m.id)).is_ok_and(|md| MessStamp::of(&md) == *stamp)
        })
    };
    Ok(plan.messages.iter().filter(still).count())
}

/// What every face says when a restore journal cannot be read (`e`).
pub fn unknown_words(e: &ActionError) -> String {
    format!(
        "which messages the operator picked back from the yank area is not known: {e}; move \
         that journal out of the way, or fix it"
    )
}

/// What no yank area restored.
static NONE: Restored = Restored { ids: Vec::new() };

impl Restored {
    /// No message restored (no yank area, or the records are not the queue's).
    pub fn none() -> &'static Restored {
        &NONE
    }

    /// The messages of `queue` that a verdict restore journaled in `yank_dir` put back and
    /// that are still there: the queue's mess file of each id [`picks`] names must be the very
    /// same (`lstat`: size and mtime).
    pub fn in_queue(queue: &Queue, yank_dir: &Path) -> Result<Restored, ActionError> {
        let mut ids: Vec<MessageId> = picks(yank_dir)?
            .into_iter()
            .filter(|(id, stamp)| {
                std::fs::symlink_metadata(queue.path(Subdir::Mess, *id))
                    .is_ok_and(|m| m.is_file() && MessStamp::of(&m) == *stamp)
            })
            .map(|(id, _)| id)
            .collect();
        ids.sort_unstable();
        Ok(Restored { ids })
    }

    /// These ids, as if restored (tests, and faces that know them already).
    pub fn from_ids(mut ids: Vec<MessageId>) -> Restored {
        ids.sort_unstable();
        ids.dedup();
        Restored { ids }
    }

    /// Was `id` restored?
    pub fn contains(&self, id: MessageId) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    /// The indices of `records` that were restored, ascending.
    pub fn indices_in(&self, records: &[crate::queue::MessageRecord]) -> Vec<u32> {
        if self.ids.is_empty() {
            return Vec::new();
        }
        (records.iter().enumerate())
            .filter(|(_, r)| self.contains(r.id))
            .map(|(i, _)| i as u32)
            .collect()
    }
}
