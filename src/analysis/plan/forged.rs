//! The bounces a plan names apart and never takes: those quoting a forged-sender culprit's
//! sender but not its origin.

use super::{quoted_value, term, ClusterKey, KeyValue, PlanInput, Remaining};
use crate::size::thousands;

/// The bounces left that quote a message from a forged-sender culprit's sender (its pattern,
/// domain or address) though not from a culprit's origin: named, with the query that lists
/// them, for the operator to judge; never taken (a real correspondent of that domain gets
/// bounces too).
pub(super) fn forged_sender_bounces(
    input: &PlanInput<'_>,
    terms: &[(ClusterKey, KeyValue)],
    taken: &[bool],
) -> Option<Remaining> {
    let strings = input.strings;
    let mut used = vec![false; terms.len()];
    // Left, and taken by a culprit's origin: the query below lists both.
    let (mut n, mut by_origin) = (0, 0);
    // A restored bounce remains as the operator's, counted there and not here.
    for (i, q) in input
        .quoted
        .iter()
        .filter(|(i, _)| !input.is_restored(*i as usize))
    {
        let hit = terms
            .iter()
            .position(|(key, v)| quoted_value(q, *key, strings, Some(input.tables)) == Some(*v));
        match (hit, taken.get(*i as usize)) {
            (Some(t), Some(false)) => {
                n += 1;
                used[t] = true;
            }
            (Some(_), Some(true)) => by_origin += 1,
            _ => {}
        }
    }
    let query = (terms.iter().zip(&used))
        .filter(|(_, &u)| u)
        .map(|((key, v), _)| v.with_bytes(strings, |b| term("bounce-of", *key, Some(b))))
        .collect::<Vec<_>>()
        .join(" or ");
    if n == 0 {
        return None;
    }
    Some(Remaining {
        messages: n,
        words: format!(
            "bounces quoting a culprit's forged sender, not its origin: not taken (real mail \
             from that sender's domain bounces too); qtriage list '{query}' lists them{}",
            match by_origin {
                0 => String::new(),
                m => format!(
                    " (with the {} this plan takes by origin)",
                    thousands(m as u64)
                ),
            }
        ),
    })
}
