//! What the operator yanked that no culprit accounts for is named apart in the report, by batch,
//! and not counted as spam: a report for a delisting form once left out a phishing run yanked by
//! hand without a word (newuser49), and counting such yanks as spam listed other providers' MTAs
//! among the spam's origins when inbound mail was yanked by mistake (review49). What a yank
//! moved is what the report's `actions_done` says, and a message both queued and yanked counts
//! once.

use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::Subdir;
use serde_json::Value;

use crate::accounts::seed_tree;
use crate::report::{flood_queue, report_with, ReportJson};
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

/// 40 messages of a guessed login's flood and 3 of alice's real mail.
fn login_flood_and_real_mail() -> TestQueue {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    for i in 0..40 {
        t.add(login_spam(i, "cheap stuff"));
    }
    for i in 0..3 {
        t.add(real(i));
    }
    t
}

#[test]
fn what_the_operator_yanked_is_named_apart_by_batch_and_not_counted() {
    let t = login_flood_and_real_mail();
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

/// Issue 12: "what was done" comes from the action journal and matches what a yank moved.
#[test]
fn actions_done_lists_the_journal_batch_with_what_moved() {
    let t = flood_queue();
    let tree = seed_tree();
    let before = report_with(&t, tree.tree.root(), &["--format", "json"]);
    let r: ReportJson = serde_json::from_slice(&before.stdout).expect("report json");
    assert!(r.actions_done.is_empty());
    assert_eq!(r.journal_note.as_deref(), Some("no journal found"));

    let yank = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&yank, 0);
    let moved = std::fs::read_dir(t.root().join("yanked"))
        .expect("yank area")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".mess"))
        .count();
    assert_eq!(moved, 121, "every message of the test flood moved");

    // The yank time of a yanked message is its mess file's ctime: reading must not touch it.
    let ctimes = || -> Vec<(std::ffi::OsString, i64, i64)> {
        use std::os::unix::fs::MetadataExt;
        let mut v: Vec<_> = std::fs::read_dir(t.root().join("yanked"))
            .expect("yank area")
            .filter_map(Result::ok)
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                Some((e.file_name(), m.ctime(), m.ctime_nsec()))
            })
            .collect();
        v.sort();
        v
    };
    let before_ctimes = ctimes();
    let after = report_with(&t, tree.tree.root(), &["--format", "json"]);
    assert_exit(&after, 0);
    assert_eq!(ctimes(), before_ctimes, "the report changed the yank area");
    let r: ReportJson = serde_json::from_slice(&after.stdout).expect("report json");
    assert_eq!(r.journal_note, None);
    assert_eq!(r.actions_done.len(), 1, "{:?}", r.actions_done);
    let a = &r.actions_done[0];
    assert_eq!(a["direction"], "yank");
    assert_eq!(a["messages"], moved as u64);
    assert_eq!(
        r.remaining.messages, 8,
        "the 5 alice and 3 inbound messages remain"
    );
    // The incident is still the incident: `test` is named with what it sent, all of it yanked.
    let c = &r.culprits[0];
    assert_eq!((c.value.as_str(), c.messages, c.yanked), ("test", 121, 121));
    assert_eq!(r.timeline.spam_messages, 121);
    assert_eq!(r.remaining.spam_messages, 0);
    assert!(
        r.notes
            .iter()
            .any(|n| n == "121 messages in the yank area are counted with the queue's"),
        "{:?}",
        r.notes
    );
    // Reading the yank area left nothing behind in it (the view is removed).
    let leftovers: Vec<_> = std::fs::read_dir(t.root().join("yanked"))
        .expect("yank area")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".view"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Messages moved by qmail-remove (renamed into the yank area, no journal) are counted as the
/// culprit's and yanked, and the report says no batch moved them; a message that is in both
/// places (the queue read before another process yanked it) is counted once.
#[test]
fn unjournaled_yanks_are_noted_and_every_message_counts_once() {
    use qtriage::queue::{MessageId, Subdir};
    let t = flood_queue();
    let tree = seed_tree();
    let listed = t.stdout(&["list", "auth:test", "--json"]);
    let ids: Vec<MessageId> = listed
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("list json");
            MessageId(v["id"].as_u64().expect("id"))
        })
        .collect();
    assert_eq!(ids.len(), 121);
    let yank = t.root().join("yanked");
    std::fs::create_dir(&yank).expect("yank dir");
    let parts = [Subdir::Mess, Subdir::Info, Subdir::Remote];
    // Three moved the way qmail-remove -r moves them.
    for id in &ids[..3] {
        for s in parts {
            let to = yank.join(format!("{id}.{}", s.name()));
            std::fs::rename(t.q.path(s, *id), to).expect("rename");
        }
    }
    // Two seen in both places: hard links stand for "read in the queue, then yanked".
    for id in &ids[3..5] {
        for s in parts {
            let to = yank.join(format!("{id}.{}", s.name()));
            std::fs::hard_link(t.q.path(s, *id), to).expect("link");
        }
    }
    let out = report_with(&t, tree.tree.root(), &["--format", "json"]);
    assert_exit(&out, 0);
    let r: ReportJson = serde_json::from_slice(&out.stdout).expect("report json");
    let c = &r.culprits[0];
    assert_eq!((c.value.as_str(), c.messages, c.yanked), ("test", 121, 5));
    assert_eq!(r.timeline.messages, 129);
    assert_eq!(r.remaining.spam_messages, 116);
    assert_eq!(r.journal_note.as_deref(), Some("no journal found"));
    assert!(
        r.notes.iter().any(|n| {
            n
            == "5 messages in the yank area belong to no batch (yanked by qmail-remove or by hand)"
        }),
        "{:?}",
        r.notes
    );
}

/// A purge deletes a yank's messages for good: the report says so, in words and in `--json`,
/// not `purge (undo of ID)`, which a blacklist's reader took for the spam put back (newuser55);
/// and it says why the spam counts dropped.
#[test]
fn a_purge_is_said_as_deleting_its_batch_not_undoing_it() {
    let t = login_flood_and_real_mail();
    assert_exit(&run(&t, &["yank", "auth:test", "--apply"]), 0);
    let yanked = report(&t);
    let batch = yanked["actions_done"][0]["batch"]
        .as_str()
        .expect("batch")
        .to_string();
    assert_exit(&run(&t, &["purge", "--batch", &batch, "--apply"]), 0);

    let after = report(&t);
    let done = after["actions_done"].as_array().expect("actions_done");
    let purge = (done.iter())
        .find(|a| a["direction"] == "purge")
        .unwrap_or_else(|| panic!("no purge in {done:?}"));
    assert_eq!(purge["purged"], batch.as_str(), "{purge}");
    assert_eq!(purge["undoes"], Value::Null, "{purge}");
    assert_eq!(purge["messages"], 40, "{purge}");
    let notes = after["notes"].as_array().expect("notes");
    let note = "40 messages purged from the yank area are not counted (the counts are of what \
                the queue and the yank area hold)";
    assert!(notes.iter().any(|n| n == note), "{notes:?}");

    let out = run(&t, &["report", "--format", "markdown"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let row = (text.lines())
        .find(|l| l.contains("| purge"))
        .unwrap_or_else(|| panic!("no purge row:\n{text}"));
    assert!(
        row.contains(&format!(
            "purge (deleted batch `{batch}` from the yank area)"
        )),
        "{row}"
    );
    assert!(!text.contains("undo of"), "{text}");
    // The whole yank area purged is no undo either (review57: `purge (undo)`).
    assert_exit(&run(&t, &["yank", "auth:alice", "--apply"]), 0);
    assert_exit(&run(&t, &["purge", "--all", "--apply"]), 0);
    let out = run(&t, &["report", "--format", "markdown"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("| purge (deleted everything in the yank area) |"),
        "{text}"
    );
    assert!(!text.contains("(undo)"), "{text}");
}

/// A shared host's hacked plugin, which the ranking holds as a suspect (a busy shop writes
/// alike), yanked by the operator's query: the report says when and how much, what sent it and
/// its script's fix, apart from the culprits (newuser56: a blacklist reader saw "Spam messages:
/// 0" and "Culprits: none found" beside a note).
#[test]
fn a_plugins_run_the_operator_yanked_is_described_with_its_fix() {
    use qtriage::fixture::flood::Mix;
    let (t, _) = crate::plan_mix::measure_seeded(Mix::BusyHost, 2_000, crate::plan_mix::SEED);
    let now = crate::plan_mix::NOW.to_string();
    let run = |args: &[&str]| (t.command().args(args).env("QTRIAGE_NOW", &now)).output();
    let query = "script:class-loader.php from:service@secure-bank-login.com";
    let yank = run(&["yank", query, "--apply", "--json"]).expect("yank");
    assert_exit(&yank, 0);
    let yanked: Value = serde_json::from_slice(&yank.stdout).expect("yank json");
    let moved = yanked["messages"].as_u64().expect("moved");
    assert!(moved > 100, "{yanked:#}");
    // And, by mistake, the inbound mail of the host's customers' correspondents.
    let inbound = run(&["yank", "origin:smtp", "--apply", "--json"]).expect("yank");
    assert_exit(&inbound, 0);
    let inbound: Value = serde_json::from_slice(&inbound.stdout).expect("yank json");
    let inbound = inbound["messages"].as_u64().expect("moved");
    assert!(inbound > 100, "the mix has inbound mail: {inbound}");
    let out = run(&["report", "--format", "json"]).expect("report");
    assert_exit(&out, 0);
    let r: ReportJson = serde_json::from_slice(&out.stdout).expect("the report's fields");
    assert!(r.culprits.is_empty(), "{r:#?}");
    let j = (r.operator_judged.as_ref()).expect("the operator's yanks described");
    let one = |c: &[crate::report::CountedJson]| c.first().map(|c| (c.value.clone(), c.messages));
    assert_eq!(
        (j.messages, j.from_elsewhere),
        (moved + inbound, inbound),
        "{j:#?}"
    );
    assert!(j.recipients >= moved, "{j:#?}");
    assert!(j.first_queued < j.last_queued, "{j:#?}");
    assert!(j.peak_per_minute > 0 && j.peak_minute.is_some(), "{j:#?}");
    // Named: what the plugin's selection tested, of the mail this server sent; not the uid
    // (no selection tested it), nor any correspondent of the inbound mail.
    assert_eq!(one(&j.scripts), Some(("class-loader.php".into(), moved)));
    assert_eq!(j.scripts_more.values, 0);
    assert!(j.uids.is_empty() && j.auth_users.is_empty(), "{j:#?}");
    assert!(
        j.internal_clients.is_empty(),
        "no selection stated a client: {j:#?}"
    );
    let from = "service@secure-bank-login.com";
    assert_eq!(
        j.from.iter().map(|f| f.value.as_str()).collect::<Vec<_>>(),
        [from]
    );
    assert!(!j.subjects.is_empty(), "{j:#?}");
    let fixes: Vec<(&str, &str)> = (r.operator_fixes.iter())
        .map(|f| (f.kind.as_str(), f.value.as_str()))
        .collect();
    assert_eq!(
        fixes,
        [("script", "class-loader.php")],
        "not diluted by the inbound mail"
    );
    let out = run(&["report"]).expect("report");
    let md = String::from_utf8_lossy(&out.stdout);
    let n = moved.to_string();
    let all = (moved + inbound).to_string();
    for line in [
        format!("- Yanked as spam by the operator (no culprit accounts for them): {all} messages, queued "),
        "## Yanked as spam by the operator\n".to_string(),
        format!("- Of them, came in from other servers: {inbound} (not described"),
        format!("- Scripts that sent them: `class-loader.php` ({n})\n"),
        format!("- From addresses: `service@secure-bank-login.com` ({n})\n"),
        "- script `class-loader.php` (sent what the operator yanked as spam): disable it".into(),
    ] {
        assert!(md.contains(&line), "{line:?} in\n{md}");
    }
    // The shop's and the visitors' scripts the query did not take, and the correspondents of
    // the inbound mail, are named nowhere in the new section.
    let section = md
        .split("## Yanked as spam by the operator\n")
        .nth(1)
        .expect("section");
    let section = section.split("\n## ").next().expect("its end");
    for absent in ["PHPMailer.php", "gmail.com", "orange.fr", "web.de"] {
        assert!(!section.contains(absent), "{absent} in\n{section}");
    }
}

/// php-smtp's phishing, a suspect the ranking holds, yanked by the operator's own query: the
/// notes no longer count it among the suspects that "may be real users'" (newuser57), and the
/// section on what the operator yanked names the internal client its selection stated.
#[test]
fn a_held_suspect_the_operator_yanked_is_counted_apart_from_those_kept() {
    use qtriage::fixture::flood::Mix;
    let (t, _) = crate::plan_mix::measure_seeded(Mix::PhpSmtp, 2_000, crate::plan_mix::SEED);
    let now = crate::plan_mix::NOW.to_string();
    let run = |args: &[&str]| (t.command().args(args).env("QTRIAGE_NOW", &now)).output();
    let held = |r: &ReportJson| -> Vec<String> {
        (r.notes.iter())
            .filter(|n| n.starts_with("top also holds"))
            .cloned()
            .collect()
    };
    let out = run(&["report", "--format", "json"]).expect("report");
    let before: ReportJson = serde_json::from_slice(&out.stdout).expect("the report's fields");
    let kept = held(&before);
    assert!(
        kept.len() == 1
            && kept[0].contains("may be real users'")
            && kept[0].contains("sender-pattern"),
        "{kept:#?}"
    );
    let yank = run(&[
        "yank",
        "ip:127.0.0.1 from:service@paypal.de",
        "--apply",
        "--json",
    ]);
    let yank = yank.expect("yank");
    assert_exit(&yank, 0);
    let out = run(&["report", "--format", "json"]).expect("report");
    assert_exit(&out, 0);
    let r: ReportJson = serde_json::from_slice(&out.stdout).expect("the report's fields");
    let notes = held(&r);
    let yanked = "top also holds as suspects clusters whose messages are in the yank area, not \
                  counted as spam: 1 sender-pattern cluster (what no culprit accounts for is \
                  described under Yanked as spam by the operator)";
    assert!(notes.iter().any(|n| n == yanked), "{notes:#?}");
    assert!(
        !(notes.iter()).any(|n| n.contains("may be real users'") && n.contains("sender-pattern")),
        "{notes:#?}"
    );
    let j = (r.operator_judged.as_ref()).expect("the operator's yanks described");
    let clients: Vec<&str> = j
        .internal_clients
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(clients, ["127.0.0.1"], "{j:#?}");
}
