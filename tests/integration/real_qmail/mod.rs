//! qtriage against a real qmail (notqmail 1.08 from `../shared/real-qmail/`): its programs queue,
//! count, list and deliver, and qmail-send's log judges every queue qtriage changed.
//!
//! How it runs: the kit is built once per test run (`build.sh`, about half a minute) into
//! `$TMPDIR/qtriage-real-qmail-<pid>/qmail` (removed by the next run once this one has ended).
//! qmail compiles that path and its users' uids into its binaries, so every test shares the one
//! build: the tests take turns on a mutex and each starts with an empty queue and Maildir
//! (kit.rs). qmail-send is started and stopped by its pid only, and a Drop guard stops it also
//! when a test fails; the log is polled with a deadline. Where the kit, root, cc or make is
//! missing (a developer's laptop), each test prints one line saying why it did not run and
//! passes; CI runs as root with `../shared` beside the checkout (README.md, "Run the tests").

mod expire;
mod forgot;
mod kit;
mod mixes;
mod stat;
mod supervised;
mod watch;

use std::collections::BTreeSet;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use kit::{envelope_bytes, ids_of, RealQmail};

/// Spam sent by the guessed account `test` through an AUTH-patched qmail-smtpd.
const AUTH_SPAM: usize = 12;
/// Mail from a PHP script, `sendmail -t -i` as the web server's uid.
const WEB: usize = 4;
/// Local users' mail through qmail-inject.
const LOCAL: usize = 3;
/// Plain SMTP through the real qmail-smtpd.
const SMTP: usize = 2;

/// The web server's uid and gid (Red Hat's apache).
const WEB_UID: (u32, u32) = (48, 48);
/// A local user.
pub(crate) const USER_UID: (u32, u32) = (1000, 1000);

/// A small flood through every door qmail has: qmail-queue as qmaild with an AUTH-patched
/// smtpd's Received line ("invoked from network"), sendmail -t -i as uid 48, qmail-inject,
/// and the real qmail-smtpd with TCPREMOTEIP. Every third spam also goes to a local address.
fn flood(q: &RealQmail) {
    let qmaild = ids_of("qmaild");
    for i in 0..AUTH_SPAM {
        let ip = format!("82.128.32.{}", i % 4 + 1);
        let msg = format!(
            "Received: from unknown (HELO spam{i}.example) (test@{ip})\n  by mail.example.com \
             with ESMTPA; 1 Dec 2026 21:55:14 -0000\nFrom: x{i}@spam.example\nTo: \
             victim{i}@remote.example\nSubject: cheap stuff {i}\n\nbuy now\n"
        );
        let victim = format!("victim{i}@remote.example");
        let mut to = vec![victim.as_str()];
        if i % 3 == 0 {
            to.push("postmaster@example.com");
        }
        q.queue_as(
            qmaild.0,
            qmaild.1,
            msg.as_bytes(),
            &format!("x{i}@spam.example"),
            &to,
        );
    }
    for i in 0..WEB {
        let msg = format!("To: w{i}@remote.example\nSubject: newsletter {i}\n\nhello\n");
        q.feed("sendmail", WEB_UID, &["-t", "-i"], &[], msg.as_bytes());
    }
    for i in 0..LOCAL {
        let msg = format!("To: postmaster@example.com\nSubject: local {i}\n\nhi\n");
        q.feed("qmail-inject", USER_UID, &[], &[], msg.as_bytes());
    }
    for i in 0..SMTP {
        let session = format!(
            "HELO client{i}.example\r\nMAIL FROM:<c{i}@client.example>\r\nRCPT \
             TO:<postmaster@example.com>\r\nDATA\r\nSubject: smtp {i}\r\n\r\nhello\r\n.\r\nQUIT\r\n"
        );
        let ip = format!("203.0.113.{}", i + 1);
        let env = [
            ("TCPREMOTEIP", ip.as_str()),
            ("TCPLOCALHOST", "mail.example.com"),
        ];
        let out = q.feed("qmail-smtpd", qmaild, &[], &env, session.as_bytes());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("250 ok "), "smtpd accepted: {text}");
    }
}

/// The ids `qtriage list QUERY` selects.
fn ids(q: &RealQmail, query: &str) -> BTreeSet<u64> {
    let out = q
        .qtriage()
        .args(["list", query, "--json"])
        .output()
        .expect("list");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["id"].as_u64().expect("id")
        })
        .collect()
}

/// Does qmail-send's log name message `id` (`msg ID` as a whole word)?
fn mentions(log: &str, id: u64) -> bool {
    let word = format!("msg {id}");
    log.match_indices(&word).any(|(at, _)| {
        log[at + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_ascii_digit())
    })
}

/// Was a delivery of `id` started (`starting delivery N: msg ID to ...`)?
fn attempted(log: &str, id: u64) -> bool {
    log.lines()
        .any(|l| l.starts_with("starting delivery ") && mentions(l, id))
}

/// The log shows no damage: qmail-send says `trouble`, `warning` or `unable` when a queue is
/// not sound (a todo without its mess, a missing info, ...), and `alert:` when it cannot go on.
#[track_caller]
fn assert_clean(log: &str) {
    for l in log.lines() {
        let bad = ["trouble", "warning", "unable", "alert:"];
        assert!(
            !bad.iter().any(|w| l.contains(w)),
            "qmail-send complained: {l}\n{log}"
        );
    }
}

/// The messages in the Maildir whose text contains `needle`.
fn delivered(q: &RealQmail, needle: &str) -> usize {
    let Ok(rd) = std::fs::read_dir(q.kit.maildir.join("new")) else {
        return 0;
    };
    rd.flatten()
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains(needle)))
        .count()
}

fn batch_of(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split(" in batch ").nth(1))
        .expect("batch id")
        .to_string()
}

#[test]
fn flood_yank_restore_expire_with_real_qmail() {
    let Some(q) = RealQmail::acquire("flood_yank_restore_expire_with_real_qmail") else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    flood(&q);
    let all = ids(&q, "");
    assert_eq!(all.len(), AUTH_SPAM + WEB + LOCAL + SMTP);
    let spam = ids(&q, "auth:test");
    assert_eq!(spam.len(), AUTH_SPAM, "AUTH user from the Received line");
    assert_eq!(ids(&q, "uid:48").len(), WEB);
    assert_eq!(
        ids(&q, "ip:203.0.113.0/24").len(),
        SMTP,
        "qmail-smtpd's line"
    );
    q.assert_like_qmail("todo-only");

    // Yank the spam while qmail-send is stopped; the rest must go on as if nothing happened.
    let out = q.run(&["yank", "auth:test", "--apply"], 0);
    assert!(
        out.starts_with(&format!("yanked {AUTH_SPAM} messages")),
        "{out}"
    );
    let batch = batch_of(&out);
    q.assert_like_qmail("after yank");
    let rest: BTreeSet<u64> = all.difference(&spam).copied().collect();
    let send = q.start_send(&logs.path().join("after-yank.log"));
    send.alarm();
    send.wait_log("a delivery of every remaining message", |l| {
        rest.iter().all(|id| attempted(l, *id))
            && delivered(&q, "Subject: local") == LOCAL
            && delivered(&q, "Subject: smtp") == SMTP
    });
    let log = send.stop();
    assert_clean(&log);
    for id in &spam {
        assert!(!mentions(&log, *id), "yanked #{id} was seen:\n{log}");
    }
    q.assert_like_qmail("preprocessed");

    // Restore: the same messages come back and are delivered (local ones into the Maildir).
    let out = q.run(&["restore", "--batch", &batch, "--apply"], 0);
    assert!(
        out.starts_with(&format!("restored {AUTH_SPAM} messages")),
        "{out}"
    );
    q.assert_like_qmail("after restore");
    let send = q.start_send(&logs.path().join("after-restore.log"));
    send.alarm();
    let local_spam = AUTH_SPAM.div_ceil(3);
    send.wait_log("a delivery of every restored message", |l| {
        spam.iter().all(|id| attempted(l, *id))
            && delivered(&q, "Subject: cheap stuff") == local_spam
    });
    let log = send.stop();
    assert_clean(&log);
    q.assert_like_qmail("restored and preprocessed");

    // Expire the web mail: qmail-send bounces it at the next attempt, as documented.
    let web = ids(&q, "uid:48");
    q.run(&["expire", "uid:48", "--apply"], 0);
    q.assert_like_qmail("after expire");
    let send = q.start_send(&logs.path().join("after-expire.log"));
    send.alarm();
    let log = send.wait_log("a bounce of every expired message", |l| {
        web.iter().all(|id| {
            l.lines()
                .any(|x| x.starts_with("bounce ") && mentions(x, *id))
        })
    });
    drop(send);
    assert_clean(&log);
}

#[test]
fn refusal_while_the_real_qmail_send_runs() {
    let Some(q) = RealQmail::acquire("refusal_while_the_real_qmail_send_runs") else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    flood(&q);
    let all = ids(&q, "");
    let send = q.start_send(&logs.path().join("send.log"));
    // Let it preprocess and try everything once: then it waits for its retry schedule.
    send.wait_log("an attempt at every message", |l| {
        all.iter().all(|id| attempted(l, *id))
    });
    let before = q.settled();
    let stat = q.run(&["stat"], 0);
    for cmd in [
        &["yank", "auth:test", "--apply"][..],
        &["expire", "uid:48", "--apply"],
        &["remove", "-p", "cheap", "-r"],
    ] {
        let out = q.qtriage().args(cmd).output().expect("qtriage");
        crate::util::assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        let holder = format!("by pid {} (qmail-send)", send.pid());
        assert!(
            err.contains("qmail-send is running") && err.contains(&holder),
            "{cmd:?}: {err}"
        );
    }
    assert!(
        !q.queue().join("yanked").exists(),
        "a refusal created the yank area"
    );
    assert_eq!(
        crate::tree::walk(&q.queue(), &q.queue().join("yanked"), true),
        before
    );
    assert_eq!(q.run(&["stat"], 0), stat);
    let log = send.stop();
    assert_clean(&log);
}

/// qmail-smtpd keeps accepting while qmail-send is stopped: a message qmail-queue is still
/// writing (its stdin fed in two halves) is left in place by a yank, finishes, and is delivered.
#[test]
fn a_message_being_queued_during_a_yank_is_left_whole() {
    let Some(q) = RealQmail::acquire("a_message_being_queued_during_a_yank_is_left_whole") else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    flood(&q);
    let before = ids(&q, "");
    let qmaild = ids_of("qmaild");
    let (envelope_in, mut envelope) = crate::util::pipe();
    let mut writing = Command::new(q.bin("qmail-queue"))
        .uid(qmaild.0)
        .gid(qmaild.1)
        .stdin(Stdio::piped())
        .stdout(envelope_in)
        .spawn()
        .expect("qmail-queue");
    let mut stdin = writing.stdin.take().expect("stdin");
    let first = "Received: from unknown (HELO h) (test@82.128.32.9)\n  by mail.example.com with \
                 ESMTPA; 1 Dec 2026 21:55:14 -0000\nSubject: half";
    stdin.write_all(first.as_bytes()).expect("first half");
    // qmail-queue links its mess file before it reads the message: wait for it.
    let half = crate::util::poll(|| {
        let now: BTreeSet<u64> = ids(&q, "");
        now.difference(&before).next().copied()
    })
    .expect("qmail-queue made no mess file");
    // Selected by the operator's query whatever it holds yet: its state is orphan-mess.
    let query = "auth:test or state:orphan-mess";
    let out = q
        .qtriage()
        .args(["yank", query, "--apply"])
        .output()
        .expect("yank");
    crate::util::assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("refused #{half}: queueing not finished")),
        "{text}"
    );
    assert!(
        text.contains(&format!("yanked {AUTH_SPAM} messages")),
        "{text}"
    );

    stdin
        .write_all(b" and the rest\n\nbody\n")
        .expect("second half");
    drop(stdin);
    envelope
        .write_all(&envelope_bytes(
            "h@spam.example",
            &["postmaster@example.com"],
        ))
        .expect("envelope");
    drop(envelope);
    assert!(
        writing.wait().expect("wait").success(),
        "qmail-queue accepted it"
    );
    q.assert_like_qmail("after the half-written message was finished");
    let send = q.start_send(&logs.path().join("send.log"));
    send.alarm();
    send.wait_log("the delivery of the half-written message", |_| {
        delivered(&q, "Subject: half and the rest") == 1
    });
    let log = send.stop();
    assert_clean(&log);
    assert!(mentions(&log, half), "{log}");
}
