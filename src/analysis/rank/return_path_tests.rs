//! Return paths at domains not the login's (`agency-verp`, `crm-bounce`): an envelope sender
//! that is not the From, where bounces go (one per recipient at a client's domain, a CRM's
//! bounce domain), beside spam writing generated names as itself.
use std::sync::Arc;

use super::tests::{guessed_password, people, run, Rec};
use super::*;
use crate::analysis::Analysis;
use crate::queue::{Channel, MessageRecord};

/// Ids from 100,000 up are the senders' under test.
const FIRST: u64 = 100_000;

/// A message of `login` from `ip` to one recipient, its envelope sender `sender` and its From
/// `from`, its subject `subject`.
fn message(
    s: &Interner,
    id: u64,
    (login, ip): (&str, &str),
    sender: &str,
    from: &str,
    subject: &str,
) -> MessageRecord {
    let mut r = Rec::new(s, id)
        .auth(login, ip)
        .sender(sender)
        .rcpts(Channel::Remote, 1)
        .subject(subject)
        .r;
    r.headers.from = Some(s.intern(from.as_bytes()));
    r
}

/// The culprits' messages with ids in `ids`.
fn taken(a: &Analysis, ids: std::ops::Range<u64>) -> usize {
    let mut seen = rustc_hash::FxHashSet::default();
    (a.top.iter())
        .filter(|c| c.verdict() == Verdict::Culprit)
        .flat_map(|c| c.members.iter())
        .filter(|&&i| ids.contains(&a.records[i as usize].id.0) && seen.insert(i))
        .count()
}

/// The agency of `agency-forward`: four clients' newsletters as `news@CLIENT`, 40 each, and a
/// fifth's with one return path per recipient at the client's domain
/// (`news-3f9a06c2d1@client4.example`, From `news@client4.example`), 160, from its office.
fn agency(s: &Interner) -> Vec<MessageRecord> {
    let office = ("versand@agentur-hell.de", "91.198.45.20");
    let mut out = Vec::new();
    for k in 0..4u64 {
        let client = format!("news@client{k}.example");
        let subject = format!("Client {k}: offers");
        out.extend(
            (0..40).map(|i| message(s, FIRST + 1_000 * k + i, office, &client, &client, &subject)),
        );
    }
    out.extend((0..160u64).map(|i| {
        let sender = format!("news-{:010x}@client4.example", i * 7919 + 13);
        let from = "news@client4.example";
        message(
            s,
            FIRST + 4_000 + i,
            office,
            &sender,
            from,
            "Last minute offers",
        )
    }));
    out
}

/// One client's per-recipient return paths made the agency "sending as 164 different
/// addresses" (15 more than its four clients' senders): a culprit at 52-62 on `agency-verp`,
/// its 800 messages (2,000) taken; and their pattern, `<random>@client4.example`, was forged
/// names (15). The return path is not who writes: the From is, one address.
#[test]
fn an_agency_sending_one_clients_newsletter_with_return_paths_per_recipient_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    recs.extend(agency(&s));
    let mut a = run(recs, s.clone(), &["example.com"]);
    assert_eq!(taken(&a, FIRST..FIRST + 10_000), 0, "{:#?}", a.top);
    let test = (a.top.iter())
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("test@example.com"))
        .expect("test@example.com ranked");
    assert_eq!(test.verdict(), Verdict::Culprit, "{test:#?}");
    a.recluster(ClusterKey::SenderPattern);
    let c = (a.clusters.iter())
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("<random>@client4.example"))
        .unwrap_or_else(|| panic!("no pattern cluster: {:#?}", a.clusters));
    assert!(c.score < CULPRIT_SCORE, "{c:#?}");
}

/// A firm's login used by a CRM SaaS from its pool (two IPs in one /24), its envelope
/// senders at the SaaS's bounce domain (`3fa9c2d1.6e0b7a15c4d2@bnc3.crm-saas.com`), From the
/// firm's sales people at the login's own domain: "senders not its own" (25) and 10+ of them
/// (15) made it a culprit at 58 (`crm-bounce`). Where its bounces go is the SaaS's business;
/// who writes is the firm.
#[test]
fn a_crm_sending_with_a_firms_login_from_its_bounce_domain_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    let sales = ["j.roth", "l.becker", "p.sommer", "m.vogel"];
    recs.extend((0..120u64).map(|i| {
        let ip = format!("185.250.239.{}", 11 + i % 2);
        let sender = format!("3fa9c2d1.{:012x}@bnc3.crm-saas.com", i * 7919 + 13);
        let from = format!("{}@maschinenbau-roth.de", sales[i as usize % 4]);
        let subject = format!("Ihr Angebot Nr. {}", 20_000 + i);
        let login = ("vertrieb@maschinenbau-roth.de", ip.as_str());
        message(&s, FIRST + i, login, &sender, &from, &subject)
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    assert_eq!(taken(&a, FIRST..FIRST + 10_000), 0, "{:#?}", a.top);
}

/// A guessed login writing as generated names at one domain not its own, from one IP: its
/// From the envelope sender, or one fixed address at that domain (a newsletter's shape). Not
/// an agency (one domain), and its names are no return paths of a From at the login's own
/// domain: a culprit either way.
#[test]
fn a_guessed_login_writing_generated_names_at_one_foreign_domain_stays_a_culprit() {
    for fixed_from in [false, true] {
        let s = Arc::new(Interner::new());
        let mut recs = people(&s);
        recs.extend((0..150u64).map(|i| {
            let sender = format!("{}x{i}@secure-mailbox.net", (b'a' + (i % 26) as u8) as char);
            let from = match fixed_from {
                true => "support@secure-mailbox.net".to_string(),
                false => sender.clone(),
            };
            let login = ("info@praxis-klein.de", "5.188.62.77");
            let subject = "Your mailbox storage is full: verify now";
            message(&s, FIRST + i, login, &sender, &from, subject)
        }));
        let a = run(recs, s.clone(), &["example.com"]);
        assert_eq!(
            taken(&a, FIRST..FIRST + 150),
            150,
            "fixed From {fixed_from}: {:#?}",
            a.top
        );
    }
}
