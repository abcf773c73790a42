//! Order clusters by likely culprit and say why, in the operator's words.
//!
//! A cluster's score (0-100) is a sum of measurable signals, each shown as a reason with the
//! points it added: share of the queue, rate over the last hour, one login used from several IPs
//! or networks, authenticated senders using domains that are not the account's, a web-server uid
//! or PHP script mailing remote domains, null-sender backscatter, unauthenticated relaying,
//! remote fan-out, one dominant subject template and forged sender names. Small clusters are
//! damped so that a handful of messages never outranks a flood. The first reason is a one-line
//! summary ending in a conclusion (`likely a guessed password`, `looks legitimate: keep`).

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::cmp::Ordering;
use std::sync::Arc;

use super::grouping::{self, members_with_facts, value_with_facts};
use super::key::{ClusterKey, KeyExtractor, KeyValue};
use super::patterns::SenderPatterns;
pub use super::signals::{is_web_uid, Corpus, Facts, ShareOf, OF_QUEUE, WEB_UIDS, WEB_USERS};
use super::signals::{measure, Signals};
use super::types::Cluster;
use crate::queue::{Interner, OriginKind, Sym};
use crate::size::thousands;

/// Score from which a cluster is called a culprit.
pub const CULPRIT_SCORE: f64 = 40.0;
/// Score from which a cluster is worth a look; below it a cluster looks legitimate.
pub const SUSPECT_SCORE: f64 = 20.0;
/// Clusters smaller than this are damped in proportion (5 messages score a quarter).
pub const MIN_CULPRIT_MESSAGES: usize = 20;
/// `top` skips a cluster when this share of its messages is already in a listed cluster.
pub const COVERED: f64 = 0.9;
/// How many legitimate-looking clusters `top` lists after the culprits.
pub const LEGIT_SHOWN: usize = 3;
/// IPs named in a reason.
const IPS_SHOWN: usize = 3;
/// A subject template "dominates" a cluster from this share, with at least 20 messages.
const DOMINANT: f64 = 0.8;
/// Keys `top` ranks, in tie-break order (the more specific culprit first).
pub const TOP_KEYS: [ClusterKey; 9] = [
    ClusterKey::AuthUser,
    ClusterKey::Script,
    ClusterKey::Uid,
    ClusterKey::Origin,
    ClusterKey::OriginIp,
    ClusterKey::OriginNet,
    ClusterKey::SenderPattern,
    ClusterKey::Subject,
    ClusterKey::Helo,
];

/// The judgement a score stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Score ≥ [`CULPRIT_SCORE`]: remove after a look.
    Culprit,
    /// Score ≥ [`SUSPECT_SCORE`]: look before deciding.
    Suspect,
    /// Below: what must not be removed.
    Legitimate,
}

impl Verdict {
    /// The verdict for a score.
    pub fn of(score: f64) -> Verdict {
        if score >= CULPRIT_SCORE {
            Verdict::Culprit
        } else if score >= SUSPECT_SCORE {
            Verdict::Suspect
        } else {
            Verdict::Legitimate
        }
    }

    /// The word shown in tables (`culprit`, `suspect`, `legit`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Culprit => "culprit",
            Verdict::Suspect => "suspect",
            Verdict::Legitimate => "legit",
        }
    }
}

/// A fired signal: points and the words for it.
struct Points(f64, String);

/// The fired signals and the conclusions they support, each with the points behind it.
#[derive(Default)]
struct Scoring {
    points: Vec<Points>,
    whys: Vec<(&'static str, f64)>,
    /// Write the words: false when only the score is wanted (`top` scores thousands of
    /// clusters and shows a dozen).
    words: bool,
}

impl Scoring {
    fn add(&mut self, points: f64, words: impl FnOnce() -> String, why: Option<&'static str>) {
        let words = if self.words { words() } else { String::new() };
        self.points.push(Points(points, words));
        if let Some(why) = why {
            match self.whys.iter_mut().find(|(w, _)| *w == why) {
                Some((_, total)) => *total += points,
                None => self.whys.push((why, points)),
            }
        }
    }

    /// Every conclusion the signals support, the best supported first: one origin can be two
    /// abuses at once (an IP both logging in with a guessed password and relaying without one),
    /// and naming only the first would send the operator to fix half of it.
    fn conclusion(&self) -> Option<String> {
        let mut whys = self.whys.clone();
        // Stable: equal support keeps the order the signals fired in.
        whys.sort_by(|a, b| b.1.total_cmp(&a.1));
        let words: Vec<&str> = whys.iter().map(|(w, _)| *w).collect();
        (!words.is_empty()).then(|| words.join("; and "))
    }
}

fn frac(n: usize, of: usize) -> f64 {
    n as f64 / of.max(1) as f64
}

/// Score the signals of `c`.
fn score(c: &Cluster, s: &Signals, corpus: &Corpus<'_>, words: bool) -> Scoring {
    let mut sc = Scoring {
        words,
        ..Scoring::default()
    };
    login_points(&mut sc, c, s);
    log_points(&mut sc, c, corpus);
    origin_points(&mut sc, c, s);
    forged_pattern_points(&mut sc, c, s, corpus);
    // Size, speed, fan-out and one subject weigh evidence of abuse (a signal with a
    // conclusion); alone they never make a real sender a suspect (as spam is removed, what
    // remains holds a growing share of the queue, and a newsletter has one subject).
    if !sc.whys.is_empty() {
        fan_out_and_template(&mut sc, c, s, corpus);
        sc.add(
            30.0 * s.share,
            || format!("{} of {}", percent(s.share), corpus.share_of.long),
            None,
        );
        if c.per_minute > 0.0 {
            let words = || format!("{:.1} messages a minute over the last hour", c.per_minute);
            sc.add(10.0 * (c.per_minute / 10.0).min(1.0), words, None);
        }
    }
    sc
}

/// The score of fired signals: their sum, damped for small clusters, 0-100 to one decimal.
fn total(points: &[Points], messages: usize) -> f64 {
    // A fold from +0.0: an empty float sum is -0.0, which would print as "-0.0".
    let mut total: f64 = points.iter().fold(0.0, |t, p| t + p.0);
    if messages < MIN_CULPRIT_MESSAGES {
        total *= messages as f64 / MIN_CULPRIT_MESSAGES as f64;
    }
    (total.clamp(0.0, 100.0) * 10.0).round() / 10.0
}

/// The score [`assess`] gives `c`, without writing its reasons.
fn score_only(c: &Cluster, corpus: &Corpus<'_>) -> f64 {
    if c.value.is_none() {
        return 0.0;
    }
    let s = measure(c, corpus);
    total(&score(c, &s, corpus, false).points, c.messages)
}

/// Fill `c.score` and `c.reasons` from its members' signals.
pub fn assess(c: &mut Cluster, corpus: &Corpus<'_>) {
    let s = measure(c, corpus);
    if c.value.is_none() {
        // Messages that merely lack this field are many senders, not one: never ranked.
        c.score = 0.0;
        c.reasons = vec![format!(
            "{}: {}: many senders, not ranked",
            subject(c, corpus),
            summary(c, &s, corpus)
        )];
        return;
    }
    let scoring = score(c, &s, corpus, true);
    let why = scoring.conclusion();
    let points = scoring.points;
    let total = total(&points, c.messages);
    let conclusion = match Verdict::of(total) {
        Verdict::Legitimate => "looks legitimate: keep".to_string(),
        Verdict::Suspect => why.unwrap_or_else(|| "worth a look".into()),
        Verdict::Culprit => why.unwrap_or_else(|| "likely spam".into()),
    };
    c.score = total;
    c.reasons = vec![format!(
        "{}: {}: {conclusion}",
        subject(c, corpus),
        summary(c, &s, corpus)
    )];
    c.reasons.extend(corpus.logs.provenance(c, corpus.records));
    for p in points.iter().filter(|p| p.0 > 0.0) {
        c.reasons.push(format!("{} (+{:.1})", p.1, p.0));
    }
    if c.messages < MIN_CULPRIT_MESSAGES {
        c.reasons
            .push(format!("only {} messages: score scaled down", c.messages));
    }
}

/// The conclusion a cluster's summary (its first reason) ends in: one or more conclusions joined
/// by `; and `, or a verdict's words. Read back from the end, never by splitting on `: `, which
/// the conclusions themselves and attacker-chosen subjects contain.
pub fn conclusion_of(summary: &str) -> &str {
    const VERDICTS: [&str; 4] = [
        "looks legitimate: keep",
        "worth a look",
        "likely spam",
        "many senders, not ranked",
    ];
    if let Some(v) = VERDICTS
        .iter()
        .find(|v| summary.ends_with(&format!(": {v}")))
    {
        return &summary[summary.len() - v.len()..];
    }
    let mut rest = summary;
    while let Some(c) = points::SIGNAL_CONCLUSIONS
        .iter()
        .find(|c| rest.ends_with(*c))
    {
        rest = &rest[..rest.len() - c.len()];
        match rest.strip_suffix("; and ") {
            Some(r) => rest = r,
            None => break,
        }
    }
    match rest.strip_suffix(": ") {
        Some(r) if rest.len() < summary.len() => &summary[r.len() + 2..],
        // Not a summary this ranking wrote: its last part, as before.
        _ => summary.rsplit(": ").next().unwrap_or(""),
    }
}

/// [`assess`] each cluster, in parallel (rayon's current pool): clusters are independent.
pub(crate) fn assess_all(clusters: &mut [Cluster], corpus: &Corpus<'_>) {
    clusters.par_iter_mut().for_each(|c| assess(c, corpus));
}

/// How the cluster is named at the start of its summary.
fn subject(c: &Cluster, corpus: &Corpus<'_>) -> String {
    let Some(v) = c.value else {
        return format!("messages without {}", c.key.name());
    };
    let text = v.text(corpus.strings);
    match c.key {
        ClusterKey::AuthUser => format!("AUTH user {text}"),
        ClusterKey::OriginIp => format!("IP {text}"),
        ClusterKey::OriginNet => format!("network {text}"),
        ClusterKey::Uid => match (v, &corpus.ctx.users) {
            (KeyValue::Uid(u), users) if users.contains_key(&u) => {
                format!("uid {u} ({})", users.get(&u).map_or("", |s| s.as_str()))
            }
            _ => format!("uid {text}"),
        },
        ClusterKey::Script => format!("PHP script {text}"),
        ClusterKey::Helo => format!("HELO {text}"),
        ClusterKey::Sender => format!("sender {text}"),
        ClusterKey::SenderDomain => format!("sender domain {text}"),
        ClusterKey::SenderPattern => format!("sender pattern {text}"),
        ClusterKey::From => format!("From {text}"),
        ClusterKey::RcptDomain => format!("recipient domain {text}"),
        ClusterKey::Subject => format!("subject template \"{text}\""),
        ClusterKey::Origin => format!("origin {text}"),
    }
}

/// `1,320 messages (70% of queue) from 3 IPs (...), 1-40 remote recipients each, ...`
fn summary(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> String {
    let strings = corpus.strings;
    let mut out = format!(
        "{} messages ({} of {})",
        thousands(c.messages),
        percent(s.share),
        corpus.share_of.short
    );
    if s.ips.len() > 1 || (c.key == ClusterKey::AuthUser && !s.ips.is_empty()) {
        let plural = if s.ips.len() == 1 { "" } else { "s" };
        let list = ip_list(&s.ips, strings);
        out.push_str(&format!(" from {} IP{plural} ({list})", s.ips.len()));
    }
    if s.remote_msgs == 0 {
        out.push_str(", local recipients only");
    } else if s.remote_min == s.remote_max {
        out.push_str(&format!(
            ", {} remote recipient{} each",
            s.remote_max,
            if s.remote_max == 1 { "" } else { "s" }
        ));
    } else {
        out.push_str(&format!(
            ", {}-{} remote recipients each",
            s.remote_min, s.remote_max
        ));
    }
    if s.foreign_known > 0 {
        out.push_str(match frac(s.foreign, s.foreign_known) {
            f if f >= 0.5 => ", sender addresses not its own",
            0.0 => ", sender addresses its own",
            _ => ", some sender addresses not its own",
        });
    }
    out
}

impl Cluster {
    /// The verdict of this cluster's score.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.score)
    }
}

/// `86.107.221.138 600, 41.203.18.7 420, ...` (the busiest first).
fn ip_list(ips: &HashMap<Sym, usize>, strings: &Interner) -> String {
    let mut ips: Vec<(Arc<[u8]>, usize)> =
        ips.iter().map(|(s, n)| (strings.resolve(*s), *n)).collect();
    ips.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shown: Vec<String> = ips
        .iter()
        .take(IPS_SHOWN)
        .map(|(ip, n)| format!("{} {}", String::from_utf8_lossy(ip), thousands(*n)))
        .collect();
    if ips.len() > IPS_SHOWN {
        shown.push(format!("{} more", ips.len() - IPS_SHOWN));
    }
    shown.join(", ")
}

/// `0.7` → `70%`; below one percent `<1%`.
pub fn percent(f: f64) -> String {
    if f > 0.0 && f < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", f * 100.0)
    }
}

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
    // The keys are independent: grouped one after the other (each scored in parallel), then
    // taken in key order. Grouped in parallel, a flood's largest groupings (HELOs, sender
    // patterns, subjects: hundreds of thousands of values each) were held two or three at once.
    let per_key: Vec<Vec<Candidate>> = TOP_KEYS
        .iter()
        .enumerate()
        .map(|(rank, &key)| {
            let ex = corpus.extractor(key, table);
            let listable = |v: Option<KeyValue>| match v {
                None => false,
                Some(KeyValue::Origin(o)) => Some(o.0 as usize) == bounce,
                Some(_) => true,
            };
            candidates(corpus, ex, listable)
                .into_iter()
                .map(|(c, bits)| (rank, c, bits))
                .collect()
        })
        .collect();
    let mut candidates: Vec<Candidate> = per_key.into_iter().flatten().collect();
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
    legit.sort_by(|(ra, a, _), (rb, b, _)| b.messages.cmp(&a.messages).then(ra.cmp(rb)));
    take_first_uncovered(legit, LEGIT_SHOWN, &mut covered, &mut out, |c| {
        let_go.members(c)
    });
    // The same score again, now with its reasons.
    assess_all(&mut out, corpus);
    (out, more)
}

/// The larger order of magnitude first, then the higher score, then the larger (the sort is
/// stable: ties keep the ranking's order). A 6,000-message script is never below a 22-message
/// subject with the same verdict; among sources of like size the evidence decides.
fn sort_largest_first(clusters: &mut [Cluster]) {
    let magnitude = |c: &Cluster| c.messages.max(1).ilog10();
    clusters.sort_by(|a, b| {
        magnitude(b)
            .cmp(&magnitude(a))
            .then(b.score.total_cmp(&a.score))
            .then(b.messages.cmp(&a.messages))
    });
}

/// One key's clusters that `top` may list, in list order: every culprit and suspect, and the
/// first legitimate-looking ones ([`keep_few_legitimate`]). `listable` says which values are
/// candidates at all.
///
/// A flood's random HELOs and forged senders make hundreds of thousands of one-message
/// clusters, all legitimate-looking: each is scored (a small cluster can still be a suspect:
/// log findings add points without a cap) from the compact grouping, one at a time, and only
/// the few kept become [`Cluster`]s; a large one's members are kept as [`MemberBits`] (its
/// member list empty).
fn candidates(
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
    let scored = g
        .all()
        .into_par_iter()
        .filter(|&c| listable(g.value(c)))
        .fold(Scored::default, |mut kept, c| {
            kept.push(c, score_only(&g.cluster(key, c, true), corpus), order);
            kept
        })
        .reduce(Scored::default, |a, b| a.merge(b, order));
    keep_few_legitimate(scored, order)
        .into_iter()
        .map(|(c, score, with_members)| {
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
type Candidate = (usize, Cluster, Option<MemberBits>);

/// Legitimate-looking clusters of one key that `top` considers listing: the largest.
pub const LEGIT_CONSIDERED: usize = 64;
/// Of those, how many keep their member lists; the others' are recomputed if `top` reaches
/// them (all larger ones of the key were already covered by listed clusters).
const LEGIT_MEMBERS_KEPT: usize = 4 * LEGIT_SHOWN;

/// One key's scored clusters (cluster, score) as they come: every culprit and suspect, and the
/// legitimate-looking ones that may still be among the [`LEGIT_CONSIDERED`] first in list
/// order. Those are trimmed back to that many whenever twice as many have gathered, so a key's
/// scores take a bounded buffer whatever its number of clusters; the first ones in list order
/// (a total order: a key's values are distinct) are the same as from the full list.
#[derive(Default)]
struct Scored {
    ranked: Vec<(usize, f64)>,
    legit: Vec<(usize, f64)>,
}

impl Scored {
    /// Add cluster `c` with its score.
    fn push(&mut self, c: usize, score: f64, order: impl Fn(usize, usize) -> Ordering) {
        if Verdict::of(score) == Verdict::Legitimate {
            self.legit.push((c, score));
            if self.legit.len() >= 2 * LEGIT_CONSIDERED {
                self.trim(order);
            }
        } else {
            self.ranked.push((c, score));
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
/// [`LEGIT_MEMBERS_KEPT`] first of those with their members (the bool); in list order.
fn keep_few_legitimate(
    scored: Scored,
    order: impl Fn(usize, usize) -> Ordering + Copy,
) -> Vec<(usize, f64, bool)> {
    let mut scored = scored;
    scored.trim(order);
    let Scored { ranked, mut legit } = scored;
    legit.sort_by(|a, b| order(a.0, b.0));
    let legit = legit
        .into_iter()
        .enumerate()
        .map(|(i, (c, score))| (c, score, i < LEGIT_MEMBERS_KEPT));
    let mut kept: Vec<(usize, f64, bool)> = ranked
        .into_iter()
        .map(|(c, score)| (c, score, true))
        .chain(legit)
        .collect();
    kept.sort_by(|a, b| order(a.0, b.0));
    kept
}

/// List the candidates not mostly covered by those listed before, at most `limit`; returns how
/// many more uncovered ones the limit left out. A member list let go of is recomputed
/// (`members`), one kept as bits is made a list again only if the cluster is listed.
fn take_uncovered(
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
fn take_first_uncovered(
    candidates: Vec<Candidate>,
    limit: usize,
    covered: &mut [bool],
    out: &mut Vec<Cluster>,
    members: impl FnMut(&Cluster) -> Vec<u32>,
) {
    take(candidates, (limit, false), covered, out, members);
}

/// [`take_uncovered`], counting the uncovered candidates past the limit when `count_more`.
fn take(
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
        if taken >= limit {
            more += 1;
            continue;
        }
        if let Some(bits) = bits {
            c.members = bits.iter().collect();
        }
        for &i in &c.members {
            if let Some(slot) = covered.get_mut(i as usize) {
                *slot = true;
            }
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
struct LetGo<'c, 'a> {
    corpus: &'c Corpus<'a>,
    table: &'c SenderPatterns,
    /// The let-go clusters' (key, value), in candidate order.
    wanted: Vec<(ClusterKey, Option<KeyValue>)>,
    /// The lists of the keys done so far, taken out as they are used.
    lists: HashMap<ClusterKey, HashMap<Option<KeyValue>, Vec<u32>>>,
}

impl<'c, 'a> LetGo<'c, 'a> {
    fn new(
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
    fn members(&mut self, c: &Cluster) -> Vec<u32> {
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

mod members;
mod points;
use members::MemberBits;
use points::{
    fan_out_and_template, forged_pattern_points, log_points, login_points, origin_points,
};

#[cfg(test)]
mod tests;
