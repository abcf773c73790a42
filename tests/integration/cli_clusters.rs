//! `qtriage clusters`: origins per message, cluster counts per key, JSON contract, queries,
//! hostile bytes, on a fixture queue whose ground truth is planted here.

use std::collections::BTreeMap;
use std::process::{Command, Output};

use qtriage::fixture::MessageSpec;
use qtriage::queue::{MessageId, OriginKind};

use crate::util::{assert_exit, TestQueue};

/// "Now" for every run: 2026-11-23 10:33:20 UTC, 20 minutes after the flood started.
pub const NOW: i64 = 1_795_430_000;
const START: i64 = NOW - 1200;
/// Messages per planted group.
pub const AUTH_FLOOD: usize = 66;
pub const PHP_FLOOD: usize = 20;
pub const BOUNCES: usize = 24;
pub const TOTAL: usize = 125;
pub const FLOOD_IPS: [(&str, usize); 3] = [
    ("86.107.221.138", 30),
    ("41.203.18.7", 21),
    ("190.12.44.201", 15),
];

/// A planted queue and what each message is.
pub struct Planted {
    pub t: TestQueue,
    pub truth: BTreeMap<MessageId, Truth>,
}

/// Ground truth for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    pub kind: OriginKind,
    pub auth: Option<&'static str>,
    pub ip: Option<&'static str>,
    pub uid: Option<u32>,
    pub script: Option<&'static str>,
}

fn truth(kind: OriginKind) -> Truth {
    Truth {
        kind,
        auth: None,
        ip: None,
        uid: None,
        script: None,
    }
}

/// Distinct lowercase names of 5-9 letters (forged envelope senders).
fn forged_name(k: usize) -> String {
    let mut n = k * 7919 + 100_000;
    let mut s = String::new();
    while n > 0 {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    s.truncate(5 + k % 5);
    while s.len() < 5 {
        s.push('q');
    }
    s
}

/// The auth flood in the three Received shapes qmail's AUTH patches write.
fn add_auth_flood(t: &TestQueue, truth_of: &mut BTreeMap<MessageId, Truth>) {
    let shapes = [
        "SMTP",
        "ESMTPSA (TLS_AES_256_GCM_SHA384 encrypted, authenticated)",
        "ESMTPA",
    ];
    let mut k = 0;
    for ((ip, n), proto) in FLOOD_IPS.iter().zip(shapes) {
        for _ in 0..*n {
            let mut spec = MessageSpec::new()
                .born(START + k as i64 * 10)
                .received_from(ip)
                .helo("User")
                .auth_with("test@example.com", proto)
                .sender(format!("{}@philadefender.org", forged_name(k)))
                .from_header(format!("<{}@philadefender.org>", forged_name(k)))
                .subject(format!("Dispute Transaction {}", 88_000 + k * 13));
            for r in 0..(1 + k % 40) {
                spec = spec.remote(format!("victim{r}.{k}@customer{r}.example"));
            }
            let id = t.add(spec);
            let tr = Truth {
                auth: Some("test@example.com"),
                ip: Some(ip),
                ..truth(OriginKind::SmtpAuth)
            };
            truth_of.insert(id, tr);
            k += 1;
        }
    }
}

/// The whole planted queue ([`TOTAL`] messages).
pub fn planted() -> Planted {
    let t = TestQueue::new(23);
    let mut truth_of = BTreeMap::new();
    add_auth_flood(&t, &mut truth_of);
    for i in 0..PHP_FLOOD {
        let spec = MessageSpec::new()
            .born(START + i as i64 * 30)
            .php_script(48, "wp-content/uploads/mailer.php")
            .sender("apache@mail.example.com")
            .subject(format!("Your parcel {i}"))
            .remote("a@x.example")
            .remote("b@y.example")
            .remote("c@z.example");
        let tr = Truth {
            uid: Some(48),
            script: Some("wp-content/uploads/mailer.php"),
            ..truth(OriginKind::Local)
        };
        truth_of.insert(t.add(spec), tr);
    }
    for i in 0..4 {
        // ESMTPA `(user@ip)`: a real user of this server, mailing one customer each.
        let spec = MessageSpec::new()
            .born(START + i * 60)
            .received_from("192.0.2.10")
            .auth("sales")
            .sender("sales@example.com")
            .from_header("Sales <sales@example.com>")
            .subject(format!("Quote {i} for you"))
            .remote(format!("buyer{i}@customer.example"));
        truth_of.insert(
            t.add(spec),
            Truth {
                auth: Some("sales"),
                ip: Some("192.0.2.10"),
                ..truth(OriginKind::SmtpAuth)
            },
        );
    }
    for i in 0..3 {
        let spec = MessageSpec::new()
            .born(START + i)
            .local_uid(1001)
            .sender("cron@mail.example.com")
            .local("root@example.com");
        truth_of.insert(
            t.add(spec),
            Truth {
                uid: Some(1001),
                ..truth(OriginKind::Local)
            },
        );
    }
    for i in 0..BOUNCES as i64 {
        let spec = MessageSpec::new()
            .born(START + i)
            .bounce()
            .remote(format!("forged{i}@victim{i}.example"));
        truth_of.insert(t.add(spec), truth(OriginKind::Bounce));
    }
    for (i, from) in [
        "ann@gmail.com",
        "bob@gmail.com",
        "bob@gmail.com",
        "carol@partner.example",
        "dave@partner.example",
    ]
    .iter()
    .enumerate()
    {
        let spec = MessageSpec::new()
            .born(START + i as i64)
            .received_from("209.85.220.41")
            .host("mail-sor-f41.google.com")
            .helo("mail-sor-f41.google.com")
            .sender(from)
            .local("alice@example.com")
            .subject("Lunch?");
        truth_of.insert(
            t.add(spec),
            Truth {
                ip: Some("209.85.220.41"),
                ..truth(OriginKind::Smtp)
            },
        );
    }
    let hostile = MessageSpec::new()
        .born(START)
        .received_from("203.0.113.66")
        .helo("evil\x1b[2J\x1b]0;owned\x07")
        .sender("evil\x1b[2J@spam.example")
        .subject("Pay \x1b[31mnow\x1b[0m \u{202e}gnp.exe")
        .local("alice@example.com");
    truth_of.insert(
        t.add(hostile),
        Truth {
            ip: Some("203.0.113.66"),
            ..truth(OriginKind::Smtp)
        },
    );
    truth_of.insert(
        t.add(
            MessageSpec::new()
                .born(START)
                .alias()
                .sender("fwd@example.com")
                .remote("x@elsewhere.example"),
        ),
        truth(OriginKind::Alias),
    );
    truth_of.insert(
        t.add(
            MessageSpec::new()
                .born(START)
                .via(qtriage::fixture::Via::NoReceived)
                .local("alice@example.com"),
        ),
        truth(OriginKind::Unknown),
    );
    assert_eq!(truth_of.len(), TOTAL);
    Planted { t, truth: truth_of }
}

/// Run qtriage on `t` with `QTRIAGE_NOW` fixed.
pub fn run(t: &TestQueue, args: &[&str]) -> Output {
    (t.command().args(args).env("QTRIAGE_NOW", NOW.to_string()))
        .output()
        .expect("run qtriage")
}

/// Stdout of a successful run.
#[track_caller]
pub fn stdout(t: &TestQueue, args: &[&str]) -> String {
    let out = run(t, args);
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// The JSON contract of one cluster, restated.
#[derive(serde::Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct ClusterJson {
    pub by: String,
    pub value: Option<serde_json::Value>,
    pub messages: usize,
    pub recipients: usize,
    pub bytes: u64,
    pub first_queued: String,
    pub last_queued: String,
    pub per_minute: f64,
    pub score: f64,
    /// `culprit`, `suspect`, `legit`; null for `(none)`.
    pub verdict: Option<String>,
    pub reasons: Vec<String>,
    pub query: String,
}

/// Parse JSON lines.
#[track_caller]
pub fn json(text: &str) -> Vec<ClusterJson> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn counts(cs: &[ClusterJson]) -> BTreeMap<String, usize> {
    cs.iter()
        .map(|c| {
            (
                c.value.as_ref().map_or("(none)".into(), |v| {
                    v.as_str().unwrap_or("<bytes>").to_string()
                }),
                c.messages,
            )
        })
        .collect()
}

#[test]
fn every_message_gets_its_planted_origin() {
    let p = planted();
    let strings = qtriage::queue::Interner::new();
    let q = qtriage::queue::Queue::open(p.t.root(), Default::default()).expect("open");
    let scan =
        qtriage::queue::scan(&q, &strings, Default::default(), &Default::default()).expect("scan");
    assert_eq!(scan.records.len(), TOTAL);
    let text = |s: Option<qtriage::queue::Sym>| s.map(|s| strings.text(s));
    for r in &scan.records {
        let want = &p.truth[&r.id];
        let o = &r.origin;
        assert_eq!(o.kind, want.kind, "#{}", r.id);
        assert_eq!(text(o.auth_user).as_deref(), want.auth, "#{}", r.id);
        assert_eq!(text(o.ip).as_deref(), want.ip, "#{}", r.id);
        assert_eq!(text(o.script).as_deref(), want.script, "#{}", r.id);
        if want.uid.is_some() {
            assert_eq!(o.uid(), want.uid, "#{}", r.id);
        }
    }
}

#[test]
fn counts_per_key_add_up_and_match_the_plant() {
    let p = planted();
    for key in [
        "origin-ip",
        "origin-net",
        "auth-user",
        "uid",
        "script",
        "helo",
        "sender",
        "sender-domain",
        "sender-pattern",
        "from",
        "rcpt-domain",
        "subject",
        "origin",
    ] {
        let cs = json(&stdout(&p.t, &["clusters", "--by", key, "--json"]));
        assert_eq!(cs.iter().map(|c| c.messages).sum::<usize>(), TOTAL, "{key}");
        assert!(
            cs.iter().all(|c| c.by == key && !c.reasons.is_empty()),
            "{key}"
        );
        assert!(
            cs.windows(2).all(|w| w[0].messages >= w[1].messages),
            "{key}: largest first"
        );
    }
    let origin = counts(&json(&stdout(
        &p.t,
        &["clusters", "--by", "origin", "--json"],
    )));
    let want: BTreeMap<String, usize> = [
        ("smtp-auth", 70),
        ("local", 23),
        ("bounce", BOUNCES),
        ("smtp", 6),
        ("alias", 1),
        ("unknown", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(origin, want);
    let auth = counts(&json(&stdout(
        &p.t,
        &["clusters", "--by", "auth-user", "--json"],
    )));
    assert_eq!(auth.get("test@example.com"), Some(&AUTH_FLOOD));
    assert_eq!(auth.get("sales"), Some(&4));
    assert_eq!(auth.get("(none)"), Some(&(TOTAL - AUTH_FLOOD - 4)));
    let ip = counts(&json(&stdout(
        &p.t,
        &["clusters", "--by", "origin-ip", "--json"],
    )));
    for (addr, n) in FLOOD_IPS {
        assert_eq!(ip.get(addr), Some(&n), "{addr}");
    }
    let script = counts(&json(&stdout(
        &p.t,
        &["clusters", "--by", "script", "--json"],
    )));
    assert_eq!(
        script.get("wp-content/uploads/mailer.php"),
        Some(&PHP_FLOOD)
    );
    let uid = counts(&json(&stdout(&p.t, &["clusters", "--by", "uid", "--json"])));
    assert_eq!(
        (uid.get("48"), uid.get("1001")),
        (Some(&PHP_FLOOD), Some(&3))
    );
    let subject = counts(&json(&stdout(
        &p.t,
        &["clusters", "--by", "subject", "--json"],
    )));
    assert_eq!(subject.get("Dispute Transaction #"), Some(&AUTH_FLOOD));
    assert_eq!(subject.get("Your parcel #"), Some(&PHP_FLOOD));
}

#[test]
fn sender_patterns_merge_forged_names_only() {
    let p = planted();
    let cs = json(&stdout(
        &p.t,
        &["clusters", "--by", "sender-pattern", "--json"],
    ));
    let c = counts(&cs);
    assert_eq!(
        c.get("<random>@philadefender.org"),
        Some(&AUTH_FLOOD),
        "{c:#?}"
    );
    assert_eq!(c.get("ann@gmail.com"), Some(&1));
    assert_eq!(c.get("bob@gmail.com"), Some(&2));
    assert_eq!(c.get("<>"), Some(&BOUNCES));
    let forged = cs
        .iter()
        .find(|c| c.messages == AUTH_FLOOD)
        .expect("pattern cluster");
    assert_eq!(
        forged.query,
        "cluster:sender-pattern=\"<random>@philadefender.org\""
    );
    assert!(
        forged
            .reasons
            .iter()
            .any(|r| r.starts_with("66 forged sender names in one pattern")),
        "{:#?}",
        forged.reasons
    );
    let text = stdout(&p.t, &["clusters", "--by", "sender-pattern"]);
    assert!(
        text.lines().any(|l| l.contains(
            "<random>@philadefender.org  cluster:sender-pattern=\"<random>@philadefender.org\""
        )),
        "{text}"
    );
}

#[test]
fn json_fields_times_and_nulls() {
    let p = planted();
    let cs = json(&stdout(&p.t, &["clusters", "--by", "auth-user", "--json"]));
    let flood = cs.iter().find(|c| c.messages == AUTH_FLOOD).expect("flood");
    assert_eq!(flood.value, Some(serde_json::json!("test@example.com")));
    assert_eq!(flood.first_queued, "2026-11-23T10:13:20Z");
    assert_eq!(
        flood.last_queued,
        qtriage::queue::date::rfc3339(START + 650)
    );
    assert_eq!(flood.query, "cluster:auth-user=test@example.com");
    // 1..=40 remote recipients for the first 40 messages, 1..=26 for the other 26.
    assert_eq!(flood.recipients, 820 + 351);
    assert!(
        (flood.per_minute - 66.0 / 60.0).abs() < 0.001,
        "{}",
        flood.per_minute
    );
    let none = cs
        .iter()
        .find(|c| c.value.is_none())
        .expect("(none) cluster");
    assert_eq!(none.query, "cluster:auth-user=(none)");
    assert!(cs.iter().map(|c| c.bytes).sum::<u64>() > 0);
    // The verdict of each ranked row; `(none)` is never ranked (issue 17).
    assert_eq!(flood.verdict.as_deref(), Some("culprit"));
    assert_eq!(none.verdict, None);
    let top = json(&stdout(&p.t, &["top", "--json"]));
    assert!(top.iter().all(
        |c| c.verdict.as_deref() == Some(qtriage::analysis::rank::Verdict::of(c.score).name())
    ));
}

#[test]
fn hostile_bytes_stay_exact_in_json_and_never_reach_a_terminal_raw() {
    let p = planted();
    let helo = json(&stdout(&p.t, &["clusters", "--by", "helo", "--json"]));
    assert!(helo
        .iter()
        .any(|c| c.value == Some(serde_json::json!("evil\x1b[2J\x1b]0;owned\x07"))));
    let Some(tty) = run_in_pty(&p.t, &["clusters", "--by", "helo"]) else {
        eprintln!("skipped: no `script` command for a pseudo-terminal");
        return;
    };
    assert!(!tty.contains('\x1b') && !tty.contains('\x07'), "{tty:?}");
    assert!(tty.contains("evil\\e[2J\\e]0;owned\\x07"), "{tty:?}");
    let subject = run_in_pty(&p.t, &["clusters", "--by", "subject"]).expect("pty");
    assert!(
        subject.contains("Pay \\e[*\\e[#m \\u{202e}gnp.exe"),
        "{subject:?}"
    );
    let top = run_in_pty(&p.t, &["top"]).expect("pty");
    assert!(
        !top.contains('\x1b') && !top.contains('\u{202e}'),
        "{top:?}"
    );
}

/// Run qtriage with stdout on a pseudo-terminal (util-linux `script`); `None` without it.
pub fn run_in_pty(t: &TestQueue, args: &[&str]) -> Option<String> {
    let mut cmd = format!(
        "{} --queue {}",
        env!("CARGO_BIN_EXE_qtriage"),
        t.root().display()
    );
    for a in args {
        cmd.push(' ');
        cmd.push_str(a);
    }
    let out = Command::new("script")
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env("QTRIAGE_NOW", NOW.to_string())
        .env_remove("QTRIAGE_QUEUE")
        .output()
        .ok()?;
    assert_exit(&out, 0);
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

#[test]
fn where_limit_and_bad_queries() {
    let p = planted();
    let cs = json(&stdout(
        &p.t,
        &[
            "clusters",
            "--by",
            "origin-ip",
            "--json",
            "--where",
            "origin:bounce",
        ],
    ));
    assert_eq!(cs.iter().map(|c| c.messages).sum::<usize>(), BOUNCES);
    let cs = json(&stdout(
        &p.t,
        &["clusters", "--by", "origin-ip", "--json", "--limit", "2"],
    ));
    assert_eq!(cs.len(), 2);
    assert_eq!(
        (cs[0].value.as_ref(), cs[0].messages),
        (None, PHP_FLOOD + 3 + BOUNCES + 2),
        "messages without an IP"
    );
    assert_eq!(cs[1].messages, 30);
    let out = run(
        &p.t,
        &["clusters", "--by", "origin-ip", "--where", "nosuchfield:x"],
    );
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad --where query") && err.contains("\n  nosuchfield:x\n  ^^^^^^^^^^^\n"),
        "{err}"
    );
    let out = run(
        &p.t,
        &["clusters", "--by", "origin-ip", "--where", "ip:10.9.9.9"],
    );
    assert_exit(&out, 1);
    assert!(out.stdout.is_empty() || String::from_utf8_lossy(&out.stdout).lines().count() == 1);
}

#[test]
fn table_is_aligned_and_uids_are_named_from_passwd() {
    let p = planted();
    let passwd = p.t.root().parent().expect("queue parent").join("passwd");
    std::fs::write(
        &passwd,
        "root:x:0:0::/root:/bin/sh\napache:x:48:48::/var/www:/sbin/nologin\n",
    )
    .expect("passwd");
    let text = stdout(
        &p.t,
        &[
            "clusters",
            "--by",
            "uid",
            "--passwd",
            passwd.to_str().expect("utf-8 path"),
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    let head: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        head,
        ["MESSAGES", "SHARE", "RCPTS", "BYTES", "PER-MIN", "SCORE", "VERDICT", "UID"]
    );
    let value_col = lines[0].find("UID").expect("value column");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.len() > value_col && l.as_bytes()[value_col - 1] == b' '),
        "{text}"
    );
    let row = lines
        .iter()
        .find(|l| l.contains("48 (apache)"))
        .expect("named uid");
    assert!(row.trim_start().starts_with("20"), "{row}");
    assert!(lines.iter().any(|l| l.ends_with("(none)")), "{text}");
}
