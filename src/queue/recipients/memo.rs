//! A reading thread's memory of the recipient domains it interned lately, so a flood's repeats
//! skip the interner, and of the domain sets it made, so a flood's messages make none.
//!
//! A relay flood's recipients share a few dozen domains: interning each again (a message's four
//! or five distinct ones) cost a hash, a shard lock both scan threads contend for and a table
//! probe. Equal bytes always intern to the same [`Sym`], so answering from memory is exact. Each
//! slot holds one domain, chosen by its hash: a new one evicts the old one, so the memory stays
//! a few KiB and hostile input (every domain distinct, or too long to keep) costs what interning
//! costs. (Domain sets were remembered too, by their encoded bytes, and gained nothing:
//! callgrind counted the memory's hashing and compares at what the interner's probes cost, at
//! a 41 % hit rate.)
//!
//! What made a set cheap to remember: the first [`BITS`] (channel, domain) pairs a thread meets
//! in local/ and remote/ files each get a bit for the memory's life, so a message's set of them
//! is one word ([`super::SummaryBuilder`] ORs a bit a recipient), and a set made lately is
//! found by its word, compared whole: exact, with no entry searched, sorted or encoded.

use std::hash::Hasher;

use super::{intern_set, Channel, RecipientDomain};
use crate::queue::{Interner, Sym};

/// Slots for domains (a power of two).
const SLOTS: usize = 128;
/// The longest domain kept: longer ones are interned but not remembered.
const DOMAIN_BYTES: usize = 46;
/// The (channel, domain) pairs given a bit: a word's.
const BITS: usize = 64;
/// Slots for domain sets, chosen by their word (a power of two). 4 KiB a memory, and a scan
/// has one a reading thread (16 on two cores): on the bench's flood 84 % of sets are found,
/// where 1,024 slots found 92 % for 3M fewer instructions of `top`'s 1,900M and 192 KiB more.
const SET_SLOTS: usize = 256;
/// A slot's bit not looked for since its domain was kept.
const UNKNOWN: u8 = u8::MAX;
/// Every bit was given when the slot's domain asked for one: its sets are made as before.
const NO_BIT: u8 = u8::MAX - 1;

/// One remembered domain, the symbol of its lowercase and its bit in local/ and in remote/;
/// `len` 0 is an empty slot (an empty domain is never asked for: an address without one has
/// none to intern).
#[derive(Clone, Copy)]
struct Slot {
    len: u8,
    bytes: [u8; DOMAIN_BYTES],
    sym: Option<Sym>,
    /// The bit of (local, this domain) and of (remote, this domain), [`UNKNOWN`] or [`NO_BIT`].
    bits: [u8; 2],
}

impl Slot {
    const EMPTY: Slot = Slot {
        len: 0,
        bytes: [0; DOMAIN_BYTES],
        sym: None,
        bits: [UNKNOWN; 2],
    };

    fn holds(&self, s: &[u8]) -> Option<Sym> {
        (usize::from(self.len) == s.len() && same(&self.bytes[..s.len()], s))
            .then_some(self.sym)
            .flatten()
    }

    /// Keep `s` and its symbol, forgetting the evicted domain's bits; false when `s` does
    /// not fit (the slot is then emptied: it holds nothing its bits could be taken for).
    fn keep(&mut self, s: &[u8], sym: Sym) -> bool {
        *self = Slot::EMPTY;
        if let (Ok(len), Some(to)) = (u8::try_from(s.len()), self.bytes.get_mut(..s.len())) {
            to.copy_from_slice(s);
            self.len = len;
            self.sym = Some(sym);
            return true;
        }
        false
    }
}

/// `a == b` for two slices of one length, compared a word at a time, the last word
/// overlapping the one before: a flood's every recipient compares its domain (7 to 20 bytes)
/// with a slot's, and a `memcmp` call cost twice the compare.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    let half = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .map(|w| u32::from_le_bytes(w.try_into().unwrap_or_default()))
    };
    match n {
        0..=3 => a == b,
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        _ => {
            let mut at = 0;
            while at + 8 < n {
                if word(a, at) != word(b, at) {
                    return false;
                }
                at += 8;
            }
            word(a, n - 8) == word(b, n - 8)
        }
    }
}

/// The remembered domains of one interner: each spelling with the symbol of its lowercase.
pub struct RecipientMemo<'s> {
    /// The interner the symbols belong to; a different one is answered without the memory.
    owner: &'s Interner,
    /// Allocated at the first domain remembered: a memory made for one message and dropped
    /// (`read`'s stream) costs nothing.
    slots: Vec<Slot>,
    /// The pair each bit stands for, bit 0 first (inline: `read`'s stream makes a memory a
    /// message).
    pairs: smallvec::SmallVec<[(Channel, Sym); BITS]>,
    /// Domain sets made lately: their word and symbol (a word 0 is an empty slot).
    sets: Vec<(u64, Option<Sym>)>,
    /// A set was made before `sets` was allocated: one message's memory makes one and
    /// allocates no table for it.
    made_one: bool,
}

impl<'s> RecipientMemo<'s> {
    /// An empty memory of `owner`'s symbols.
    pub fn new(owner: &'s Interner) -> RecipientMemo<'s> {
        RecipientMemo {
            owner,
            slots: Vec::new(),
            pairs: smallvec::SmallVec::new(),
            sets: Vec::new(),
            made_one: false,
        }
    }

    /// `d` lowercased and interned.
    pub(super) fn domain(&mut self, strings: &Interner, d: &[u8]) -> Sym {
        if !std::ptr::eq(self.owner, strings) || d.len() > DOMAIN_BYTES {
            return intern_lowercase(strings, d);
        }
        let slot = slot(&mut self.slots, d);
        if let Some(sym) = slot.holds(d) {
            return sym;
        }
        let sym = intern_lowercase(strings, d);
        slot.keep(d, sym);
        sym
    }

    /// The word of (`channel`, `d` lowercased): its bit, or `Err` with its symbol for todo/
    /// (whose sets count recipients a domain), another interner, a domain too long to
    /// remember, or when every bit was given to others. Inline: a flood's every recipient asks,
    /// and the memory answers almost all.
    #[inline]
    pub(super) fn domain_bit(
        &mut self,
        strings: &Interner,
        d: &[u8],
        channel: Channel,
    ) -> Result<u64, Sym> {
        let side = match channel {
            Channel::Local => 0,
            Channel::Remote => 1,
            Channel::Todo => return Err(self.domain(strings, d)),
        };
        if std::ptr::eq(self.owner, strings) && d.len() <= DOMAIN_BYTES && !self.slots.is_empty() {
            let at = slot_at(&self.slots, d);
            let slot = &self.slots[at];
            if let Some(sym) = slot.holds(d) {
                return match slot.bits[side] {
                    bit if usize::from(bit) < BITS => Ok(1 << bit),
                    NO_BIT => Err(sym),
                    _ => self.give((at, side), channel, sym),
                };
            }
        }
        self.bit_missed(strings, d, channel)
    }

    /// [`RecipientMemo::domain_bit`] for a domain the memory does not hold.
    #[cold]
    #[inline(never)]
    fn bit_missed(&mut self, strings: &Interner, d: &[u8], channel: Channel) -> Result<u64, Sym> {
        let side = usize::from(channel == Channel::Remote);
        if !std::ptr::eq(self.owner, strings) || d.len() > DOMAIN_BYTES {
            return Err(intern_lowercase(strings, d));
        }
        let sym = intern_lowercase(strings, d);
        let slot = slot(&mut self.slots, d);
        if !slot.keep(d, sym) {
            return Err(sym);
        }
        let at = slot_at(&self.slots, d);
        self.give((at, side), channel, sym)
    }

    /// Give slot `at`, which holds `sym`, its bit for `channel` (`side` of its two): the word,
    /// or `Err` with `sym` when every bit was given to others.
    #[cold]
    #[inline(never)]
    fn give(&mut self, (at, side): (usize, usize), channel: Channel, sym: Sym) -> Result<u64, Sym> {
        let bit = give_bit(&mut self.pairs, channel, sym);
        if let Some(slot) = self.slots.get_mut(at) {
            slot.bits[side] = bit;
        }
        match usize::from(bit) < BITS {
            true => Ok(1 << bit),
            false => Err(sym),
        }
    }

    /// The entries of the set whose word is `mask` (bits this memory gave).
    pub(super) fn entries_of(&self, mask: u64) -> impl Iterator<Item = RecipientDomain> + '_ {
        let mut rest = mask;
        std::iter::from_fn(move || loop {
            if rest == 0 {
                return None;
            }
            let bit = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if let Some(&(channel, sym)) = self.pairs.get(bit) {
                return Some(RecipientDomain {
                    channel,
                    domain: Some(sym),
                    todo_count: 0,
                });
            }
        })
    }

    /// The interned set whose word is `mask` (not 0): remembered, or made and remembered.
    pub(super) fn set_of(&mut self, strings: &Interner, mask: u64) -> Sym {
        // Bits are given only for the owner's symbols (`domain_bit`).
        debug_assert!(std::ptr::eq(self.owner, strings));
        // The product's top bits, which every bit of the word reaches.
        let at = (mask.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - SET_SLOTS.trailing_zeros()))
            as usize;
        if let Some(&(word, Some(sym))) = self.sets.get(at) {
            if word == mask {
                return sym;
            }
        }
        let mut entries: smallvec::SmallVec<[RecipientDomain; 8]> = self.entries_of(mask).collect();
        let sym = intern_set(strings, &mut entries);
        if self.sets.is_empty() {
            if !std::mem::replace(&mut self.made_one, true) {
                return sym;
            }
            self.sets.resize(SET_SLOTS, (0, None));
        }
        if let Some(s) = self.sets.get_mut(at) {
            *s = (mask, Some(sym));
        }
        sym
    }
}

/// The bit of (`channel`, `sym`) in `pairs`, given now if it has none and one is left, else
/// [`NO_BIT`].
fn give_bit(
    pairs: &mut smallvec::SmallVec<[(Channel, Sym); BITS]>,
    channel: Channel,
    sym: Sym,
) -> u8 {
    // Two spellings of a domain (`MSN.com`, `msn.com`) are two slots and one pair.
    if let Some(bit) = pairs.iter().position(|&p| p == (channel, sym)) {
        return bit as u8;
    }
    if pairs.len() >= BITS {
        return NO_BIT;
    }
    pairs.push((channel, sym));
    (pairs.len() - 1) as u8
}

/// The slot of `table` (allocated now if it was not) that `s` belongs in.
fn slot<'t>(table: &'t mut Vec<Slot>, s: &[u8]) -> &'t mut Slot {
    if table.is_empty() {
        table.resize(SLOTS, Slot::EMPTY);
    }
    let at = slot_at(table, s);
    &mut table[at]
}

/// Where in `table` (allocated, its length a power of two) `s` belongs.
#[inline]
fn slot_at(table: &[Slot], s: &[u8]) -> usize {
    let mut h = rustc_hash::FxHasher::default();
    h.write(s);
    // `finish` rotates the best mixed high bits down.
    (h.finish() as usize) & (table.len() - 1)
}

/// Intern `d` lowercased, without allocating when it is lowercase already (it usually is).
fn intern_lowercase(strings: &Interner, d: &[u8]) -> Sym {
    if d.iter().any(u8::is_ascii_uppercase) {
        strings.intern(&d.to_ascii_lowercase())
    } else {
        strings.intern(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_symbols_are_the_interners() {
        let strings = Interner::new();
        let mut memo = RecipientMemo::new(&strings);
        let yahoo = memo.domain(&strings, b"Yahoo.COM");
        assert_eq!(strings.text(yahoo), "yahoo.com");
        assert_eq!(memo.domain(&strings, b"Yahoo.COM"), yahoo);
        assert_eq!(memo.domain(&strings, b"yahoo.com"), yahoo);
        // Many distinct domains evict each other and still answer right.
        for round in 0..2 {
            for i in 0..1000 {
                let d = format!("d{i}.example");
                assert_eq!(
                    memo.domain(&strings, d.as_bytes()),
                    strings.intern(d.as_bytes()),
                    "round {round}"
                );
            }
        }
        let long = "x".repeat(300);
        assert_eq!(
            memo.domain(&strings, long.as_bytes()),
            strings.intern(long.as_bytes())
        );
    }

    #[test]
    fn slices_compare_equal_exactly_when_they_are() {
        for n in 0..=super::DOMAIN_BYTES + 2 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&a, &a.clone()), "{n}");
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same(&a, &b), "{n} {i}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn another_interner_is_answered_without_the_memory() {
        let (a, b) = (Interner::new(), Interner::new());
        // A symbol is its string's shard and offset, and each interner picks shards with its
        // own random hash seed: with one string interned into `b` first, `msn.com` got the
        // same symbol in both about one run in sixteen (the same shard in both, and `b`'s one
        // string in another, so both at the shard's start). A thousand put strings before it
        // in every shard of `b`, so the two symbols differ and an answer from `a`'s memory
        // would show.
        for i in 0..1000 {
            b.intern(format!("shift{i}.example").as_bytes());
        }
        let mut memo = RecipientMemo::new(&a);
        let in_a = memo.domain(&a, b"msn.com");
        let in_b = memo.domain(&b, b"msn.com");
        assert_eq!(in_b, b.intern(b"msn.com"));
        assert_ne!(in_a, in_b);
    }
}
