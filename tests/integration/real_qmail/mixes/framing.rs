//! Mix 5b: spam injected with `sendmail -t` by a site owner's compromised shell account
//! (uid 1001) carries a forged `X-PHP-Originating-Script: 48:contact.php`, the name of the
//! shop's real contact form, placed among the headers as the spammer wrote them; the real
//! form (PHP's mail() as uid 48: To, Subject, then its header, as PHP writes them) and the
//! shop's order mails, AUTH users and inbound mail beside it.

use rand::Rng;

use super::webmail::{inbound, someone};
use super::{Class, Mixer, HOUR, MIN};

/// The web server (mod_php) and the compromised account.
const APACHE: (u32, u32) = (48, 48);
const WEBDEV: (u32, u32) = (1001, 1001);

/// PHP's mail(): `To:` and `Subject:` first, then its own header, then the script's.
pub(super) fn php(m: &mut Mixer, script: &str, to: &str, subject: &str, extra: &str, age: u64) {
    let header =
        format!("To: {to}\nSubject: {subject}\nX-PHP-Originating-Script: 48:{script}\n{extra}");
    m.sendmail(APACHE, "apache", &header, "Thank you.", Class::Real, age);
}

/// Mix 5b.
pub(super) fn mix(m: &mut Mixer) {
    let shop = "From: Example Shop <noreply@example.com>\nReply-To: info@example.com\n\
                MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\n";
    // The contact form: a confirmation to the visitor, a notice to the shop.
    for _ in 0..40 {
        let visitor = someone(m);
        let age = m.age(48 * HOUR);
        php(
            m,
            "contact.php",
            &visitor,
            "We received your message",
            shop,
            age,
        );
        let subject = format!("Contact form: message from {visitor}");
        php(m, "contact.php", "info@example.com", &subject, shop, age);
    }
    // The shop's order confirmations.
    for _ in 0..150 {
        let buyer = someone(m);
        let order = m.rng.gen_range(10_000..99_999);
        let age = m.age(48 * HOUR);
        let subject = format!("Your order {order} at Example Shop");
        php(m, "order.php", &buyer, &subject, shop, age);
    }
    // Accounts sending as themselves from the office.
    for _ in 0..120 {
        let login = format!("{}@example.com", m.pick(&super::webmail::NAMES));
        let to = vec![someone(m)];
        let header = format!("From: {login}\nTo: {}\nSubject: Re: samples\n", to[0]);
        let age = m.age(24 * HOUR);
        let door = (login.as_str(), "203.0.113.10", "office-pc");
        m.auth(door, &login, &to, &header, "see attached", Class::Real, age);
    }
    inbound(m, 550);
    // webdev's own cron mail, to its local mailbox.
    for i in 0..10 {
        let header = format!(
            "To: webdev@example.com\nSubject: Cron <webdev@mail> /home/webdev/backup.sh ({i})\n"
        );
        let age = m.age(48 * HOUR);
        m.sendmail(WEBDEV, "webdev", &header, "backup done", Class::Real, age);
    }
    // The spam, in the last 40 minutes.
    for _ in 0..400 {
        forged(m);
    }
}

/// One spam message from webdev's account, with the contact form's name in a header the
/// spammer wrote below the MIME fields.
pub(super) fn forged(m: &mut Mixer) {
    let victim = someone(m);
    let case = m.rng.gen_range(100_000..999_999);
    let header = format!(
        "From: PayPal <service@paypal-secure-center.com>\nTo: {victim}\nSubject: Your account \
         has been limited (case #{case})\nMIME-Version: 1.0\nContent-Type: text/html; \
         charset=UTF-8\nX-PHP-Originating-Script: 48:contact.php\nX-Mailer: PHP/7.4.33\n"
    );
    let age = m.age(40 * MIN);
    m.sendmail(
        WEBDEV,
        "webdev",
        &header,
        "<a href=x>verify</a>",
        Class::Spam,
        age,
    );
}
