//! Unit tests of `crate::analysis::plan`.
use super::*;

#[test]
fn terms_quote_what_the_query_language_would_read_otherwise() {
    assert_eq!(
        term("bounce-of", ClusterKey::AuthUser, Some("test")),
        "bounce-of:auth-user=test"
    );
    assert_eq!(
        term("cluster", ClusterKey::Subject, Some("Re: \"x\" *")),
        "cluster:subject=\"Re: \\\"x\\\" *\""
    );
    assert_eq!(
        term("cluster", ClusterKey::Helo, None),
        "cluster:helo=(none)"
    );
}

#[test]
fn the_strongest_reason_is_the_signal_with_most_points() {
    let c = Cluster {
        key: ClusterKey::AuthUser,
        value: None,
        members: vec![],
        messages: 0,
        recipients: 0,
        bytes: 0,
        first_queued: 0,
        last_queued: 0,
        per_minute: 0.0,
        score: 50.0,
        reasons: vec![
            "AUTH user test: 10 messages (1% of queue): likely a guessed password".into(),
            "logs: 10 messages".into(),
            "38% of the queue (+11.4)".into(),
            "one login used from 4 IPs in 4 networks (+25.0)".into(),
            "up to 39 remote recipients a message (+10.0)".into(),
        ],
    };
    assert_eq!(
        strongest_reason(&c),
        "likely a guessed password: one login used from 4 IPs in 4 networks (+25.0)"
    );
}
