//! Mail to the same few addresses again and again (`few_recipients.rs`): a Zabbix server's
//! alerts through one login as its own host's address, internal hosts relaying Nagios mail,
//! beside a guessed account's spam, a spammer putting one fixed address first and Bcc to
//! harvested ones, and the backscatter of a joe-job. The recipient lists the hold reads back
//! from the queue come from [`Listed`], as the queue would give them.
use std::collections::HashMap;
use std::sync::Arc;

use super::tests::{guessed_password, people, Rec, NOW};
use super::*;
use crate::analysis::context::{AnalysisContext, RecipientLists};
use crate::analysis::Analysis;
use crate::queue::{Channel, MessageRecord, RecipientList, RecipientSummary};

/// Ids from 100,000 up are the monitoring's.
const ALERTS: u64 = 100_000;

const ONCALL: [&str; 3] = [
    "oncall@it-bereitschaft.de",
    "j.berger@gmail.com",
    "alerts@pager-service.io",
];

/// The recipient lists of the messages given them here, by id: what the queue's envelope files
/// would say. Others read back as unknown.
#[derive(Debug, Default)]
pub(super) struct Listed(HashMap<u64, Vec<(Vec<u8>, Channel)>>);

impl Listed {
    /// Give `r` the recipients `to`, in its summary and here.
    pub(super) fn to<'a>(
        &mut self,
        s: &Interner,
        r: &mut MessageRecord,
        to: impl IntoIterator<Item = (&'a str, Channel)>,
    ) {
        let to: Vec<(Vec<u8>, Channel)> = to.into_iter().map(|(a, c)| (a.into(), c)).collect();
        r.recipients = RecipientSummary::of(s, to.iter().map(|(a, c)| (&a[..], *c)));
        self.0.insert(r.id.0, to);
    }
}

impl RecipientLists for Listed {
    fn read(&self, r: &MessageRecord) -> Option<RecipientList> {
        let mut list = RecipientList::default();
        for (a, c) in self.0.get(&r.id.0)? {
            list.push(a, *c, false);
        }
        Some(list)
    }
}

/// Analyse `records` as `tests::run` does, the lists of `listed` read back.
pub(super) fn run(records: Vec<MessageRecord>, strings: Arc<Interner>, listed: Listed) -> Analysis {
    let ctx = AnalysisContext {
        now: NOW,
        local_domains: vec!["example.com".into(), "mail.example.com".into()],
        recipients: Some(Arc::new(listed)),
        ..Default::default()
    };
    super::tests::run_with(records, strings, ctx)
}

/// `n` alerts from `client` (a login's, or none: relayed) as `sender`, each to ops here first
/// when `ops`, and then to two or three on-call addresses.
fn alerts(
    (s, listed): (&Interner, &mut Listed),
    first_id: u64,
    (client, ip): (Option<&str>, &str),
    sender: &str,
    ops: bool,
    n: u64,
) -> Vec<MessageRecord> {
    (0..n)
        .map(|i| {
            let rec = Rec::new(s, first_id + i);
            let mut r = match client {
                Some(login) => rec.auth(login, ip),
                None => rec.smtp(ip),
            }
            .sender(sender)
            .subject(&format!("PROBLEM: High CPU on web0{}", i % 3))
            .r;
            let ops = ops.then_some(("ops@example.com", Channel::Local));
            let oncall = ONCALL[..2 + (i as usize % 2)]
                .iter()
                .map(|&a| (a, Channel::Remote));
            listed.to(s, &mut r, ops.into_iter().chain(oncall));
            r.headers.from = r.sender;
            r
        })
        .collect()
}

/// Does a culprit of `a` hold a message whose id is in `ids`?
fn taken(a: &Analysis, ids: std::ops::Range<u64>) -> bool {
    a.top
        .iter()
        .filter(|c| c.verdict() == Verdict::Culprit)
        .flat_map(|c| c.members.iter())
        .any(|&i| ids.contains(&a.records[i as usize].id.0))
}

/// The cluster whose value is `value`.
fn cluster<'a>(a: &'a Analysis, s: &Interner, value: &str) -> &'a Cluster {
    (a.top.iter())
        .find(|c| c.value.map(|v| v.text(s)).as_deref() == Some(value))
        .unwrap_or_else(|| panic!("{value} ranked: {:#?}", a.top))
}

/// The Zabbix login: 300 alerts as `zabbix@zabbix01.corp.lan`.
fn zabbix(to: (&Interner, &mut Listed)) -> Vec<MessageRecord> {
    let client = (Some("monitoring@example.com"), "203.0.113.50");
    alerts(to, ALERTS, client, "zabbix@zabbix01.corp.lan", false, 300)
}

/// A guessed login's spam from one IP as one forged sender, one subject: over 40 by "senders
/// not its own" alone, each message to `first` (when given) and then `bcc` harvested
/// addresses at `domains` provider domains.
fn phishing(
    (s, listed): (&Interner, &mut Listed),
    client: Option<&str>,
    first: Option<(&str, Channel)>,
    (bcc, domains): (u64, u64),
) -> Vec<MessageRecord> {
    (0..200u64)
        .map(|i| {
            let rec = Rec::new(s, ALERTS + 10_000 + i);
            let mut r = match client {
                Some(login) => rec.auth(login, "45.95.147.200"),
                None => rec.smtp("45.95.147.200"),
            }
            .sender("service@paypal-konto.info")
            .subject("Ihr Konto wurde eingeschraenkt")
            .r;
            let harvested: Vec<String> = (0..bcc)
                .map(|k| format!("v{i}.{k}@provider{}.example", (i * bcc + k) % domains))
                .collect();
            let bcc = harvested.iter().map(|a| (a.as_str(), Channel::Remote));
            listed.to(s, &mut r, first.into_iter().chain(bcc));
            r
        })
        .collect()
}

/// The Zabbix login sends as `zabbix@zabbix01.corp.lan`, a domain not its own (25), in an alert
/// storm (half the queue, its rate): a culprit at 41 in `hosting-bulk`. Its 300 messages go to
/// the same two or three on-call addresses: held, while the guessed account beside it is still
/// taken.
#[test]
fn a_monitoring_login_alerting_the_same_few_is_held_and_the_guessed_one_taken() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    recs.extend(zabbix((&s, &mut listed)));
    let a = run(recs, s.clone(), listed);
    assert!(!taken(&a, ALERTS..ALERTS + 300), "{:#?}", a.top);
    let zabbix = cluster(&a, &s, "monitoring@example.com");
    assert_eq!(zabbix.verdict(), Verdict::Suspect, "{zabbix:#?}");
    let held = zabbix.reasons.last().expect("reasons");
    assert!(
        held.starts_with(
            "all its 300 messages go to the same few, at most 5 recipients a message (2 lists in \
             the 60 read back from the queue): held below 40"
        ),
        "{held}"
    );
    assert!(
        zabbix.reasons[0].ends_with("possibly a guessed password"),
        "{zabbix:#?}"
    );
    let test = cluster(&a, &s, "test@example.com");
    assert_eq!(test.verdict(), Verdict::Culprit, "{test:#?}");
}

/// Six internal hosts relaying alerts with no login (tcp.smtp lets 10.20.0.0/24 relay), each
/// to ops here and two on-call addresses: "relaying without a login" by every key, held.
#[test]
fn internal_hosts_relaying_alerts_to_the_same_few_are_held() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = guessed_password(&s);
    recs.extend(people(&s));
    for h in 0..6u64 {
        let ip = format!("10.20.0.{}", 11 + h);
        let sender = format!("root@host{h}.corp.lan");
        let first = ALERTS + h * 1_000;
        recs.extend(alerts(
            (&s, &mut listed),
            first,
            (None, &ip),
            &sender,
            true,
            50,
        ));
    }
    let a = run(recs, s.clone(), listed);
    assert!(!taken(&a, ALERTS..ALERTS + 6_000), "{:#?}", a.top);
    let net = cluster(&a, &s, "10.20.0.0/24");
    assert_eq!(net.verdict(), Verdict::Suspect, "{net:#?}");
    assert!(
        net.reasons[0].contains("relaying without a login"),
        "{net:#?}"
    );
    assert!(
        (net.reasons.last()).is_some_and(|r| r.starts_with("all its 300 messages go to the same")),
        "{net:#?}"
    );
}

/// Spam with one fixed address first on every message (a spammer's To: before the Bcc, or the
/// account's own local address) and four harvested recipients at one provider (a list sorted
/// by domain): the first address and the domains are the same on every message, the lists
/// read back are not (review47: 800 such messages untaken). Through a guessed login and an open
/// relay alike; and with harvested addresses at many domains.
#[test]
fn spam_with_a_fixed_first_recipient_and_harvested_others_is_still_taken() {
    let shapes: [(Option<&str>, (&str, Channel), u64); 4] = [
        (
            Some("buchhaltung@example.com"),
            ("me@spammer.example", Channel::Remote),
            1,
        ),
        (
            Some("buchhaltung@example.com"),
            ("buchhaltung@example.com", Channel::Local),
            1,
        ),
        (None, ("me@spammer.example", Channel::Remote), 1),
        (
            Some("buchhaltung@example.com"),
            ("me@spammer.example", Channel::Remote),
            97,
        ),
    ];
    for (client, first, domains) in shapes {
        let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
        let mut recs = people(&s);
        recs.extend(phishing(
            (&s, &mut listed),
            client,
            Some(first),
            (4, domains),
        ));
        let a = run(recs, s.clone(), listed);
        assert!(
            taken(&a, ALERTS + 10_000..ALERTS + 10_200),
            "{first:?}: {:#?}",
            a.top
        );
    }
}

/// 200 messages to one victim through a guessed login: the same one list every time, held (a
/// limit: listed as a suspect, not taken); the same spam to 200 harvested addresses, taken.
#[test]
fn a_mail_bomb_is_held_and_the_same_spam_to_harvested_addresses_taken() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    let victim = ("victim@example.org", Channel::Remote);
    let login = Some("buchhaltung@example.com");
    recs.extend(phishing((&s, &mut listed), login, Some(victim), (0, 1)));
    let a = run(recs, s.clone(), listed);
    assert!(!taken(&a, ALERTS + 10_000..ALERTS + 10_200), "{:#?}", a.top);

    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    recs.extend(phishing((&s, &mut listed), login, None, (1, 1)));
    let a = run(recs, s.clone(), listed);
    assert!(taken(&a, ALERTS + 10_000..ALERTS + 10_200), "{:#?}", a.top);
}

/// The bounces of a joe-job's spam all go back to its one forged sender: backscatter, which
/// the hold leaves a culprit.
#[test]
fn backscatter_to_one_forged_sender_is_not_held() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    recs.extend((0..120u64).map(|i| {
        let mut r = Rec::new(&s, ALERTS + i).smtp("203.0.113.9").sender("").r;
        r.origin.kind = crate::queue::OriginKind::Bounce;
        r.headers.subject = Some(s.intern(b"failure notice"));
        listed.to(&s, &mut r, [("victim@joe-job.example", Channel::Remote)]);
        r
    }));
    let a = run(recs, s.clone(), listed);
    assert!(taken(&a, ALERTS..ALERTS + 120), "{:#?}", a.top);
}

/// What is abuse whoever receives it is never held: a script in an upload directory, and a
/// login used from a dozen IPs, each writing to the same two addresses.
#[test]
fn an_upload_script_or_a_login_from_many_places_writing_to_the_same_few_is_still_taken() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    let client = (Some("test@example.com"), "198.51.100.7");
    let bank = "billing@bank-secure.example";
    recs.extend(alerts((&s, &mut listed), ALERTS, client, bank, false, 120));
    for (k, r) in recs[180..].iter_mut().enumerate() {
        r.origin.ip = Some(s.intern(format!("198.51.{}.7", k % 12).as_bytes()));
    }
    recs.extend((0..60u64).map(|i| {
        let mut r = Rec::new(&s, ALERTS + 1_000 + i)
            .php(48, Some("wp-content/uploads/2024/x.php"))
            .sender("apache@mail.example.com")
            .subject("Your parcel")
            .r;
        listed.to(
            &s,
            &mut r,
            ONCALL[..2].iter().map(|&a| (a, Channel::Remote)),
        );
        r
    }));
    let a = run(recs, s.clone(), listed);
    let test = cluster(&a, &s, "test@example.com");
    assert_eq!(test.verdict(), Verdict::Culprit, "{test:#?}");
    assert!(taken(&a, ALERTS + 1_000..ALERTS + 1_060), "{:#?}", a.top);
}

/// Before the envelopes are read (the TUI's header pass) no message's recipients are known:
/// nothing says they are the same few, and the login sending as others stays a culprit. So
/// when the lists cannot be read back (yanked since, no queue).
#[test]
fn a_cluster_whose_recipients_are_not_known_is_not_held() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    recs.extend(zabbix((&s, &mut listed)).into_iter().map(|mut r| {
        r.recipients = RecipientSummary::default();
        r
    }));
    let a = run(recs, s.clone(), listed);
    let zabbix_login = cluster(&a, &s, "monitoring@example.com");
    assert_eq!(
        zabbix_login.verdict(),
        Verdict::Culprit,
        "{zabbix_login:#?}"
    );

    // No queue to read them back from (`ctx.recipients` is `None`).
    let s = Arc::new(Interner::new());
    let mut recs = people(&s);
    recs.extend(zabbix((&s, &mut Listed::default())));
    let a = super::tests::run(recs, s.clone(), &["example.com"]);
    let zabbix_login = cluster(&a, &s, "monitoring@example.com");
    assert_eq!(
        zabbix_login.verdict(),
        Verdict::Culprit,
        "{zabbix_login:#?}"
    );
}

/// Two people's mail from the Zabbix server's /24, beside its alerts: with the spam yanked,
/// the network's share made it a culprit by the alerts' "senders not its own" (newuser47:
/// 4,000 alerts and 400 real messages taken by a second `plan`). The alerts go to the same
/// few, the people's mail alone is no culprit: held. With a guessed login's spam as the rest
/// instead, the rest alone is a culprit: taken.
#[test]
fn a_network_of_alerts_and_two_people_is_held_and_of_alerts_and_spam_taken() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = zabbix((&s, &mut listed));
    recs.extend((0..40u64).map(|i| {
        let login = ["alice@example.com", "bob@example.com"][i as usize % 2];
        let mut r = Rec::new(&s, ALERTS + 1_000 + i)
            .auth(login, ["203.0.113.20", "203.0.113.31"][i as usize % 2])
            .sender(login)
            .rcpts(Channel::Remote, 1 + i as usize % 3)
            .subject(&format!("Re: project plan {i}"))
            .r;
        // Ten of theirs to the on-call address the alerts go to first, each with someone else:
        // the same first address and domains as an alert, another list (one in ten of those
        // read back may be so).
        if i < 10 {
            let friend = format!("friend{i}@gmail.com");
            let to = [(ONCALL[0], Channel::Remote), (&friend[..], Channel::Remote)];
            listed.to(&s, &mut r, to);
        }
        r.headers.from = r.sender;
        r
    }));
    let a = run(recs, s.clone(), listed);
    assert!(!taken(&a, ALERTS..ALERTS + 2_000), "{:#?}", a.top);
    let net = cluster(&a, &s, "203.0.113.0/24");
    assert_eq!(net.verdict(), Verdict::Suspect, "{net:#?}");
    assert!(
        (net.reasons.last()).is_some_and(|r| r.starts_with(
            "310 of its 340 messages go to the same few, at most 5 recipients a message (2 \
             lists in 60 of the 62 read back from the queue); the rest, 30 messages to 60 \
             recipients, scores 0.0 alone: held below 40"
        )),
        "{net:#?}"
    );

    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = zabbix((&s, &mut listed));
    recs.extend(guessed_password(&s).into_iter().take(60).map(|mut r| {
        r.origin.ip = Some(s.intern(b"203.0.113.77"));
        r
    }));
    let a = run(recs, s.clone(), listed);
    let net = cluster(&a, &s, "203.0.113.0/24");
    assert_eq!(net.verdict(), Verdict::Culprit, "{net:#?}");
}

/// An infected PC in the office network relaying spam through tcp.smtp beside the monitoring
/// host's alerts: fewer than half the network's messages go to the same few, so it stays a
/// culprit, though its spam alone, a smaller share, would score under 40. (Eight recipients a
/// message: none of them counts towards the same few, the half is what holds it.)
#[test]
fn an_infected_pc_relaying_spam_beside_the_alerts_is_taken() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    let client = (None, "10.20.0.16");
    let nagios = "nagios@monitor01.corp.lan";
    recs.extend(alerts((&s, &mut listed), ALERTS, client, nagios, true, 120));
    recs.extend((0..150u64).map(|i| {
        Rec::new(&s, ALERTS + 1_000 + i)
            .smtp("10.20.0.99")
            .sender(&format!(
                "{}@promo-{}.biz",
                ["sale", "deal", "offer"][i as usize % 3],
                i % 9
            ))
            .rcpts(Channel::Remote, 8)
            .subject(["Cheap meds", "Your prize", "Last chance", "Re: hello"][i as usize % 4])
            .r
    }));
    let a = run(recs, s.clone(), listed);
    let net = cluster(&a, &s, "10.20.0.0/24");
    assert_eq!(net.verdict(), Verdict::Culprit, "{net:#?}");
    assert!(taken(&a, ALERTS + 1_000..ALERTS + 1_150), "{:#?}", a.top);
}

/// `n` messages of the guessed login `buchhaltung@`, each Bcc to 500 harvested addresses.
fn bcc_runs((s, listed): (&Interner, &mut Listed), n: u64) -> Vec<MessageRecord> {
    (0..n)
        .map(|i| {
            let mut r = Rec::new(s, ALERTS + 20_000 + i)
                .auth("buchhaltung@example.com", "45.95.147.200")
                .sender("service@paypal-konto.info")
                .subject(&format!("Rechnung {i}"))
                .r;
            let bcc: Vec<String> = (0..500)
                .map(|k| format!("b{i}.{k}@isp{}.example", k % 40))
                .collect();
            listed.to(s, &mut r, bcc.iter().map(|a| (a.as_str(), Channel::Remote)));
            r
        })
        .collect()
}

/// Spam hidden behind the same few (review47b): a guessed login's 200 messages to one seed
/// address beside its 50 Bcc to 500 harvested addresses each, and an infected PC relaying
/// one-recipient spam beside the office's alerts to five contacts. Alone, each spam part loses
/// the whole cluster's share and rate and scores under 40 but over 20: a suspect is no rest
/// to hold with; and the Bcc part carries more recipients than the seed messages.
#[test]
fn spam_beside_the_same_few_that_is_a_suspect_alone_is_taken() {
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    let login = Some("buchhaltung@example.com");
    let seed = ("seed@spamtrap-check.example", Channel::Remote);
    recs.extend(phishing((&s, &mut listed), login, Some(seed), (0, 1)));
    recs.extend(bcc_runs((&s, &mut listed), 50));
    let a = run(recs, s.clone(), listed);
    assert!(taken(&a, ALERTS + 20_000..ALERTS + 20_050), "{:#?}", a.top);
    assert!(taken(&a, ALERTS + 10_000..ALERTS + 10_200), "{:#?}", a.top);
    // Ten Bcc messages only: damped for their number they look legitimate alone, and carry
    // 5,000 recipients against the seed messages' 200.
    let mut few = Vec::new();
    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    few.extend(people(&s));
    few.extend(phishing((&s, &mut listed), login, Some(seed), (0, 1)));
    few.extend(bcc_runs((&s, &mut listed), 10));
    let a = run(few, s.clone(), listed);
    assert!(taken(&a, ALERTS + 20_000..ALERTS + 20_010), "{:#?}", a.top);

    let (s, mut listed) = (Arc::new(Interner::new()), Listed::default());
    let mut recs = people(&s);
    for h in 0..5u64 {
        let ip = format!("10.20.0.{}", 11 + h);
        recs.extend((0..60u64).map(|i| {
            let mut r = Rec::new(&s, ALERTS + h * 1_000 + i)
                .smtp(&ip)
                .sender("nagios@monitor01.corp.lan")
                .subject(&format!("** PROBLEM Service Alert: web0{}/HTTP **", i % 3))
                .r;
            let contact = format!("contact{}@oncall.example", (h * 60 + i) % 5);
            listed.to(&s, &mut r, [(contact.as_str(), Channel::Remote)]);
            r
        }));
    }
    recs.extend((0..280u64).map(|i| {
        let mut r = Rec::new(&s, ALERTS + 20_000 + i)
            .smtp("10.20.0.99")
            .sender(&format!(
                "{}@promo-{}.biz",
                ["sale", "deal", "offer"][i as usize % 3],
                i % 9
            ))
            .subject(["Cheap meds", "Your prize", "Last chance", "Re: hello"][i as usize % 4])
            .r;
        let to = format!("victim{i}@mailhost{}.example", i % 97);
        listed.to(&s, &mut r, [(to.as_str(), Channel::Remote)]);
        r
    }));
    let a = run(recs, s.clone(), listed);
    assert!(taken(&a, ALERTS + 20_000..ALERTS + 20_280), "{:#?}", a.top);
}
