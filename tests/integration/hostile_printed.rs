//! What the CLI prints when values or paths are hostile: safe on a terminal, and still
//! usable: a printed query selects its value, a printed command pastes back.

use qtriage::fixture::MessageSpec;

use crate::cli_actions_json::{json, legit, queue, spam};
use crate::util::{assert_exit, TestQueue};

/// The queries qtriage prints for a culprit whose value holds a bidi override or a terminal
/// escape (a spammer's own script name, a guessed login) are safe text and still select it:
/// each `query:` line of `top` counts its cluster's messages, and `plan --query` yanks what
/// `plan` counted. Sanitized as `\u{202e}` for display, they once read back as the six
/// characters `u{202e}` and selected nothing, so the cleanup one-liner left the spam queued.
#[test]
fn printed_queries_of_hostile_values_are_safe_and_select_their_cluster() {
    let t = TestQueue::new(23);
    let born = qtriage::actions::plan::unix_now() - 600;
    for i in 0..30 {
        t.add(
            MessageSpec::new()
                .php_script(48, "/var/www/up\u{202e}lo.php")
                .from_header(format!("<x{i}@forged{i}.example>"))
                .remote(format!("victim{i}@example.net"))
                .born(born),
        );
        t.add(
            spam(i)
                .auth("sp\x1b]0;x\x07am\u{2066}")
                .sender(format!("y{i}@forged{i}.example"))
                .born(born),
        );
    }
    for i in 0..5 {
        t.add(legit(i).born(born));
    }
    let stdout = |args: &[&str]| {
        let out = t.run(args);
        assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}");
        String::from_utf8(out.stdout).expect("sanitized text is UTF-8")
    };
    let top = stdout(&["top"]);
    let queries: Vec<&str> = top
        .lines()
        .filter_map(|l| l.trim().strip_prefix("query: "))
        .collect();
    assert!(queries.len() >= 2, "{top}");
    let hostile = ["script=", "auth-user="];
    for want in hostile {
        assert!(
            queries
                .iter()
                .any(|q| q.contains(want) && q.contains("\\u{")),
            "no escaped {want} query: {top}"
        );
    }
    for q in &queries {
        assert!(
            !q.chars().any(qtriage::sanitize::needs_escape),
            "raw control in {q:?}"
        );
        if q.contains("\\u{") {
            let count = stdout(&["list", "--count", q]);
            assert_eq!(count.trim(), "30", "{q}");
        }
    }
    let plan = t.run(&["plan", "--query"]);
    assert_exit(&plan, 0);
    let q = String::from_utf8(plan.stdout).expect("utf-8");
    assert!(
        !q.trim().chars().any(qtriage::sanitize::needs_escape),
        "{q:?}"
    );
    let yank = t.run(&["yank", q.trim(), "--json"]);
    assert_exit(&yank, 0);
    assert_eq!(json(&yank)["messages"], 60);
}

/// A `--queue` path holding a terminal escape and a byte that is not UTF-8 (a path the
/// operator typed or pasted): every text output prints it sanitized, and the `apply with:`
/// line quotes it as bash's `$'...'`, which pasted into bash yanks what the dry run showed.
/// (A path that is not UTF-8 once made the dry run panic while writing that line.)
#[test]
fn an_odd_queue_path_is_printed_safely_and_the_apply_line_pastes_back() {
    use base64::Engine;
    use std::os::unix::ffi::OsStrExt;
    let (t, _spam, _) = queue(3);
    let odd = t
        .root()
        .parent()
        .expect("temp dir")
        .join(std::ffi::OsStr::from_bytes(b"q\x1b]0;pwn\x07\xff"));
    std::os::unix::fs::symlink(t.root(), &odd).expect("symlink the queue");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
            .arg("--queue")
            .arg(&odd)
            .args(args)
            .env_remove("QTRIAGE_QUEUE")
            .output()
            .expect("run qtriage");
        for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !bytes.iter().any(|&b| b == 0x1b || b == 0x07 || b == 0xff),
                "{args:?} {name}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
        assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}");
        out
    };
    let dry = run(&["yank", "auth:test"]);
    let text = String::from_utf8(dry.stdout).expect("utf-8");
    assert!(text.contains("q\\e]0;pwn\\x07\\xff"), "{text}");
    let apply = text
        .lines()
        .find_map(|l| l.strip_prefix("apply with: "))
        .expect("apply line");
    assert!(apply.contains(r" qtriage --queue $'"), "{apply}");
    // A printed command line, pasted into bash: its `qtriage` is this build.
    let paste = |line: &str| {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(line.replacen("qtriage ", "\"$0\" ", 1))
            .arg(env!("CARGO_BIN_EXE_qtriage"))
            .env_remove("QTRIAGE_QUEUE")
            .output()
            .expect("bash")
    };
    let pasted = paste(apply);
    assert_exit(&pasted, 0);
    let yanked = String::from_utf8_lossy(&pasted.stdout);
    assert!(yanked.starts_with("yanked 3 messages"), "{yanked}");
    // Its journal is found under that path: every batch was skipped there, and the undo line
    // printed said `nothing to restore` (script53).
    let batches = String::from_utf8(run(&["yanked", "--batches"]).stdout).expect("utf-8");
    assert!(batches.contains("(0 without a batch"), "{batches}");
    let undo = (yanked.lines())
        .find_map(|l| l.strip_prefix("undo with: "))
        .expect("undo line");
    let undone = paste(undo);
    assert_exit(&undone, 0);
    let restored = String::from_utf8_lossy(&undone.stdout);
    assert!(restored.starts_with("restored 3 messages"), "{restored}");
    // Its JSON keeps the path's bytes (it had U+FFFD for them).
    let dry = run(&["yank", "auth:test", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&dry.stdout).expect("json");
    let bytes = json["yank_dir"]["bytes"]
        .as_str()
        .expect("yank_dir as bytes");
    let bytes = base64::engine::general_purpose::STANDARD.decode(bytes);
    assert_eq!(
        bytes.ok(),
        Some(odd.join("yanked").as_os_str().as_bytes().to_vec())
    );
    run(&["yank", "auth:test", "--apply"]);
    // Dry runs, then lines that name paths as they act: qmail-remove's `moved PATH to PATH`.
    for args in [
        &["yanked"][..],
        &["remove", "-p", "cheap"],
        &["restore", "--all"],
        &["purge", "--all"],
        &["restore", "--all", "--apply"],
        &["remove", "-p", "cheap", "-r"],
        &["check"],
        &["stat"],
    ] {
        run(args);
    }
    let moved = run(&["restore", "--all", "--apply"]);
    assert!(
        String::from_utf8_lossy(&moved.stdout).starts_with("restored 3 messages"),
        "{}",
        String::from_utf8_lossy(&moved.stdout)
    );
}

/// `plan --json` keeps a culprit's value exact, as `clusters --json` does: a script name with
/// a byte that is not UTF-8 is `{"bytes": base64}`, not text with U+FFFD in its place.
#[test]
fn plan_json_keeps_a_culprit_value_that_is_not_utf8() {
    use base64::Engine;
    let t = TestQueue::new(23);
    let born = qtriage::actions::plan::unix_now() - 600;
    for i in 0..30 {
        t.add(
            MessageSpec::new()
                .local_uid(48)
                .header("X-PHP-Originating-Script", b"48:up\xfflo.php")
                .from_header(format!("<x{i}@forged{i}.example>"))
                .remote(format!("victim{i}@example.net"))
                .born(born),
        );
    }
    for i in 0..5 {
        t.add(legit(i).born(born));
    }
    let out = t.run(&["plan", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    let script = j["culprits"]
        .as_array()
        .expect("culprits")
        .iter()
        .find(|c| c["by"] == "script")
        .unwrap_or_else(|| panic!("a script culprit: {j}"));
    let b64 = script["value"]["bytes"]
        .as_str()
        .unwrap_or_else(|| panic!("value as bytes: {script}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    assert_eq!(bytes, b"up\xfflo.php");
}

/// Two senders differing only in a byte that is not UTF-8 (`m\xe9lanie`, `m\xe8lanie`) are two
/// clusters, and each printed query selects its own: as text both read `m\u{fffd}lanie`, and
/// `cluster:sender="m\u{fffd}lanie@spam.example"` selected both, so a yank pasted from one took
/// the other's mail too (review51). The query says the byte as `(?-u:\xE9)`.
#[test]
fn a_value_that_is_not_utf8_prints_a_query_selecting_only_its_own_bytes() {
    let t = TestQueue::new(23);
    for (i, byte) in (0..30).map(|i| (i, if i < 20 { 0xe9u8 } else { 0xe8 })) {
        let mut sender = b"m".to_vec();
        sender.push(byte);
        sender.extend_from_slice(b"lanie@spam.example");
        t.add(spam(i).sender(sender));
    }
    let out = t.run(&["clusters", "--by", "sender", "--json"]);
    assert_exit(&out, 0);
    let clusters: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a json line"))
        .collect();
    let mut sizes = Vec::new();
    for c in &clusters {
        let q = c["query"].as_str().expect("query");
        assert!(q.contains("(?-u:\\xE"), "{q}");
        assert!(!q.contains('\u{fffd}'), "{q}");
        let count = t.run(&["list", "--count", q]);
        let n: u64 = String::from_utf8(count.stdout)
            .expect("utf-8")
            .trim()
            .parse()
            .expect("count");
        assert_eq!(n, c["messages"].as_u64().expect("messages"), "{q}");
        sizes.push(n);
    }
    sizes.sort_unstable();
    assert_eq!(sizes, [10, 20]);
    // Typed as U+FFFD, a value names no byte, and selects neither.
    let typed = t.run(&["list", "--count", "sender:m\u{fffd}lanie@spam.example"]);
    assert_eq!(String::from_utf8_lossy(&typed.stdout).trim(), "0");
}

/// The apply line of a command that selects pins the environment that chose its messages: it
/// selects the same messages pasted into a shell that sets QTRIAGE_NOW where the dry run had
/// none, and where the dry run had one and the shell none (review54: `age:>1h` took 1,042
/// messages pasted, where the dry run showed 181). Ages are counted from the clock here, so
/// the test holds on any date.
#[test]
fn a_pasted_apply_line_selects_what_its_dry_run_showed_in_another_environment() {
    let t = TestQueue::new(23);
    let clock = qtriage::actions::plan::unix_now();
    for age in [60, 2 * 3600] {
        t.add(spam(age as u32).born(clock - age));
    }
    let later = (clock + 10 * 3600).to_string();
    // The dry run's count and its apply line, without --apply: pasted, another dry run.
    let dry = |now: Option<&str>| {
        let mut cmd = t.command();
        cmd.args(["yank", "age:>1h"]);
        if let Some(n) = now {
            cmd.env("QTRIAGE_NOW", n);
        }
        let text = String::from_utf8(cmd.output().expect("run").stdout).expect("utf-8");
        let line = (text.lines())
            .find_map(|l| l.strip_prefix("apply with: "))
            .expect("apply line")
            .replace(" --apply", "");
        (text.lines().next().unwrap_or_default().to_string(), line)
    };
    let paste = |line: &str, now: Option<&str>| {
        let mut cmd = std::process::Command::new("bash");
        cmd.arg("-c")
            .arg(line.replacen("qtriage ", "\"$0\" ", 1))
            .arg(env!("CARGO_BIN_EXE_qtriage"))
            .env_remove("QTRIAGE_QUEUE")
            .env_remove("QTRIAGE_NOW");
        if let Some(n) = now {
            cmd.env("QTRIAGE_NOW", n);
        }
        let out = cmd.output().expect("bash");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines().next().unwrap_or_default().to_string()
    };
    let (by_the_clock, line) = dry(None);
    assert!(
        by_the_clock.starts_with("would yank 1 message "),
        "{by_the_clock}"
    );
    assert_eq!(paste(&line, Some(&later)), by_the_clock, "{line}");
    let (ten_hours_on, line) = dry(Some(&later));
    assert!(
        ten_hours_on.starts_with("would yank 2 messages "),
        "{ten_hours_on}"
    );
    assert_eq!(paste(&line, None), ten_hours_on, "{line}");
}
