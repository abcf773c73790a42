//! The backscatter of a culprit a yank already took: the bounces left in the queue that quote
//! its mail go with it, though no cluster of it is left in the queue to rank.
//!
//! Once `yank` has moved a culprit's messages out, the queue's ranking no longer sees it, and
//! its bounces read as quoting no culprit. The culprit is judged again by the ranking of the
//! queue and the yank area together ([`culprits`]), the ranking the plan made before the yank
//! and the one `report` and `accounts` make after it; a bounce is taken only by such a
//! culprit's origin ([`crate::analysis::backscatter::ORIGIN_KEYS`]), never its sender, so a
//! bounce of real mail, whose origin is no culprit's, stays.

use super::{is_bounce_cluster, strongest_reason, term, PlanCulprit, PlanInput};
use crate::analysis::backscatter::{quoted_value, ORIGIN_KEYS};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::rank::Verdict;
use crate::analysis::types::Cluster;
use crate::queue::{Interner, MessageRecord};

/// A culprit some of whose messages a yank took, by its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct YankedCulprit {
    /// Its key (one of the origin keys).
    pub key: ClusterKey,
    /// Its value.
    pub value: KeyValue,
    /// Its score in the ranking with the yank area.
    pub score: f64,
    /// Of its messages, those in the yank area.
    pub yanked: usize,
    /// Its conclusion and strongest signal in that ranking.
    pub reason: String,
}

/// The culprits of `ranking` (the culprit ranking of `records`: the queue's `in_queue` records
/// first, then the yank area's) that are judged by their origin and whose messages are all in
/// the yank area. A cluster made mostly of bounces is no culprit's origin and is left out.
///
/// One with mail left in the queue is left out too: that mail is what the yank did not take,
/// the real part of the key (a shared host's uid whose hacked script alone was yanked, a
/// login's owner writing again after the password was reset), and the bounces quoting it are
/// that real mail's. The queue's own ranking judges whatever of it is spam.
pub fn culprits(
    ranking: &[Cluster],
    records: &[MessageRecord],
    in_queue: usize,
    strings: &Interner,
) -> Vec<YankedCulprit> {
    (ranking.iter())
        .filter(|c| c.verdict() == Verdict::Culprit && ORIGIN_KEYS.contains(&c.key))
        .filter(|c| !is_bounce_cluster(c, records, strings))
        .filter_map(|c| {
            let yanked = c
                .members
                .iter()
                .filter(|&&i| i as usize >= in_queue)
                .count();
            Some(YankedCulprit {
                key: c.key,
                value: c
                    .value
                    .filter(|_| yanked > 0 && yanked == c.members.len())?,
                score: c.score,
                yanked,
                reason: strongest_reason(c),
            })
        })
        .collect()
}

/// Give each bounce not taken yet whose quoted copy has a yanked culprit's origin to that
/// culprit, listed as a culprit of its own with only its `bounce-of:` term, within `room`
/// (terms, bytes) of the plan's query; returns the room left and how many culprits were left
/// out for lack of it.
pub(super) fn take(
    input: &PlanInput<'_>,
    room: (usize, usize),
    culprits: &mut Vec<PlanCulprit>,
    taken: &mut [bool],
) -> ((usize, usize), usize) {
    let strings = input.strings;
    let (mut room, mut left_out) = (room, 0);
    for y in input.yanked {
        // A culprit of the queue's ranking took these bounces already by the same term.
        let query = y
            .value
            .with_bytes(strings, |b| term("bounce-of", y.key, Some(b)));
        if culprits
            .iter()
            .any(|c| c.query.split(" or ").any(|t| t == query))
        {
            continue;
        }
        let hits: Vec<usize> = (input.quoted.iter())
            .map(|(i, q)| (*i as usize, q))
            .filter(|(i, _)| taken.get(*i) == Some(&false))
            .filter(|(_, q)| quoted_value(q, y.key, strings, Some(input.tables)) == Some(y.value))
            .map(|(i, _)| i)
            .collect();
        if hits.is_empty() {
            continue;
        }
        let cost = query.len() + 4;
        if room.0 < 1 || room.1 < cost {
            left_out += 1;
            continue;
        }
        room = (room.0 - 1, room.1 - cost);
        for &i in &hits {
            taken[i] = true;
        }
        culprits.push(PlanCulprit {
            key: y.key,
            value: y.value.shown(y.key, strings),
            value_bytes: match y.value {
                KeyValue::Text(s) => strings.resolve(s),
                other => std::sync::Arc::from(other.text(strings).as_bytes()),
            },
            score: y.score,
            messages: 0,
            counted_above: 0,
            backscatter: hits.len(),
            reason: format!(
                "already yanked ({} in the yank area), these bounces quote its mail; {}",
                crate::size::counted(y.yanked as u64, "message", "messages"),
                y.reason
            ),
            query,
        });
    }
    (room, left_out)
}
