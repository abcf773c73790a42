//! Issue 11's acceptance case end to end: a queue whose headers carry only the client IP, plus
//! its smtpd multilog (CHKUSER lines naming `test`): `qtriage --log DIR top` names the AUTH user
//! from the log with its evidence; a login log that shows the password being guessed adds that.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiff::tz::TimeZone;
use qtriage::fixture::MessageSpec;
use qtriage::logs::fixture::{
    chkuser_relaying_line, tcpserver_lines, write_syslog, FixtureLine, MultilogDir,
};

use crate::cli_clusters::{json, ClusterJson};
use crate::util::{assert_exit, TestQueue};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
pub const NOW: i64 = BORN + 600;
const SPAM: usize = 40;
const LEGIT: usize = 10;
const IP: &str = "82.128.32.42";
const SENDER: &str = "kbradford@philadefender.org";

/// The queue, and the smtpd log directory that names `test` for every spam message.
pub struct Incident {
    pub t: TestQueue,
    pub dir: tempfile::TempDir,
    pub smtpd: PathBuf,
}

pub fn incident() -> Incident {
    let t = TestQueue::new(23);
    // The server's own domains, so "sender addresses not its own" can be judged.
    let control = t.root().parent().expect("queue parent").join("control");
    std::fs::create_dir_all(&control).expect("control dir");
    std::fs::write(control.join("locals"), "example.com\n").expect("locals");
    for n in 0..SPAM {
        t.add(
            MessageSpec::new()
                .born(BORN + n as i64)
                .pid(7000 + n as u32)
                .received_from(IP)
                .helo("User")
                .sender(SENDER)
                .remote(format!("victim{n}@msn.com"))
                .subject("Dispute Transaction"),
        );
    }
    for n in 0..LEGIT {
        t.add(
            MessageSpec::new()
                .born(BORN - 3000 + n as i64 * 60)
                .received_from("192.0.2.50")
                .sender(format!("customer{n}@partner.example"))
                .local("sales@example.com")
                .subject(format!("Order {n}")),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let smtpd = MultilogDir::create(dir.path().join("smtpd")).expect("smtpd");
    let [pid, ok, end] = tcpserver_lines(5941, IP);
    let mut lines = vec![
        FixtureLine::new(BORN - 5, &pid),
        FixtureLine::new(BORN - 5, &ok),
    ];
    for n in 0..SPAM {
        let rcpt = format!("victim{n}@msn.com");
        lines.push(FixtureLine::new(
            BORN + n as i64 - 1,
            chkuser_relaying_line(SENDER, "test", "User", IP, &rcpt),
        ));
    }
    lines.push(FixtureLine::new(BORN + SPAM as i64, &end));
    smtpd.current(&lines).expect("smtpd current");
    let smtpd = smtpd.path().to_path_buf();
    Incident { t, dir, smtpd }
}

/// vchkpw (syslog) shows 14 wrong SMTP passwords for test@example.com from one IP, then a
/// success at 09:33:20.
pub fn guessing_log(dir: &Path) -> PathBuf {
    let mut lines: Vec<FixtureLine> = (0..14)
        .map(|i| {
            FixtureLine::new(
                BORN - 1800 + i * 10,
                format!(
                    "vchkpw-smtp[{}]: password fail test@example.com:{IP}",
                    300 + i
                ),
            )
        })
        .collect();
    lines.push(FixtureLine::new(
        BORN - 1600,
        format!("vchkpw-smtp[400]: (LOGIN) login success test@example.com:{IP}"),
    ));
    let path = dir.join("maillog");
    write_syslog(&path, &lines, &TimeZone::UTC).expect("maillog");
    path
}

pub fn qtriage(t: &TestQueue, logs: &[&Path], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    cmd.arg("--queue").arg(t.root());
    for l in logs {
        cmd.arg("--log").arg(l);
    }
    cmd.args(args)
        .env_remove("QTRIAGE_QUEUE")
        .env_remove("QTRIAGE_LOGS")
        .env("QTRIAGE_NOW", NOW.to_string())
        .env("TZ", "UTC")
        .output()
        .expect("run qtriage")
}

#[track_caller]
fn stdout(out: Output) -> String {
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

fn top_json(i: &Incident, logs: &[&Path]) -> Vec<ClusterJson> {
    json(&stdout(qtriage(&i.t, logs, &["top", "--json"])))
}

/// The provenance reason of the incident: the earliest CHKUSER line is `current`'s line 3.
fn provenance(smtpd: &Path) -> String {
    format!(
        "AUTH user test (from log: CHKUSER line at 2026-11-23T09:59:59Z ({}:3)): {SPAM} of {SPAM} messages, \
         {SPAM} log lines",
        smtpd.join("current").display()
    )
}

#[test]
fn top_names_the_auth_user_from_the_smtpd_log_with_its_evidence() {
    let i = incident();
    let top = top_json(&i, &[&i.smtpd]);
    let first = &top[0];
    assert_eq!(
        (first.by.as_str(), first.value.clone(), first.messages),
        ("auth-user", Some(serde_json::json!("test")), SPAM)
    );
    assert_eq!(first.recipients, SPAM);
    assert!(
        first.reasons[0].starts_with(&format!(
            "AUTH user test: {SPAM} messages (80% of queue) from 1 IP ({IP} {SPAM})"
        )),
        "{}",
        first.reasons[0]
    );
    assert_eq!(first.reasons[1], provenance(&i.smtpd));
    assert_eq!(first.query, "cluster:auth-user=test");
    assert!(first.score >= 40.0, "{}", first.score);
    // The same messages by IP are covered by the AUTH user: not listed again.
    assert!(!top
        .iter()
        .any(|c| c.by == "origin-ip" && c.value == Some(serde_json::json!(IP))));
    assert!(
        !first.reasons.iter().any(|r| r.contains("password guessed")),
        "no login log, no guessing: {:#?}",
        first.reasons
    );

    let text = stdout(qtriage(&i.t, &[&i.smtpd], &["top"]));
    let block: Vec<&str> = text.lines().skip(2).take(3).collect();
    assert!(
        block[0].starts_with(" 1. culprit")
            && block[0].ends_with(&format!("auth-user test  ({SPAM} messages)")),
        "{text}"
    );
    assert_eq!(
        block[2],
        format!("      - {}", provenance(&i.smtpd)),
        "{text}"
    );
}

#[test]
fn without_log_no_auth_user_is_named() {
    let i = incident();
    let top = top_json(&i, &[]);
    assert!(!top.iter().any(|c| c.by == "auth-user"), "{top:#?}");
    assert!(!top
        .iter()
        .flat_map(|c| &c.reasons)
        .any(|r| r.contains("from log")));
    let first = &top[0];
    assert_eq!(first.messages, SPAM, "{first:#?}");
    assert!(first.by.starts_with("origin"), "{first:#?}");
    // `list` agrees: no AUTH user without the log, `test` on every spam message with it.
    assert_exit(&qtriage(&i.t, &[], &["list", "--count", "auth:test"]), 1);
    let n = stdout(qtriage(
        &i.t,
        &[&i.smtpd],
        &["list", "--count", "auth:test"],
    ));
    assert_eq!(n.trim(), SPAM.to_string());
}

#[test]
fn list_and_clusters_carry_the_log_user() {
    let i = incident();
    let lines = stdout(qtriage(
        &i.t,
        &[&i.smtpd],
        &["list", "--json", &format!("ip:{IP}")],
    ));
    let objs: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(objs.len(), SPAM);
    for o in &objs {
        let origin = &o["origin"];
        assert_eq!(
            (
                &origin["kind"],
                &origin["auth_user"],
                &origin["auth_source"]
            ),
            (
                &serde_json::json!("smtp-auth"),
                &serde_json::json!("test"),
                &serde_json::json!("log")
            ),
            "{o}"
        );
    }
    let legit = stdout(qtriage(
        &i.t,
        &[&i.smtpd],
        &["list", "--json", "ip:192.0.2.50"],
    ));
    for l in legit.lines() {
        let o: serde_json::Value = serde_json::from_str(l).expect("json");
        assert_eq!(
            (&o["origin"]["auth_user"], &o["origin"]["auth_source"]),
            (&serde_json::Value::Null, &serde_json::Value::Null)
        );
    }
    let by_user = json(&stdout(qtriage(
        &i.t,
        &[&i.smtpd],
        &["clusters", "--by", "auth-user", "--json"],
    )));
    let test = by_user
        .iter()
        .find(|c| c.value == Some(serde_json::json!("test")))
        .expect("test cluster");
    assert_eq!(test.messages, SPAM);
    assert!(test.reasons.contains(&provenance(&i.smtpd)), "{test:#?}");
}

#[test]
fn a_guessing_log_adds_the_guessed_password_reason() {
    let i = incident();
    let maillog = guessing_log(i.dir.path());
    let top = top_json(&i, &[&i.smtpd, &maillog]);
    let first = &top[0];
    assert_eq!(
        (first.by.as_str(), first.value.clone(), first.messages),
        ("auth-user", Some(serde_json::json!("test")), SPAM)
    );
    let want = format!(
        "password guessed (as test@example.com): 14 failures from {IP} before first success at \
         2026-11-23T09:33:20Z (+25.0)"
    );
    assert!(first.reasons.contains(&want), "{:#?}", first.reasons);
    assert!(
        first.reasons[0].ends_with("likely a guessed password"),
        "{}",
        first.reasons[0]
    );
    assert!(
        !first.reasons.iter().any(|r| r.contains("harvesting")),
        "one account failing is guessing, not harvesting: {:#?}",
        first.reasons
    );
    // Same ranking, higher score than with the smtpd log alone.
    let alone = top_json(&i, &[&i.smtpd]);
    assert!(
        first.score >= alone[0].score + 20.0,
        "{} vs {}",
        first.score,
        alone[0].score
    );
    // QTRIAGE_LOGS is the same as --log.
    let env = format!("{}:{}", i.smtpd.display(), maillog.display());
    let out = Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(i.t.root())
        .args(["top", "--json"])
        .env_remove("QTRIAGE_QUEUE")
        .env("QTRIAGE_LOGS", env)
        .env("QTRIAGE_NOW", NOW.to_string())
        .env("TZ", "UTC")
        .output()
        .expect("run");
    let via_env = json(&stdout(out));
    assert_eq!(via_env[0].reasons, first.reasons);
}

#[test]
fn report_cites_the_log_evidence_and_the_guessed_password() {
    let i = incident();
    let out = stdout(qtriage(
        &i.t,
        &[&i.smtpd],
        &[
            "report",
            "--format",
            "json",
            "--vpopmail",
            "/nonexistent-vpopmail",
        ],
    ));
    let r: serde_json::Value = serde_json::from_str(&out).expect("report json");
    let notes = r["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n
            == &serde_json::json!(format!(
            "the AUTH user of {SPAM} messages comes from the logs (--log), not from their headers"
        ))),
        "{notes:?}"
    );
    assert_eq!(r["culprits"][0]["value"], "test", "{out}");
    assert_eq!(r["log_note"], serde_json::Value::Null, "a log was read");
    let evidence = r["evidence"].as_array().expect("evidence");
    let header = evidence
        .iter()
        .find(|e| e["source"] == "headers")
        .expect("header shape");
    let header = header["text"].as_str().expect("text");
    assert!(
        !header.contains(&format!("test@{IP}"))
            && header.ends_with(&format!("AUTH user test from the logs on {SPAM} messages")),
        "the header shape must not claim a user it lacks: {header}"
    );
    let want = format!(
        "AUTH user test (from log: CHKUSER line at 2026-11-23T09:59:59Z ({}:3)): {SPAM} of {} messages, \
         {SPAM} log lines",
        i.smtpd.join("current").display(),
        SPAM + LEGIT
    );
    assert!(
        evidence
            .iter()
            .any(|e| e["source"] == "log" && e["text"] == serde_json::json!(want)),
        "{evidence:#?}"
    );
    // Under --since, only the window's messages (review52: `4,800 of 4,316 messages`).
    let since = (NOW - (BORN + SPAM as i64 / 2)).to_string();
    let args = ["report", "--format", "json", "--since", &since];
    let r: serde_json::Value =
        serde_json::from_str(&stdout(qtriage(&i.t, &[&i.smtpd], &args))).expect("report json");
    let half = SPAM / 2;
    assert_eq!(r["timeline"]["messages"], half, "{r:#}");
    let note = format!(
        "the AUTH user of {half} messages comes from the logs (--log), not from their headers"
    );
    assert!(
        r["notes"].as_array().expect("notes").contains(&note.into()),
        "{r:#}"
    );
    let log_lines: Vec<&str> = (r["evidence"].as_array().expect("evidence").iter())
        .filter(|e| e["source"] == "log")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(
        log_lines
            .iter()
            .any(|l| l.ends_with(&format!(": {half} of {half} messages, {half} log lines"))),
        "{log_lines:#?}"
    );
    let maillog = guessing_log(i.dir.path());
    let md = stdout(qtriage(
        &i.t,
        &[&i.smtpd, &maillog],
        &["report", "--vpopmail", "/nonexistent-vpopmail"],
    ));
    assert!(
        md.contains("- log: `password guessed (as test@example.com): 14 failures from 82.128.32.42 before first success at 2026-11-23T09:33:20Z`"),
        "{md}"
    );
}

/// A `--log` path that cannot be read is the first thing said, before the queue is read: a
/// mistyped path on a million-message queue was reported only after the whole scan (whose
/// notes came first).
#[test]
fn an_unreadable_log_is_reported_before_the_queue_is_read() {
    let t = TestQueue::new(23);
    t.add(MessageSpec::new().remote("a@x.example"));
    t.add(
        MessageSpec::new()
            .remote("b@x.example")
            .truncate_envelope(qtriage::queue::Subdir::Remote),
    );
    // A linked split directory: every one of these commands warns about it once it has
    // scanned (`... not listed`), so a warning before the log's error means the scan came first.
    let outside = tempfile::tempdir().expect("outside dir");
    t.q.symlink_split_dir(qtriage::queue::Subdir::Info, 1, outside.path())
        .expect("symlink info/1");
    for args in [
        &["top"][..],
        &["list"],
        &["plan"],
        &["report"],
        &["clusters", "--by", "origin-ip"],
    ] {
        let out = t
            .command()
            .args(["--log", "/nonexistent/qtriage-log"])
            .args(args)
            .output()
            .expect("run");
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("qtriage: log /nonexistent/qtriage-log: "),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("have problems") && !err.contains("not listed"),
            "{args:?} scanned first: {err}"
        );
    }
}

/// With `--log`, `yank` selects the AUTH user the logs name as `plan` and `list` do: the
/// plan's `cluster:auth-user=test` once selected nothing in `yank`, which read no log.
#[test]
fn yank_with_the_log_selects_what_the_plan_counted() {
    let i = incident();
    let logs = [i.smtpd.as_path()];
    let query = stdout(qtriage(&i.t, &logs, &["plan", "--query"]));
    let query = query.trim();
    assert!(query.contains("cluster:auth-user=test"), "{query}");
    let plan: serde_json::Value =
        serde_json::from_str(stdout(qtriage(&i.t, &logs, &["plan", "--json"])).trim())
            .expect("plan json");
    let dry: serde_json::Value =
        serde_json::from_str(stdout(qtriage(&i.t, &logs, &["yank", query, "--json"])).trim())
            .expect("yank json");
    assert_eq!(dry["messages"], plan["messages"], "{dry}");
    assert_eq!(dry["messages"], SPAM);
    // The plan says the log named the login (newuser58: only `top` said so).
    let test = &plan["culprits"][0];
    assert_eq!(
        (&test["value"], &test["from_log"]),
        (&"test".into(), &SPAM.into()),
        "{plan:#}"
    );
    let text = stdout(qtriage(&i.t, &logs, &["plan"]));
    let words = format!("{SPAM} messages, {SPAM} of them named by the log");
    assert!(text.contains(&words), "{text}");
    // Without the log no message has that AUTH user: nothing matches (exit 1).
    let out = qtriage(&i.t, &[], &["yank", query, "--json"]);
    assert_exit(&out, 1);
    let without: serde_json::Value = serde_json::from_slice(&out.stdout).expect("yank json");
    assert_eq!(without["messages"], 0, "{without}");
}

/// The report's log evidence names the culprit logins only: the logs name real users'
/// messages too (here `alice`, whose CHKUSER lines name her ten orders), and the report goes
/// to third parties (review52b: two legit users named in the evidence).
#[test]
fn report_log_evidence_names_only_culprit_logins() {
    let i = incident();
    let extra = MultilogDir::create(i.dir.path().join("alice")).expect("log dir");
    let lines: Vec<FixtureLine> = (0..LEGIT)
        .map(|n| {
            let sender = format!("customer{n}@partner.example");
            let line =
                chkuser_relaying_line(&sender, "alice", "pc", "192.0.2.50", "sales@example.com");
            FixtureLine::new(BORN - 3000 + n as i64 * 60 - 1, line)
        })
        .collect();
    extra.current(&lines).expect("current");
    let logs = [i.smtpd.as_path(), extra.path()];
    let args = [
        "report",
        "--format",
        "json",
        "--vpopmail",
        "/nonexistent-vpopmail",
    ];
    let r: serde_json::Value =
        serde_json::from_str(&stdout(qtriage(&i.t, &logs, &args))).expect("report json");
    let notes = r["notes"].as_array().expect("notes");
    let all = format!(
        "the AUTH user of {} messages comes from the logs",
        SPAM + LEGIT
    );
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.starts_with(&all))),
        "alice's messages are log-named: {notes:?}"
    );
    let evidence = r["evidence"].to_string();
    assert!(evidence.contains("AUTH user test ("), "{evidence}");
    assert!(!evidence.contains("alice"), "{evidence}");
}
