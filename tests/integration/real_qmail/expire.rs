//! Undoing an expire after the real qmail-send bounced the messages: new mail that got their ids
//! (qmail's ids are inode numbers, reused once a message is deleted) must not be re-timed.
//!
//! Whether the filesystem hands an expired id to new mail is up to it (ext4 often does, tmpfs
//! never): the test checks what happened and prints how many ids were reused; the reuse itself
//! is forced with fixture queues in tests/integration/expire.rs.

use std::collections::BTreeSet;

use super::kit::RealQmail;
use super::{assert_clean, attempted, ids, mentions, WEB_UID};

/// How many messages are expired, and how many new ones follow.
const N: usize = 8;

fn web(q: &RealQmail, subject: &str) {
    for i in 0..N {
        let msg = format!("To: w{i}@remote.example\nSubject: {subject} {i}\n\nhello\n");
        q.feed("sendmail", WEB_UID, &["-t", "-i"], &[], msg.as_bytes());
    }
}

fn bounced(log: &str, id: u64) -> bool {
    log.lines()
        .any(|l| l.starts_with("bounce ") && mentions(l, id))
}

#[test]
fn undoing_an_expire_never_bounces_new_mail_that_reused_the_ids() {
    let Some(q) = RealQmail::acquire("undoing_an_expire_never_bounces_new_mail") else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    web(&q, "old");
    let old = ids(&q, "subject:old*");
    assert_eq!(old.len(), N);
    // Preprocessed and deferred once, as mail stuck in a real queue is.
    let send = q.start_send(&logs.path().join("first.log"));
    send.wait_log("an attempt at every message", |l| {
        old.iter().all(|id| attempted(l, *id))
    });
    drop(send);

    let out = q.run(&["expire", "subject:old*", "--apply"], 0);
    let batch = super::batch_of(&out);
    let send = q.start_send(&logs.path().join("expired.log"));
    send.alarm();
    // qmail-send bounces them (to the local sender, whose bounce goes to the postmaster) and
    // deletes them.
    send.wait_log("the end of every expired message", |l| {
        old.iter()
            .all(|id| bounced(l, *id) && l.contains(&format!("end msg {id}\n")))
    });
    q.settled();
    let log = send.stop();
    assert_clean(&log);
    let gone = ids(&q, "subject:old*");
    assert!(gone.is_empty(), "qmail-send deleted them: {gone:?}");

    // New mail; some of it may get an old id back (ext4 reuses freed inodes).
    let before: BTreeSet<u64> = ids(&q, "");
    web(&q, "new");
    let new: BTreeSet<u64> = ids(&q, "").difference(&before).copied().collect();
    assert_eq!(new.len(), N);
    let reused = new.intersection(&old).count();
    println!("real_qmail: {reused} of {N} new messages reuse an expired id");

    let out = q
        .qtriage()
        .args(["restore", "--batch", &batch, "--apply"])
        .output()
        .expect("restore");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_ne!(
        out.status.code(),
        Some(0),
        "nothing of the expire can be undone: {text}"
    );
    assert_ne!(out.status.code(), Some(2), "{out:?}");
    assert!(!text.contains("restored "), "{text}");
    for id in new.intersection(&old) {
        assert!(
            text.contains(&format!("#{id}: the id now names another message")),
            "#{id} reused an expired id: {text}"
        );
    }
    q.assert_like_qmail("after the undo of the expire");

    let send = q.start_send(&logs.path().join("new.log"));
    send.alarm();
    // A new message re-timed to the expired birth time would be bounced instead of tried.
    let log = send.wait_log("an attempt at (or a bounce of) every new message", |l| {
        new.iter().all(|id| attempted(l, *id) || bounced(l, *id))
    });
    drop(send);
    assert_clean(&log);
    for id in &new {
        assert!(!bounced(&log, *id), "new message #{id} was bounced:\n{log}");
    }
}
