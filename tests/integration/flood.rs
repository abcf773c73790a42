//! The flood mix (issue 3 sample-queues, issue 9): what was planted is what the reader sees.

use qtriage::analysis::cluster::{cluster, AnalysisContext, Cluster};
use qtriage::analysis::key::ClusterKey;
use qtriage::fixture::flood::{
    write_flood, FloodGroup, FloodSpec, FloodTruth, PAYPAL_IP, PHP_SCRIPT,
};
use qtriage::fixture::QueueBuilder;
use qtriage::queue::{
    scan, Interner, MessageState, OriginKind, Progress, Queue, QueueOptions, Scan, ScanOptions,
    Subdir,
};

use crate::util::TestQueue;

const NOW: i64 = 1_795_435_200; // 2026-11-23 12:00 UTC

fn flood(n: usize, seed: u64) -> (TestQueue, FloodTruth, Scan, Interner) {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    let truth = write_flood(&t.q, &FloodSpec::new(n, seed, NOW)).expect("flood written");
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    (t, truth, s, strings)
}

/// Messages in the cluster of `key` whose value reads `value`.
fn size_of(clusters: &[Cluster], strings: &Interner, value: &str) -> usize {
    clusters
        .iter()
        .find(|c| c.value.is_some_and(|v| v.text(strings) == value))
        .map_or(0, |c| c.messages)
}

fn clusters(s: &Scan, strings: &Interner, key: ClusterKey) -> Vec<Cluster> {
    cluster(
        &s.records,
        key,
        strings,
        &AnalysisContext {
            now: NOW,
            ..Default::default()
        },
    )
}

#[test]
fn planted_groups_are_what_the_reader_and_clustering_see() {
    let (_t, truth, s, strings) = flood(300, 42);
    assert_eq!(truth.total(), 300);
    assert_eq!(s.records.len(), 300);
    let auth = clusters(&s, &strings, ClusterKey::AuthUser);
    assert_eq!(size_of(&auth, &strings, "test"), truth.auth_test());
    assert_eq!(
        size_of(&auth, &strings, "test@example.com"),
        truth.messages(FloodGroup::AuthTestVpopmail)
    );
    assert_eq!(
        size_of(&auth, &strings, "sales@example.com"),
        truth.messages(FloodGroup::AuthSales)
    );
    // The largest auth-user cluster is the compromised `test` account.
    assert_eq!(
        auth[1..]
            .iter()
            .find(|c| c.value.is_some())
            .map(|c| c.messages < auth[0].messages),
        Some(true)
    );
    let uid = clusters(&s, &strings, ClusterKey::Uid);
    assert_eq!(
        size_of(&uid, &strings, "48"),
        truth.messages(FloodGroup::PhpScript)
    );
    let script = clusters(&s, &strings, ClusterKey::Script);
    assert_eq!(
        size_of(&script, &strings, qtriage::fixture::flood::PHP_SCRIPT),
        truth.messages(FloodGroup::PhpScript)
    );
    let subject = clusters(&s, &strings, ClusterKey::Subject);
    assert_eq!(
        size_of(&subject, &strings, "Dispute Transaction"),
        truth.messages(FloodGroup::Paypal)
    );
    let from = clusters(&s, &strings, ClusterKey::From);
    assert_eq!(
        size_of(&from, &strings, "support@PayPal.Inc.com"),
        truth.messages(FloodGroup::Paypal)
    );
    let bounces = s
        .records
        .iter()
        .filter(|r| r.origin.kind == OriginKind::Bounce)
        .count();
    assert_eq!(bounces, truth.messages(FloodGroup::Bounce));
    let queued = s
        .records
        .iter()
        .filter(|r| r.state == MessageState::Queued)
        .count();
    assert_eq!(queued, truth.unpreprocessed());
    assert_eq!(
        s.records.iter().filter(|r| r.is_bouncing()).count(),
        truth.bouncing()
    );
    let rcpts: usize = s.records.iter().map(|r| r.recipients.len()).sum();
    assert_eq!(
        rcpts,
        FloodGroup::ALL
            .iter()
            .map(|g| truth.group(*g).recipients)
            .sum::<usize>()
    );
}

#[test]
fn paypal_run_comes_from_its_ip_unauthenticated_with_helo_user() {
    let (_t, truth, s, strings) = flood(300, 7);
    let paypal: Vec<_> = s
        .records
        .iter()
        .filter(|r| {
            r.headers
                .subject
                .is_some_and(|x| strings.text(x) == "Dispute Transaction")
        })
        .collect();
    assert_eq!(paypal.len(), truth.messages(FloodGroup::Paypal));
    for r in paypal {
        assert_eq!(r.origin.kind, OriginKind::Smtp);
        assert_eq!(
            r.origin.ip.map(|i| strings.text(i)).as_deref(),
            Some(PAYPAL_IP)
        );
        assert_eq!(
            r.origin.helo.map(|i| strings.text(i)).as_deref(),
            Some("User")
        );
        assert_eq!(r.origin.auth_user, None);
    }
}

#[test]
fn windows_1251_subjects_are_decoded_and_hostile_messages_are_flagged() {
    let (_t, truth, s, strings) = flood(300, 1);
    let subject = clusters(&s, &strings, ClusterKey::Subject);
    let cyrillic: usize = subject
        .iter()
        .filter(|c| {
            c.value.is_some_and(|v| {
                v.text(&strings).starts_with("Скидки")
                    || v.text(&strings).starts_with("Выгодное")
                    || v.text(&strings).starts_with("Счёт")
            })
        })
        .map(|c| c.messages)
        .sum();
    assert_eq!(cyrillic, truth.messages(FloodGroup::AuthSales));
    let hostile_ip = qtriage::fixture::flood::HOSTILE_IP;
    let hostile: Vec<_> = s
        .records
        .iter()
        .filter(|r| r.origin.ip.is_some_and(|i| strings.text(i) == hostile_ip))
        .collect();
    assert_eq!(hostile.len(), truth.messages(FloodGroup::Hostile));
    let flagged = hostile.iter().filter(|r| !r.problems.is_empty()).count();
    // NUL bytes, the huge header and the endless header are problems; escapes and bidi are data.
    assert!(flagged >= 3, "{flagged} hostile messages flagged");
}

#[test]
fn every_split_directory_exists_and_stat_agrees() {
    let (t, truth, _, _) = flood(300, 3);
    for sub in [Subdir::Mess, Subdir::Info, Subdir::Local, Subdir::Remote] {
        for n in 0..23 {
            let d = t.root().join(sub.name()).join(n.to_string());
            assert!(d.is_dir(), "{} missing", d.display());
        }
    }
    let out = t.stdout(&["stat"]);
    assert_eq!(
        out,
        format!(
            "messages in queue: {}\nmessages in queue but not yet preprocessed: {}\n",
            truth.total(),
            truth.unpreprocessed()
        )
    );
}

#[test]
fn the_same_seed_writes_the_same_mix() {
    let (_a, ta, sa, stra) = flood(120, 9);
    let (_b, tb, sb, strb) = flood(120, 9);
    assert_eq!(ta, tb);
    let senders = |s: &Scan, st: &Interner| {
        let mut v: Vec<Vec<u8>> = s
            .records
            .iter()
            .filter_map(|r| r.sender.map(|x| st.resolve(x).to_vec()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(senders(&sa, &stra), senders(&sb, &strb));
}

/// Issue 4: `qtriage top` on the README's sample queue names the planted culprits first, with
/// the generator's ground-truth counts.
#[test]
fn top_on_the_sample_queue_names_the_planted_culprits_first() {
    #[derive(serde::Deserialize)]
    struct Line {
        by: String,
        value: Option<String>,
        messages: usize,
    }
    let now = 1_795_428_000;
    let t = TestQueue::new(23);
    let truth = write_flood(&t.q, &FloodSpec::sample(now)).expect("sample flood");
    let out = t
        .command()
        .args(["top", "--json"])
        .env("QTRIAGE_NOW", now.to_string())
        .output()
        .expect("top");
    crate::util::assert_exit(&out, 0);
    let lines: Vec<Line> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("top json"))
        .collect();
    let first = &lines[0];
    assert_eq!(
        (first.by.as_str(), first.value.as_deref()),
        ("auth-user", Some("test"))
    );
    assert_eq!(first.messages, truth.auth_test());
    let find = |by: &str, value: &str| {
        lines
            .iter()
            .position(|l| l.by == by && l.value.as_deref() == Some(value))
            .map(|i| (i, lines[i].messages))
    };
    let (sales_rank, sales) = find("auth-user", "sales@example.com").expect("sales listed");
    assert_eq!(sales, truth.messages(FloodGroup::AuthSales));
    let (script_rank, script) = find("script", PHP_SCRIPT).expect("script listed");
    assert_eq!(script, truth.messages(FloodGroup::PhpScript));
    assert!(
        sales_rank < 4 && script_rank < 5,
        "sales {sales_rank}, script {script_rank}"
    );
}

/// `--limit` only cuts the suspects: what a smaller limit lists is the start of what a larger
/// one lists, `+N more suspects` is what the larger adds, and the legitimate-looking rows do
/// not change. (A suspect left out once still let the same messages be shown as a
/// legitimate-looking cluster, `looks legitimate: keep`, and was counted with one a larger
/// limit never lists: on the sample, `--limit 3` showed the 120 bounces' subject as legitimate
/// and said `+2 more suspects` where `--limit 50` lists one.)
#[test]
fn top_limit_cuts_suspects_without_changing_the_verdicts_shown() {
    #[derive(serde::Deserialize, PartialEq, Debug, Clone)]
    struct Line {
        by: String,
        value: Option<String>,
        messages: usize,
        verdict: String,
    }
    let now = 1_795_428_000;
    let t = TestQueue::new(23);
    write_flood(&t.q, &FloodSpec::sample(now)).expect("sample flood");
    let top = |limit: usize, json: bool| {
        let limit = limit.to_string();
        let mut args = vec!["top", "--limit", &limit];
        if json {
            args.push("--json");
        }
        let out = t
            .command()
            .args(&args)
            .env("QTRIAGE_NOW", now.to_string())
            .output()
            .expect("top");
        crate::util::assert_exit(&out, 0);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let rows = |limit: usize| -> (Vec<Line>, Vec<Line>) {
        top(limit, true)
            .lines()
            .map(|l| serde_json::from_str::<Line>(l).expect("top json"))
            .partition(|l| l.verdict != "legit")
    };
    let more = |limit: usize| -> usize {
        top(limit, false)
            .lines()
            .find_map(|l| l.strip_prefix('+')?.split(' ').next()?.parse().ok())
            .unwrap_or(0)
    };
    let (all, legit) = rows(50);
    let culprits = all.iter().filter(|l| l.verdict == "culprit").count();
    assert!(
        all.len() > culprits,
        "the sample has a suspect past its culprits: {all:?}"
    );
    assert_eq!(more(50), 0);
    for limit in 0..all.len() {
        let (shown, legit_shown) = rows(limit);
        let listed = limit.max(culprits);
        assert_eq!(shown, all[..listed], "--limit {limit}");
        assert_eq!(more(limit), all.len() - listed, "--limit {limit}");
        assert_eq!(legit_shown, legit, "--limit {limit}");
    }
}
