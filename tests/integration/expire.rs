//! expire and its undo never bounce real mail: ids are inode numbers that qmail reuses, so an
//! undo re-times only the info file the expire changed; an expire never makes a message younger
//! and a second expire keeps the first one's original birth time.

use std::os::unix::fs::MetadataExt;

use qtriage::actions::plan::unix_now;
use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{MessageId, Subdir};

use crate::util::{assert_exit, TestQueue};

fn spam(born: i64) -> MessageSpec {
    MessageSpec::new()
        .sender("x@spam.example")
        .remote("victim@example.net")
        .received_from("82.128.32.42")
        .auth("test")
        .subject("cheap stuff")
        .born(born)
}

fn birth(t: &TestQueue, id: MessageId) -> i64 {
    std::fs::metadata(t.q.path(Subdir::Info, id))
        .expect("info")
        .mtime()
}

/// The batch id from an `--apply` run's "... in batch ID" or "undo with: ... --batch ID" line.
fn batch_of(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .skip_while(|w| *w != "batch" && *w != "--batch")
        .nth(1)
        .unwrap_or_else(|| panic!("no batch in {text}"))
        .to_string()
}

/// Expire one spam message born a minute and a half ago, then let qmail-send "bounce and delete
/// it" and a new message `state` take its id; the undo of the expire is then tried on it.
fn expire_then_reuse(state: FixtureState) -> (TestQueue, MessageId, i64, std::process::Output) {
    let t = TestQueue::new(5);
    let now = unix_now();
    let id = t.add(spam(now - 100));
    let out = t.run(&["expire", "auth:test", "--apply"]);
    assert_exit(&out, 0);
    let batch = batch_of(&out);
    let new = MessageSpec::new()
        .sender("alice@example.com")
        .local("bob@example.com")
        .state(state)
        .born(now - 50);
    t.q.requeue_as(id, &new).expect("requeue");
    let undo = t.run(&["restore", "--batch", &batch, "--apply"]);
    (t, id, now, undo)
}

#[test]
fn undoing_an_expire_leaves_a_message_that_reused_the_id_alone() {
    let (t, id, now, out) = expire_then_reuse(FixtureState::InDelivery);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("refused #{id}")), "{text}");
    assert_eq!(
        birth(&t, id),
        now - 50,
        "the new message keeps its birth time"
    );
}

/// The new message that got the expired one's id is not preprocessed yet (qmail-send is
/// stopped): it has no info file, and the refusal says the id names another message (seen with
/// the real qmail: `not in the queue any more` was not true of it).
#[test]
fn undoing_an_expire_names_a_reused_id_before_qmail_send_has_preprocessed_it() {
    let (t, id, _, out) = expire_then_reuse(FixtureState::Queued);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("refused #{id}: the id now names another message")),
        "{text}"
    );
    assert!(!t.q.path(Subdir::Info, id).exists(), "nothing was written");
}

#[test]
fn expire_never_makes_a_message_younger() {
    let t = TestQueue::new(5);
    // Born long before any expiry time an expire now would set, whatever today is.
    let old = unix_now() - 30 * 86_400;
    let id = t.add(spam(old));
    let out = t.run(&["expire", "auth:test", "--apply"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("refused #{id}: birth time")) && text.contains("younger"),
        "{text}"
    );
    assert_eq!(birth(&t, id), old);

    let out = t.run(&["remove", "-p", "cheap stuff", "-X", "604800"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not expired "), "{text}");
    assert_eq!(birth(&t, id), old);
}

#[test]
fn a_second_expire_keeps_the_original_birth_time_for_the_undo() {
    let t = TestQueue::new(5);
    let now = unix_now();
    let id = t.add(spam(now - 100));
    let first = t.run(&["expire", "auth:test", "--apply"]);
    let after = unix_now();
    assert_exit(&first, 0);
    let first = batch_of(&first);
    let expired_to = birth(&t, id);
    // qtriage's "now" lies between the test's two readings of the clock.
    assert!(
        (now - 604_801..=after - 604_801).contains(&expired_to),
        "{expired_to}"
    );

    // Expire again, further back (qmail-remove -x DATE), then undo that second batch.
    let earlier = (expired_to - 86_400).to_string();
    let out = t.run(&["remove", "-p", "cheap stuff", "-x", &earlier]);
    assert_exit(&out, 0);
    assert_eq!(birth(&t, id), expired_to - 86_400);
    let second = t
        .stdout(&["yanked", "--json"])
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|b| b["type"] == "batch" && b["direction"] == "expire")
        .filter_map(|b| b["batch"].as_str().map(str::to_string))
        .find(|b| *b != first)
        .expect("the second expire batch");
    let out = t.run(&["restore", "--batch", &second, "--apply"]);
    assert_exit(&out, 0);
    assert_eq!(
        birth(&t, id),
        now - 100,
        "the original birth time, not the first expire's"
    );

    // The first batch's time is no longer there: its undo leaves the message alone.
    let out = t.run(&["restore", "--batch", &first, "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("refused #{id}: birth time changed")),
        "{text}"
    );
    assert_eq!(birth(&t, id), now - 100);
}

#[test]
fn expire_takes_queuelifetime_from_control_beside_the_queue_as_qmail_send_does() {
    let t = TestQueue::new(5);
    let now = unix_now();
    let id = t.add(spam(now - 100));
    let control = t.root().parent().expect("parent").join("control");
    std::fs::create_dir(&control).expect("control");
    std::fs::write(control.join("queuelifetime"), "1209600\n").expect("write");
    assert_exit(&t.run(&["expire", "auth:test", "--apply"]), 0);
    // Two weeks back, not the default week: with a week, qmail-send would not give up on it.
    // Judged against a clock read after the run: expire's "now" is its own, a second or more
    // after `now` on a loaded machine.
    let after = unix_now();
    assert!(birth(&t, id) <= after - 1_209_601, "{}", birth(&t, id));
}

/// An error is `expire`'s one stderr line, as every command's: its backscatter warning came
/// first, without `qtriage:`, and a script read it as the error (script53). With a good query
/// the warning is said, as a `qtriage: warning:` line.
#[test]
fn an_expire_that_fails_says_only_the_error() {
    let t = TestQueue::new(23);
    t.add(spam(unix_now() - 3600));
    let bad = t.run(&["expire", "auth:test (ip:1"]);
    assert_exit(&bad, 2);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.starts_with("qtriage: "), "{err}");
    assert!(!err.contains("BOUNCED"), "{err}");
    let missing = t.root().join("nonexistent");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(&missing)
        .args(["expire", "auth:test"])
        .output()
        .expect("run");
    assert_exit(&out, 2);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("BOUNCED"));
    let dry = t.run(&["expire", "id:*"]);
    let err = String::from_utf8_lossy(&dry.stderr);
    assert!(
        err.contains("qtriage: warning: expired messages are BOUNCED"),
        "{err}"
    );
}
