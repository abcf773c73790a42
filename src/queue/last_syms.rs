//! A scan thread's memory of the string it interned last for each header field, so a flood's
//! repeated values skip the interner.
//!
//! A flood's messages, read in (bucket, id) order, repeat their origin's IP, host, HELO,
//! protocol and login, their mailer and script, often their Subject: interning each again costs
//! a hash, a shard lock and a table probe, the largest user-space cost of the header pass. Equal
//! bytes always intern to the same [`Sym`], so answering from the last one is exact; the memory
//! is one interner's only (a different interner empties it).

use crate::queue::{Interner, Sym};

/// The fields remembered, one slot each.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot {
    Ip,
    Host,
    Helo,
    Protocol,
    AuthUser,
    Script,
    SubjectRaw,
    Subject,
    From,
    FromName,
    Mailer,
}

const SLOTS: usize = Slot::Mailer as usize + 1;

/// Longer values are interned but not remembered: the memory stays a few KiB whatever the
/// headers hold.
const MAX_REMEMBERED: usize = 256;

/// The last value interned in each [`Slot`], and its symbol.
#[derive(Default)]
pub(crate) struct LastSyms {
    /// The interner the symbols belong to (compared by address, never dereferenced).
    owner: usize,
    last: [(Vec<u8>, Option<Sym>); SLOTS],
}

impl LastSyms {
    /// `strings.intern(v)`, answered from the last value of `slot` when it is the same.
    pub(crate) fn intern(&mut self, strings: &Interner, slot: Slot, v: &[u8]) -> Sym {
        let owner = std::ptr::from_ref(strings) as usize;
        if self.owner != owner {
            self.owner = owner;
            self.last.iter_mut().for_each(|l| l.1 = None);
        }
        let (bytes, sym) = &mut self.last[slot as usize];
        if let Some(s) = *sym {
            if bytes.as_slice() == v {
                return s;
            }
        }
        let s = strings.intern(v);
        if v.len() <= MAX_REMEMBERED {
            bytes.clear();
            bytes.extend_from_slice(v);
            *sym = Some(s);
        } else {
            *sym = None;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_symbols_are_the_interners() {
        let strings = Interner::new();
        let mut last = LastSyms::default();
        let a = last.intern(&strings, Slot::Ip, b"1.2.3.4");
        assert_eq!(last.intern(&strings, Slot::Ip, b"1.2.3.4"), a);
        let b = last.intern(&strings, Slot::Ip, b"5.6.7.8");
        assert_ne!(a, b);
        assert_eq!(strings.text(b), "5.6.7.8");
        // Another slot, same bytes: the interner's one symbol.
        assert_eq!(last.intern(&strings, Slot::Host, b"1.2.3.4"), a);
        let long = vec![b'x'; MAX_REMEMBERED + 1];
        let l = last.intern(&strings, Slot::Subject, &long);
        assert_eq!(last.intern(&strings, Slot::Subject, &long), l);
    }

    #[test]
    fn another_interner_empties_the_memory() {
        let first = Interner::new();
        let mut last = LastSyms::default();
        // Strings in every shard before it, so its symbol is not the empty interner's first.
        for i in 0..4096 {
            first.intern(format!("padding {i}").as_bytes());
        }
        let a = last.intern(&first, Slot::Ip, b"1.2.3.4");
        let second = Interner::new();
        let b = last.intern(&second, Slot::Ip, b"1.2.3.4");
        assert_eq!(second.text(b), "1.2.3.4");
        assert_ne!(a, b);
    }
}
