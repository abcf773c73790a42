//! Issue 12's acceptance case: the whole seed incident on one fixture queue plus its logs and
//! vpopmail tree. `top` names `test`, `accounts` marks it without being told, `yank --apply`
//! moves its mail, and the report's counts match what moved, with no secret anywhere.

use std::path::{Path, PathBuf};
use std::process::Output;

use jiff::tz::TimeZone;
use qtriage::fixture::flood::{write_flood, FloodSpec, TEST_IPS};
use qtriage::logs::fixture::{write_syslog, FixtureLine};

use crate::accounts::{assert_no_secret, seed_tree, Tree};
use crate::util::{assert_exit, TestQueue};

/// 2026-11-23 10:00:00 UTC: the flood is born in the six hours before.
const NOW: i64 = 1_795_428_000;
/// Messages in the flood (the sample's mix, smaller).
const MESSAGES: usize = 1_200;
/// Wrong passwords before the spammer's first good one.
const FAILURES: i64 = 14;

const SHOWN: &[&[u8]] = &[b"test", b"sales", b"webmaster", b"alice", b"example.com"];

struct Incident {
    t: TestQueue,
    tree: Tree,
    _logs: tempfile::TempDir,
    maillog: PathBuf,
    /// Messages whose AUTH user is exactly `test`, as planted.
    auth_test: usize,
}

/// vchkpw (syslog) shows the `test` password being guessed from the flood's IP 82.128.32.42
/// seven hours before now, then the login that started the flood.
fn guessing_log(dir: &Path) -> PathBuf {
    let ip = TEST_IPS[1];
    let start = NOW - 7 * 3600;
    let mut lines: Vec<FixtureLine> = (0..FAILURES)
        .map(|i| {
            FixtureLine::new(
                start + i * 10,
                format!(
                    "vchkpw-smtp[{}]: password fail test@example.com:{ip}",
                    300 + i
                ),
            )
        })
        .collect();
    lines.push(FixtureLine::new(
        start + FAILURES * 10 + 5,
        format!("vchkpw-smtp[400]: (LOGIN) login success test@example.com:{ip}"),
    ));
    let path = dir.join("maillog");
    write_syslog(&path, &lines, &TimeZone::UTC).expect("maillog");
    path
}

fn incident() -> Incident {
    let t = TestQueue::new(23);
    let truth = write_flood(&t.q, &FloodSpec::new(MESSAGES, 12, NOW)).expect("flood");
    let logs = tempfile::tempdir().expect("log dir");
    let maillog = guessing_log(logs.path());
    Incident {
        t,
        tree: seed_tree(),
        _logs: logs,
        maillog,
        auth_test: truth.auth_test(),
    }
}

impl Incident {
    /// Run qtriage on the queue with the vpopmail tree, the log and a pinned "now".
    fn run(&self, args: &[&str]) -> Output {
        self.t
            .command()
            .arg("--log")
            .arg(&self.maillog)
            .args(args)
            .env("QTRIAGE_VPOPMAIL", self.tree.tree.root())
            .env("QTRIAGE_NOW", NOW.to_string())
            .env("TZ", "UTC")
            .env_remove("QTRIAGE_LOGS")
            .output()
            .expect("run qtriage")
    }

    fn json_lines(&self, args: &[&str], code: i32) -> Vec<serde_json::Value> {
        let out = self.run(args);
        assert_exit(&out, code);
        assert_no_secret(&out.stdout, &self.tree.secrets, SHOWN);
        assert_no_secret(&out.stderr, &self.tree.secrets, SHOWN);
        String::from_utf8(out.stdout)
            .expect("utf-8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    /// The `mess` files in the yank area: what a yank moved.
    fn yanked(&self) -> usize {
        std::fs::read_dir(self.t.root().join("yanked"))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".mess"))
                    .count()
            })
            .unwrap_or(0)
    }
}

fn rules_of<'a>(accounts: &'a [serde_json::Value], account: &str, domain: &str) -> Vec<&'a str> {
    let a = accounts
        .iter()
        .find(|a| a["account"] == account && a["domain"] == domain)
        .unwrap_or_else(|| panic!("{account}@{domain} not listed: {accounts:?}"));
    a["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r.as_str())
        .collect()
}

fn stat_messages(i: &Incident) -> u64 {
    let out = i.run(&["stat"]);
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("messages in queue: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("stat output: {text}"))
}

#[test]
fn the_seed_incident_end_to_end() {
    let i = incident();

    // 1. Who: `top` ranks the AUTH user `test` first, with its planted count and the guessing.
    let top = i.json_lines(&["top", "--json"], 0);
    assert_eq!(
        (&top[0]["by"], &top[0]["value"], &top[0]["messages"]),
        (&"auth-user".into(), &"test".into(), &i.auth_test.into())
    );
    let reasons = top[0]["reasons"].to_string();
    assert!(
        reasons.contains(&format!(
            "password guessed (as test@example.com): {FAILURES} failures"
        )),
        "{reasons}"
    );

    // 2. Which account: `accounts` marks `test` from the queue and the log, unasked.
    let accounts = i.json_lines(&["accounts", "--json"], 1);
    let rules = rules_of(&accounts, "test", "example.com");
    for rule in [
        "password-is-login",
        "role-account",
        "culprit-top",
        "culprit-log",
    ] {
        assert!(rules.contains(&rule), "test@example.com: {rules:?}");
    }
    // The other `test` (example.org) is named by `top` (no domain) but not by the log.
    let org = rules_of(&accounts, "test", "example.org");
    assert!(
        org.contains(&"culprit-top") && !org.contains(&"culprit-log"),
        "{org:?}"
    );

    // 3. Yank its mail (qmail-send is not running here: nobody holds the lock).
    let listed = i.run(&["list", "auth:test", "--count"]);
    assert_exit(&listed, 0);
    let selected: usize = String::from_utf8_lossy(&listed.stdout)
        .trim()
        .parse()
        .expect("a count");
    assert_eq!(selected, i.auth_test);
    let before = stat_messages(&i);
    assert_exit(&i.run(&["yank", "auth:test", "--apply"]), 0);
    let moved = i.yanked();
    assert_eq!(moved, selected, "every selected message moved");

    // 4. The report: counts against what moved, the journal, the logs, the fixes.
    let out = i.run(&["report", "--format", "json"]);
    assert_exit(&out, 0);
    assert_no_secret(&out.stdout, &i.tree.secrets, SHOWN);
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report json");
    let test = r["culprits"]
        .as_array()
        .expect("culprits")
        .iter()
        .find(|c| c["kind"] == "auth-user" && c["value"] == "test")
        .unwrap_or_else(|| panic!("test not a culprit: {}", r["culprits"]));
    assert_eq!(test["messages"], moved as u64);
    assert_eq!(test["yanked"], moved as u64);
    // Its share is of what the report covers, yanked messages included: not of the queue,
    // in the summary or in the points.
    let reasons = test["reasons"].to_string();
    assert!(
        !reasons.contains("of queue") && !reasons.contains("of the queue"),
        "{reasons}"
    );
    let why = test["reasons"][0].as_str().expect("first reason");
    let share = 100 * moved as u64 / before;
    assert!(why.contains("% of the messages reported)"), "{why}");
    assert!(
        reasons.contains("% of the messages reported (+"),
        "{reasons}"
    );
    assert!(
        (share..=share + 1).any(|p| why.contains(&format!("({p}% of"))),
        "{moved} of {before}: {why}"
    );
    let done = r["actions_done"].as_array().expect("actions_done");
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(
        (&done[0]["direction"], &done[0]["messages"]),
        (&"yank".into(), &(moved as u64).into())
    );
    assert_eq!(r["remaining"]["messages"], before - moved as u64);
    // The window still holds every message: the queue's and the yanked ones.
    assert_eq!(r["timeline"]["messages"], before);
    assert_eq!(stat_messages(&i), before - moved as u64);
    let spam = r["timeline"]["spam_messages"].as_u64().expect("spam count");
    assert_eq!(
        r["remaining"]["spam_messages"].as_u64(),
        Some(spam - moved as u64),
        "the other culprits' mail is what remains"
    );
    let evidence = r["evidence"].to_string();
    assert!(evidence.contains("password guessed"), "{evidence}");
    let fixes = r["fixes"].as_array().expect("fixes");
    let fix = fixes
        .iter()
        .find(|f| f["account"] == "test" && f["domain"] == "example.com")
        .expect("test@example.com among the fixes");
    assert_eq!(fix["culprit"], true);

    // The markdown says the same and holds no secret either.
    let md = i.run(&["report"]);
    assert_exit(&md, 0);
    assert_no_secret(&md.stdout, &i.tree.secrets, SHOWN);
    let md = String::from_utf8(md.stdout).expect("utf-8 markdown");
    assert!(
        md.contains(&format!("| auth-user | `test` | {moved} | {moved} |")),
        "{md}"
    );
}
