//! Log evidence end to end: multilog/syslog/gzip fixtures, `logins`, `decode-auth`, and the
//! attribution of IP-only messages to the AUTH user the smtpd log names (issue 11).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use jiff::tz::TimeZone;
use qtriage::fixture::MessageSpec;
use qtriage::logs::fixture::{
    chkuser_relaying_line, qmail_send_lines, tcpserver_lines, write_syslog, write_syslog_gz,
    FixtureLine, MultilogDir,
};
use qtriage::logs::{attribute, AttributionSource, LogEvidence};
use qtriage::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions};

use crate::util::{assert_exit, TestQueue};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
const SECRET: &str = "Pa55-never-shown";

fn qtriage(args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    cmd.args(args)
        .env_remove("QTRIAGE_LOGS")
        .env_remove("QTRIAGE_QUEUE")
        .env("TZ", "UTC");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn qtriage");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or_default()).expect("stdin");
    }
    child.wait_with_output().expect("qtriage output")
}

/// A POP3 harvesting run in syslog (rotated .gz + live file), ending in a guessed password.
fn harvest_logs(dir: &Path) {
    let tz = TimeZone::UTC;
    let ip = "82.128.32.42";
    let mut old = Vec::new();
    for (i, user) in ["sales", "info", "admin", "office", "webmaster"]
        .iter()
        .enumerate()
    {
        old.push(FixtureLine::new(
            BORN - 3600 + i as i64 * 30,
            format!(
                "vchkpw-pop3[{}]: vpopmail user not found {user}@example.com:{ip}",
                100 + i
            ),
        ));
    }
    write_syslog_gz(&dir.join("maillog.1.gz"), &old, &tz).expect("gz");
    let live = vec![
        FixtureLine::new(BORN - 3000, format!("vchkpw-pop3[200]: password fail (pass: '{SECRET}') test@example.com:{ip}")),
        FixtureLine::new(BORN - 2990, format!("vchkpw-pop3[201]: password fail (pass: '{SECRET}2') test@example.com:{ip}")),
        FixtureLine::new(BORN - 2980, format!("dovecot: pop3-login: Disconnected (auth failed, 2 attempts in 9 secs): user=<test@example.com>, method=PLAIN, rip={ip}, lip=10.0.0.1")),
        FixtureLine::new(BORN - 2970, format!("vchkpw-pop3[203]: (PLAIN) login success test@example.com:{ip}")),
        FixtureLine::new(BORN - 100, "courierpop3login: LOGIN, user=alice@example.com, ip=[::ffff:198.51.100.7], port=[5123]"),
        FixtureLine::new(BORN - 50, "kernel: something unrelated"),
    ];
    write_syslog(&dir.join("maillog"), &live, &tz).expect("syslog");
}

#[test]
fn logins_finds_harvesting_and_the_guessed_account_without_showing_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    harvest_logs(dir.path());
    let gz = dir.path().join("maillog.1.gz");
    let live = dir.path().join("maillog");
    let out = qtriage(
        &[
            "logins",
            "--log",
            gz.to_str().expect("path"),
            "--log",
            live.to_str().expect("path"),
        ],
        &[],
        None,
    );
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains(SECRET), "{text}");
    let test_row = text
        .lines()
        .find(|l| l.starts_with("test@example.com"))
        .expect("test row");
    assert!(
        test_row.contains("guessed") && test_row.contains("2026-11-23T09:10:30Z"),
        "{test_row}"
    );
    let ip_row = text
        .lines()
        .find(|l| l.starts_with("82.128.32.42"))
        .expect("ip row");
    assert!(
        ip_row.contains("harvesting") && ip_row.contains("logged into: test@example.com"),
        "{ip_row}"
    );
    assert!(
        text.contains("read 2 files: 11 lines, 10 recognized, 1 unknown"),
        "{text}"
    );
}

#[test]
fn logins_json_through_qtriage_logs_env() {
    let dir = tempfile::tempdir().expect("tempdir");
    harvest_logs(dir.path());
    // A failure line past the reader's 8 KiB: cut, counted, and no login of its own (it was a
    // login of 9,000 ESC bytes, with no IP).
    let long = format!(
        "vchkpw-pop3[204]: password fail (pass: 'x') {}@evil.example:10.9.9.5",
        "\x1b".repeat(9000)
    );
    let long_log = dir.path().join("maillog.long");
    write_syslog(
        &long_log,
        &[FixtureLine::new(BORN - 10, long)],
        &TimeZone::UTC,
    )
    .expect("log");
    // A last line still being written (no newline yet): not read, counted (review52: it made
    // an account `postmaster@exa` with a success from no IP).
    let partial_log = dir.path().join("maillog.partial");
    write_syslog(
        &partial_log,
        &[FixtureLine::new(
            BORN - 5,
            "vchkpw-pop3[205]: (PLAIN) login success postmaster@exa",
        )],
        &TimeZone::UTC,
    )
    .expect("log");
    let mut bytes = std::fs::read(&partial_log).expect("read");
    assert_eq!(bytes.pop(), Some(b'\n'));
    std::fs::write(&partial_log, bytes).expect("write");
    let env = format!(
        "{}:{}:{}:{}:",
        dir.path().join("maillog.1.gz").display(),
        dir.path().join("maillog").display(),
        long_log.display(),
        partial_log.display()
    );
    let out = qtriage(&["logins", "--json"], &[("QTRIAGE_LOGS", &env)], None);
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains(SECRET));
    let objs: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let test = objs
        .iter()
        .find(|o| o["type"] == "account" && o["account"] == "test@example.com")
        .expect("account");
    assert_eq!(test["failures"], 4);
    assert_eq!(test["is_guessed"], true);
    assert_eq!(test["first_success_at"], "2026-11-23T09:10:30Z");
    assert_eq!(test["services"], serde_json::json!(["pop3"]));
    let ip = objs
        .iter()
        .find(|o| o["type"] == "ip" && o["ip"] == "82.128.32.42")
        .expect("ip");
    assert_eq!(
        (ip["is_harvesting"].as_bool(), ip["burst_accounts"].as_u64()),
        (Some(true), Some(6))
    );
    let sources: Vec<_> = objs.iter().filter(|o| o["type"] == "source").collect();
    assert_eq!(sources.len(), 4);
    assert_eq!(sources[2]["cut"], 1, "{:?}", sources[2]);
    assert_eq!(
        (
            sources[3]["lines"].as_u64(),
            sources[3]["unfinished"].as_u64()
        ),
        (Some(1), Some(1)),
        "{:?}",
        sources[3]
    );
    assert!(!text.contains("postmaster@exa"), "{text}");
    assert!(
        !text.contains("evil.example") && !text.contains("10.9.9.5"),
        "{text}"
    );
}

#[test]
fn logins_without_logs_is_an_error_and_without_login_lines_no_match() {
    let out = qtriage(&["logins"], &[], None);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--log"));
    let dir = tempfile::tempdir().expect("tempdir");
    let m = MultilogDir::create(dir.path().join("send")).expect("dir");
    m.current(&[FixtureLine::new(BORN, "new msg 5")])
        .expect("current");
    assert_exit(
        &qtriage(
            &["logins", "--log", m.path().to_str().expect("path")],
            &[],
            None,
        ),
        1,
    );
    let missing = dir.path().join("nope");
    let out = qtriage(
        &["logins", "--log", missing.to_str().expect("path")],
        &[],
        None,
    );
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope"));
}

/// The acceptance case: headers carry only the IP; the smtpd multilog (rotated file +
/// current, real TAI64N stamps, tcpserver lines interleaved, a cut last line, a hostile HELO)
/// names `test`.
#[test]
fn ip_only_messages_get_the_auth_user_from_the_smtpd_log() {
    let t = TestQueue::new(23);
    let ip = "82.128.32.42";
    let ids: Vec<_> = (0..3)
        .map(|n| {
            t.add(
                MessageSpec::new()
                    .born(BORN + n)
                    .pid(7000 + n as u32)
                    .received_from(ip)
                    .helo("User")
                    .sender("kbradford@philadefender.org")
                    .remote(format!("victim{n}@msn.com")),
            )
        })
        .collect();
    let other = t.add(
        MessageSpec::new()
            .born(BORN)
            .received_from("192.0.2.50")
            .sender("legit@example.com")
            .remote("x@example.org"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let smtpd = MultilogDir::create(dir.path().join("smtpd")).expect("smtpd");
    let [pid, ok, end] = tcpserver_lines(5941, ip);
    smtpd
        .rotated(&[
            FixtureLine::new(BORN - 86_400, "tcpserver: status: 1/20"),
            FixtureLine::new(BORN - 20, &pid),
            FixtureLine::new(BORN - 20, &ok),
        ])
        .expect("rotated");
    let mut lines = vec![FixtureLine::new(
        BORN - 19,
        "tcpserver: pid 5942 from 203.0.113.1",
    )];
    for n in 0..3 {
        lines.push(FixtureLine::new(
            BORN - 10 + n,
            chkuser_relaying_line(
                "kbradford@philadefender.org",
                "test",
                "User\u{1b}[2J",
                ip,
                &format!("victim{n}@msn.com"),
            ),
        ));
        lines.push(FixtureLine::new(BORN - 10 + n, "CHKUSER accepted sender: from <x@y::> remote <evil\u{1b}]0;t\u{7}:unknown:203.0.113.1> rcpt <> : sender accepted"));
    }
    lines.push(FixtureLine::new(BORN + 5, &end));
    smtpd.current(&lines).expect("current");
    smtpd
        .append_raw(b"@4000000069000000000000 CHKUSER relaying rcpt: from <kbrad")
        .expect("cut line");
    let send = MultilogDir::create(dir.path().join("send")).expect("send");
    let send_lines: Vec<FixtureLine> = ids
        .iter()
        .zip(0..)
        .flat_map(|(id, n)| {
            qmail_send_lines(id.0, 7000 + n, "kbradford@philadefender.org", "v")
                .map(|l| FixtureLine::new(BORN + i64::from(n), l))
        })
        .collect();
    send.current(&send_lines).expect("send current");

    let evidence = LogEvidence::load_in(
        &[smtpd.path().to_path_buf(), send.path().to_path_buf()],
        &TimeZone::UTC,
    )
    .expect("logs");
    assert_eq!(
        evidence.files.len(),
        3,
        "rotated file, current, send current"
    );
    assert!(evidence.files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with("@4000") && n.ends_with(".s")));
    let smtpd_current = &evidence.reports[1];
    // The cut last line, still being written, is unfinished: not read at all.
    assert_eq!(
        (
            smtpd_current.lines,
            smtpd_current.untimed,
            smtpd_current.unfinished
        ),
        (9, 0, 1),
        "{smtpd_current:?}"
    );
    assert_eq!(
        evidence.reports[0].unknown, 1,
        "tcpserver status line is not a known format"
    );

    let queue = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    let strings = Interner::new();
    let records = scan(
        &queue,
        &strings,
        ScanOptions {
            headers: true,
            envelopes: true,
        },
        &Progress::default(),
    )
    .expect("scan")
    .records;
    assert!(
        records.iter().all(|r| r.origin.auth_user.is_none()),
        "headers carry only the IP"
    );
    let found = attribute(&records, &strings, &evidence);
    for id in &ids {
        let a = found.get(id).expect("attributed");
        assert_eq!(
            (a.auth_user.as_str(), a.source, a.ip.map(|i| i.to_string())),
            ("test", AttributionSource::Chkuser, Some(ip.to_string()))
        );
        assert!(
            a.evidence
                .starts_with("from log: CHKUSER line at 2026-11-23T09:59:5"),
            "{}",
            a.evidence
        );
        assert!(
            a.evidence.contains("smtpd/current:") && a.evidence.contains("qmail-send info line"),
            "{}",
            a.evidence
        );
        assert!(!a.evidence.contains('\u{1b}'));
    }
    assert!(
        !found.contains_key(&other),
        "a client the log never names stays unattributed"
    );
}

#[test]
fn syslog_year_rolls_over_from_december_to_january() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mail.log");
    // 2026-12-31 23:59:59 and 2027-01-01 00:00:30 UTC; the file's mtime is the last line's.
    write_syslog(
        &path,
        &[
            FixtureLine::new(1_798_761_599, "qmail: 1798761599.1 new msg 1"),
            FixtureLine::new(1_798_761_630, "qmail: 1798761630.1 end msg 1"),
        ],
        &TimeZone::UTC,
    )
    .expect("syslog");
    let ev = LogEvidence::load_in(&[path], &TimeZone::UTC).expect("logs");
    let times: Vec<i64> = ev.entries.iter().map(|e| e.time).collect();
    assert_eq!(times, vec![1_798_761_599, 1_798_761_630]);
}

#[test]
fn decode_auth_from_stdin_and_file_masks_passwords() {
    let seed = b"AUTH LOGIN 334 VXNlcm5hbWU6 dGVzdA== 334 UGFzc3dvcmQ6 dGVzdA==' 235 2.0.0 OK Authenticated";
    let out = qtriage(&["decode-auth"], &[], Some(seed));
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "line 1: AUTH LOGIN user=test password=**** reply=235 (success)\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("capture.txt");
    std::fs::write(&file, "<<< AUTH LOGIN\n>>> 334 VXNlcm5hbWU6\n<<< dGVzdA==\n>>> 334 UGFzc3dvcmQ6\n<<< cGFzcw==\n>>> 535 5.7.8 no\n").expect("write");
    let out = qtriage(
        &[
            "decode-auth",
            "--show-passwords",
            file.to_str().expect("path"),
        ],
        &[],
        None,
    );
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "line 1: AUTH LOGIN user=test password=pass reply=535 (failure)\n"
    );
    let none = qtriage(&["decode-auth"], &[], Some(b"EHLO x\n250 ok\n"));
    assert_exit(&none, 1);
    assert!(none.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&none.stderr),
        "qtriage: no AUTH LOGIN or AUTH PLAIN exchange in stdin (14 bytes read)\n"
    );
}
