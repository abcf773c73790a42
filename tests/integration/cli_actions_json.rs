//! `--json` of the actions, queries spanning words, and `--ids FILE` (issue 20).

use std::io::Write;
use std::process::{Output, Stdio};

use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{MessageId, Subdir};
use serde_json::Value;

use crate::hostile_harness::run_with_deadline;
use crate::tree::walk;
use crate::util::{assert_exit, FakeSend, TestQueue};

pub(crate) fn spam(i: u32) -> MessageSpec {
    MessageSpec::new()
        .sender(format!("x{i}@spam.example"))
        .remote(format!("victim{i}@example.net"))
        .remote("other@example.org")
        .received_from("82.128.32.42")
        .auth("test")
        .subject("cheap stuff")
        .state(FixtureState::InDelivery)
}

pub(crate) fn legit(i: u32) -> MessageSpec {
    MessageSpec::new()
        .sender(format!("alice{i}@example.com"))
        .local("bob@example.com")
        .received_from("192.0.2.7")
        .state(FixtureState::InDelivery)
}

/// `n` spam (auth test) and `n` legitimate messages.
pub(crate) fn queue(n: u32) -> (TestQueue, Vec<MessageId>, Vec<MessageId>) {
    let t = TestQueue::new(23);
    // Born by the clock, so `expire` has a birth time to move back whatever today's date is.
    let born = qtriage::actions::plan::unix_now() - 600;
    let spam = (0..n).map(|i| t.add(spam(i).born(born))).collect();
    let legit = (0..n).map(|i| t.add(legit(i).born(born))).collect();
    (t, spam, legit)
}

/// Run with `stdin` as standard input.
fn run_stdin(t: &TestQueue, args: &[&str], stdin: &str) -> Output {
    let mut child = t
        .command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn qtriage");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// The one JSON object on stdout.
#[track_caller]
pub(crate) fn json(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 1, "one object, one line: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub(crate) fn ids(v: &Value) -> Vec<u64> {
    let mut out: Vec<u64> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("id"))
        .collect();
    out.sort_unstable();
    out
}

pub(crate) fn sorted(ids: &[MessageId]) -> Vec<u64> {
    let mut v: Vec<u64> = ids.iter().map(|i| i.0).collect();
    v.sort_unstable();
    v
}

#[test]
fn yank_dry_run_json_is_the_plan_and_moves_nothing() {
    let (t, _spam, _) = queue(4);
    let yank = t.root().join("yanked");
    let before = walk(t.root(), &yank, true);
    let out = t.run(&["yank", "auth:test", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(j["action"], "yank");
    assert_eq!(j["applied"], false);
    assert_eq!(j["messages"], 4);
    assert_eq!(j["recipients"], 8);
    assert!(j["bytes"].as_u64().expect("bytes") > 0);
    assert_eq!(j["selection"], "auth:test");
    assert_eq!(j["qmail_send"]["running"], false);
    let hit = &j["clusters_hit"][0];
    assert_eq!(
        (
            hit["by"].as_str(),
            hit["value"].as_str(),
            hit["messages"].as_u64()
        ),
        (Some("auth-user"), Some("test"), Some(4))
    );
    assert_eq!(j["sample"].as_array().expect("sample").len(), 4);
    assert_eq!(j["sample"][0]["subject"], "cheap stuff");
    assert_eq!(j["sample"][0]["recipients"], 2);
    let cmd = j["apply_command"].as_str().expect("apply command");
    assert!(cmd.ends_with("yank auth:test --json --apply"), "{cmd}");
    assert!(j["batch"].is_null() && j["done"] == Value::Array(vec![]));
    assert_eq!(
        walk(t.root(), &yank, true),
        before,
        "a dry run changed the queue"
    );
}

#[test]
fn yank_apply_json_names_the_batch_and_what_moved_and_restore_undoes_it() {
    let (t, spam, legit) = queue(3);
    let out = t.run(&["yank", "auth:test", "--apply", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(j["applied"], true);
    assert_eq!(ids(&j["done"]), sorted(&spam));
    assert_eq!(j["files"], 9, "mess, info and remote of 3 messages");
    assert_eq!(j["skipped"], Value::Array(vec![]));
    let batch = j["batch"].as_str().expect("batch").to_string();
    assert_eq!(
        j["undo_command"],
        format!(
            "qtriage --queue {} restore --batch {batch} --apply",
            t.root().display()
        ),
        "pasted, it restores from the queue it yanked from"
    );
    assert!(j["apply_command"].is_null());

    let out = t.run(&["restore", "--batch", &batch, "--json"]);
    assert_exit(&out, 0);
    let r = json(&out);
    assert_eq!(
        (r["action"].as_str(), r["applied"].as_bool()),
        (Some("restore"), Some(false))
    );
    assert_eq!(r["messages"], 3);
    let out = t.run(&["restore", "--batch", &batch, "--json", "--apply"]);
    assert_exit(&out, 0);
    assert_eq!(ids(&json(&out)["done"]), sorted(&spam));
    let listed = t.stdout(&["list", "--count"]);
    assert_eq!(listed.trim(), (spam.len() + legit.len()).to_string());
}

#[test]
fn a_query_spans_words_on_yank_restore_and_expire() {
    let (t, spam, legit) = queue(2);
    let out = t.run(&["yank", "auth:test", "or", "ip:192.0.2.7", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["selection"], "auth:test or ip:192.0.2.7");
    assert_eq!(json(&out)["messages"], 4);
    let out = t.run(&["expire", "auth:test", "or", "ip:192.0.2.7", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["action"], "expire");
    assert_eq!(json(&out)["messages"], 4);
    let out = t.run(&["yank", "auth:test", "or", "ip:192.0.2.7", "--apply"]);
    assert_exit(&out, 0);
    let out = t.run(&[
        "restore",
        "auth:test",
        "and",
        "not",
        "ip:192.0.2.7",
        "--json",
    ]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["messages"], spam.len());
    assert_eq!(legit.len(), 2);
}

#[test]
fn ids_on_stdin_yank_exactly_those_and_report_the_unknown() {
    let (t, spam, legit) = queue(3);
    let input = format!("#{}\n{}\n\n  999999999  \n", spam[0], legit[1]);
    let out = run_stdin(&t, &["yank", "--ids", "-", "--apply", "--json"], &input);
    assert_exit(&out, 1);
    let j = json(&out);
    assert_eq!(ids(&j["done"]), sorted(&[spam[0], legit[1]]));
    let skipped = &j["skipped"][0];
    assert_eq!(
        (skipped["id"].as_u64(), skipped["reason"].as_str()),
        (Some(999_999_999), Some("unknown-id"))
    );
    assert_eq!(t.stdout(&["list", "--count"]).trim(), "4");

    let out = run_stdin(&t, &["restore", "--ids", "-"], &format!("{}\n", spam[0]));
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("would restore 1 message ("), "{text}");
    // Pasted alone, the line would wait on stdin for the ids read once already.
    assert!(
        text.contains("restore --ids - --apply  # with the same ids on stdin"),
        "{text}"
    );
    // JSON's apply_command is the bare command a script may split into arguments.
    let out = run_stdin(
        &t,
        &["restore", "--ids", "-", "--json"],
        &format!("{}\n", spam[0]),
    );
    let command = json(&out)["apply_command"].as_str().map(str::to_string);
    assert!(
        command
            .as_deref()
            .is_some_and(|c| c.ends_with("--ids - --json --apply")),
        "{command:?}"
    );
    let out = run_stdin(&t, &["restore", "--ids", "-", "--apply"], "123\n");
    assert_exit(&out, 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unknown #123: not in the yank area"));
}

#[test]
fn ids_from_a_file_expire_and_a_bad_line_is_an_error_that_moves_nothing() {
    let (t, spam, _) = queue(2);
    let file = t.root().join("../ids.txt");
    std::fs::write(&file, format!("{}\n", spam[1])).expect("ids file");
    let out = t.run(&["expire", "--ids", file.to_str().expect("utf-8"), "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["messages"], 1);
    assert_eq!(json(&out)["sample"][0]["id"], spam[1].0);

    let yank = t.root().join("yanked");
    let before = walk(t.root(), &yank, true);
    let out = run_stdin(
        &t,
        &["yank", "--ids", "-", "--apply"],
        &format!("{}\nauth:test\n", spam[0]),
    );
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2: not a message id"), "{err}");
    assert_eq!(walk(t.root(), &yank, true), before);
    let out = t.run(&["yank", "auth:test", "--ids", "-"]);
    assert_exit(&out, 2);
}

#[test]
fn purge_expire_and_recover_print_one_object() {
    let (t, spam, _) = queue(2);
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let out = t.run(&["purge", "--all", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(
        (j["action"].as_str(), j["messages"].as_u64()),
        (Some("purge"), Some(2))
    );
    assert!(j["apply_command"]
        .as_str()
        .expect("cmd")
        .ends_with("--apply"));
    let out = t.run(&["purge", "--all", "--json", "--apply"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(ids(&j["done"]), sorted(&spam));
    assert!(j["undo_command"].is_null(), "a purge cannot be undone");

    let out = t.run(&["expire", "ip:192.0.2.7", "--json", "--apply"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(j["action"], "expire");
    assert_eq!(j["done"].as_array().map(Vec::len), Some(2));
    assert!(j["undo_command"].as_str().is_some());

    let out = t.run(&["recover", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(
        json(&out),
        serde_json::json!({"completed": [], "closed": []})
    );
}

#[test]
fn the_dry_run_says_when_qmail_send_runs() {
    let (t, _, _) = queue(1);
    let Some(send) = FakeSend::start(&t) else {
        eprintln!("flock(1) missing: skipped");
        return;
    };
    let out = t.run(&["yank", "auth:test", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(j["qmail_send"]["running"], true);
    assert_eq!(j["qmail_send"]["pid"], send.pid());
    let out = t.run(&["yank", "auth:test", "--json", "--apply"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty(), "a refusal prints no object");
}

#[test]
fn remove_and_decode_auth_take_json() {
    let (t, spam, _) = queue(2);
    let out = t.run(&["remove", "-p", "cheap stuff", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(
        (j["action"].as_str(), j["applied"].as_bool()),
        (Some("remove"), Some(false))
    );
    assert!(j["mode"].is_null());
    assert_eq!(j["checked"], 4);
    assert_eq!(ids(&j["matched"]), sorted(&spam));
    assert_eq!(j["recipients"], 4);
    assert!(j["apply_command"].as_str().expect("cmd").ends_with(" -r"));
    let out = t.run(&["remove", "-p", "cheap stuff", "-r", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(
        (j["mode"].as_str(), j["applied"].as_bool()),
        (Some("yank"), Some(true))
    );
    assert_eq!(ids(&j["done"]), sorted(&spam));

    let transcript = "AUTH LOGIN 334 VXNlcm5hbWU6 dGVzdA== 334 UGFzc3dvcmQ6 MTIzNDU= 235 ok\n";
    let out = run_stdin(&t, &["decode-auth", "--json"], transcript);
    assert_exit(&out, 0);
    assert_eq!(
        json(&out),
        serde_json::json!({"exchanges": [{"line": 1, "mechanism": "LOGIN", "user": "test",
            "password_seen": true, "password": null, "reply": 235, "success": true}]})
    );
    let out = run_stdin(
        &t,
        &["decode-auth", "--json", "--show-passwords"],
        transcript,
    );
    assert_eq!(json(&out)["exchanges"][0]["password"], "12345");
    let out = run_stdin(&t, &["decode-auth", "--json"], "nothing here\n");
    assert_exit(&out, 1);
    assert_eq!(json(&out), serde_json::json!({"exchanges": []}));
}

/// The field names of the table under `heading` in docs/cli.md.
fn documented_fields(heading: &str) -> Vec<String> {
    let doc = include_str!("../../docs/cli.md");
    let start = doc.find(heading).expect("heading in docs/cli.md");
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with("| field |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .map(|l| l.split('`').nth(1).expect("field name").to_string())
        .collect()
}

#[test]
fn every_action_field_is_documented_and_every_documented_field_is_there() {
    let (t, _, _) = queue(1);
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    };
    let mut doc = documented_fields("### Actions `--json`");
    doc.sort();
    for args in [
        &["yank", "auth:test", "--json"][..],
        &["expire", "auth:test", "--json"],
        &["yank", "auth:test", "--json", "--apply"],
        &["restore", "--all", "--json"],
        &["purge", "--all", "--json"],
    ] {
        let out = t.run(args);
        assert_exit(&out, 0);
        assert_eq!(keys(&json(&out)), doc, "{args:?}");
    }
    let out = t.run(&["remove", "--json"]);
    let mut remove_doc = doc.clone();
    remove_doc.extend(["mode", "pattern", "checked", "matched"].map(String::from));
    remove_doc.sort();
    assert_eq!(keys(&json(&out)), remove_doc);
}

/// Issue 21: restore counts the yank area's recipients through the queue's one no-follow read:
/// a FIFO named like a yanked remote file does not hang it (`File::open` blocked for a writer),
/// and a link named like one is not followed to the file it points at.
#[test]
fn restore_opens_no_fifo_and_follows_no_link_in_the_yank_area() {
    let (t, spam, _) = queue(2);
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let area = t.q.yank_area();
    area.fifo(Subdir::Remote, spam[0]).expect("fifo");
    // The link's target: a remote file of three recipients, outside the yank area.
    let outside = TestQueue::new(1);
    let three = outside.add(
        MessageSpec::new()
            .remote("a@x.example")
            .remote("b@x.example")
            .remote("c@x.example"),
    );
    let target = outside.q.path(Subdir::Remote, three);
    area.symlink(Subdir::Remote, spam[1], &target)
        .expect("link");
    let mut cmd = t.command();
    cmd.args(["restore", "--all", "--json"]);
    let run = run_with_deadline(cmd, "restore --all --json over a FIFO and a link");
    assert!(run.status.success(), "{:?}: {}", run.status, run.err());
    let j: Value = serde_json::from_slice(&run.stdout).expect("one JSON object");
    assert_eq!(j["messages"], 2, "{j}");
    assert_eq!(
        j["recipients"], 0,
        "neither the FIFO nor the link was read: {j}"
    );
}

/// An empty query selects every message: what `yank "$(qtriage plan --query)"` runs when
/// there is no culprit. `yank` and `expire` refuse it, `--apply` or not, and move nothing;
/// `id:*` says "the whole queue" on purpose.
#[test]
fn an_empty_query_yanks_and_expires_nothing_and_id_star_is_the_whole_queue() {
    let (t, _spam, _legit) = queue(3);
    let yank = t.root().join("yanked");
    let before = walk(t.root(), &yank, true);
    for args in [
        &["yank", ""][..],
        &["yank", "", "--apply"],
        &["yank", " ", "", "--apply", "--json"],
        &["expire", "", "--apply"],
    ] {
        let out = t.run(args);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("the query is empty") && err.contains("'id:*'"),
            "{args:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{args:?} printed a plan");
        assert_eq!(walk(t.root(), &yank, true), before, "{args:?} moved files");
    }
    let out = t.run(&["yank", "id:*", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["messages"], 6);
}

/// The dry run's `clusters hit` gives the accounts `clusters` gives under the same flags: with
/// `--default-domain example.com` the bare login `test` is test@example.com, one row.
#[test]
fn the_dry_run_names_accounts_as_clusters_does_under_its_flags() {
    let (t, _, _) = queue(3);
    for i in 0..2 {
        t.add(spam(10 + i).auth("test@example.com"));
    }
    let text = t.stdout(&[
        "yank",
        "--default-domain",
        "example.com",
        "auth:test or auth:test@example.com",
    ]);
    assert!(
        text.contains("clusters hit (auth-user): 1 value\n         5  test@example.com  (0 left"),
        "{text}"
    );
    // `clusters` under the same flag gives the same one account with the same count.
    let clusters = t.stdout(&[
        "clusters",
        "--by",
        "auth-user",
        "--default-domain",
        "example.com",
        "--json",
    ]);
    let rows: Vec<(String, u64)> = clusters
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("json"))
        .filter_map(|c| Some((c["value"].as_str()?.to_string(), c["messages"].as_u64()?)))
        .collect();
    assert!(
        rows.contains(&("test@example.com".to_string(), 5)),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|(v, _)| v == "test"), "{rows:?}");
    // `auth:` matches the login as the clusters show it too (walk66: `auth:info@example.com`,
    // copied from the pane, matched none of `info`'s): under the flag, the bare logins' 3 with
    // the 2 written whole; without it, those 2 (the queue has no control/defaultdomain).
    let count = |flags: &[&str]| {
        let mut args = vec!["list", "--count", "auth:test@example.com"];
        args.extend(flags);
        t.stdout(&args).trim().to_string()
    };
    assert_eq!(count(&["--default-domain", "example.com"]), "5");
    assert_eq!(count(&[]), "2");
    // The bare spelling matches the logins written so: no domain named, no other spelling.
    let bare = t.stdout(&[
        "list",
        "--count",
        "--default-domain",
        "example.com",
        "auth:test",
    ]);
    assert_eq!(bare.trim(), "3");
}

/// Sizes in text are in binary units, the same in every listing (docs/cli.md): the dry run's
/// sample, `yanked` and `restore`'s list, never `728 bytes` beside a `2.1 MiB` headline.
#[test]
fn listed_sizes_are_in_binary_units() {
    let (t, _, _) = queue(2);
    let sized = |text: &str, prefix: &str| {
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(prefix)).collect();
        assert!(!lines.is_empty(), "{text}");
        for l in lines {
            assert!(
                !l.contains(" bytes") && (l.contains(" B") || l.contains(" KiB")),
                "{l}"
            );
        }
    };
    sized(&t.stdout(&["yank", "auth:test"]), "  #");
    let out = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&out, 0);
    sized(&t.stdout(&["yanked"]), "  #");
    sized(&t.stdout(&["restore", "--all"]), "  #");
}

/// A dry run's apply command names the queue by the absolute path it opened, whether given
/// relative, by QTRIAGE_QUEUE, or as `remove`'s `-q`: pasted from another directory or shell
/// it applied to another queue, or to none (script53).
#[test]
fn the_apply_command_names_the_queue_it_opened() {
    let (t, _spam, _legit) = queue(3);
    let root = t.root().canonicalize().expect("root");
    let (parent, name) = (
        root.parent().expect("parent"),
        root.file_name().expect("name"),
    );
    let dry = |args: &[&str], env: bool| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"));
        cmd.current_dir(parent);
        // The line pins what the environment chose: none of it from the developer's shell.
        for var in crate::util::QTRIAGE_VARIABLES {
            cmd.env_remove(var);
        }
        match env {
            true => cmd.env("QTRIAGE_QUEUE", name),
            false => cmd.arg("--queue").arg(name),
        };
        let out = cmd.args(args).output().expect("run");
        let j: Value = serde_json::from_slice(&out.stdout).expect("json");
        j["apply_command"]
            .as_str()
            .expect("apply command")
            .to_string()
    };
    let queue = format!("qtriage --queue {} ", root.display());
    // The commands that select pin the variables that chose what they selected (review54).
    let pin = "env -u QTRIAGE_LOGS -u QTRIAGE_NOW -u QTRIAGE_VPOPMAIL ";
    let yank = format!("{pin}{queue}yank auth:test --json --apply");
    assert_eq!(dry(&["yank", "auth:test", "--json"], false), yank);
    assert_eq!(dry(&["yank", "auth:test", "--json"], true), yank);
    let name = name.to_str().expect("utf-8");
    let remove = dry(&["remove", "-q", name, "-p", "cheap", "--json"], true);
    assert_eq!(remove, format!("{queue}remove -p cheap --json -r"));
}
