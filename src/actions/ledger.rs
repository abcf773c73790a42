//! Which yank batch each yanked message came from: the one rule `qtriage yanked`, the TUI's yank
//! view and the report read the yank area's journal by.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::area::{batches, list_yanked, YankedMessage};
use super::error::ActionError;
use super::journal::{Batch, BatchState, Direction};
use crate::queue::{MessageId, Subdir};

/// The yank area and its journal, read together.
#[derive(Debug)]
pub struct Ledger {
    /// The messages in the yank area.
    pub messages: Vec<YankedMessage>,
    /// Every batch in the journal, oldest first.
    pub batches: Vec<Batch>,
    /// The yank batch each yanked message came from: the latest (not abandoned) yank that moved
    /// it, since a message restored and yanked again belongs to its second yank.
    owner: HashMap<MessageId, usize>,
    /// The interrupted restore or purge each message it lists was last touched by: one it left
    /// in the yank area is that batch's to finish (`recover`), not a message without a batch.
    interrupted: HashMap<MessageId, usize>,
    present: HashSet<MessageId>,
    /// A qtriage action held the journal lock while this was read.
    action_running: bool,
}

/// The yank batch each message belongs to, as an index into `batches` (oldest first): the
/// latest (not abandoned) yank that moved it, since a message restored and yanked again belongs
/// to its second yank; none once a later restore or purge took it out of the yank area.
pub fn owners(batches: &[Batch]) -> HashMap<MessageId, usize> {
    let mut owner = HashMap::new();
    walk_ownership(batches, |id, held| match held {
        Some((i, _)) => {
            owner.insert(id, i);
        }
        None => {
            owner.remove(&id);
        }
    });
    owner
}

/// The files each yanked message's owning batch ([`owners`]) moved, as its journal lists them.
/// A message yanked without its mess holds no inode, so new mail may take its id and a later
/// batch yank it beside the first one's files: what lies in the yank area under one id may be
/// two messages'. Only the owner's files are one message; a restore or a purge of that batch
/// acts on those alone and never puts an old envelope beside new mail.
pub fn owned_files(batches: &[Batch]) -> HashMap<MessageId, &[Subdir]> {
    let mut files = HashMap::new();
    walk_ownership(batches, |id, held| match held {
        Some((_, moved)) => {
            files.insert(id, moved);
        }
        None => {
            files.remove(&id);
        }
    });
    files
}

/// Replay the journal in order: `f(id, Some((batch index, files)))` for each message a yank
/// moved, `f(id, None)` for each a restore or purge then took out of the yank area. Without the
/// second, a yank that was restored kept owning its id: new mail under that id, yanked later by
/// qmail-remove or by hand (no qtriage journal), was then restored with only the files the old
/// yank had listed, and qmail-send deletes a message missing its `local`/`remote` file.
fn walk_ownership<'a>(
    batches: &'a [Batch],
    mut f: impl FnMut(MessageId, Option<(usize, &'a [Subdir])>),
) {
    for (i, b) in batches.iter().enumerate() {
        let moved = b.messages.iter().filter(|m| !b.failed.contains(&m.id));
        match b.header.direction {
            Direction::Yank if b.state != BatchState::Abandoned => {
                moved.for_each(|m| f(m.id, Some((i, m.files.as_slice()))));
            }
            Direction::Restore | Direction::Purge
                if matches!(b.state, BatchState::Done | BatchState::Interrupted) =>
            {
                moved.for_each(|m| f(m.id, None));
            }
            _ => {}
        }
    }
}

/// The files of yanked message `y` that are one message: those its owning batch moved (from
/// [`owned_files`]) when it has one and any of them is still there, else every file of its id
/// (yanked by qmail-remove, by hand, or the owner's own are gone).
pub fn one_message_files(y: &YankedMessage, owned: &HashMap<MessageId, &[Subdir]>) -> Vec<Subdir> {
    let present: Vec<Subdir> = y.files.iter().collect();
    match owned.get(&y.id) {
        Some(moved) if present.iter().any(|s| moved.contains(s)) => {
            present.into_iter().filter(|s| moved.contains(s)).collect()
        }
        _ => present,
    }
}

/// The messages yank batch `batch` holds: those it moved (not failed) and no later yank took
/// over. What `restore --batch` puts back and `purge --batch` deletes, so that neither acts on
/// a message a later batch owns (a purge of the first batch once deleted the second's).
/// `None` when `batch` is not a yank: it holds no message.
pub fn held_by(batches: &[Batch], batch: &Batch) -> Option<HashSet<MessageId>> {
    if batch.header.direction != Direction::Yank {
        return None;
    }
    let owner = owners(batches);
    let index = batches
        .iter()
        .position(|b| b.header.batch == batch.header.batch);
    let held = batch
        .messages
        .iter()
        .map(|m| m.id)
        .filter(|id| !batch.failed.contains(id))
        // An abandoned batch owns nothing: it was never sealed, so it moved nothing.
        .filter(|id| index.is_some() && owner.get(id).copied() == index);
    Some(held.collect())
}

impl Ledger {
    /// Read the yank area `yank_dir` and its journal (a missing area is empty).
    pub fn load(yank_dir: &Path) -> Result<Ledger, ActionError> {
        // Asked before and after the listing: an action that ends or starts while it is read
        // is still one at work, not one interrupted.
        let before = super::lock::action_running(yank_dir);
        let messages = list_yanked(yank_dir)?;
        let batches = batches(yank_dir)?;
        let owner = owners(&batches);
        let interrupted = interrupted_takers(&batches);
        let present = messages.iter().map(|m| m.id).collect();
        Ok(Ledger {
            messages,
            batches,
            owner,
            interrupted,
            present,
            action_running: before || super::lock::action_running(yank_dir),
        })
    }

    /// Is batch `index` unfinished because a qtriage action is at work on it (it held the
    /// journal lock), not because it was interrupted?
    pub fn is_running(&self, index: usize) -> bool {
        self.action_running
            && matches!(
                self.batches[index].state,
                BatchState::Interrupted | BatchState::Unsealed
            )
    }

    /// How many of batch `index`'s messages are in the yank area because of it (0 for batches
    /// that do not yank).
    pub fn in_yank_area(&self, index: usize) -> usize {
        let b = &self.batches[index];
        if b.header.direction != Direction::Yank {
            return 0;
        }
        b.messages
            .iter()
            .filter(|m| self.owner.get(&m.id) == Some(&index) && self.present.contains(&m.id))
            .count()
    }

    /// The batch id a yanked message came from (`None`: yanked without a journal, e.g. by
    /// qmail-remove `-r`).
    pub fn batch_of(&self, id: MessageId) -> Option<&str> {
        self.owner
            .get(&id)
            .map(|i| self.batches[*i].header.batch.as_str())
    }

    /// The messages in the yank area that no yank batch accounts for, nor an interrupted
    /// restore or purge was taking out ([`Ledger::left_by_interrupted`]).
    pub fn orphans(&self) -> impl Iterator<Item = MessageId> + '_ {
        (self.messages.iter())
            .filter(|m| !self.owner.contains_key(&m.id) && self.interrupted_by(m).is_none())
            .map(|m| m.id)
    }

    /// The interrupted restore or purge (its index) that was taking `m` out of the yank area:
    /// one that lists its id, when `m` was yanked before that batch began. Yanked after it,
    /// `m` is another message under the id (new mail reusing the inode, yanked by
    /// qmail-remove), none of the batch's (review60).
    pub fn interrupted_by(&self, m: &YankedMessage) -> Option<usize> {
        let &i = self.interrupted.get(&m.id)?;
        (m.yanked_at <= self.batches[i].header.created).then_some(i)
    }

    /// Per interrupted restore or purge (its index), the messages of it still in the yank area,
    /// oldest batch first: what `recover` completes. A restore killed after 66,000 of 180,000
    /// left 113,101 read as "without a batch, e.g. yanked by qmail-remove" (newuser60).
    pub fn left_by_interrupted(&self) -> Vec<(usize, usize)> {
        let mut counts: std::collections::BTreeMap<usize, usize> = Default::default();
        for m in &self.messages {
            if let Some(i) = self.interrupted_by(m) {
                *counts.entry(i).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }
}

/// Per message, the interrupted restore or purge that last listed it, when nothing after it
/// (a yank, a finished restore or purge) did.
fn interrupted_takers(batches: &[Batch]) -> HashMap<MessageId, usize> {
    let mut taker = HashMap::new();
    for (i, b) in batches.iter().enumerate() {
        let listed = b.messages.iter().filter(|m| !b.failed.contains(&m.id));
        match (b.header.direction, b.state) {
            (Direction::Restore | Direction::Purge, BatchState::Interrupted) => {
                for m in listed {
                    taker.insert(m.id, i);
                }
            }
            (_, BatchState::Done | BatchState::Interrupted) => {
                for m in listed {
                    taker.remove(&m.id);
                }
            }
            _ => {}
        }
    }
    taker
}

#[cfg(test)]
mod tests {
    use super::super::journal::{BatchHeader, JournalMessage, JOURNAL_VERSION};
    use super::*;
    use crate::queue::Parts;

    fn batch(id: &str, direction: Direction, state: BatchState, created: i64) -> Batch {
        Batch {
            path: std::path::PathBuf::new(),
            header: BatchHeader {
                version: JOURNAL_VERSION,
                batch: id.into(),
                direction,
                query: "auth:test".into(),
                created,
                queue: "/q".into(),
                split: 23,
                big_todo: false,
                undoes: None,
                verdict: false,
            },
            messages: (1..=3)
                .map(|i| JournalMessage {
                    id: MessageId(i),
                    files: vec![Subdir::Mess, Subdir::Info],
                    set_mtime: None,
                    old_mtime: None,
                    info_inode: None,
                    mess: None,
                })
                .collect(),
            failed: HashSet::new(),
            state,
            progress: 0,
            sealed: Some(3),
        }
    }

    /// A yank of 1-3 at 100, its restore interrupted at 200: what it left is its own, unless
    /// yanked after it began (another message under a reused id, yanked by qmail-remove).
    #[test]
    fn what_an_interrupted_restore_left_is_its_own_unless_yanked_after_it() {
        let batches = vec![
            batch("y", Direction::Yank, BatchState::Done, 100),
            batch("r", Direction::Restore, BatchState::Interrupted, 200),
        ];
        let yanked = |id, at| YankedMessage {
            id: MessageId(id),
            files: Parts::default(),
            bytes: 0,
            yanked_at: at,
        };
        let messages = vec![yanked(1, 100), yanked(2, 250), yanked(9, 100)];
        let ledger = Ledger {
            owner: owners(&batches),
            interrupted: interrupted_takers(&batches),
            present: messages.iter().map(|m| m.id).collect(),
            messages,
            batches,
            action_running: false,
        };
        assert_eq!(ledger.interrupted_by(&ledger.messages[0]), Some(1));
        assert_eq!(ledger.interrupted_by(&ledger.messages[1]), None);
        assert_eq!(ledger.left_by_interrupted(), vec![(1, 1)]);
        let orphans: Vec<u64> = ledger.orphans().map(|id| id.0).collect();
        assert_eq!(orphans, vec![2, 9]);
    }
}
