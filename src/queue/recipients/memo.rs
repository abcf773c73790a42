//! A reading thread's memory of the recipient domains it interned lately, so a flood's repeats
//! skip the interner.
//!
//! A relay flood's recipients share a few dozen domains: interning each again (a message's four
//! or five distinct ones) cost a hash, a shard lock both scan threads contend for and a table
//! probe. Equal bytes always intern to the same [`Sym`], so answering from memory is exact. Each
//! slot holds one domain, chosen by its hash: a new one evicts the old one, so the memory stays
//! a few KiB and hostile input (every domain distinct, or too long to keep) costs what interning
//! costs. (Domain sets were remembered too, and gained nothing: callgrind counted the memory's
//! hashing and compares at what the interner's probes cost, at a 41 % hit rate.)

use std::hash::Hasher;

use crate::queue::{Interner, Sym};

/// Slots for domains (a power of two).
const SLOTS: usize = 128;
/// The longest domain kept: longer ones are interned but not remembered.
const DOMAIN_BYTES: usize = 46;

/// One remembered domain and its symbol; `len` 0 is an empty slot (an empty domain is never
/// asked for: an address without one has none to intern).
#[derive(Clone, Copy)]
struct Slot {
    len: u8,
    bytes: [u8; DOMAIN_BYTES],
    sym: Option<Sym>,
}

impl Slot {
    const EMPTY: Slot = Slot {
        len: 0,
        bytes: [0; DOMAIN_BYTES],
        sym: None,
    };

    fn holds(&self, s: &[u8]) -> Option<Sym> {
        (usize::from(self.len) == s.len() && self.bytes[..s.len()] == *s)
            .then_some(self.sym)
            .flatten()
    }

    fn keep(&mut self, s: &[u8], sym: Sym) {
        if let (Ok(len), Some(to)) = (u8::try_from(s.len()), self.bytes.get_mut(..s.len())) {
            to.copy_from_slice(s);
            self.len = len;
            self.sym = Some(sym);
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
}

impl<'s> RecipientMemo<'s> {
    /// An empty memory of `owner`'s symbols.
    pub fn new(owner: &'s Interner) -> RecipientMemo<'s> {
        RecipientMemo {
            owner,
            slots: Vec::new(),
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
}

/// The slot of `table` (allocated now if it was not) that `s` belongs in.
fn slot<'t>(table: &'t mut Vec<Slot>, s: &[u8]) -> &'t mut Slot {
    if table.is_empty() {
        table.resize(SLOTS, Slot::EMPTY);
    }
    let mut h = rustc_hash::FxHasher::default();
    h.write(s);
    // `finish` rotates the best mixed high bits down; the table's length is a power of two.
    let mask = table.len() - 1;
    &mut table[(h.finish() as usize) & mask]
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
