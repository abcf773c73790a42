//! Analysis of scanned records: attribution of origins, clustering and culprit ranking.
//!
//! [`Analysis`] is the snapshot both faces read: the records, their interner, the clusters of
//! the chosen key and the culprit ranking, all computed by [`analyse`] from what it is given
//! (no I/O). Reading the server's control files, passwd, vpopmail's last logins and the logs
//! is [`setup`]'s job: the one way into the analysis every face takes.

pub mod account;
pub mod ages;
pub mod backscatter;
pub mod cluster;
pub mod context;
pub mod evidence;
mod grouping;
pub mod key;
pub mod left;
pub mod locals;
pub mod logins;
pub mod owner;
pub mod patterns;
pub mod plan;
pub mod rank;
pub mod setup;
pub mod signals;
pub mod types;

use std::sync::Arc;

use crate::queue::{Interner, MessageRecord};
use context::AnalysisContext;
use evidence::LogFacts;
use key::{ClusterKey, KeyExtractor};
use patterns::SenderPatterns;
use types::Cluster;

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
    /// Clusters by `key`, largest first, scored (empty when only the ranking was wanted).
    pub clusters: Vec<Cluster>,
    /// The culprit ranking across keys ([`rank::top`]), then legitimate-looking clusters
    /// (empty when only the clusters were wanted).
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
    /// Which lists the caller reads.
    pub want: Want,
}

/// Which of an analysis' two lists its caller reads. Each groups every record (the ranking
/// by nine keys), so a face that prints one does not pay for the other: at a million messages
/// `top`'s unused clusters by AUTH user were 0.2 CPU s and 8 MB beside the ranking, and the
/// ranking `clusters` never printed took longer than the clusters it printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Want {
    /// The clusters by the key and the ranking.
    #[default]
    Both,
    /// The clusters by the key only ([`Analysis::top`] left empty).
    Clusters,
    /// The ranking only ([`Analysis::clusters`] left empty).
    Ranking,
}

/// Cluster and rank `input.records`.
pub fn analyse(input: AnalysisInput) -> Analysis {
    analyse_with_logs(input, LogFacts::default())
}

/// Cluster and rank `input.records`, whose origins [`evidence::from_logs`] completed from the
/// logs; `logs` adds the evidence and login findings to the reasons.
pub fn analyse_with_logs(input: AnalysisInput, logs: LogFacts) -> Analysis {
    let basis = Basis::new(&input.records, &input.strings, &input.ctx);
    analyse_on(basis, input, logs, rank::OF_QUEUE)
}

/// [`analyse_with_logs`] of part of a queue (the messages a `--where` selected), judged with
/// `whole`, made of the whole queue under `input.ctx` ([`Whole::of`]). A cluster by
/// sender pattern is then the one a `cluster:sender-pattern=` term selects in the whole queue,
/// so a plan made of the part yanks what it counted; the part alone would learn other patterns
/// (five names at a domain in the queue may be two in the part).
///
/// Its clusters' shares are of the whole queue, as without `--where`: of `--where auth:ben`,
/// ben's cluster is 100% of the part, and that weighed 30 points made real users culprits.
pub fn analyse_part(input: AnalysisInput, logs: LogFacts, whole: Whole) -> Analysis {
    let basis = Basis::with_tables(&input.records, &input.strings, whole);
    analyse_on(basis, input, logs, rank::OF_QUEUE)
}

/// Cluster and rank `input.records` on `basis` (whose context replaces `input.ctx`); the
/// reasons' shares are of `share_of`.
fn analyse_on(
    basis: Basis,
    input: AnalysisInput,
    logs: LogFacts,
    share_of: rank::ShareOf,
) -> Analysis {
    let AnalysisInput {
        records,
        strings,
        ctx: _,
        key,
        top_limit,
        want,
    } = input;
    let (clusters, (top, top_more)) = rayon::join(
        || match want {
            Want::Ranking => Vec::new(),
            _ => basis.clusters_of(&records, &strings, &logs, key, share_of),
        },
        || match want {
            Want::Clusters => (Vec::new(), 0),
            _ => basis.top_and_more(&records, &strings, &logs, top_limit, share_of),
        },
    );
    let Basis {
        ctx,
        sender_patterns,
        facts,
    } = basis;
    Analysis {
        records,
        strings,
        ctx,
        sender_patterns,
        key,
        clusters,
        top,
        top_more,
        logs,
        facts,
    }
}

/// What one analysis judges every cluster with, apart from the records it borrows: the
/// context (plus the domains the queue itself shows local), the one sender-pattern table, and
/// the per-record facts. [`analyse_with_logs`], [`rank_culprits`] and the TUI (whose snapshot
/// owns the records) all start here, so they give the same clusters, scores and reasons.
#[derive(Debug)]
pub struct Basis {
    /// The context the analysis used, with the queue's own local domains added.
    pub ctx: AnalysisContext,
    /// The sender-pattern table of the records ([`sender_patterns`]).
    pub sender_patterns: SenderPatterns,
    /// Per-record facts the scores are computed from.
    facts: rank::Facts,
}

/// What a key's values depend on beyond the record: the sender-pattern table and the context
/// (accounts, qmail's daemon uids). Borrowed from a [`Basis`] or an [`Analysis`], so a
/// `cluster:KEY=VALUE` query selects exactly that analysis' cluster.
#[derive(Debug, Clone, Copy)]
pub struct KeyTables<'a> {
    /// The sender-pattern table.
    pub sender_patterns: &'a SenderPatterns,
    /// The context, with the queue's own local domains.
    pub ctx: &'a AnalysisContext,
}

impl<'a> KeyTables<'a> {
    /// An extractor of `key` with these tables.
    pub fn extractor(self, key: ClusterKey, strings: &'a Interner) -> KeyExtractor<'a> {
        KeyExtractor::new(key, strings)
            .with_sender_patterns(self.sender_patterns)
            .with_context(self.ctx)
    }
}

/// The context of an analysis of `records` (`ctx` plus the domains the queue itself shows
/// local) and its sender-pattern table: the first step of every [`Basis`], alone for a query
/// or a watcher that needs no more.
pub fn key_tables(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
) -> (AnalysisContext, SenderPatterns) {
    let ctx = ctx.with_queue_local_domains(records, strings);
    let table = sender_patterns(records, strings, &ctx);
    (ctx, table)
}

/// The sender-pattern table of `records` (one entry per distinct envelope sender).
pub fn sender_patterns(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
) -> SenderPatterns {
    // Sorted symbols counted in runs, not a hash map of a million senders: 4 bytes a message
    // for a moment, then 8 a distinct sender; the addresses are borrowed, not copied out.
    let mut senders: Vec<u32> = records
        .iter()
        .filter_map(|r| r.sender.map(crate::queue::Sym::as_u32))
        .collect();
    rayon::slice::ParallelSliceMut::par_sort_unstable(&mut senders[..]);
    let counts: Vec<(crate::queue::Sym, usize)> = senders
        .chunk_by(|a, b| a == b)
        .filter_map(|run| Some((crate::queue::Sym::from_u32(run[0])?, run.len())))
        .collect();
    drop(senders);
    let view = strings.read_all();
    // Distinct symbols are distinct addresses. The counts are consumed as the table takes
    // them: freed before its passes sort 8 bytes a sender of their own.
    SenderPatterns::build_distinct(
        counts.into_iter().map(|(s, n)| (view.get(s), n)),
        &ctx.local_domains,
    )
}

/// [`KeyTables`] owned, to share with another thread (the TUI's watcher).
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// The context, with the queue's own local domains.
    pub ctx: AnalysisContext,
    /// The sender-pattern table.
    pub sender_patterns: SenderPatterns,
}

impl Tables {
    /// The tables of an analysis of `records` under `ctx` ([`key_tables`]).
    pub fn of(records: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Tables {
        let (ctx, sender_patterns) = key_tables(records, strings, ctx);
        Tables {
            ctx,
            sender_patterns,
        }
    }

    /// Borrowed.
    pub fn borrow(&self) -> KeyTables<'_> {
        KeyTables {
            sender_patterns: &self.sender_patterns,
            ctx: &self.ctx,
        }
    }
}

/// What a part of a queue (`--where`) is judged with, made of the whole queue: its tables,
/// and the facts a cluster is held against (the norms of its logins and scripts, the IPs
/// logging in as several accounts, its campaign messages, its size): a part judges a cluster
/// as the queue does.
#[derive(Debug, Clone, Default)]
pub struct Whole {
    /// The tables a part's key values are given with.
    pub tables: Tables,
    /// The whole queue's norms, campaign messages and size ([`signals::QueueFacts`]).
    pub facts: signals::QueueFacts,
}

impl Whole {
    /// Of `records`, the whole queue, under `ctx`.
    pub fn of(records: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Whole {
        let tables = Tables::of(records, strings, ctx);
        let facts = signals::QueueFacts::of(records, strings, &tables.sender_patterns, &tables.ctx);
        Whole { tables, facts }
    }
}

impl Basis {
    /// The basis of `records` under `ctx`.
    pub fn new(records: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Basis {
        // Side by side: the sender table's sorts and the facts' columns each leave a core idle
        // part of the time. Their memory together stays below the ranking's, which follows.
        let ctx = ctx.with_queue_local_domains(records, strings);
        let (sender_patterns, mut facts) = rayon::join(
            || sender_patterns(records, strings, &ctx),
            || rank::Facts::new(records, strings, &ctx),
        );
        facts.note_campaigns(records, strings, &sender_patterns);
        Basis {
            ctx,
            sender_patterns,
            facts,
        }
    }

    /// The basis of `records`, a part of the queue `whole` was made of ([`Whole::of`]): its
    /// context and sender patterns, and the facts of `records` under that context judged by
    /// its norms, campaign messages and size ([`rank::Facts::of_part`]).
    pub fn with_tables(records: &[MessageRecord], strings: &Interner, whole: Whole) -> Basis {
        let Whole { tables, facts } = whole;
        let facts = rank::Facts::of_part(records, strings, &tables.ctx, facts);
        Basis {
            ctx: tables.ctx,
            sender_patterns: tables.sender_patterns,
            facts,
        }
    }

    /// The tables this basis gives key values with.
    pub fn tables(&self) -> KeyTables<'_> {
        KeyTables {
            sender_patterns: &self.sender_patterns,
            ctx: &self.ctx,
        }
    }

    /// An extractor giving this analysis' values of `key` (its sender patterns, its accounts,
    /// qmail's daemon uids left out): what `cluster:KEY=VALUE` must use.
    pub fn extractor<'a>(&'a self, key: ClusterKey, strings: &'a Interner) -> KeyExtractor<'a> {
        self.tables().extractor(key, strings)
    }

    /// What the ranking reads: `records` (those the basis was made of) and the logs' facts.
    pub fn corpus<'a>(
        &'a self,
        records: &'a [MessageRecord],
        strings: &'a Interner,
        logs: &'a LogFacts,
        share_of: rank::ShareOf,
    ) -> rank::Corpus<'a> {
        rank::Corpus {
            records,
            strings,
            ctx: &self.ctx,
            facts: &self.facts,
            sender_patterns: &self.sender_patterns,
            logs,
            share_of,
        }
    }

    /// `records` grouped by `key`, largest first, each scored with its reasons.
    pub fn clusters(
        &self,
        records: &[MessageRecord],
        strings: &Interner,
        logs: &LogFacts,
        key: ClusterKey,
    ) -> Vec<Cluster> {
        self.clusters_of(records, strings, logs, key, rank::OF_QUEUE)
    }

    /// [`Basis::clusters`] of records that are `share_of`, in the reasons' shares.
    pub fn clusters_of(
        &self,
        records: &[MessageRecord],
        strings: &Interner,
        logs: &LogFacts,
        key: ClusterKey,
        share_of: rank::ShareOf,
    ) -> Vec<Cluster> {
        let corpus = self.corpus(records, strings, logs, share_of);
        group_and_rank(&corpus, self.extractor(key, strings), usize::MAX)
    }

    /// [`Basis::clusters`] with the reasons written for every culprit and suspect and for the
    /// `first` clusters (the largest) only; the others carry their score and no reasons until
    /// [`Basis::explain`] writes them. A key with about one value a message (the sender, HELO
    /// or From of a forged flood: 100,000 clusters and more at a million messages) held some
    /// 600 bytes of reasons a cluster in the TUI, which shows one cluster's at a time.
    pub fn clusters_explaining(
        &self,
        records: &[MessageRecord],
        strings: &Interner,
        logs: &LogFacts,
        key: ClusterKey,
        first: usize,
    ) -> Vec<Cluster> {
        let corpus = self.corpus(records, strings, logs, rank::OF_QUEUE);
        group_and_rank(&corpus, self.extractor(key, strings), first)
    }

    /// Write the reasons of `c` (a cluster of these records with its members), as
    /// [`Basis::clusters`] writes them.
    pub fn explain(
        &self,
        records: &[MessageRecord],
        strings: &Interner,
        logs: &LogFacts,
        c: &mut Cluster,
    ) {
        let corpus = self.corpus(records, strings, logs, rank::OF_QUEUE);
        rank::assess(c, &corpus);
        let one = std::slice::from_mut(c);
        logins::note_forms(one, records, strings);
        logins::note_last_login(one, records, strings, &self.ctx);
    }

    /// The culprit ranking of `records` ([`rank::top`]).
    pub fn top(
        &self,
        records: &[MessageRecord],
        strings: &Interner,
        logs: &LogFacts,
        limit: usize,
        share_of: rank::ShareOf,
    ) -> Vec<Cluster> {
        self.top_and_more(records, strings, logs, limit, share_of).0
    }

    /// [`Basis::top`], and how many suspects `limit` left out (every culprit is listed).
    pub fn top_and_more(
        &self,
        records: &[MessageRecord],
        strings: &Interner,
        logs: &LogFacts,
        limit: usize,
        share_of: rank::ShareOf,
    ) -> (Vec<Cluster>, usize) {
        let corpus = self.corpus(records, strings, logs, share_of);
        let (mut top, more) = rank::top_and_more(&corpus, &self.sender_patterns, limit);
        logins::note_forms(&mut top, records, strings);
        logins::note_last_login(&mut top, records, strings, &self.ctx);
        (top, more)
    }
}

/// The corpus' records grouped by `ex`'s key, largest first, each scored, with its reasons
/// when it is among the `first` or not legitimate ([`rank::assess_first`]) and the logins'
/// notes on those reasons.
fn group_and_rank(corpus: &rank::Corpus<'_>, ex: KeyExtractor<'_>, first: usize) -> Vec<Cluster> {
    let (records, strings) = (corpus.records, corpus.strings);
    let mut clusters = grouping::group_with_facts(records, ex, corpus.ctx, corpus.facts);
    rank::assess_first(&mut clusters, corpus, first);
    logins::note_forms(&mut clusters, records, strings);
    logins::note_last_login(&mut clusters, records, strings, corpus.ctx);
    clusters
}

impl rank::Corpus<'_> {
    /// An extractor of `key` with `table` and this corpus' context, as [`Basis::extractor`].
    pub fn extractor<'a>(&'a self, key: ClusterKey, table: &'a SenderPatterns) -> KeyExtractor<'a> {
        KeyExtractor::new(key, self.strings)
            .with_sender_patterns(table)
            .with_context(self.ctx)
    }
}

impl Analysis {
    /// An extractor whose values equal this analysis' cluster values (it uses the analysis'
    /// sender-pattern table and context); for `cluster:KEY=VALUE` queries over these records.
    pub fn extractor(&self, key: ClusterKey) -> KeyExtractor<'_> {
        self.tables().extractor(key, &self.strings)
    }

    /// The tables this analysis gives key values with (for `query::select_with`).
    pub fn tables(&self) -> KeyTables<'_> {
        KeyTables {
            sender_patterns: &self.sender_patterns,
            ctx: &self.ctx,
        }
    }

    /// What the ranking reads of this analysis: its records are the queue.
    pub fn corpus(&self) -> rank::Corpus<'_> {
        rank::Corpus {
            records: &self.records,
            strings: &self.strings,
            ctx: &self.ctx,
            facts: &self.facts,
            sender_patterns: &self.sender_patterns,
            logs: &self.logs,
            share_of: rank::OF_QUEUE,
        }
    }

    /// Re-cluster by another key (the TUI's key switch) without rescanning.
    pub fn recluster(&mut self, key: ClusterKey) {
        let clusters = group_and_rank(&self.corpus(), self.extractor(key), usize::MAX);
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
    Basis::new(records, strings, ctx).top(records, strings, logs, limit, share_of)
}

/// The AUTH users `ranking` holds as culprits (verdict culprit), as written in the queue: what
/// the accounts check takes as `top`'s culprits.
pub fn culprit_auth_users(ranking: &[Cluster], strings: &Interner) -> Vec<String> {
    ranking
        .iter()
        .filter(|c| c.key == ClusterKey::AuthUser && c.verdict() == rank::Verdict::Culprit)
        .filter_map(|c| c.value.as_ref())
        .map(|v| v.text(strings))
        .collect()
}

/// The logins of the culprit subjects `ranking` holds as sent through many stolen logins
/// (credential stuffing), each once: `records` are what the ranking's members index. The
/// accounts check marks them `culprit-top` too.
pub fn stuffed_logins(
    ranking: &[Cluster],
    records: &[MessageRecord],
    strings: &Interner,
) -> Vec<String> {
    let culprits = ranking
        .iter()
        .filter(|c| c.verdict() == rank::Verdict::Culprit);
    let users = culprits
        .filter(|c| rank::is_stuffing(c))
        .flat_map(|c| c.members.iter())
        .filter_map(|&i| records.get(i as usize)?.origin.auth_user);
    let mut seen = std::collections::HashSet::new();
    users
        .filter(|u| seen.insert(*u))
        .map(|u| strings.text(u))
        .collect()
}
