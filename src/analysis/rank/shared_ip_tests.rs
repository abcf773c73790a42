//! Logins whose IPs log in as other accounts too: a bot rotating guessed accounts over its IPs
//! (the `weak-accounts` mix) is told from an office's NAT, a webmail host and a couple's home.
use std::sync::Arc;

use super::tests::{Rec, NOW};
use super::*;
use crate::analysis::{analyse, Analysis, AnalysisContext, AnalysisInput, Want};
use crate::queue::{Channel, MessageRecord};

/// What the reason starts with (after the share of the login's messages).
const WORDS: &str = "IPs that each log in as several accounts";

/// One message from `ip` logged in as `login`, sending as `sender` to one remote recipient.
fn sent(s: &Interner, id: u64, login: &str, ip: &str, sender: &str) -> MessageRecord {
    Rec::new(s, id)
        .auth(login, ip)
        .sender(sender)
        .rcpts(Channel::Remote, 1)
        .subject(&format!(
            "{} {}",
            [
                "Re: lunch",
                "Fwd: slides",
                "Invoice",
                "Re: visit",
                "Call me",
                "Minutes"
            ][id as usize % 6],
            ["today", "for Bob", "(draft)", "again", "in March"][id as usize % 5]
        ))
        .r
}

fn run(records: Vec<MessageRecord>, s: Arc<Interner>) -> Analysis {
    let ctx = AnalysisContext {
        now: NOW,
        local_domains: vec!["example.com".into()],
        default_domain: Some("example.com".into()),
        ..Default::default()
    };
    analyse(AnalysisInput {
        records,
        strings: s,
        ctx,
        key: ClusterKey::AuthUser,
        top_limit: 100,
        want: Want::Both,
    })
}

/// The auth-user cluster of `account`, scored.
fn account<'a>(a: &'a Analysis, s: &Interner, account: &str) -> &'a Cluster {
    a.clusters
        .iter()
        .find(|c| {
            c.key == ClusterKey::AuthUser && c.value.map(|v| v.text(s)).as_deref() == Some(account)
        })
        .unwrap_or_else(|| panic!("{account} not clustered: {:#?}", a.clusters))
}

fn has_reason(c: &Cluster) -> bool {
    c.reasons.iter().any(|r| r.contains(WORDS))
}

/// 20 people writing `n` messages in turn as themselves, each from their own IP (one /24 each),
/// ids from `first` up.
fn people(s: &Interner, n: u64, first: u64) -> Vec<MessageRecord> {
    (first..first + n)
        .map(|i| {
            let login = format!("person{}@example.com", i % 20);
            let ip = format!("100.{}.7.9", 64 + i % 20);
            sent(s, i, &login, &ip, &login)
        })
        .collect()
}

/// Six guessed accounts, each rotated over six IPs in three /24s, 30 messages each, sending as
/// themselves: nothing but the IPs tells them apart from people.
fn ring(s: &Interner) -> Vec<MessageRecord> {
    const IPS: [&str; 6] = [
        "193.32.162.10",
        "193.32.162.11",
        "45.95.169.3",
        "45.95.169.4",
        "80.94.95.7",
        "80.94.95.9",
    ];
    (0..180u64)
        .map(|i| {
            let login = ["guest", "scanner", "office", "test", "info", "backup"][i as usize % 6];
            let login = format!("{login}@example.com");
            sent(
                s,
                10_000 + i,
                &login,
                IPS[(i as usize / 6 + i as usize) % 6],
                &login,
            )
        })
        .collect()
}

#[test]
fn accounts_rotated_over_shared_ips_are_named_by_their_ips() {
    let s = Arc::new(Interner::new());
    let a = run([people(&s, 120, 0), ring(&s)].concat(), s.clone());
    for login in ["guest", "scanner", "office", "test", "info", "backup"] {
        let c = account(&a, &s, &format!("{login}@example.com"));
        let reason = c.reasons.iter().find(|r| r.contains(WORDS));
        let reason = reason.unwrap_or_else(|| panic!("{login}: {:#?}", c.reasons));
        assert!(
            reason
                .starts_with("its messages came from 6 IPs that each log in as several accounts (")
                && reason.contains(" as 6")
                && reason.ends_with("3 more): one client working through a list of logins (+20.0)"),
            "{reason}"
        );
        let word = match c.verdict() {
            Verdict::Culprit => "likely",
            _ => "possibly",
        };
        assert_eq!(
            conclusion_of(&c.reasons[0]),
            format!("{word} a guessed password"),
            "{}",
            c.reasons[0]
        );
    }
    for i in 0..20 {
        let c = account(&a, &s, &format!("person{i}@example.com"));
        assert!(!has_reason(c), "{:#?}", c.reasons);
    }
}

/// An office's NAT logs in as all its people, who also write from home: no IP of theirs but
/// the office's is shared, and one shared IP says nothing.
#[test]
fn an_office_nat_whose_people_also_write_from_home_is_no_ring() {
    let s = Arc::new(Interner::new());
    let mut records = Vec::new();
    for i in 0..200u64 {
        let login = format!("staff{}@example.com", i % 10);
        // Four of five from the office, the fifth from the person's home.
        let ip = match (i / 10) % 5 {
            4 => format!("84.{}.20.1", 10 + i % 10),
            _ => "203.0.113.50".to_string(),
        };
        records.push(sent(&s, i, &login, &ip, &login));
    }
    // Two more lines (other providers) for half the staff: a fifth of a person's mail still
    // comes from home.
    records.extend((0..40u64).map(|i| {
        let login = format!("staff{}@example.com", i % 5);
        let ip = ["198.51.100.7", "192.0.2.80"][(i as usize / 5) % 2];
        sent(&s, 1_000 + i, &login, ip, &login)
    }));
    let a = run(records, s.clone());
    for i in 0..10 {
        let c = account(&a, &s, &format!("staff{i}@example.com"));
        assert!(!has_reason(c), "staff{i}: {:#?}", c.reasons);
    }
}

/// A webmail host logs in as every account from a private or loopback address, even from two
/// of them: no Internet client, so no ring.
#[test]
fn a_webmail_host_on_private_addresses_is_no_ring() {
    let s = Arc::new(Interner::new());
    let records: Vec<MessageRecord> = (0..240u64)
        .map(|i| {
            let login = format!("user{}@example.com", i % 12);
            let ip = ["127.0.0.1", "10.0.0.5", "192.168.7.2"][(i as usize / 12) % 3];
            sent(&s, i, &login, ip, &login)
        })
        .collect();
    let a = run(records, s.clone());
    for i in 0..12 {
        let c = account(&a, &s, &format!("user{i}@example.com"));
        assert!(!has_reason(c), "user{i}: {:#?}", c.reasons);
    }
}

/// Two people sharing three places, each logging in as `name` and as `name@example.com`: two
/// accounts on each IP, not four, so the IPs are no one's but theirs.
#[test]
fn one_accounts_spellings_are_one_account_on_an_ip() {
    let s = Arc::new(Interner::new());
    let mut records = Vec::new();
    for i in 0..80u64 {
        let name = ["anna", "ben"][i as usize % 2];
        let login = match i % 4 < 2 {
            true => name.to_string(),
            false => format!("{name}@example.com"),
        };
        let ip = ["91.64.3.3", "77.12.9.1", "62.30.4.4"][(i as usize / 2) % 3];
        records.push(sent(&s, i, &login, ip, &format!("{name}@example.com")));
    }
    let a = run(records, s.clone());
    for name in ["anna", "ben"] {
        let c = account(&a, &s, &format!("{name}@example.com"));
        assert!(!has_reason(c), "{name}: {:#?}", c.reasons);
    }
}

/// A firm whose people all write through its two Internet lines, or a NAT pool of four
/// addresses in one network, and never from elsewhere: no ring.
#[test]
fn a_firm_on_two_lines_or_a_nat_pool_is_no_ring() {
    for ips in [
        &["203.0.113.50", "198.51.100.7"][..],
        &[
            "203.0.113.50",
            "203.0.113.51",
            "203.0.113.52",
            "203.0.113.53",
        ],
    ] {
        let s = Arc::new(Interner::new());
        let records: Vec<MessageRecord> = (0..160u64)
            .map(|i| {
                let login = format!("clerk{}@example.com", i % 8);
                sent(&s, i, &login, ips[(i as usize / 8) % ips.len()], &login)
            })
            .collect();
        let a = run(records, s.clone());
        for i in 0..8 {
            let c = account(&a, &s, &format!("clerk{i}@example.com"));
            assert!(!has_reason(c), "clerk{i} on {ips:?}: {:#?}", c.reasons);
        }
    }
}

/// A firm on three lines in three networks whose people never write from elsewhere looks like
/// a ring: the reason is shown, and with its few places and a fan-out of several recipients it
/// makes suspects, never culprits (10 + 20 + 5 points, and a small share of a flood's queue;
/// a busy one, 20 more, is held below 40 unless it writes wide: the tests below).
#[test]
fn a_firm_on_three_lines_is_looked_at_never_taken() {
    let s = Arc::new(Interner::new());
    let ips = ["203.0.113.50", "198.51.100.7", "192.0.2.80"];
    let mut records: Vec<MessageRecord> = (0..160u64)
        .map(|i| {
            let login = format!("clerk{}@example.com", i % 8);
            let mut r = sent(&s, i, &login, ips[(i as usize / 8) % 3], &login);
            crate::fixture::record::with_recipients(
                &mut r,
                &s,
                Channel::Remote,
                &[
                    "a@one.example",
                    "b@two.example",
                    "c@three.example",
                    "d@four.example",
                ],
            );
            r
        })
        .collect();
    records.extend(people(&s, 1_200, 20_000));
    let a = run(records, s.clone());
    for i in 0..8 {
        let c = account(&a, &s, &format!("clerk{i}@example.com"));
        assert!(has_reason(c), "clerk{i}: {:#?}", c.reasons);
        assert_ne!(c.verdict(), Verdict::Culprit, "clerk{i}: {:#?}", c.reasons);
    }
}

/// `sent`, from a client that said `helo`.
fn sent_helo(s: &Interner, id: u64, login: &str, ip: &str, helo: &str) -> MessageRecord {
    let mut r = sent(s, id, login, ip, login);
    r.origin.helo = Some(s.intern(helo.as_bytes()));
    r
}

/// The `shared-ips` mix's firm on three lines in three networks, whose people never write from
/// elsewhere, each from their own PC (its HELO name): one heavy sales person (half the firm's
/// mail, ten times the median login) writing to four recipients was a culprit at 56.9 by the
/// shared IPs (10 + 20 + 20 + 5). Behind a NAT or a firm's lines each machine names itself;
/// a bot's client says the same for every login.
#[test]
fn a_firm_on_three_lines_whose_pcs_name_themselves_is_no_ring() {
    let s = Arc::new(Interner::new());
    let ips = ["80.146.12.2", "94.79.140.18", "185.10.55.66"];
    let mut records: Vec<MessageRecord> = (0..240u64)
        .map(|i| {
            // Clerk 0 sells: every other message of the firm's.
            let k = if i % 2 == 0 { 0 } else { 1 + (i / 2) % 11 };
            let login = format!("clerk{k}@roth-moebel.de");
            let mut r = sent_helo(&s, i, &login, ips[(i as usize / 2) % 3], &format!("PC{k}"));
            // Over a working day, as the mix's: not a burst of the last hour.
            r.set_queued(NOW - 120 * i as i64);
            if k == 0 {
                let to = [
                    "a@one.example",
                    "b@two.example",
                    "c@x.example",
                    "d@y.example",
                ];
                crate::fixture::record::with_recipients(&mut r, &s, Channel::Remote, &to);
            }
            r
        })
        .collect();
    // A hundred people of the server's other domains, ten messages each from their own IPs.
    records.extend((0..1_000u64).map(|i| {
        let login = format!("person{}@example.com", i % 100);
        let ip = format!("100.{}.{}.9", 64 + i % 100 / 10, i % 10);
        let mut r = sent(&s, 20_000 + i, &login, &ip, &login);
        r.set_queued(NOW - 30 * i as i64);
        r
    }));
    let a = run(records, s.clone());
    for k in 0..12 {
        let c = account(&a, &s, &format!("clerk{k}@roth-moebel.de"));
        assert!(!has_reason(c), "clerk{k}: {:#?}", c.reasons);
        assert_ne!(c.verdict(), Verdict::Culprit, "clerk{k}: {:#?}", c.reasons);
    }
}

/// Phone users on one carrier's CGNAT pool (16 IPs in two /24s), all saying `localhost`: each
/// login comes from ten IPs or more, 25 points as many places; that those IPs are shared is
/// the same evidence again, not 20 more (45 made every busy phone user a culprit).
#[test]
fn phones_on_a_carrier_pool_from_many_ips_weigh_as_many_places_only() {
    let s = Arc::new(Interner::new());
    let records: Vec<MessageRecord> = (0..480u64)
        .map(|i| {
            let login = format!("phone{}@example.com", i % 20);
            let ip = format!(
                "46.114.{}.{}",
                [33, 97][(i as usize / 20) % 2],
                20 + (i / 40) % 8
            );
            sent_helo(&s, i, &login, &ip, "localhost")
        })
        .collect();
    let a = run(records, s.clone());
    for u in 0..20 {
        let c = account(&a, &s, &format!("phone{u}@example.com"));
        assert!(
            c.reasons
                .iter()
                .any(|r| r.contains("one login used from 16 IPs")),
            "phone{u}: {:#?}",
            c.reasons
        );
        assert!(!has_reason(c), "phone{u}: {:#?}", c.reasons);
        assert_ne!(c.verdict(), Verdict::Culprit, "phone{u}: {:#?}", c.reasons);
    }
}

/// Mix 9c of the real-qmail mixes: a sales team of three at a trade fair, every message of the
/// last two days from the hotel, the fair's Wi-Fi or the airport (three /24s), all three laptops
/// saying `laptop`, each inviting a dozen customers once among 22 messages to 1-3 people. Their
/// places log in as three accounts each, a ring to the shared-IP signal (20) beside a few places
/// (10); one invitation's fan-out made 10 more, and 69 real messages were planned for the yank.
#[test]
fn a_team_at_a_fair_is_no_culprit_for_one_wide_invitation_each() {
    let s = Arc::new(Interner::new());
    let places = ["84.123.68.220", "151.15.48.22", "109.186.47.207"];
    let mut records = people(&s, 400, 0);
    for k in 0..3u64 {
        let login = format!("sales{k}@example.com");
        for i in 0..22u64 {
            let id = 50_000 + 100 * k + i;
            let mut r = sent_helo(&s, id, &login, places[(i % 3) as usize], "laptop");
            let to: Vec<String> = match i {
                0 => (0..12)
                    .map(|n| format!("buyer{n}@shop{n}.example"))
                    .collect(),
                _ => (0..1 + i % 3)
                    .map(|n| format!("c{n}@client{i}.example"))
                    .collect(),
            };
            crate::fixture::record::with_recipients(&mut r, &s, Channel::Remote, &to);
            records.push(r);
        }
    }
    let a = run(records, s.clone());
    for k in 0..3 {
        let c = account(&a, &s, &format!("sales{k}@example.com"));
        assert!(has_reason(c), "sales{k}: {:#?}", c.reasons);
        assert_ne!(c.verdict(), Verdict::Culprit, "sales{k}: {:#?}", c.reasons);
    }
}

/// A hundred people of the server's other domains, ten messages each from their own IPs over
/// a working day: the median login (10 messages) and a queue in which one login is a small share.
fn crowd(s: &Interner) -> Vec<MessageRecord> {
    (0..1_000u64)
        .map(|i| {
            let login = format!("person{}@example.com", i % 100);
            let ip = format!("100.{}.{}.9", 64 + i % 100 / 10, i % 10);
            let mut r = sent(s, 20_000 + i, &login, &ip, &login);
            r.set_queued(NOW - 30 * i as i64);
            r
        })
        .collect()
}

/// A busy phone user on one carrier's small CGNAT pool (8 IPs in two /24s), every phone saying
/// `localhost`: under ten IPs, so the shared IPs' 20 is not suppressed as "many places", and ten
/// times the median login adds heavy's 20: 10 + 20 + 20 = 50, a culprit, where before the
/// shared-IP signal it was 30, a suspect. The firm's PCs escape by naming themselves; phones,
/// a team's identically imaged laptops and a SaaS pool do not.
#[test]
fn a_busy_phone_user_on_a_small_carrier_pool_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let pool: Vec<String> = (0..8)
        .map(|k| format!("46.114.{}.{}", [33, 97][k % 2], 20 + k / 2))
        .collect();
    let mut records = crowd(&s);
    for u in 1..21u64 {
        for j in 0..6u64 {
            let login = format!("phone{u}@example.com");
            let id = 100 * u + j;
            let mut r = sent_helo(&s, id, &login, &pool[((u + j) % 8) as usize], "localhost");
            r.set_queued(NOW - 600 * id as i64);
            records.push(r);
        }
    }
    for j in 0..120u64 {
        let id = 10_000 + j;
        let mut r = sent_helo(
            &s,
            id,
            "phone0@example.com",
            &pool[(j % 8) as usize],
            "localhost",
        );
        r.set_queued(NOW - 1_200 * j as i64);
        records.push(r);
    }
    let a = run(records, s.clone());
    let c = account(&a, &s, "phone0@example.com");
    assert_ne!(c.verdict(), Verdict::Culprit, "{:#?}", c.reasons);
}

/// One person's laptop whose mail client holds three accounts (`info@`, `bookings@`, her own),
/// used at home, at the office and at a hotel (three /24s): one client logging in as three
/// accounts from three IPs, a ring to the shared-IP signal though it is one machine. Its busy
/// `bookings@` (ten times the median login) is 10 + 20 + 20 = 50, a culprit, where before the
/// shared-IP signal it was 30, a suspect.
#[test]
fn one_laptop_with_three_accounts_in_three_places_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let places = ["84.123.68.220", "91.65.12.7", "151.15.48.22"];
    let mut records = crowd(&s);
    for (k, (login, n)) in [("info", 12u64), ("anna", 12), ("bookings", 120)]
        .into_iter()
        .enumerate()
    {
        for i in 0..n {
            let id = 50_000 + 1_000 * k as u64 + i;
            let login = format!("{login}@example.com");
            let mut r = sent_helo(&s, id, &login, places[(i % 3) as usize], "ANNA-LAPTOP");
            r.set_queued(NOW - 900 * i as i64);
            records.push(r);
        }
    }
    let a = run(records, s.clone());
    let c = account(&a, &s, "bookings@example.com");
    assert_ne!(c.verdict(), Verdict::Culprit, "{:#?}", c.reasons);
}

/// The six-account ring sending 60 messages an account (ten times the people's 6: heavy, 20).
/// Writing to one recipient each, nothing but its clients' other accounts carries it over 40:
/// held, as a busy person's laptop with several accounts is. Writing to 15 recipients on half
/// its messages, a spammer's habit, it is taken.
#[test]
fn a_ring_is_taken_with_a_spammers_fan_out_and_held_without() {
    for wide in [false, true] {
        let s = Arc::new(Interner::new());
        let mut records = people(&s, 120, 0);
        for (k, mut r) in [ring(&s), ring(&s)].concat().into_iter().enumerate() {
            r.id = crate::queue::MessageId(10_000 + k as u64);
            if wide && (k / 6) % 2 == 0 {
                let to: Vec<String> = (0..15).map(|n| format!("h{n}@list{k}.example")).collect();
                crate::fixture::record::with_recipients(&mut r, &s, Channel::Remote, &to);
            }
            records.push(r);
        }
        let a = run(records, s.clone());
        for login in ["guest", "scanner", "office", "test", "info", "backup"] {
            let c = account(&a, &s, &format!("{login}@example.com"));
            let held = c
                .reasons
                .iter()
                .any(|r| r.contains("other accounts carries it over 40"));
            let want = match wide {
                true => (Verdict::Culprit, false),
                false => (Verdict::Suspect, true),
            };
            assert_eq!((c.verdict(), held), want, "{login}: {:#?}", c.reasons);
        }
    }
}
