//! The flag bits' bound against the real score: on every generated mix's clusters and on
//! random clusters of their messages, and caught when made too tight.

use super::*;
use crate::analysis::grouping::cluster_of_members;
use crate::analysis::rank::measure_tests::each_mix;
use crate::analysis::rank::score_only;

/// The clusters of `clusters` (and `random` random ones of their records) whose real score
/// is above the bound with `caps`, or not 0 where the bound is 0; with how many of each kind
/// of [`quick`] there were.
fn violations(
    corpus: &Corpus<'_>,
    clusters: &[Cluster],
    random: usize,
    caps: &Caps,
) -> (Vec<String>, [usize; 3]) {
    let (mut bad, mut kinds) = (Vec::new(), [0; 3]);
    let mut check = |c: &Cluster| {
        let Some(u) = upper(c, corpus.facts.seen(&c.members), corpus, caps) else {
            return;
        };
        let real = score_only(c, corpus);
        // The real score is rounded to a tenth: up by 0.05 at most, and the sum with 0.05 in
        // floating point may fall short of it (a bound of 35.15, a score of 35.2, which the
        // scan's order made a cluster of AuthHeavy's one run in a dozen).
        if real > u + 0.05 + 1e-9 || (u == 0.0 && real != 0.0) {
            let v = c.value.map(|v| v.text(corpus.strings));
            bad.push(format!(
                "{:?} {v:?} ({} messages): {real} > {u}",
                c.key, c.messages
            ));
        }
        let kind = match u {
            0.0 => 0,
            _ if u + MARGIN < SUSPECT_SCORE => 1,
            _ => 2,
        };
        kinds[kind] += 1;
    };
    clusters.iter().for_each(&mut check);
    // Random members under real clusters' keys and values: sizes about the damping's edge
    // and some larger, drawn from the whole queue (a mix of every group's messages).
    let n = corpus.records.len() as u64;
    let mut x = 0x9e37_79b9_7f4a_7c15_u64 ^ n;
    let mut next = move |below: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % below.max(1)
    };
    for _ in 0..random {
        let label = &clusters[next(clusters.len() as u64) as usize];
        let size = match next(20) {
            0..=9 => 1 + next(8),
            10..=16 => 9 + next(32),
            _ => 41 + next(260),
        };
        let mut members: Vec<u32> = (0..size).map(|_| next(n) as u32).collect();
        members.sort_unstable();
        members.dedup();
        let c = cluster_of_members(
            corpus.records,
            corpus.ctx,
            (label.key, label.value),
            members,
        );
        check(&c);
    }
    (bad, kinds)
}

#[test]
fn the_bound_is_above_every_score() {
    let mut kinds = [0; 3];
    each_mix(300, |mix, corpus, clusters| {
        let (bad, k) = violations(corpus, clusters, 300, &CAPS);
        assert!(bad.is_empty(), "{mix:?}: {bad:#?}");
        kinds.iter_mut().zip(k).for_each(|(a, b)| *a += b);
    });
    // Each kind, many times: the real mail's zeros, the damped small ones, the rest.
    assert!(
        kinds.iter().all(|&k| k > 500),
        "zero, legitimate, measured: {kinds:?}"
    );
}

#[test]
fn a_bound_made_too_tight_is_caught() {
    // Every cap halved: some cluster scores above it (the check above would fail).
    let half = Caps {
        foreign: CAPS.foreign / 2.0,
        web: CAPS.web / 2.0,
        local: CAPS.local / 2.0,
        backscatter: CAPS.backscatter / 2.0,
        relay: CAPS.relay / 2.0,
        open_relay: CAPS.open_relay / 2.0,
        forged_inside: CAPS.forged_inside / 2.0,
        forged_script: CAPS.forged_script / 2.0,
        forged_pattern: CAPS.forged_pattern / 2.0,
        inside_run: CAPS.inside_run / 2.0,
        stuffing: CAPS.stuffing / 2.0,
        fan_out: CAPS.fan_out / 2.0,
        template: CAPS.template / 2.0,
    };
    let mut caught = 0;
    each_mix(300, |_, corpus, clusters| {
        caught += violations(corpus, clusters, 300, &half).0.len();
    });
    assert!(caught > 0, "no cluster scores above a bound half as high");
}
