//! Attribution that does not depend on spelling or on the queue's state: one account however
//! its login was written (`test`, `test@example.com`, `test@example.com@IP`), and a queue
//! captured before qmail-send preprocessed it (everything in todo/) ranked as it will be after.

use std::path::{Path, PathBuf};
use std::process::Output;

use qtriage::fixture::{FixtureState, MessageSpec};
use serde_json::Value;

use crate::util::{assert_exit, TestQueue};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
const NOW: &str = "1795428600";

/// A queue whose qmail home has the control files `files`.
fn queue(files: &[(&str, &str)]) -> TestQueue {
    let t = TestQueue::new(23);
    let control = t.root().parent().expect("home").join("control");
    std::fs::create_dir_all(&control).expect("control");
    for (name, text) in files {
        std::fs::write(control.join(name), text).expect("control file");
    }
    t
}

fn run(t: &TestQueue, args: &[&str]) -> Output {
    t.command()
        .args(args)
        .env("QTRIAGE_NOW", NOW)
        .env_remove("QTRIAGE_LOGS")
        .env_remove("QTRIAGE_VPOPMAIL")
        .output()
        .expect("run qtriage")
}

#[track_caller]
fn lines(out: Output) -> Vec<Value> {
    lines_exiting(out, 0)
}

#[track_caller]
fn lines_exiting(out: Output, code: i32) -> Vec<Value> {
    assert_exit(&out, code);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// `spam` messages from AUTH login `login` at `ip`, each to one remote victim.
fn add_logins(t: &TestQueue, login: &str, ip: &str, spam: usize, state: FixtureState) {
    for n in 0..spam {
        t.add(
            MessageSpec::new()
                .state(state)
                .born(BORN + n as i64)
                .received_from(ip)
                .auth(login)
                .sender("kbradford@philadefender.org")
                .remote(format!("victim{n}@msn.com"))
                .subject("Dispute Transaction"),
        );
    }
}

fn add_legit(t: &TestQueue, n: usize, state: FixtureState) {
    for i in 0..n {
        t.add(
            MessageSpec::new()
                .state(state)
                .born(BORN - 3000 + i as i64 * 60)
                .received_from("192.0.2.50")
                .sender(format!("customer{i}@partner.example"))
                .local("sales@example.com")
                .subject(format!("Order {i}")),
        );
    }
}

#[test]
fn the_spellings_of_one_login_are_one_account() {
    let t = queue(&[
        ("locals", "example.com\n"),
        ("defaultdomain", "example.com\n"),
    ]);
    add_logins(&t, "test", "86.107.221.138", 30, FixtureState::InDelivery);
    add_logins(
        &t,
        "test@example.com",
        "41.203.18.7",
        20,
        FixtureState::InDelivery,
    );
    add_legit(&t, 10, FixtureState::InDelivery);
    let by_user = lines(run(&t, &["clusters", "--by", "auth-user", "--json"]));
    let named: Vec<&Value> = by_user.iter().filter(|c| !c["value"].is_null()).collect();
    assert_eq!(named.len(), 1, "{by_user:#?}");
    let c = named[0];
    assert_eq!(
        (c["value"].as_str(), c["messages"].as_u64()),
        (Some("test@example.com"), Some(50))
    );
    let reasons: Vec<&str> = c["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasons.contains(&"logged in as test (30), test@example.com (20)"),
        "{reasons:#?}"
    );
    // The query selects every spelling; `top` names the one account first.
    let n = run(
        &t,
        &["list", "--count", "cluster:auth-user=test@example.com"],
    );
    assert_eq!(String::from_utf8_lossy(&n.stdout).trim(), "50");
    let top = lines(run(&t, &["top", "--json"]));
    assert_eq!(top[0]["value"], "test@example.com", "{top:#?}");
    assert_eq!(top[0]["messages"], 50);
    assert!(!top.iter().any(|c| c["value"] == "test"), "{top:#?}");

    // Another default domain: `test` is then that domain's account, not example.com's.
    let other = lines(run(
        &t,
        &[
            "clusters",
            "--by",
            "auth-user",
            "--json",
            "--default-domain",
            "other.example",
        ],
    ));
    let values: Vec<(&str, u64)> = other
        .iter()
        .filter_map(|c| Some((c["value"].as_str()?, c["messages"].as_u64()?)))
        .collect();
    assert_eq!(
        values,
        [("test@other.example", 30), ("test@example.com", 20)]
    );
}

/// A passwd of the queue's host, where uid 1002 is qmaild.
fn host_passwd(t: &TestQueue) -> PathBuf {
    let p = t.root().parent().expect("home").join("passwd.copy");
    std::fs::write(
        &p,
        "root:x:0:0::/root:/bin/sh\nqmaild:x:1002:2108::/var/qmail:/sbin/nologin\n\
         apache:x:48:48::/var/www:/sbin/nologin\n",
    )
    .expect("passwd");
    p
}

/// `top --json` rows, with the queue host's passwd or (`None`) none: a copied queue.
fn ranking(t: &TestQueue, passwd: Option<&Path>) -> Vec<Value> {
    let mut args = vec!["top", "--json", "--limit", "100"];
    if let Some(p) = passwd {
        args.extend(["--passwd", p.to_str().expect("utf-8 path")]);
    }
    lines(run(t, &args))
}

#[test]
fn a_queue_still_in_todo_ranks_as_it_will_after_preprocessing() {
    let files = [
        ("locals", "example.com\n"),
        ("defaultdomain", "example.com\n"),
    ];
    let (before, after) = (queue(&files), queue(&files));
    for (t, state) in [
        (&before, FixtureState::Queued),
        (&after, FixtureState::InDelivery),
    ] {
        add_logins(t, "test", "86.107.221.138", 30, state);
        add_legit(t, 10, state);
    }
    // Whether or not a passwd names qmaild: the todo `u` of network mail is not a sender.
    let (pb, pa) = (host_passwd(&before), host_passwd(&after));
    for (b, a) in [(Some(pb.as_path()), Some(pa.as_path())), (None, None)] {
        let (rb, ra) = (ranking(&before, b), ranking(&after, a));
        assert!(
            !rb.iter().any(|c| c["by"] == "uid"),
            "qmaild is no sender: {rb:#?}"
        );
        assert_eq!(rb, ra);
        assert_eq!(rb[0]["value"], "test@example.com", "{rb:#?}");
    }
}

#[test]
fn qmails_daemon_uids_are_never_a_local_sender() {
    let t = queue(&[("locals", "example.com\n")]);
    // qmail-queue run by qmaild itself (a patched smtpd that says "by uid"), mailing out.
    for n in 0..30 {
        t.add(
            MessageSpec::new()
                .born(BORN + n)
                .local_uid(1002)
                .sender("anything@example.com")
                .remote(format!("r{n}@msn.com")),
        );
    }
    let passwd = host_passwd(&t);
    let by_uid = |extra: &[&str]| {
        let mut args = vec!["clusters", "--by", "uid", "--json"];
        args.extend_from_slice(extra);
        lines(run(&t, &args))
    };
    // Named by the queue host's passwd: no uid value, never ranked.
    let named = by_uid(&["--passwd", passwd.to_str().expect("path")]);
    assert!(named.iter().all(|c| c["value"].is_null()), "{named:#?}");
    // Without it the uid is only a number, as before.
    let unnamed = by_uid(&[]);
    assert_eq!(unnamed[0]["value"], "1002", "{unnamed:#?}");
}

#[test]
fn vpopmails_last_login_from_a_flood_ip_is_evidence() {
    use qtriage::accounts::fixture::{FixtureAccount, Store, VpopmailTree};
    let t = queue(&[
        ("locals", "example.com\n"),
        ("defaultdomain", "example.com\n"),
    ]);
    add_logins(&t, "test", "82.128.32.42", 40, FixtureState::InDelivery);
    add_legit(&t, 10, FixtureState::InDelivery);
    let home = t.root().parent().expect("home");
    let tree = VpopmailTree::create(home.join("vpopmail")).expect("vpopmail");
    tree.add_domain(
        b"example.com",
        Store::Cdb,
        &[
            FixtureAccount::clear("test", "test").last_auth("82.128.32.42", BORN + 300),
            FixtureAccount::clear("sales", "Zq8#tY2!pLm4").last_auth("192.0.2.9", BORN - 86_400),
            FixtureAccount::clear("info", "Xr7$uW3@kNp5"),
        ],
    )
    .expect("domain");
    let vpop = tree.root().to_str().expect("utf-8 path");

    // `accounts` shows each account's last login, IP and time.
    // Exit 1: `test` and the role accounts are at risk.
    let rows = lines_exiting(
        run(
            &t,
            &[
                "accounts",
                "--vpopmail",
                vpop,
                "--json",
                "--all",
                "--no-queue",
            ],
        ),
        1,
    );
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["account"] == name)
            .expect("row")
            .clone()
    };
    assert_eq!(row("test")["last_auth_ip"], "82.128.32.42");
    assert_eq!(row("test")["last_auth"], "2026-11-23T10:05:00Z");
    assert_eq!(row("sales")["last_auth"], "2026-11-22T10:00:00Z");
    assert!(row("info")["last_auth"].is_null() && row("info")["last_auth_ip"].is_null());
    let text = run(&t, &["accounts", "--vpopmail", vpop, "--all", "--no-queue"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.contains("  LAST-AUTH  ")),
        "{text}"
    );
    assert!(text.contains("  2026-11-23 10:05 82.128.32.42  "), "{text}");

    // `top` and the report cite it for the account the flood logged in as.
    let evidence = "last login 10:05 from 82.128.32.42, which sent 40 of these messages";
    let top = lines(run(&t, &["top", "--json", "--vpopmail", vpop]));
    assert_eq!(top[0]["value"], "test@example.com", "{top:#?}");
    assert!(
        top[0]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r == evidence),
        "{top:#?}"
    );
    let report = run(&t, &["report", "--vpopmail", vpop, "--format", "json"]);
    assert_exit(&report, 0);
    assert!(String::from_utf8_lossy(&report.stdout).contains(evidence));
    // Without the vpopmail tree (a copied queue): no such reason.
    let bare = lines(run(&t, &["top", "--json"]));
    assert!(!bare[0]["reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .any(|r| r == evidence));
}
