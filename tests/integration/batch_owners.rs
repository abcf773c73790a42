//! Which batch holds a yanked message, through the CLI's `--json`: a later yank takes a message
//! over, and restore or purge of the earlier batch leaves it (the ledger's owner rule).

use crate::cli_actions_json::{ids, json, queue, sorted};
use serde_json::Value;

use crate::util::{assert_exit, TestQueue};

#[test]
fn a_message_yanked_again_belongs_to_the_later_batch_even_within_one_second() {
    // Yank, undo, yank again: usually all in one second, where batch ids once differed only by
    // random digits and the ledger, reading batches in name order, gave the message to the
    // first yank about half the time.
    let (t, spam, _) = queue(2);
    let batch = |args: &[&str]| applied_batch(&t, args);
    let first = batch(&["yank", "auth:test", "--apply", "--json"]);
    let undo = batch(&["restore", "--batch", &first, "--apply", "--json"]);
    let again = batch(&["yank", "auth:test", "--apply", "--json"]);
    let listed: Vec<Value> = t
        .stdout(&["yanked", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let batches: Vec<&str> = listed
        .iter()
        .filter(|l| l["type"] == "batch")
        .filter_map(|l| l["batch"].as_str())
        .collect();
    assert_eq!(batches, [&first, &undo, &again], "oldest first");
    for m in listed.iter().filter(|l| l["type"] == "message") {
        assert_eq!(m["batch"], again.as_str(), "{m}");
    }
    assert_eq!(
        listed.iter().filter(|l| l["type"] == "message").count(),
        spam.len()
    );
}

/// Undoing a batch puts back only what is still its own: part of it restored and yanked again
/// belongs to the later yank (as `yanked` says), and stays in the yank area.
#[test]
fn undoing_a_batch_leaves_what_a_later_batch_yanked_again() {
    let (t, spam, legit) = queue(3);
    let batch = |args: &[&str]| applied_batch(&t, args);
    let first = batch(&["yank", "auth:test or ip:192.0.2.7", "--apply", "--json"]);
    batch(&["restore", "auth:test", "--apply", "--json"]);
    let again = batch(&["yank", "auth:test", "--apply", "--json"]);
    let out = t.run(&["restore", "--batch", &first, "--json"]);
    assert_exit(&out, 0);
    assert_eq!(
        json(&out)["messages"],
        legit.len(),
        "only the first batch's own"
    );
    let out = t.run(&["restore", "--batch", &first, "--apply", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(ids(&json(&out)["done"]), sorted(&legit));
    let out = t.run(&["restore", "--batch", &again, "--apply", "--json"]);
    assert_eq!(ids(&json(&out)["done"]), sorted(&spam));
}

/// A purge of a batch deletes only what the batch still holds: what it yanked, restored and a
/// later batch yanked again is the later batch's (the review: `purge --batch` of the first
/// deleted it for good). A batch that yanked nothing is refused by name.
#[test]
fn purging_a_batch_deletes_only_what_it_still_holds() {
    let (t, spam, legit) = queue(2);
    let first = applied_batch(
        &t,
        &["yank", "auth:test or ip:192.0.2.7", "--apply", "--json"],
    );
    let undo = applied_batch(&t, &["restore", "auth:test", "--apply", "--json"]);
    let again = applied_batch(&t, &["yank", "auth:test", "--apply", "--json"]);
    let out = t.run(&["purge", "--batch", &first, "--apply", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(ids(&json(&out)["done"]), sorted(&legit));
    let out = t.run(&["purge", "--batch", &undo, "--apply"]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a restore batch, not a yank"), "{err}");
    let out = t.run(&["restore", "--batch", &again, "--apply", "--json"]);
    assert_eq!(ids(&json(&out)["done"]), sorted(&spam));
}

/// `restore --batch` of a batch that yanked nothing (a restore, a purge) is refused by name as
/// `purge --batch` refuses it, exit 2 and no JSON object: it once planned nothing and said
/// only "nothing to restore", as if the batch's messages had gone.
#[test]
fn restoring_a_batch_that_yanked_nothing_is_refused_by_name() {
    let (t, _spam, _legit) = queue(2);
    applied_batch(&t, &["yank", "auth:test", "--apply", "--json"]);
    let undo = applied_batch(&t, &["restore", "--all", "--apply", "--json"]);
    applied_batch(&t, &["yank", "auth:test", "--apply", "--json"]);
    let purge = applied_batch(&t, &["purge", "--all", "--apply", "--json"]);
    for (batch, kind) in [(&undo, "a restore"), (&purge, "a purge")] {
        for json_flag in [&[][..], &["--json"]] {
            let mut args = vec!["restore", "--batch", batch.as_str()];
            args.extend_from_slice(json_flag);
            let out = t.run(&args);
            assert_exit(&out, 2);
            assert!(out.stdout.is_empty(), "{args:?}: no object on stdout");
            let err = String::from_utf8_lossy(&out.stderr);
            let want = format!(
                "batch {batch} is {kind} batch, not a yank: it holds no message to restore"
            );
            assert!(err.contains(&want), "{args:?}: {err}");
        }
    }
}

/// Run an action that must apply, and its batch id.
fn applied_batch(t: &TestQueue, args: &[&str]) -> String {
    let out = t.run(args);
    assert_exit(&out, 0);
    json(&out)["batch"].as_str().expect("batch").to_string()
}
