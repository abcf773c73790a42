//! A culprit of the ranking made of bounces none of which quotes a culprit's message (an
//! autoresponder answering spam with null-sender replies) is named by `plan`, never taken
//! (mix62: `top` listed uid 89 a culprit, `plan` said `no culprit` and nothing of it).

use qtriage::fixture::MessageSpec;
use serde_json::Value;

use crate::util::{add_users, assert_exit, TestQueue};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
const NOW: &str = "1795460000";

/// alice's autoresponder (uid 89) answering 300 spam messages from forged senders, bob's
/// answering 12 partners; a guessed `test` login's 200 spam; 40 users.
fn queue() -> TestQueue {
    let t = TestQueue::new(23);
    t.control(&[("locals", "example.com\n"), ("rcpthosts", "example.com\n")]);
    let mut at = BORN;
    let mut born = || {
        at += 17;
        at
    };
    let reply = |from: &str, subject: String, to: String, at: i64| {
        MessageSpec::new()
            .born(at)
            .local_uid(89)
            .sender("")
            .from_header(from)
            .header("Auto-Submitted", "auto-replied")
            .subject(subject)
            .remote(to)
    };
    for n in 0..300 {
        t.add(reply(
            "\"Alice Smith\" <alice@example.com>",
            format!("Out of Office: Your invoice {n}"),
            format!("forged{n}@dom{}.example.net", n * 7 % 241),
            born(),
        ));
    }
    for n in 0..12 {
        t.add(reply(
            "\"Bob Jones\" <bob@example.com>",
            "Out of Office: meeting next week".into(),
            format!("partner{n}@customer{}.example.org", n % 5),
            born(),
        ));
    }
    for n in 0..200 {
        t.add(
            MessageSpec::new()
                .born(born())
                .received_from(&format!("82.128.{}.42", n % 9))
                .auth("test")
                .sender(format!("x{n}@spam{}.example", n % 31))
                .subject("cheap stuff")
                .remote(format!("victim{n}@mail{}.example.org", n % 17)),
        );
    }
    add_users(&t, 40, born);
    t
}

#[test]
fn plan_names_a_culprit_of_bounces_quoting_no_culprit_and_takes_none_of_it() {
    let t = queue();
    let out = t.run_at(NOW, &["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_slice(&out.stdout).expect("json");
    let named = plan["bounce_culprits"].as_array().expect("bounce_culprits");
    assert_eq!(named.len(), 1, "{plan}");
    assert_eq!(
        (&named[0]["by"], &named[0]["value"], &named[0]["verdict"]),
        (
            &Value::from("uid"),
            &Value::from("89"),
            &Value::from("culprit")
        ),
        "{plan}"
    );
    assert_eq!(named[0]["messages"], 312, "{plan}");
    // The plan takes the guessed login's spam and none of the replies.
    let query = plan["query"].as_str().expect("query");
    let taken = t.run_at(NOW, &["list", "--count", query]);
    assert_eq!(String::from_utf8_lossy(&taken.stdout).trim(), "200");
    let both = format!("({query}) and cluster:uid=89");
    let replies = t.run_at(NOW, &["list", "--count", &both]);
    assert_eq!(String::from_utf8_lossy(&replies.stdout).trim(), "0");
    let text = t.run_at(NOW, &["plan"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("culprit of bounces, not taken: uid 89 (312 messages, culprit "),
        "{text}"
    );
}
