//! A guessed account writing as itself and, a fifth of the time, as a forged-sender campaign's
//! generated names (`ring-shapes`, `shared-ips`): the campaign names the login; a person's
//! redirected mail, whose senders' pattern comes in to local users, does not.
use std::sync::Arc;

use super::tests::{guessed_password, run, Rec};
use super::*;
use crate::analysis::Analysis;
use crate::queue::{Channel, MessageRecord};

const CAMPAIGN: &str = "a forged-sender campaign this server sends out";

/// Ids from 100,000 up are the spam's.
const SPAM: u64 = 100_000;

/// `login`'s `n` messages from two IPs in two networks, to 1-20 remote recipients (as
/// `ring-shapes`' rings: places 10, fan-out 10, a suspect), as itself
/// except every `forged_every`th (0: never), which is sent as a generated name at
/// redbullcarwrap.com.
fn ring_account(
    s: &Interner,
    first_id: u64,
    login: &str,
    n: u64,
    forged_every: u64,
) -> Vec<MessageRecord> {
    (0..n)
        .map(|i| {
            let ip = ["45.137.21.9", "179.43.175.2"][i as usize % 2];
            let forged = forged_every > 0 && i % forged_every == 0;
            let sender = match forged {
                true => format!(
                    "{}miller{i}@redbullcarwrap.com",
                    (b'a' + (i % 26) as u8) as char
                ),
                false => login.to_string(),
            };
            Rec::new(s, first_id + i)
                .auth(login, ip)
                .sender(&sender)
                .rcpts(Channel::Remote, 1 + (i * 7 % 20) as usize)
                .subject(["Hello", "Offer", "Your order", "Meeting", "Invoice"][i as usize % 5])
                .r
        })
        .collect()
}

/// Thirty people writing eight messages each as themselves from their own IPs, and forty inbound messages from
/// thirty gmail.com users to local users (their senders generalise to `<random>@gmail.com`).
fn real_mail(s: &Interner) -> Vec<MessageRecord> {
    let mut recs = Vec::new();
    for i in 0..240u64 {
        let login = format!("user{}@example.com", i % 30);
        let ip = format!("84.130.{}.{}", i % 30, 2 + i % 30);
        recs.push(
            Rec::new(s, i)
                .auth(&login, &ip)
                .sender(&login)
                .rcpts(Channel::Remote, 1)
                .subject(&format!("Re: offer {i}"))
                .r,
        );
    }
    for i in 0..40u64 {
        recs.push(
            Rec::new(s, 1_000 + i)
                .smtp(&format!("209.85.128.{}", i % 30))
                .sender(&format!("person{}@gmail.com", i % 30))
                .rcpts(Channel::Local, 1)
                .subject(&format!("question {i}"))
                .r,
        );
    }
    recs
}

fn cluster<'a>(a: &'a Analysis, s: &Interner, login: &str) -> &'a Cluster {
    a.clusters
        .iter()
        .find(|c| c.value.map(|v| v.text(s)).as_deref() == Some(login))
        .unwrap_or_else(|| panic!("no cluster of {login}: {:#?}", a.clusters))
}

fn has_campaign_reason(c: &Cluster) -> bool {
    c.reasons.iter().any(|r| r.contains(CAMPAIGN))
}

/// The real mail beside two ring accounts sending a fifth of their mail as a generated name:
/// under the half that "senders not its own" asks.
pub(super) fn campaign_mix(s: &Interner) -> Vec<MessageRecord> {
    let mut recs = real_mail(s);
    for (k, login) in ["hr@example.com", "jobs@example.com"].iter().enumerate() {
        recs.extend(ring_account(s, SPAM + 1_000 * k as u64, login, 60, 5));
    }
    recs
}

#[test]
fn a_login_sending_a_fifth_as_a_campaigns_generated_names_is_a_culprit() {
    let s = Arc::new(Interner::new());
    let a = run(campaign_mix(&s), s.clone(), &["example.com"]);
    for login in ["hr@example.com", "jobs@example.com"] {
        let c = cluster(&a, &s, login);
        assert_eq!(c.verdict(), Verdict::Culprit, "{c:#?}");
        let reasons = c.reasons.join("\n");
        assert!(
            reasons.contains("12 of its messages (20%) sent as generated names at other domains")
                && reasons.contains("<random>@redbullcarwrap.com 12")
                && reasons.contains(CAMPAIGN),
            "{reasons}"
        );
    }
    let real_taken = a
        .clusters
        .iter()
        .filter(|c| c.verdict() == Verdict::Culprit)
        .flat_map(|c| c.members.iter())
        .any(|&i| a.records[i as usize].id.0 < SPAM);
    assert!(!real_taken, "{:#?}", a.clusters);
}

#[test]
fn without_the_campaign_the_same_login_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let mut recs = real_mail(&s);
    recs.extend(ring_account(&s, SPAM, "hr@example.com", 60, 0));
    let a = run(recs, s.clone(), &["example.com"]);
    let c = cluster(&a, &s, "hr@example.com");
    assert_ne!(c.verdict(), Verdict::Culprit, "{c:#?}");
    assert!(!has_campaign_reason(c), "{c:#?}");
}

/// `r` sent to a colleague at one of five firms, by `i`: as spread over recipient domains as a
/// campaign's, so that only the pattern's way (in or out) tells them apart.
fn to_one_of_five_firms(s: &Interner, i: usize, mut r: MessageRecord) -> MessageRecord {
    let to = [format!("colleague@firm{}.example", i % 5)];
    crate::fixture::record::with_recipients(&mut r, s, Channel::Remote, &to);
    r
}

#[test]
fn redirected_mail_whose_senders_pattern_comes_in_is_no_campaign() {
    let s = Arc::new(Interner::new());
    let a = run(anna_redirecting(&s), s.clone(), &["example.com"]);
    let c = cluster(&a, &s, ANNA);
    assert!(!has_campaign_reason(c), "{c:#?}");
}

const ANNA: &str = "anna@example.com";

/// [`real_mail`], and anna redirecting ten of the inbound gmail.com messages to colleagues at
/// five firms, senders kept: generated names at a domain not hers, going out to five domains,
/// but their pattern's other 40 messages come in to local users.
fn anna_redirecting(s: &Interner) -> Vec<MessageRecord> {
    let mut recs = real_mail(s);
    let ip = "84.131.7.7";
    recs.extend(sent(s, 5_000, ANNA, &[ip], 40, |_| ANNA.to_string()));
    recs.extend(
        sent(s, 6_000, ANNA, &[ip], 10, |i| {
            format!("person{i}@gmail.com")
        })
        .into_iter()
        .enumerate()
        .map(|(i, r)| to_one_of_five_firms(s, i, r)),
    );
    recs
}

#[test]
fn a_help_desk_forwarding_each_customers_message_out_is_no_campaign() {
    let s = Arc::new(Interner::new());
    let mut recs = real_mail(&s);
    // The help desk forwards each of the forty inbound gmail.com messages to the partner firm
    // concerned (five), sender kept: half of the pattern's messages go out.
    let (desk, ip) = ("support@example.com", "84.131.7.8");
    recs.extend(
        sent(&s, 7_000, desk, &[ip], 40, |i| {
            format!("person{}@gmail.com", i % 30)
        })
        .into_iter()
        .enumerate()
        .map(|(i, r)| to_one_of_five_firms(&s, i, r)),
    );
    recs.extend(sent(&s, 8_000, desk, &[ip], 200, |_| desk.to_string()));
    let a = run(recs, s.clone(), &["example.com"]);
    let c = cluster(&a, &s, desk);
    assert!(!has_campaign_reason(c), "{c:#?}");
}

#[test]
fn a_few_campaign_messages_or_a_login_mostly_forged_earn_nothing_more() {
    let s = Arc::new(Interner::new());
    let mut recs = real_mail(&s);
    // Four of the campaign's generated names among 60 (another login sends it): too few to
    // say a spammer uses the login.
    recs.extend(ring_account(&s, SPAM, "jobs@example.com", 60, 5));
    recs.extend(ring_account(&s, SPAM + 1_000, "hr@example.com", 60, 15));
    // Every message forged: "senders not its own" weighs that already.
    recs.extend(guessed_password(&s).into_iter().map(|mut r| {
        r.id.0 += 2 * SPAM;
        r
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    assert!(has_campaign_reason(cluster(&a, &s, "jobs@example.com")));
    let few = cluster(&a, &s, "hr@example.com");
    assert!(!has_campaign_reason(few), "{few:#?}");
    let forged = cluster(&a, &s, "test@example.com");
    assert_eq!(forged.verdict(), Verdict::Culprit, "{forged:#?}");
    assert!(!has_campaign_reason(forged), "{forged:#?}");
}

/// The thirty people of [`real_mail`] without the inbound gmail.com messages: delivered to
/// local users within seconds, they have left a real queue, where what goes out stays (a flood
/// gets the server deferred by the big freemail providers).
fn real_mail_delivered(s: &Interner) -> Vec<MessageRecord> {
    let mut recs = real_mail(s);
    recs.retain(|r| r.id.0 < 1_000);
    recs
}

/// A person's subjects: no one template.
const SUBJECTS: [&str; 6] = [
    "Lunch?",
    "Re: budget",
    "Invoice question",
    "Meeting notes",
    "Fwd: photos",
    "Holiday",
];

/// `n` messages of `login` from `ips` in turn as `sender(i)`, to one remote recipient each.
fn sent(
    s: &Interner,
    first_id: u64,
    login: &str,
    ips: &[&str],
    n: u64,
    sender: impl Fn(u64) -> String,
) -> Vec<MessageRecord> {
    (0..n)
        .map(|i| {
            Rec::new(s, first_id + i)
                .auth(login, ips[i as usize % ips.len()])
                .sender(&sender(i))
                .rcpts(Channel::Remote, 1)
                .subject(SUBJECTS[i as usize % SUBJECTS.len()])
                .r
        })
        .collect()
}

#[test]
fn a_person_writing_now_and_then_as_their_own_freemail_address_is_no_campaign() {
    let s = Arc::new(Interner::new());
    let mut recs = real_mail_delivered(&s);
    // Inbound mail from fifteen gmail.com people that .qmail files forward to a remote
    // mailbox, senders kept: `<random>@gmail.com`, all of it going out.
    recs.extend((0..15u64).map(|i| {
        Rec::new(&s, 2_000 + i)
            .sender(&format!("friend{i}@gmail.com"))
            .rcpts(Channel::Remote, 1)
            .r
    }));
    // bob, from his phone, home and office, sends a sixth of his mail as his one gmail.com
    // address (a second identity in his mail client, sent through his own server).
    let ips = ["84.200.1.5", "84.200.1.6", "62.1.2.3"];
    recs.extend(sent(&s, 3_000, "bob@example.com", &ips, 50, |_| {
        "bob@example.com".into()
    }));
    recs.extend(sent(&s, 3_100, "bob@example.com", &ips, 10, |_| {
        "bob.smith@gmail.com".into()
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    let c = cluster(&a, &s, "bob@example.com");
    assert!(!has_campaign_reason(c), "{c:#?}");
    assert_ne!(c.verdict(), Verdict::Culprit, "{c:#?}");
}

#[test]
fn a_help_desk_forwarding_customers_messages_after_they_were_delivered_is_no_culprit() {
    let s = Arc::new(Interner::new());
    let mut recs = real_mail_delivered(&s);
    // As `a_help_desk_forwarding_each_customers_message_out_is_no_campaign`, but the
    // customers' messages to the help desk were delivered and have left the queue.
    recs.extend(sent(
        &s,
        7_000,
        "support@example.com",
        &["84.131.7.8"],
        40,
        |i| format!("person{}@gmail.com", i % 30),
    ));
    recs.extend(sent(
        &s,
        8_000,
        "support@example.com",
        &["84.131.7.8"],
        200,
        |_| "support@example.com".into(),
    ));
    let a = run(recs, s.clone(), &["example.com"]);
    let c = cluster(&a, &s, "support@example.com");
    assert_ne!(c.verdict(), Verdict::Culprit, "{c:#?}");
}

#[test]
fn redirected_mail_is_no_campaign_under_where_either() {
    // As `redirected_mail_whose_senders_pattern_comes_in_is_no_campaign`, the plan made of
    // `--where auth:anna@example.com`: the part is anna's messages only, all of whose gmail.com
    // senders go out; the whole queue's came in.
    let s = Arc::new(Interner::new());
    let a = part_of(anna_redirecting(&s), &s, ANNA);
    let c = cluster(&a, &s, ANNA);
    assert!(!has_campaign_reason(c), "{c:#?}");
    assert_ne!(c.verdict(), Verdict::Culprit, "{c:#?}");
}

/// The analysis `qtriage plan --where auth:LOGIN` makes of `recs`: `login`'s messages, judged
/// with the whole queue's tables and campaign messages.
fn part_of(mut recs: Vec<MessageRecord>, s: &Arc<Interner>, login: &str) -> Analysis {
    let ctx = crate::analysis::context::AnalysisContext {
        now: super::tests::NOW,
        local_domains: vec!["example.com".into()],
        ..Default::default()
    };
    let whole = crate::analysis::Whole::of(&recs, s, &ctx);
    let user = Some(s.intern(login.as_bytes()));
    recs.retain(|r| r.origin.auth_user == user);
    crate::analysis::analyse_part(
        crate::analysis::AnalysisInput {
            records: recs,
            strings: s.clone(),
            ctx,
            key: ClusterKey::AuthUser,
            top_limit: 10,
            want: crate::analysis::Want::Both,
        },
        Default::default(),
        whole,
    )
}

#[test]
fn a_ring_keeps_its_campaign_under_where() {
    // `plan --where auth:hr@example.com` judges hr's messages with the whole queue's campaign,
    // as `plan` of the whole queue does: the same reason, and a culprit.
    let s = Arc::new(Interner::new());
    let a = part_of(campaign_mix(&s), &s, "hr@example.com");
    let c = cluster(&a, &s, "hr@example.com");
    let reasons = c.reasons.join("\n");
    assert!(
        reasons.contains("12 of its messages (20%) sent as generated names at other domains")
            && reasons.contains(CAMPAIGN),
        "{reasons}"
    );
    assert_eq!(c.verdict(), Verdict::Culprit, "{c:#?}");
}
