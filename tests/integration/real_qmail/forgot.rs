//! A yank killed mid-batch, then the real qmail-send started before `qtriage recover` (what a
//! reboot after the crash does): qmail-send preprocessed the messages the yank had not reached,
//! and recovery must not move their mess away from the envelope files it wrote (safety62: 2,850
//! messages split, 6,549 `unable to open message` deferrals, and `purge` would have deleted
//! their mess files for good).

use super::kit::RealQmail;
use super::{assert_clean, attempted, flood, ids, AUTH_SPAM, LOCAL, SMTP, WEB};

#[test]
fn recovering_after_qmail_send_ran_leaves_no_message_split() {
    let Some(q) = RealQmail::acquire("recovering_after_qmail_send_ran") else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    flood(&q);
    let all = ids(&q, "");
    assert_eq!(all.len(), AUTH_SPAM + WEB + LOCAL + SMTP);
    // Every message still in todo/ (mess, intd, todo): killed after the first one moved whole.
    let out = q
        .qtriage()
        .args(["yank", "id:*", "--apply"])
        .env("QTRIAGE_FAILPOINT", "yank:after-rename:3")
        .output()
        .expect("yank");
    assert!(out.status.code().is_none(), "aborted: {out:?}");
    let queued = ids(&q, "");
    assert_eq!(queued.len(), all.len() - 1, "one message moved whole");

    // The reboot: qmail-send preprocesses the rest (info, local, remote where todo was).
    let send = q.start_send(&logs.path().join("reboot.log"));
    send.wait_log("an attempt at every queued message", |l| {
        queued.iter().all(|id| attempted(l, *id))
    });
    drop(send);

    let out = q.run(&["recover"], 0);
    assert!(
        out.contains("changed since it was journaled (qmail-send ran"),
        "{out}"
    );
    // Nothing split: each message whole in the queue or in the yank area, as qmail sees it.
    let check = q.qtriage().arg("check").output().expect("check");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "check: {text}");
    q.assert_like_qmail("after recover");
    let send = q.start_send(&logs.path().join("after.log"));
    send.alarm();
    let left = ids(&q, "");
    send.wait_log("an attempt at every queued message", |l| {
        left.iter().all(|id| attempted(l, *id))
    });
    let log = send.stop();
    assert_clean(&log);
}
