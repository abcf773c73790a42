//! Before messages are picked back from the yank area as real mail: which of them are
//! culprits' in the ranking of the queue and the yank area together, as `plan` and `report`
//! judge them. A pick is the operator's verdict: `plan` and `report` leave it from then on, so
//! one mistyped query hides spam from both (newuser50b, newuser52); every face warns of it.

use std::collections::HashSet;

use super::is_bounce_cluster;
use crate::analysis::rank::Verdict;
use crate::analysis::types::Cluster;
use crate::queue::{Interner, MessageId, MessageRecord};
use crate::sanitize::sanitize_str;

/// Of `picks` (messages in the yank area: `records` from `in_queue` on), how many each culprit
/// of `ranking` (the culprit ranking of `records`) holds, as its kind and value in words, most
/// first. A cluster made mostly of bounces is no culprit here, as in `plan`.
pub fn culprits_picked(
    ranking: &[Cluster],
    records: &[MessageRecord],
    in_queue: usize,
    strings: &Interner,
    picks: &HashSet<MessageId>,
) -> Vec<(String, usize)> {
    let mut seen: HashSet<MessageId> = HashSet::new();
    let mut out: Vec<(String, usize)> = Vec::new();
    for c in ranking.iter().filter(|c| c.verdict() == Verdict::Culprit) {
        if is_bounce_cluster(c, records, strings) {
            continue;
        }
        let n = (c.members.iter())
            .filter(|&&i| i as usize >= in_queue)
            .filter_map(|&i| records.get(i as usize))
            .filter(|r| picks.contains(&r.id) && seen.insert(r.id))
            .count();
        if n > 0 {
            let value = c.value.map(|v| v.text(strings)).unwrap_or_default();
            out.push((format!("{} {}", c.key.name(), sanitize_str(&value)), n));
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// [`culprits_picked`] of `picks` in the culprit ranking of `records` (the queue's, then the
/// yank area's from `in_queue` on) with `ctx` and what `logs` said of them: ranked here, as
/// `plan` and `report` rank them, so that no face ranks on its own (style53).
pub fn culprits_picked_in(
    (records, in_queue): (&[MessageRecord], usize),
    strings: &Interner,
    ctx: &crate::analysis::cluster::AnalysisContext,
    logs: &crate::analysis::evidence::LogFacts,
    picks: &HashSet<MessageId>,
) -> Vec<(String, usize)> {
    use crate::analysis::{rank::OF_QUEUE, rank_culprits, TOP_LIMIT};
    let ranking = rank_culprits(records, strings, ctx, logs, TOP_LIMIT, OF_QUEUE);
    culprits_picked(&ranking, records, in_queue, strings, picks)
}

/// The warning for `culprits` ([`culprits_picked`]), `None` when there is none to give:
/// `careful: 2,374 of these are culprits' in qtriage's ranking (auth-user test: 1,907, ...)`,
/// `careful: 1 of these is a culprit's ... (subject ...: 1) ... leave it`. The count after a
/// colon: a subject template ending in `#` read `# 1` as a number (newuser53).
pub fn warning(culprits: &[(String, usize)]) -> Option<String> {
    let total: usize = culprits.iter().map(|c| c.1).sum();
    if total == 0 {
        return None;
    }
    let thousands = |n: usize| crate::size::thousands(n as u64);
    let mut named: Vec<String> = (culprits.iter().take(SHOWN))
        .map(|(name, n)| format!("{name}: {}", thousands(*n)))
        .collect();
    if culprits.len() > SHOWN {
        named.push(format!("{} more", thousands(culprits.len() - SHOWN)));
    }
    let (is, them) = match total {
        1 => ("is a culprit's", "it"),
        _ => ("are culprits'", "them"),
    };
    Some(format!(
        "careful: {} of these {is} in qtriage's ranking ({}): picked back as real mail, \
         qtriage plan and report leave {them} from now on",
        thousands(total),
        named.join(", ")
    ))
}

/// Culprits a warning names before "N more".
const SHOWN: usize = 3;

#[cfg(test)]
mod tests {
    /// One message is `a culprit's` and `it`; the counts follow a colon (newuser53: `is a
    /// culprits'`, `leave them` of one, `you # 1`).
    #[test]
    fn the_warning_agrees_in_number() {
        let one = super::warning(&[("subject you #".into(), 1)]);
        assert_eq!(
            one.as_deref(),
            Some(
                "careful: 1 of these is a culprit's in qtriage's ranking (subject you #: 1): \
                 picked back as real mail, qtriage plan and report leave it from now on"
            )
        );
        let two = super::warning(&[("auth-user test".into(), 2)]).expect("a warning");
        assert!(
            two.contains("2 of these are culprits'") && two.ends_with("leave them from now on")
        );
        assert_eq!(super::warning(&[]), None);
    }
}
