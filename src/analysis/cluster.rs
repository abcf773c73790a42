//! Group records by a ClusterKey into clusters with counts, times, rates, scores and reasons.
//!
//! Grouping is here; `score` and `reasons` come from the ranking (`rank.rs`), so every caller of
//! [`cluster`] (CLI, TUI, watcher) sees the same judgement.

use rustc_hash::FxHashMap as HashMap;

use super::key::{ClusterKey, KeyExtractor, KeyValue};
use super::patterns::SenderPatterns;
use super::rank::Facts;
use crate::queue::{Interner, MessageRecord};

pub use super::context::AnalysisContext;
pub use super::types::Cluster;

/// Group `records` by `key`, largest cluster first (ties by value), each scored with its
/// reasons, without log evidence. Counts add up to `records.len()`. The same path as every
/// analysis ([`super::Basis`]): `sender-pattern` values use a [`SenderPatterns`] table built
/// from these same records and `ctx.local_domains`, `auth-user` values are accounts.
pub fn cluster(
    records: &[MessageRecord],
    key: ClusterKey,
    strings: &Interner,
    ctx: &AnalysisContext,
) -> Vec<Cluster> {
    let logs = super::evidence::LogFacts::default();
    super::Basis::new(records, strings, ctx).clusters(records, strings, &logs, key)
}

/// The sender-pattern table of `records` (one entry per distinct envelope sender).
pub fn sender_patterns(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
) -> SenderPatterns {
    let mut counts: HashMap<crate::queue::Sym, usize> = HashMap::default();
    for r in records {
        if let Some(s) = r.sender {
            *counts.entry(s).or_default() += 1;
        }
    }
    let resolved: Vec<(std::sync::Arc<[u8]>, usize)> = counts
        .into_iter()
        .map(|(s, n)| (strings.resolve(s), n))
        .collect();
    SenderPatterns::build(
        resolved.iter().map(|(a, n)| (&a[..], *n)),
        &ctx.local_domains,
    )
}

/// Group by the extractor's key, largest first, no scores yet; subject templates and networks
/// are taken from `facts` (no second derivation per message: they are the values those keys
/// compute).
pub(crate) fn group_with_facts(
    records: &[MessageRecord],
    ex: KeyExtractor<'_>,
    ctx: &AnalysisContext,
    facts: &Facts,
) -> Vec<Cluster> {
    let (key, strings) = (ex.key(), ex.strings());
    group_by(records, (key, strings), ctx, value_with_facts(ex, facts))
}

/// The members of the cluster of `value` that [`group_with_facts`] with the same extractor
/// and facts would make: for a cluster whose member list was let go to save memory.
pub(crate) fn members_with_facts(
    records: &[MessageRecord],
    ex: KeyExtractor<'_>,
    facts: &Facts,
    value: Option<KeyValue>,
) -> Vec<u32> {
    let mut value_of = value_with_facts(ex, facts);
    let mut members = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if value_of(i, r) == value {
            members.push(i as u32);
        }
    }
    members
}

/// The value of record `i` for the extractor's key, subject templates and networks taken from
/// `facts`.
pub(crate) fn value_with_facts<'a>(
    mut ex: KeyExtractor<'a>,
    facts: &'a Facts,
) -> impl FnMut(usize, &MessageRecord) -> Option<KeyValue> + 'a {
    let key = ex.key();
    move |i, r| match key {
        ClusterKey::Subject => facts.template(i),
        ClusterKey::OriginNet => facts.net(i),
        _ => ex.value(r),
    }
}

/// Group by precomputed values (`value(index, record)`), largest first; no scores yet.
pub(crate) fn group_by(
    records: &[MessageRecord],
    (key, strings): (ClusterKey, &Interner),
    ctx: &AnalysisContext,
    value: impl FnMut(usize, &MessageRecord) -> Option<KeyValue>,
) -> Vec<Cluster> {
    let g = super::grouping::group(records, ctx, value);
    g.order(strings)
        .into_iter()
        .map(|c| g.cluster(key, c, true))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{MessageId, MessageState, Parts};

    fn rec(id: u64, ip: Option<crate::queue::Sym>, queued: i64) -> MessageRecord {
        MessageRecord {
            queued,
            size: 100,
            state: MessageState::InDelivery,
            origin: crate::queue::Origin {
                ip,
                ..Default::default()
            },
            ..MessageRecord::listed(MessageId(id), Parts::default())
        }
    }

    #[test]
    fn counts_add_up_and_none_is_a_cluster() {
        let s = Interner::new();
        let a = Some(s.intern(b"86.107.221.138"));
        let b = Some(s.intern(b"41.203.18.7"));
        let recs = vec![
            rec(1, a, 1000),
            rec(2, a, 2000),
            rec(3, b, 3000),
            rec(4, None, 3500),
        ];
        let ctx = AnalysisContext {
            now: 3600,
            ..Default::default()
        };
        let cs = cluster(&recs, ClusterKey::OriginIp, &s, &ctx);
        assert_eq!(cs.iter().map(|c| c.messages).sum::<usize>(), 4);
        assert_eq!(cs[0].value, a.map(KeyValue::Text));
        assert_eq!(cs[0].members, vec![0, 1]);
        assert_eq!((cs[0].first_queued, cs[0].last_queued), (1000, 2000));
        assert!(cs.iter().any(|c| c.value.is_none() && c.messages == 1));
        let net = cluster(&recs, ClusterKey::OriginNet, &s, &ctx);
        assert_eq!(
            net[0].value.map(|v| v.text(&s)).as_deref(),
            Some("86.107.221.0/24")
        );
    }
}
