//! Unit tests of `crate::analysis::rank`.
use std::sync::Arc;

use super::*;
use crate::analysis::context::AnalysisContext;
use crate::analysis::grouping::group_with_facts;
use crate::analysis::{analyse, AnalysisInput};
use crate::queue::{Channel, MessageRecord};

const NOW: i64 = 1_795_430_000;

/// A tiny record builder for ranking tests.
struct Rec<'a> {
    s: &'a Interner,
    r: MessageRecord,
}

impl<'a> Rec<'a> {
    fn new(s: &'a Interner, id: u64) -> Rec<'a> {
        let mut r = crate::fixture::record::record(id);
        r.set_queued(NOW - 600);
        r.size = 1000;
        Rec { s, r }
    }
    fn sender(mut self, a: &str) -> Self {
        self.r.sender = Some(self.s.intern(a.as_bytes()));
        self
    }
    fn auth(mut self, user: &str, ip: &str) -> Self {
        self.r.origin.kind = OriginKind::SmtpAuth;
        self.r.origin.auth_user = Some(self.s.intern(user.as_bytes()));
        self.r.origin.ip = Some(self.s.intern(ip.as_bytes()));
        self
    }
    fn smtp(mut self, ip: &str) -> Self {
        self.r.origin.kind = OriginKind::Smtp;
        self.r.origin.ip = Some(self.s.intern(ip.as_bytes()));
        self
    }
    fn php(mut self, uid: u32, script: Option<&str>) -> Self {
        self.r.origin.kind = OriginKind::Local;
        self.r.origin.set_uid(Some(uid));
        self.r.origin.script = script.map(|x| self.s.intern(x.as_bytes()));
        self
    }
    fn rcpts(mut self, channel: Channel, n: usize) -> Self {
        let list: Vec<String> = (0..n).map(|i| format!("r{i}@dest{i}.example")).collect();
        crate::fixture::record::with_recipients(&mut self.r, self.s, channel, &list);
        self
    }
    fn subject(mut self, t: &str) -> Self {
        self.r.headers.subject = Some(self.s.intern(t.as_bytes()));
        self
    }
}

fn run(
    records: Vec<MessageRecord>,
    strings: Arc<Interner>,
    locals: &[&str],
) -> crate::analysis::Analysis {
    let ctx = AnalysisContext {
        now: NOW,
        local_domains: locals.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    analyse(AnalysisInput {
        records,
        strings,
        ctx,
        key: ClusterKey::AuthUser,
        top_limit: 10,
    })
}

/// 60 messages from one login on 3 IPs with forged senders; 8 from a real user.
fn guessed_password(s: &Interner) -> Vec<MessageRecord> {
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

#[test]
fn members_recomputed_for_a_let_go_cluster_are_the_grouped_ones() {
    let s = Arc::new(Interner::new());
    let a = run(guessed_password(&s), s.clone(), &["example.com"]);
    let corpus = a.corpus();
    let mut checked = 0;
    for key in TOP_KEYS {
        let ex = || KeyExtractor::new(key, &s).with_sender_patterns(&a.sender_patterns);
        for c in group_with_facts(corpus.records, ex(), corpus.ctx, corpus.facts) {
            let again = members_with_facts(corpus.records, ex(), corpus.facts, c.value);
            assert_eq!(
                again,
                c.members,
                "{key:?} {:?}",
                c.value.map(|v| v.text(&s))
            );
            checked += 1;
        }
    }
    assert!(
        checked > TOP_KEYS.len(),
        "every key has clusters: {checked}"
    );
}

#[test]
fn let_go_lists_recomputed_a_key_at_a_time_are_the_grouped_ones() {
    let s = Arc::new(Interner::new());
    let a = run(guessed_password(&s), s.clone(), &["example.com"]);
    let corpus = a.corpus();
    let table = &a.sender_patterns;
    for key in TOP_KEYS {
        let grouped = group_with_facts(
            corpus.records,
            corpus.extractor(key, table),
            corpus.ctx,
            corpus.facts,
        );
        // Every list let go, as `top` lets go of those of small legitimate-looking clusters.
        let let_go: Vec<Candidate> = grouped
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.members = Vec::new();
                (0, c, None)
            })
            .collect();
        let mut lists = LetGo::new(&corpus, table, [&let_go, &[], &[]]);
        for (c, (_, bare, _)) in grouped.iter().zip(&let_go) {
            assert_eq!(lists.members(bare), c.members, "{key:?} {:?}", c.value);
        }
        // All of the key's lists came from one pass, and each was handed out once.
        assert_eq!(lists.lists.len(), 1);
        assert!(lists.lists[&key].is_empty());
    }
}

#[test]
fn legitimate_clusters_past_the_limit_do_not_have_their_lists_recomputed() {
    let s = Interner::new();
    let cluster = |value: &str, members: Vec<u32>, messages: usize| {
        bare_cluster(&s, ClusterKey::Helo, value, members, messages)
    };
    let candidates = vec![
        (0, cluster("a", vec![0, 1], 2), None),
        (0, cluster("b", Vec::new(), 1), None),
        (0, cluster("c", Vec::new(), 1), None),
    ];
    let lists =
        |c: &Cluster| -> Vec<u32> { panic!("{:?} is past the limit", c.value.map(|v| v.text(&s))) };
    let (mut covered, mut out) = (vec![false; 4], Vec::new());
    take_first_uncovered(candidates, 1, &mut covered, &mut out, lists);
    assert_eq!(out.len(), 1);
    assert_eq!(covered, [true, true, false, false]);
}

/// A cluster of `key` = `value` with these members and size, not yet scored.
fn bare_cluster(
    s: &Interner,
    key: ClusterKey,
    value: &str,
    members: Vec<u32>,
    messages: usize,
) -> Cluster {
    Cluster {
        key,
        value: Some(KeyValue::Text(s.intern(value.as_bytes()))),
        members,
        messages,
        recipients: 0,
        bytes: 0,
        first_queued: 0,
        last_queued: 0,
        per_minute: 0.0,
        score: 0.0,
        reasons: Vec::new(),
    }
}

#[test]
fn top_recomputes_a_let_go_member_list_before_using_it() {
    let s = Interner::new();
    let cluster = |value: &str, members: Vec<u32>, messages: usize| {
        bare_cluster(&s, ClusterKey::Subject, value, members, messages)
    };
    let candidates = vec![
        (0, cluster("a", vec![0, 1, 2], 3), None),
        // Let go of: 0 and 1 are covered by "a", so it is skipped once its list is back.
        (0, cluster("b", Vec::new(), 2), None),
        (0, cluster("c", Vec::new(), 1), None),
    ];
    let lists = |c: &Cluster| match c.value.map(|v| v.text(&s)).as_deref() {
        Some("b") => vec![0, 1],
        Some("c") => vec![3],
        _ => panic!("only let-go lists are recomputed"),
    };
    let (mut covered, mut out) = (vec![false; 4], Vec::new());
    take_uncovered(candidates, 5, &mut covered, &mut out, lists);
    let taken: Vec<(String, Vec<u32>)> = out
        .iter()
        .map(|c| {
            (
                c.value.map(|v| v.text(&s)).unwrap_or_default(),
                c.members.clone(),
            )
        })
        .collect();
    assert_eq!(
        taken,
        [("a".to_string(), vec![0, 1, 2]), ("c".to_string(), vec![3])]
    );
    assert_eq!(covered, [true; 4]);
}

#[test]
fn a_candidate_kept_as_bits_is_checked_and_listed_from_them() {
    let s = Interner::new();
    let cluster = |value: &str, members: Vec<u32>, messages: usize| {
        bare_cluster(&s, ClusterKey::Subject, value, members, messages)
    };
    let bits = |members: &[u32]| MemberBits::of(members, 64);
    let candidates = vec![
        (0, cluster("a", (0..10).collect(), 10), None),
        // Nine of ten covered by "a": skipped, never made a list again.
        (
            0,
            cluster("b", Vec::new(), 10),
            bits(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 40]),
        ),
        (0, cluster("c", Vec::new(), 4), bits(&[8, 9, 50, 63])),
    ];
    let none = |_: &Cluster| -> Vec<u32> { panic!("bits are not recomputed") };
    let (mut covered, mut out) = (vec![false; 64], Vec::new());
    take_uncovered(candidates, 5, &mut covered, &mut out, none);
    let taken: Vec<(String, Vec<u32>)> = out
        .iter()
        .map(|c| {
            (
                c.value.map(|v| v.text(&s)).unwrap_or_default(),
                c.members.clone(),
            )
        })
        .collect();
    let a = ("a".to_string(), (0..10).collect());
    assert_eq!(taken, [a, ("c".to_string(), vec![8, 9, 50, 63])]);
    assert_eq!(covered.iter().filter(|&&c| c).count(), 12);
    assert!(covered[50] && covered[63] && !covered[40]);
}

#[test]
fn only_the_largest_legitimate_clusters_are_kept_and_few_with_members() {
    let n = LEGIT_CONSIDERED + 5;
    // Cluster i has n - i messages (list order: by size); the smallest is a culprit and stays
    // whatever its size. Handed over shuffled, as scored in parallel.
    let mut scored: Vec<(usize, f64)> = (0..n)
        .map(|i| (i, if i == n - 1 { CULPRIT_SCORE } else { 0.0 }))
        .collect();
    scored.reverse();
    scored.swap(3, n / 2);
    let kept = keep_few_legitimate(scored_as_they_come(&scored, 7), |a, b| a.cmp(&b));
    let order: Vec<usize> = kept.iter().map(|k| k.0).collect();
    let mut want: Vec<usize> = (0..LEGIT_CONSIDERED).collect();
    want.push(n - 1);
    assert_eq!(order, want);
    let with_members: Vec<usize> = kept.iter().filter(|k| k.2).map(|k| k.0).collect();
    let mut want: Vec<usize> = (0..LEGIT_MEMBERS_KEPT).collect();
    want.push(n - 1);
    assert_eq!(with_members, want);
    assert_eq!(kept.last().map(|k| k.1), Some(CULPRIT_SCORE));
}

/// `scored` pushed in chunks of `chunk` (as rayon's folds see them) and the chunks merged.
fn scored_as_they_come(scored: &[(usize, f64)], chunk: usize) -> Scored {
    let order = |a: usize, b: usize| a.cmp(&b);
    scored
        .chunks(chunk)
        .map(|part| {
            let mut kept = Scored::default();
            for &(c, score) in part {
                kept.push(c, score, order);
                // The bound that keeps a flood's one-message clusters from being a score each.
                assert!(
                    kept.legit.len() < 2 * LEGIT_CONSIDERED,
                    "{}",
                    kept.legit.len()
                );
            }
            kept
        })
        .fold(Scored::default(), |a, b| a.merge(b, order))
}

#[test]
fn scores_kept_as_they_come_are_bounded_and_keep_what_the_full_list_would() {
    // 5,000 clusters, list order by index, handed over in a scrambled order; every 97th a
    // suspect or culprit (kept whatever its place), the rest legitimate-looking.
    let n = 5_000;
    let scored: Vec<(usize, f64)> = (0..n)
        .map(|i| (i * 7_919) % n)
        .map(|c| {
            (
                c,
                if c % 97 == 0 {
                    SUSPECT_SCORE + (c % 3) as f64 * 10.0
                } else {
                    1.0
                },
            )
        })
        .collect();
    let mut want: Vec<usize> = (0..n)
        .filter(|c| c % 97 != 0)
        .take(LEGIT_CONSIDERED)
        .collect();
    want.extend((0..n).filter(|c| c % 97 == 0));
    want.sort();
    for chunk in [1, 50, 1_000, n] {
        let kept = keep_few_legitimate(scored_as_they_come(&scored, chunk), |a, b| a.cmp(&b));
        let got: Vec<usize> = kept.iter().map(|k| k.0).collect();
        assert_eq!(got, want, "chunks of {chunk}");
        let scores = kept.iter().all(|k| scored.contains(&(k.0, k.1)));
        assert!(scores, "chunks of {chunk}");
    }
}

/// What `top` considers of one key, the long way: every cluster made and listed in order
/// (`group_with_facts`, the general path), the listable ones scored, every culprit and suspect
/// and the first legitimate-looking ones kept, as `top` did before it picked from the grouping.
fn candidates_the_long_way(corpus: &Corpus<'_>, ex: KeyExtractor<'_>) -> Vec<Cluster> {
    let key = ex.key();
    let (mut legit, mut out) = (0, Vec::new());
    for mut c in group_with_facts(corpus.records, ex, corpus.ctx, corpus.facts) {
        if c.value.is_none() {
            continue;
        }
        c.score = score_only(&c, corpus);
        if c.verdict() == Verdict::Legitimate {
            legit += 1;
            if legit > LEGIT_CONSIDERED {
                continue;
            }
            if legit > LEGIT_MEMBERS_KEPT {
                c.members = Vec::new();
            }
        }
        assert_eq!(c.key, key);
        out.push(c);
    }
    out
}

#[test]
fn top_considers_the_clusters_the_full_grouping_would() {
    let s = Arc::new(Interner::new());
    let mut records = guessed_password(&s);
    // Many small legitimate-looking clusters, with ties in size, so that the first ones in
    // list order must be picked out of more than `LEGIT_CONSIDERED`.
    for i in 0..300u64 {
        let r = Rec::new(&s, 1000 + i)
            .smtp(&format!("198.51.100.{}", i % 150))
            .sender(&format!("u{}@site{}.example", i % 170, i % 90))
            .rcpts(Channel::Remote, 1 + (i as usize % 3))
            .subject(&format!("Invoice {}", i % 120));
        records.push(r.r);
    }
    let a = run(records, s.clone(), &["example.com"]);
    let corpus = a.corpus();
    let view = |cs: &[Cluster]| -> Vec<(Option<String>, usize, u64, Vec<u32>)> {
        cs.iter()
            .map(|c| {
                let v = c.value.map(|v| v.text(&s));
                (v, c.messages, (c.score * 10.0) as u64, c.members.clone())
            })
            .collect()
    };
    let (mut more_than_considered, mut as_bits) = (0, 0);
    for key in TOP_KEYS {
        let ex = || KeyExtractor::new(key, &s).with_sender_patterns(&a.sender_patterns);
        let want = candidates_the_long_way(&corpus, ex());
        let got: Vec<Cluster> = candidates(&corpus, ex(), |v| v.is_some())
            .into_iter()
            .map(|(mut c, bits)| {
                if let Some(bits) = bits {
                    // Kept as bits alone: a list beside them would be the memory they save.
                    assert!(c.members.is_empty(), "{key:?}");
                    c.members = bits.iter().collect();
                    as_bits += 1;
                }
                c
            })
            .collect();
        assert_eq!(view(&got), view(&want), "{key:?}");
        let legit = want.iter().filter(|c| c.verdict() == Verdict::Legitimate);
        more_than_considered += usize::from(legit.count() == LEGIT_CONSIDERED);
    }
    // Origin IPs (150, two messages each) and senders (170) at least.
    assert!(more_than_considered >= 2, "{more_than_considered} keys");
    // The guessed password's login, IP, subject... hold more than 1/32 of the records.
    assert!(as_bits >= 3, "{as_bits} clusters as bits");
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
    let legit = "IP 1.2.3.4: 9 messages: looks legitimate: keep";
    assert_eq!(conclusion_of(legit), "looks legitimate: keep");
}
