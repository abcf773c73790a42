//! Unit tests of `crate::analysis::evidence`.
use super::*;
use crate::analysis::context::AnalysisContext;
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::{analyse_with_logs, AnalysisInput, Want};
use crate::fixture::record::{record, with_recipients};
use crate::logs::event::{Daemon, LogEntry, LoginEvent, Service};
use crate::logs::AttributionSource;
use crate::queue::Channel;
use std::sync::Arc;

const T0: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC

fn rec(id: u64, s: &Interner, ip: &str, auth: Option<&str>) -> MessageRecord {
    let mut r = record(id);
    r.set_queued(T0 + id as i64);
    r.size = 100;
    r.sender = Some(s.intern(b"kbradford@philadefender.org"));
    with_recipients(&mut r, s, Channel::Remote, &[format!("victim{id}@msn.com")]);
    r.origin.kind = if auth.is_some() {
        OriginKind::SmtpAuth
    } else {
        OriginKind::Smtp
    };
    r.origin.ip = Some(s.intern(ip.as_bytes()));
    r.origin.auth_user = auth.map(|a| s.intern(a.as_bytes()));
    r
}

fn found(user: &str, time: i64, line: u32) -> LogAttribution {
    LogAttribution {
        auth_user: user.into(),
        evidence: format!(
            "from log: CHKUSER line at {} (/log/smtpd/current:{line})",
            clock(time)
        ),
        ip: "82.128.32.42".parse().ok(),
        source: AttributionSource::Chkuser,
        time,
        at: LogRef { file: 0, line },
        file: "/log/smtpd/current".into(),
    }
}

fn login(time: i64, user: &str, ip: &str, outcome: LoginOutcome) -> LogEntry {
    LogEntry {
        time,
        at: LogRef { file: 0, line: 1 },
        event: LogEvent::Login(LoginEvent {
            daemon: Daemon::Vchkpw,
            service: Service::Smtp,
            outcome,
            user: user.into(),
            ip: ip.parse().ok(),
            attempts: 1,
        }),
    }
}

#[test]
fn a_log_user_fills_only_records_without_a_header_user() {
    let s = Interner::new();
    let mut recs = vec![
        rec(1, &s, "82.128.32.42", None),
        rec(2, &s, "82.128.32.42", Some("alice")),
        rec(3, &s, "192.0.2.9", None),
    ];
    let map = HashMap::from([
        (MessageId(1), found("test", T0 - 10, 3)),
        (MessageId(2), found("test", T0 - 9, 4)),
        (MessageId(99), found("ghost", T0, 5)),
    ]);
    let applied = attribute_from_logs(&mut recs, &s, map);
    assert_eq!(
        applied.keys().copied().collect::<Vec<_>>(),
        vec![MessageId(1)]
    );
    let o = recs[0].origin;
    assert_eq!(
        (
            o.kind,
            o.auth_source,
            o.auth_user.map(|u| s.text(u)).as_deref()
        ),
        (OriginKind::SmtpAuth, AuthSource::Log, Some("test"))
    );
    let header = recs[1].origin;
    assert_eq!(
        (
            header.auth_source,
            header.auth_user.map(|u| s.text(u)).as_deref()
        ),
        (AuthSource::Header, Some("alice")),
        "a header's user wins"
    );
    assert_eq!(
        (recs[2].origin.kind, recs[2].origin.auth_user),
        (OriginKind::Smtp, None)
    );
}

fn guessing_evidence() -> LogEvidence {
    use LoginOutcome::*;
    let mut entries = Vec::new();
    // Harvesting: 5 unknown accounts, then 3 wrong passwords for test, then its success.
    for (i, u) in ["sales", "info", "admin", "office", "web"]
        .iter()
        .enumerate()
    {
        entries.push(login(T0 - 3000 + i as i64, u, "82.128.32.42", UnknownUser));
    }
    entries.push(login(
        T0 - 2000,
        "test@example.com",
        "82.128.32.42",
        Failure,
    ));
    entries.push(login(
        T0 - 1990,
        "test@example.com",
        "82.128.32.42",
        Failure,
    ));
    entries.push(login(T0 - 1980, "test@example.com", "203.0.113.5", Failure));
    entries.push(login(
        T0 - 1970,
        "test@example.com",
        "82.128.32.42",
        Success,
    ));
    // A failure after the success is not part of the guessing.
    entries.push(login(T0 - 100, "test@example.com", "198.51.100.1", Failure));
    entries.push(login(T0 - 50, "alice@example.com", "198.51.100.7", Success));
    LogEvidence {
        entries,
        ..LogEvidence::default()
    }
}

#[test]
fn guessed_and_harvested_accounts_are_found_by_local_part() {
    let facts = LogFacts {
        logins: login_findings(&guessing_evidence()),
        ..LogFacts::default()
    };
    let words: Vec<String> = facts.findings("test").map(|f| f.words("test")).collect();
    assert_eq!(
        words,
        vec![
            "password guessed (as test@example.com): 3 failures from 2 IPs (82.128.32.42 2, \
             203.0.113.5 1) before first success at 2026-11-23T09:27:10Z",
            "logged into (as test@example.com) at 2026-11-23T09:27:10Z from harvesting IP 82.128.32.42 \
             (failed on 6 accounts within 60 minutes)",
        ]
    );
    let exact: Vec<String> = facts
        .findings("TEST@example.com")
        .map(|f| f.words("test@example.com"))
        .collect();
    assert_eq!(exact.len(), 2, "case-insensitive");
    assert!(
        exact[0].starts_with("password guessed: 3 failures"),
        "{exact:?}"
    );
    assert_eq!(
        facts.findings("test@other.example").count(),
        0,
        "another domain"
    );
    assert_eq!(
        facts.findings("alice").count(),
        0,
        "a plain login is no finding"
    );
}

#[test]
fn top_names_the_log_user_with_evidence_and_the_guessed_password() {
    let s = Arc::new(Interner::new());
    let mut recs: Vec<MessageRecord> = (1..=30).map(|i| rec(i, &s, "82.128.32.42", None)).collect();
    recs.extend((31..=40).map(|i| rec(i, &s, "192.0.2.9", Some("bob"))));
    let map = (1..=30)
        .map(|i| {
            (
                MessageId(i),
                found("test", T0 - 60 + i as i64, i as u32 + 2),
            )
        })
        .collect();
    let attributed = attribute_from_logs(&mut recs, &s, map);
    let logs = LogFacts {
        attributed,
        logins: login_findings(&guessing_evidence()),
    };
    let a = analyse_with_logs(
        AnalysisInput {
            records: recs,
            strings: s.clone(),
            ctx: AnalysisContext {
                now: T0 + 60,
                ..Default::default()
            },
            key: ClusterKey::AuthUser,
            top_limit: 10,
            want: Want::Both,
        },
        logs,
    );
    let first = &a.top[0];
    assert_eq!(
        (first.key, first.value, first.messages),
        (
            ClusterKey::AuthUser,
            Some(KeyValue::Text(s.intern(b"test"))),
            30
        )
    );
    assert_eq!(
        first.reasons[1],
        "AUTH user test (from log: CHKUSER line at 2026-11-23T09:59:01Z (/log/smtpd/current:3)): 30 of 30 \
         messages, 30 log lines"
    );
    assert!(
        first.reasons.iter().any(|r| r
            .starts_with("password guessed (as test@example.com): 3 failures from 2 IPs")
            && r.ends_with("(+25.0)")),
        "{:#?}",
        first.reasons
    );
    assert!(
        first.reasons[0].ends_with("likely a guessed password"),
        "{}",
        first.reasons[0]
    );
    let bob = a
        .clusters
        .iter()
        .find(|c| c.value == Some(KeyValue::Text(s.intern(b"bob"))))
        .expect("bob");
    assert!(
        !bob.reasons.iter().any(|r| r.contains("from log")),
        "header users have no log provenance: {:?}",
        bob.reasons
    );
}

/// A mailbox in use, guessed later: its owner's success, then ten failures from a new IP and
/// a success from it (review52: only failures before an account's first success counted, so
/// only never-used accounts were ever flagged). The failures before the run are not its own.
#[test]
fn a_mailbox_in_use_guessed_from_a_new_ip_is_found() {
    use LoginOutcome::*;
    let mut entries = vec![
        login(T0 - 9000, "real@example.com", "80.1.1.1", Failure),
        login(T0 - 8000, "real@example.com", "80.1.1.1", Success),
    ];
    for n in 0..10 {
        entries.push(login(T0 - 3000 + n, "real@example.com", "7.7.7.7", Failure));
    }
    entries.push(login(T0 - 2960, "real@example.com", "7.7.7.7", Success));
    let facts = LogFacts {
        logins: login_findings(&LogEvidence {
            entries,
            ..LogEvidence::default()
        }),
        ..LogFacts::default()
    };
    let words: Vec<String> = facts.findings("real").map(|f| f.words("real")).collect();
    assert_eq!(
        words,
        [
            "password guessed (as real@example.com): 10 failures from 7.7.7.7 before a success \
          from an IP new to the account at 2026-11-23T09:10:40Z"
        ]
    );
}
