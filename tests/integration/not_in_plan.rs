//! A yank or an expire by the operator's own query or ids says in its dry run what of it
//! `qtriage plan` would leave in the queue, as the TUI's confirmation does: a query that sweeps
//! real mail up with the spam is caught before `--apply`, not after.

use qtriage::fixture::QueueBuilder;
use serde_json::Value;

use crate::util::{alice_mail as real, assert_exit, login_spam as spam, TestQueue};

/// The clock of every run, an hour after the fixture's messages are born.
const NOW: &str = "1795431600";

/// 40 messages of the guessed login `test`, and 3 of alice's own mail.
fn seed() -> TestQueue {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    for i in 0..40 {
        t.add(spam(i, "cheap stuff"));
    }
    for i in 0..3 {
        t.add(real(i));
    }
    t
}

fn run(t: &TestQueue, args: &[&str]) -> std::process::Output {
    (t.command().args(args).env("QTRIAGE_NOW", NOW))
        .output()
        .expect("run qtriage")
}

#[track_caller]
fn json(t: &TestQueue, args: &[&str], code: i32) -> Value {
    let out = run(t, args);
    assert_exit(&out, code);
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

#[track_caller]
fn text(t: &TestQueue, args: &[&str]) -> String {
    let out = run(t, args);
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The kind `plan` gives what remains of alice's mail: the dry run's words are the plan's.
fn alices_kind(t: &TestQueue) -> String {
    let plan = json(t, &["plan", "--json"], 0);
    let kinds = plan["remaining_kinds"].as_array().expect("kinds");
    assert_eq!(kinds.len(), 1, "{plan:#}");
    assert_eq!(kinds[0]["messages"], 3, "{plan:#}");
    kinds[0]["kind"].as_str().expect("words").to_string()
}

#[test]
fn a_dry_run_says_what_of_it_the_plan_would_leave() {
    let t = seed();
    let kind = alices_kind(&t);
    let swept = "auth:test or auth:alice";

    let out = text(&t, &["yank", swept]);
    let warning = "careful: 3 of these qtriage plan would leave in the queue (they are no \
                   culprit's); yanking them may take real mail:";
    assert!(out.contains(warning), "{out}");
    assert!(out.contains(&format!("\n         3  {kind}\n")), "{out}");
    let j = json(&t, &["yank", swept, "--json"], 0);
    let want = serde_json::json!({
        "messages": 3, "culprits": 1, "kinds": [{"messages": 3, "kind": kind}]
    });
    assert_eq!(j["not_in_plan"], want, "{j:#}");

    // The plan's own query: nothing of it to warn of.
    let query = text(&t, &["plan", "--query"]);
    let out = text(&t, &["yank", query.trim()]);
    assert!(!out.contains("careful:"), "{out}");
    let j = json(&t, &["yank", query.trim(), "--json"], 0);
    assert_eq!(j["not_in_plan"]["messages"], 0, "{j:#}");

    // By ids, the same.
    let alice: Vec<String> = text(&t, &["list", "auth:alice", "--json"])
        .lines()
        .map(|l| {
            let j: Value = serde_json::from_str(l).expect("one object a line");
            j["id"].to_string()
        })
        .collect();
    assert_eq!(alice.len(), 3);
    let file = t.root().join("../ids.txt");
    std::fs::write(&file, alice.join("\n")).expect("ids file");
    let ids = ["yank", "--ids", file.to_str().expect("utf-8"), "--json"];
    assert_eq!(json(&t, &ids, 0)["not_in_plan"], want);

    // Expiring real mail bounces it: said so.
    let expire = ["expire", swept, "--lifetime", "999999999"];
    let out = text(&t, &expire);
    assert!(
        out.contains("(they are no culprit's); expiring them may bounce real mail to its senders:"),
        "{out}"
    );
    let j = json(&t, &[&expire[..], &["--json"]].concat(), 0);
    assert_eq!(j["not_in_plan"], want, "{j:#}");

    // Applied, nothing is judged: the field is null.
    let j = json(&t, &["yank", "auth:alice", "--apply", "--json"], 0);
    assert_eq!(j["not_in_plan"], Value::Null, "{j:#}");
    assert_eq!(j["done"].as_array().map(Vec::len), Some(3), "{j:#}");
}

#[test]
fn with_no_culprit_in_the_queue_the_dry_run_says_so() {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    for i in 0..3 {
        t.add(real(i));
    }
    let out = text(&t, &["yank", "auth:alice"]);
    let warning = "careful: 3 of these qtriage plan would leave in the queue (it names no \
                   culprit in the queue); yanking them may take real mail:";
    assert!(out.contains(warning), "{out}");
    let j = json(&t, &["yank", "auth:alice", "--json"], 0);
    assert_eq!(
        (&j["not_in_plan"]["messages"], &j["not_in_plan"]["culprits"]),
        (&3.into(), &0.into()),
        "{j:#}"
    );
}

/// With vpopmail's default domain (QTRIAGE_VPOPMAIL, or `--vpopmail`), the plan names bare
/// logins `test@example.com`; its query selects in `yank` and `expire` what it counted, and the
/// dry run's check agrees (review49: 7,111 of 10,794, and the check silent).
#[test]
fn the_plans_query_selects_what_it_counted_under_vpopmails_default_domain() {
    use qtriage::fixture::flood::{write_flood, FloodSpec};
    // The reference flood (bare `test` among its logins), at its own clock.
    const NOW: &str = "1795435200";
    let t = TestQueue::new(23);
    write_flood(&t.q, &FloodSpec::new(2_000, 3, 1_795_435_200)).expect("flood written");
    let vpopmail = t.root().join("../vpopmail");
    std::fs::create_dir_all(vpopmail.join("etc")).expect("vpopmail dir");
    std::fs::write(vpopmail.join("etc/defaultdomain"), "example.com\n").expect("defaultdomain");
    let with_env = |args: &[&str]| {
        (t.command().args(args))
            .env("QTRIAGE_NOW", NOW)
            .env("QTRIAGE_VPOPMAIL", &vpopmail)
            .output()
            .expect("run qtriage")
    };
    let out = with_env(&["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan");
    let culprits = plan["culprits"].as_array().expect("culprits");
    assert!(
        culprits.iter().any(|c| c["value"] == "test@example.com"),
        "the bare login is vpopmail's default domain's: {plan:#}"
    );
    let query = plan["query"].as_str().expect("query");
    assert!(
        query.contains("cluster:auth-user=test@example.com"),
        "{query}"
    );
    let yank = ["yank", query, "--json"];
    let expire = ["expire", query, "--lifetime", "999999999", "--json"];
    for (action, args) in [("yank", &yank[..]), ("expire", &expire[..])] {
        let out = with_env(args);
        assert_exit(&out, 0);
        let j: Value = serde_json::from_slice(&out.stdout).expect("json");
        // An expire refuses what qmail-send has not preprocessed: those are `skipped`.
        let skipped = j["skipped"].as_array().map_or(0, Vec::len) as u64;
        let selected = j["messages"].as_u64().expect("messages") + skipped;
        assert_eq!(Some(selected), plan["messages"].as_u64(), "{action}: {j:#}");
        assert_eq!(j["not_in_plan"]["messages"], 0, "{action}: {j:#}");
    }
    // The flag says the same as the variable.
    let vp = vpopmail.to_str().expect("utf-8");
    let j = json(&t, &["yank", query, "--vpopmail", vp, "--json"], 0);
    assert_eq!(j["messages"], plan["messages"], "{j:#}");
    // `list` lists it; once yanked, `list --yanked` and `restore` put back the same (newuser49b:
    // 7,075 of 10,794).
    let count = |args: &[&str]| -> Option<u64> {
        let out = with_env(args);
        assert_exit(&out, 0);
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    assert_eq!(
        count(&["list", query, "--count"]),
        plan["messages"].as_u64()
    );
    assert_exit(&with_env(&["yank", query, "--apply"]), 0);
    assert_eq!(
        count(&["list", "--yanked", query, "--count"]),
        plan["messages"].as_u64()
    );
    let out = with_env(&["restore", query, "--json"]);
    assert_exit(&out, 0);
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["messages"], plan["messages"], "{j:#}");
}
