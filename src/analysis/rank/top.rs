//! `top`'s selection: each key's candidate clusters scored as they come, then the culprits,
//! suspects and a few legitimate-looking clusters taken so that none is mostly covered by one
//! listed before it, with the member lists let go of recomputed only when needed.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Ordering;

use super::members::MemberBits;
use super::quick::{quick, Quick};
use super::{assess_all, frac, score_only, Corpus, Verdict, COVERED, LEGIT_SHOWN, TOP_KEYS};
use crate::analysis::grouping::{self, members_with_facts, value_with_facts};
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::analysis::patterns::SenderPatterns;
use crate::analysis::types::Cluster;
use crate::queue::OriginKind;

/// The likely culprits across [`TOP_KEYS`], highest score first, at most `limit` of them, then
/// up to [`LEGIT_SHOWN`] legitimate-looking clusters (largest first, among each key's
/// [`LEGIT_CONSIDERED`] largest) so the operator sees what must not be removed. A cluster
/// whose messages are mostly ([`COVERED`]) in one listed before it is skipped: the IPs of a
/// listed AUTH user are not listed again. `(none)` clusters and origin clusters other than
/// `bounce` are not candidates. Considering only each key's largest legitimate-looking
/// clusters can leave out a smaller one when the larger are nearly all covered by culprits;
/// it keeps `top`'s memory bounded at a million messages.
pub fn top(corpus: &Corpus<'_>, table: &SenderPatterns, limit: usize) -> Vec<Cluster> {
    top_and_more(corpus, table, limit).0
}

/// [`top`], and how many suspects `limit` left out (`top` prints "+N more"). Every culprit
/// is listed whatever `limit` says: the limit trims the suspects after them. The culprits are
/// chosen the most specific key first (so a login is listed before its IPs) and shown by
/// order of magnitude, then score, so a large source is never below a tiny one with the same
/// verdict.
pub fn top_and_more(
    corpus: &Corpus<'_>,
    table: &SenderPatterns,
    limit: usize,
) -> (Vec<Cluster>, usize) {
    let bounce = OriginKind::ALL
        .iter()
        .position(|k| *k == OriginKind::Bounce);
    let listable = |v: Option<KeyValue>| match v {
        None => false,
        Some(KeyValue::Origin(o)) => Some(o.0 as usize) == bounce,
        Some(_) => true,
    };
    let of_keys = |keys: &[(usize, ClusterKey)]| -> Vec<(usize, Vec<Candidate>)> {
        keys.iter()
            .map(|&(rank, key)| {
                let found = candidates(corpus, corpus.extractor(key, table), listable);
                let found = found.into_iter().map(|(c, bits)| (rank, c, bits));
                (rank, found.collect())
            })
            .collect()
    };
    // The keys are independent. Grouped all at once, a flood's largest groupings (HELOs,
    // sender patterns, subjects: hundreds of thousands of values each) were held two or three
    // at once; one after the other, each grouping (one core) left the other core idle. So two
    // chains run side by side, each one key at a time: the keys a flood makes many values of
    // (forged senders, random HELOs) on one, the others on the other; at most two groupings
    // are alive, one of them small unless the subjects are many too.
    let (many, rest): (Vec<_>, Vec<_>) = TOP_KEYS
        .iter()
        .copied()
        .enumerate()
        .partition(|(_, k)| MANY_VALUED.contains(k));
    let (mut per_key, other) = rayon::join(|| of_keys(&many), || of_keys(&rest));
    per_key.extend(other);
    // Taken in key order, as when grouped one after the other (ties keep it).
    per_key.sort_by_key(|(rank, _)| *rank);
    let mut candidates: Vec<Candidate> = per_key.into_iter().flat_map(|(_, found)| found).collect();
    candidates.sort_by(|(ra, a, _), (rb, b, _)| {
        b.score
            .total_cmp(&a.score)
            .then(b.messages.cmp(&a.messages))
            .then(ra.cmp(rb))
    });
    let mut covered = vec![false; corpus.records.len()];
    let mut out = Vec::new();
    let (mut culprits, rest): (Vec<_>, Vec<_>) = candidates
        .into_iter()
        .partition(|(_, c, _)| c.verdict() == Verdict::Culprit);
    // Culprits are chosen the most specific key first (the login before its IPs, patterns
    // and HELO), so what is listed names what the operator can act on: a password, a script.
    culprits.sort_by(|(ra, a, _), (rb, b, _)| {
        ra.cmp(rb)
            .then(b.score.total_cmp(&a.score))
            .then(b.messages.cmp(&a.messages))
    });
    let (suspects, mut legit): (Vec<_>, Vec<_>) = rest
        .into_iter()
        .partition(|(_, c, _)| c.verdict() == Verdict::Suspect);
    let mut let_go = LetGo::new(corpus, table, [&culprits, &suspects, &legit]);
    take_uncovered(culprits, usize::MAX, &mut covered, &mut out, |c| {
        let_go.members(c)
    });
    sort_largest_first(&mut out);
    let room = limit.saturating_sub(out.len());
    let listed = out.len();
    let more = take_uncovered(suspects, room, &mut covered, &mut out, |c| {
        let_go.members(c)
    });
    sort_largest_first(&mut out[listed..]);
    // What the culprits and suspects hold, those the limit left out too: a kept cluster says
    // of which of its messages its "keep" is not (review58: cut suspects' went unsaid).
    let ranked_cover = covered.clone();
    legit.sort_by(|(ra, a, _), (rb, b, _)| b.messages.cmp(&a.messages).then(ra.cmp(rb)));
    take_first_uncovered(legit, LEGIT_SHOWN, &mut covered, &mut out, |c| {
        let_go.members(c)
    });
    // The same score again, now with its reasons.
    assess_all(&mut out, corpus);
    shared::note_shared(&mut out, corpus, &ranked_cover);
    (out, more)
}

/// The larger order of magnitude first, then the higher score, then the larger (the sort is
/// stable: ties keep the ranking's order). A 6,000-message script is never below a 22-message
/// subject with the same verdict; among sources of like size the evidence decides.
pub(super) fn sort_largest_first(clusters: &mut [Cluster]) {
    let magnitude = |c: &Cluster| c.messages.max(1).ilog10();
    clusters.sort_by(|a, b| {
        magnitude(b)
            .cmp(&magnitude(a))
            .then(b.score.total_cmp(&a.score))
            .then(b.messages.cmp(&a.messages))
    });
}

/// The keys whose values a flood makes many of: forged senders, random HELOs.
const MANY_VALUED: [ClusterKey; 2] = [ClusterKey::SenderPattern, ClusterKey::Helo];

/// One key's clusters that `top` may list, in list order: every culprit and suspect, and the
/// first legitimate-looking ones ([`keep_few_legitimate`]). `listable` says which values are
/// candidates at all.
///
/// A flood's random HELOs and forged senders make hundreds of thousands of one-message
/// clusters, all legitimate-looking: each is scored (a small cluster can still be a suspect:
/// log findings add points without a cap) from the compact grouping, one at a time, and only
/// the few kept become [`Cluster`]s; a large one's members are kept as [`MemberBits`] (its
/// member list empty).
pub(super) fn candidates(
    corpus: &Corpus<'_>,
    ex: KeyExtractor<'_>,
    listable: impl Fn(Option<KeyValue>) -> bool + Sync,
) -> Vec<(Cluster, Option<MemberBits>)> {
    let key = ex.key();
    let g = grouping::group(
        corpus.records,
        corpus.ctx,
        value_with_facts(ex, corpus.facts),
    );
    let order = |a: usize, b: usize| g.list_order(a, b, corpus.strings);
    // Scores only: the reasons are written for the few clusters listed. Kept as they come, so
    // that what a flood's hundreds of thousands of one-message clusters leave is a few hundred
    // scores, not one each (10 MB at a million messages).
    // A cluster whose members' flag bits say it scores 0, or cannot reach a suspect, is not
    // measured: most of a flood's one-message clusters and the real mail's (`quick.rs`). Only
    // the few legitimate-looking ones kept are scored, at the end.
    let score = |c: usize| score_only(&g.cluster(key, c, true), corpus);
    let scored = g
        .all()
        .into_par_iter()
        .filter(|&c| listable(g.value(c)))
        .fold(Scored::default, |mut kept, c| {
            let seen = corpus.facts.seen(g.members(c));
            match quick(&g.cluster(key, c, false), seen, corpus) {
                Quick::Zero => kept.push(c, 0.0, order),
                Quick::Legitimate => kept.push_legitimate(c, order),
                Quick::Measure => kept.push(c, score(c), order),
            }
            kept
        })
        .reduce(Scored::default, |a, b| a.merge(b, order));
    keep_few_legitimate(scored, order)
        .into_iter()
        .map(|(c, score_if_known, with_members)| {
            let score = score_if_known.unwrap_or_else(|| score(c));
            let records = corpus.records.len();
            let bits = with_members
                .then(|| MemberBits::of(g.members(c), records))
                .flatten();
            let mut cluster = g.cluster(key, c, with_members && bits.is_none());
            cluster.score = score;
            (cluster, bits)
        })
        .collect()
}

/// A cluster `top` may list: its key's place in [`TOP_KEYS`], the cluster, and its members as
/// bits when they are many (the cluster's own list then empty).
pub(super) type Candidate = (usize, Cluster, Option<MemberBits>);

/// Legitimate-looking clusters of one key that `top` considers listing: the largest.
pub const LEGIT_CONSIDERED: usize = 64;
/// Of those, how many keep their member lists; the others' are recomputed if `top` reaches
/// them (all larger ones of the key were already covered by listed clusters).
pub(super) const LEGIT_MEMBERS_KEPT: usize = 4 * LEGIT_SHOWN;

/// One key's scored clusters (cluster, score) as they come: every culprit and suspect, and the
/// legitimate-looking ones that may still be among the [`LEGIT_CONSIDERED`] first in list
/// order, their score `None` when only known to be below a suspect's ([`Quick::Legitimate`]).
/// Those are trimmed back to that many whenever twice as many have gathered, so a key's
/// scores take a bounded buffer whatever its number of clusters; the first ones in list order
/// (a total order: a key's values are distinct) are the same as from the full list.
#[derive(Default)]
pub(super) struct Scored {
    ranked: Vec<(usize, f64)>,
    legit: Vec<(usize, Option<f64>)>,
}

impl Scored {
    /// Add cluster `c` with its score.
    fn push(&mut self, c: usize, score: f64, order: impl Fn(usize, usize) -> Ordering) {
        if Verdict::of(score) == Verdict::Legitimate {
            self.add_legitimate(c, Some(score), order);
        } else {
            self.ranked.push((c, score));
        }
    }

    /// Add cluster `c`, known to be legitimate-looking, its score not computed.
    fn push_legitimate(&mut self, c: usize, order: impl Fn(usize, usize) -> Ordering) {
        self.add_legitimate(c, None, order);
    }

    fn add_legitimate(
        &mut self,
        c: usize,
        score: Option<f64>,
        order: impl Fn(usize, usize) -> Ordering,
    ) {
        self.legit.push((c, score));
        if self.legit.len() >= 2 * LEGIT_CONSIDERED {
            self.trim(order);
        }
    }

    /// Both halves' clusters, trimmed again.
    fn merge(mut self, other: Scored, order: impl Fn(usize, usize) -> Ordering) -> Scored {
        self.ranked.extend(other.ranked);
        self.legit.extend(other.legit);
        self.trim(order);
        self
    }

    /// Drop the legitimate-looking clusters after the [`LEGIT_CONSIDERED`] first in list order.
    fn trim(&mut self, order: impl Fn(usize, usize) -> Ordering) {
        if self.legit.len() > LEGIT_CONSIDERED {
            self.legit
                .select_nth_unstable_by(LEGIT_CONSIDERED - 1, |a, b| order(a.0, b.0));
            self.legit.truncate(LEGIT_CONSIDERED);
        }
    }
}

/// Of one key's `scored` clusters, keep every culprit and suspect but only the
/// [`LEGIT_CONSIDERED`] first legitimate-looking ones in list order (`order`), the
/// [`LEGIT_MEMBERS_KEPT`] first of those with their members (the bool); in list order, each
/// with its score when known.
pub(super) fn keep_few_legitimate(
    scored: Scored,
    order: impl Fn(usize, usize) -> Ordering + Copy,
) -> Vec<(usize, Option<f64>, bool)> {
    let mut scored = scored;
    scored.trim(order);
    let Scored { ranked, mut legit } = scored;
    legit.sort_by(|a, b| order(a.0, b.0));
    let legit = legit
        .into_iter()
        .enumerate()
        .map(|(i, (c, score))| (c, score, i < LEGIT_MEMBERS_KEPT));
    let mut kept: Vec<(usize, Option<f64>, bool)> = ranked
        .into_iter()
        .map(|(c, score)| (c, Some(score), true))
        .chain(legit)
        .collect();
    kept.sort_by(|a, b| order(a.0, b.0));
    kept
}

/// List the candidates not mostly covered by those listed before, at most `limit`; returns how
/// many more uncovered ones the limit left out. A member list let go of is recomputed
/// (`members`), one kept as bits is made a list again only if the cluster is listed.
pub(super) fn take_uncovered(
    candidates: Vec<Candidate>,
    limit: usize,
    covered: &mut [bool],
    out: &mut Vec<Cluster>,
    members: impl FnMut(&Cluster) -> Vec<u32>,
) -> usize {
    take(candidates, (limit, true), covered, out, members)
}

/// [`take_uncovered`] without counting what the limit left out: it stops at the limit, so the
/// let-go member lists of the candidates after it are never recomputed.
pub(super) fn take_first_uncovered(
    candidates: Vec<Candidate>,
    limit: usize,
    covered: &mut [bool],
    out: &mut Vec<Cluster>,
    members: impl FnMut(&Cluster) -> Vec<u32>,
) {
    take(candidates, (limit, false), covered, out, members);
}

/// [`take_uncovered`], counting the uncovered candidates past the limit when `count_more`
/// (their messages are covered as if listed).
pub(super) fn take(
    candidates: Vec<Candidate>,
    (limit, count_more): (usize, bool),
    covered: &mut [bool],
    out: &mut Vec<Cluster>,
    mut members: impl FnMut(&Cluster) -> Vec<u32>,
) -> usize {
    let mut taken = 0;
    let mut more = 0;
    for (_, mut c, bits) in candidates {
        if taken >= limit && !count_more {
            break;
        }
        if bits.is_none() && c.members.len() != c.messages {
            c.members = members(&c);
        }
        let is_covered = |i: u32| covered.get(i as usize) == Some(&true);
        let seen = match &bits {
            Some(bits) => bits.iter().filter(|&i| is_covered(i)).count(),
            None => c.members.iter().filter(|&&i| is_covered(i)).count(),
        };
        if frac(seen, c.messages) >= COVERED {
            continue;
        }
        // One left out for the limit covers its messages all the same: the count of those
        // left out is then what a larger limit lists, and a later cluster of the same
        // messages (a suspect, or the bounces' subject as a legitimate-looking one) is not
        // shown in its place with another verdict.
        let mut cover = |i: u32| {
            if let Some(slot) = covered.get_mut(i as usize) {
                *slot = true;
            }
        };
        match &bits {
            Some(bits) => bits.iter().for_each(&mut cover),
            None => c.members.iter().for_each(|&i| cover(i)),
        }
        if taken >= limit {
            more += 1;
            continue;
        }
        if let Some(bits) = bits {
            c.members = bits.iter().collect();
        }
        taken += 1;
        out.push(c);
    }
    more
}

/// The member lists `top`'s candidates let go of, recomputed when first needed: for all the
/// let-go clusters of a key in one pass over the records (one pass a cluster, with a fresh
/// extractor deriving every sender pattern again, was a quarter of `top`'s CPU time at a
/// million messages, on one core).
pub(super) struct LetGo<'c, 'a> {
    corpus: &'c Corpus<'a>,
    table: &'c SenderPatterns,
    /// The let-go clusters' (key, value), in candidate order.
    wanted: Vec<(ClusterKey, Option<KeyValue>)>,
    /// The lists of the keys done so far, taken out as they are used.
    pub(super) lists: HashMap<ClusterKey, HashMap<Option<KeyValue>, Vec<u32>>>,
}

impl<'c, 'a> LetGo<'c, 'a> {
    pub(super) fn new(
        corpus: &'c Corpus<'a>,
        table: &'c SenderPatterns,
        candidates: [&[Candidate]; 3],
    ) -> Self {
        // A candidate kept as bits lists its members from them, not from the records.
        let wanted = candidates
            .into_iter()
            .flatten()
            .filter(|(_, c, bits)| bits.is_none() && c.members.len() != c.messages)
            .map(|(_, c, _)| (c.key, c.value))
            .collect();
        LetGo {
            corpus,
            table,
            wanted,
            lists: HashMap::default(),
        }
    }

    /// The members of `c`, which let its list go.
    pub(super) fn members(&mut self, c: &Cluster) -> Vec<u32> {
        let (corpus, table) = (self.corpus, self.table);
        let wanted = &self.wanted;
        let lists = self.lists.entry(c.key).or_insert_with(|| {
            let values: Vec<Option<KeyValue>> = wanted
                .iter()
                .filter(|w| w.0 == c.key)
                .map(|w| w.1)
                .collect();
            let ex = corpus.extractor(c.key, table);
            grouping::members_of_values(corpus.records, ex, corpus.facts, &values)
        });
        match lists.remove(&c.value) {
            Some(list) => list,
            None => {
                let ex = corpus.extractor(c.key, table);
                members_with_facts(corpus.records, ex, corpus.facts, c.value)
            }
        }
    }
}

mod shared;
pub(super) use shared::REST_LEGITIMATE;

#[cfg(test)]
mod tests;
