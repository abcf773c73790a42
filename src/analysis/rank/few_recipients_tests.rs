//! Mail to the same few addresses again and again (`few_recipients.rs`): a Zabbix server's
//! alerts through one login as its own host's address, internal hosts relaying Nagios mail,
//! beside a guessed account's spam, a spammer putting one fixed address first, and the
//! backscatter of a joe-job.
use std::sync::Arc;

use super::tests::{guessed_password, people, run, Rec};
use super::*;
use crate::analysis::Analysis;
use crate::queue::{Channel, MessageRecord, RecipientSummary};

/// Ids from 100,000 up are the monitoring's.
const ALERTS: u64 = 100_000;

const ONCALL: [&str; 3] = [
    "oncall@it-bereitschaft.de",
    "j.berger@gmail.com",
    "alerts@pager-service.io",
];

/// `n` alerts from `client` (a login's, or none: relayed) as `sender`, each to ops here first
/// when `ops`, and then to two or three on-call addresses.
fn alerts(
    s: &Interner,
    first_id: u64,
    client: Option<&str>,
    ip: &str,
    sender: &str,
    ops: bool,
    n: u64,
) -> Vec<MessageRecord> {
    (0..n)
        .map(|i| {
            let rec = Rec::new(s, first_id + i);
            let mut r = match client {
                Some(login) => rec.auth(login, ip),
                None => rec.smtp(ip),
            }
            .sender(sender)
            .subject(&format!("PROBLEM: High CPU on web0{}", i % 3))
            .r;
            let ops = ops.then_some((&b"ops@example.com"[..], Channel::Local));
            let oncall = ONCALL[..2 + (i as usize % 2)]
                .iter()
                .map(|a| (a.as_bytes(), Channel::Remote));
            r.recipients = RecipientSummary::of(s, ops.into_iter().chain(oncall));
            r.headers.from = r.sender;
            r
        })
        .collect()
}

/// Does a culprit of `a` hold a message whose id is in `ids`?
fn taken(a: &Analysis, ids: std::ops::Range<u64>) -> bool {
    a.top
        .iter()
        .filter(|c| c.verdict() == Verdict::Culprit)
        .flat_map(|c| c.members.iter())
        .any(|&i| ids.contains(&a.records[i as usize].id.0))
}

/// The cluster whose value is `value`.
fn cluster<'a>(a: &'a Analysis, s: &Interner, value: &str) -> &'a Cluster {
    (a.top.iter())
        .find(|c| c.value.map(|v| v.text(s)).as_deref() == Some(value))
        .unwrap_or_else(|| panic!("{value} ranked: {:#?}", a.top))
}

/// The Zabbix login sends as `zabbix@zabbix01.corp.lan`, a domain not its own (25), in an alert
/// storm (a third of the queue, its rate): a culprit at 41 in `hosting-bulk`. Its 300 messages
/// go to the same two or three on-call addresses: held, while the guessed account beside it is
/// still taken.
#[test]
fn a_monitoring_login_alerting_the_same_few_is_held_and_the_guessed_one_taken() {
    let s = Arc::new(Interner::new());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    recs.extend(alerts(
        &s,
        ALERTS,
        Some("monitoring@example.com"),
        "203.0.113.50",
        "zabbix@zabbix01.corp.lan",
        false,
        300,
    ));
    let a = run(recs, s.clone(), &["example.com"]);
    assert!(!taken(&a, ALERTS..ALERTS + 300), "{:#?}", a.top);
    let zabbix = cluster(&a, &s, "monitoring@example.com");
    assert_eq!(zabbix.verdict(), Verdict::Suspect, "{zabbix:#?}");
    let held = zabbix.reasons.last().expect("reasons");
    assert!(
        held.starts_with(
            "all its 300 messages go to the same few, the first recipient always the same \
             address, at most 5 remote recipients a message: held below 40"
        ),
        "{held}"
    );
    assert!(
        zabbix.reasons[0].ends_with("possibly a guessed password"),
        "{zabbix:#?}"
    );
    let test = cluster(&a, &s, "test@example.com");
    assert_eq!(test.verdict(), Verdict::Culprit, "{test:#?}");
}

/// Six internal hosts relaying alerts with no login (tcp.smtp lets 10.20.0.0/24 relay), each
/// to ops here and two on-call addresses: "relaying without a login" by every key, held.
#[test]
fn internal_hosts_relaying_alerts_to_the_same_few_are_held() {
    let s = Arc::new(Interner::new());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    for h in 0..6u64 {
        recs.extend(alerts(
            &s,
            ALERTS + h * 1_000,
            None,
            &format!("10.20.0.{}", 11 + h),
            &format!("root@host{h}.corp.lan"),
            true,
            50,
        ));
    }
    let a = run(recs, s.clone(), &["example.com"]);
    assert!(!taken(&a, ALERTS..ALERTS + 6_000), "{:#?}", a.top);
    let net = cluster(&a, &s, "10.20.0.0/24");
    assert_eq!(net.verdict(), Verdict::Suspect, "{net:#?}");
    assert!(
        net.reasons[0].contains("relaying without a login"),
        "{net:#?}"
    );
    assert!(
        (net.reasons.last()).is_some_and(|r| r.contains("one of the same")
            || r.contains("first recipient always the same address")),
        "{net:#?}"
    );
}

/// A guessed login's spam with one fixed address first on every message (a spammer's To:
/// before the Bcc) and up to four harvested recipients at other domains: the domain sets
/// vary, so it stays a culprit.
#[test]
fn spam_with_a_fixed_first_recipient_and_harvested_others_is_still_taken() {
    let s = Arc::new(Interner::new());
    let mut recs = people(&s);
    recs.extend((0..200u64).map(|i| {
        let mut r = Rec::new(&s, ALERTS + i)
            .auth(
                "sales@example.com",
                ["198.51.100.7", "203.0.113.9"][i as usize % 2],
            )
            .sender(&format!("promo{i}@offers-{}.biz", i % 7))
            .subject("Your invoice")
            .r;
        let harvested: Vec<String> = (0..4)
            .map(|k| format!("victim{i}.{k}@mailhost{}.example", (i * 4 + k) % 97))
            .collect();
        let list = std::iter::once("seed@spamtrap-check.example")
            .chain(harvested.iter().map(String::as_str))
            .map(|a| (a.as_bytes(), Channel::Remote));
        r.recipients = RecipientSummary::of(&s, list);
        r
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    let sales = cluster(&a, &s, "sales@example.com");
    assert_eq!(sales.verdict(), Verdict::Culprit, "{sales:#?}");
}

/// The bounces of a joe-job's spam all go back to its one forged sender: backscatter, which
/// the hold leaves a culprit.
#[test]
fn backscatter_to_one_forged_sender_is_not_held() {
    let s = Arc::new(Interner::new());
    let mut recs = people(&s);
    recs.extend((0..120u64).map(|i| {
        let mut r = Rec::new(&s, ALERTS + i).smtp("203.0.113.9").sender("").r;
        r.origin.kind = crate::queue::OriginKind::Bounce;
        r.headers.subject = Some(s.intern(b"failure notice"));
        let to = [(&b"victim@joe-job.example"[..], Channel::Remote)];
        r.recipients = RecipientSummary::of(&s, to);
        r
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    assert!(taken(&a, ALERTS..ALERTS + 120), "{:#?}", a.top);
}

/// What is abuse whoever receives it is never held: a script in an upload directory, and a
/// login used from a dozen IPs, each writing to the same two addresses.
#[test]
fn an_upload_script_or_a_login_from_many_places_writing_to_the_same_few_is_still_taken() {
    let s = Arc::new(Interner::new());
    let mut recs = people(&s);
    recs.extend(alerts(
        &s,
        ALERTS,
        Some("test@example.com"),
        "198.51.100.7",
        "billing@bank-secure.example",
        false,
        120,
    ));
    for (k, r) in recs[180..].iter_mut().enumerate() {
        r.origin.ip = Some(s.intern(format!("198.51.{}.7", k % 12).as_bytes()));
    }
    recs.extend((0..60u64).map(|i| {
        let mut r = Rec::new(&s, ALERTS + 1_000 + i)
            .php(48, Some("wp-content/uploads/2024/x.php"))
            .sender("apache@mail.example.com")
            .subject("Your parcel")
            .r;
        let to = ONCALL[..2].iter().map(|a| (a.as_bytes(), Channel::Remote));
        r.recipients = RecipientSummary::of(&s, to);
        r
    }));
    let a = run(recs, s.clone(), &["example.com", "mail.example.com"]);
    let test = cluster(&a, &s, "test@example.com");
    assert_eq!(test.verdict(), Verdict::Culprit, "{test:#?}");
    assert!(taken(&a, ALERTS + 1_000..ALERTS + 1_060), "{:#?}", a.top);
}

/// Before the envelopes are read (the TUI's header pass) no message's recipients are known:
/// nothing says they are the same few, and the login sending as others stays a culprit.
#[test]
fn a_cluster_whose_recipients_are_not_known_is_not_held() {
    let s = Arc::new(Interner::new());
    let mut recs = people(&s);
    recs.extend(
        alerts(
            &s,
            ALERTS,
            Some("monitoring@example.com"),
            "203.0.113.50",
            "zabbix@zabbix01.corp.lan",
            false,
            300,
        )
        .into_iter()
        .map(|mut r| {
            r.recipients = RecipientSummary::default();
            r
        }),
    );
    let a = run(recs, s.clone(), &["example.com"]);
    let zabbix = cluster(&a, &s, "monitoring@example.com");
    assert_eq!(zabbix.verdict(), Verdict::Culprit, "{zabbix:#?}");
}
