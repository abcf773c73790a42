//! Unit tests of `crate::logs::correlate`.
use super::*;
use crate::fixture::{MessageSpec, QueueBuilder};
use crate::logs::fixture::{chkuser_relaying_line, qmail_send_lines, FixtureLine, MultilogDir};
use crate::queue::{scan, Progress, Queue, QueueOptions, ScanOptions};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC

struct Case {
    _dir: tempfile::TempDir,
    records: Vec<MessageRecord>,
    strings: Interner,
    evidence: LogEvidence,
}

/// A queue of `specs` plus an smtpd and a send multilog directory filled by `lines`, which
/// receives the ids written.
fn case(
    specs: Vec<MessageSpec>,
    lines: impl Fn(&[MessageId]) -> (Vec<FixtureLine>, Vec<FixtureLine>),
) -> Case {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut b = QueueBuilder::new(dir.path().join("queue"));
    for s in specs {
        b = b.message(s);
    }
    let (_q, ids) = b.build().expect("queue");
    let (smtpd, send) = lines(&ids);
    let smtpd_dir = MultilogDir::create(dir.path().join("smtpd")).expect("smtpd");
    smtpd_dir.current(&smtpd).expect("current");
    let send_dir = MultilogDir::create(dir.path().join("send")).expect("send");
    send_dir.current(&send).expect("current");
    let queue = Queue::open(dir.path().join("queue"), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let opts = ScanOptions {
        headers: true,
        envelopes: true,
    };
    let records = scan(&queue, &strings, opts, &Progress::default())
        .expect("scan")
        .records;
    let evidence = LogEvidence::load_in(
        &[
            smtpd_dir.path().to_path_buf(),
            send_dir.path().to_path_buf(),
        ],
        &jiff::tz::TimeZone::UTC,
    )
    .expect("logs");
    Case {
        _dir: dir,
        records,
        strings,
        evidence,
    }
}

fn spam(ip: &str, pid: u32) -> MessageSpec {
    MessageSpec::new()
        .born(BORN)
        .pid(pid)
        .received_from(ip)
        .sender("kbradford@philadefender.org")
        .remote("aikens_l@msn.com")
}

#[test]
fn chkuser_line_names_the_user_with_evidence_and_queue_link() {
    let c = case(vec![spam("82.128.32.42", 5941)], |ids| {
        let smtpd = vec![FixtureLine::new(
            BORN - 2,
            chkuser_relaying_line(
                "kbradford@philadefender.org",
                "test",
                "User",
                "82.128.32.42",
                "aikens_l@msn.com",
            ),
        )];
        let send = qmail_send_lines(
            ids[0].0,
            5941,
            "kbradford@philadefender.org",
            "aikens_l@msn.com",
        )
        .iter()
        .map(|l| FixtureLine::new(BORN, l))
        .collect();
        (smtpd, send)
    });
    let found = attribute(&c.records, &c.strings, &c.evidence);
    let a = found.get(&c.records[0].id).expect("attributed");
    assert_eq!(
        (a.auth_user.as_str(), a.source),
        ("test", AttributionSource::Chkuser)
    );
    assert!(
        a.evidence
            .starts_with("from log: CHKUSER line at 2026-11-23T09:59:58Z ("),
        "{}",
        a.evidence
    );
    assert!(a.evidence.contains("smtpd/current:1)"), "{}", a.evidence);
    assert!(
        a.evidence.contains("qmail-send info line for msg"),
        "{}",
        a.evidence
    );
}

#[test]
fn best_line_matches_sender_and_rcpt_and_old_lines_are_ignored() {
    let c = case(vec![spam("82.128.32.42", 5941)], |_| {
        let smtpd = vec![
            // Two days earlier, same IP: a reused address must not be blamed on the old user.
            FixtureLine::new(
                BORN - 2 * 86_400,
                chkuser_relaying_line(
                    "kbradford@philadefender.org",
                    "olduser",
                    "User",
                    "82.128.32.42",
                    "aikens_l@msn.com",
                ),
            ),
            FixtureLine::new(
                BORN - 30,
                chkuser_relaying_line(
                    "other@x.example",
                    "bob",
                    "User",
                    "82.128.32.42",
                    "z@y.example",
                ),
            ),
            FixtureLine::new(
                BORN - 60,
                chkuser_relaying_line(
                    "kbradford@philadefender.org",
                    "test",
                    "User",
                    "82.128.32.42",
                    "aikens_l@msn.com",
                ),
            ),
        ];
        (smtpd, Vec::new())
    });
    let found = attribute(&c.records, &c.strings, &c.evidence);
    assert_eq!(
        found.get(&c.records[0].id).map(|a| a.auth_user.as_str()),
        Some("test")
    );
}

#[test]
fn stale_info_line_for_a_reused_id_is_not_cited() {
    let c = case(vec![spam("82.128.32.42", 5941)], |ids| {
        let smtpd = vec![FixtureLine::new(
            BORN - 1,
            chkuser_relaying_line(
                "kbradford@philadefender.org",
                "test",
                "User",
                "82.128.32.42",
                "aikens_l@msn.com",
            ),
        )];
        let send = vec![FixtureLine::new(
            BORN - 3 * 86_400,
            &qmail_send_lines(ids[0].0, 5941, "x@y", "z@w")[1],
        )];
        (smtpd, send)
    });
    let found = attribute(&c.records, &c.strings, &c.evidence);
    let a = found.get(&c.records[0].id).expect("attributed");
    assert!(!a.evidence.contains("qmail-send"), "{}", a.evidence);
}

/// Where the AUTH patch leaves the protocol `SMTP` (alice's `(alice@IP) ... with SMTP`), an
/// SMTP login from the message's IP is the fallback; where it marks logins (`ESMTPA`), a
/// message saying `SMTP` did not log in, and only a POP3/IMAP login can have let it relay:
/// here not `sales`'s, as `info` logged in over SMTP from the IP too (review52).
#[test]
fn login_success_from_the_ip_is_the_fallback_and_headers_win() {
    for (alice_protocol, want) in [
        (
            "SMTP",
            Some(("info@example.com", AttributionSource::SmtpLogin)),
        ),
        ("ESMTPA", None),
    ] {
        login_fallback(alice_protocol, want);
    }
}

fn login_fallback(alice_protocol: &str, want: Option<(&str, AttributionSource)>) {
    let c = case(
        vec![
            spam("198.51.100.9", 1),
            spam("203.0.113.4", 2).auth_with("alice", alice_protocol),
        ],
        |_| {
            let smtpd = vec![
                FixtureLine::new(
                    BORN - 600,
                    "vchkpw-pop3: (PLAIN) login success sales@example.com:198.51.100.9",
                ),
                FixtureLine::new(
                    BORN - 300,
                    "vchkpw-smtp: (PLAIN) login success info@example.com:198.51.100.9",
                ),
                FixtureLine::new(
                    BORN - 5,
                    chkuser_relaying_line(
                        "kbradford@philadefender.org",
                        "mallory",
                        "User",
                        "203.0.113.4",
                        "aikens_l@msn.com",
                    ),
                ),
            ];
            (smtpd, Vec::new())
        },
    );
    let found = attribute(&c.records, &c.strings, &c.evidence);
    let plain = c
        .records
        .iter()
        .find(|r| r.origin.auth_user.is_none())
        .expect("plain");
    let Some(want) = want else {
        assert_eq!(found.len(), 0, "{found:?}");
        return;
    };
    let a = found.get(&plain.id).expect("attributed");
    assert_eq!((a.auth_user.as_str(), a.source), want);
    let at = match want.1 {
        AttributionSource::SmtpLogin => {
            "from log: vchkpw smtp login success at 2026-11-23T09:55:00Z"
        }
        _ => "from log: vchkpw pop3 login success at 2026-11-23T09:50:00Z",
    };
    assert!(a.evidence.starts_with(at), "{}", a.evidence);
    assert_eq!(
        found.len(),
        1,
        "a message whose headers name the user is left alone"
    );
}

#[test]
fn nothing_in_the_window_means_no_attribution() {
    let c = case(vec![spam("82.128.32.42", 5941)], |_| {
        (
            vec![FixtureLine::new(
                BORN + 3600,
                chkuser_relaying_line("a@b", "test", "User", "82.128.32.42", "c@d"),
            )],
            Vec::new(),
        )
    });
    assert!(attribute(&c.records, &c.strings, &c.evidence).is_empty());
}

/// A message's own CHKUSER line without an AUTH user says its session was not authenticated:
/// another session's user from the same IP, nearer in time, is not its user. Without its own
/// line, another session's line names nothing either, whatever the message says of its login:
/// on a NAT's IP it is another person's (review52).
#[test]
fn a_message_whose_own_line_has_no_auth_user_is_not_given_another_sessions() {
    let mail = || {
        MessageSpec::new()
            .born(BORN)
            .pid(6000)
            .received_from("82.128.32.42")
            .sender("support@paypal.example")
            .remote("victim@example.net")
    };
    let other_session = FixtureLine::new(
        BORN - 1,
        chkuser_relaying_line(
            "kbradford@philadefender.org",
            "test",
            "User",
            "82.128.32.42",
            "aikens_l@msn.com",
        ),
    );
    let own = FixtureLine::new(
        BORN - 300,
        chkuser_relaying_line(
            "support@paypal.example",
            "",
            "mx",
            "82.128.32.42",
            "victim@example.net",
        ),
    );
    let c = case(vec![mail()], |_| {
        (vec![own.clone(), other_session.clone()], vec![])
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    assert!(got.is_empty(), "{got:?}");
    // Nor by the other session's SMTP login (vpopmail logs one for every AUTH session); a
    // POP3 login from that IP can have let it relay (POP-before-SMTP), but beside another
    // account's SMTP login in that second the IP is shared, and it names nobody (review52).
    let login = |daemon: &str, user: &str| {
        FixtureLine::new(
            BORN - 30,
            format!("{daemon}[400]: (PLAIN) login success {user}:82.128.32.42"),
        )
    };
    let smtp = login("vchkpw-smtp", "test@example.com");
    let c = case(vec![mail()], |_| {
        (
            vec![smtp.clone(), own.clone(), other_session.clone()],
            vec![],
        )
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    assert!(got.is_empty(), "{got:?}");
    let pop = login("vchkpw-pop3", "alice@example.com");
    let c = case(vec![mail()], |_| {
        let lines = vec![
            smtp.clone(),
            pop.clone(),
            own.clone(),
            other_session.clone(),
        ];
        (lines, vec![])
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    let names: Vec<(&str, AttributionSource)> = got
        .values()
        .map(|a| (a.auth_user.as_str(), a.source))
        .collect();
    assert_eq!(names, []);
    let c = case(vec![mail()], |_| {
        (
            vec![pop.clone(), own.clone(), other_session.clone()],
            vec![],
        )
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    let names: Vec<(&str, AttributionSource)> = got
        .values()
        .map(|a| (a.auth_user.as_str(), a.source))
        .collect();
    assert_eq!(
        names,
        [("alice@example.com", AttributionSource::PopBeforeSmtp)]
    );
    // Without its own line: on a server whose AUTH patch marks logins (a message of the queue
    // says ESMTPA), a message that says plain SMTP did not log in: a line with neither its
    // sender nor its recipient, or another session's SMTP login, names nothing (newuser50,
    // review50); nor for one that says ESMTPA (review52: a polling user's lines on a NAT).
    let marked = || {
        MessageSpec::new()
            .born(BORN - 600)
            .received_from("198.51.100.20")
            .auth("bob@example.com")
            .sender("bob@example.com")
            .remote("x@example.net")
    };
    let c = case(vec![mail(), marked()], |_| {
        (vec![other_session.clone(), smtp.clone()], vec![])
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    assert!(got.is_empty(), "{got:?}");
    let c = case(vec![mail().protocol("ESMTPA")], |_| {
        (vec![other_session.clone()], vec![])
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    assert!(got.is_empty(), "{got:?}");
    // Nor where no message says ESMTPA (the Plesk seed: `(HELO User) (86.107.221.138) ...
    // with SMTP`, authenticated as `test`): the seed's own lines name its sender.
    let c = case(vec![mail().helo("User")], |_| {
        (vec![other_session.clone()], vec![])
    });
    let got = attribute(&c.records, &c.strings, &c.evidence);
    assert!(got.is_empty(), "{got:?}");
    // A line of its sender's (another of its recipients, not the first the record keeps)
    // is its session's.
    let same_sender = FixtureLine::new(
        BORN - 1,
        chkuser_relaying_line(
            "support@paypal.example",
            "test",
            "User",
            "82.128.32.42",
            "other@example.org",
        ),
    );
    let c = case(vec![mail()], |_| (vec![same_sender.clone()], vec![]));
    let got = attribute(&c.records, &c.strings, &c.evidence);
    let names: Vec<&str> = got.values().map(|a| a.auth_user.as_str()).collect();
    assert_eq!(names, ["test"]);
}

/// A webmail host: each send is an SMTP session from 127.0.0.1 that logs in first.
fn smtp_login(t: i64, user: &str) -> FixtureLine {
    FixtureLine::new(
        t,
        format!("vchkpw-smtp: (PLAIN) login success {user}:127.0.0.1"),
    )
}

/// The user of the login (`None` when none is named) for one webmail message born at BORN and
/// preprocessed `lag` seconds later, among `logins`.
fn webmail_user(lag: i64, logins: &[(i64, &str)]) -> Option<String> {
    let logins: Vec<FixtureLine> = logins.iter().map(|&(t, u)| smtp_login(t, u)).collect();
    let c = case(
        vec![spam("127.0.0.1", 7).preprocessed_after(lag)],
        move |_| (logins.clone(), Vec::new()),
    );
    let found = attribute(&c.records, &c.strings, &c.evidence);
    found.values().next().map(|a| a.auth_user.clone())
}

/// Logins are matched to the end of the message's session (qmail-queue's Received date), not
/// to when qmail-send got to it: 15 s of preprocessing lag put the next session's login
/// (bob's) before the anchor, and every webmail message was pinned on the last login.
#[test]
fn the_session_end_anchors_the_login_not_qmail_sends_lag() {
    let alice_then_bob = [
        (BORN - 2, "alice@example.com"),
        (BORN + 10, "bob@example.com"),
    ];
    assert_eq!(
        webmail_user(15, &alice_then_bob).as_deref(),
        Some("alice@example.com")
    );
}

/// Several accounts logging in from one IP: only one account's login just before the message
/// (its own session's) names it; two in that minute name none.
#[test]
fn a_shared_ip_names_only_the_one_account_that_logged_in_just_before() {
    let (alice, bob) = ("alice@example.com", "bob@example.com");
    assert_eq!(
        webmail_user(0, &[(BORN - 300, alice), (BORN - 5, bob)]).as_deref(),
        Some(bob)
    );
    assert_eq!(
        webmail_user(0, &[(BORN - 30, alice), (BORN - 20, bob)]),
        None
    );
    // A login after the session ended is another session's, even of the one account.
    assert_eq!(webmail_user(0, &[(BORN + 30, alice)]), None);
    // One account alone (a spammer's own IP): its latest login, however long before.
    assert_eq!(
        webmail_user(0, &[(BORN - 1200, alice), (BORN - 600, alice)]).as_deref(),
        Some(alice)
    );
}

/// A message that says it logged in over SMTP (`ESMTPA`) is no POP3/IMAP login's, and a
/// relay without a login is nobody's when another account logged in over SMTP from the IP in
/// that time (review52: a mail client polling from a NAT was named for both).
#[test]
fn a_polling_mailbox_on_a_shared_ip_is_not_named_for_others_mail() {
    let ip = "86.107.221.138";
    let pop = |t: i64| {
        FixtureLine::new(
            t,
            format!("vchkpw-pop3: (PLAIN) login success victim@example.com:{ip}"),
        )
    };
    let smtp = FixtureLine::new(
        BORN - 20,
        format!("vchkpw-smtp: (PLAIN) login success test@example.com:{ip}"),
    );
    let relayed = |protocol: &str| {
        MessageSpec::new()
            .born(BORN)
            .received_from(ip)
            .protocol(protocol)
            .sender("a@spam.example")
            .remote("b@example.net")
    };
    let names = |msgs: Vec<MessageSpec>, lines: Vec<FixtureLine>| {
        let c = case(msgs, move |_| (lines.clone(), vec![]));
        let mut got: Vec<(String, AttributionSource)> =
            attribute(&c.records, &c.strings, &c.evidence)
                .into_values()
                .map(|a| (a.auth_user, a.source))
                .collect();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        got
    };
    // Logged in over SMTP: the mailbox's POP3 logins are not its login.
    assert_eq!(
        names(
            vec![relayed("ESMTPA")],
            vec![pop(BORN - 600), pop(BORN - 20)]
        ),
        []
    );
    // Relayed without a login (POP-before-SMTP): the mailbox alone opened the relay...
    let marked = MessageSpec::new()
        .born(BORN - 900)
        .received_from("198.51.100.20")
        .auth("bob@example.com")
        .sender("bob@example.com")
        .remote("x@example.net");
    assert_eq!(
        names(vec![relayed("SMTP"), marked.clone()], vec![pop(BORN - 20)]),
        [(
            "victim@example.com".to_string(),
            AttributionSource::PopBeforeSmtp
        )]
    );
    // ... but not beside another account's SMTP login from the IP in the same minute.
    assert_eq!(
        names(
            vec![relayed("SMTP"), marked],
            vec![pop(BORN - 20), smtp.clone()]
        ),
        []
    );
}
