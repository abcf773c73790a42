//! The report counts as spam what the operator yanked that no culprit accounts for: the yank
//! is their verdict, as a pick back is the verdict that mail is real. A report for a delisting
//! form once left out a phishing run the operator had found and yanked by hand (newuser49).

use qtriage::fixture::{MessageSpec, QueueBuilder};
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
fn what_the_operator_yanked_is_counted_as_spam_but_its_bounces() {
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
    let after = report(&t);
    assert_eq!(after["yanked_no_culprit"], 3, "{after:#}");
    assert_eq!(after["timeline"]["spam_messages"], 43, "{after:#}");
    let ips = after["origin_ips"].to_string();
    assert!(
        ips.contains("192.0.2.7"),
        "alice's IP is the spam's now: {ips}"
    );
    let notes = after["notes"].to_string();
    assert!(
        notes.contains(
            "3 messages in the yank area that no culprit accounts for are counted as spam"
        ),
        "{notes}"
    );
    let out = run(&t, &["report", "--format", "markdown"]);
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains(
            "Also counted as spam: 3 messages the operator yanked that no culprit accounts for"
        ),
        "{md}"
    );
    assert!(
        md.contains("(alice@192.0.2.7) with ESMTPA"),
        "their header shape is evidence: {md}"
    );
}
