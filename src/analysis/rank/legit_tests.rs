//! Legitimate senders that look like abuse at first sight are not culprits, and their abusive
//! twins still are (an attribution audit on mixes built with the real qmail, 2026-12-04).
use std::sync::Arc;

use super::tests::{run, Rec};
use super::*;
use crate::queue::{Channel, MessageRecord};

/// Everyday mail beside the case, so that it is a tenth of the queue or less, as in the audit:
/// 2,000 messages from 20 office users, each from its own IP.
fn office(s: &Interner, from: u64) -> Vec<MessageRecord> {
    (0..2_000u64)
        .map(|i| {
            let user = format!("user{}@example.com", i % 20);
            Rec::new(s, from + i)
                .auth(&user, &format!("192.0.2.{}", i % 20))
                .sender(&user)
                .rcpts(Channel::Remote, 1)
                .subject(&format!("Re: thread {i}"))
                .r
        })
        .collect()
}

/// The verdict of the cluster `key` = `value` in `a`'s ranking, which must list it.
fn verdict_of(
    a: &crate::analysis::Analysis,
    s: &Interner,
    key: ClusterKey,
    value: &str,
) -> Verdict {
    a.top
        .iter()
        .find(|c| c.key == key && c.value.map(|v| v.text(s)).as_deref() == Some(value))
        .unwrap_or_else(|| panic!("{key:?} {value} is not listed: {:?}", a.top))
        .verdict()
}

fn from_header(mut r: Rec<'_>, s: &Interner, from: &str) -> MessageRecord {
    r.r.headers.from = Some(s.intern(from.as_bytes()));
    r.r
}

/// A shop's order confirmations (its own From:, one recipient each, one template) are mail;
/// a mailer in an upload directory writing as a bank is a compromised script.
#[test]
fn a_shop_writing_as_itself_is_not_a_compromised_script() {
    let s = Arc::new(Interner::new());
    let mut recs = office(&s, 0);
    recs.extend((0..250u64).map(|i| {
        let r = Rec::new(&s, 10_000 + i)
            .php(48, Some("shop/checkout.php"))
            .sender("shop@example.com")
            .rcpts(Channel::Remote, 1)
            .subject(&format!("Your order #{}", 5000 + i));
        from_header(r, &s, "shop@example.com")
    }));
    let a = run(recs.clone(), s.clone(), &["example.com"]);
    let shop = verdict_of(&a, &s, ClusterKey::Script, "shop/checkout.php");
    assert_ne!(shop, Verdict::Culprit, "{:?}", a.top);
    recs.extend((0..250u64).map(|i| {
        let r = Rec::new(&s, 20_000 + i)
            .php(48, Some("wp-content/uploads/2019/07/m.php"))
            .sender("apache@example.com")
            .rcpts(Channel::Remote, 1)
            .subject(&format!("Verify your account {i}"));
        from_header(r, &s, "service@secure-bank-login.com")
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    let mailer = verdict_of(
        &a,
        &s,
        ClusterKey::Script,
        "wp-content/uploads/2019/07/m.php",
    );
    assert_eq!(mailer, Verdict::Culprit, "{:?}", a.top);
}

/// One login from a person's few places (home, office, phone) sending as itself is a person;
/// the same login from a botnet's many IPs is a guessed password.
#[test]
fn a_travelling_user_is_not_a_guessed_password_but_a_botnet_login_is() {
    let s = Arc::new(Interner::new());
    let places = ["198.51.100.7", "203.0.113.40", "100.64.3.9", "192.0.2.200"];
    let sales = |ips: &[String], from: u64| -> Vec<MessageRecord> {
        (0..120u64)
            .map(|i| {
                Rec::new(&s, from + i)
                    .auth("sales@example.com", &ips[i as usize % ips.len()])
                    .sender("sales@example.com")
                    .rcpts(Channel::Remote, 1 + (i as usize % 12))
                    .subject(&format!("Quote {} for your order", 300 + i))
                    .r
            })
            .collect()
    };
    let mut recs = office(&s, 0);
    recs.extend(sales(&places.map(String::from), 10_000));
    let a = run(recs, s.clone(), &["example.com"]);
    let v = verdict_of(&a, &s, ClusterKey::AuthUser, "sales@example.com");
    assert_ne!(v, Verdict::Culprit, "{:?}", a.top);
    let botnet: Vec<String> = (0..60)
        .map(|i| format!("{}.{}.7.9", 20 + i, i * 3))
        .collect();
    let mut recs = office(&s, 0);
    recs.extend(sales(&botnet, 10_000));
    let a = run(recs, s.clone(), &["example.com"]);
    let v = verdict_of(&a, &s, ClusterKey::AuthUser, "sales@example.com");
    assert_eq!(v, Verdict::Culprit, "{:?}", a.top);
}

/// A list server on the office network, which tcp.smtp lets relay, sending a newsletter as
/// this server's domain is not an open relay; the same run from the Internet is.
#[test]
fn an_internal_list_server_is_not_an_open_relay() {
    let s = Arc::new(Interner::new());
    let newsletter = |ip: &str| -> Vec<MessageRecord> {
        (0..500u64)
            .map(|i| {
                Rec::new(&s, 10_000 + i)
                    .smtp(ip)
                    .sender("news@example.com")
                    .rcpts(Channel::Remote, 1)
                    .subject("December news from Example")
                    .r
            })
            .collect()
    };
    for (ip, culprit) in [("192.168.1.20", false), ("203.0.113.99", true)] {
        let mut recs = office(&s, 0);
        recs.extend(newsletter(ip));
        let a = run(recs, s.clone(), &["example.com"]);
        let v = verdict_of(&a, &s, ClusterKey::OriginIp, ip);
        assert_eq!(v == Verdict::Culprit, culprit, "{ip}: {:?}", a.top);
    }
}

/// A webmail host on 127.0.0.1: its users send as themselves, and a guessed account sends
/// spam through it with forged senders. The host is not the culprit (its yank would take the
/// users' mail); the forged senders' pattern is.
#[test]
fn a_shared_webmail_host_is_not_the_culprit_its_spams_pattern_is() {
    let s = Arc::new(Interner::new());
    let mut recs = office(&s, 0);
    recs.extend((0..600u64).map(|i| {
        let user = format!("user{}@example.com", i % 20);
        Rec::new(&s, 10_000 + i)
            .smtp("127.0.0.1")
            .sender(&user)
            .rcpts(Channel::Remote, 1 + (i as usize % 3))
            .subject(&format!("Re: thread {i}"))
            .r
    }));
    recs.extend((0..600u64).map(|i| {
        Rec::new(&s, 20_000 + i)
            .smtp("127.0.0.1")
            .sender(&format!("x{}q{}@bigsave.example", i * 7, i % 13))
            .rcpts(Channel::Remote, 1 + (i as usize % 10))
            .subject(&format!("Cheap meds {}% off", 10 + i % 50))
            .r
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    // Every culprit is the spam's alone (records 2,600 on): none takes the host's real mail.
    let culprits: Vec<_> = a
        .top
        .iter()
        .filter(|c| c.verdict() == Verdict::Culprit)
        .collect();
    for c in &culprits {
        assert!(c.members.iter().all(|&m| m >= 2_600), "{c:?}");
    }
    let taken: usize = culprits.iter().map(|c| c.messages).sum();
    assert_eq!(taken, 600, "{:?}", a.top);
    let pattern = verdict_of(
        &a,
        &s,
        ClusterKey::SenderPattern,
        "<random>@bigsave.example",
    );
    assert_eq!(pattern, Verdict::Culprit, "{:?}", a.top);
}
