//! Unit tests of `crate::analysis::plan`.
use super::*;

#[test]
fn terms_quote_what_the_query_language_would_read_otherwise() {
    assert_eq!(
        term("bounce-of", ClusterKey::AuthUser, Some(b"test")),
        "bounce-of:auth-user=test"
    );
    // `*` and `?` are wildcards inside quotes too: escaped, a template `*` is the value `*`,
    // not every subject (the verification run: `cluster:subject="*"` selected the queue).
    assert_eq!(
        term("cluster", ClusterKey::Subject, Some(b"Re: \"x\" * ?")),
        "cluster:subject=\"Re: \\\"x\\\" \\* \\?\""
    );
    assert_eq!(
        term("cluster", ClusterKey::Subject, Some(b"*")),
        "cluster:subject=\"\\*\""
    );
    assert_eq!(
        term("cluster", ClusterKey::Helo, None),
        "cluster:helo=(none)"
    );
}

/// An auth-user culprit with `reasons`, the summary first.
fn with_reasons(reasons: &[&str]) -> Cluster {
    Cluster {
        key: ClusterKey::AuthUser,
        value: None,
        members: vec![],
        messages: 0,
        recipients: 0,
        bytes: 0,
        first_queued: 0,
        last_queued: 0,
        per_minute: 0.0,
        score: 50.0,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
    }
}

#[test]
fn the_strongest_reason_is_the_signal_with_most_points() {
    let c = with_reasons(&[
        "AUTH user test: 10 messages (1% of queue): likely a guessed password",
        "logs: 10 messages",
        "38% of the queue (+11.4)",
        "one login used from 4 IPs in 4 networks (+25.0)",
        "up to 39 remote recipients a message (+10.0)",
    ]);
    assert_eq!(
        strongest_reason(&c),
        "likely a guessed password: one login used from 4 IPs in 4 networks (+25.0)"
    );
}

/// Of part of a queue (`plan --where auth:test`) the share is 100% and weighs 30, more than any
/// signal: the strongest reason is still the signal, not "100% of the selection".
#[test]
fn a_share_a_rate_a_fan_out_or_a_template_is_never_the_strongest_reason() {
    let reasons = [
        "100% of the selection (+30.0)",
        "100% of the queue (+30.0)",
        "100% of the messages reported (+30.0)",
        "up to 49 remote recipients a message (+10.0)",
        "one subject template in 100%: \"Dispute Transaction #\" (+10.0)",
        "10.0 messages a minute over the last hour (+10.0)",
    ];
    for weight in reasons {
        let c = with_reasons(&[
            "AUTH user test: 10 messages (100% of selection): likely a guessed password",
            weight,
            "100% of authenticated senders use domains not their own (+25.0)",
        ]);
        assert_eq!(
            strongest_reason(&c),
            "likely a guessed password: 100% of authenticated senders use domains not their own \
             (+25.0)",
            "{weight}"
        );
    }
}

/// A culprit cluster of `members` (one recipient each) with one reason, as the ranking makes.
fn culprit(key: ClusterKey, value: Option<KeyValue>, members: Vec<u32>, reason: &str) -> Cluster {
    Cluster {
        key,
        value,
        messages: members.len(),
        recipients: members.len(),
        members,
        bytes: 0,
        first_queued: 0,
        last_queued: 0,
        per_minute: 0.0,
        score: 90.0,
        reasons: vec![reason.into()],
    }
}

/// The plan of `ranking` over `records`, with no bounces and the default context.
fn plan_of(records: &[MessageRecord], strings: &Interner, ranking: &[Cluster]) -> Plan {
    plan_picked(records, strings, ranking, &[])
}

/// [`plan_of`], the records at `restored` picked back by the operator.
fn plan_picked(
    records: &[MessageRecord],
    strings: &Interner,
    ranking: &[Cluster],
    restored: &[u32],
) -> Plan {
    build(PlanInput {
        records,
        strings,
        tables: crate::analysis::KeyTables {
            sender_patterns: &Default::default(),
            ctx: &Default::default(),
        },
        ranking,
        quoted: &[],
        yanked: &[],
        restored,
    })
}

/// A culprit whose value is empty (a spam run without a Subject) reads `""` on its line, as
/// `clusters` shows it, never a blank after the key; its query selects that empty value.
#[test]
fn an_empty_culprit_value_reads_as_clusters_shows_it() {
    let strings = Interner::new();
    let records: Vec<MessageRecord> = (1..=4).map(crate::fixture::record::record).collect();
    let ranking = [culprit(
        ClusterKey::Subject,
        Some(KeyValue::Text(strings.intern(b""))),
        vec![0, 1, 2],
        "subject \"\": 3 messages: likely spam",
    )];
    let plan = plan_of(&records, &strings, &ranking);
    assert_eq!(plan.culprits.len(), 1, "{plan:#?}");
    assert_eq!(plan.culprits[0].value, "\"\"");
    assert!(plan.culprits[0].value_bytes.is_empty());
    assert_eq!(plan.query, "cluster:subject=\"\"");
    assert_eq!(plan.selected, [0, 1, 2]);
}

/// Three hundred culprit IPs, each of whose keys takes a `bounce-of:` term too: the plan names
/// those whose terms fit the query language and says how many wait for a second plan, so
/// `yank "$(qtriage plan --query)"` never gets a query it refuses.
#[test]
fn a_plan_of_more_culprits_than_a_query_holds_leaves_the_rest_for_a_second() {
    let strings = Interner::new();
    let records: Vec<MessageRecord> = (1..=300).map(crate::fixture::record::record).collect();
    let ranking: Vec<Cluster> = (0..300u32)
        .map(|i| {
            let ip = strings.intern(format!("10.0.{}.{}", i / 250, i % 250).as_bytes());
            culprit(
                ClusterKey::OriginIp,
                Some(KeyValue::Text(ip)),
                vec![i],
                "IP: 1 message: likely spam",
            )
        })
        .collect();
    let plan = plan_of(&records, &strings, &ranking);
    assert_eq!(plan.culprits.len() + plan.left_out, 300);
    assert_eq!(plan.culprits.len(), MAX_PLAN_TERMS / 2);
    assert!(crate::query::Query::parse(&plan.query).is_ok());
    let words = plan.left_out_words().expect("some left out");
    assert!(
        words.starts_with("+188 more culprits for a second plan"),
        "{words}"
    );
}

/// Marks over a culprit and an account sending as itself: what the plan would not take is the
/// account's, counted and in the plan's words for it; the culprit's marked messages are not.
#[test]
fn marks_the_plan_would_not_take_are_counted_by_kind() {
    let strings = Interner::new();
    let mut records: Vec<MessageRecord> = (1..=6).map(crate::fixture::record::record).collect();
    // alice logs in and sends as herself: not a culprit, what the plan keeps.
    let alice = strings.intern(b"alice@example.com");
    for r in &mut records[3..] {
        r.origin.kind = crate::queue::OriginKind::SmtpAuth;
        r.origin.auth_user = Some(alice);
        r.sender = Some(alice);
    }
    let ranking = [culprit(
        ClusterKey::Subject,
        Some(KeyValue::Text(strings.intern(b"cheap pills"))),
        vec![0, 1, 2],
        "subject \"cheap pills\": 3 messages: likely spam",
    )];
    let input = PlanInput {
        records: &records,
        strings: &strings,
        tables: crate::analysis::KeyTables {
            sender_patterns: &Default::default(),
            ctx: &Default::default(),
        },
        ranking: &ranking,
        quoted: &[],
        yanked: &[],
        restored: &[],
    };
    let plan = build(input);
    assert_eq!(plan.selected, [0, 1, 2]);
    // Two culprit messages and two of alice's marked.
    let kept = kept_of(input, &plan, &[1, 2, 3, 4]);
    assert_eq!(
        kept,
        [Remaining {
            messages: 2,
            words: "from 1 AUTH user each from one IP, sending as themselves".into(),
        }]
    );
    assert!(kept_of(input, &plan, &[0, 2]).is_empty());
}

/// What remains of logins says how many came from one IP each: all of them, some (in
/// brackets), or none (no clause: not "(0 of them each from one IP)").
#[test]
fn remaining_logins_say_how_many_came_from_one_ip() {
    let strings = Interner::new();
    let words = |logins: &[(&str, &[&str])]| {
        let mut records = Vec::new();
        for (user, ips) in logins {
            for ip in *ips {
                let mut r = crate::fixture::record::record(records.len() as u64 + 1);
                r.origin.kind = crate::queue::OriginKind::SmtpAuth;
                r.origin.auth_user = Some(strings.intern(user.as_bytes()));
                r.origin.ip = Some(strings.intern(ip.as_bytes()));
                // A monitoring login sends as its server's own address, not its domain's.
                r.sender = match user.starts_with("monitoring") {
                    true => Some(strings.intern(b"zabbix@zabbix01.corp.lan")),
                    false => r.origin.auth_user,
                };
                records.push(r);
            }
        }
        let plan = plan_of(&records, &strings, &[]);
        let input = PlanInput {
            records: &records,
            strings: &strings,
            tables: crate::analysis::KeyTables {
                sender_patterns: &Default::default(),
                ctx: &Default::default(),
            },
            ranking: &[],
            quoted: &[],
            yanked: &[],
            restored: &[],
        };
        let all: Vec<u32> = (0..records.len() as u32).collect();
        let kept = kept_of(input, &plan, &all);
        kept.into_iter().map(|r| r.words).collect::<Vec<_>>()
    };
    let alice: (&str, &[&str]) = ("alice@example.com", &["192.0.2.1"]);
    let bob: (&str, &[&str]) = ("bob@example.com", &["192.0.2.2", "198.51.100.2"]);
    let carol: (&str, &[&str]) = ("carol@example.com", &["192.0.2.3", "198.51.100.3"]);
    assert_eq!(
        words(&[alice, bob, carol]),
        ["from 3 AUTH users (1 of them each from one IP), sending as themselves"]
    );
    assert_eq!(
        words(&[bob, carol]),
        ["from 2 AUTH users, sending as themselves"]
    );
    assert_eq!(
        words(&[alice]),
        ["from 1 AUTH user each from one IP, sending as themselves"]
    );
    // Most of it as another domain's address: not "mostly sending as themselves" (newuser51b:
    // 4,000 of 4,400 were a monitoring login's alerts).
    let monitoring: (&str, &[&str]) = ("monitoring@example.com", &["192.0.2.9"; 3]);
    assert_eq!(
        words(&[alice, monitoring]),
        ["from 2 AUTH users each from one IP, mostly sending as other domains' addresses"]
    );
}

/// Messages the operator restored are never taken, nor counted in a culprit's line or as
/// "counted above": the culprits' counts still add up to the plan's. A culprit whose every
/// message was restored is not listed, and the query keeps restored mail out of a `yank`.
#[test]
fn restored_messages_stay_and_the_counts_still_add_up() {
    let strings = Interner::new();
    let records: Vec<MessageRecord> = (1..=12).map(crate::fixture::record::record).collect();
    let text = |s: &str| Some(KeyValue::Text(strings.intern(s.as_bytes())));
    let ranking = [
        culprit(
            ClusterKey::Subject,
            text("cheap"),
            (0..6).collect(),
            "s: 6 messages: likely spam",
        ),
        culprit(
            ClusterKey::OriginIp,
            text("192.0.2.9"),
            (3..9).collect(),
            "ip: likely spam",
        ),
        culprit(
            ClusterKey::Helo,
            text("newsletter"),
            vec![10, 11],
            "helo: likely spam",
        ),
    ];
    let plan = plan_picked(&records, &strings, &ranking, &[4, 5, 8, 10, 11]);
    assert_eq!(plan.selected, [0, 1, 2, 3, 6, 7]);
    let counts: Vec<(usize, usize)> = (plan.culprits.iter())
        .map(|c| (c.messages, c.counted_above))
        .collect();
    assert_eq!(counts, [(4, 0), (3, 1)], "{plan:#?}");
    assert_eq!(
        plan.query,
        "(cluster:subject=cheap or cluster:origin-ip=192.0.2.9) restored:no"
    );
    let kept = plan
        .remaining
        .iter()
        .find(|r| r.words.starts_with("restored"));
    assert_eq!(kept.map(|r| r.messages), Some(5), "{plan:#?}");
    assert_eq!(plan.remaining_messages(), 6);
}

/// What remains of clients relaying without a login names them when they are few (a hacked
/// site's mailer on 127.0.0.1, which the ranking calls legitimate), largest first, and only
/// counts them when they are many.
#[test]
fn remaining_relays_name_their_few_clients() {
    let strings = Interner::new();
    let words = |clients: &[(&str, usize)]| {
        let mut records = Vec::new();
        for (ip, n) in clients {
            for _ in 0..*n {
                let mut r = crate::fixture::record::record(records.len() as u64 + 1);
                r.origin.kind = crate::queue::OriginKind::Smtp;
                r.origin.ip = Some(strings.intern(ip.as_bytes()));
                // `with ESMTPA` though no header names the account (an AUTH patch's line).
                let login = ip.starts_with("203.");
                let protocol: &[u8] = if login { b"ESMTPA" } else { b"SMTP" };
                r.origin.protocol = Some(strings.intern(protocol));
                r.sender = Some(strings.intern(b"info@site.example"));
                crate::fixture::record::with_recipients(
                    &mut r,
                    &strings,
                    crate::queue::Channel::Remote,
                    &["v@victim.example"],
                );
                records.push(r);
            }
        }
        let plan = plan_of(&records, &strings, &[]);
        plan.remaining_words()
    };
    assert_eq!(
        words(&[("192.0.2.9", 2), ("127.0.0.1", 5)]),
        "7 remain: 7 from 2 SMTP clients without a login to remote addresses (127.0.0.1 5, \
         192.0.2.9 2)"
    );
    let many = [
        ("192.0.2.1", 1),
        ("192.0.2.2", 1),
        ("192.0.2.3", 1),
        ("192.0.2.4", 1),
    ];
    assert_eq!(
        words(&many),
        "4 remain: 4 from 4 SMTP clients without a login to remote addresses"
    );
    // Clients that logged in are no relay without a login (mix61: a guessed login's 2,800
    // messages and 970 real ones were counted as such, and nothing pointed to --log).
    assert_eq!(
        words(&[("203.0.113.5", 3), ("192.0.2.9", 2)]),
        "5 remain: 3 from 1 SMTP client that logged in (ESMTPA) to remote addresses, no header \
         naming the account (203.0.113.5 3) (--log names it); 2 from 1 SMTP client without a \
         login to remote addresses (192.0.2.9 2)"
    );
}

/// A plan that takes nothing names the ranking's strongest suspects (mix61: `no culprit`
/// beside two guessed logins' 2,500 messages at 38.4), each with its strongest reason, and
/// none already held loud; a plan with a culprit names none.
#[test]
fn a_plan_with_no_culprit_names_the_strongest_suspects() {
    let strings = Interner::new();
    let records: Vec<MessageRecord> = (1..=8).map(crate::fixture::record::record).collect();
    let suspect = |login: &str, members: Vec<u32>, score: f64| {
        let value = Some(KeyValue::Text(strings.intern(login.as_bytes())));
        let mut c = culprit(ClusterKey::AuthUser, value, members, "x");
        c.score = score;
        c.reasons = vec![
            format!("AUTH user {login}: an account sending far more than the others"),
            "54 times the median login's 23 messages (+20.0)".into(),
            "one login used from 6 IPs in 1 network (+10.0)".into(),
        ];
        c
    };
    // Listed as the ranking lists them, the larger first: named by score.
    let ranking = [
        suspect("b@example.com", vec![5], 25.0),
        suspect("sales@example.com", vec![0, 1], 38.4),
        suspect("test@shop.example.net", vec![2, 3], 38.4),
        suspect("a@example.com", vec![4], 30.0),
        suspect("c@example.com", vec![6], 10.0),
    ];
    let plan = plan_of(&records, &strings, &ranking);
    assert!(plan.culprits.is_empty());
    let named: Vec<String> = plan.suspects.iter().map(|s| s.suspect_words()).collect();
    assert_eq!(
        named,
        [
            "suspect, not taken: auth-user sales@example.com (2 messages, suspect 38.4): an \
             account sending far more than the others: 54 times the median login's 23 messages \
             (+20.0)",
            "suspect, not taken: auth-user test@shop.example.net (2 messages, suspect 38.4): an \
             account sending far more than the others: 54 times the median login's 23 messages \
             (+20.0)",
            "suspect, not taken: auth-user a@example.com (1 message, suspect 30.0): an account \
             sending far more than the others: 54 times the median login's 23 messages (+20.0)",
        ]
    );
    let mut with_culprit = ranking.to_vec();
    with_culprit.push(suspect("d@example.com", vec![7], 60.0));
    assert!(plan_of(&records, &strings, &with_culprit)
        .suspects
        .is_empty());
}
