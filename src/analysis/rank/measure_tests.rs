//! The score-only measure against the full one: on every generated mix, every cluster of every
//! key scores the same whether its senders are all counted or only up to "many".

use super::{assess, score_only, Cluster, Corpus};
use crate::analysis::context::AnalysisContext;
use crate::analysis::evidence::LogFacts;
use crate::analysis::grouping::group_with_facts;
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{measure, measure_score, MANY_SENDERS};
use crate::analysis::Basis;
use crate::fixture::flood::{write_flood, FloodSpec, Mix};
use crate::fixture::QueueBuilder;
use crate::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions};

/// Each generated mix (and `php-smtp`'s variants) of `messages` messages, scanned and analysed
/// as `top` does (uids 48 and 89 named, the local domains of a mix that has them), with every
/// key's clusters: `check(mix, corpus, clusters)`.
pub(super) fn each_mix(messages: usize, mut check: impl FnMut(Mix, &Corpus<'_>, &[Cluster])) {
    for (seed, mix) in Mix::ALL.into_iter().chain(Mix::VARIANTS).enumerate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fq = QueueBuilder::new(dir.path().join("q"))
            .create()
            .expect("queue");
        let now = 1_795_428_000;
        let spec = FloodSpec::new(messages, 11 + seed as u64, now).with_mix(mix);
        write_flood(&fq, &spec).expect("flood");
        let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
        let strings = Interner::new();
        let records = scan(
            &queue,
            &strings,
            ScanOptions::default(),
            &Progress::default(),
        )
        .expect("scan")
        .records;
        let mut ctx = AnalysisContext {
            now,
            local_domains: mix.locals().into_iter().map(String::from).collect(),
            ..AnalysisContext::default()
        };
        ctx.users.insert(48, "apache".into());
        ctx.users.insert(89, "qmaild".into());
        let b = Basis::new(&records, &strings, &ctx);
        let logs = LogFacts::default();
        let corpus = b.corpus(&records, &strings, &logs, super::OF_QUEUE);
        let clusters: Vec<Cluster> = (ClusterKey::ALL.into_iter())
            .flat_map(|key| {
                let ex = corpus.extractor(key, &b.sender_patterns);
                group_with_facts(&records, ex, corpus.ctx, corpus.facts)
            })
            .collect();
        check(mix, &corpus, &clusters);
    }
}

#[test]
fn a_score_only_measure_scores_as_the_full_one() {
    let (mut many, mut few) = (0, 0);
    each_mix(300, |mix, corpus, clusters| {
        for c in clusters {
            let (all, score) = (measure(c, corpus), measure_score(c, corpus));
            assert_eq!(score.senders, all.senders.min(MANY_SENDERS), "{mix:?}");
            assert!(all.all_senders && !score.all_senders);
            let mut assessed = c.clone();
            assess(&mut assessed, corpus);
            let what = (mix, c.key, c.value.map(|v| v.text(corpus.strings)));
            assert_eq!(score_only(c, corpus), assessed.score, "{what:?}");
            *if all.senders > MANY_SENDERS {
                &mut many
            } else {
                &mut few
            } += 1;
        }
    });
    // Both sides of the count, many times each.
    assert!(
        many > 100 && few > 100,
        "{many} with many senders, {few} with few"
    );
}
