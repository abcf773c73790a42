//! Mix 4: backscatter both ways. A botnet's spam with forged remote senders arrives for local
//! users that do not exist and the real qmail-send bounces it to the forged senders (our
//! backscatter, deferred: nothing listens where smtproutes points); a few real correspondents'
//! mistyped addresses bounce the same way. Then, with qmail-send stopped as for a triage,
//! remote servers' bounces of spam forged as our users arrive (more of them than ours), with
//! real mail beside them.

use rand::Rng;

use super::webmail::{inbound, someone, NAMES, PARTNERS};
use super::{Class, Mixer, HOUR, MIN};

/// Our users, whom a joe-job forges.
const USERS: [&str; 5] = ["sales", "info", "anna", "ben", "carla"];

/// Spam that bounces here; real mail to mistyped addresses that bounces here.
const SPAM: usize = 900;
const TYPOS: usize = 40;
/// Remote servers' bounces to our users.
const INBOUND_BOUNCES: usize = 1_234;

/// A botnet address.
fn bot_ip(m: &mut Mixer) -> String {
    let a = m.pick(&["41", "77", "93", "105", "117", "186", "190", "201"]);
    format!(
        "{a}.{}.{}.{}",
        m.rng.gen_range(0..255),
        m.rng.gen_range(0..255),
        m.rng.gen_range(1..255)
    )
}

/// `spam` botnet messages and `typos` real ones to missing local users, bounced by the real
/// qmail-send (started and stopped here) to their senders, where they are deferred.
pub(super) fn bounce_here(m: &mut Mixer, spam: usize, typos: usize) {
    bounce_here_with(m, spam, typos, 0);
}

/// [`bounce_here`] plus `newsletter` messages of a real bulk sender on a provider's 30 IPs,
/// one subject, each to a missing local user, whose bounces go to its return-path domain.
pub(super) fn bounce_here_with(m: &mut Mixer, spam: usize, typos: usize, newsletter: usize) {
    let log = std::env::temp_dir().join(format!("qtriage-mix4-{}.log", std::process::id()));
    let send = m.q.start_send(&log);
    for i in 0..newsletter {
        let ip = format!("198.18.7.{}", 10 + i % 30);
        let sender = format!("bounce-{i}-list@mail.esp.example");
        let rcpt = vec![format!("former{i}@example.com")];
        let header = format!(
            "From: Shop News <news@shop.example>\nTo: {}\nSubject: Our December offers\n",
            rcpt[0]
        );
        let age = m.age(3 * HOUR);
        let helo = format!("out{}.esp.example", i % 30);
        m.smtp(
            (&ip, &helo),
            &sender,
            &rcpt,
            &header,
            "offers",
            Class::Real,
            age,
        );
    }
    let bots: Vec<String> = (0..300).map(|_| bot_ip(m)).collect();
    for _ in 0..spam {
        let ip = bots[m.rng.gen_range(0..bots.len())].clone();
        let helo = format!("{}-pc", m.pick(&NAMES));
        let n = m.rng.gen_range(0..99_999);
        let sender = format!("{}{n}@{}", m.pick(&NAMES), m.pick(&PARTNERS));
        let rcpt = vec![format!("{}{}@example.com", m.pick(&NAMES), n % 977)];
        let parcel = m.rng.gen_range(1_000_000..9_999_999);
        let header = format!(
            "From: {sender}\nTo: {}\nSubject: Your parcel {parcel} is waiting for delivery\n",
            rcpt[0]
        );
        let age = m.age(2 * HOUR);
        m.smtp(
            (&ip, &helo),
            &sender,
            &rcpt,
            &header,
            "track it",
            Class::Spam,
            age,
        );
    }
    for i in 0..typos {
        let from = someone(m);
        let domain = from.rsplit('@').next().unwrap_or("x").to_string();
        let ip = format!("198.51.{}.{}", 100 + i, m.rng.gen_range(1..250));
        let helo = format!("mx.{domain}");
        let typo = m.pick(&["saels", "infp", "anan", "benn", "carl"]);
        let rcpt = vec![format!("{typo}@example.com")];
        let subject = m.pick(&super::webmail::TOPICS);
        let header = format!("From: {from}\nTo: {}\nSubject: {subject}\n", rcpt[0]);
        let age = m.age(6 * HOUR);
        m.smtp(
            (&ip, &helo),
            &from,
            &rcpt,
            &header,
            "hello",
            Class::Real,
            age,
        );
    }
    send.wait_log("a bounce of every message to a missing user", |l| {
        l.lines().filter(|x| x.starts_with("bounce msg ")).count() >= spam + typos + newsletter
    });
    m.q.settled();
    let _ = send.stop();
    let _ = std::fs::remove_file(&log);
}

/// A remote server's bounce of a joe-job's spam sent as one of our users: a Postfix DSN
/// (the copy's Received lines are the remote server's), or a qmail one (its copy starts with
/// qmail-queue's and qmail-smtpd's lines, naming the botnet's IP).
pub(super) fn inbound_bounce(m: &mut Mixer) {
    let user = format!("{}@example.com", m.pick(&USERS));
    let mx = format!("mx{}.{}", m.rng.gen_range(1..4), m.pick(&PARTNERS));
    let ip = format!("192.0.2.{}", m.rng.gen_range(1..250));
    let bot = bot_ip(m);
    let victim = someone(m);
    let n = m.rng.gen_range(0..99_999);
    let copy =
        format!("From: {user}\nTo: {victim}\nSubject: Cheap meds, order {n} today\n\nbuy now\n");
    let (header, text) = if m.rng.gen_bool(0.3) {
        let header = format!("From: MAILER-DAEMON@{mx}\nTo: {user}\nSubject: failure notice\n");
        let text = format!(
            "Hi. This is the qmail-send program at {mx}.\nI'm afraid I wasn't able to deliver \
             your message to the following addresses.\n\n<{victim}>:\nSorry, no mailbox here \
             by that name. (#5.1.1)\n\n--- Below this line is a copy of the message.\n\n\
             Return-Path: <{user}>\nReceived: (qmail 4242 invoked from network); 4 Dec 2026 \
             19:00:00 -0000\nReceived: from unknown (HELO User) ({bot})\n  by {mx} with SMTP; \
             4 Dec 2026 19:00:00 -0000\n{copy}"
        );
        (header, text)
    } else {
        let header = format!(
            "From: MAILER-DAEMON@{mx} (Mail Delivery System)\nTo: {user}\nSubject: Undelivered \
             Mail Returned to Sender\nMIME-Version: 1.0\nContent-Type: multipart/report; \
             report-type=delivery-status; boundary=\"b1\"\n"
        );
        let text = format!(
            "--b1\nContent-Type: text/plain\n\nThis is the mail system at host {mx}.\nI'm \
             sorry to have to inform you that your message could not be delivered.\n\n--b1\n\
             Content-Type: message/rfc822\n\nReceived: from User (unknown [{bot}])\n\tby {mx} \
             (Postfix) with ESMTP id 4F2A1; Fri,  4 Dec 2026 19:00:00 +0000 (UTC)\n{copy}--b1--"
        );
        (header, text)
    };
    let age = m.age(3 * HOUR);
    let rcpt = vec![user];
    m.smtp((&ip, &mx), "", &rcpt, &header, &text, Class::Leave, age);
}

/// Mix 4.
pub(super) fn mix(m: &mut Mixer) {
    bounce_here(m, SPAM, TYPOS);
    for _ in 0..INBOUND_BOUNCES {
        inbound_bounce(m);
    }
    inbound(m, 600);
    for _ in 0..400 {
        let login = format!("{}@example.com", m.pick(&USERS));
        let to = vec![someone(m)];
        let header = format!("From: {login}\nTo: {}\nSubject: Re: your order\n", to[0]);
        let age = m.age(24 * HOUR);
        let door = (login.as_str(), "203.0.113.10", "office-pc");
        m.auth(door, &login, &to, &header, "thanks", Class::Real, age);
    }
    for _ in 0..100 {
        let to = someone(m);
        let order = m.rng.gen_range(10_000..99_999);
        let header = format!(
            "To: {to}\nSubject: Your order {order}\nX-PHP-Originating-Script: 48:order.php\n\
             From: Example Shop <noreply@example.com>\n"
        );
        let age = m.age(30 * MIN + 24 * HOUR);
        m.sendmail((48, 48), "apache", &header, "thanks", Class::Real, age);
    }
}
