//! Relaying by clients whose Received line says they logged in (`with ESMTPA`) though no header
//! names the account (`log-only-auth`): a guessed password to fix, not rcpthosts.
use super::tests::{people, Rec};
use super::*;
use crate::queue::{Channel, MessageRecord, OriginKind};

/// 120 messages from one IP to 1-4 remote recipients, forged senders, by `protocol`, no login
/// named; beside people writing as themselves.
fn relayed(s: &Interner, protocol: &str) -> Vec<MessageRecord> {
    let mut recs = people(s);
    recs.extend((0..120u64).map(|i| {
        let mut r = Rec::new(s, 100_000 + i)
            .smtp("41.203.18.7")
            .sender(&format!("x{i}@spam.example"))
            .rcpts(Channel::Remote, 1 + (i % 4) as usize)
            .r;
        r.origin.protocol = Some(s.intern(protocol.as_bytes()));
        r
    }));
    recs
}

/// The conclusion and reasons of the relaying IP's cluster.
fn ip_conclusion(protocol: &str) -> (String, Vec<String>) {
    let s = Interner::new();
    let ctx = crate::analysis::context::AnalysisContext {
        now: super::tests::NOW,
        local_domains: vec!["example.com".into()],
        ..Default::default()
    };
    let recs = relayed(&s, protocol);
    let ips = crate::analysis::cluster::cluster(&recs, ClusterKey::OriginIp, &s, &ctx);
    let c = (ips.iter())
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("41.203.18.7"))
        .expect("the IP is clustered");
    (conclusion_of(&c.reasons[0]).to_string(), c.reasons.clone())
}

#[test]
fn a_client_that_logged_in_unnamed_is_a_guessed_password_not_an_open_relay() {
    for protocol in ["ESMTPA", "ESMTPSA", "esmtpsa"] {
        let (conclusion, reasons) = ip_conclusion(protocol);
        assert!(
            conclusion.ends_with(points::AUTH_UNNAMED.trim_start_matches("likely ")),
            "{reasons:#?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("by clients that logged in (ESMTPA)")),
            "{reasons:#?}"
        );
    }
    for protocol in ["ESMTP", "SMTP", "ESMTPS"] {
        let (conclusion, reasons) = ip_conclusion(protocol);
        assert_eq!(
            conclusion, "relaying without a login: check rcpthosts and tcp.smtp",
            "{protocol}: {reasons:#?}"
        );
    }
}

/// 240 messages of one subject template without a login from `nets` networks (three clients
/// each), each to 1-3 remote recipients, as `sender(i)`; beside 2,000 messages of sixty
/// people writing as themselves, so that the campaign is a tenth of the queue.
fn campaign(s: &Interner, nets: u64, sender: impl Fn(u64) -> String) -> Vec<MessageRecord> {
    let mut recs: Vec<MessageRecord> = (0..2_000u64)
        .map(|i| {
            let login = format!("user{}@example.com", i % 60);
            let mut r = Rec::new(s, 1_000 + i)
                .auth(&login, &format!("84.130.{}.9", i % 60))
                .sender(&login)
                .rcpts(Channel::Remote, 1)
                .subject(&format!("Re: offer {i}"))
                .r;
            r.headers.from = r.sender;
            r
        })
        .collect();
    recs.extend((0..240u64).map(|i| {
        let net = i % nets;
        let ip = format!("{}.{}.7.{}", 41 + net / 200, net % 200, 10 + (i / nets) % 3);
        Rec::new(s, 200_000 + i)
            .smtp(&ip)
            .sender(&sender(i))
            .subject(&format!("Loan approved: ${}", 1000 + i))
            .rcpts(Channel::Remote, 1 + (i % 3) as usize)
            .r
    }));
    recs
}

/// The subject template's and the sender pattern's clusters of `recs` (local domain
/// example.com).
fn campaign_clusters(recs: &[MessageRecord], s: &Interner) -> [Cluster; 2] {
    let ctx = crate::analysis::context::AnalysisContext {
        now: super::tests::NOW,
        local_domains: vec!["example.com".into()],
        ..Default::default()
    };
    // The people's mail is 2,000 messages under one template, "Re: offer #".
    [ClusterKey::Subject, ClusterKey::SenderPattern].map(|key| {
        let clusters = crate::analysis::cluster::cluster(recs, key, s, &ctx);
        (clusters.into_iter())
            .filter(|c| c.messages < 2_000)
            .max_by_key(|c| c.messages)
            .expect("clustered")
    })
}

/// A spam tool's generated sender at one domain: `q7mzk3tw.93@greennet.example`.
fn generated(i: u64) -> String {
    let mut x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    let name: String = (0..8)
        .map(|_| {
            x = x.rotate_left(7).wrapping_mul(31);
            b"abcdefghijklmnopqrstuvwxyz0123456789"[(x % 36) as usize] as char
        })
        .collect();
    format!("{name}.{}@greennet.example", i % 97)
}

const AS_OTHERS: &str = "as senders at other domains: an open relay";

#[test]
fn one_campaign_relayed_without_a_login_from_many_networks_is_an_open_relays_culprit() {
    let s = Interner::new();
    for c in campaign_clusters(&campaign(&s, 30, generated), &s) {
        assert_eq!(c.messages, 240, "{:?}", c.key);
        assert_eq!(
            c.verdict(),
            Verdict::Culprit,
            "{:?}: {:#?}",
            c.key,
            c.reasons
        );
        assert!(
            (c.reasons.iter()).any(
                |r| r.starts_with("relayed without a login from 30 networks")
                    && r.contains(AS_OTHERS)
            ),
            "{:#?}",
            c.reasons
        );
        assert!(c.reasons[0].contains(points::RELAY), "{:#?}", c.reasons);
    }
}

#[test]
fn relaying_as_this_servers_domain_or_from_a_few_networks_is_no_open_relay() {
    let s = Interner::new();
    // POP-before-SMTP users: many networks, each writing as this server's domain.
    let own = |i: u64| format!("user{}@example.com", i % 40);
    let [subject, _] = campaign_clusters(&campaign(&s, 30, own), &s);
    // An office and its branches in tcp.smtp: a few networks, writing as anyone.
    let forged = |i: u64| format!("x{i}@partner{}.example", i % 5);
    let [few, _] = campaign_clusters(&campaign(&s, 8, forged), &s);
    for c in [&subject, &few] {
        assert_eq!(c.messages, 240, "{:?}", c.key);
        assert_eq!(
            c.verdict(),
            Verdict::Suspect,
            "{:?}: {:#?}",
            c.key,
            c.reasons
        );
        // Neither kind of open relay: POP users' addresses are not forged.
        assert!(
            !c.reasons.iter().any(|r| r.contains(super::OPEN_RELAY)),
            "{:?}: {:#?}",
            c.key,
            c.reasons
        );
    }
}

/// Role addresses of this server's domain an open relay's bots write as.
const ROLES: [&str; 4] = ["info", "rechnung", "service", "noreply"];

/// mix64's Q4 (a catch-all relay, its bots writing as this server's role addresses): 240
/// messages from 60 networks in 60 blocks, each role address from all of them.
fn forging_roles(s: &Interner) -> Vec<MessageRecord> {
    campaign(s, 60, |i| {
        format!("{}@example.com", ROLES[(i / 60) as usize % ROLES.len()])
    })
}

const FORGED: &str = "each relayed from 20 address blocks or more: forged senders, an open relay";

#[test]
fn a_campaign_forging_this_servers_addresses_from_all_over_the_internet_is_an_open_relays() {
    let s = Interner::new();
    let [subject, pattern] = campaign_clusters(&forging_roles(&s), &s);
    assert_eq!(
        subject.verdict(),
        Verdict::Culprit,
        "{:#?}",
        subject.reasons
    );
    let words = "relayed without a login from 60 networks, 240 of it as 4 of this server's \
                 addresses (info@example.com and 3 more) ";
    assert!(
        (subject.reasons.iter()).any(|r| r.starts_with(words) && r.contains(FORGED)),
        "{:#?}",
        subject.reasons
    );
    assert!(subject.reasons[0].contains(points::RELAY));
    // One address's cluster holds whatever its owner sends too: left to the subjects.
    assert_eq!(pattern.messages, 60);
    assert!(
        pattern
            .reasons
            .iter()
            .all(|r| !r.contains(super::OPEN_RELAY)),
        "{:#?}",
        pattern.reasons
    );
}

/// mix64's Q4: the office's ERP relays its invoices as `rechnung@example.com` under the
/// template the bots forge that address with, from the IP the staff log in from. Taking the
/// template would take the invoices: no forged senders are called so while it holds them.
#[test]
fn a_campaign_forging_this_servers_addresses_is_not_called_so_beside_its_users_own_mail() {
    let with_erp = |login: bool| {
        let s = Interner::new();
        let mut recs = forging_roles(&s);
        recs.extend((0..30u64).map(|i| {
            Rec::new(&s, 400_000 + i)
                .smtp("87.139.44.18")
                .sender("rechnung@example.com")
                .subject(&format!("Loan approved: ${}", 7_000 + i))
                .rcpts(Channel::Remote, 1)
                .r
        }));
        if login {
            let staff = "anna@example.com";
            let r = Rec::new(&s, 500_000).auth(staff, "87.139.44.18");
            recs.push(r.sender(staff).rcpts(Channel::Remote, 1).r);
        }
        let [subject, _] = campaign_clusters(&recs, &s);
        assert_eq!(subject.messages, 270);
        subject
    };
    let beside_logins = with_erp(true);
    assert_eq!(
        beside_logins.verdict(),
        Verdict::Suspect,
        "{:#?}",
        beside_logins.reasons
    );
    assert!(
        (beside_logins.reasons.iter()).all(|r| !r.contains(super::OPEN_RELAY)),
        "{:#?}",
        beside_logins.reasons
    );
    // From an IP nobody logs in from, the ERP's 30 are a few of the forged address's.
    let alone = with_erp(false);
    assert_eq!(alone.verdict(), Verdict::Culprit, "{:#?}", alone.reasons);
    assert!(alone.reasons.iter().any(|r| r.contains(FORGED)));
}

/// mix64's Q2: a backup MX holds its partner's inbound mail while the partner's primary is
/// down, in `remote/` once split, from the Internet's servers without a login: the partner's
/// domain is in rcpthosts, and accepting mail for it is no relaying.
#[test]
fn a_backup_mxs_mail_for_its_partner_is_not_relayed() {
    let s = Interner::new();
    let mut recs = campaign(&s, 30, generated);
    for r in recs
        .iter_mut()
        .filter(|r| r.origin.kind == OriginKind::Smtp)
    {
        let to = format!("kunde{}@partner.example", r.id.0 % 50);
        crate::fixture::record::with_recipients(r, &s, Channel::Remote, &[to]);
    }
    let ctx = |locals: &[&str]| crate::analysis::context::AnalysisContext {
        now: super::tests::NOW,
        local_domains: locals.iter().map(|d| d.to_string()).collect(),
        ..Default::default()
    };
    let subject = |ctx| {
        let clusters = crate::analysis::cluster::cluster(&recs, ClusterKey::Subject, &s, &ctx);
        (clusters.into_iter())
            .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("Loan approved: $#"))
            .expect("the subject is clustered")
    };
    // Without the partner in rcpthosts the same messages are an open relay's.
    let relayed = subject(ctx(&["example.com"]));
    assert_eq!(
        relayed.verdict(),
        Verdict::Culprit,
        "{:#?}",
        relayed.reasons
    );
    let partner = subject(ctx(&["example.com", "partner.example"]));
    assert_eq!(partner.messages, 240);
    assert!(
        partner.reasons.iter().all(|r| !r.contains("relay")),
        "{:#?}",
        partner.reasons
    );
    assert_eq!(
        partner.verdict(),
        Verdict::Legitimate,
        "{:#?}",
        partner.reasons
    );
}

/// An office's everyday subjects.
const OFFICE_SUBJECTS: [&str; 8] = [
    "Angebot",
    "Termin",
    "Rechnung",
    "Lieferung",
    "Frage",
    "Protokoll",
    "Urlaub",
    "Bestellung",
];

/// mix64's Q3 after its open relay was yanked: an office in tcp.smtp relaying as this server's
/// domain from one public IP is most of what is left; it is the operator's own client, not a
/// relay to close, whatever its share of the queue. The same office writing as other domains
/// is still called relaying.
#[test]
fn an_office_relaying_as_this_servers_domain_is_no_relay_whatever_its_share() {
    let office = |sender: &dyn Fn(u64) -> String| {
        let s = Interner::new();
        let mut recs = people(&s);
        recs.truncate(60);
        recs.extend((0..650u64).map(|i| {
            Rec::new(&s, 300_000 + i)
                .smtp("80.190.12.10")
                .sender(&sender(i))
                .subject(&format!("{} {i}", OFFICE_SUBJECTS[i as usize % 8]))
                .rcpts(Channel::Remote, 1 + (i % 3) as usize)
                .r
        }));
        let ctx = crate::analysis::context::AnalysisContext {
            now: super::tests::NOW,
            local_domains: vec!["example.com".into()],
            ..Default::default()
        };
        let ips = crate::analysis::cluster::cluster(&recs, ClusterKey::OriginIp, &s, &ctx);
        (ips.into_iter())
            .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("80.190.12.10"))
            .expect("the office is clustered")
    };
    let own = office(&|i| format!("staff{}@example.com", i % 12));
    assert_eq!(own.verdict(), Verdict::Legitimate, "{:#?}", own.reasons);
    assert_eq!(own.score, 0.0, "{:#?}", own.reasons);
    let others = office(&|i| format!("staff{}@partner.example", i % 12));
    assert_eq!(others.verdict(), Verdict::Culprit, "{:#?}", others.reasons);
    assert!(
        others.reasons[0].ends_with(points::RELAY),
        "{:#?}",
        others.reasons
    );
}
