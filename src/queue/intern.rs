//! String interner that keeps 1,000,000 records small: each distinct byte string is stored once.
//!
//! Written here rather than taken from a crate because it must intern *bytes* (senders and
//! subjects need not be UTF-8) from many scan threads at once; the common interners are either
//! `str`-only or single-threaded. Sharding by hash keeps lock contention low during the parallel
//! scan; strings are never removed, so a [`Sym`] stays valid for the interner's life.
//!
//! Each shard keeps its strings back to back in one byte vector, each after its length (one
//! byte below 128), and a hash table of their 4-byte offsets: about 9 bytes a string beside
//! the bytes themselves. A flood's forged senders and harvested recipients are hundreds of
//! thousands of distinct strings; one allocation per string (an `Arc<[u8]>`: 16-byte header,
//! allocator overhead, a 16-byte pointer to it) cost about 60 bytes more each. A symbol is its
//! string's offset, so a lookup reads the table and then the string, one cache miss fewer than
//! through a vector of where each string ends (a third of a lookup's misses in a table of
//! hundreds of thousands of strings).

use std::hash::BuildHasher;
use std::num::NonZeroU32;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use hashbrown::{DefaultHashBuilder, HashTable};

const SHARD_BITS: u32 = 4;
const SHARDS: usize = 1 << SHARD_BITS;

/// A handle to an interned byte string (4 bytes; `Option<Sym>` is 4 bytes too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(NonZeroU32);

impl Sym {
    /// The symbol of the string at `offset` of shard `shard`; `offset` is below
    /// [`MAX_OFFSET`] ([`Interner::intern`] checks before it stores a string).
    fn new(shard: usize, offset: usize) -> Sym {
        let offset = u32::try_from(offset)
            .ok()
            .filter(|&o| (o as usize) < MAX_OFFSET)
            .expect("the interner checks a string's offset before it stores it");
        let raw = (offset << SHARD_BITS | shard as u32).wrapping_add(1);
        Sym(NonZeroU32::new(raw).expect("raw is at most 2^32 - 1 before the add"))
    }
    fn parts(self) -> (usize, usize) {
        let raw = self.0.get() - 1;
        ((raw as usize) & (SHARDS - 1), (raw >> SHARD_BITS) as usize)
    }
    /// The symbol [`Sym::as_u32`] gave, `None` for 0 (for compact encodings of symbols).
    pub(crate) fn from_u32(raw: u32) -> Option<Sym> {
        NonZeroU32::new(raw).map(Sym)
    }
    /// The symbol as a plain number (for compact keys and sorting).
    pub fn as_u32(self) -> u32 {
        self.0.get()
    }
}

/// Where a shard's strings may start: a [`Sym`] holds the offset in the bits the shard number
/// leaves (256 MiB a shard, 4 GiB in all).
const MAX_OFFSET: usize = 1 << (32 - SHARD_BITS);

/// What a string interned into a full shard reads as. Only a queue of more than 4 GiB of
/// distinct header values and addresses (hostile, or far beyond a flood) fills a shard; its
/// further new strings then share this one visible value instead of ending the scan.
pub const OVERFLOW_TEXT: &str = "(too many distinct strings to keep)";

#[derive(Default)]
struct Shard {
    /// Offsets of strings, found by the hash of their bytes.
    table: HashTable<u32>,
    /// Every string of the shard, back to back, each after its length ([`push_len`]).
    bytes: Vec<u8>,
    /// How many strings.
    count: usize,
}

/// Append `len` as LEB128: one byte for the short strings nearly all are.
fn push_len(bytes: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        bytes.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    bytes.push(len as u8);
}

/// The string at `offset` of a shard's `bytes`, if one starts there.
fn string_at(bytes: &[u8], offset: usize) -> Option<&[u8]> {
    let mut len = 0usize;
    let mut at = offset;
    for shift in (0..usize::BITS).step_by(7) {
        let b = *bytes.get(at)?;
        at += 1;
        len |= usize::from(b & 0x7f).checked_shl(shift)?;
        if b < 0x80 {
            return bytes.get(at..at.checked_add(len)?);
        }
    }
    None
}

impl Shard {
    /// The bytes of the string at `offset`, if there is one.
    fn get(&self, offset: usize) -> Option<&[u8]> {
        string_at(&self.bytes, offset)
    }

    /// Does the string at `offset` hold exactly `bytes`?
    fn holds(&self, offset: u32, bytes: &[u8]) -> bool {
        self.get(offset as usize) == Some(bytes)
    }

    fn len(&self) -> usize {
        self.count
    }
}

/// A read-only view of every string of an [`Interner`] ([`Interner::read_all`]).
pub struct Strings<'a> {
    shards: Vec<RwLockReadGuard<'a, Shard>>,
}

impl Strings<'_> {
    /// The bytes of `sym`, borrowed for the view's life.
    ///
    /// # Panics
    /// As [`Interner::resolve`].
    pub fn get(&self, sym: Sym) -> &[u8] {
        let (shard_no, index) = sym.parts();
        self.shards[shard_no]
            .get(index)
            .expect("a Sym is only resolved by the interner that made it")
    }
}

/// A thread-safe byte-string interner.
pub struct Interner {
    hasher: DefaultHashBuilder,
    shards: Box<[RwLock<Shard>]>,
    /// Where a shard's strings may start ([`MAX_OFFSET`], smaller in tests).
    limit: usize,
}

impl Default for Interner {
    fn default() -> Self {
        Interner::new()
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Interner({} strings)", self.len())
    }
}

impl Interner {
    /// An empty interner.
    pub fn new() -> Interner {
        Interner::with_limit(MAX_OFFSET)
    }

    /// An empty interner whose shards take no string starting at or past `limit` bytes.
    fn with_limit(limit: usize) -> Interner {
        let mut shards: Box<[RwLock<Shard>]> = (0..SHARDS).map(|_| RwLock::default()).collect();
        // The overflow value sits at the start of shard 0 ([`Interner::overflow`]), outside its
        // table and count: always there, and never mistaken for an interned string.
        if let Some(first) = shards.first_mut() {
            let first = first.get_mut().unwrap_or_else(|e| e.into_inner());
            push_len(&mut first.bytes, OVERFLOW_TEXT.len());
            first.bytes.extend_from_slice(OVERFLOW_TEXT.as_bytes());
        }
        Interner {
            hasher: DefaultHashBuilder::default(),
            shards,
            limit: limit.min(MAX_OFFSET),
        }
    }

    /// The symbol a string interned into a full shard gets: [`OVERFLOW_TEXT`].
    pub fn overflow(&self) -> Sym {
        Sym::new(0, 0)
    }

    /// Intern `bytes`, returning the same [`Sym`] for equal bytes.
    pub fn intern(&self, bytes: &[u8]) -> Sym {
        let hash = self.hasher.hash_one(bytes);
        let shard_no = (hash as usize) & (SHARDS - 1);
        let lock = &self.shards[shard_no];
        {
            let shard = lock.read().unwrap_or_else(|e| e.into_inner());
            if let Some(&i) = shard.table.find(hash, |&i| shard.holds(i, bytes)) {
                return Sym::new(shard_no, i as usize);
            }
        }
        let mut guard = lock.write().unwrap_or_else(|e| e.into_inner());
        let shard = &mut *guard;
        if let Some(&i) = shard.table.find(hash, |&i| shard.holds(i, bytes)) {
            return Sym::new(shard_no, i as usize);
        }
        let offset = shard.bytes.len();
        if offset >= self.limit {
            return self.overflow();
        }
        let sym = Sym::new(shard_no, offset);
        push_len(&mut shard.bytes, bytes.len());
        shard.bytes.extend_from_slice(bytes);
        shard.count += 1;
        let Shard { table, bytes, .. } = shard;
        // Checked above: the offset fits the 28 bits of a symbol.
        table.insert_unique(hash, offset as u32, |&o| {
            self.hasher
                .hash_one(string_at(bytes, o as usize).unwrap_or_default())
        });
        sym
    }

    /// The bytes of `sym`.
    ///
    /// # Panics
    /// If `sym` came from another interner (a programming error, not an input error).
    pub fn resolve(&self, sym: Sym) -> Arc<[u8]> {
        self.with(sym, |b| Arc::from(b))
    }

    /// The bytes of `sym` as (lossy) UTF-8 text.
    ///
    /// # Panics
    /// As [`Interner::resolve`].
    pub fn text(&self, sym: Sym) -> String {
        self.with(sym, |b| String::from_utf8_lossy(b).into_owned())
    }

    /// The order of the bytes of `a` and `b`, without copying them out: for sorting many
    /// symbols by their text.
    ///
    /// # Panics
    /// As [`Interner::resolve`].
    pub fn cmp_bytes(&self, a: Sym, b: Sym) -> std::cmp::Ordering {
        let ((shard_a, i), (shard_b, j)) = (a.parts(), b.parts());
        // Two shards are always locked lower first: a reader waits behind a queued writer, so
        // two comparisons locking in opposite orders, with a writer queued on each shard,
        // would wait for each other forever.
        if shard_a > shard_b {
            return self.cmp_bytes(b, a).reverse();
        }
        let read = |n: usize| self.shards[n].read().unwrap_or_else(|e| e.into_inner());
        const MISSING: &str = "a Sym is only resolved by the interner that made it";
        // One lock when both are in the same shard: a second read of the same lock could
        // wait behind a writer queued between the two.
        let first = read(shard_a);
        let x = first.get(i).expect(MISSING);
        if shard_a == shard_b {
            return x.cmp(first.get(j).expect(MISSING));
        }
        let second = read(shard_b);
        x.cmp(second.get(j).expect(MISSING))
    }

    /// Call `f` with the bytes of `sym`, under the shard's read lock (so `f` must not intern).
    pub(crate) fn with<T>(&self, sym: Sym, f: impl FnOnce(&[u8]) -> T) -> T {
        let (shard_no, index) = sym.parts();
        let shard = self.shards[shard_no]
            .read()
            .unwrap_or_else(|e| e.into_inner());
        f(shard
            .get(index)
            .expect("a Sym is only resolved by the interner that made it"))
    }

    /// Every shard read-locked at once, to borrow many strings without copying them out (the
    /// sender-pattern table borrows a flood's million senders). Nothing may be interned through
    /// this interner on this thread while the view lives; other threads' interning waits.
    pub fn read_all(&self) -> Strings<'_> {
        // Lower shards first, as `cmp_bytes` locks: a writer holds one shard only, so no cycle.
        Strings {
            shards: self
                .shards
                .iter()
                .map(|s| s.read().unwrap_or_else(|e| e.into_inner()))
                .collect(),
        }
    }

    /// How many distinct strings are stored.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.read().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// True when nothing has been interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the strings and their indices (for the memory benchmark).
    pub fn heap_bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.read().unwrap_or_else(|e| e.into_inner());
                // A table slot is a u32 and a control byte.
                s.bytes.capacity() + s.table.capacity() * 5
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_give_equal_syms() {
        let i = Interner::new();
        let a = i.intern(b"test@example.com");
        let b = i.intern(b"test@example.com");
        let c = i.intern(b"\xff\x00binary");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(&*i.resolve(c), b"\xff\x00binary");
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn empty_and_neighbouring_strings_stay_apart() {
        let i = Interner::new();
        let syms: Vec<Sym> = ["", "a", "", "ab", "b", "a"]
            .iter()
            .map(|t| i.intern(t.as_bytes()))
            .collect();
        assert_eq!((syms[0], syms[1]), (syms[2], syms[5]));
        assert_eq!(i.len(), 4);
        for (sym, want) in syms.iter().zip(["", "a", "", "ab", "b", "a"]) {
            assert_eq!(i.text(*sym), want);
            assert_eq!(&*i.resolve(*sym), want.as_bytes());
        }
    }

    #[test]
    fn long_strings_keep_their_length() {
        let i = Interner::new();
        let words: Vec<Vec<u8>> = [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000]
            .iter()
            .map(|&n| (0..n).map(|k| (k % 251) as u8).collect())
            .collect();
        let syms: Vec<Sym> = words.iter().map(|w| i.intern(w)).collect();
        for (sym, w) in syms.iter().zip(&words) {
            assert_eq!(&*i.resolve(*sym), &w[..], "{} bytes", w.len());
            assert_eq!(i.intern(w), *sym);
        }
        assert_eq!(i.len(), words.len());
    }

    #[test]
    fn a_full_shard_gives_the_overflow_value_not_a_panic() {
        let i = Interner::with_limit(64);
        let words: Vec<String> = (0..200).map(|n| format!("sender{n}@example.net")).collect();
        let syms: Vec<Sym> = words.iter().map(|w| i.intern(w.as_bytes())).collect();
        let overflowed = syms.iter().filter(|&&s| s == i.overflow()).count();
        // 16 shards of at most 64 bytes hold a few dozen of the 200 addresses.
        assert!(overflowed > 100, "{overflowed} of 200 overflowed");
        assert_eq!(i.len(), 200 - overflowed);
        assert_eq!(&*i.resolve(i.overflow()), OVERFLOW_TEXT.as_bytes());
        for (w, s) in words.iter().zip(&syms) {
            if *s != i.overflow() {
                assert_eq!(&*i.resolve(*s), w.as_bytes());
                assert_eq!(i.intern(w.as_bytes()), *s, "kept strings are still found");
            }
        }
        // The overflow value is not an interned string: interning its text stores it anew.
        let j = Interner::new();
        assert_ne!(j.intern(OVERFLOW_TEXT.as_bytes()), j.overflow());
        assert_eq!(j.len(), 1);
    }

    #[test]
    fn cmp_bytes_orders_as_the_bytes_do_within_and_across_shards() {
        let i = Interner::new();
        let words: Vec<Vec<u8>> = (0..200u32)
            .map(|n| format!("w{}", n * 7919 % 1000).into_bytes())
            .chain([Vec::new(), b"\xff".to_vec(), b"w".to_vec()])
            .collect();
        let syms: Vec<Sym> = words.iter().map(|w| i.intern(w)).collect();
        let shards: std::collections::HashSet<usize> = syms.iter().map(|s| s.parts().0).collect();
        assert!(shards.len() > 1, "the words span shards");
        for (a, wa) in syms.iter().zip(&words) {
            for (b, wb) in syms.iter().zip(&words) {
                assert_eq!(i.cmp_bytes(*a, *b), wa.cmp(wb), "{wa:?} {wb:?}");
            }
        }
    }

    #[test]
    fn many_threads_agree() {
        let i = Interner::new();
        let syms: Vec<Vec<Sym>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        (0..2000)
                            .map(|n| i.intern(format!("user{n}@x").as_bytes()))
                            .collect()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        assert!(syms.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(i.len(), 2000);
        assert_eq!(&*i.resolve(syms[0][1999]), b"user1999@x");
    }
}
