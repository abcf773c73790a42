//! Issue 10, files removed during a scan: another thread deletes messages (in qmail-send's
//! order) while the library scans and `qtriage list --json` runs, over and over. Nothing may
//! panic or fail; a file that went away between listing and reading is `vanished`, or the
//! message is dropped, and no other problem may be invented.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use qtriage::fixture::MessageSpec;
use qtriage::queue::{
    scan, Interner, MessageId, ProblemKind, Progress, Queue, QueueOptions, ScanOptions, Subdir,
};

use crate::hostile_harness::{assert_clean, run_with_deadline};
use crate::util::TestQueue;

/// Messages in the queue that is emptied during the scans.
const MESSAGES: usize = 3000;
/// At most this many scans while the deleter runs (it usually finishes first).
const MAX_ROUNDS: usize = 400;

fn fill(t: &TestQueue) -> Vec<MessageId> {
    let spec = |i: usize| {
        MessageSpec::new()
            .received_from("86.107.221.138")
            .auth("test")
            .sender(format!("s{i}@philadefender.org"))
            .remote(format!("r{i}@customer.example.org"))
            .local(format!("l{i}@example.com"))
            .subject("Dispute Transaction")
    };
    thread::scope(|s| {
        let halves: Vec<_> = (0..2)
            .map(|h| {
                s.spawn(move || {
                    (h..MESSAGES)
                        .step_by(2)
                        .map(|i| t.q.add(&spec(i)).expect("add"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| h.join().expect("writer"))
            .collect()
    })
}

/// Remove every file of each message the way qmail-send and qmail-clean do when it is done.
fn delete_all(t: &TestQueue, ids: &[MessageId]) {
    for &id in ids {
        for s in [Subdir::Info, Subdir::Local, Subdir::Remote, Subdir::Mess] {
            t.q.remove_part(s, id).expect("remove");
        }
    }
}

#[test]
fn messages_removed_during_scans_are_vanished_or_dropped() {
    let t = TestQueue::new(23);
    let mut ids = fill(&t);
    // Interleave buckets and ends so deletions land all over the scan's order.
    ids.sort_unstable_by_key(|id| (id.0.wrapping_mul(0x9e37_79b9_7f4a_7c15), id.0));
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let done = AtomicBool::new(false);
    let (mut rounds, mut vanished, mut dropped) = (0usize, 0usize, 0usize);
    thread::scope(|s| {
        s.spawn(|| {
            delete_all(&t, &ids);
            done.store(true, Ordering::Release);
        });
        while !done.load(Ordering::Acquire) && rounds < MAX_ROUNDS {
            rounds += 1;
            let strings = Interner::new();
            let sc = scan(&q, &strings, ScanOptions::default(), &Progress::default())
                .expect("a scan survives deletions");
            for r in &sc.records {
                for p in r.problems.iter() {
                    assert_eq!(p.kind, ProblemKind::Vanished, "#{}: {p:?}", r.id);
                    vanished += 1;
                }
            }
            dropped += sc.report.vanished as usize;
            if rounds % 4 == 1 {
                let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"));
                cmd.arg("--queue").arg(t.root()).args(["list", "--json"]);
                let run = run_with_deadline(cmd, "list --json (while deleting)");
                assert_clean(&run, &[0, 1]);
                for line in run.out().lines() {
                    let v: serde_json::Value = serde_json::from_str(line).expect("json");
                    for p in v["problems"].as_array().expect("problems") {
                        assert_eq!(p["kind"], "vanished", "{line}");
                    }
                }
            }
        }
    });
    eprintln!(
        "{rounds} scans while deleting {MESSAGES} messages: {vanished} vanished files reported, \
         {dropped} messages dropped"
    );
    assert!(rounds > 0, "no scan ran while deleting");
    // Once everything is gone: an empty answer, not an error.
    let sc = scan(
        &q,
        &Interner::new(),
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    assert!(sc.records.is_empty(), "{} records left", sc.records.len());
    assert_eq!(t.run(&["list"]).status.code(), Some(1));
}
