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
use crate::queue::{Interner, MessageRecord, Sym};
use std::collections::HashSet;

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
    /// Of its messages, those still in the queue: none for a culprit a yank took whole. One
    /// with some is named by the plan when it does not take them ([`PartlyYanked`]).
    pub queued: Vec<crate::queue::MessageId>,
    /// Its conclusion and strongest signal in that ranking.
    pub reason: String,
    /// For a login only the log named: the client IPs the log named it from, ascending. Its
    /// bounces' quoted copies name no AUTH user, only these (see [`super::log_ips`]).
    pub log_ips: Vec<Sym>,
}

/// The culprits of `ranking` (the culprit ranking of `records`: the queue's `in_queue` records
/// first, then the yank area's) that are judged by their origin. A cluster made mostly of
/// bounces is no culprit's origin and is left out. One none of whose messages a yank took may
/// be a culprit only with what was yanked (a ring's other logins, review58b): [`partly`].
///
/// One with mail left in the queue takes no bounces ([`take`]): that mail may be what the yank
/// left on purpose, the real part of the key (a shared host's uid whose hacked script alone was
/// yanked, a login's owner writing again after the password was reset), and the bounces quoting
/// it are that real mail's. The queue's own ranking judges whatever of it is spam; the plan
/// names it ([`PartlyYanked`]).
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
            let mut log_ips: Vec<Sym> = match c.key {
                ClusterKey::AuthUser => super::log_ips::log_only_ips(&c.members, records)
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            };
            // The query's terms in one order, whatever order the scan interned the IPs in.
            log_ips.sort_unstable_by_key(|&ip| strings.resolve(ip));
            Some(YankedCulprit {
                key: c.key,
                value: c.value?,
                score: c.score,
                yanked,
                queued: (c.members.iter())
                    .filter(|&&i| (i as usize) < in_queue)
                    .filter_map(|&i| records.get(i as usize).map(|r| r.id))
                    .collect(),
                reason: strongest_reason(c),
                log_ips,
            })
        })
        .collect()
}

/// Give each bounce not taken yet whose quoted copy has a yanked culprit's origin to that
/// culprit, listed as a culprit of its own with only its `bounce-of:` terms, within `room`
/// (terms, bytes) of the plan's query; returns the room left and how many culprits were left
/// out for lack of it. A login only the log named is found by the IPs the log named it from,
/// each one all of whose queued mail the plan takes (newuser54: yanked alone with `--log`,
/// `test`'s 372 bounces stayed as quoting no culprit's message, and went out as backscatter).
pub(super) fn take(
    input: &PlanInput<'_>,
    room: (usize, usize),
    culprits: &mut Vec<PlanCulprit>,
    taken: &mut [bool],
) -> ((usize, usize), usize) {
    let strings = input.strings;
    let (mut room, mut left_out) = (room, 0);
    let ips = (input.yanked.iter()).flat_map(|y| y.log_ips.iter().copied());
    let all_taken = super::log_ips::all_taken(input.records, &ips.collect(), taken);
    for y in input.yanked.iter().filter(|y| y.queued.is_empty()) {
        let ips = (y.log_ips.iter()).filter(|ip| all_taken.get(*ip) == Some(&true));
        let found = bounces_by(input, taken, (y.key, y.value), ips);
        // Each term as it fits: a botnet's login, named from hundreds of IPs, keeps the
        // terms there is room for, its own first.
        let (mut terms, mut hits, mut short) = (Vec::new(), 0, false);
        for (key, value, bounces) in &found {
            let query = value.with_bytes(strings, |b| term("bounce-of", *key, Some(b)));
            // A culprit of the queue's ranking took these bounces already by the same term.
            let known = (culprits.iter()).any(|c| c.query.split(" or ").any(|t| t == query));
            let cost = query.len() + 4;
            if known {
                continue;
            }
            if room.0 < 1 || room.1 < cost {
                short = true;
                continue;
            }
            room = (room.0 - 1, room.1 - cost);
            terms.push(query);
            hits += bounces.len();
            for &i in bounces {
                taken[i] = true;
            }
        }
        left_out += usize::from(short);
        if hits == 0 {
            continue;
        }
        culprits.push(PlanCulprit {
            key: y.key,
            value: y.value.shown(y.key, strings),
            value_bytes: y.value.bytes(strings),
            score: y.score,
            messages: 0,
            counted_above: 0,
            backscatter: hits,
            from_log: 0,
            reason: format!(
                "already yanked ({} in the yank area), these bounces quote its mail; {}",
                crate::size::counted(y.yanked as u64, "message", "messages"),
                y.reason
            ),
            query: terms.join(" or "),
            owner_left: None,
            local_left: None,
            undiverted_left: None,
            own_domain_left: None,
        });
    }
    (room, left_out)
}

/// The bounces not taken yet whose quoted copy has the origin `(key, value)`, then those whose
/// copy came from one of `ips` (in their order), each bounce once: (key, value, bounces) of
/// each origin with any. The copies are read once for the IPs, not once an IP.
fn bounces_by<'s>(
    input: &PlanInput<'_>,
    taken: &[bool],
    (key, value): (ClusterKey, KeyValue),
    ips: impl Iterator<Item = &'s Sym>,
) -> Vec<(ClusterKey, KeyValue, Vec<usize>)> {
    let (strings, tables) = (input.strings, Some(input.tables));
    let open = (input.quoted.iter())
        .map(|(i, q)| (*i as usize, q))
        .filter(|(i, _)| taken.get(*i) == Some(&false));
    let mut own = Vec::new();
    let order: Vec<KeyValue> = ips.map(|&ip| KeyValue::Text(ip)).collect();
    let mut by_ip: rustc_hash::FxHashMap<KeyValue, Vec<usize>> =
        order.iter().map(|&ip| (ip, Vec::new())).collect();
    for (i, q) in open {
        if quoted_value(q, key, strings, tables) == Some(value) {
            own.push(i);
        } else if !by_ip.is_empty() {
            let ip = quoted_value(q, ClusterKey::OriginIp, strings, tables);
            if let Some(list) = ip.and_then(|ip| by_ip.get_mut(&ip)) {
                list.push(i);
            }
        }
    }
    let mut found = vec![(key, value, own)];
    found.extend(order.into_iter().map(|ip| {
        let list = by_ip.remove(&ip).unwrap_or_default();
        (ClusterKey::OriginIp, ip, list)
    }));
    found.retain(|(_, _, list)| !list.is_empty());
    found
}

/// A culprit of the ranking with the yank area some of whose mail is still queued, where the
/// queue's own ranking makes no culprit of it: named by the plan, not taken.
///
/// newuser58: `yank auth:test` alone (the README's "one culprit") took the login's 383
/// messages from 86.107.221.138; the IP's 200 phishing messages left, relaying without a login,
/// were a suspect at 36.5 in the queue, and `plan` said `no culprit: nothing to yank` where
/// `report` (queue and yank area) called the IP a culprit with 200 not yanked. Whether the rest
/// is the key's real part or spam the yank missed, the queue alone cannot tell: the operator can.
#[derive(Debug, Clone, PartialEq)]
pub struct PartlyYanked {
    /// Its key.
    pub key: ClusterKey,
    /// Its value as `top` shows it (unsanitized).
    pub value: String,
    /// Its value's exact bytes.
    pub value_bytes: std::sync::Arc<[u8]>,
    /// Its score with the yank area.
    pub score: f64,
    /// Of its messages, those in the yank area.
    pub yanked: usize,
    /// Of its messages, those still queued that the plan does not take (nor the operator
    /// picked back).
    pub queued: usize,
    /// Its conclusion and strongest signal with the yank area (unsanitized).
    pub reason: String,
    /// The query selecting it (`cluster:KEY=VALUE`).
    pub query: String,
}

impl PartlyYanked {
    /// `not taken, a culprit with what was yanked: origin-ip 86.107.221.138 (383 messages
    /// yanked, 200 still queued, culprit 58.5 with the yank area: ...): ...` (unsanitized).
    pub fn words(&self) -> String {
        let yanked = match self.yanked {
            // A ring's other login: a culprit only beside its fellows' yanked mail.
            0 => "none of its messages yanked".to_string(),
            n => format!(
                "{} yanked",
                crate::size::counted(n as u64, "message", "messages")
            ),
        };
        format!(
            "not taken, a culprit with what was yanked: {} {} ({yanked}, {} still queued, \
             culprit {:.1} with the yank area: {}): the queue alone does not make it a \
             culprit; look at them before taking them (qtriage list '{}')",
            self.key.name(),
            self.value,
            crate::size::thousands(self.queued),
            self.score,
            self.reason,
            self.query
        )
    }
}

/// The partly yanked culprits of `input` with queued messages the plan does not take (`taken`,
/// by record) and the operator did not pick back: another culprit of the queue (a HELO, a
/// subject) often takes the rest. Not one of the plan's own `culprits`: what the plan does
/// not take of it is what it leaves as likely real and says so under it (walk65: `support@`,
/// a culprit whose owner's 38 messages the plan left, was named again as `not taken ... look
/// at them before taking them`, inviting the operator to take them).
pub(super) fn partly(
    input: &PlanInput<'_>,
    taken: &[bool],
    culprits: &[super::PlanCulprit],
) -> Vec<PartlyYanked> {
    let strings = input.strings;
    let planned = |y: &&YankedCulprit| {
        let bytes = y.value.bytes(strings);
        (culprits.iter()).any(|c| c.key == y.key && c.value_bytes == bytes)
    };
    let partly: Vec<&YankedCulprit> = (input.yanked.iter())
        .filter(|y| !y.queued.is_empty())
        .filter(|y| !planned(y))
        .collect();
    if partly.is_empty() {
        return Vec::new();
    }
    let ids = |keep: &dyn Fn(usize) -> bool| -> HashSet<crate::queue::MessageId> {
        (input.records.iter())
            .enumerate()
            .filter(|&(i, _)| keep(i))
            .map(|(_, r)| r.id)
            .collect()
    };
    let left = ids(&|i| taken.get(i) == Some(&false) && !input.is_restored(i));
    let picked = ids(&|i| input.is_restored(i));
    (partly.into_iter())
        .filter_map(|y| {
            let query = y
                .value
                .with_bytes(strings, |b| term("cluster", y.key, Some(b)));
            let queued = y.queued.iter().filter(|id| left.contains(id)).count();
            // The query to look with leaves what the operator picked back (review58b: it
            // listed them, and a yank of it would take the verdict back).
            let query = match y.queued.iter().any(|id| picked.contains(id)) {
                true => format!("{query} restored:no"),
                false => query,
            };
            (queued > 0).then(|| PartlyYanked {
                key: y.key,
                value: y.value.shown(y.key, strings),
                value_bytes: y.value.bytes(strings),
                score: y.score,
                yanked: y.yanked,
                queued,
                reason: y.reason.clone(),
                query,
            })
        })
        .collect()
}
