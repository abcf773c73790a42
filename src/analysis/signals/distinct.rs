//! Distinct symbols counted by sorting: a cluster's distinct envelope senders.

use crate::queue::Sym;

/// Distinct symbols counted by sorting, not hashing: a flood's forged senders are a new one
/// each message, and a hash set of half a million grew and missed the cache on every insert.
/// Sorted and deduplicated whenever it has doubled, so it holds at most about twice the
/// distinct symbols (4 bytes each).
#[derive(Default)]
pub(super) struct Distinct {
    syms: Vec<u32>,
    /// Its length when last compacted.
    compacted: usize,
}

/// Below this many a [`Distinct`] is not compacted before the end.
const DISTINCT_SLACK: usize = 4096;

/// From this many symbols on they are sorted by their bits, not compared: a flood's clusters
/// hold tens of thousands of forged senders, and comparing them was 3.5 % of `top`'s
/// instructions at 100,000 messages (about 16 compare-and-moves each, against 4 counts and 3
/// moves); below it the three counting tables cost more than the comparisons.
const RADIX_FROM: usize = 1024;

impl Distinct {
    pub(super) fn add(&mut self, sym: Sym) {
        // The members of a cluster often share their sender: runs cost one entry.
        if self.syms.last() != Some(&sym.as_u32()) {
            self.syms.push(sym.as_u32());
            self.compact_if_grown();
        }
    }

    /// `other`'s symbols added (a large cluster is tallied in chunks).
    pub(super) fn merge(&mut self, other: Distinct) {
        self.syms.extend(other.syms);
        self.compact_if_grown();
    }

    fn compact_if_grown(&mut self) {
        if self.syms.len() >= DISTINCT_SLACK.max(2 * self.compacted) {
            self.compact();
        }
    }

    /// How many distinct symbols were added.
    pub(super) fn count(&mut self) -> usize {
        self.compact();
        self.syms.len()
    }

    fn compact(&mut self) {
        if self.syms.len() >= RADIX_FROM {
            radix_sort(&mut self.syms);
        } else {
            self.syms.sort_unstable();
        }
        self.syms.dedup();
        self.compacted = self.syms.len();
    }
}

/// `v` sorted, least significant digit first: three stable passes of 11, 11 and 10 bits,
/// counted in one read; a pass whose digit every value shares moves nothing and is skipped.
fn radix_sort(v: &mut Vec<u32>) {
    const SHIFTS: [u32; 3] = [0, 11, 22];
    const MASK: u32 = 0x7ff;
    let mut counts = [[0u32; 2048]; 3];
    for &x in v.iter() {
        for (c, shift) in counts.iter_mut().zip(SHIFTS) {
            c[((x >> shift) & MASK) as usize] += 1;
        }
    }
    let mut out = vec![0u32; v.len()];
    for (c, shift) in counts.iter_mut().zip(SHIFTS) {
        if c.iter().any(|&n| n as usize == v.len()) {
            continue;
        }
        let mut start = 0;
        for n in c.iter_mut() {
            let here = *n;
            *n = start;
            start += here;
        }
        for &x in v.iter() {
            let at = &mut c[((x >> shift) & MASK) as usize];
            out[*at as usize] = x;
            *at += 1;
        }
        std::mem::swap(v, &mut out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_sort_sorts_as_sort_unstable() {
        // Values spread over every digit, values sharing digits, repeats, the extremes.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u32
        };
        let spread: Vec<u32> = (0..5000).map(|_| next()).collect();
        let narrow: Vec<u32> = (0..5000).map(|_| 0x0040_0000 | (next() & 0x7ff)).collect();
        let mut mixed: Vec<u32> = (0..3000)
            .map(|i| [0, u32::MAX, 7, i][i as usize % 4])
            .collect();
        mixed.extend(spread.iter().take(100));
        for case in [spread, narrow, mixed, vec![5; 2000], Vec::new()] {
            let (mut a, mut b) = (case.clone(), case);
            radix_sort(&mut a);
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn counts_distinct_symbols_across_compactions_and_merges() {
        let sym = |n: u32| Sym::from_u32(n).expect("a symbol");
        let mut d = Distinct::default();
        let mut other = Distinct::default();
        for i in 0..20_000u32 {
            d.add(sym(1 + (i * 7919) % 9000));
            other.add(sym(5000 + i % 6000));
        }
        d.merge(other);
        assert_eq!(d.count(), 10_999);
    }
}
