//! Unit tests of `top`'s selection: let-go member lists, members kept as bits, the bounded
//! candidate scores, and the candidates against the full grouping's.
use std::sync::Arc;

use super::*;
use crate::analysis::grouping::group_with_facts;
use crate::analysis::rank::tests::{guessed_password, run, Rec};
use crate::analysis::rank::{score_only, CULPRIT_SCORE, SUSPECT_SCORE};
use crate::queue::{Channel, Interner};

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
    let taken = values_and_members(&out, &s);
    assert_eq!(
        taken,
        [("a".to_string(), vec![0, 1, 2]), ("c".to_string(), vec![3])]
    );
    assert_eq!(covered, [true; 4]);
}

/// Each taken cluster's value and members.
fn values_and_members(out: &[Cluster], s: &Interner) -> Vec<(String, Vec<u32>)> {
    out.iter()
        .map(|c| {
            let value = c.value.map(|v| v.text(s)).unwrap_or_default();
            (value, c.members.clone())
        })
        .collect()
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
    let taken = values_and_members(&out, &s);
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
    assert_eq!(kept.last().and_then(|k| k.1), Some(CULPRIT_SCORE));
}

/// `scored` pushed in chunks of `chunk` (as rayon's folds see them) and the chunks merged.
fn scored_as_they_come(scored: &[(usize, f64)], chunk: usize) -> Scored {
    let order = |a: usize, b: usize| a.cmp(&b);
    scored
        .chunks(chunk)
        .map(|part| {
            let mut kept = Scored::default();
            for &(c, score) in part {
                // Every other legitimate-looking one as `quick` passes it on: unscored.
                match Verdict::of(score) == Verdict::Legitimate && c % 2 == 1 {
                    true => kept.push_legitimate(c, order),
                    false => kept.push(c, score, order),
                }
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
        // Each with its score, or none for an unscored legitimate-looking one.
        let scores = kept.iter().all(|k| match k.1 {
            Some(score) => scored.contains(&(k.0, score)),
            None => k.0 % 2 == 1 && scored.iter().any(|&(c, s)| c == k.0 && s < SUSPECT_SCORE),
        });
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
