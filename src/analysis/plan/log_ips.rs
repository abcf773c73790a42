//! A login only the smtpd log names: the bounces quoting its mail are found by its IPs.
//!
//! A bounce's quoted copy carries the headers its message left with, and those name no AUTH
//! user when only the log did (`log-only-auth`, an AUTH patch that writes none): with `--log`,
//! `bounce-of:auth-user=test` matched none of them, and the plan left the run's backscatter
//! queued as "bounces quoting no culprit's message" (newuser46: 82 of 3,000 messages, 728 of
//! 30,000). The copies do carry the client's IP. An IP all of whose queued messages the plan
//! takes sent nothing else this queue holds, and the bounces quoting its mail are the run's.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::PlanInput;
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::types::Cluster;
use crate::queue::{AuthSource, MessageRecord, Sym};

/// `bounce-of:origin-ip=` terms (culprit index, key, value) for the IPs of `c`, the culprit at
/// `culprit`, when its login was named by the log: each IP the log named it from whose queued
/// messages `taken` all holds. None for a login its headers name (their bounces name it too).
pub(super) fn ip_terms(
    input: &PlanInput<'_>,
    culprit: usize,
    c: &Cluster,
    taken: &[bool],
) -> Vec<(usize, ClusterKey, KeyValue)> {
    if c.key != ClusterKey::AuthUser {
        return Vec::new();
    }
    let ips = log_only_ips(&c.members, input.records);
    let mut terms: Vec<(usize, ClusterKey, KeyValue)> = (all_taken(input.records, &ips, taken))
        .into_iter()
        .filter(|&(_, all)| all)
        .map(|(ip, _)| (culprit, ClusterKey::OriginIp, KeyValue::Text(ip)))
        .collect();
    // The query's terms in one order whatever the hash map's.
    terms.sort_by_cached_key(|(_, _, v)| v.text(input.strings));
    terms
}

/// The client IPs of `members` (indices into `records`) whose AUTH user only the log named.
pub(super) fn log_only_ips(members: &[u32], records: &[MessageRecord]) -> HashSet<Sym> {
    (members.iter())
        .filter_map(|&i| records.get(i as usize))
        .filter(|r| r.origin.auth_source == AuthSource::Log)
        .filter_map(|r| r.origin.ip)
        .collect()
}

/// Of `ips`, whether `taken` holds every one of `records` from each, in one pass over them.
pub(super) fn all_taken(
    records: &[MessageRecord],
    ips: &HashSet<Sym>,
    taken: &[bool],
) -> HashMap<Sym, bool> {
    let mut all: HashMap<Sym, bool> = ips.iter().map(|&ip| (ip, true)).collect();
    if all.is_empty() {
        return all;
    }
    for (i, r) in records.iter().enumerate() {
        if let Some(every) = r.origin.ip.and_then(|ip| all.get_mut(&ip)) {
            *every &= taken.get(i) == Some(&true);
        }
    }
    all
}
