//! What the operator yanked that no culprit accounts for is named apart in the report, by batch,
//! and not counted as spam: a report for a delisting form once left out a phishing run yanked by
//! hand without a word (newuser49), and counting such yanks as spam listed other providers' MTAs
//! among the spam's origins when inbound mail was yanked by mistake (review49).

use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::Subdir;
use serde_json::Value;

use crate::util::{alice_mail as real, assert_exit, login_spam, TestQueue};

/// The clock of every run, an hour after the fixture's messages are born.
const NOW: &str = "1795431600";

fn run(t: &TestQueue, args: &[&str]) -> std::process::Output {
    (t.command().args(args).env("QTRIAGE_NOW", NOW))
        .output()
        .expect("run qtriage")
}

#[track_caller]
fn report(t: &TestQueue) -> Value {
    let out = run(t, &["report", "--format", "json"]);
    assert_exit(&out, 0);
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[test]
fn what_the_operator_yanked_is_named_apart_by_batch_and_not_counted() {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    for i in 0..40 {
        t.add(login_spam(i, "cheap stuff"));
    }
    for i in 0..3 {
        t.add(real(i));
    }
    // A bounce of some other mail of alice's: backscatter, never the operator's spam.
    let bounce = t.add(MessageSpec::new().pid(4999).returning(&real(9)));
    let before = report(&t);
    assert_eq!(before["timeline"]["spam_messages"], 40, "{before:#}");
    assert_eq!(before["yanked_no_culprit"], 0, "{before:#}");

    // The operator judges alice's messages spam (the ranking does not) and yanks them, and
    // the bounce with them.
    let bounce = format!("id:{bounce}");
    for query in ["auth:alice", bounce.as_str()] {
        assert_exit(&run(&t, &["yank", query, "--apply"]), 0);
    }
    // And one more of hers moved by hand, as qmail-remove -r moves it: in no batch.
    let by_hand = t.add(real(3));
    for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
        let to = t.root().join(format!("yanked/{by_hand}.{}", s.name()));
        std::fs::rename(t.q.path(s, by_hand), to).expect("rename");
    }
    let after = report(&t);
    assert_eq!(after["yanked_no_culprit"], 4, "{after:#}");
    assert_eq!(
        after["timeline"]["spam_messages"], 40,
        "not counted: {after:#}"
    );
    let by = &after["yanked_no_culprit_batches"];
    assert_eq!(
        by.as_array().map(Vec::len),
        Some(2),
        "the bounce's batch is none: {after:#}"
    );
    assert_eq!(
        (&by[0]["selection"], &by[0]["messages"]),
        (&"auth:alice".into(), &3.into())
    );
    assert_eq!(
        (&by[1]["batch"], &by[1]["messages"]),
        (&Value::Null, &1.into())
    );
    let ips = after["origin_ips"].to_string();
    assert!(
        !ips.contains("192.0.2.7"),
        "alice's IP is no spam origin: {ips}"
    );
    let notes = after["notes"].to_string();
    assert!(
        notes.contains("4 messages in the yank area that no culprit accounts for (bounces aside) are not counted as spam"),
        "{notes}"
    );
    let out = run(&t, &["report", "--format", "markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    let batch = by[0]["batch"].as_str().expect("batch");
    let line = format!(
        "Also yanked by the operator, not counted as spam (no culprit accounts for them): 4 \
         messages: 3 in batch `{batch}` (`auth:alice`); 1 in no batch."
    );
    assert!(md.contains(&line), "{md}");
    assert!(
        !md.contains("alice@192.0.2.7"),
        "no evidence of theirs: {md}"
    );
}
