//! Tests of the operator-judged section: what it counts, what it names (only what the
//! selections tested, only of mail this server sent) and which fixes it gives.
use super::*;
use crate::fixture::record::record;

const BASE: i64 = 1_795_428_000;

/// A message PHP queued as uid 48 through `script`, From `from`, at `queued`.
fn php(
    s: &Interner,
    id: u64,
    script: &str,
    from: &str,
    subject: &str,
    queued: i64,
) -> MessageRecord {
    let mut r = record(id);
    r.set_queued(queued);
    r.origin.kind = OriginKind::Local;
    r.origin.set_uid(Some(48));
    r.origin.script = Some(s.intern(script.as_bytes()));
    r.headers.from = Some(s.intern(from.as_bytes()));
    r.headers.subject = Some(s.intern(subject.as_bytes()));
    crate::fixture::record::with_recipients(
        &mut r,
        s,
        crate::queue::Channel::Remote,
        &[
            format!("v{id}@victim.example"),
            format!("w{id}@victim.example"),
        ],
    );
    r
}

/// Inbound mail from another server, From `from`.
fn inbound(s: &Interner, id: u64, from: &str) -> MessageRecord {
    let mut r = record(id);
    r.set_queued(BASE);
    r.origin.kind = OriginKind::Smtp;
    r.origin.ip = Some(s.intern(b"209.85.128.170"));
    r.headers.from = Some(s.intern(from.as_bytes()));
    r.headers.subject = Some(s.intern(b"Lunch on Friday?"));
    r
}

/// The described yank area `yanked` behind `queued`, each yanked id with the keys of the
/// selection that yanked it.
fn describe(
    s: &Interner,
    queued: Vec<MessageRecord>,
    yanked: Vec<(MessageRecord, &str)>,
) -> (Option<OperatorJudged>, Vec<CulpritFix>) {
    let in_queue = queued.len();
    let mut stated = Stated::default();
    for (r, selection) in &yanked {
        stated.add(selection, [r.id]);
    }
    let ids: Vec<MessageId> = yanked.iter().map(|(r, _)| r.id).collect();
    let records: Vec<MessageRecord> = queued
        .into_iter()
        .chain(yanked.into_iter().map(|y| y.0))
        .collect();
    let ctx = AnalysisContext::default();
    let j = Judged {
        records: &records,
        in_queue,
        strings: s,
        ctx: &ctx,
    };
    let judged = j.describe(&ids, &stated);
    let fixes = judged.as_ref().map(|d| j.fixes(d)).unwrap_or_default();
    (judged, fixes)
}

fn values(c: &[Counted]) -> Vec<(String, u64)> {
    c.iter().map(|c| (c.value.clone(), c.messages)).collect()
}

fn kinds(fixes: &[CulpritFix]) -> Vec<(ClusterKey, &str, &str)> {
    (fixes.iter())
        .map(|f| (f.kind, f.value.as_str(), f.advice))
        .collect()
}

#[test]
fn nothing_yanked_is_no_section() {
    let s = Interner::new();
    let queued = vec![php(&s, 1, "a.php", "x@y.example", "Hi", BASE)];
    assert_eq!(describe(&s, queued, Vec::new()), (None, Vec::new()));
}

#[test]
fn the_selections_keys_name_what_they_tested_and_nothing_else() {
    let s = Interner::new();
    let plugin = "script:class-loader.php from:service@bank.example";
    let mut yanked: Vec<(MessageRecord, &str)> = (0..40)
        .map(|i| {
            let r = php(
                &s,
                i,
                "class-loader.php",
                "service@bank.example",
                "Security alert",
                BASE + i as i64,
            );
            (r, plugin)
        })
        .collect();
    // Two of a customer's contact form, yanked by a broad `uid:48` another time.
    for i in 100..102 {
        let r = php(
            &s,
            i,
            "contact.php",
            "ann@customer.example",
            "Contact form",
            BASE - 3_600,
        );
        yanked.push((r, "uid:48"));
    }
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert_eq!((j.messages, j.recipients, j.from_elsewhere), (42, 84, 0));
    assert_eq!(
        (j.first_queued, j.last_queued),
        (Some(BASE - 3_600), Some(BASE + 39))
    );
    assert_eq!(j.peak_per_minute, 40);
    assert_eq!(
        values(&j.scripts),
        [("class-loader.php".into(), 40)],
        "contact.php's selection tested the uid"
    );
    assert_eq!(values(&j.uids), [("48".into(), 2)]);
    assert_eq!(values(&j.from), [("service@bank.example".into(), 40)]);
    assert!(j.auth_users.is_empty());
    assert_eq!(values(&j.subjects), [("Security alert".into(), 40)]);
    // The script's fix; no uid fix where a script names what ran under it.
    assert_eq!(
        kinds(&fixes),
        [(ClusterKey::Script, "class-loader.php", SCRIPT_ADVICE)]
    );
}

#[test]
fn a_broad_selection_names_its_key_only_and_no_subject() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..30)
        .map(|i| {
            (
                php(
                    &s,
                    i,
                    "PHPMailer.php",
                    "shop@store.example",
                    "Your order",
                    BASE,
                ),
                "uid:48",
            )
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert!(
        j.scripts.is_empty() && j.from.is_empty() && j.subjects.is_empty(),
        "{j:?}"
    );
    assert_eq!(values(&j.uids), [("48".into(), 30)]);
    assert_eq!(kinds(&fixes), [(ClusterKey::Uid, "48", UID_ADVICE)]);
}

#[test]
fn a_script_name_many_domains_write_through_is_not_to_be_disabled_and_names_no_subject() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..30)
        .map(|i| {
            let from = format!("shop@store{}.example", i % 3);
            (
                php(&s, i, "PHPMailer.php", &from, "Your order", BASE),
                "script:PHPMailer.php",
            )
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert_eq!(values(&j.scripts), [("PHPMailer.php".into(), 30)]);
    assert!(
        j.subjects.is_empty(),
        "a script's name alone judges no subject: {j:?}"
    );
    assert_eq!(
        kinds(&fixes),
        [(ClusterKey::Script, "PHPMailer.php", SHARED_SCRIPT_ADVICE)]
    );
}

#[test]
fn a_forged_script_header_is_not_named() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..12)
        .map(|i| {
            let mut r = php(&s, i, "contact.php", "service@bank.example", "Alert", BASE);
            r.origin.script_forged = true;
            (r, "script:contact.php from:service@bank.example")
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert!(j.scripts.is_empty(), "{j:?}");
    assert_eq!(values(&j.from), [("service@bank.example".into(), 12)]);
    assert_eq!(
        kinds(&fixes),
        [],
        "no script to disable, no login or uid stated"
    );
}

#[test]
fn a_login_no_header_names_is_this_servers_mail() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..4)
        .map(|i| {
            let mut r = inbound(&s, i, "x@y.example");
            r.origin.kind = OriginKind::SmtpAuth;
            (r, "ip:209.85.128.170")
        })
        .collect();
    let (j, _) = describe(&s, Vec::new(), yanked);
    assert_eq!(j.expect("judged").from_elsewhere, 0);
}

#[test]
fn a_script_name_mail_still_queued_shares_is_not_to_be_disabled() {
    let s = Interner::new();
    let queued = vec![php(
        &s,
        1,
        "PHPMailer.php",
        "shop@store.example",
        "Your order",
        BASE,
    )];
    let selection = "script:PHPMailer.php from:service@bank.example";
    let yanked: Vec<(MessageRecord, &str)> = (10..30)
        .map(|i| {
            (
                php(
                    &s,
                    i,
                    "PHPMailer.php",
                    "service@bank.example",
                    "Alert",
                    BASE,
                ),
                selection,
            )
        })
        .collect();
    let (_, fixes) = describe(&s, queued, yanked);
    assert_eq!(
        kinds(&fixes),
        [(ClusterKey::Script, "PHPMailer.php", SHARED_SCRIPT_ADVICE)]
    );
}

#[test]
fn inbound_mail_is_counted_never_named() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..25)
        .map(|i| {
            (
                inbound(&s, i, "john.smith@gmail.com"),
                "from:john.smith@gmail.com",
            )
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert_eq!((j.messages, j.from_elsewhere), (25, 25));
    assert!(j.from.is_empty() && j.subjects.is_empty(), "{j:?}");
    assert!(fixes.is_empty(), "{fixes:?}");
}

#[test]
fn a_login_the_operator_named_gets_a_conditional_fix() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..5)
        .map(|i| {
            let mut r = inbound(&s, i, "alice@example.com");
            r.origin.kind = OriginKind::SmtpAuth;
            r.origin.auth_user = Some(s.intern(b"alice@example.com"));
            (r, "auth:alice@example.com")
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert_eq!(values(&j.auth_users), [("alice@example.com".into(), 5)]);
    assert!(j.subjects.is_empty(), "under {SUBJECT_NAMED_AT}: {j:?}");
    assert_eq!(
        kinds(&fixes),
        [(ClusterKey::AuthUser, "alice@example.com", LOGIN_ADVICE)]
    );
}

#[test]
fn the_keys_a_selection_states() {
    use ClusterKey::*;
    assert_eq!(stated_keys("script:x.php from:a@b.example"), [Script, From]);
    assert_eq!(stated_keys("cluster:uid=48"), [Uid]);
    assert_eq!(
        stated_keys("tui: 750 marked messages of uid 48 matching script:x.php"),
        [Uid, Script]
    );
    assert_eq!(
        stated_keys("tui: 9 marked messages of auth-user test"),
        [AuthUser]
    );
    assert_eq!(stated_keys("--ids (3 ids)"), []);
    assert_eq!(
        stated_keys(
            "tui: 750 marked messages of uid 48 matching script:x.php, 3 of them gone from the \
             queue since the scan"
        ),
        [Uid, Script]
    );
    // Only a literal value at the top states it of every message taken (review57b).
    assert_eq!(stated_keys("uid:48 not script:PHPMailer.php"), [Uid]);
    assert_eq!(stated_keys("auth:test or ip:203.0.113.20"), []);
    assert_eq!(stated_keys("ip:127.0.0.1"), [OriginIp]);
    assert_eq!(stated_keys("ip:10.0.0.0/8"), []);
    assert_eq!(stated_keys("uid:48 from:shop@*"), [Uid]);
    assert_eq!(
        stated_keys("(script:a.php or script:b.php) from:x@y.example"),
        [From]
    );
    assert_eq!(stated_keys("tui: 3 marked messages"), []);
}

#[test]
fn hostile_values_are_sanitized() {
    let s = Interner::new();
    let yanked: Vec<(MessageRecord, &str)> = (0..10)
        .map(|i| {
            (
                php(
                    &s,
                    i,
                    "evil\x1b[2J.php",
                    "a\x07@b.example",
                    "x\x1b]52;c;Zm9v\x07",
                    i as i64,
                ),
                "script:evil.php from:a@b.example",
            )
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let text = format!("{j:?}{fixes:?}");
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
    assert_eq!(
        j.expect("judged").subjects.len(),
        1,
        "ten messages are enough to be named"
    );
}

/// A hacked site's phishing handed to qmail-smtpd on 127.0.0.1 is this server's mail, not
/// "came in from other servers": its From and the client are named where the selection stated
/// them, and the client gets a fix (newuser57).
#[test]
fn phishing_through_localhost_is_this_servers_mail() {
    let s = Interner::new();
    let selection = "ip:127.0.0.1 from:service@paypal.example";
    let yanked: Vec<(MessageRecord, &str)> = (0..20)
        .map(|i| {
            let mut r = inbound(&s, i, "service@paypal.example");
            r.origin.ip = Some(s.intern(b"127.0.0.1"));
            r.sender = Some(s.intern(b"info@baeckerei.example"));
            (r, selection)
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), yanked);
    let j = j.expect("judged");
    assert_eq!(j.from_elsewhere, 0, "{j:?}");
    assert_eq!(values(&j.from), [("service@paypal.example".into(), 20)]);
    assert_eq!(values(&j.internal_clients), [("127.0.0.1".into(), 20)]);
    assert_eq!(
        kinds(&fixes),
        [(ClusterKey::OriginIp, "127.0.0.1", INTERNAL_ADVICE)]
    );
    // Another server's mail stays counted, never named, whatever the selection stated.
    let outside: Vec<(MessageRecord, &str)> = (0..20)
        .map(|i| {
            (
                inbound(&s, i, "service@paypal.example"),
                "ip:209.85.128.170",
            )
        })
        .collect();
    let (j, fixes) = describe(&s, Vec::new(), outside);
    let j = j.expect("judged");
    assert_eq!(j.from_elsewhere, 20);
    assert!(j.internal_clients.is_empty() && fixes.is_empty(), "{j:?}");
}

/// A batch's selection as the report shows it: the values it kept out withheld (they name the
/// real mail kept), in a query, in the TUI's filter and in the query a TUI undo names
/// (review58); a selection that is no query as recorded; control bytes never raw.
#[test]
fn a_selections_kept_values_are_withheld_and_the_rest_shown_as_recorded() {
    use super::published;
    let cases = [
        (
            "auth:test not from:boss@customer.example",
            "auth:test not from:(withheld)",
        ),
        ("auth:test  subject:\"x y\"", "auth:test  subject:\"x y\""),
        (
            "--batch 20261207-052044-7fdc",
            "--batch 20261207-052044-7fdc",
        ),
        ("--ids (3 ids)", "--ids (3 ids)"),
        (
            "tui: 750 marked messages of uid 48",
            "tui: 750 marked messages of uid 48",
        ),
        (
            "tui: 750 marked messages of origin-ip 127.0.0.1 matching ip:127.0.0.1 not \
             from:boss@customer.example not subject:\"Hallo Anna\", 3 of them gone from the \
             queue since the scan",
            "tui: 750 marked messages of origin-ip 127.0.0.1 matching ip:127.0.0.1 not \
             from:(withheld) not subject:(withheld), 3 of them gone from the queue since the \
             scan",
        ),
        (
            "tui: 5 marked messages of uid 48 matching script:x.php",
            "tui: 5 marked messages of uid 48 matching script:x.php",
        ),
        (
            "tui: batch 20261207-052044-7fdc (auth:test not rcpt:carol@example.com), the \
             journal's newest yank, not one of this session",
            "tui: batch 20261207-052044-7fdc (auth:test not rcpt:(withheld)), the journal's \
             newest yank, not one of this session",
        ),
        (
            "tui: batch 20261207-052044-7fdc (tui: 9 marked messages of uid 48 matching \
             uid:48 not from:anna@shop.example)",
            "tui: batch 20261207-052044-7fdc (tui: 9 marked messages of uid 48 matching uid:48 \
             not from:(withheld))",
        ),
        (
            "tui: 2 marked messages of uid 48 matching (not valid",
            "tui: 2 marked messages of uid 48 matching (withheld)",
        ),
    ];
    for (recorded, shown) in cases {
        assert_eq!(published(recorded), shown, "{recorded}");
    }
    assert!(!published("subject:\u{1b}[31m").contains('\u{1b}'));
}
