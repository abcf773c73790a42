//! IdMap: a map from message id to a small value that costs about one entry a message when
//! nearly every id was found at once (a reset of a million-message queue) and few come later.
//!
//! A hash map of a million entries has 2^21 slots (hashbrown keeps its load under 7/8), so at
//! a million messages it costs twice the entries plus a control byte each, and it doubles
//! while it grows. The ids a reset found instead sit in two vectors sorted by id (looked up by
//! binary search), with one bit a message for those removed since; the ids seen afterwards
//! (arrivals during a watch: few) go in a small hash map. An id of the sorted part that is
//! removed and comes back takes its old slot again, so an id is never in both parts.

use rustc_hash::FxHashMap;

use crate::queue::MessageId;

/// Message id to `V`; see the module.
#[derive(Debug, Clone)]
pub struct IdMap<V> {
    /// The ids a reset found, sorted, without duplicates.
    ids: Vec<MessageId>,
    /// Their values, in the same order.
    values: Vec<V>,
    /// One bit per entry of `ids`: removed since.
    gone: Vec<u64>,
    /// How many bits of `gone` are set.
    gone_count: usize,
    /// Ids not in `ids`.
    later: FxHashMap<MessageId, V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> IdMap<V> {
        IdMap {
            ids: Vec::new(),
            values: Vec::new(),
            gone: Vec::new(),
            gone_count: 0,
            later: FxHashMap::default(),
        }
    }
}

impl<V> IdMap<V> {
    /// The map of `ids` to `values` (one each, in the same order; of an id listed twice the
    /// last value wins, as inserting them one by one would).
    pub fn from_found(ids: Vec<MessageId>, values: Vec<V>) -> IdMap<V> {
        assert_eq!(ids.len(), values.len(), "one value an id");
        let (mut ids, mut values) = (ids, values);
        if !ids.is_sorted() {
            sort_both(&mut ids, &mut values);
        }
        // Duplicates are now side by side, the last listed last: keep that one.
        let mut kept = 0;
        for i in 0..ids.len() {
            if kept > 0 && ids[kept - 1] == ids[i] {
                values.swap(kept - 1, i);
            } else {
                ids.swap(kept, i);
                values.swap(kept, i);
                kept += 1;
            }
        }
        ids.truncate(kept);
        values.truncate(kept);
        ids.shrink_to_fit();
        values.shrink_to_fit();
        IdMap {
            gone: vec![0; ids.len().div_ceil(64)],
            ids,
            values,
            gone_count: 0,
            later: FxHashMap::default(),
        }
    }

    /// Messages in the map.
    pub fn len(&self) -> usize {
        self.ids.len() - self.gone_count + self.later.len()
    }

    /// Is the map empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        *self = IdMap::default();
    }

    fn is_gone(&self, i: usize) -> bool {
        self.gone[i / 64] & (1 << (i % 64)) != 0
    }

    fn set_gone(&mut self, i: usize, gone: bool) {
        let bit = 1 << (i % 64);
        if gone {
            self.gone[i / 64] |= bit;
        } else {
            self.gone[i / 64] &= !bit;
        }
    }

    /// The slot of `id` in the sorted part, removed or not.
    fn slot(&self, id: MessageId) -> Option<usize> {
        self.ids.binary_search(&id).ok()
    }

    /// The value of `id`.
    pub fn get(&self, id: MessageId) -> Option<&V> {
        match self.slot(id) {
            Some(i) => (!self.is_gone(i)).then(|| &self.values[i]),
            None => self.later.get(&id),
        }
    }

    /// The value of `id`, to change in place.
    pub fn get_mut(&mut self, id: MessageId) -> Option<&mut V> {
        match self.slot(id) {
            Some(i) => (!self.is_gone(i)).then(|| &mut self.values[i]),
            None => self.later.get_mut(&id),
        }
    }

    /// Set the value of `id`; returns the one it replaces.
    pub fn insert(&mut self, id: MessageId, v: V) -> Option<V> {
        let Some(i) = self.slot(id) else {
            return self.later.insert(id, v);
        };
        let old = std::mem::replace(&mut self.values[i], v);
        if self.is_gone(i) {
            self.set_gone(i, false);
            self.gone_count -= 1;
            None
        } else {
            Some(old)
        }
    }

    /// Remove `id`; returns its value.
    pub fn remove(&mut self, id: MessageId) -> Option<V>
    where
        V: Clone,
    {
        let Some(i) = self.slot(id) else {
            return self.later.remove(&id);
        };
        if self.is_gone(i) {
            return None;
        }
        self.set_gone(i, true);
        self.gone_count += 1;
        let old = self.values[i].clone();
        // Once most of the sorted part is gone (the flood drained or yanked), it shrinks to
        // what is left: a sweep of the whole part every half of it removed.
        if self.gone_count * 2 > self.ids.len() {
            self.compact();
        }
        Some(old)
    }

    /// Drop the removed entries of the sorted part.
    fn compact(&mut self) {
        let gone = std::mem::take(&mut self.gone);
        let kept = |i: &mut usize| {
            let keep = gone[*i / 64] & (1 << (*i % 64)) == 0;
            *i += 1;
            keep
        };
        let mut i = 0;
        self.ids.retain(|_| kept(&mut i));
        let mut i = 0;
        self.values.retain(|_| kept(&mut i));
        self.ids.shrink_to_fit();
        self.values.shrink_to_fit();
        self.gone = vec![0; self.ids.len().div_ceil(64)];
        self.gone_count = 0;
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (MessageId, &V)> {
        let found = self
            .ids
            .iter()
            .zip(&self.values)
            .enumerate()
            .filter(|(i, _)| !self.is_gone(*i))
            .map(|(_, (id, v))| (*id, v));
        found.chain(self.later.iter().map(|(id, v)| (*id, v)))
    }

    /// Entries of the sorted part, removed ones included (for tests of compaction).
    #[cfg(test)]
    pub fn found_slots(&self) -> usize {
        self.ids.len()
    }
}

/// Sort `ids` (stably) and `values` with them, in place: the only extra memory is the order,
/// 4 bytes an entry, not a second copy of the values.
fn sort_both<V>(ids: &mut [MessageId], values: &mut [V]) {
    let mut order: Vec<u32> = (0..ids.len() as u32).collect();
    order.sort_by_key(|&i| ids[i as usize]);
    // Entry k takes the one at order[k]: walk each cycle of the permutation, swapping, and
    // mark each place done by pointing it at itself.
    for start in 0..order.len() {
        let mut k = start;
        while order[k] as usize != k {
            let from = order[k] as usize;
            order[k] = k as u32;
            if from == start {
                break;
            }
            ids.swap(k, from);
            values.swap(k, from);
            k = from;
        }
    }
}

#[cfg(test)]
mod tests;
