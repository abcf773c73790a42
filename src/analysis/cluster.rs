//! Group records by a ClusterKey into clusters with counts, times and rates.
//!
//! BASIC VERSION: grouping, counts and rates are real; `score` and `reasons` are filled by the
//! ranking (rank.rs) when it lands.

use std::collections::HashMap;

use super::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::queue::{Interner, MessageRecord};

/// Inputs of the analysis that are not in the records.
#[derive(Debug, Clone, Default)]
pub struct AnalysisContext {
    /// "Now", unix seconds (injected so tests and snapshots are stable).
    pub now: i64,
    /// Domains this server receives mail for (control/locals, rcpthosts, virtualdomains).
    pub local_domains: Vec<String>,
}

/// Messages sharing one value of one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The grouping key.
    pub key: ClusterKey,
    /// The shared value; `None` is the "(none)" cluster of messages without one.
    pub value: Option<KeyValue>,
    /// Indices into the record slice, in record order.
    pub members: Vec<u32>,
    /// Number of messages.
    pub messages: usize,
    /// Number of envelope recipients over all members.
    pub recipients: usize,
    /// Sum of mess sizes.
    pub bytes: u64,
    /// Oldest birth time.
    pub first_queued: i64,
    /// Newest birth time.
    pub last_queued: i64,
    /// Messages per minute queued over the last hour before `now`.
    pub per_minute: f64,
    /// Culprit score (higher = more likely spam source); 0 until ranked.
    pub score: f64,
    /// Reasons for the score, in the operator's words.
    pub reasons: Vec<String>,
}

/// Group `records` by `key`, largest cluster first (ties by value). Counts add up to
/// `records.len()`.
pub fn cluster(
    records: &[MessageRecord],
    key: ClusterKey,
    strings: &Interner,
    ctx: &AnalysisContext,
) -> Vec<Cluster> {
    let mut ex = KeyExtractor::new(key, strings);
    let mut groups: HashMap<Option<KeyValue>, Cluster> = HashMap::new();
    let hour_ago = ctx.now - 3600;
    for (i, r) in records.iter().enumerate() {
        let value = ex.value(r);
        let c = groups.entry(value).or_insert_with(|| Cluster {
            key,
            value,
            members: Vec::new(),
            messages: 0,
            recipients: 0,
            bytes: 0,
            first_queued: i64::MAX,
            last_queued: i64::MIN,
            per_minute: 0.0,
            score: 0.0,
            reasons: Vec::new(),
        });
        c.members.push(i as u32);
        c.messages += 1;
        c.recipients += r.recipients.len();
        c.bytes += r.size;
        c.first_queued = c.first_queued.min(r.queued);
        c.last_queued = c.last_queued.max(r.queued);
        if r.queued > hour_ago && r.queued <= ctx.now {
            c.per_minute += 1.0 / 60.0;
        }
    }
    let mut out: Vec<Cluster> = groups.into_values().collect();
    out.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.value.cmp(&b.value)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{MessageId, MessageState, Parts};

    fn rec(id: u64, ip: Option<crate::queue::Sym>, queued: i64) -> MessageRecord {
        MessageRecord {
            id: MessageId(id),
            queued,
            size: 100,
            parts: Parts::default(),
            state: MessageState::InDelivery,
            sender: None,
            recipients: Box::new([]),
            qp: None,
            origin: crate::queue::Origin {
                ip,
                ..Default::default()
            },
            headers: Default::default(),
            problems: Box::new([]),
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
