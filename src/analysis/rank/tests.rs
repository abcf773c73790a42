//! Unit tests of `crate::analysis::rank`.
use std::sync::Arc;

use super::*;
use crate::analysis::context::AnalysisContext;
use crate::analysis::key::KeyExtractor;
use crate::analysis::patterns::SenderPatterns;
use crate::analysis::{analyse, AnalysisInput, Want};
use crate::queue::OriginKind;
use crate::queue::{Channel, MessageRecord};

pub(super) const NOW: i64 = 1_795_430_000;

/// A tiny record builder for ranking tests.
pub(super) struct Rec<'a> {
    s: &'a Interner,
    pub(super) r: MessageRecord,
}

impl<'a> Rec<'a> {
    pub(super) fn new(s: &'a Interner, id: u64) -> Rec<'a> {
        let mut r = crate::fixture::record::record(id);
        r.set_queued(NOW - 600);
        r.size = 1000;
        Rec { s, r }
    }
    pub(super) fn sender(mut self, a: &str) -> Self {
        self.r.sender = Some(self.s.intern(a.as_bytes()));
        self
    }
    pub(super) fn auth(mut self, user: &str, ip: &str) -> Self {
        self.r.origin.kind = OriginKind::SmtpAuth;
        self.r.origin.auth_user = Some(self.s.intern(user.as_bytes()));
        self.r.origin.ip = Some(self.s.intern(ip.as_bytes()));
        self
    }
    pub(super) fn smtp(mut self, ip: &str) -> Self {
        self.r.origin.kind = OriginKind::Smtp;
        self.r.origin.ip = Some(self.s.intern(ip.as_bytes()));
        self
    }
    pub(super) fn php(mut self, uid: u32, script: Option<&str>) -> Self {
        self.r.origin.kind = OriginKind::Local;
        self.r.origin.set_uid(Some(uid));
        self.r.origin.script = script.map(|x| self.s.intern(x.as_bytes()));
        self
    }
    pub(super) fn rcpts(mut self, channel: Channel, n: usize) -> Self {
        // Each message its own addresses (at the same domains): a flood's are harvested, and
        // the same few again and again is what the few-recipients hold looks for.
        let id = self.r.id.0;
        let list: Vec<String> = (0..n)
            .map(|i| format!("r{i}.{id}@dest{i}.example"))
            .collect();
        crate::fixture::record::with_recipients(&mut self.r, self.s, channel, &list);
        self
    }
    pub(super) fn subject(mut self, t: &str) -> Self {
        self.r.headers.subject = Some(self.s.intern(t.as_bytes()));
        self
    }
}

pub(super) fn run(
    records: Vec<MessageRecord>,
    strings: Arc<Interner>,
    locals: &[&str],
) -> crate::analysis::Analysis {
    let ctx = AnalysisContext {
        now: NOW,
        local_domains: locals.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    run_with(records, strings, ctx)
}

/// [`run`] with a context of the test's own.
pub(super) fn run_with(
    records: Vec<MessageRecord>,
    strings: Arc<Interner>,
    ctx: AnalysisContext,
) -> crate::analysis::Analysis {
    analyse(AnalysisInput {
        records,
        strings,
        ctx,
        key: ClusterKey::AuthUser,
        top_limit: 10,
        want: Want::Both,
    })
}

/// Thirty people writing six messages each as themselves (envelope and From), from their own
/// IPs: the real mail beside the senders under test.
pub(super) fn people(s: &Interner) -> Vec<MessageRecord> {
    (0..180u64)
        .map(|i| {
            let login = format!("user{}@example.com", i % 30);
            let ip = format!("84.130.{}.{}", i % 30, 2 + i % 30);
            let mut r = Rec::new(s, 1_000 + i)
                .auth(&login, &ip)
                .sender(&login)
                .rcpts(Channel::Remote, 1)
                .subject(&format!("Re: offer {i}"))
                .r;
            r.headers.from = r.sender;
            r
        })
        .collect()
}

/// 60 messages from one login on 3 IPs with forged senders; 8 from a real user.
pub(super) fn guessed_password(s: &Interner) -> Vec<MessageRecord> {
    let ips = ["86.107.221.138", "41.203.18.7", "190.12.44.201"];
    let mut out = Vec::new();
    for i in 0..60u64 {
        let name = [
            "kbradford",
            "xqzpt",
            "mjones",
            "tkelly",
            "rwalsh",
            "pgarcia",
        ][i as usize % 6];
        let r = Rec::new(s, i)
            .auth("test@example.com", ips[i as usize % 3])
            .sender(&format!("{name}{}@philadefender.org", i / 6))
            .rcpts(Channel::Remote, 1 + (i as usize % 40))
            .subject(&format!("Dispute Transaction {}", 1000 + i));
        out.push(r.r);
    }
    for i in 100..108u64 {
        let r = Rec::new(s, i)
            .auth("alice@example.com", "192.0.2.10")
            .sender("alice@example.com")
            .rcpts(Channel::Remote, 1)
            .subject(&format!("Lunch {i}?"));
        out.push(r.r);
    }
    out
}

#[test]
fn guessed_password_is_first_with_its_reason() {
    let s = Arc::new(Interner::new());
    let a = run(guessed_password(&s), s.clone(), &["example.com"]);
    let first = &a.top[0];
    assert_eq!(first.key, ClusterKey::AuthUser);
    assert_eq!(
        first.value.map(|v| v.text(&s)).as_deref(),
        Some("test@example.com")
    );
    assert_eq!(first.messages, 60);
    assert_eq!(first.verdict(), Verdict::Culprit, "{:?}", first.reasons);
    assert_eq!(
        first.reasons[0],
        "AUTH user test@example.com: 60 messages (88% of queue) from 3 IPs (190.12.44.201 20, \
         41.203.18.7 20, 86.107.221.138 20), 1-40 remote recipients each, sender addresses not \
         its own: likely a guessed password"
    );
    assert!(first
        .reasons
        .iter()
        .any(|r| r.starts_with("one login used from 3 IPs in 3 networks")));
    // The IPs, subject template and sender pattern of the same flood are not listed again.
    assert!(a
        .top
        .iter()
        .all(|c| c.key != ClusterKey::OriginIp || c.verdict() == Verdict::Legitimate));
    let alice = a
        .top
        .iter()
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("alice@example.com"));
    let alice = alice.expect("the real user is shown as legitimate");
    assert_eq!(alice.verdict(), Verdict::Legitimate);
    assert!(
        alice.reasons[0].ends_with("sender addresses its own: looks legitimate: keep"),
        "{}",
        alice.reasons[0]
    );
}

#[test]
fn php_script_flood_is_a_compromised_web_script() {
    let s = Arc::new(Interner::new());
    let mut recs: Vec<MessageRecord> = (0..40)
        .map(|i| {
            Rec::new(&s, i)
                .php(48, Some("wp-content/uploads/x.php"))
                .sender("apache@mail.example.com")
                .rcpts(Channel::Remote, 3)
                .r
        })
        .collect();
    recs.extend((40..45).map(|i| {
        Rec::new(&s, i)
            .php(1001, None)
            .sender("cron@mail.example.com")
            .rcpts(Channel::Local, 1)
            .r
    }));
    let a = run(recs, s.clone(), &["mail.example.com"]);
    assert_eq!(a.top[0].key, ClusterKey::Script);
    assert_eq!(a.top[0].messages, 40);
    assert!(
        a.top[0].reasons[0].ends_with("likely a compromised web script"),
        "{}",
        a.top[0].reasons[0]
    );
    let cron = a
        .top
        .iter()
        .find(|c| c.messages == 5)
        .expect("the cron job is listed");
    assert_eq!(cron.verdict(), Verdict::Legitimate);
}

#[test]
fn web_uid_named_by_passwd_counts_as_web() {
    let mut ctx = AnalysisContext::default();
    assert!(is_web_uid(48, &ctx));
    ctx.users.insert(48, "alice".into());
    ctx.users.insert(1500, "www-data".into());
    assert!(!is_web_uid(48, &ctx));
    assert!(is_web_uid(1500, &ctx));
}

#[test]
fn backscatter_and_relay_are_named() {
    let s = Arc::new(Interner::new());
    let mut recs: Vec<MessageRecord> = (0..30)
        .map(|i| {
            let mut r = Rec::new(&s, i)
                .smtp("203.0.113.9")
                .sender("")
                .rcpts(Channel::Remote, 1)
                .r;
            r.origin.kind = OriginKind::Bounce;
            r
        })
        .collect();
    recs.extend((30..60).map(|i| {
        Rec::new(&s, i)
            .smtp("198.51.100.7")
            .sender(&format!("x{i}@spam.example"))
            .rcpts(Channel::Remote, 2)
            .r
    }));
    let a = run(recs, s.clone(), &[]);
    let words: Vec<&str> = a.top.iter().map(|c| c.reasons[0].as_str()).collect();
    assert!(
        words
            .iter()
            .any(|w| w.starts_with("origin bounce: 30 messages")
                && w.ends_with("backscatter: bounces of spam to forged senders")),
        "{words:#?}"
    );
    assert!(
        words
            .iter()
            .any(|w| w.contains(": relaying without a login: check rcpthosts and tcp.smtp")),
        "{words:#?}"
    );
}

#[test]
fn small_clusters_are_damped_and_thresholds_hold() {
    assert_eq!(Verdict::of(CULPRIT_SCORE), Verdict::Culprit);
    assert_eq!(Verdict::of(SUSPECT_SCORE - 0.1), Verdict::Legitimate);
    assert_eq!(percent(0.7), "70%");
    assert_eq!(percent(0.001), "<1%");
}

#[test]
fn every_cluster_of_a_key_is_scored_and_counts_add_up() {
    let s = Arc::new(Interner::new());
    let recs = guessed_password(&s);
    let n = recs.len();
    let ctx = AnalysisContext {
        now: NOW,
        ..Default::default()
    };
    for key in ClusterKey::ALL {
        let cs = crate::analysis::cluster::cluster(&recs, key, &s, &ctx);
        assert_eq!(cs.iter().map(|c| c.messages).sum::<usize>(), n, "{key:?}");
        assert!(cs.iter().all(|c| !c.reasons.is_empty()), "{key:?}");
    }
}

#[test]
fn an_analysis_makes_only_the_lists_wanted_and_makes_them_alike() {
    let s = Arc::new(Interner::new());
    let analysed = |want| {
        analyse(AnalysisInput {
            records: guessed_password(&s),
            strings: s.clone(),
            ctx: AnalysisContext {
                now: NOW,
                ..Default::default()
            },
            key: ClusterKey::OriginIp,
            top_limit: 10,
            want,
        })
    };
    let both = analysed(Want::Both);
    let (clusters, ranking) = (analysed(Want::Clusters), analysed(Want::Ranking));
    assert!(!both.clusters.is_empty() && !both.top.is_empty());
    assert!(clusters.top.is_empty() && ranking.clusters.is_empty());
    let shown = |cs: &[Cluster]| {
        cs.iter()
            .map(|c| (c.key, c.value, c.messages, c.score, c.reasons.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shown(&clusters.clusters), shown(&both.clusters));
    assert_eq!(shown(&ranking.top), shown(&both.top));
    assert_eq!(ranking.top_more, both.top_more);
}
/// Cost of clustering and ranking per message on a synthetic 200,000-message flood; run with
/// `cargo test --release --lib analysis_cost -- --ignored --nocapture`.
#[test]
#[ignore = "timing, not a check"]
fn analysis_cost() {
    let s = Arc::new(Interner::new());
    let n = 200_000u64;
    let ips = [
        "86.107.221.138",
        "41.203.18.7",
        "190.12.44.201",
        "192.0.2.10",
    ];
    let recs: Vec<MessageRecord> = (0..n)
        .map(|i| {
            let r = Rec::new(&s, i)
                .auth(
                    if i % 10 == 0 {
                        "alice@example.com"
                    } else {
                        "test@example.com"
                    },
                    ips[i as usize % 4],
                )
                .sender(&format!("u{}x@philadefender.org", i % 5000))
                .rcpts(Channel::Remote, 1 + (i as usize % 5))
                .subject(&format!("Dispute Transaction {i}"));
            r.r
        })
        .collect();
    let ctx = AnalysisContext {
        now: NOW,
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let c = crate::analysis::cluster::cluster(&recs, ClusterKey::SenderPattern, &s, &ctx);
    let one_key = t.elapsed();
    let t = std::time::Instant::now();
    let a = analyse(AnalysisInput {
        records: recs,
        strings: s.clone(),
        ctx,
        key: ClusterKey::AuthUser,
        top_limit: 10,
        want: Want::Both,
    });
    let all = t.elapsed();
    println!(
        "{n} messages: cluster --by sender-pattern {:?} ({:.0} ns/message, {} clusters); analyse (clusters + top over {} keys) {:?} ({:.0} ns/message), top[0] = {}",
        one_key,
        one_key.as_nanos() as f64 / n as f64,
        c.len(),
        TOP_KEYS.len(),
        all,
        all.as_nanos() as f64 / n as f64,
        a.top[0].reasons[0]
    );
}

#[test]
fn the_analysis_extractor_selects_exactly_each_sender_pattern_cluster() {
    let s = Arc::new(Interner::new());
    let mut a = run(guessed_password(&s), s.clone(), &["example.com"]);
    a.recluster(ClusterKey::SenderPattern);
    assert_eq!(a.key, ClusterKey::SenderPattern);
    let forged = a.clusters.iter().filter(|c| {
        c.value
            .is_some_and(|v| SenderPatterns::is_generalised(v.text(&s).as_bytes()))
    });
    assert!(forged.count() >= 1, "the forged names are generalised");
    let mut ex = a.extractor(ClusterKey::SenderPattern);
    for c in &a.clusters {
        let selected: Vec<u32> = (0..a.records.len() as u32)
            .filter(|&i| ex.value(&a.records[i as usize]) == c.value)
            .collect();
        assert_eq!(selected, c.members, "{:?}", c.value.map(|v| v.text(&s)));
    }
    // Without the table every sender is its own literal pattern.
    let mut plain = KeyExtractor::new(ClusterKey::SenderPattern, &s);
    let v = plain.value(&a.records[0]).map(|v| v.text(&s));
    assert_eq!(v.as_deref(), Some("kbradford0@philadefender.org"));
}

/// Issue 17: as spam is removed, a real sender's share grows; share (and rate) alone must not
/// make it a suspect.
#[test]
fn share_alone_never_makes_a_real_sender_a_suspect() {
    let s = Arc::new(Interner::new());
    let mut recs: Vec<MessageRecord> = (0..90)
        .map(|i| {
            Rec::new(&s, i)
                .auth("alice@example.com", "192.0.2.10")
                .sender("alice@example.com")
                .rcpts(Channel::Remote, 1)
                .subject(&format!("Minutes {i}"))
                .r
        })
        .collect();
    recs.extend((100..110).map(|i| Rec::new(&s, i).smtp("192.0.2.77").r));
    let a = run(recs, s.clone(), &["example.com"]);
    let alice = a
        .clusters
        .iter()
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("alice@example.com"))
        .expect("alice's cluster");
    assert_eq!(alice.verdict(), Verdict::Legitimate, "{:?}", alice.reasons);
    assert!(
        alice.reasons[0].contains("(90% of queue)"),
        "{:?}",
        alice.reasons
    );
}

/// Issue 17: many distinct names at a freemail domain writing to local users are people, not
/// forged names.
#[test]
fn many_real_names_at_a_freemail_domain_are_not_forged() {
    let s = Arc::new(Interner::new());
    let names = ["ann", "bob", "cyd", "dan", "eve", "fay", "gus", "hal"];
    let recs: Vec<MessageRecord> = (0..40u64)
        .map(|i| {
            let name = format!("{}{i}@gmail.com", names[i as usize % names.len()]);
            Rec::new(&s, i)
                .smtp(&format!("209.85.128.{i}"))
                .sender(&name)
                .rcpts(Channel::Local, 1)
                .r
        })
        .collect();
    let a = analyse(AnalysisInput {
        records: recs,
        strings: s.clone(),
        ctx: AnalysisContext {
            now: NOW,
            local_domains: vec!["example.com".into()],
            ..Default::default()
        },
        key: ClusterKey::SenderPattern,
        top_limit: 10,
        want: Want::Both,
    });
    let gmail = a
        .clusters
        .iter()
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("<random>@gmail.com"))
        .expect("the names are one pattern");
    assert!(
        gmail.reasons.iter().all(|r| !r.contains("forged")),
        "{:?}",
        gmail.reasons
    );
    assert_eq!(gmail.verdict(), Verdict::Legitimate, "{:?}", gmail.reasons);
}

#[test]
fn an_ip_that_logs_in_and_relays_is_named_for_both() {
    let s = Arc::new(Interner::new());
    let ip = "86.107.221.138";
    // 30 through a guessed login, 32 relayed without one: neither half is the whole story.
    let mut recs: Vec<MessageRecord> = (0..30)
        .map(|i| {
            Rec::new(&s, i)
                .auth("test@example.com", ip)
                .sender(&format!("x{i}@spam.example"))
                .rcpts(Channel::Remote, 2)
                .r
        })
        .collect();
    recs.extend((30..62).map(|i| {
        Rec::new(&s, i)
            .smtp(ip)
            .sender(&format!("service{i}@paypal.example"))
            .rcpts(Channel::Remote, 2)
            .r
    }));
    let mut a = run(recs, s.clone(), &["example.com"]);
    a.recluster(ClusterKey::OriginIp);
    let c = a
        .clusters
        .iter()
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some(ip))
        .expect("the IP is a cluster");
    assert!(
        c.reasons[0].ends_with(
            ": likely a guessed password; and relaying without a login: check rcpthosts and \
             tcp.smtp"
        ),
        "{:#?}",
        c.reasons
    );
    assert!(
        c.reasons
            .iter()
            .any(|r| r.starts_with("100% of the 30 authenticated messages use sender domains")),
        "{:#?}",
        c.reasons
    );
}

#[test]
fn the_conclusion_is_read_back_whole_from_the_end() {
    let relay = "IP 1.2.3.4: 9 messages: relaying without a login: check rcpthosts and tcp.smtp";
    assert_eq!(
        conclusion_of(relay),
        "relaying without a login: check rcpthosts and tcp.smtp"
    );
    let both = "IP 1.2.3.4: 9 messages: likely a guessed password; and relaying without a login: \
                check rcpthosts and tcp.smtp";
    assert_eq!(
        conclusion_of(both),
        "likely a guessed password; and relaying without a login: check rcpthosts and tcp.smtp"
    );
    // An attacker's subject that imitates a conclusion does not become part of it.
    let subject = "subject template \"x: likely a guessed password\": 9 messages: likely spam";
    assert_eq!(conclusion_of(subject), "likely spam");
    let suspect = "AUTH user a: 9 messages: possibly a guessed password; and relaying without a \
                   login: check rcpthosts and tcp.smtp";
    assert_eq!(
        conclusion_of(suspect),
        "possibly a guessed password; and relaying without a login: check rcpthosts and tcp.smtp"
    );
    let legit = "IP 1.2.3.4: 9 messages: looks legitimate: keep";
    assert_eq!(conclusion_of(legit), "looks legitimate: keep");
}

/// An IP that both logs in with a guessed password and relays without a login, the relayed
/// part under half of its messages, is concluded to be both: the open relay is named too.
#[test]
fn an_ip_relaying_for_part_of_its_messages_names_the_relay_too() {
    let s = Arc::new(Interner::new());
    let mut recs = guessed_password(&s);
    let ip = "86.107.221.138";
    let on_ip = recs
        .iter()
        .filter(|r| r.origin.ip.is_some_and(|x| s.text(x) == ip))
        .count();
    // About 40% of the IP's messages, relayed without a login.
    let relayed = on_ip * 2 / 3;
    recs.extend((1000..1000 + relayed as u64).map(|i| {
        Rec::new(&s, i)
            .smtp(ip)
            .sender(&format!("x{i}@spam.example"))
            .rcpts(Channel::Remote, 2)
            .r
    }));
    let a = run(recs, s.clone(), &["example.com"]);
    let c = a
        .top
        .iter()
        .find(|c| c.key == ClusterKey::OriginIp)
        .expect("the IP is ranked");
    assert!(
        c.reasons[0].contains("; and relaying without a login: check rcpthosts and tcp.smtp"),
        "{:#?}",
        c.reasons
    );
    assert!(
        c.reasons
            .iter()
            .any(|r| r.contains("% of its messages from unauthenticated SMTP clients relaying")),
        "{:#?}",
        c.reasons
    );
}
