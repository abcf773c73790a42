//! A restore is the operator's verdict that the mail is real: `plan` does not propose it again,
//! `yank "$(qtriage plan --query)"` does not take it, `report` does not count it as spam, and
//! `restored:yes` lists it; new mail that takes a restored message's id is none of that.

use std::collections::BTreeSet;

use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::MessageId;
use serde_json::Value;

use crate::util::{assert_exit, TestQueue};

/// The clock of every run, an hour after the fixture's messages are born.
const NOW: &str = "1795431600";

/// A message of the guessed login `test` from 82.128.32.42, sent as a foreign address.
fn spam(i: u32, subject: &str) -> MessageSpec {
    MessageSpec::new()
        .pid(2000 + i)
        .sender(format!("x{i}@spam.example"))
        .remote(format!("victim{i}@example.net"))
        .remote(format!("other{i}@example.org"))
        .received_from("82.128.32.42")
        .helo("User")
        .auth("test")
        .subject(subject)
}

/// A real message of the login `alice`, from her own address.
fn real(i: u32) -> MessageSpec {
    MessageSpec::new()
        .pid(3000 + i)
        .sender("alice@example.com")
        .remote(format!("friend{i}@example.org"))
        .received_from("192.0.2.7")
        .auth("alice")
        .subject(format!("minutes of meeting {i}"))
}

struct Seed {
    t: TestQueue,
}

impl Seed {
    /// 40 messages of `test`, 10 of them with the subject "invoice 2026", and 3 of alice's.
    fn new() -> Seed {
        let t = TestQueue::with(QueueBuilder::new("").split(23));
        for i in 0..40 {
            let subject = if i < 10 {
                "invoice 2026"
            } else {
                "cheap stuff"
            };
            t.add(spam(i, subject));
        }
        for i in 0..3 {
            t.add(real(i));
        }
        Seed { t }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        (self.t.command().args(args).env("QTRIAGE_NOW", NOW))
            .output()
            .expect("run qtriage")
    }

    #[track_caller]
    fn json(&self, args: &[&str], code: i32) -> Value {
        let out = self.run(args);
        assert_exit(&out, code);
        serde_json::from_slice(&out.stdout).expect("one JSON object")
    }

    /// The ids `list QUERY --json` prints.
    #[track_caller]
    fn listed(&self, query: &str) -> BTreeSet<u64> {
        let out = self.run(&["list", query, "--json"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let j: Value = serde_json::from_str(l).expect("one object a line");
                j["id"].as_u64().expect("id")
            })
            .collect()
    }

    /// How many messages a dry run of `yank QUERY` would take, and the ids of its sample (the
    /// first 10).
    #[track_caller]
    fn yank_would_take(&self, query: &str) -> (u64, BTreeSet<u64>) {
        let j = self.json(&["yank", query, "--json"], 0);
        let ids: BTreeSet<u64> = (j["sample"].as_array().expect("sample").iter())
            .map(|s| s["id"].as_u64().expect("id"))
            .collect();
        (j["messages"].as_u64().expect("messages"), ids)
    }

    /// Yank test's mail, then restore the "invoice" part of it: the ids restored.
    fn yank_then_restore_invoices(&self) -> BTreeSet<u64> {
        let invoices = self.listed("auth:test subject:invoice*");
        assert_eq!(invoices.len(), 10);
        assert_exit(&self.run(&["yank", "auth:test", "--apply"]), 0);
        let out = self.run(&["restore", "subject:invoice*", "--apply"]);
        assert_exit(&out, 0);
        invoices
    }
}

#[test]
fn restored_mail_is_not_planned_again_nor_taken_by_the_plans_query() {
    let s = Seed::new();
    let restored = s.yank_then_restore_invoices();
    assert_eq!(s.listed("restored:yes"), restored);
    assert_eq!(s.listed("restored"), restored, "the bare word");
    assert_eq!(s.listed("auth:test restored:no"), BTreeSet::new());

    // New spam from the same login after the restore: the plan takes it, and only it.
    let fresh: BTreeSet<u64> = (100..120)
        .map(|i| s.t.add(spam(i, "invoice 2026")).0)
        .collect();
    let plan = s.json(&["plan", "--json"], 0);
    let culprits = plan["culprits"].as_array().expect("culprits");
    assert_eq!(culprits.len(), 1, "{plan:#}");
    assert_eq!(culprits[0]["messages"], 20, "{plan:#}");
    assert_eq!(plan["messages"], 20, "{plan:#}");
    let query = plan["query"].as_str().expect("query");
    assert!(query.ends_with(") restored:no"), "{query}");
    let (n, sample) = s.yank_would_take(query);
    assert_eq!(n, 20);
    assert!(sample.is_subset(&fresh), "{sample:?}");
    assert_eq!(s.listed(query), fresh);
    let kinds = plan["remaining_kinds"].as_array().expect("kinds");
    let kept = kinds
        .iter()
        .find(|k| {
            k["kind"]
                .as_str()
                .is_some_and(|w| w.starts_with("restored from the yank area"))
        })
        .unwrap_or_else(|| panic!("{plan:#}"));
    assert_eq!(kept["messages"], 10);

    // The report counts the new spam, not what the operator restored.
    let report = s.json(&["report", "--format", "json"], 0);
    assert_eq!(report["remaining"]["spam_messages"], 20, "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("the operator restored 10 of the culprits' messages"),
        "{notes}"
    );
}

#[test]
fn a_culprit_whose_every_message_was_restored_is_not_planned() {
    let s = Seed::new();
    assert_exit(&s.run(&["yank", "auth:test", "--apply"]), 0);
    // The undo of the whole batch, as the TUI's `u` does it.
    let out = s.run(&["yanked", "--batches", "--json"]);
    assert_exit(&out, 0);
    let first = out.stdout.split(|b| *b == b'\n').next().expect("a line");
    let batch: Value = serde_json::from_slice(first).expect("the batch line");
    let batch = batch["batch"].as_str().expect("batch id").to_string();
    assert_exit(&s.run(&["restore", "--batch", &batch, "--apply"]), 0);
    assert_eq!(s.listed("restored:yes").len(), 40);
    let out = s.run(&["plan"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no culprit: nothing to yank"), "{text}");
    assert!(
        text.contains("40 restored from the yank area by the operator"),
        "{text}"
    );
    let report = s.json(&["report", "--format", "json"], 0);
    assert_eq!(report["remaining"]["spam_messages"], 0, "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("whose every message the operator restored"),
        "{notes}"
    );
    assert!(
        notes.contains("<random>@spam.example (40 messages)"),
        "{notes}"
    );
    assert!(!notes.contains("the ranking named no culprit"), "{notes}");
}

#[test]
fn new_mail_under_a_restored_id_is_not_restored() {
    let s = Seed::new();
    let restored = s.yank_then_restore_invoices();
    let first = MessageId(*restored.first().expect("one"));
    // qmail-send delivered it and new mail took its inode number: new files, written later.
    let next = real(7).born(1_795_431_000);
    s.t.q.requeue_as(first, &next).expect("id reuse");
    let now_restored = s.listed("restored:yes");
    assert!(!now_restored.contains(&first.0), "{now_restored:?}");
    assert_eq!(now_restored.len(), 9);
}
