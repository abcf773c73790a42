//! Mix 6: a compromised webmail account (roundcube on 127.0.0.1 logging in as
//! `sales@example.com`) spamming as itself, beside the webmail's other accounts, a newsletter,
//! an events account sending to 25 people at once, a help desk, and inbound mail.

use super::{Class, Mixer, HOUR, MIN};

/// Everyone's webmail: roundcube's SMTP client on the server itself.
const WEBMAIL: (&str, &str) = ("127.0.0.1", "mail.example.com");

/// Domains real correspondents write from.
pub(super) const PARTNERS: [&str; 24] = [
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "gmx.de",
    "web.de",
    "orange.fr",
    "libero.it",
    "acme-supplies.com",
    "northwind.co.uk",
    "contoso.nl",
    "fabrikam.de",
    "globex.us",
    "initech.com",
    "umbrella.org",
    "hooli.io",
    "stark-industries.com",
    "wayne-ent.com",
    "tyrell.example.net",
    "cyberdyne.fr",
    "soylent.es",
    "wonka.ch",
    "oscorp.at",
    "vandelay.pl",
];

/// First names, for people and addresses.
pub(super) const NAMES: [&str; 20] = [
    "anna", "ben", "carla", "dieter", "emma", "felix", "greta", "hugo", "ines", "jonas", "karin",
    "lars", "maria", "nils", "olga", "paul", "rosa", "sven", "tina", "ugo",
];

/// Subjects people write.
pub(super) const TOPICS: [&str; 16] = [
    "Meeting on Thursday",
    "Re: quote for the new shelves",
    "Invoice question",
    "Holiday plans",
    "Re: Re: contract draft",
    "Photos from the fair",
    "Delivery next week?",
    "Lunch",
    "Fwd: price list 2027",
    "Re: your order",
    "Minutes of the call",
    "Can you call me back",
    "Re: samples",
    "Training dates",
    "Re: the new brochure",
    "Thanks!",
];

/// A correspondent at one of [`PARTNERS`].
pub(super) fn someone(m: &mut Mixer) -> String {
    let name = m.pick(&NAMES);
    let last = m.pick(&NAMES);
    let domain = m.pick(&PARTNERS);
    format!("{name}.{last}@{domain}")
}

/// A message through the webmail as `login`, sending as itself.
#[allow(clippy::too_many_arguments)]
fn webmail(
    m: &mut Mixer,
    login: &str,
    rcpts: &[String],
    extra: &str,
    to_header: &str,
    subject: &str,
    class: Class,
    age: u64,
) {
    let header = format!(
        "Date: Fri, 4 Dec 2026 20:00:00 +0000\nFrom: {login}\nTo: {to_header}\nSubject: \
         {subject}\n{extra}User-Agent: Roundcube Webmail/1.6.9\nMIME-Version: 1.0\n\
         Content-Type: text/plain; charset=UTF-8\n"
    );
    m.auth(
        (login, WEBMAIL.0, WEBMAIL.1),
        login,
        rcpts,
        &header,
        "Hello,\nplease see below.\nRegards",
        class,
        age,
    );
}

/// The real mail: 60 accounts writing a handful each, a newsletter, an events list, a help desk,
/// inbound mail.
fn real(m: &mut Mixer) {
    for k in 0..60 {
        let login = format!("{}{k}@example.com", m.pick(&NAMES));
        let n = m.rng.gen_range(3..=15);
        for _ in 0..n {
            let k = m.rng.gen_range(1..=3);
            let rcpts: Vec<String> = (0..k).map(|_| someone(m)).collect();
            let subject = m.pick(&TOPICS).to_string();
            let age = m.age(48 * HOUR);
            let to = rcpts.join(", ");
            webmail(m, &login, &rcpts, "", &to, &subject, Class::Real, age);
        }
    }
    // December's newsletter, just sent, one subscriber a message.
    for i in 0..300 {
        let rcpts = vec![format!("{}{i}@{}", m.pick(&NAMES), m.pick(&PARTNERS))];
        let age = m.age(50 * MIN);
        let subject = "Example Co. newsletter: our December offers";
        let to = rcpts[0].clone();
        webmail(
            m,
            "news@example.com",
            &rcpts,
            "",
            &to,
            subject,
            Class::Real,
            age,
        );
    }
    // The club's invitations, 25 members a message (Bcc), replies to the account.
    for i in 0..40 {
        let rcpts: Vec<String> = (0..25).map(|_| someone(m)).collect();
        let age = m.age(6 * HOUR);
        let subject = format!("Invitation: members' evening on {} December", 10 + i % 5);
        let extra = "Reply-To: events@example.com\n";
        let to = "events@example.com";
        webmail(
            m,
            "events@example.com",
            &rcpts,
            extra,
            to,
            &subject,
            Class::Real,
            age,
        );
    }
    // The help desk's replies, one customer each, over the working day.
    for _ in 0..250 {
        let rcpts = vec![someone(m)];
        let ticket = m.rng.gen_range(10_000..99_999);
        let topic = m.pick(&TOPICS);
        let subject = format!("Re: [Ticket #{ticket}] {topic}");
        let age = m.age(8 * HOUR);
        let extra = "Reply-To: support@example.com\n";
        let to = rcpts[0].clone();
        webmail(
            m,
            "support@example.com",
            &rcpts,
            extra,
            &to,
            &subject,
            Class::Real,
            age,
        );
    }
    inbound(m, 450);
}

/// `n` messages from correspondents' servers to local users, through qmail-smtpd.
pub(super) fn inbound(m: &mut Mixer, n: usize) {
    for _ in 0..n {
        let from = someone(m);
        let domain = from.rsplit('@').next().unwrap_or("x").to_string();
        let ip = format!(
            "198.51.{}.{}",
            m.rng.gen_range(0..40),
            m.rng.gen_range(1..250)
        );
        let helo = format!("mx.{domain}");
        let rcpt = vec![format!("{}@example.com", m.pick(&NAMES))];
        let subject = m.pick(&TOPICS);
        let header = format!("From: {from}\nTo: {}\nSubject: {subject}\n", rcpt[0]);
        let age = m.age(24 * HOUR);
        m.smtp((&ip, &helo), &from, &rcpt, &header, "hi", Class::Real, age);
    }
}

/// The spam: 700 messages as `sales@example.com` itself, 8-40 harvested recipients each (Bcc),
/// one subject template, in the last 50 minutes; replies diverted to a freemail address when
/// `diverted`.
fn spam(m: &mut Mixer, diverted: bool) {
    for _ in 0..700 {
        let k = m.rng.gen_range(8..=40);
        let rcpts: Vec<String> = (0..k)
            .map(|_| {
                let n = m.rng.gen_range(0..9999);
                let domain = format!("{}{}.com", m.pick(&NAMES), m.rng.gen_range(0..300));
                format!("{}{n}@{domain}", m.pick(&NAMES))
            })
            .collect();
        let inv = m.rng.gen_range(100_000..999_999);
        let subject = format!("Outstanding invoice INV-{inv}: payment due");
        let extra = match diverted {
            true => "Reply-To: Sales Department <sales.dept.payments@outlook.com>\n",
            false => "",
        };
        let age = m.age(50 * MIN);
        let to = "undisclosed-recipients:;";
        webmail(
            m,
            "sales@example.com",
            &rcpts,
            extra,
            to,
            &subject,
            Class::Spam,
            age,
        );
    }
}

/// Mix 6: the spam's replies go to another domain.
pub(super) fn diverted(m: &mut Mixer) {
    real(m);
    spam(m, true);
}

/// Mix 6b: nothing but its volume, fan-out and template tells the spam.
pub(super) fn plain(m: &mut Mixer) {
    real(m);
    spam(m, false);
}

use rand::Rng;
