//! qshape's age matrix: how many messages of a cluster were born in each age bucket, so "is this
//! still arriving, and since when" reads at a glance (`clusters --ages`, the TUI's ages view).

use super::types::Cluster;
use crate::queue::MessageRecord;

/// qshape's bucket bounds in minutes: a message `m` minutes old falls in the first bucket whose
/// bound is greater than `m`; one 1280 minutes or older falls in the last, "older" bucket.
pub const AGE_BOUNDS: [i64; 9] = [5, 10, 20, 40, 80, 160, 320, 640, 1280];

/// Number of buckets: the bounds plus "older".
pub const BUCKETS: usize = AGE_BOUNDS.len() + 1;

/// Column headings, as qshape prints them: the bounds, then `1280+`.
pub const HEADINGS: [&str; BUCKETS] = [
    "5", "10", "20", "40", "80", "160", "320", "640", "1280", "1280+",
];

/// Messages per age bucket.
pub type Ages = [u64; BUCKETS];

/// The bucket of a message born at `queued` (unix seconds) as of `now`. A birth in the future
/// (clock skew, a hostile mtime) counts as newest.
pub fn bucket(queued: i64, now: i64) -> usize {
    let minutes = now.saturating_sub(queued).max(0) / 60;
    AGE_BOUNDS
        .iter()
        .position(|&b| minutes < b)
        .unwrap_or(BUCKETS - 1)
}

/// The ages of `records`.
pub fn ages_of<'r>(records: impl IntoIterator<Item = &'r MessageRecord>, now: i64) -> Ages {
    let mut out = [0; BUCKETS];
    for r in records {
        out[bucket(r.queued(), now)] += 1;
    }
    out
}

/// The ages of `cluster`'s members (indices into `records`).
pub fn cluster_ages(cluster: &Cluster, records: &[MessageRecord], now: i64) -> Ages {
    ages_of(
        cluster
            .members
            .iter()
            .filter_map(|&i| records.get(i as usize)),
        now,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_qshapes() {
        let now = 1_000_000;
        let at = |min: i64| bucket(now - min * 60, now);
        assert_eq!(at(0), 0);
        assert_eq!(at(4), 0);
        assert_eq!(at(5), 1);
        assert_eq!(at(9), 1);
        assert_eq!(at(10), 2);
        assert_eq!(at(639), 7);
        assert_eq!(at(640), 8);
        assert_eq!(at(1279), 8);
        assert_eq!(at(1280), 9);
        assert_eq!(at(100_000), 9);
        assert_eq!(bucket(now + 3600, now), 0, "born in the future: newest");
        assert_eq!(bucket(i64::MIN, now), 9);
    }
}
