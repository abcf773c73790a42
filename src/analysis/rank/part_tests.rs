//! A part of a held login's mail is held with it (`part.rs`): an agency's one client's
//! newsletter, as its own sender pattern, is judged as the agency is.
use std::sync::Arc;

use super::tests::{guessed_password, people, Rec, NOW};
use super::*;
use crate::analysis::cluster::{cluster, AnalysisContext};
use crate::queue::{Channel, MessageRecord};

/// `n` messages of `login` from one IP as `sender`, one recipient each, one subject.
fn newsletter(s: &Interner, first: u64, login: &str, n: u64, sender: &str) -> Vec<MessageRecord> {
    (0..n)
        .map(|i| {
            let mut r = Rec::new(s, first + i)
                .auth(login, "91.198.45.20")
                .sender(sender)
                .rcpts(Channel::Remote, 1)
                .subject(&format!("{sender}: this month's offers"))
                .r;
            r.headers.from = Some(s.intern(sender.as_bytes()));
            r
        })
        .collect()
}

fn ctx() -> AnalysisContext {
    AnalysisContext {
        now: NOW,
        local_domains: vec!["example.com".to_string()],
        ..Default::default()
    }
}

/// The sender-pattern cluster of `value` in `recs`.
fn pattern(recs: &[MessageRecord], s: &Interner, value: &str) -> Cluster {
    cluster(recs, ClusterKey::SenderPattern, s, &ctx())
        .into_iter()
        .find(|c| c.value.map(|v| v.text(s)).as_deref() == Some(value))
        .unwrap_or_else(|| panic!("{value} clustered"))
}

/// The agency's five clients, 300 messages each in the last ten minutes: each client's
/// pattern has the agency's "senders not its own" (25), one subject (10), its share and a rate
/// of 5 a minute (5), over 40 on its own, as `agency-forward`'s were from 10,000 messages on.
/// The agency's login, seen whole, is held; so is each part of it.
#[test]
fn one_clients_newsletter_of_a_held_agency_is_held_with_it() {
    let s = Arc::new(Interner::new());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    for k in 0..5u64 {
        let sender = format!("news@client{k}.example");
        recs.extend(newsletter(
            &s,
            100_000 + 1_000 * k,
            "versand@agentur-hell.de",
            300,
            &sender,
        ));
    }
    let logins = cluster(&recs, ClusterKey::AuthUser, &s, &ctx());
    let agency = (logins.iter())
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("versand@agentur-hell.de"))
        .expect("the agency clustered");
    assert_eq!(agency.verdict(), Verdict::Suspect, "{agency:#?}");
    for k in 0..5u64 {
        let c = pattern(&recs, &s, &format!("news@client{k}.example"));
        assert_eq!(c.verdict(), Verdict::Suspect, "{c:#?}");
        assert!(
            c.reasons.iter().any(|r| {
                r.contains(
                "all its messages are AUTH user versand@agentur-hell.de's, whose whole mail is held"
            )
            }),
            "{:#?}",
            c.reasons
        );
        // Over 40 by its own points: what holds it is its login.
        let own: f64 = (c.reasons.iter().skip(1))
            .filter_map(|r| {
                r.rsplit_once(" (+")?
                    .1
                    .strip_suffix(')')?
                    .parse::<f64>()
                    .ok()
            })
            .sum();
        assert!(own >= CULPRIT_SCORE, "{own}: {:#?}", c.reasons);
    }
}

/// A guessed login phishing from one IP as one forged sender is a culprit (one sender domain is
/// no agency's clients), and so is its sender's pattern: a part of a login that is not held
/// is judged on its own.
#[test]
fn a_part_of_a_login_that_is_not_held_stays_a_culprit() {
    let s = Arc::new(Interner::new());
    let mut recs = people(&s);
    recs.extend(newsletter(
        &s,
        100_000,
        "test@example.com",
        300,
        "kbradford@philadefender.org",
    ));
    let logins = cluster(&recs, ClusterKey::AuthUser, &s, &ctx());
    let test = (logins.iter())
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("test@example.com"))
        .expect("test clustered");
    assert_eq!(test.verdict(), Verdict::Culprit, "{test:#?}");
    let c = pattern(&recs, &s, "kbradford@philadefender.org");
    assert_eq!(c.verdict(), Verdict::Culprit, "{c:#?}");
}
