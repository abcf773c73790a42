//! A cluster over 40 by its heavy scripts' mail is judged on the rest: a shared host's uid.
//!
//! On a shared host every customer's PHP runs as the web server's uid, and writes as its
//! customers (a shop's order mails, a contact form's visitor): held below 40 as alike scripts
//! (`points::alike_scripts`) while no script stands out. Once a hacked plugin sends more than
//! all of them together, the uid (and its envelope sender, `apache@host`) is mostly the plugin:
//! a culprit at 68-70, and `plan` took the customers' mail with it (probe46: 1,785 real
//! messages at 6,000, 3,570 at 12,000). The plugin, sending ten times the median script, is a
//! cluster of its own judged on its own; what the uid adds to it is the rest, judged here.

use super::{score, Scoring, Verdict, CULPRIT_SCORE};
use crate::analysis::grouping::cluster_of_members;
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{measure, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::OriginKind;

/// Is `c` (no script's own cluster) over 40 with at least half its messages from heavy
/// scripts, while the rest of it, scored alone, is not a culprit? Then it is held: the heavy
/// scripts are taken by their own clusters, and the rest is what sends like the others.
pub(super) fn held_beyond_heavy_scripts(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> bool {
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    if c.key == ClusterKey::Script
        || total < CULPRIT_SCORE
        || s.heavy_script_msgs == 0
        || s.heavy_script_msgs * 2 < c.messages
    {
        return false;
    }
    let scripts = &corpus.facts.scripts;
    let rest: Vec<u32> = (c.members.iter().copied())
        .filter(|&i| {
            corpus.records.get(i as usize).is_some_and(|r| {
                let o = &r.origin;
                let heavy = o.kind == OriginKind::Local
                    && !o.script_forged
                    && o.script.is_some_and(|script| scripts.is_heavy(script));
                !heavy
            })
        })
        .collect();
    if rest.is_empty() {
        // Nothing but heavy scripts: each is listed and taken on its own.
        return true;
    }
    let rest = cluster_of_members(corpus.records, corpus.ctx, (c.key, c.value), rest);
    let scored = score(&rest, &measure(&rest, corpus), corpus, false);
    Verdict::of(super::total(&scored.points, rest.messages, scored.held)) != Verdict::Culprit
}

/// The reason a cluster held by [`held_beyond_heavy_scripts`] gives.
pub(super) fn reason(c: &Cluster, corpus: &Corpus<'_>) -> String {
    let norms = &corpus.facts.scripts;
    let heavy = (c.members.iter())
        .filter_map(|&i| corpus.records.get(i as usize))
        .filter(|r| {
            r.origin.kind == OriginKind::Local
                && !r.origin.script_forged
                && r.origin.script.is_some_and(|s| norms.is_heavy(s))
        })
        .count();
    format!(
        "{} of its {} messages come from scripts sending {} times the median script's or more, \
         each judged on its own cluster; the rest, judged alone, is no culprit: held below \
         {CULPRIT_SCORE:.0} (a shared host's other customers send through the same uid); take \
         the scripts, look before taking the rest",
        crate::size::thousands(heavy),
        crate::size::thousands(c.messages),
        super::super::signals::HEAVY_SCRIPT_TIMES,
    )
}
