//! Mix 9: a ring of guessed accounts (guest, scanner, office, test, info and backup at
//! example.com) rotated over five public IPs in three /24s, beside an office's staff behind one
//! NAT IP (20 logins) who also write from home and through the webmail on 127.0.0.1, travellers
//! each from 3-4 places of their own, and inbound mail through qmail-smtpd; then the plan's yank
//! judged by the real qmail-send, and its restore.

use std::collections::{BTreeSet, HashMap};

use rand::Rng;

use super::webmail::{inbound, someone, NAMES, TOPICS};
use super::{score, truth_and_ages, Class, Mixer, HOUR};
use crate::real_qmail::kit::RealQmail;
use crate::real_qmail::{assert_clean, attempted, batch_of, ids, mentions};

/// The accounts the bot guessed.
const RING: [&str; 6] = [
    "guest@example.com",
    "scanner@example.com",
    "office@example.com",
    "test@example.com",
    "info@example.com",
    "backup@example.com",
];
/// The bot's IPs: five, in three /24s; each logs in as every account of the ring.
const RING_IPS: [&str; 5] = [
    "193.32.162.10",
    "193.32.162.11",
    "45.95.169.3",
    "45.95.169.4",
    "80.94.95.7",
];
/// The office's NAT: the one public IP all its staff log in from at work.
const OFFICE_NAT: &str = "203.0.113.10";
/// The webmail's SMTP client on the server itself.
const WEBMAIL: &str = "127.0.0.1";
/// Staff behind the NAT, and travellers.
const STAFF: usize = 20;
const TRAVELLERS: usize = 4;

/// The ring's subjects: a few templates with a number.
const SPAM_SUBJECTS: [&str; 4] = [
    "Your parcel {} is waiting for delivery",
    "Invoice {} overdue: final notice",
    "Re: order #{} confirmation",
    "Account {} suspended - verify now",
];

/// A public address of a home line or a hotel: one a person, nobody else's.
fn own_ip(m: &mut Mixer) -> String {
    let a = m.pick(&["84", "87", "91", "109", "151", "178", "212"]);
    format!(
        "{a}.{}.{}.{}",
        m.rng.gen_range(0..255),
        m.rng.gen_range(0..255),
        m.rng.gen_range(1..255)
    )
}

/// A message of `login`'s from `ip`, as itself, to 1-3 correspondents (now and then a dozen).
fn person(m: &mut Mixer, login: &str, ip: &str, helo: &str, age: u64) {
    let k = match m.rng.gen_bool(0.05) {
        true => 12,
        false => m.rng.gen_range(1..=3),
    };
    let rcpts: Vec<String> = (0..k).map(|_| someone(m)).collect();
    let subject = m.pick(&TOPICS);
    let header = format!(
        "From: {login}\nTo: {}\nSubject: {subject}\nMIME-Version: 1.0\n",
        rcpts.join(", ")
    );
    m.auth(
        (login, ip, helo),
        login,
        &rcpts,
        &header,
        "Hello,\nsee below.\nRegards",
        Class::Real,
        age,
    );
}

/// The real mail: the office's staff (at work through the NAT, at home from their own line or
/// the webmail), travellers from their hotels and airports, webmail-only users, inbound mail.
fn real(m: &mut Mixer) {
    for k in 0..STAFF {
        let login = format!("{}.{}{k}@example.com", m.pick(&NAMES), m.pick(&NAMES));
        let home = own_ip(m);
        let helo = format!("DESKTOP-{k:03}");
        for _ in 0..m.rng.gen_range(4..=20) {
            let age = m.age(48 * HOUR);
            let ip = match m.rng.gen_range(0..100) {
                0..=59 => OFFICE_NAT.to_string(),
                60..=84 => home.clone(),
                _ => WEBMAIL.to_string(),
            };
            person(m, &login, &ip, &helo, age);
        }
    }
    for k in 0..TRAVELLERS {
        let login = format!("{}.sales{k}@example.com", m.pick(&NAMES));
        let places: Vec<String> = (0..m.rng.gen_range(3..=4)).map(|_| own_ip(m)).collect();
        for _ in 0..m.rng.gen_range(6..=15) {
            let age = m.age(48 * HOUR);
            let ip = places[m.rng.gen_range(0..places.len())].clone();
            person(m, &login, &ip, "laptop", age);
        }
    }
    for k in 0..15 {
        let login = format!("{}{k}@example.com", m.pick(&NAMES));
        for _ in 0..m.rng.gen_range(2..=8) {
            let age = m.age(48 * HOUR);
            person(m, &login, WEBMAIL, "mail.example.com", age);
        }
    }
    inbound(m, 400);
}

/// A sales team of three at a trade fair, all their mail of the last two days from where they
/// all are: the hotel's line, the fair's Wi-Fi, the airport's; each also invites a dozen
/// customers to the booth. 20-30 messages each: a salesperson writes ten a day.
fn fair(m: &mut Mixer) {
    let places: Vec<String> = (0..3).map(|_| own_ip(m)).collect();
    for k in 0..3 {
        let login = format!("{}.fair{k}@example.com", m.pick(&NAMES));
        for _ in 0..m.rng.gen_range(20..=30) {
            let age = m.age(48 * HOUR);
            let ip = places[m.rng.gen_range(0..places.len())].clone();
            person(m, &login, &ip, "laptop", age);
        }
        let rcpts: Vec<String> = (0..12).map(|_| someone(m)).collect();
        let header = format!(
            "From: {login}\nTo: {login}\nSubject: Visit us at hall 4, booth 12\nMIME-Version: 1.0\n"
        );
        let age = m.age(24 * HOUR);
        let ip = places[1].clone();
        let door = (login.as_str(), ip.as_str(), "laptop");
        m.auth(door, &login, &rcpts, &header, "See you!", Class::Real, age);
    }
}

/// A harvested address.
fn harvested(m: &mut Mixer) -> String {
    let n = m.rng.gen_range(0..9999);
    let domain = format!("{}{}.com", m.pick(&NAMES), m.rng.gen_range(0..300));
    format!("{}{n}@{domain}", m.pick(&NAMES))
}

/// The ring's spam: `n` messages in the last two hours, each from one of the bot's IPs as one
/// of the accounts, 80% sending as that account, the rest as a made-up sender, to 1-30
/// harvested recipients (Bcc).
fn spam(m: &mut Mixer, n: usize) {
    for _ in 0..n {
        let account = m.pick(&RING);
        let ip = m.pick(&RING_IPS);
        let sender = match m.rng.gen_bool(0.8) {
            true => account.to_string(),
            false => harvested(m),
        };
        let k = m.rng.gen_range(1..=30);
        let rcpts: Vec<String> = (0..k).map(|_| harvested(m)).collect();
        let subject = m
            .pick(&SPAM_SUBJECTS)
            .replace("{}", &m.rng.gen_range(10_000..99_999).to_string());
        let header = format!(
            "From: <{sender}>\nTo: undisclosed-recipients:;\nSubject: {subject}\n\
             MIME-Version: 1.0\nContent-Type: text/html; charset=UTF-8\n"
        );
        let age = m.age(2 * HOUR);
        m.auth(
            (account, ip, "User"),
            &sender,
            &rcpts,
            &header,
            "<a href=x>click</a>",
            Class::Spam,
            age,
        );
    }
}

/// Mix 9: 600 spam, 100 an account, ten times the median login's messages: heavy besides.
pub(super) fn mix(m: &mut Mixer) {
    real(m);
    spam(m, 600);
}

/// Mix 9c: mix 9b and a sales team travelling together, whose three places each log in as
/// its three accounts.
pub(super) fn team(m: &mut Mixer) {
    fair(m);
    light(m);
}

/// Mix 9b: half the spam, each account under ten times the median login: nothing but the ring's
/// shared IPs, its few places and its fan-out to tell it.
pub(super) fn light(m: &mut Mixer) {
    real(m);
    spam(m, 300);
}

/// The messages qmail's own programs count: `qtriage check --json`'s `messages`, asserting it
/// found nothing wrong.
#[track_caller]
fn whole(q: &RealQmail, when: &str) -> u64 {
    let out = q.run(&["check", "--json"], 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("check --json");
    assert_eq!(v["findings"], serde_json::json!([]), "check {when}: {out}");
    v["messages"].as_u64().expect("messages")
}

/// The ring's plan, yanked with qmail-send stopped: the real qmail-send then works through what
/// remains (remote deliveries deferred, local ones to missing users bounced) without a warning
/// and never sees a yanked message, no real message was yanked, and the restore gives every
/// message back to a queue `check` finds whole, which qmail-send takes up again.
#[test]
fn the_rings_plan_yanked_and_restored_under_the_real_qmail_send() {
    let Some(q) =
        RealQmail::acquire("the_rings_plan_yanked_and_restored_under_the_real_qmail_send")
    else {
        return;
    };
    let logs = tempfile::tempdir().expect("logs");
    let mut m = Mixer::new(&q, 41);
    mix(&mut m);
    let s = score(&q, "9, yanked");
    let truth: HashMap<u64, Class> = truth_and_ages(&q);
    let plan: serde_json::Value =
        serde_json::from_str(&q.run(&["plan", "--json"], 0)).expect("plan --json");
    let query = plan["query"].as_str().expect("a plan").to_string();
    let planned = ids(&q, &query);
    let all = ids(&q, "");
    assert_eq!(whole(&q, "before the yank"), all.len() as u64);

    let out = q.run(&["yank", &query, "--apply"], 0);
    let batch = batch_of(&out);
    let rest = ids(&q, "");
    let yanked: BTreeSet<u64> = all.difference(&rest).copied().collect();
    assert_eq!(yanked, planned, "{out}");
    assert!(
        out.starts_with(&format!("yanked {} messages", yanked.len())),
        "{out}"
    );
    let real: Vec<u64> = yanked
        .iter()
        .filter(|id| truth.get(id) != Some(&Class::Spam))
        .copied()
        .collect();
    assert!(real.is_empty(), "real mail yanked: {real:?}; {s:?}");
    q.assert_like_qmail("after the yank");

    let send = q.start_send(&logs.path().join("after-yank.log"));
    send.alarm();
    send.wait_log("a delivery of every remaining message", |l| {
        rest.iter().all(|id| attempted(l, *id))
    });
    q.settled();
    let log = send.stop();
    assert_clean(&log);
    for id in &yanked {
        assert!(!mentions(&log, *id), "yanked #{id} was seen:\n{log}");
    }
    let count = |word: &str| log.lines().filter(|l| l.contains(word)).count();
    println!(
        "real_qmail: ring: {} yanked ({} spam of {}), 0 real; qmail-send: {} log lines, {} \
         deliveries ({} deferred, {} failed), {} bounces, {} warning:/alert: lines",
        yanked.len(),
        s.took(Class::Spam),
        s.n(Class::Spam),
        log.lines().count(),
        count("starting delivery "),
        count(": deferral: "),
        count(": failure: "),
        count("bounce msg "),
        count("warning:") + count("alert:")
    );

    // The restore gives back every yanked message to the queue qmail-send left.
    let left = whole(&q, "after qmail-send");
    let out = q.run(&["restore", "--batch", &batch, "--apply"], 0);
    assert!(
        out.starts_with(&format!("restored {} messages", yanked.len())),
        "{out}"
    );
    assert_eq!(whole(&q, "after the restore"), left + yanked.len() as u64);
    let now = ids(&q, "");
    assert!(yanked.is_subset(&now), "a restored message is missing");
    q.assert_like_qmail("after the restore");
    let send = q.start_send(&logs.path().join("after-restore.log"));
    send.alarm();
    let log = send.wait_log("every restored message taken up", |l| {
        yanked
            .iter()
            .all(|id| l.contains(&format!("new msg {id}\n")))
    });
    drop(send);
    assert_clean(&log);
}
