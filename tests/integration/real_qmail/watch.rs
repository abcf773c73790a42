//! `qtriage watch` beside the real qmail-send delivering local mail at once: qmail-queue gives
//! each new message the inode the last delivery freed, so one id comes and goes several times
//! within a tick, and every message must still be counted in and out (watch51: 50 messages
//! through 4 ids were counted 8).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use super::kit::RealQmail;
use super::USER_UID;

/// Messages queued one after another, each delivered locally as the next is written.
const MESSAGES: usize = 30;

/// The in and out counts a `watch --json` line implies (its rates times the seconds they span).
fn counts(line: &str) -> (f64, f64, u64) {
    let j: serde_json::Value = serde_json::from_str(line).expect("a json line");
    let secs = j["watched_secs"]
        .as_f64()
        .expect("watched_secs")
        .clamp(1.0, 60.0);
    let rate = |k: &str| j[k].as_f64().expect("a rate") * secs / 60.0;
    let queue = j["queue"].as_u64().expect("queue");
    (rate("in_per_min"), rate("out_per_min"), queue)
}

#[test]
fn watch_counts_every_message_the_real_qmail_send_delivers_at_once() {
    let name = "watch_counts_every_message_the_real_qmail_send_delivers_at_once";
    let Some(q) = RealQmail::acquire(name) else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    let send = q.start_send(&logs.path().join("send.log"));
    let mut watch = q
        .qtriage()
        // Whole seconds: a line's `watched_secs` is then the span its rates were divided by.
        .args(["watch", "--json", "--interval", "1s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    // Its first line: the queue is scanned and watched.
    let first = lines.next().expect("a line").expect("read");
    assert_eq!(counts(&first).2, 0, "{first}");
    for i in 0..MESSAGES {
        let msg = format!("To: postmaster@example.com\nSubject: local {i}\n\nhi\n");
        q.feed("qmail-inject", USER_UID, &[], &[], msg.as_bytes());
    }
    let log = send.wait_log("every delivery", |l| {
        l.matches("end msg").count() >= MESSAGES
    });
    let ids: std::collections::BTreeSet<&str> = log
        .lines()
        .filter_map(|l| l.split("new msg ").nth(1))
        .collect();
    // A few more lines for the last tick to be counted.
    let mut best = (0.0, 0.0, u64::MAX);
    for _ in 0..4 {
        let line = lines.next().expect("a line").expect("read");
        let c = counts(&line);
        if c.0 >= best.0 {
            best = c;
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
    drop(send.stop());
    let (seen_in, seen_out, queue) = best;
    println!(
        "real_qmail: {MESSAGES} messages through {} ids: in {seen_in:.1}, out {seen_out:.1}",
        ids.len()
    );
    // The rates are rounded to a tenth a minute and the seconds to whole ones: within a tenth.
    let near = |n: f64| (n - MESSAGES as f64).abs() <= MESSAGES as f64 / 10.0;
    assert!(
        near(seen_in) && near(seen_out),
        "in {seen_in}, out {seen_out} of {MESSAGES}"
    );
    assert_eq!(queue, 0, "every message was delivered");
}
