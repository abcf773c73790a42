//! Unit tests of `crate::report::compose`.
use std::borrow::Cow;
use std::sync::atomic::AtomicU64;

use super::*;
use crate::actions::{self, ExecuteOptions, PlanOptions};
use crate::fixture::{MessageSpec, QueueBuilder};
use crate::queue::{scan, Progress, Queue, QueueOptions, ScanOptions};

/// The queue's records are borrowed while the yank area holds nothing (the TUI's report at
/// 1,000,000 messages copied 112 MB of them to add none), and the merge copies them once a
/// yank gives it something to add: the same counts either way.
#[test]
fn the_queues_records_are_copied_only_when_the_yank_area_adds_some() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = QueueBuilder::new(dir.path().join("queue"));
    for n in 0..6 {
        b = b.message(
            MessageSpec::new()
                .auth("test")
                .remote(format!("v{n}@msn.example")),
        );
    }
    let (q, ids) = b.build().expect("queue");
    let queue = Queue::open(q.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let progress = Progress::default();
    let scanned = scan(&queue, &strings, ScanOptions::default(), &progress).expect("scan");
    let logs = LogFacts::default();
    let yank_dir = crate::actions::default_yank_dir(q.root());
    let records = &scanned.records[..];
    let merged = || {
        with_yank_area(records, Cow::Borrowed(&logs), &yank_dir, &strings, |_| {
            Ok(LogFacts::default())
        })
    };

    let all = merged();
    assert!(matches!(all.records, Cow::Borrowed(_)));
    assert!(matches!(all.logs, Cow::Borrowed(_)));
    assert_eq!((all.records.len(), all.in_queue, all.yanked), (6, 6, 0));

    let opts = PlanOptions {
        yank_dir: yank_dir.clone(),
        query: "test".into(),
    };
    let plan = actions::plan_yank_ids(&queue, &ids[..2], &opts);
    actions::execute(&plan, &ExecuteOptions::default(), &AtomicU64::new(0)).expect("yank");
    // The records read before the yank: its two messages are in both, counted once, as yanked.
    let all = merged();
    assert!(matches!(all.records, Cow::Owned(_)));
    assert_eq!((all.records.len(), all.in_queue, all.yanked), (6, 4, 2));
}
