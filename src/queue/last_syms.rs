//! A scan thread's memory of the header values it turned into symbols lately, so a flood's
//! repeated values skip decoding, parsing and the interner.
//!
//! A flood repeats its Subject, From, mailer, script and its origin's IP, host, HELO, protocol
//! and login across thousands of messages, interleaved with other floods' (so remembering only
//! the last value misses often). Decoding an RFC 2047 Subject through mailparse, parsing a From
//! and interning (a hash, a shard lock and a table probe) were the largest user-space cost of
//! the header pass. Each [`Slot`] keeps a small direct-mapped table from a field's raw bytes to
//! the symbols they gave; an entry answers only byte-equal input, and what it answers is what
//! the full path gave for those bytes, which never changes for one interner (equal bytes always
//! intern to the same [`Sym`]); the memory is one interner's only (a different one empties it).
//!
//! A scan keeps one per reading thread for the whole scan, not one per batch of messages: its
//! buffer pool (`scan.rs`) lends a thread's buffers, this memory with them, to each batch.

use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;

use crate::queue::{Interner, Sym};

/// The fields remembered, a table each.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    Ip,
    Host,
    Helo,
    Protocol,
    AuthUser,
    Script,
    Subject,
    From,
    Mailer,
}

const SLOTS: usize = Slot::Mailer as usize + 1;

/// Entries in a slot's table. A flood's few hot values each find their own entry, and a value
/// seen once (a numbered subject) evicts one of them only rarely.
const WAYS: usize = 128;

/// Longer inputs are computed every time, not remembered: a table holds at most
/// `WAYS * MAX_REMEMBERED` bytes of keys (32 KiB) whatever the headers hold.
const MAX_REMEMBERED: usize = 256;

/// What a slot's input gives: up to two symbols (Subject: raw and decoded; From: address and
/// display name; the others one).
pub(crate) type Syms2 = [Option<Sym>; 2];

/// One remembered input and its symbols.
#[derive(Default)]
struct Entry {
    hash: u64,
    /// `false` until the entry is filled (and after the interner changes).
    set: bool,
    key: Vec<u8>,
    syms: Syms2,
}

/// Every slot's table, and the interner its symbols belong to.
#[derive(Default)]
struct Tables {
    /// The address of the interner the symbols belong to (0: none yet). An address, not an
    /// identity: sound while that interner lives, which the scan's buffer pool ensures (it
    /// borrows the interner for as long as it holds the memories).
    owner: usize,
    hasher: DefaultHashBuilder,
    /// Allocated at a slot's first use.
    slots: [Vec<Entry>; SLOTS],
}

/// The inputs each [`Slot`] saw lately on this thread, and their symbols.
///
/// Free to make: a reader that never looks at headers allocates nothing.
#[derive(Default)]
pub(crate) struct LastSyms {
    tables: Option<Box<Tables>>,
    /// Where the thread unfolds a folded hop line (`origin.rs`), reused from message to
    /// message.
    pub(crate) unfolded: Vec<u8>,
}

impl LastSyms {
    /// `compute(strings)` for `key`, answered from `slot`'s table when `key` was seen there.
    ///
    /// `compute` must depend on `key`'s bytes and the interner only, and each slot must always
    /// be given the same `compute` (one meaning of its keys).
    pub(crate) fn memo(
        &mut self,
        strings: &Interner,
        slot: Slot,
        key: &[u8],
        compute: impl FnOnce(&Interner) -> Syms2,
    ) -> Syms2 {
        if key.len() > MAX_REMEMBERED {
            return compute(strings);
        }
        let t = self.tables.get_or_insert_with(Box::default);
        let owner = std::ptr::from_ref(strings) as usize;
        if t.owner != owner {
            t.owner = owner;
            t.slots
                .iter_mut()
                .for_each(|s| s.iter_mut().for_each(|e| e.set = false));
        }
        let hash = t.hasher.hash_one(key);
        let table = &mut t.slots[slot as usize];
        if table.is_empty() {
            table.resize_with(WAYS, Entry::default);
        }
        // The high bits: foldhash mixes them best.
        let e = &mut table[(hash >> (u64::BITS - WAYS.trailing_zeros())) as usize];
        if e.set && e.hash == hash && e.key == key {
            return e.syms;
        }
        let syms = compute(strings);
        e.hash = hash;
        e.key.clear();
        e.key.extend_from_slice(key);
        e.syms = syms;
        e.set = true;
        syms
    }

    /// `strings.intern(v)`, answered from `slot`'s table when `v` was seen there.
    pub(crate) fn intern(&mut self, strings: &Interner, slot: Slot, v: &[u8]) -> Sym {
        let [s, _] = self.memo(strings, slot, v, |strings| [Some(strings.intern(v)), None]);
        s.unwrap_or_else(|| strings.intern(v))
    }
}

#[cfg(test)]
mod tests;
