//! Whether this server's AUTH patch marks logins (`ESMTPA`) is judged on the queue and the yank
//! area together, not on the batch being read: a yanked batch of relayed mail, correlated alone,
//! was pinned on another session's login again (review50b), and the report lost "close the
//! relay" for it.

use qtriage::fixture::MessageSpec;
use qtriage::logs::fixture::{chkuser_relaying_line, FixtureLine, MultilogDir};
use serde_json::Value;

use crate::log_top::{qtriage, NOW};
use crate::util::{assert_exit, TestQueue};

const IP: &str = "86.107.221.138";

#[test]
fn a_yanked_relay_is_judged_with_the_queue_that_marks_logins() {
    let t = TestQueue::new(23);
    let born = NOW - 300;
    // The queue marks logins: a login's message says ESMTPA (its header names the user).
    for n in 0..3 {
        t.add(
            MessageSpec::new()
                .born(born - 60 + n)
                .received_from("198.51.100.20")
                .auth("bob@example.com")
                .sender("bob@example.com")
                .remote(format!("x{n}@example.net")),
        );
    }
    // The relay: plain SMTP from an IP whose other sessions log in as `test`.
    for n in 0..30 {
        t.add(
            MessageSpec::new()
                .born(born + n)
                .received_from(IP)
                .helo("User")
                .sender("support@paypal.example")
                .remote(format!("victim{n}@msn.example"))
                .subject("Dispute Transaction"),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let smtpd = MultilogDir::create(dir.path().join("smtpd")).expect("smtpd");
    let other = chkuser_relaying_line("kbradford@philadefender.org", "test", "User", IP, "a@b.c");
    smtpd
        .current(&[FixtureLine::new(born + 1, other)])
        .expect("current");
    let log = smtpd.path();
    let users = |args: &[&str]| {
        let out = qtriage(&t, &[log], args);
        assert_exit(&out, 0);
        let r: Value = serde_json::from_slice(&out.stdout).expect("report json");
        let culprits = r["culprits"].as_array().expect("culprits").clone();
        (culprits.iter())
            .map(|c| format!("{} {}", c["kind"].as_str().unwrap_or(""), c["value"]))
            .collect::<Vec<_>>()
    };
    let before = users(&["report", "--format", "json"]);
    assert!(
        before.iter().any(|c| c.starts_with("origin-ip")),
        "{before:?}"
    );
    assert!(!before.iter().any(|c| c.contains("test")), "{before:?}");
    let yank = qtriage(&t, &[log], &["yank", &format!("ip:{IP}"), "--apply"]);
    assert_exit(&yank, 0);
    let after = users(&["report", "--format", "json"]);
    assert!(
        after.iter().any(|c| c.starts_with("origin-ip")),
        "{after:?}"
    );
    assert!(!after.iter().any(|c| c.contains("test")), "{after:?}");
}
