//! Issue 19's "honest output": what the commands say must be what is true of the queue: raw
//! 8-bit subjects in their own charset, unknown times as unknown, one clock, one error line.

use base64::Engine;
use qtriage::fixture::MessageSpec;
use qtriage::queue::Subdir;

use crate::util::{assert_exit, TestQueue};

/// "Скидка 42% только сегодня" in windows-1251, raw, with no charset declared.
const CP1251_SUBJECT: &[u8] =
    b"\xd1\xea\xe8\xe4\xea\xe0 42% \xf2\xee\xeb\xfc\xea\xee \xf1\xe5\xe3\xee\xe4\xed\xff";

fn lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect()
}

#[test]
fn raw_8bit_subjects_are_read_in_their_charset_or_shown_as_bytes() {
    let t = TestQueue::new(23);
    let cp1251 = t.add(MessageSpec::new().subject(CP1251_SUBJECT));
    let bytes = t.add(MessageSpec::new().subject(b"\xff\xfe"));
    let text = t.stdout(&["list", "--sort", "id"]);
    assert!(text.contains("Скидка 42% только сегодня"), "{text}");
    assert!(!text.contains("Ñêèäêà"), "Latin-1 mojibake: {text}");
    assert!(text.contains("  \\xff\\xfe\n"), "{text}");
    assert!(!text.contains("ÿþ"), "{text}");
    // By id, not by position: ids are inodes, and a freed inode can make the second one lower.
    let json = lines(&t.stdout(&["list", "--json", "--sort", "id"]));
    let subject_of = |id: qtriage::queue::MessageId| {
        let found = json.iter().find(|m| m["id"] == id.0);
        found.map(|m| m["subject"].clone()).expect("listed")
    };
    assert_eq!(subject_of(cp1251), "Скидка 42% только сегодня");
    // Bytes that are no text stay exact in JSON.
    let raw = base64::engine::general_purpose::STANDARD.encode(b"\xff\xfe");
    assert_eq!(subject_of(bytes), serde_json::json!({ "bytes": raw }));
    // The query matches the words the operator reads.
    assert_eq!(
        t.stdout(&["list", "--count", "subject:/только/"]).trim(),
        "1"
    );
}

#[test]
fn unknown_birth_times_are_dashes_and_nulls_not_1970() {
    let t = TestQueue::new(23);
    // An orphan envelope: local/remote left, no mess, no info, no todo: no file gives a time.
    let id = t.add(MessageSpec::new().remote("v@example.org"));
    t.q.remove_part(Subdir::Mess, id).expect("rm mess");
    t.q.remove_part(Subdir::Info, id).expect("rm info");
    let text = t.stdout(&["list"]);
    assert!(text.starts_with(&format!("-  #{id}  ")), "{text}");
    assert!(!text.contains("1970"), "{text}");
    for args in [&["list", "--json"][..], &["read", "--json"]] {
        let v = lines(&t.stdout(args));
        assert_eq!(
            v[0]["queued"],
            serde_json::Value::Null,
            "{args:?}: {}",
            v[0]
        );
    }
    let c = lines(&t.stdout(&["clusters", "--by", "origin", "--json"]));
    assert_eq!(c[0]["first_queued"], serde_json::Value::Null, "{}", c[0]);
    assert_eq!(c[0]["last_queued"], serde_json::Value::Null, "{}", c[0]);
}

#[test]
fn qtriage_now_is_the_now_of_age_in_list_and_yank_and_a_bad_one_is_refused() {
    let t = TestQueue::new(23);
    // Born at the fixture's fixed times, long before the wall clock: only QTRIAGE_NOW makes
    // them younger than 30 minutes.
    let born = 1_795_428_000;
    for i in 0..3 {
        t.add(
            MessageSpec::new()
                .born(born + i)
                .auth("test")
                .received_from("192.0.2.7"),
        );
    }
    let at = |now: &str, args: &[&str]| {
        t.command()
            .env("QTRIAGE_NOW", now)
            .args(args)
            .output()
            .expect("run")
    };
    let now = (born + 600).to_string();
    let out = at(&now, &["list", "--count", "age:<30m"]);
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "3\n");
    let out = at(&now, &["yank", "age:<30m"]);
    assert_exit(&out, 0);
    let dry = String::from_utf8_lossy(&out.stdout);
    assert!(dry.starts_with("would yank 3 messages"), "{dry}");
    let out = at(
        &now,
        &[
            "clusters",
            "--by",
            "auth-user",
            "--where",
            "age:<30m",
            "--json",
        ],
    );
    assert_exit(&out, 0);
    for args in [&["list", "age:<30m"][..], &["yank", "age:<30m"]] {
        let out = at("abc", args);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("qtriage: ") && err.contains("QTRIAGE_NOW"),
            "{args:?}: {err}"
        );
    }
}

/// stderr of a run that must fail with exactly one `qtriage: ` line.
#[track_caller]
fn one_error_line(out: &std::process::Output) -> String {
    assert_exit(out, 2);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.starts_with("qtriage: ") && err.ends_with('\n') && err.lines().count() == 1,
        "not one qtriage: line: {err:?}"
    );
    err
}

#[test]
fn errors_are_one_qtriage_line() {
    let t = TestQueue::new(23);
    // clap's usage errors (a block of message, tip, usage and a pointer to --help before).
    let err = one_error_line(&t.run(&["list", "--bogus"]));
    assert!(
        err.contains("unexpected argument '--bogus'") && err.contains("see qtriage list --help)"),
        "{err}"
    );
    let err = one_error_line(&t.run(&["yank"]));
    assert!(
        err.contains("<QUERY>") && err.contains("(see qtriage yank --help)"),
        "{err}"
    );
    // A qmHandle habit (`-d ID`) is pointed at the subcommand's own options (newuser59).
    let err = one_error_line(&t.run(&["remove", "-d5710031"]));
    assert!(err.ends_with("(see qtriage remove --help)\n"), "{err}");
    // A value error renders no usage line: the command line names the subcommand (review59).
    let err = one_error_line(&t.run(&["clusters", "--by", "nope"]));
    assert!(err.ends_with("(see qtriage clusters --help)\n"), "{err}");
    let err = one_error_line(&t.run(&["--bogus"]));
    assert!(err.ends_with("(see qtriage --help)\n"), "{err}");
    let err = one_error_line(&t.run(&["list", "--sort", "bogus"]));
    assert!(err.contains("possible values: age, id, size"), "{err}");
    // The OS error once, not twice.
    let err = one_error_line(&t.run(&["--log", "/nonexistent", "list"]));
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
    // `mta start` whose command did not start qmail-send: its exit status in words.
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("qtriage.conf");
    std::fs::write(&conf, "mta_start = true\nmta_wait = 0\n").expect("conf");
    let out = t
        .command()
        .args(["mta", "start"])
        .env("QTRIAGE_CONFIG", &conf)
        .output()
        .expect("run");
    let err = one_error_line(&out);
    assert!(err.contains("`true` exited with status 0,"), "{err}");
    assert!(!err.contains("Some("), "{err}");
    // --help is no error: the usage on stdout, exit 0.
    let out = t.run(&["list", "--help"]);
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: qtriage list"));
}

/// An error names what the operator typed or a file name it met: an escape sequence or a bidi
/// override in it reaches stderr (a terminal) made visible, never raw.
#[test]
fn errors_never_put_a_control_byte_out() {
    let t = TestQueue::new(23);
    let raw = |err: &str| err.chars().any(qtriage::sanitize::needs_escape);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .args(["--queue", "/nonexistent/\x1b[2Jq", "stat"])
        .env_remove("QTRIAGE_QUEUE")
        .output()
        .expect("run qtriage");
    let err = one_error_line(&out);
    assert!(
        !raw(err.trim_end()) && err.contains("/nonexistent/\\e[2Jq"),
        "{err:?}"
    );
    let err = one_error_line(&t.run(&["--log", "/nonexistent/\x1b]0;x\x07", "list"]));
    assert!(
        !raw(err.trim_end()) && err.contains("\\e]0;x\\x07"),
        "{err:?}"
    );
    // clap's own text drops escape sequences, so a bad value read as ''; it is shown escaped.
    let err = one_error_line(&t.run(&["report", "--since", "\x1b[2J"]));
    assert!(
        !raw(err.trim_end()) && err.contains("invalid value '\\e[2J' for '--since"),
        "{err:?}"
    );
    let err = one_error_line(&t.run(&["list", "--b\u{202e}x"]));
    assert!(!raw(err.trim_end()) && err.contains("\\u{202e}"), "{err:?}");
}

/// The `clusters hit` block of a yank dry run for `key`: its header and value lines.
fn clusters_hit(dry: &str, key: &str) -> Vec<String> {
    let head = format!("clusters hit ({key}): ");
    dry.lines()
        .skip_while(|l| !l.starts_with(&head))
        .take_while(|l| l.starts_with(&head) || l.starts_with("  "))
        .map(str::to_string)
        .collect()
}

#[test]
fn yank_dry_run_shows_the_query_keys_every_value_and_what_remains() {
    let t = TestQueue::new(23);
    // 25 accounts, each with one message from its own IP in 192.0.2.0/24 and one from
    // elsewhere; a PHP script's three messages.
    for i in 1..=25 {
        let user = format!("u{i}");
        t.add(
            MessageSpec::new()
                .received_from(&format!("192.0.2.{i}"))
                .auth(&user),
        );
        t.add(MessageSpec::new().received_from("198.51.100.1").auth(&user));
    }
    for _ in 0..3 {
        t.add(MessageSpec::new().php_script(48, "/var/www/mailer.php"));
    }
    let dry = t.stdout(&["yank", "auth:/^u[1-8]$/ ip:192.0.2.0/24"]);
    // The keys the query tests, in its order; every one of the eight accounts, with the one
    // message of it the yank leaves.
    let auth = clusters_hit(&dry, "auth-user");
    assert_eq!(auth[0], "clusters hit (auth-user): 8 values", "{dry}");
    assert_eq!(auth.len(), 9, "{dry}");
    assert!(
        auth.contains(&"         1  u8  (1 left in the queue)".to_string()),
        "{dry}"
    );
    assert_eq!(clusters_hit(&dry, "origin-ip").len(), 9, "{dry}");
    assert!(
        dry.contains("\nwould remain in the queue: 45 messages\n"),
        "{dry}"
    );
    // More values than are shown: the rest is counted, not hidden.
    let dry = t.stdout(&["yank", "ip:192.0.2.0/24"]);
    let ip = clusters_hit(&dry, "origin-ip");
    assert_eq!(ip[0], "clusters hit (origin-ip): 25 values", "{dry}");
    assert_eq!(
        ip.last().map(String::as_str),
        Some("  +5 more (5 messages)"),
        "{dry}"
    );
    assert!(clusters_hit(&dry, "auth-user").is_empty(), "{dry}");
    // A uid query groups by uid, not by AUTH users it has none of.
    let dry = t.stdout(&["yank", "uid:48"]);
    assert_eq!(
        clusters_hit(&dry, "uid"),
        [
            "clusters hit (uid): 1 value",
            "         3  48  (0 left in the queue)"
        ],
        "{dry}"
    );
    assert!(!dry.contains("(none)"), "{dry}");
}

#[test]
fn report_says_accounts_were_not_checked_when_no_account_database_was_read() {
    let t = TestQueue::new(23);
    t.add(MessageSpec::new().received_from("192.0.2.7").auth("test"));
    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(empty.path().join("domains")).expect("domains");
    let missing = empty.path().join("nonexistent");
    for (dir, why) in [
        (&missing, "accounts not checked: "),
        (
            &empty.path().to_path_buf(),
            "accounts not checked: no account found in ",
        ),
    ] {
        let md = t.stdout(&["report", "--vpopmail", &dir.to_string_lossy()]);
        let fixes = md
            .split("## Recommended fixes\n\n")
            .nth(1)
            .expect("fixes section");
        assert!(fixes.starts_with(&format!("- {why}")), "{md}");
        assert!(fixes.contains("qtriage accounts --vpopmail DIR"), "{md}");
        assert!(!md.contains("no account at risk"), "{md}");
        let json: serde_json::Value = serde_json::from_str(&t.stdout(&[
            "report",
            "--format",
            "json",
            "--vpopmail",
            &dir.to_string_lossy(),
        ]))
        .expect("json");
        assert!(
            json["accounts_note"]
                .as_str()
                .is_some_and(|n| n.starts_with(why)),
            "{json:#}"
        );
    }
}

#[test]
fn an_empty_mess_file_is_a_problem_in_counts_and_queries() {
    use qtriage::fixture::FixtureState;
    let t = TestQueue::new(23);
    let lost = t.add(MessageSpec::new().raw_mess(b""));
    // A mess file alone may still be being received: empty is not yet a problem.
    t.add(
        MessageSpec::new()
            .state(FixtureState::OrphanMess)
            .raw_mess(b""),
    );
    t.add(MessageSpec::new().received_from("192.0.2.7"));
    let id = |q: &str| t.stdout(&["list", "--json", q]);
    let any = lines(&id("problem:any"));
    assert_eq!(any.len(), 1, "{any:?}");
    assert_eq!(any[0]["id"], lost.0);
    assert_eq!(
        any[0]["problems"],
        serde_json::json!([{ "kind": "empty-mess", "part": "mess" }])
    );
    assert_eq!(lines(&id("problem:empty-mess")).len(), 1);
    // The problem counts of `clusters` and `top` name it.
    let out = t.run(&["clusters", "--by", "origin"]);
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 of 3 messages have problems (empty-mess 1"),
        "{err}"
    );
}

/// Issue 21: a bad query is rendered one way by every command: sanitized (a query may be pasted
/// from a message) with the caret under the characters, not the bytes.
#[test]
fn a_bad_action_query_is_rendered_sanitized_with_the_caret_under_the_characters() {
    let t = TestQueue::new(23);
    t.add(MessageSpec::new().subject("x"));
    let out = t.run(&["yank", "subject:\u{1b}[2Jé", "sendr:x"]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{1b}'), "raw escape on stderr: {err:?}");
    let lines: Vec<&str> = err.lines().collect();
    let (query, caret) = (lines[1], lines[2]);
    let at = |s: &str, pat: &str| s.find(pat).map(|b| s[..b].chars().count());
    assert_eq!(at(caret, "^"), at(query, "sendr"), "{err}");
    assert_eq!(caret.trim().len(), "sendr".len(), "{err}");
}

/// `plan --json --query` was accepted and printed only the bare query; they now exclude each
/// other as clap says (docs/cli.md `plan`). `plan --help` said "One JSON object per line" of
/// the one object `plan --json` prints.
#[test]
fn plan_json_and_query_exclude_each_other_and_its_help_says_one_object() {
    let t = TestQueue::new(23);
    t.add(qtriage::fixture::MessageSpec::new().remote("x@y.example"));
    for args in [["plan", "--json", "--query"], ["plan", "--query", "--json"]] {
        let err = one_error_line(&t.run(&args));
        assert!(
            err.contains("'--query' cannot be used with '--json'")
                || err.contains("'--json' cannot be used with '--query'"),
            "{args:?}: {err}"
        );
    }
    let help = t.stdout(&["plan", "--help"]);
    assert!(
        help.contains("One JSON object (the plan) instead of text"),
        "{help}"
    );
    assert!(!help.contains("per line"), "{help}");
    // `clusters` and `top` print one object per line, and keep saying so.
    for cmd in ["clusters", "top"] {
        let help = t.stdout(&[cmd, "--help"]);
        assert!(help.contains("One JSON object per line"), "{cmd}: {help}");
    }
}

/// docs/cli.md quotes these lines as they are printed: it said `<QUERY>` for clap's `<QUERY>...`,
/// left out the TUI's ` (use a subcommand in scripts)`, and gave only the plural `+N more
/// suspects` of `top`, which says `+1 more suspect` of one.
#[test]
fn the_documented_error_lines_are_the_printed_ones() {
    let doc = include_str!("../../docs/cli.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let t = TestQueue::new(23);
    for args in [&["yank"][..], &["tui"]] {
        let err = one_error_line(&t.run(args));
        let quoted = format!("`{}`", err.trim_end());
        assert!(
            doc.contains(&quoted),
            "{args:?}: {quoted} is not in docs/cli.md"
        );
    }
    assert!(doc.contains("`+1 more suspect (a larger --limit lists them;"));
}
