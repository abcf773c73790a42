//! `--where auth:LOGIN` against the whole queue: does a part judge a login as the queue does?

use std::collections::HashMap;
use std::sync::Arc;

use qtriage::analysis::cluster::AnalysisContext;
use qtriage::analysis::key::ClusterKey;
use qtriage::analysis::rank::Verdict;
use qtriage::analysis::{analyse, analyse_part, AnalysisInput, Want, Whole, TOP_LIMIT};
use qtriage::fixture::flood::{write_flood_with_groups, FloodGroup, FloodSpec, Mix};
use qtriage::fixture::QueueBuilder;
use qtriage::queue::{scan, Interner, MessageId, Progress, Queue, QueueOptions, ScanOptions};

use crate::util::TestQueue;

const NOW: i64 = 1_795_435_200; // 2026-11-23 12:00 UTC

/// How a mix's logins fare under `--where auth:LOGIN`.
#[derive(Debug, Default)]
struct Agreement {
    logins: usize,
    same: usize,
    /// Culprits of the queue that their part does not call culprits.
    lost: Vec<String>,
    /// Logins of mostly real mail that their part calls culprits and the queue does not.
    real_taken: Vec<String>,
    /// Others the part calls culprits and the queue does not (spam the queue left).
    gained: Vec<String>,
    /// Same verdict, another score.
    rescored: Vec<String>,
}

fn input(records: Vec<qtriage::queue::MessageRecord>, strings: Arc<Interner>) -> AnalysisInput {
    AnalysisInput {
        records,
        strings,
        ctx: AnalysisContext {
            now: NOW,
            ..Default::default()
        },
        key: ClusterKey::AuthUser,
        top_limit: TOP_LIMIT,
        want: Want::Clusters,
    }
}

fn agreement(mix: Mix, messages: usize, seed: u64) -> Agreement {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    let spec = FloodSpec::new(messages, seed, NOW).with_mix(mix);
    let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood written");
    let group: HashMap<MessageId, FloodGroup> = groups.into_iter().collect();
    let queue = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Arc::new(Interner::new());
    let s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    let records = s.records;
    let ctx = input(Vec::new(), strings.clone()).ctx;
    let whole = analyse(input(records.clone(), strings.clone()));
    let of_queue = Whole::of(&records, &strings, &ctx);
    let mut a = Agreement::default();
    for c in whole.clusters.iter().filter(|c| c.messages >= 5) {
        let Some(value) = c.value else { continue };
        let login = value.text(&strings);
        let user = Some(strings.intern(login.as_bytes()));
        let part: Vec<_> = records
            .iter()
            .filter(|r| r.origin.auth_user == user)
            .cloned()
            .collect();
        let real = part.iter().filter(|r| group[&r.id].is_real()).count();
        let judged = analyse_part(
            input(part, strings.clone()),
            Default::default(),
            of_queue.clone(),
        );
        let Some(p) = judged.clusters.iter().find(|p| p.value == Some(value)) else {
            continue;
        };
        a.logins += 1;
        let (was, is) = (c.verdict(), p.verdict());
        let line = format!(
            "{login} ({} msgs, {real} real) {:.1} -> {:.1}",
            c.messages, c.score, p.score
        );
        match (was == Verdict::Culprit, is == Verdict::Culprit) {
            (true, false) => a.lost.push(line),
            (false, true) if 2 * real >= c.messages => a.real_taken.push(line),
            (false, true) => a.gained.push(line),
            _ if (c.score - p.score).abs() > 0.05 => a.rescored.push(line),
            _ => a.same += 1,
        }
    }
    a
}

/// On demand: `cargo test --release --test integration where_judges -- --ignored
/// --nocapture` prints, per mix, the logins (5+ messages) whose part under `--where
/// auth:LOGIN` is judged otherwise than the queue's cluster: a culprit when it is not, not
/// when it is, or another score; and fails if there is one.
#[test]
#[ignore]
fn where_judges_a_login_as_the_queue_does() {
    let mut differ = Vec::new();
    for mix in Mix::ALL {
        let a = agreement(mix, 2_000, 17);
        let name = mix.name();
        println!(
            "{name:<17} logins {:>3}, same {:>3}, lost {:?}, real taken {:?}, gained {:?}, rescored {:?}",
            a.logins, a.same, a.lost, a.real_taken, a.gained, a.rescored
        );
        let apart = [a.lost, a.real_taken, a.gained, a.rescored].concat();
        differ.extend(apart.into_iter().map(|l| format!("{name}: {l}")));
    }
    assert!(
        differ.is_empty(),
        "judged otherwise under --where:\n{}",
        differ.join("\n")
    );
}

/// In every run: phone users with many messages each (`botnet-login`) and a ring of guessed
/// accounts over shared IPs (`shared-ips`), each login judged under `--where auth:LOGIN` as
/// the queue judges it. Before, ben0's part was 100% of itself (+30) and a culprit at 55.0
/// (25.3 in the queue), and the ring's IPs each logged in as one account in its part (its 20
/// points of shared IPs lost).
#[test]
fn where_judges_phone_users_and_a_ring_as_the_queue_does() {
    for mix in [Mix::BotnetLogin, Mix::SharedIps] {
        let a = agreement(mix, 1_000, 17);
        let apart = [a.lost, a.real_taken, a.gained, a.rescored].concat();
        assert!(a.logins >= 10, "{}: {} logins", mix.name(), a.logins);
        assert!(apart.is_empty(), "{}: {apart:#?}", mix.name());
    }
}
