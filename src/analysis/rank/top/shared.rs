//! A legitimate-looking cluster `top` lists after culprits or suspects holding some of its
//! messages says how many and whose: its "keep" is for the rest.
//!
//! newuser57: php-smtp's 127.0.0.1 carried a hacked site's 800 phishing messages beside a list
//! server's 200 posts. `top` listed the phishing as a held suspect, then `IP 127.0.0.1: 1,000
//! messages ...: looks legitimate: keep`, which an operator under pressure reads as "keep
//! everything from 127.0.0.1". The IP's own verdict is right for what its signals see (the
//! list's many senders keep the site's mark below half of an IP-wide signal), so the score
//! stays; the words say which part of it the verdict is about.

use super::super::{subject, Corpus, Verdict, LEGITIMATE};
use crate::analysis::types::Cluster;
use crate::size::thousands;

/// The conclusion of a legitimate-looking cluster some of whose messages are in a culprit or
/// suspect listed before it.
pub(in crate::analysis::rank) const REST_LEGITIMATE: &str = "the rest looks legitimate: keep";

/// Rewrite the summaries of `out`'s legitimate-looking clusters (listed after every culprit and
/// suspect) that share messages with a culprit or suspect listed before them, or with one the
/// limit left out (`ranked_cover`: each record held by any culprit or suspect): `..., 800 of
/// them in the suspect sender pattern X above: the rest looks legitimate: keep`, `..., 40 in
/// suspects a larger --limit lists`. A message in two listed clusters counts for the first.
pub(super) fn note_shared(out: &mut [Cluster], corpus: &Corpus<'_>, ranked_cover: &[bool]) {
    let split = out
        .iter()
        .position(|c| c.verdict() == Verdict::Legitimate)
        .unwrap_or(out.len());
    let (ranked, legit) = out.split_at_mut(split);
    if legit.is_empty() || !ranked_cover.contains(&true) {
        return;
    }
    // Which listed cluster holds each message: 4 bytes a message, only while `top` ends.
    const NONE: u32 = u32::MAX;
    let mut holder = vec![NONE; corpus.records.len()];
    for (i, c) in ranked.iter().enumerate() {
        for &m in &c.members {
            if let Some(slot) = holder.get_mut(m as usize).filter(|s| **s == NONE) {
                *slot = i as u32;
            }
        }
    }
    for c in legit {
        let mut counts = vec![0usize; ranked.len()];
        let mut beyond = 0usize;
        for &m in &c.members {
            match holder.get(m as usize) {
                Some(&i) if i != NONE => counts[i as usize] += 1,
                _ if ranked_cover.get(m as usize) == Some(&true) => beyond += 1,
                _ => {}
            }
        }
        let Some(summary) = c.reasons.first_mut() else {
            continue;
        };
        let Some(head) = summary.strip_suffix(LEGITIMATE) else {
            continue;
        };
        let Some(head) = head.strip_suffix(": ") else {
            continue;
        };
        const CUT: &str = "in suspects a larger --limit lists";
        let n = thousands(beyond);
        let words = match (whose(&counts, ranked, corpus), beyond > 0) {
            (Some(w), true) => format!("{w}, {n} {CUT}"),
            (Some(w), false) => w,
            (None, true) => format!("{n} of them {CUT}"),
            (None, false) => continue,
        };
        *summary = format!("{head}, {words}: {REST_LEGITIMATE}");
    }
}

/// `800 of them in the suspect sender pattern X above`, `, 40 in 2 more above` when several
/// hold some; `None` when none does.
fn whose(counts: &[usize], ranked: &[Cluster], corpus: &Corpus<'_>) -> Option<String> {
    // The one holding the most; the first listed of equals.
    let (most, &n) = counts
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|&(_, n)| *n)
        .filter(|&(_, &n)| n > 0)?;
    let held = &ranked[most];
    let mut words = format!(
        "{} of them in the {} {} above",
        thousands(n),
        held.verdict().name(),
        subject(held, corpus)
    );
    let others: Vec<usize> = counts
        .iter()
        .enumerate()
        .filter(|&(i, &k)| i != most && k > 0)
        .map(|(_, &k)| k)
        .collect();
    if !others.is_empty() {
        words.push_str(&format!(
            ", {} in {} more above",
            thousands(others.iter().sum::<usize>()),
            others.len()
        ));
    }
    Some(words)
}
