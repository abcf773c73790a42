//! Cluster records by one key for a caller outside the analysis: [`cluster`], and the names it
//! hands out ([`Cluster`], [`AnalysisContext`]).
//!
//! It takes the analysis' own path ([`super::Basis`]): grouping (`grouping.rs`), then `score`
//! and `reasons` from the ranking (`rank.rs`), so every caller (CLI, report, tests, benches)
//! sees the same judgement. Nothing inside the analysis imports this module.

use super::key::ClusterKey;
use crate::queue::{Interner, MessageRecord};

pub use super::context::AnalysisContext;
pub use super::types::Cluster;

/// Group `records` by `key`, largest cluster first (ties by value), each scored with its
/// reasons, without log evidence. Counts add up to `records.len()`. The same path as every
/// analysis ([`super::Basis`]): `sender-pattern` values use a
/// [`SenderPatterns`](super::patterns::SenderPatterns) table built from these same records and
/// `ctx.local_domains`, `auth-user` values are accounts.
pub fn cluster(
    records: &[MessageRecord],
    key: ClusterKey,
    strings: &Interner,
    ctx: &AnalysisContext,
) -> Vec<Cluster> {
    let logs = super::evidence::LogFacts::default();
    super::Basis::new(records, strings, ctx).clusters(records, strings, &logs, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::key::KeyValue;

    fn rec(id: u64, ip: Option<crate::queue::Sym>, queued: i64) -> MessageRecord {
        let mut r = crate::fixture::record::record(id);
        r.set_queued(queued);
        r.size = 100;
        r.origin.ip = ip;
        r
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
