//! Analysis of scanned records: attribution of origins, clustering and culprit ranking.
//!
//! [`Analysis`] is the snapshot both faces read: the records, their interner, the clusters of
//! the chosen key and the culprit ranking, all computed by [`analyse`] from what it is given
//! (no I/O). Reading the server's control files and passwd is [`locals`]'s job.

pub mod backscatter;
pub mod cluster;
pub mod evidence;
mod grouping;
pub mod key;
pub mod locals;
pub mod origin;
pub mod patterns;
pub mod plan;
pub mod rank;
pub mod signals;

use std::sync::Arc;

use crate::queue::{Interner, MessageRecord};
use cluster::{AnalysisContext, Cluster};
use evidence::LogFacts;
use key::{ClusterKey, KeyExtractor};
use patterns::SenderPatterns;

/// How many culprits [`analyse`] ranks (the TUI's and `top`'s default).
pub const TOP_LIMIT: usize = 10;

/// One analysed snapshot of the queue.
#[derive(Debug)]
pub struct Analysis {
    /// The records, in scan order; cluster members index into this.
    pub records: Vec<MessageRecord>,
    /// The interner the records' symbols belong to.
    pub strings: Arc<Interner>,
    /// Now, local domains and user names the analysis used.
    pub ctx: AnalysisContext,
    /// The sender-pattern table of these records (see [`patterns::SenderPatterns`]).
    pub sender_patterns: SenderPatterns,
    /// The key of `clusters`.
    pub key: ClusterKey,
    /// Clusters by `key`, largest first, scored.
    pub clusters: Vec<Cluster>,
    /// The culprit ranking across keys ([`rank::top`]), then legitimate-looking clusters.
    pub top: Vec<Cluster>,
    /// Suspects the ranking's limit left out of `top` (every culprit is in it).
    pub top_more: usize,
    /// What the logs said: per-message AUTH-user evidence, login findings (empty without logs).
    pub logs: LogFacts,
    /// Per-record facts the scores were computed from, kept for re-clustering.
    facts: rank::Facts,
}

/// What [`analyse`] needs.
#[derive(Debug)]
pub struct AnalysisInput {
    /// The records to analyse.
    pub records: Vec<MessageRecord>,
    /// Their interner.
    pub strings: Arc<Interner>,
    /// Now, local domains, user names.
    pub ctx: AnalysisContext,
    /// The key for `clusters`.
    pub key: ClusterKey,
    /// How many culprits to rank.
    pub top_limit: usize,
}

/// Cluster and rank `input.records`.
pub fn analyse(input: AnalysisInput) -> Analysis {
    analyse_with_logs(input, LogFacts::default())
}

/// Cluster and rank `input.records`, whose origins [`evidence::from_logs`] completed from the
/// logs; `logs` adds the evidence and login findings to the reasons.
pub fn analyse_with_logs(input: AnalysisInput, logs: LogFacts) -> Analysis {
    let AnalysisInput {
        records,
        strings,
        ctx,
        key,
        top_limit,
    } = input;
    let ctx = ctx.with_queue_local_domains(&records, &strings);
    // Not joined: the sender table's tallies and the facts would peak in memory together.
    let table = cluster::sender_patterns(&records, &strings, &ctx);
    let facts = rank::Facts::new(&records, &strings, &ctx);
    let corpus = rank::Corpus {
        records: &records,
        strings: &strings,
        ctx: &ctx,
        facts: &facts,
        logs: &logs,
        share_of: rank::OF_QUEUE,
    };
    let (clusters, (top, top_more)) = rayon::join(
        || {
            let ex = KeyExtractor::new(key, &strings).with_sender_patterns(&table);
            let mut clusters = cluster::group_with_facts(&records, ex, &ctx, &facts);
            rank::assess_all(&mut clusters, &corpus);
            clusters
        },
        || rank::top_and_more(&corpus, &table, top_limit),
    );
    Analysis {
        records,
        strings,
        ctx,
        sender_patterns: table,
        key,
        clusters,
        top,
        top_more,
        logs,
        facts,
    }
}

impl Analysis {
    /// An extractor whose values equal this analysis' cluster values (it uses the analysis'
    /// sender-pattern table); for `cluster:KEY=VALUE` queries over these records.
    pub fn extractor(&self, key: ClusterKey) -> KeyExtractor<'_> {
        KeyExtractor::new(key, &self.strings).with_sender_patterns(&self.sender_patterns)
    }

    /// What the ranking reads of this analysis: its records are the queue.
    pub fn corpus(&self) -> rank::Corpus<'_> {
        rank::Corpus {
            records: &self.records,
            strings: &self.strings,
            ctx: &self.ctx,
            facts: &self.facts,
            logs: &self.logs,
            share_of: rank::OF_QUEUE,
        }
    }

    /// Re-cluster by another key (the TUI's key switch) without rescanning.
    pub fn recluster(&mut self, key: ClusterKey) {
        let corpus = self.corpus();
        let ex = self.extractor(key);
        let mut clusters = cluster::group_with_facts(&self.records, ex, &self.ctx, &self.facts);
        rank::assess_all(&mut clusters, &corpus);
        self.key = key;
        self.clusters = clusters;
    }
}

/// The culprit ranking of `records` ([`rank::top`], as in [`analyse_with_logs`]) without taking
/// the records: for the report and the accounts check, which borrow a snapshot. `ctx` gains the
/// queue's own local domains as in [`analyse`]; `share_of` names what the records are in the
/// reasons' shares ([`rank::OF_QUEUE`] when they are the queue).
pub fn rank_culprits(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
    logs: &LogFacts,
    limit: usize,
    share_of: rank::ShareOf,
) -> Vec<Cluster> {
    let ctx = ctx.with_queue_local_domains(records, strings);
    let table = cluster::sender_patterns(records, strings, &ctx);
    let facts = rank::Facts::new(records, strings, &ctx);
    let corpus = rank::Corpus {
        records,
        strings,
        ctx: &ctx,
        facts: &facts,
        logs,
        share_of,
    };
    rank::top(&corpus, &table, limit)
}

/// The AUTH users `ranking` holds as culprits (verdict culprit), as written in the queue:
/// what the accounts check takes as `top`'s culprits.
pub fn culprit_auth_users(ranking: &[Cluster], strings: &Interner) -> Vec<String> {
    ranking
        .iter()
        .filter(|c| c.key == ClusterKey::AuthUser && c.verdict() == rank::Verdict::Culprit)
        .filter_map(|c| c.value.as_ref())
        .map(|v| v.text(strings))
        .collect()
}
