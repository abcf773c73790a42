//! The TUI's cleanup plan after a yank: the bounces quoting the yanked culprit's mail are its
//! backscatter, as in `qtriage plan` (tests/integration/plan_yanked.rs), and a real one stays.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use super::{plan, AfterFlood};
use crate::actions::{self, ExecuteOptions, PlanOptions, RestoreSelection};
use crate::fixture::{MessageSpec, QueueBuilder};
use crate::queue::{scan, Interner, MessageId, Progress, Queue, QueueOptions, ScanOptions};
use crate::tui::ops::Ops;
use crate::tui::state::Snapshot;

/// An hour after the fixture's messages are born (2026-11-23 10:00 UTC).
const NOW: i64 = 1_795_431_600;

fn spam(i: u32) -> MessageSpec {
    MessageSpec::new()
        .pid(2000 + i)
        .sender(format!("x{i}@spam.example"))
        .remote(format!("victim{i}@example.net"))
        .received_from("82.128.32.42")
        .helo("User")
        .auth("test")
        .subject("cheap stuff")
}

use crate::fixture::people::alice_mail as real;

/// A queue of 40 messages of `test`, 3 of alice's and the bounces of 6 of test's and 1 of
/// hers, test's yanked: the dir to keep, the TUI's environment, the spam's and the bounces' ids.
fn yanked() -> (
    tempfile::TempDir,
    AfterFlood,
    Vec<MessageId>,
    Vec<MessageId>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut b = QueueBuilder::new(dir.path().join("queue"));
    for i in 0..40 {
        b = b.message(spam(i));
    }
    for i in 0..3 {
        b = b.message(real(i));
    }
    for i in 100..106 {
        b = b.message(MessageSpec::new().pid(4000 + i).returning(&spam(i)));
    }
    b = b.message(MessageSpec::new().pid(4999).returning(&real(9)));
    let (q, ids) = b.build().expect("queue");
    let (spam_ids, bounces) = (ids[..40].to_vec(), ids[43..49].to_vec());

    let queue = Queue::open(q.root(), QueueOptions::default()).expect("open");
    let yank_dir = actions::default_yank_dir(queue.root());
    let opts = PlanOptions {
        yank_dir: yank_dir.clone(),
        query: "auth:test".into(),
    };
    let yank = actions::plan_yank_ids(&queue, &spam_ids, &opts);
    let outcome =
        actions::execute(&yank, &ExecuteOptions::default(), &AtomicU64::new(0)).expect("yank");
    assert_eq!(outcome.batch.expect("batch").messages, 40);

    let env = AfterFlood::for_test(queue, dir.path(), Vec::new(), NOW);
    (dir, env, spam_ids, bounces)
}

/// The snapshot of `env`'s queue as it is now.
fn snapshot(env: &AfterFlood) -> Snapshot {
    let strings = Arc::new(Interner::new());
    let s = scan(
        &env.queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    let setup = env.load_setup().expect("setup");
    Snapshot::analysed(1, strings, s.records, Arc::default(), &setup.ctx)
}

#[test]
fn the_tuis_plan_takes_a_yanked_culprits_bounces_and_keeps_a_real_ones() {
    let (_dir, env, _, bounces) = yanked();
    let snap = snapshot(&env);
    let cleanup = plan(&snap, &env, NOW);
    let p = &cleanup.plan;
    assert_eq!(p.culprits.len(), 1, "{:#?}", p.culprits);
    let c = &p.culprits[0];
    assert_eq!(
        (c.value.as_str(), c.messages, c.backscatter),
        ("test", 0, 6)
    );
    assert!(
        c.reason
            .starts_with("already yanked (40 messages in the yank area)"),
        "{}",
        c.reason
    );
    assert_eq!(p.query, "bounce-of:auth-user=test");
    let mut taken = cleanup.ids.clone();
    taken.sort_unstable();
    let mut want = bounces.to_vec();
    want.sort_unstable();
    assert_eq!(taken, want, "the spam's bounces, not alice's");
}

/// What the operator picked back stays out of the TUI's plan, as out of `qtriage plan`; when
/// a restore journal cannot be read, the plan is no plan to apply and a query that asks for
/// `restored:` is refused (`restored:no` would select the picks).
#[test]
fn the_tuis_plan_and_query_keep_to_the_picks_and_refuse_when_they_are_not_known() {
    let (_dir, env, spam_ids, _) = yanked();
    let picks = RestoreSelection::Picked(spam_ids[..5].to_vec());
    let restore = actions::plan_restore(&env.queue, &env.yank_dir, &picks, "picked").expect("plan");
    assert!(restore.verdict);
    actions::execute(&restore, &ExecuteOptions::default(), &AtomicU64::new(0)).expect("restore");
    let snap = snapshot(&env);
    let cleanup = plan(&snap, &env, NOW);
    assert!(cleanup.incomplete.is_none());
    assert!(spam_ids[..5].iter().all(|id| !cleanup.ids.contains(id)));
    let kept = cleanup
        .plan
        .remaining
        .iter()
        .find(|r| r.words.starts_with("restored"));
    assert_eq!(kept.map(|r| r.messages), Some(5), "{:#?}", cleanup.plan);
    let ops = Ops::new(env.queue.clone());
    let query = crate::query::Query::parse("restored:no auth:test").expect("query");
    let sel = crate::tui::worker::views::selection(&ops, &snap, &query).expect("known");
    assert_eq!(sel.count, 0);

    // The restore's journal damaged: not known.
    let journal = std::fs::read_dir(actions::area::journal_dir(&env.yank_dir))
        .expect("journal dir")
        .map(|e| e.expect("entry").path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"verdict\":true")))
        .expect("the restore's journal");
    let text = std::fs::read_to_string(&journal).expect("read");
    std::fs::write(&journal, text.replacen("\"version\":1", "\"version\":9", 1)).expect("write");
    let snap = snapshot(&env);
    let words = plan(&snap, &env, NOW).incomplete.expect("not known");
    assert!(
        words.contains("which messages the operator picked back"),
        "{words}"
    );
    let refused = crate::tui::worker::views::selection(&ops, &snap, &query);
    assert!(refused.is_err_and(|w| w.contains("is not known")));
    // A yank's confirmation is told so too (it was only the plan popup and the query bar).
    let unknown = super::picks_unknown(&snap, &env, NOW).expect("not known");
    assert!(
        unknown.contains("which messages the operator picked back"),
        "{unknown}"
    );
}
