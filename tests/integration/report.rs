//! `qtriage report` on a fixture queue with an AUTH `test` flood and legitimate mail (issue 12):
//! counts, timeline, culprits, fixes from the vpopmail tree, sanitized subjects, no secrets.

use std::process::{Command, Output};

use qtriage::fixture::MessageSpec;

use crate::accounts::{assert_no_secret, seed_tree};
use crate::util::{assert_exit, TestQueue};

/// 2026-11-23 10:00:00 UTC, the fixture's default birth time (a whole minute).
const BASE: i64 = 1_795_428_000;

/// The `report --format json` object, restated from docs/cli.md.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportJson {
    pub(crate) now: String,
    pub(crate) server: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) timeline: TimelineJson,
    pub(crate) culprits: Vec<CulpritJson>,
    pub(crate) origin_ips: Vec<CountedJson>,
    pub(crate) origin_ips_more: BeyondJson,
    pub(crate) scripts: Vec<CountedJson>,
    pub(crate) scripts_more: BeyondJson,
    pub(crate) subjects: Vec<CountedJson>,
    pub(crate) evidence: Vec<EvidenceJson>,
    pub(crate) log_note: Option<String>,
    pub(crate) actions_done: Vec<serde_json::Value>,
    pub(crate) journal_note: Option<String>,
    pub(crate) remaining: RemainingJson,
    pub(crate) culprit_fixes: Vec<CulpritFixJson>,
    pub(crate) fixes: Vec<serde_json::Value>,
    pub(crate) accounts_note: Option<String>,
    pub(crate) accounts_unlisted: u64,
    pub(crate) notes: Vec<String>,
    pub(crate) yanked_no_culprit: u64,
    pub(crate) yanked_no_culprit_batches: Vec<serde_json::Value>,
    pub(crate) operator_judged: Option<OperatorJudgedJson>,
    pub(crate) operator_fixes: Vec<CulpritFixJson>,
}

/// What the operator yanked that no culprit accounts for, described.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperatorJudgedJson {
    pub(crate) messages: u64,
    pub(crate) recipients: u64,
    pub(crate) first_queued: Option<String>,
    pub(crate) last_queued: Option<String>,
    pub(crate) peak_per_minute: u64,
    pub(crate) peak_minute: Option<String>,
    pub(crate) from_elsewhere: u64,
    pub(crate) scripts: Vec<CountedJson>,
    pub(crate) scripts_more: BeyondJson,
    pub(crate) uids: Vec<CountedJson>,
    pub(crate) auth_users: Vec<CountedJson>,
    pub(crate) internal_clients: Vec<CountedJson>,
    pub(crate) from: Vec<CountedJson>,
    pub(crate) subjects: Vec<CountedJson>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimelineJson {
    pub(crate) first_spam_queued: Option<String>,
    pub(crate) last_spam_queued: Option<String>,
    pub(crate) peak_per_minute: u64,
    pub(crate) peak_minute: Option<String>,
    pub(crate) spam_messages: u64,
    pub(crate) messages: u64,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CulpritJson {
    pub(crate) kind: String,
    pub(crate) value: String,
    pub(crate) messages: u64,
    pub(crate) recipients: u64,
    pub(crate) yanked: u64,
    pub(crate) reasons: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CulpritFixJson {
    pub(crate) kind: String,
    pub(crate) value: String,
    pub(crate) advice: String,
    /// Empty but for a subject sent through many stolen logins (`report_stuffing.rs`).
    pub(crate) accounts: Vec<String>,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountedJson {
    pub(crate) value: String,
    pub(crate) messages: u64,
}

#[derive(Debug, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct BeyondJson {
    pub(crate) values: u64,
    pub(crate) messages: u64,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvidenceJson {
    pub(crate) source: String,
    pub(crate) text: String,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemainingJson {
    pub(crate) messages: u64,
    pub(crate) unpreprocessed: u64,
    pub(crate) remote: u64,
    pub(crate) local: u64,
    pub(crate) bouncing: u64,
    pub(crate) spam_messages: u64,
}

/// 120 spam messages by AUTH user `test` (5 s apart, from two IPs, one with a hostile subject),
/// one old spam message two hours earlier, and 8 legitimate messages.
pub(crate) fn flood_queue() -> TestQueue {
    let t = TestQueue::new(23);
    for i in 0..120i64 {
        let ip = if i % 4 == 0 {
            "41.203.18.7"
        } else {
            "86.107.221.138"
        };
        let subject = if i == 7 {
            "Dispute \x1b]0;owned\x07 Transaction 42".to_string()
        } else {
            format!("Dispute Transaction {i}")
        };
        t.add(
            MessageSpec::new()
                .received_from(ip)
                .helo("User")
                .auth("test")
                .sender(format!("kbradford{i}@philadefender.org"))
                .remote(format!("user{i}@msn.example"))
                .remote(format!("user{i}@cox-internet.example"))
                .subject(subject)
                .born(BASE + i * 5),
        );
    }
    t.add(
        MessageSpec::new()
            .received_from("86.107.221.138")
            .auth("test")
            .remote("old@msn.example")
            .subject("Dispute Transaction 1")
            .born(BASE - 7200),
    );
    for i in 0..5i64 {
        t.add(
            MessageSpec::new()
                .received_from("198.51.100.20")
                .auth("alice@example.com")
                .remote("partner@example.net")
                .subject("Invoice")
                .born(BASE + i * 60),
        );
    }
    for i in 0..3i64 {
        t.add(
            MessageSpec::new()
                .received_from("209.85.220.41")
                .helo("mx.google.example")
                .local("jane@example.com")
                .subject("Lunch?")
                .born(BASE + i),
        );
    }
    t
}

pub(crate) fn report_with(t: &TestQueue, vpopmail: &std::path::Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(t.root())
        .arg("report")
        .arg("--vpopmail")
        .arg(vpopmail)
        .args(extra)
        .env("QTRIAGE_NOW", (BASE + 3600).to_string())
        .env_remove("QTRIAGE_QUEUE")
        .env_remove("QTRIAGE_VPOPMAIL")
        .output()
        .expect("run qtriage")
}

#[test]
fn report_counts_match_the_flood() {
    let t = flood_queue();
    let tree = seed_tree();
    let out = report_with(&t, tree.tree.root(), &["--format", "json"]);
    assert_exit(&out, 0);
    let r: ReportJson = serde_json::from_slice(&out.stdout).expect("report json");
    assert_eq!(r.now, "2026-11-23T11:00:00Z");
    assert_eq!(r.server, None, "no control/me beside this queue");
    assert_eq!(r.since, None);
    assert_eq!(r.timeline.messages, 129);
    assert_eq!(r.timeline.spam_messages, 121);
    assert_eq!(r.yanked_no_culprit, 0, "nothing yanked");
    assert!(r.yanked_no_culprit_batches.is_empty());
    assert_eq!(
        r.timeline.first_spam_queued.as_deref(),
        Some("2026-11-23T08:00:00Z")
    );
    assert_eq!(
        r.timeline.last_spam_queued.as_deref(),
        Some("2026-11-23T10:09:55Z")
    );
    assert_eq!(r.timeline.peak_per_minute, 12);
    assert_eq!(
        r.timeline.peak_minute.as_deref(),
        Some("2026-11-23T10:00:00Z")
    );
    assert_eq!(r.culprits.len(), 1, "{:?}", r.culprits);
    // The culprit login's fix, whether or not an account database was read.
    let fix = &r.culprit_fixes;
    assert_eq!(fix.len(), 1, "{fix:?}");
    assert_eq!(
        (fix[0].kind.as_str(), fix[0].value.as_str()),
        ("auth-user", "test")
    );
    assert!(fix[0].advice.starts_with("change its password"), "{fix:?}");
    assert!(
        fix[0].accounts.is_empty(),
        "the login names itself: {fix:?}"
    );
    let c = &r.culprits[0];
    assert_eq!(
        (c.kind.as_str(), c.value.as_str(), c.messages, c.recipients),
        ("auth-user", "test", 121, 241)
    );
    assert!(
        c.reasons
            .iter()
            .any(|x| x.contains("from 2 distinct client IPs")),
        "{:?}",
        c.reasons
    );
    assert_eq!(
        r.origin_ips,
        vec![
            CountedJson {
                value: "86.107.221.138".into(),
                messages: 91
            },
            CountedJson {
                value: "41.203.18.7".into(),
                messages: 30
            }
        ]
    );
    let none = BeyondJson {
        values: 0,
        messages: 0,
    };
    assert_eq!((&r.origin_ips_more, &r.scripts_more), (&none, &none));
    assert!(r.scripts.is_empty());
    assert!(r.subjects.len() <= 5 && !r.subjects.is_empty());
    assert!(r
        .subjects
        .iter()
        .all(|s| !s.value.contains('\x1b') && !s.value.contains('\x07')));
    assert_eq!(r.evidence[0].source, "headers");
    assert!(
        r.evidence[0].text.contains("HELO User") && r.evidence[0].text.contains("test@"),
        "{}",
        r.evidence[0].text
    );
    assert_eq!(r.log_note.as_deref(), Some("no login log read"));
    assert!(r.actions_done.is_empty());
    assert_eq!(r.journal_note.as_deref(), Some("no journal found"));
    assert_eq!(r.remaining.messages, 129);
    assert_eq!(r.remaining.spam_messages, 121);
    assert_eq!(r.remaining.remote, 126);
    assert_eq!(r.remaining.local, 3);
    assert_eq!((r.remaining.unpreprocessed, r.remaining.bouncing), (0, 0));
    // `top`'s culprit `test` marks every `test` login as culprit-top in the fixes.
    let culprit_fixes = r
        .fixes
        .iter()
        .filter(|f| {
            f["rules"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "culprit-top"))
        })
        .count();
    assert_eq!(culprit_fixes, 2, "{:?}", r.fixes);
    // Only the culprits' accounts are named: the weak ones no one used yet (bob, carol, the
    // sales role account, ...) are counted, never listed for a third party (newuser58).
    assert_eq!(r.fixes.len(), culprit_fixes, "{:?}", r.fixes);
    assert!(r.accounts_unlisted >= 5, "{}", r.accounts_unlisted);
    // The culprits are `top`'s: its first-ranked cluster, with the same count.
    assert!(
        r.notes[0].starts_with("culprits are the clusters qtriage top ranks as culprits"),
        "{:?}",
        r.notes
    );
    let top = Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(t.root())
        .args(["top", "--json"])
        .env("QTRIAGE_NOW", (BASE + 3600).to_string())
        .env_remove("QTRIAGE_QUEUE")
        .output()
        .expect("run top");
    assert_exit(&top, 0);
    let first: serde_json::Value = serde_json::from_slice(
        top.stdout
            .split(|&b| b == b'\n')
            .next()
            .expect("a top line"),
    )
    .expect("top json");
    assert_eq!(
        (&first["by"], &first["value"], &first["messages"]),
        (&"auth-user".into(), &"test".into(), &121.into())
    );
}

#[test]
fn since_limits_the_window() {
    let t = flood_queue();
    let tree = seed_tree();
    let out = report_with(&t, tree.tree.root(), &["--format", "json", "--since", "2h"]);
    assert_exit(&out, 0);
    let r: ReportJson = serde_json::from_slice(&out.stdout).expect("report json");
    assert_eq!(r.since.as_deref(), Some("2026-11-23T09:00:00Z"));
    assert_eq!(r.timeline.messages, 128);
    assert_eq!(r.timeline.spam_messages, 120);
    assert_eq!(
        r.timeline.first_spam_queued.as_deref(),
        Some("2026-11-23T10:00:00Z")
    );
    // Bare seconds, as `watch` and `purge` take them, are the same window.
    let secs = report_with(
        &t,
        tree.tree.root(),
        &["--format", "json", "--since", "7200"],
    );
    assert_exit(&secs, 0);
    assert_eq!(secs.stdout, out.stdout);
    let bad = report_with(&t, tree.tree.root(), &["--since", "soon"]);
    assert_exit(&bad, 2);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("2h 30m, PT2H or seconds"), "{err}");
    for zero in ["0", "-5", "0s"] {
        assert_exit(&report_with(&t, tree.tree.root(), &["--since", zero]), 2);
    }
}

#[test]
fn markdown_report_is_safe_and_complete() {
    let t = flood_queue();
    let tree = seed_tree();
    let out = report_with(&t, tree.tree.root(), &[]);
    assert_exit(&out, 0);
    assert!(
        !out.stdout.contains(&0x1b) && !out.stdout.contains(&0x07),
        "raw control bytes in the report"
    );
    let md = String::from_utf8(out.stdout.clone()).expect("utf-8 markdown");
    for section in [
        "# Incident report",
        "## Timeline",
        "## Culprits",
        "## Origin IPs",
        "## Scripts",
        "## Subjects (samples)",
        "## Evidence",
        "## What was done",
        "## What remains in the queue",
        "## Recommended fixes",
    ] {
        assert!(md.contains(section), "missing {section}:\n{md}");
    }
    assert!(
        md.contains("| auth-user | `test` | 121 | 0 | 241 |"),
        "{md}"
    );
    assert!(md.contains("- Peak rate: 12 messages per minute"), "{md}");
    // The last spam at 10:09:55, the report at 11:00:00: how long before, in words.
    assert!(
        md.contains(
            "- Last spam queued: 2026-11-23T10:09:55Z (50 minutes before this report was written)"
        ),
        "{md}"
    );
    assert!(
        md.contains("\n## What was done\n\nno journal found\n"),
        "{md}"
    );
    assert!(md.contains("- Messages in queue: 129"), "{md}");
    // Spam is counted bounces aside, said on the line (newuser54 set it against plan's count).
    let aside = "(the culprits' own, their bounces aside): ";
    assert!(md.contains(&format!("- Spam messages {aside}")), "{md}");
    assert!(md.contains(&format!("- Spam still queued {aside}")), "{md}");
    // Culprits sharing messages (a login and its IP) do not repeat an evidence line.
    let evidence: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("- headers: "))
        .collect();
    let distinct: std::collections::BTreeSet<&&str> = evidence.iter().collect();
    assert!(!evidence.is_empty(), "{md}");
    assert_eq!(distinct.len(), evidence.len(), "{md}");
    // Why `plan` counts more than the report's spam: it takes the culprits' bounces too.
    assert!(
        md.contains("- spam counts the culprits' own messages; the bounces quoting them"),
        "{md}"
    );
    // The password rules are one `weak-password`: `password-is-login` would say the password
    // of an account nobody fixed yet, in a document sent to third parties (review52).
    assert!(md.contains("weak-password"), "{md}");
    for rule in ["password-is-login", "password-is-domain", "password-short"] {
        assert!(!md.contains(rule), "{rule}: {md}");
    }
    // No message body text, no secrets.
    assert!(!md.contains("Hello."), "{md}");
    let shown: &[&[u8]] = &[b"test", b"sales", b"webmaster", b"alice", b"example.com"];
    assert_no_secret(&out.stdout, &tree.secrets, shown);
    let json = report_with(&t, tree.tree.root(), &["--format", "json"]);
    assert_no_secret(&json.stdout, &tree.secrets, shown);
    let text = String::from_utf8_lossy(&json.stdout);
    assert!(text.contains("\"weak-password\"") && !text.contains("password-is-login"));
}

#[test]
fn report_without_vpopmail_says_so() {
    let t = flood_queue();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = report_with(&t, &dir.path().join("none"), &["--format", "json"]);
    assert_exit(&out, 0);
    let r: ReportJson = serde_json::from_slice(&out.stdout).expect("report json");
    assert!(r.fixes.is_empty());
    // Without an account database, the culprit login's fix is still recommended.
    assert_eq!(r.culprit_fixes.len(), 1, "{:?}", r.culprit_fixes);
    let md = report_with(&t, &dir.path().join("none"), &[]);
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("## Recommended fixes\n\n- auth-user `test`: change its password"),
        "{md}"
    );
    assert!(r
        .accounts_note
        .is_some_and(|n| n.starts_with("accounts not checked")));
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("accounts not checked")),
        "{:?}",
        r.notes
    );
}

/// The pretty JSON report with text that is not ASCII in it (a culprit subject `Café`) is JSON:
/// the terminal-safe escaping must not touch the printer's own newlines (the review saw
/// `{\u000a  "now"`).
#[test]
fn the_json_report_with_accents_parses() {
    let t = TestQueue::new(23);
    for i in 0..30 {
        t.add(
            MessageSpec::new()
                .sender(format!("x{i}@example.org"))
                .remote(format!("v{i}@example.net"))
                .received_from("82.128.32.42")
                .auth("test")
                .subject("Caf\u{e9} r\u{e9}sum\u{e9} offer"),
        );
    }
    let out = t.run(&["report", "--format", "json"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
    assert!(text.contains("Caf\u{e9}"), "{text}");
    assert!(
        v["culprits"].as_array().is_some_and(|c| !c.is_empty()),
        "{v:#}"
    );
}

/// The report names the server, as qmail's control/me does, and says when it cannot: a
/// blacklist's ticket needs the host (e2e52: the report never named it).
#[test]
fn the_report_names_the_server_from_control_me() {
    let t = flood_queue();
    let tree = seed_tree();
    let md = String::from_utf8(report_with(&t, tree.tree.root(), &[]).stdout).expect("utf-8");
    assert!(
        md.contains("\nServer: unknown (qmail's control/me could not be read"),
        "{md}"
    );
    let control = t.root().parent().expect("queue parent").join("control");
    std::fs::create_dir_all(&control).expect("control dir");
    std::fs::write(control.join("me"), "Mail.Example.COM\n").expect("me");
    let md = String::from_utf8(report_with(&t, tree.tree.root(), &[]).stdout).expect("utf-8");
    assert!(
        md.contains("\nServer: `mail.example.com` (qmail's control/me; its outbound IP"),
        "{md}"
    );
    let json = report_with(&t, tree.tree.root(), &["--format", "json"]);
    let j: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(j["server"], "mail.example.com", "{j:#}");
}
