//! Credential stuffing (`stuffing.rs`): one campaign through many stolen logins is taken; the
//! people it resembles (a greeting sent from phone and home, a reply-all storm, a franchise's
//! agents from their offices) are not.
use std::sync::Arc;

use super::tests::{people, Rec, NOW};
use super::*;
use crate::analysis::{analyse, Analysis, AnalysisContext, AnalysisInput, Want};
use crate::queue::{Channel, MessageRecord};

/// What the 25 points' reason starts with.
const SPREAD: &str = "one subject sent through ";
/// What the 15 points' reason ends with.
const HARVESTED: &str = "a harvested list";

/// `logins` accounts of example.com sending `each` messages of `subject` as themselves, to
/// `rcpts` remote recipients (each message its own), every message from an IP of its own
/// network when `roving`, else each login from one IP.
fn sent_through(
    s: &Interner,
    logins: u64,
    each: u64,
    subject: &str,
    rcpts: usize,
    roving: bool,
) -> Vec<MessageRecord> {
    let mut out = Vec::new();
    for l in 0..logins {
        let login = format!("stolen{l}@example.com");
        for k in 0..each {
            // A /24 of its own for each message, or for each login (its office's IPs).
            let (n, host) = if roving {
                (l * each + k, 7)
            } else {
                (l, 3 + k)
            };
            let ip = format!("{}.{}.9.{host}", 20 + n / 250, n % 250);
            let mut r = Rec::new(s, 10_000 + l * each + k)
                .auth(&login, &ip)
                .sender(&login)
                .rcpts(Channel::Remote, rcpts)
                .subject(&subject.replace('#', &(l * 7 + k).to_string()))
                .r;
            r.headers.from = r.sender;
            out.push(r);
        }
    }
    out
}

fn analysed(records: Vec<MessageRecord>, s: Arc<Interner>) -> Analysis {
    let ctx = AnalysisContext {
        now: NOW,
        local_domains: vec!["example.com".into()],
        ..Default::default()
    };
    analyse(AnalysisInput {
        records,
        strings: s,
        ctx,
        key: ClusterKey::Subject,
        top_limit: 20,
        want: Want::Both,
    })
}

/// The subject cluster of `template`.
fn subject<'a>(a: &'a Analysis, template: &str) -> &'a Cluster {
    let s = &a.strings;
    (a.clusters.iter())
        .find(|c| c.value.map(|v| v.text(s)).as_deref() == Some(template))
        .unwrap_or_else(|| panic!("no subject {template:?}: {:#?}", a.clusters))
}

fn says(c: &Cluster, words: &str) -> bool {
    c.reasons.iter().any(|r| r.contains(words))
}

/// 300 stolen accounts are in `campus`; here 40, three messages each, each message from another
/// botnet IP, to 12 harvested recipients: the subject is a culprit, the plan's first line, and
/// its reasons name the logins; no login alone is.
#[test]
fn one_campaign_through_many_roving_logins_is_a_culprit() {
    let s = Arc::new(Interner::new());
    let mut records = people(&s);
    records.extend(sent_through(
        &s,
        40,
        3,
        "Document shared with you #",
        12,
        true,
    ));
    let a = analysed(records, s.clone());
    let c = subject(&a, "Document shared with you #");
    assert!(c.score >= CULPRIT_SCORE, "{c:#?}");
    assert!(says(c, SPREAD) && says(c, HARVESTED), "{:#?}", c.reasons);
    assert!(c.reasons[0].ends_with(points::STUFFED), "{}", c.reasons[0]);
    assert!(says(c, "stolen0@example.com 3"), "{:#?}", c.reasons);
    let first = &a.top[0];
    assert_eq!(
        (first.key, first.messages, first.verdict()),
        (ClusterKey::Subject, 120, Verdict::Culprit)
    );
    let culprits: Vec<_> = a
        .top
        .iter()
        .filter(|c| c.verdict() == Verdict::Culprit)
        .map(|c| (c.key, c.messages))
        .collect();
    assert_eq!(culprits, [(ClusterKey::Subject, 120)], "{:#?}", a.top);
}

/// Forty people sending the same greeting twice, from their phone and from home, to five
/// friends each: the spread fires, but without a wide fan-out they stay below 40.
#[test]
fn a_greeting_sent_from_phone_and_home_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let mut records = people(&s);
    records.extend(sent_through(&s, 40, 2, "Frohe Weihnachten", 5, true));
    let a = analysed(records, s.clone());
    let c = subject(&a, "Frohe Weihnachten");
    assert!(says(c, SPREAD), "{:#?}", c.reasons);
    assert!(!says(c, HARVESTED), "{:#?}", c.reasons);
    assert!(c.score < CULPRIT_SCORE, "{c:#?}");
}

/// Thirty colleagues replying to all, twice each from two places, to the same 12 outside
/// addresses: a wide fan-out, but every message to the same first recipient.
#[test]
fn a_reply_all_storm_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let mut records = people(&s);
    let list: Vec<String> = (0..12)
        .map(|i| format!("p{i}@partner{i}.example"))
        .collect();
    for mut r in sent_through(&s, 30, 2, "Re: Messe 2027", 1, true) {
        crate::fixture::record::with_recipients(&mut r, &s, Channel::Remote, &list);
        records.push(r);
    }
    let a = analysed(records, s.clone());
    let c = subject(&a, "Re: Messe #");
    assert!(says(c, SPREAD), "{:#?}", c.reasons);
    assert!(!says(c, HARVESTED), "{:#?}", c.reasons);
    assert!(c.score < CULPRIT_SCORE, "{c:#?}");
}

/// A franchise's 40 agents each sending its offer from their own office to 12 customers of
/// theirs: many logins and networks, one subject, but no login used from another place.
#[test]
fn agents_each_writing_from_their_own_office_are_no_campaign() {
    let s = Arc::new(Interner::new());
    let mut records = people(&s);
    records.extend(sent_through(&s, 40, 3, "Angebot Sommerreise #", 12, false));
    let a = analysed(records, s.clone());
    let c = subject(&a, "Angebot Sommerreise #");
    assert!(!says(c, SPREAD), "{:#?}", c.reasons);
    assert!(c.score < SUSPECT_SCORE, "{c:#?}");
}

/// Limits, said: each stolen login used once is not told from people (one message each is no
/// roving login), and a campaign with no subject names none.
#[test]
fn one_message_a_login_or_no_subject_names_no_campaign() {
    let s = Arc::new(Interner::new());
    let mut records = people(&s);
    records.extend(sent_through(
        &s,
        120,
        1,
        "Document shared with you #",
        12,
        true,
    ));
    let a = analysed(records, s.clone());
    let c = subject(&a, "Document shared with you #");
    assert!(!says(c, SPREAD), "{:#?}", c.reasons);

    let s = Arc::new(Interner::new());
    let mut records = people(&s);
    records.extend(sent_through(&s, 40, 3, "", 12, true));
    let a = analysed(records, s.clone());
    let c = subject(&a, "");
    assert!(!says(c, SPREAD), "{:#?}", c.reasons);
}
