//! A stolen login's owner mailing on, through the real qmail (mix61's queue C in small): the
//! plan takes what the botnet sent with her password and leaves what she sent from home, which
//! her husband's login uses too.

use rand::Rng;

use super::webmail::{inbound, someone};
use super::{score, Class, Mixer, HOUR};
use crate::real_qmail::kit::RealQmail;

/// Her home line, her husband's too.
const HOME: &str = "91.73.158.184";
/// The stolen login.
const STOLEN: &str = "xenia.lopez@example.com";

/// One message of `login`'s from `ip`, as itself, to one address; `class` its truth.
fn send(m: &mut Mixer, (login, ip): (&str, &str), subject: &str, class: Class) {
    let to = vec![someone(m)];
    let age = m.age(24 * HOUR);
    let header = format!("From: {login}\nTo: {}\nSubject: {subject}\n", to[0]);
    let helo = if class == Class::Spam {
        "User"
    } else {
        "laptop"
    };
    m.auth((login, ip, helo), login, &to, &header, "Hello", class, age);
}

#[test]
fn a_stolen_logins_mail_from_its_owners_home_is_left() {
    let Some(q) = RealQmail::acquire("a_stolen_logins_mail_from_its_owners_home_is_left") else {
        return;
    };
    let mut m = Mixer::new(&q, 61);
    for bot in 0..40u32 {
        let ip = format!(
            "{}.{}.{}.{}",
            23 + bot % 150,
            bot * 7 % 256,
            bot * 13 % 256,
            9
        );
        for _ in 0..3 {
            let subject = format!("Your parcel {} is waiting", m.rng.gen_range(100..999));
            send(&mut m, (STOLEN, &ip), &subject, Class::Spam);
        }
    }
    for k in 0..8 {
        send(
            &mut m,
            (STOLEN, HOME),
            &format!("Re: dinner {k}"),
            Class::Real,
        );
    }
    for k in 0..4 {
        let subject = format!("Training {k}");
        send(
            &mut m,
            ("tom.lopez@example.com", HOME),
            &subject,
            Class::Real,
        );
    }
    for c in 0..10u32 {
        let login = format!("colleague{c}@example.com");
        let ip = format!("198.51.100.{}", 10 + c);
        for n in 0..3 {
            send(
                &mut m,
                (&login, &ip),
                &format!("Offer {c}-{n}"),
                Class::Real,
            );
        }
    }
    inbound(&mut m, 30);
    let s = score(&q, "owner 61");
    assert_eq!((s.n(Class::Spam), s.n(Class::Real)), (120, 72), "{s:?}");
    assert_eq!(
        (s.took(Class::Spam), s.took(Class::Real)),
        (120, 0),
        "{s:?}"
    );
    let plan = q.run(&["plan"], 0);
    assert!(
        plan.contains(&format!(
            "not taken: 8 of its messages, from 1 IP other logins (none suspected) use too \
             ({HOME} 8): likely its owner's own mail"
        )),
        "{plan}"
    );
}
