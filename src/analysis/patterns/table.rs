//! The sender-pattern table's two passes: distinct senders grouped by a hash of the group's
//! lowercased text, their names told apart without sorting them by name where spelling allows.
//!
//! Both passes used to sort every distinct sender by case-insensitive byte comparisons (domain,
//! then local part; then rest of the domain, local part, first label): at 100,000 messages that
//! was 6 % of `top`'s instructions, every comparison of two senders of one flood's domain
//! walking that domain's bytes again. Here a pass hashes each sender's group once, sorts
//! `u64`s (hash, index), and counts a run of one hash as one group. A group whose senders spell
//! its text and their names' case alike has as many distinct names as senders (the senders are
//! distinct): nothing else to compare. Anything else (mixed case, an address cut to
//! [`MAX_PATTERN_INPUT`], two groups sharing a hash, senders not known distinct) is counted
//! the old way, sorted by the full order, within its run only. The answers are the same sets.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::{looks_generated, split_label, MAX_PATTERN_INPUT, MIN_DISTINCT};

/// One distinct sender while building the table: the address (cut to [`MAX_PATTERN_INPUT`]),
/// where its last `@` is, and its messages. 24 bytes, borrowing the address: a flood's million
/// forged senders were a million small allocations (and hash sets of one name) here before.
#[derive(Clone, Copy)]
pub(super) struct Sender<'a> {
    pub(super) addr: &'a [u8],
    pub(super) at: u32,
    pub(super) messages: u32,
}

impl<'a> Sender<'a> {
    pub(super) fn local(&self) -> &'a [u8] {
        &self.addr[..self.at as usize]
    }
    /// The domain as written (compared and grouped case-insensitively).
    pub(super) fn domain(&self) -> &'a [u8] {
        &self.addr[self.at as usize + 1..]
    }
    /// The domain's first label and the rest, as [`split_label`] gives them.
    pub(super) fn labels(&self) -> Option<(&'a [u8], &'a [u8])> {
        split_label(self.domain())
    }
    /// Not possibly cut: two distinct senders cut to the same bytes would be one here.
    fn whole(&self) -> bool {
        self.addr.len() < MAX_PATTERN_INPUT
    }
}

/// `a` and `b` in the order of their lowercased bytes.
pub(super) fn cmp_lower(a: &[u8], b: &[u8]) -> Ordering {
    a.iter()
        .map(u8::to_ascii_lowercase)
        .cmp(b.iter().map(u8::to_ascii_lowercase))
}

/// How a pass groups distinct senders and tells their names apart within a group.
trait Grouping<'a>: Sync {
    /// The hash of a sender's group (`None`: in no group).
    fn hash(&self, s: &Sender<'a>) -> Option<u32>;
    /// Whether two senders are in one group, case-insensitively as the pass means it.
    fn same_group(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool;
    /// With `first` the group's: distinct senders spelled as `s` is have distinct names.
    fn alike(&self, first: &Sender<'a>, s: &Sender<'a>) -> bool;
    /// By group, then name.
    fn order(&self, a: &Sender<'a>, b: &Sender<'a>) -> Ordering;
    /// Whether two senders of one group have one name.
    fn same_name(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool;
}

/// Domains whose local parts look generated, as one sender of each (its domain, lowercased, is
/// the table's entry). `distinct`: no two of `senders` are the same address.
pub(super) fn random_locals<'a>(senders: &[Sender<'a>], distinct: bool) -> Vec<Sender<'a>> {
    generated(senders, distinct, &ByDomain)
}

/// Grouped by domain, named by local part.
struct ByDomain;

impl<'a> Grouping<'a> for ByDomain {
    fn hash(&self, s: &Sender<'a>) -> Option<u32> {
        Some(high(hash_lower(0, s.domain())))
    }
    fn same_group(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool {
        a.domain().eq_ignore_ascii_case(b.domain())
    }
    // One domain spelled one way: distinct addresses differ in their local parts, the names.
    fn alike(&self, first: &Sender<'a>, s: &Sender<'a>) -> bool {
        s.whole() && s.domain() == first.domain()
    }
    fn order(&self, a: &Sender<'a>, b: &Sender<'a>) -> Ordering {
        cmp_lower(a.domain(), b.domain()).then_with(|| a.local().cmp(b.local()))
    }
    fn same_name(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool {
        a.local() == b.local()
    }
}

/// Families (lowercased local part, domain after its first label) whose first labels look
/// generated, as one sender of each. `distinct` as in [`random_locals`].
pub(super) fn random_domains<'a>(senders: &[Sender<'a>], distinct: bool) -> Vec<Sender<'a>> {
    generated(senders, distinct, &ByFamily)
}

/// Grouped by local part and the domain after its first label, named by that first label (a
/// sender without two labels is in no group).
struct ByFamily;

fn labels<'a>(s: &Sender<'a>) -> (&'a [u8], &'a [u8]) {
    s.labels().unwrap_or_default()
}

impl<'a> Grouping<'a> for ByFamily {
    fn hash(&self, s: &Sender<'a>) -> Option<u32> {
        let (_, rest) = s.labels()?;
        Some(high(hash_lower(hash_lower(0, rest), s.local())))
    }
    fn same_group(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool {
        labels(a).1.eq_ignore_ascii_case(labels(b).1) && a.local().eq_ignore_ascii_case(b.local())
    }
    // One local part and rest spelled one way, first labels in lowercase: distinct addresses
    // differ in their first labels, and so do those lowercased, the names.
    fn alike(&self, first: &Sender<'a>, s: &Sender<'a>) -> bool {
        let (label, rest) = labels(s);
        s.whole()
            && s.local() == first.local()
            && rest == labels(first).1
            && !label.iter().any(u8::is_ascii_uppercase)
    }
    fn order(&self, a: &Sender<'a>, b: &Sender<'a>) -> Ordering {
        let ((fa, ra), (fb, rb)) = (labels(a), labels(b));
        cmp_lower(ra, rb)
            .then_with(|| cmp_lower(a.local(), b.local()))
            .then_with(|| cmp_lower(fa, fb))
    }
    fn same_name(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool {
        labels(a).0.eq_ignore_ascii_case(labels(b).0)
    }
}

/// The groups of `senders` whose distinct names look generated, one sender of each, grouped and
/// named as `grouping` says.
fn generated<'a>(
    senders: &[Sender<'a>],
    distinct: bool,
    grouping: &impl Grouping<'a>,
) -> Vec<Sender<'a>> {
    // The hash above the index: a run of one hash is one group (or, rarely, several sharing
    // it), in one `u64` sort with no bytes compared. 8 bytes a sender for the while.
    let mut keyed: Vec<u64> = senders
        .par_iter()
        .enumerate()
        .filter_map(|(i, s)| Some((u64::from(grouping.hash(s)?) << 32) | i as u64))
        .collect();
    keyed.par_sort_unstable();
    let mut out = Vec::new();
    let mut run_senders: Vec<Sender<'a>> = Vec::new();
    for run in keyed.chunk_by(|a, b| a >> 32 == b >> 32) {
        // Fewer senders than names a generated group needs.
        if run.len() < MIN_DISTINCT {
            continue;
        }
        let at = |k: &u64| &senders[(k & u64::from(u32::MAX)) as usize];
        let first = at(&run[0]);
        if distinct
            && run.iter().all(|k| {
                let s = at(k);
                grouping.same_group(first, s) && grouping.alike(first, s)
            })
        {
            let messages = run.iter().map(|k| at(k).messages as usize).sum();
            if looks_generated(run.len(), messages) {
                out.push(*first);
            }
            continue;
        }
        // The old count on this run alone: sorted by group then name, each name's repeats
        // adjacent (a group's senders all share its hash, so the run holds the whole group).
        run_senders.clear();
        run_senders.extend(run.iter().map(|k| *at(k)));
        run_senders.sort_unstable_by(|a, b| grouping.order(a, b));
        for group in run_senders.chunk_by(|a, b| grouping.same_group(a, b)) {
            let names = 1 + group
                .windows(2)
                .filter(|w| !grouping.same_name(&w[0], &w[1]))
                .count();
            let messages = group.iter().map(|s| s.messages as usize).sum();
            if looks_generated(names, messages) {
                out.push(group[0]);
            }
        }
    }
    out
}

/// `h` and then the lowercased bytes of `s` hashed, eight at a time. Only runs of one hash are
/// taken for one group, so its quality costs speed, never an answer.
fn hash_lower(h: u64, s: &[u8]) -> u64 {
    // rustc-hash's multiplier; rotated so the high bits reach the low ones.
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(26);
    let mut h = mix(h, s.len() as u64);
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = mix(h, lower8(u64::from_le_bytes(b)));
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut b = [0u8; 8];
        b[..tail.len()].copy_from_slice(tail);
        h = mix(h, lower8(u64::from_le_bytes(b)));
    }
    h
}

/// A hash's 32 high bits: sorted above a sender's index in one `u64`.
fn high(h: u64) -> u32 {
    (h >> 32) as u32
}

/// The eight bytes of `x`, each `to_ascii_lowercase`d (SWAR: no byte's sum carries into the
/// next; only bytes below 0x80 in `A..=Z` gain 0x20).
fn lower8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low7 = x & (0x7f * ONES);
    let from_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let past_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = from_a & !past_z & !x & (0x80 * ONES);
    x | (upper >> 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower8_lowercases_every_byte_in_every_place() {
        for b in 0..=255u8 {
            for place in 0..8 {
                let mut bytes = *b"Ab@Z.\xc3[z";
                bytes[place] = b;
                let want = bytes.map(|c| c.to_ascii_lowercase());
                assert_eq!(lower8(u64::from_le_bytes(bytes)), u64::from_le_bytes(want));
            }
        }
    }

    /// The table's two sets, sorted: lowercased domains, and (local part, rest) families.
    type Sets = (Vec<Vec<u8>>, Vec<(Vec<u8>, Vec<u8>)>);

    /// The two sets as the table computed them before: every sender sorted by the full order,
    /// each group's distinct names counted along it.
    fn sorted_answer(list: &[Sender<'_>]) -> Sets {
        fn count<'a>(
            v: &[Sender<'a>],
            group: impl Fn(&Sender<'a>, &Sender<'a>) -> bool,
            name: impl Fn(&Sender<'a>, &Sender<'a>) -> bool,
        ) -> Vec<Sender<'a>> {
            let mut out = Vec::new();
            for g in v.chunk_by(|a, b| group(a, b)) {
                let names = 1 + g.windows(2).filter(|w| !name(&w[0], &w[1])).count();
                let messages = g.iter().map(|s| s.messages as usize).sum();
                if looks_generated(names, messages) {
                    out.push(g[0]);
                }
            }
            out
        }
        fn l<'a>(s: &Sender<'a>) -> (&'a [u8], &'a [u8]) {
            s.labels().unwrap_or_default()
        }
        let mut v = list.to_vec();
        v.sort_by(|a, b| cmp_lower(a.domain(), b.domain()).then_with(|| a.local().cmp(b.local())));
        let mut locals: Vec<Vec<u8>> = count(
            &v,
            |a, b| a.domain().eq_ignore_ascii_case(b.domain()),
            |a, b| a.local() == b.local(),
        )
        .iter()
        .map(|s| s.domain().to_ascii_lowercase())
        .collect();
        v.retain(|s| s.labels().is_some());
        v.sort_by(|a, b| {
            cmp_lower(l(a).1, l(b).1)
                .then_with(|| cmp_lower(a.local(), b.local()))
                .then_with(|| cmp_lower(l(a).0, l(b).0))
        });
        let mut domains: Vec<(Vec<u8>, Vec<u8>)> = count(
            &v,
            |a, b| l(a).1.eq_ignore_ascii_case(l(b).1) && a.local().eq_ignore_ascii_case(b.local()),
            |a, b| l(a).0.eq_ignore_ascii_case(l(b).0),
        )
        .iter()
        .map(|s| (s.local().to_ascii_lowercase(), l(s).1.to_ascii_lowercase()))
        .collect();
        locals.sort();
        domains.sort();
        (locals, domains)
    }

    fn answer(locals: Vec<Sender<'_>>, domains: Vec<Sender<'_>>) -> Sets {
        let mut l: Vec<Vec<u8>> = locals
            .iter()
            .map(|s| s.domain().to_ascii_lowercase())
            .collect();
        let mut d: Vec<(Vec<u8>, Vec<u8>)> = domains
            .iter()
            .map(|s| {
                let rest = s.labels().unwrap_or_default().1;
                (s.local().to_ascii_lowercase(), rest.to_ascii_lowercase())
            })
            .collect();
        l.sort();
        d.sort();
        (l, d)
    }

    /// Forged names at a few domains in mixed case, random first labels under a few families,
    /// addresses cut to the same bytes, one-label domains: every path of [`generated`].
    fn senders(seed: u64, n: usize) -> Vec<Vec<u8>> {
        let mut x = seed | 1;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m) as usize
        };
        let word = |next: &mut dyn FnMut(u64) -> usize, len: usize| -> Vec<u8> {
            (0..1 + next(len as u64))
                .map(|_| b"abcAB"[next(5)])
                .collect()
        };
        let long = vec![b'z'; MAX_PATTERN_INPUT];
        let mut out: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                let local = word(&mut next, 4);
                let domain: Vec<u8> = match next(7) {
                    0 => b"philadefender.org".to_vec(),
                    1 => b"PhilaDefender.org".to_vec(),
                    2 => [word(&mut next, 3), b".biz".to_vec()].concat(),
                    3 => [word(&mut next, 2), b".Biz".to_vec()].concat(),
                    4 => b"localhost".to_vec(),
                    // One spelling only: its group needs no names compared.
                    5 => b"forged.example".to_vec(),
                    _ => [&long[..], b".com"].concat(),
                };
                [local, b"@".to_vec(), domain].concat()
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// `G`'s groups, every one hashed alike: one run holds them all.
    struct OneHash<G>(G);

    impl<'a, G: Grouping<'a>> Grouping<'a> for OneHash<G> {
        fn hash(&self, s: &Sender<'a>) -> Option<u32> {
            self.0.hash(s).map(|_| 7)
        }
        fn same_group(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool {
            self.0.same_group(a, b)
        }
        fn alike(&self, first: &Sender<'a>, s: &Sender<'a>) -> bool {
            self.0.alike(first, s)
        }
        fn order(&self, a: &Sender<'a>, b: &Sender<'a>) -> Ordering {
            self.0.order(a, b)
        }
        fn same_name(&self, a: &Sender<'a>, b: &Sender<'a>) -> bool {
            self.0.same_name(a, b)
        }
    }

    #[test]
    fn hashed_runs_answer_as_the_sorted_table_did() {
        for seed in 1..40u64 {
            let addrs = senders(seed, 50 + 40 * seed as usize);
            let list: Vec<Sender<'_>> = addrs
                .iter()
                .map(|a| {
                    let a = &a[..a.len().min(MAX_PATTERN_INPUT)];
                    let at = a.iter().rposition(|&b| b == b'@').expect("an @");
                    Sender {
                        addr: a,
                        at: at as u32,
                        messages: 1 + (a.len() % 4) as u32,
                    }
                })
                .collect();
            let want = sorted_answer(&list);
            for distinct in [true, false] {
                let got = answer(
                    random_locals(&list, distinct),
                    random_domains(&list, distinct),
                );
                assert_eq!(got, want, "seed {seed}, distinct {distinct}");
                // Every group in one run of one hash.
                let got = answer(
                    generated(&list, distinct, &OneHash(ByDomain)),
                    generated(&list, distinct, &OneHash(ByFamily)),
                );
                assert_eq!(got, want, "seed {seed}, distinct {distinct}, one hash");
            }
        }
    }

    #[test]
    fn equal_texts_lowercased_hash_alike() {
        assert_eq!(
            hash_lower(0, b"PhilaDefender.ORG"),
            hash_lower(0, b"philadefender.org")
        );
        assert_eq!(
            hash_lower(hash_lower(0, b"Biz"), b"NoReply"),
            hash_lower(hash_lower(0, b"biz"), b"noreply")
        );
    }
}
