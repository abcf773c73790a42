//! The watcher's own view of the queue: which files each message id has, and the per-tick
//! coalescing of file events into one decision per id (arrived, left, changed, re-read).
//!
//! Everything here is keyed by id and touched only for ids that had events, so the work per
//! event does not grow with the queue. Applying an event that is already reflected (a file
//! "appearing" that is known to exist) changes nothing, which lets notify events and directory
//! rescans be mixed freely after events were lost.

use rustc_hash::{FxHashMap, FxHashSet};

use super::events::{FileEvent, Part};
use super::idmap::IdMap;
use crate::queue::{Layout, MessageId, Parts, Subdir};

/// How a message moved relative to the queue in one batch. "In the queue" means "has a mess
/// file", as qmail-qstat counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    /// Still in (or still out of) the queue; only other files changed.
    Stayed,
    /// Its mess file appeared.
    Arrived,
    /// Its mess file came back from the yank area (a restore, an undo): not new mail.
    Restored,
    /// Its mess file went away (`yanked`: into the yank area).
    Left {
        /// Moved into the yank area.
        yanked: bool,
    },
    /// It left and a new message with the same id (a reused inode) arrived.
    Replaced {
        /// The old one was yanked.
        yanked: bool,
    },
    /// It arrived and left within one batch (too fast to read).
    Passed {
        /// It was yanked.
        yanked: bool,
    },
}

impl Flow {
    /// Did a message leave the queue in this flow?
    pub fn has_left(self) -> bool {
        matches!(
            self,
            Flow::Left { .. } | Flow::Replaced { .. } | Flow::Passed { .. }
        )
    }
    /// Did a message enter the queue in this flow (new, or back from the yank area)?
    pub fn has_arrived(self) -> bool {
        matches!(
            self,
            Flow::Arrived | Flow::Restored | Flow::Replaced { .. } | Flow::Passed { .. }
        )
    }
    fn with_yank(self, yanked: bool) -> Flow {
        match self {
            Flow::Left { .. } => Flow::Left { yanked },
            Flow::Replaced { .. } => Flow::Replaced { yanked },
            Flow::Passed { .. } => Flow::Passed { yanked },
            f => f,
        }
    }
}

/// What is known about one id between ticks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tracked {
    /// Its files.
    pub parts: Parts,
    /// Its last read found its envelope (see [`Tracker::mark_read`]).
    pub enveloped: bool,
}

/// The events of one tick for one id.
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    touched: Parts,
    present: Parts,
    mess_gone: bool,
    mess_appeared: bool,
    mess_back: bool,
    yanked: bool,
    /// Its `<id>.mess` left the yank area.
    unyanked: bool,
    /// How many times its mess file, and its todo file, appeared in the tick: a message
    /// delivered at once frees its inode for the next (watch51: one id created and deleted
    /// 7 times in 120 ms), and each todo is one message qmail-queue finished writing.
    mess_in: u32,
    todo_in: u32,
}

/// The decision for one id at the end of a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The message.
    pub id: MessageId,
    /// Its files now.
    pub parts: Parts,
    /// How it moved.
    pub flow: Flow,
    /// Its files must be read (new message, or its envelope just appeared).
    pub read: bool,
    /// Messages written whole (their todo appeared) that came and went at this id within the
    /// tick beyond what `flow` counts: in and out once each, their clusters not known.
    pub passes: u32,
}

/// Has any envelope file a reader could attribute from?
pub fn has_envelope(parts: Parts) -> bool {
    parts.has(Subdir::Intd) || parts.has(Subdir::Todo) || parts.has(Subdir::Info)
}

/// Known files per id, bucketed by `id % split` so one directory can be compared quickly.
/// A bucket is an [`IdMap`]: the ids of the scan it was seeded from sorted by id, about 10
/// bytes a message where a hash map costs 24 or more.
#[derive(Debug)]
pub struct Tracker {
    layout: Layout,
    buckets: Vec<IdMap<Tracked>>,
    pending: FxHashMap<MessageId, Pending>,
    messages: u64,
    /// Ids whose mess file is in the yank area, as last listed or seen go there: a message
    /// arriving with one of these ids, no longer in the yank area, was restored even when the
    /// restore's own events were lost (a big undo overflows the intake) or never come
    /// (polling).
    in_yank_area: FxHashSet<MessageId>,
}

impl Tracker {
    /// An empty tracker for a queue with `layout`.
    pub fn new(layout: Layout) -> Tracker {
        let buckets = (0..layout.split.max(1)).map(|_| IdMap::default()).collect();
        Tracker {
            layout,
            buckets,
            pending: FxHashMap::default(),
            messages: 0,
            in_yank_area: FxHashSet::default(),
        }
    }

    /// Take a new listing of the yank area (the ids of its `<id>.mess` files). An id known to
    /// be there and no longer listed stays known while `in_queue(id)` says its mess file is in
    /// the queue and this tracker has not seen it come: a restore in flight, its events still to
    /// come or lost. Otherwise it was purged, and its id may name new mail.
    pub fn list_yank_area(
        &mut self,
        mut listed: FxHashSet<MessageId>,
        in_queue: &mut dyn FnMut(MessageId) -> bool,
    ) {
        for &id in &self.in_yank_area {
            let seen = self.buckets[self.bucket(id)]
                .get(id)
                .is_some_and(|t| t.parts.has(Subdir::Mess));
            if !listed.contains(&id) && !seen && in_queue(id) {
                listed.insert(id);
            }
        }
        self.in_yank_area = listed;
    }

    /// The queue layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    fn bucket(&self, id: MessageId) -> usize {
        self.layout.bucket(id) as usize
    }

    /// Record what a full scan found: each message's id and files (replaces what was known).
    pub fn seed_all(&mut self, found: impl Iterator<Item = (MessageId, Parts)>) {
        let split = self.buckets.len();
        // Ids spread evenly over the buckets: room for each bucket's share and a little more.
        let share = found.size_hint().0 / split;
        let room = share + share / 16;
        let mut ids: Vec<Vec<MessageId>> = vec![Vec::with_capacity(room); split];
        let mut known: Vec<Vec<Tracked>> = vec![Vec::with_capacity(room); split];
        for (id, parts) in found {
            let b = self.bucket(id);
            ids[b].push(id);
            known[b].push(Tracked {
                parts,
                enveloped: has_envelope(parts),
            });
        }
        for (b, (ids, known)) in ids.into_iter().zip(known).enumerate() {
            self.buckets[b] = IdMap::from_found(ids, known);
        }
        self.messages = self
            .buckets
            .iter()
            .flat_map(|m| m.iter())
            .filter(|(_, t)| t.parts.has(Subdir::Mess))
            .count() as u64;
    }

    /// Record what a full scan found for `id`.
    pub fn seed(&mut self, id: MessageId, parts: Parts) {
        let b = self.bucket(id);
        let t = Tracked {
            parts,
            enveloped: has_envelope(parts),
        };
        if let Some(old) = self.buckets[b].insert(id, t) {
            self.messages -= u64::from(old.parts.has(Subdir::Mess));
        }
        self.messages += u64::from(parts.has(Subdir::Mess));
    }

    /// What is known about `id`.
    pub fn get(&self, id: MessageId) -> Option<Tracked> {
        self.buckets[self.bucket(id)].get(id).copied()
    }

    /// Messages with a mess file.
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// Ids with events waiting for the end of the tick.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Forget the events of this tick (they are older than a rescan about to happen).
    pub fn clear_pending(&mut self) {
        self.pending.clear();
    }

    /// Add one event to this tick.
    pub fn note(&mut self, e: FileEvent) {
        let p = self.pending.entry(e.id).or_default();
        let subdir = match e.part {
            Part::YankedMess => {
                p.yanked |= e.appeared;
                p.unyanked |= !e.appeared;
                return;
            }
            Part::PurgedMess => {
                // Deleted from the yank area: its id may name new mail from now on.
                self.in_yank_area.remove(&e.id);
                return;
            }
            Part::Queue(s) => s,
        };
        p.touched.insert(subdir);
        if e.appeared {
            p.present.insert(subdir);
        } else {
            p.present.remove(subdir);
        }
        if subdir == Subdir::Mess {
            if e.appeared {
                p.mess_back |= p.mess_gone;
                p.mess_appeared = true;
                p.mess_in += 1;
            } else {
                p.mess_gone = true;
            }
        }
        if subdir == Subdir::Todo && e.appeared {
            p.todo_in += 1;
        }
    }

    /// An envelope file of `id` finished being written: re-read it at the end of the tick if
    /// its last read had no envelope. Changes no parts.
    pub fn touch(&mut self, id: MessageId) {
        self.pending.entry(id).or_default();
    }

    /// Record whether the read just made of `id` found its envelope (the sender record).
    /// An intd file can be seen created before its bytes are written; such a read does not
    /// count, and the next event for the id reads it again.
    pub fn mark_read(&mut self, id: MessageId, enveloped: bool) {
        let b = self.bucket(id);
        if let Some(t) = self.buckets[b].get_mut(id) {
            t.enveloped = enveloped;
        }
    }

    /// Ids known to have `subdir` in split directory `bucket` (or anywhere, for unsplit dirs).
    pub fn ids_with(&self, subdir: Subdir, bucket: Option<u32>) -> FxHashSet<MessageId> {
        let pick = |m: &IdMap<Tracked>| {
            m.iter()
                .filter(|(_, t)| t.parts.has(subdir))
                .map(|(id, _)| id)
                .collect::<Vec<_>>()
        };
        match bucket {
            Some(b) => self
                .buckets
                .get(b as usize)
                .map(pick)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            None => self.buckets.iter().flat_map(pick).collect(),
        }
    }

    /// End the tick: one plan per id with events; `yanked(id)` tells whether a message is now
    /// in the yank area (asked only for one that left without a yank event, or that arrived
    /// without a restore event while known to be there).
    pub fn finish(&mut self, yanked: &mut dyn FnMut(MessageId) -> bool) -> Vec<Plan> {
        let pending = std::mem::take(&mut self.pending);
        let mut plans = Vec::with_capacity(pending.len());
        for (id, p) in pending {
            let b = self.bucket(id);
            let old = self.buckets[b].get(id).copied().unwrap_or_default();
            let parts = Parts((old.parts.0 & !p.touched.0) | p.present.0);
            let (had, has) = (old.parts.has(Subdir::Mess), parts.has(Subdir::Mess));
            let flow = match (had, has) {
                // Yanked and restored (or restored and yanked again) within the tick: the same
                // file went out and came back, no mail moved.
                (true, true) | (false, false) if p.yanked && p.unyanked => Flow::Stayed,
                (true, true) if p.mess_back => Flow::Replaced { yanked: false },
                (true, false) => Flow::Left { yanked: false },
                // A restore renames the yank area's file into the queue: both events come in
                // one tick; without them (lost, or polling) the id was in the yank area and is
                // not any more.
                (false, true) if p.unyanked => Flow::Restored,
                (false, true) if self.in_yank_area.contains(&id) && !yanked(id) => Flow::Restored,
                (false, true) => Flow::Arrived,
                // Written and gone within the tick: mail only if qmail-queue finished it (its
                // todo appeared); an SMTP session dropped mid-DATA leaves a mess file that
                // qmail-queue removes (watch51: 200 such counted as in and out).
                (false, false) if p.mess_appeared && p.todo_in > 0 => {
                    Flow::Passed { yanked: false }
                }
                _ => Flow::Stayed,
            };
            let passes = extra_passes(&p, flow, has_envelope(parts));
            let flow = if flow.has_left() {
                flow.with_yank(p.yanked || yanked(id))
            } else {
                flow
            };
            match flow {
                Flow::Left { yanked: true }
                | Flow::Replaced { yanked: true }
                | Flow::Passed { yanked: true } => {
                    self.in_yank_area.insert(id);
                }
                Flow::Restored => {
                    self.in_yank_area.remove(&id);
                }
                _ => {}
            }
            // qmail-queue writes mess before intd/todo: a message read without its envelope is
            // read again once one appears.
            let read = has && (flow.has_arrived() || (!old.enveloped && has_envelope(parts)));
            if flow == Flow::Stayed && parts == old.parts && !read && passes == 0 {
                continue;
            }
            self.messages = self.messages + u64::from(has) - u64::from(had);
            let bucket = &mut self.buckets[b];
            match bucket.get_mut(id) {
                Some(t) if parts.0 != 0 => {
                    t.parts = parts;
                    t.enveloped &= has;
                }
                Some(_) => {
                    bucket.remove(id);
                }
                None if parts.0 != 0 => {
                    bucket.insert(
                        id,
                        Tracked {
                            parts,
                            enveloped: false,
                        },
                    );
                }
                None => {}
            }
            plans.push(Plan {
                id,
                parts,
                flow,
                read,
                passes,
            });
        }
        plans.sort_unstable_by_key(|p| p.id);
        plans
    }
}

/// The messages written whole that came and went at one id within a tick beyond those `flow`
/// counts (`Pending::mess_in` appearances, `todo_in` of them finished by qmail-queue);
/// `committed` whether the message there now has an envelope. None around a yank or a
/// restore, whose own flows say what moved.
fn extra_passes(p: &Pending, flow: Flow, committed: bool) -> u32 {
    if p.yanked || p.unyanked {
        return 0;
    }
    let (c, t) = (p.mess_in, p.todo_in);
    match flow {
        // The message there now is one of the appearances, and one of the todos if written.
        Flow::Arrived | Flow::Replaced { .. } => c
            .saturating_sub(1)
            .min(t.saturating_sub(u32::from(committed))),
        // Counted once already.
        Flow::Passed { .. } => c.min(t).saturating_sub(1),
        // Every appearance was a whole pass after the message that left.
        Flow::Left { .. } => c.min(t),
        Flow::Stayed | Flow::Restored => 0,
    }
}

#[cfg(test)]
mod tests;
