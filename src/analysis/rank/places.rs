//! One person's places, told from a botnet's: a login used from many networks in few address
//! blocks, one or a few at a time (a phone on its carrier's changing addresses, home, office,
//! hotels), where a botnet, a proxy ring or a mobile proxy service logs in from many at once.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::key::ClusterKey;
use crate::analysis::patterns::block;
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;

/// Distinct client IPs within one hour up to which a login is one person's places at once: a
/// phone whose carrier gives it a new address, a laptop on a hotel's or a fair's network, the
/// office. A botnet, a proxy ring, a mobile proxy service use many at once.
pub(super) const PLACES_AT_ONCE: usize = 3;

/// Address blocks (/16) up to which a login's many networks can be one person's: a carrier's
/// pools or two, home, the office, a few hotels (mix66's reps: 3-6; mix63's salesman on 18
/// hotel networks: 10).
const PERSON_BLOCKS: usize = 10;

/// Is `c`, a login used from many networks, one person moving: its networks in
/// [`PERSON_BLOCKS`] blocks or fewer, and at most [`PLACES_AT_ONCE`] IPs in any
/// one hour? Then its blocks and its busiest hour's IPs. mix66's 30 field reps logged in from
/// 6-15 networks in 3-6 blocks, 1-3 IPs an hour; the abuse beside them from 7-92 IPs an hour
/// (a mobile proxy service on one carrier's pool: 48 networks in 4 blocks, 8 an hour), and
/// mix63's low-and-slow botnet, 4 an hour, from 261 blocks.
pub(super) fn one_person(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> Option<(usize, usize)> {
    if c.key != ClusterKey::AuthUser {
        return None;
    }
    let blocks: FxHashSet<Vec<u8>> = (s.nets.iter())
        .filter_map(|&net| corpus.strings.with(net, |n| block(n).map(<[u8]>::to_vec)))
        .collect();
    if blocks.len() > PERSON_BLOCKS {
        return None;
    }
    let busiest = busiest_hour(c, corpus);
    (busiest <= PLACES_AT_ONCE).then_some((blocks.len(), busiest))
}

/// The most distinct client IPs `c`'s messages came from within one clock hour.
pub(super) fn busiest_hour(c: &Cluster, corpus: &Corpus<'_>) -> usize {
    let mut seen: FxHashSet<(i64, crate::queue::Sym)> = FxHashSet::default();
    let mut per_hour: FxHashMap<i64, usize> = FxHashMap::default();
    for r in c
        .members
        .iter()
        .filter_map(|&i| corpus.records.get(i as usize))
    {
        let Some(ip) = r.origin.ip else { continue };
        let hour = r.queued().div_euclid(3600);
        if seen.insert((hour, ip)) {
            *per_hour.entry(hour).or_default() += 1;
        }
    }
    per_hour.values().copied().max().unwrap_or(0)
}
