//! Small mixes through the real qmail that run in seconds: each fix of the audit's misses
//! (mixes 4 and 5b) checked on what the real qmail-send and qmail-inject write.

use super::backscatter::{bounce_here, bounce_here_with, inbound_bounce};
use super::framing::{forged, php};
use super::webmail::{inbound, someone};
use super::{score, Class, Mixer, HOUR};
use crate::real_qmail::kit::RealQmail;

/// The plan's query against the truth: spam taken, real taken, left taken.
fn taken(s: &super::Scored) -> (usize, usize, usize) {
    (
        s.took(Class::Spam),
        s.took(Class::Real),
        s.took(Class::Leave),
    )
}

/// Our bounces of a botnet campaign are taken though remote servers' bounces to our users
/// outnumber them; those, and the bounces of real mistyped mail, stay and are named.
#[test]
fn our_backscatter_is_taken_when_inbound_bounces_outnumber_it() {
    let Some(q) = RealQmail::acquire("our_backscatter_is_taken_when_inbound_bounces_outnumber_it")
    else {
        return;
    };
    let mut m = Mixer::new(&q, 4);
    bounce_here(&mut m, 40, 3);
    for _ in 0..60 {
        inbound_bounce(&mut m);
    }
    inbound(&mut m, 30);
    let s = score(&q, "check 4");
    assert_eq!(
        (s.n(Class::Spam), s.n(Class::Real), s.n(Class::Leave)),
        (40, 33, 60)
    );
    assert_eq!(taken(&s), (40, 0, 0), "{s:?}");
    let plan = q.run(&["plan"], 0);
    assert!(
        plan.contains("60 bounces from remote servers to local users"),
        "{plan}"
    );
}

/// A real bulk sender on a provider's many IPs, one subject, mailing addresses that no longer
/// exist: our bounces to its one return-path domain are its bounce handling, not a campaign's
/// backscatter, and stay; the botnet's, to scattered forged senders, are taken.
#[test]
fn a_bulk_senders_bounces_to_its_return_path_are_not_a_campaign() {
    let Some(q) =
        RealQmail::acquire("a_bulk_senders_bounces_to_its_return_path_are_not_a_campaign")
    else {
        return;
    };
    let mut m = Mixer::new(&q, 6);
    bounce_here_with(&mut m, 30, 0, 30);
    let s = score(&q, "check 4b");
    assert_eq!((s.n(Class::Spam), s.n(Class::Real)), (30, 30));
    assert_eq!(taken(&s), (30, 0, 0), "{s:?}");
}

/// The real contact form's mail, written by PHP's mail() through the real qmail-inject, keeps
/// its script; spam with a forged header naming it is a culprit of its own and the form's mail
/// stays.
#[test]
fn a_forged_php_header_does_not_frame_the_real_form() {
    let Some(q) = RealQmail::acquire("a_forged_php_header_does_not_frame_the_real_form") else {
        return;
    };
    let mut m = Mixer::new(&q, 5);
    for _ in 0..25 {
        let to = someone(&mut m);
        let age = m.age(24 * HOUR);
        let extra = "From: Example Shop <noreply@example.com>\nMIME-Version: 1.0\n";
        php(
            &mut m,
            "contact.php",
            &to,
            "We received your message",
            extra,
            age,
        );
    }
    for _ in 0..40 {
        forged(&mut m);
    }
    inbound(&mut m, 60);
    let s = score(&q, "check 5b");
    assert_eq!(taken(&s), (40, 0, 0), "{s:?}");
    let clusters = q.run(&["clusters", "--by", "script"], 0);
    assert!(
        clusters.contains("contact.php (forged header)"),
        "{clusters}"
    );
}
