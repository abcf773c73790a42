//! Group records by a ClusterKey into clusters with counts, times, rates, scores and reasons.
//!
//! Grouping is here; `score` and `reasons` come from the ranking (`rank.rs`), so every caller of
//! [`cluster`] (CLI, TUI, watcher) sees the same judgement.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet};

use super::key::{ClusterKey, KeyExtractor, KeyValue};
use super::patterns::SenderPatterns;
use super::rank::Facts;
use crate::queue::{Interner, MessageRecord};

/// Inputs of the analysis that are not in the records.
#[derive(Debug, Clone, Default)]
pub struct AnalysisContext {
    /// "Now", unix seconds (injected so tests and snapshots are stable).
    pub now: i64,
    /// Domains this server receives mail for (control/locals, rcpthosts, virtualdomains),
    /// lowercased; an entry starting with `.` covers subdomains (rcpthosts style).
    pub local_domains: Vec<String>,
    /// uid → user name from the passwd file, when one was readable.
    pub users: BTreeMap<u32, String>,
    /// The domain a login without one belongs to (`--default-domain`, control/defaultdomain,
    /// vpopmail's, control/me), lowercased: `test` is `test@example.com`'s account.
    pub default_domain: Option<String>,
    /// vpopmail's last login per account (`login@domain`, lowercased), from `lastauth` files.
    pub last_logins: std::sync::Arc<BTreeMap<Vec<u8>, crate::accounts::lastauth::LastAuth>>,
}

/// qmail's own users: their uids run qmail's daemons (qmaild for qmail-smtpd, qmails for
/// bounces, qmailq, ...), so a message queued under one came from the network or from qmail
/// itself, never from a local sender.
pub const QMAIL_DAEMONS: [&str; 7] = [
    "qmaild", "qmailq", "qmails", "qmailr", "qmaill", "qmailp", "alias",
];

/// The most distinct local-recipient domains inferred from one queue (a bound on hostile input).
pub const MAX_INFERRED_LOCAL_DOMAINS: usize = 10_000;

impl AnalysisContext {
    /// Does the passwd used name `uid` one of [`QMAIL_DAEMONS`]?
    pub fn is_qmail_daemon(&self, uid: u32) -> bool {
        self.users
            .get(&uid)
            .is_some_and(|n| QMAIL_DAEMONS.contains(&n.as_str()))
    }

    /// This context plus the domains qmail-send itself judged local: every address in a
    /// `local/` file is there because its domain is in control/locals or virtualdomains
    /// (docs/qmail-format.md §2), so the queue names the server's domains even when control/ is
    /// not readable.
    pub fn with_queue_local_domains(&self, records: &[MessageRecord], strings: &Interner) -> Self {
        let mut seen: FxHashSet<crate::queue::Sym> = Default::default();
        let mut domains = self.local_domains.clone();
        for rc in records.iter().flat_map(|r| r.recipients.iter()) {
            if rc.channel != crate::queue::Channel::Local || !seen.insert(rc.address) {
                continue;
            }
            if let Some(d) = super::patterns::domain(&strings.resolve(rc.address)) {
                domains.push(String::from_utf8_lossy(&d).into_owned());
            }
            if seen.len() >= MAX_INFERRED_LOCAL_DOMAINS * 16 {
                break;
            }
        }
        domains.sort();
        domains.dedup();
        domains.truncate(MAX_INFERRED_LOCAL_DOMAINS + self.local_domains.len());
        AnalysisContext {
            local_domains: domains,
            ..self.clone()
        }
    }
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
    /// Oldest known birth time; 0 when no member's is known.
    pub first_queued: i64,
    /// Newest known birth time; 0 when no member's is known.
    pub last_queued: i64,
    /// Messages per minute queued over the last hour before `now`.
    pub per_minute: f64,
    /// Culprit score (higher = more likely spam source); 0 until ranked.
    pub score: f64,
    /// Reasons for the score, in the operator's words.
    pub reasons: Vec<String>,
}

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

    fn rec(id: u64, ip: Option<crate::queue::Sym>, queued: i64) -> MessageRecord {
        let mut r = crate::fixture::record::record(id);
        r.queued = queued;
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
