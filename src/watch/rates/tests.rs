//! Unit tests of `crate::watch::rates`.
use super::*;
use crate::analysis::key::OriginKindOrd;

const T0: i64 = 1_795_428_000_000;

fn v(n: u8) -> Option<KeyValue> {
    Some(KeyValue::Origin(OriginKindOrd(n)))
}

#[test]
fn rates_over_a_full_window_divide_by_the_window() {
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    // 120 arrivals spread over the second to fourth minute, 30 departures in the last minute.
    for i in 0..120 {
        r.arrived(T0 + 60_000 + i * 1000, &[v(0)]);
    }
    for i in 0..30 {
        r.left(T0 + 241_000 + i * 1000, &[v(0)], i % 3 == 0, false);
    }
    let now = T0 + 300_000;
    let one = r.overall(now, Window::OneMinute);
    assert_eq!(one.in_per_min, 0.0);
    assert_eq!(one.out_per_min, 30.0);
    assert_eq!(one.yanked_per_min, 10.0);
    let five = r.overall(now, Window::FiveMinutes);
    assert_eq!(five.in_per_min, 24.0);
    assert_eq!(five.out_per_min, 6.0);
    assert_eq!(five.growth_per_min(), 18.0);
    assert_eq!(r.counts(now, Window::FifteenMinutes), (120, 30, 10));
}

#[test]
fn a_young_watch_divides_by_the_time_watched() {
    let mut r = Rates::new(&[], T0);
    for i in 0..10 {
        r.arrived(T0 + i * 100, &[]);
    }
    // 10 messages in the first 10 seconds: 60/min, not 10/min.
    assert_eq!(r.overall(T0 + 10_000, Window::OneMinute).in_per_min, 60.0);
    // Never divides by less than a second.
    assert_eq!(r.overall(T0 + 10, Window::OneMinute).in_per_min, 600.0);
}

#[test]
fn old_buckets_leave_every_window() {
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    r.arrived(T0, &[v(1)]);
    let later = T0 + 16 * 60_000;
    assert_eq!(r.counts(later, Window::FifteenMinutes), (0, 0, 0));
    r.prune(later);
    assert_eq!(r.tracked_values(), 0);
    // The series drops old buckets by itself as new ones come.
    r.arrived(later, &[v(1)]);
    assert_eq!(r.overall.buckets.len(), 1);
}

#[test]
fn top_growing_ranks_by_in_minus_out_and_skips_no_value() {
    let now = T0 + 120_000;
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    for i in 0..50 {
        r.arrived(now - 30_000 + i, &[v(1)]);
        r.arrived(now - 30_000 + i, &[None]);
    }
    for i in 0..20 {
        r.arrived(now - 20_000 + i, &[v(2)]);
    }
    for i in 0..45 {
        r.left(now - 10_000 + i, &[v(1)], false, false);
    }
    r.arrived(now - 5000, &[v(3)]);
    r.left(now - 4000, &[v(3)], false, false);
    let strings = Interner::new();
    let top = r.top_growing(0, now, 5, &strings, Growth::Net);
    let got: Vec<_> = top
        .iter()
        .map(|c| (c.value, c.rate.growth_per_min()))
        .collect();
    assert_eq!(
        got,
        vec![
            (KeyValue::Origin(OriginKindOrd(2)), 20.0),
            (KeyValue::Origin(OriginKindOrd(1)), 5.0)
        ]
    );
    assert_eq!(r.top_growing(0, now, 1, &strings, Growth::Net).len(), 1);
    assert!(r.top_growing(7, now, 1, &strings, Growth::Net).is_empty());
}

#[test]
fn equal_growth_is_listed_by_the_values_text_not_their_symbols() {
    // A symbol's number follows the interner's random hash seed: ordered by it, these came out
    // in a different order from run to run, and a top-N cut kept different values.
    let strings = Interner::new();
    let names: Vec<String> = (0..12).rev().map(|i| format!("10.0.0.{i:02}")).collect();
    let values: Vec<Option<KeyValue>> = names
        .iter()
        .map(|n| Some(KeyValue::Text(strings.intern(n.as_bytes()))))
        .collect();
    let now = T0 + 120_000;
    let mut r = Rates::new(&[ClusterKey::OriginIp], T0);
    for v in &values {
        r.arrived(now - 10_000, &[*v]);
    }
    let top = r.top_growing(0, now, 5, &strings, Growth::Net);
    let got: Vec<String> = top.iter().map(|c| c.value.text(&strings)).collect();
    assert_eq!(
        got,
        [
            "10.0.0.00",
            "10.0.0.01",
            "10.0.0.02",
            "10.0.0.03",
            "10.0.0.04"
        ]
    );
}

#[test]
fn reattribution_moves_an_arrival_between_values() {
    let mut r = Rates::new(&[ClusterKey::Origin, ClusterKey::Uid], T0);
    r.arrived(T0 + 1500, &[None, None]);
    r.arrived(T0 + 2500, &[v(4), None]);
    r.reattribute(0, T0 + 1500, None, v(4));
    let now = T0 + 10_000;
    assert_eq!(r.cluster(0, v(4), now, Window::OneMinute).in_per_min, 12.0);
    assert_eq!(r.cluster(0, None, now, Window::OneMinute).in_per_min, 0.0);
    // The other key and the overall figure are untouched.
    assert_eq!(r.cluster(1, None, now, Window::OneMinute).in_per_min, 12.0);
    assert_eq!(r.counts(now, Window::OneMinute), (2, 0, 0));
}

#[test]
fn out_of_order_times_land_in_their_second() {
    let mut r = Rates::new(&[], T0);
    r.arrived(T0 + 5000, &[]);
    r.arrived(T0 + 3000, &[]);
    r.arrived(T0 + 5999, &[]);
    let secs: Vec<_> = r
        .overall
        .buckets
        .iter()
        .map(|b| (b.sec, b.arrived))
        .collect();
    assert_eq!(secs, vec![(T0 / 1000 + 3, 1), (T0 / 1000 + 5, 2)]);
}

#[test]
fn values_beyond_the_cap_count_as_no_value() {
    let mut map = HashMap::new();
    for i in 0..MAX_TRACKED_CLUSTERS as u32 {
        Rates::series(&mut map, Some(KeyValue::Uid(i)))
            .bucket(1)
            .arrived += 1;
    }
    Rates::series(&mut map, Some(KeyValue::Uid(u32::MAX)))
        .bucket(1)
        .arrived += 1;
    assert_eq!(map.len(), MAX_TRACKED_CLUSTERS + 1);
    assert!(map.contains_key(&None));
}

/// An undo is not mail arriving: a restore takes back the yank it undoes, overall and in the
/// cluster, and is counted as restored; with no yank left to take back it only counts.
#[test]
fn a_restore_takes_back_a_yank_and_is_no_arrival() {
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    r.arrived(T0 + 1_000, &[v(0)]);
    r.left(T0 + 2_000, &[v(0)], true, false);
    r.left(T0 + 3_000, &[v(0)], true, false);
    r.left(T0 + 3_000, &[v(0)], false, false);
    r.restored(T0 + 4_000, &[v(0)]);
    let now = T0 + 60_000;
    assert_eq!(r.counts(now, Window::OneMinute), (1, 2, 1));
    assert_eq!(r.cluster_counts(0, v(0), now, Window::OneMinute), (1, 2, 1));
    assert_eq!(r.overall(now, Window::OneMinute).restored_per_min, 1.0);
    let counted = r.last_minute(now);
    assert_eq!(
        (counted.arrived, counted.yanked, counted.restored),
        (1, 1, 1)
    );
    // Both yanks undone, then one more restore (of an older batch): nothing left to take.
    r.restored(T0 + 5_000, &[v(0)]);
    r.restored(T0 + 6_000, &[v(0)]);
    assert_eq!(r.counts(now, Window::OneMinute), (1, 1, 0));
    let one = r.overall(now, Window::OneMinute);
    assert_eq!((one.in_per_min, one.restored_per_min), (1.0, 3.0));
    let counted = r.last_minute(now);
    assert_eq!(
        (counted.arrived, counted.yanked, counted.restored),
        (1, 0, 3)
    );
}

/// The undo undone: a restore with no yank to take back (the yank came before the watch), then
/// a yank of the same messages again, leaves the queue where it was, overall and in the
/// cluster: no growth either way (an operator's run read -1,971/min).
#[test]
fn a_yank_after_an_undo_takes_the_restore_back() {
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    for s in 1..=3 {
        r.restored(T0 + s * 1_000, &[v(0)]);
    }
    for s in 4..=6 {
        r.left(T0 + s * 1_000, &[v(0)], true, true);
    }
    // A delivery is not a yank: it counts out.
    r.left(T0 + 7_000, &[v(0)], false, false);
    let now = T0 + 60_000;
    assert_eq!(r.counts(now, Window::OneMinute), (0, 1, 0));
    assert_eq!(r.cluster_counts(0, v(0), now, Window::OneMinute), (0, 1, 0));
    let one = r.overall(now, Window::OneMinute);
    assert_eq!((one.growth_per_min(), one.restored_per_min), (-1.0, 3.0));
    // Nothing put back is left: the next yank counts.
    r.left(T0 + 8_000, &[v(0)], true, true);
    assert_eq!(r.counts(now, Window::OneMinute), (0, 2, 1));
    // Every move into and back from the yank area is counted, netted or not: the windows'
    // counts stayed equal across the three yanks that took the restores back.
    assert_eq!(r.yank_area_moves(), 7);
}

/// A yank of other mail after a restore is mail leaving: only a yank of a message the restore
/// put back takes it back (newuser51: after an undo of 89,979 messages a yank of 39,508 others
/// read `+0/min`; by count, a restore of 1,195 hid 1,195 of a later yank of 1,205).
#[test]
fn a_yank_of_other_mail_after_a_restore_counts_out() {
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    for s in 1..=3 {
        assert!(
            r.restored(T0 + s * 1_000, &[v(0)]),
            "nothing to take back: kept"
        );
    }
    for s in 4..=7 {
        r.left(T0 + s * 1_000, &[v(1)], true, false);
    }
    let now = T0 + 60_000;
    assert_eq!(r.counts(now, Window::OneMinute), (0, 4, 4));
    assert_eq!(r.cluster_counts(0, v(1), now, Window::OneMinute), (0, 4, 4));
    // One of the put-back messages yanked again: taken back, not counted.
    r.left(T0 + 8_000, &[v(0)], true, true);
    assert_eq!(r.counts(now, Window::OneMinute), (0, 4, 4));
}

/// A flood still arriving after its queued messages were yanked: by the net growth it drops
/// out of the growing values (in 30, out 130); without yanks it grows by its 30 arrivals less
/// the 10 delivered, and the overall rate says the same.
#[test]
fn a_yank_is_not_the_queue_draining_without_yanks() {
    let now = T0 + 120_000;
    let mut r = Rates::new(&[ClusterKey::Origin], T0);
    for i in 0..30 {
        r.arrived(now - 30_000 + i, &[v(1)]);
    }
    for i in 0..120 {
        r.left(now - 20_000 + i, &[v(1)], true, false);
    }
    for i in 0..10 {
        r.left(now - 10_000 + i, &[v(1)], false, false);
    }
    let strings = Interner::new();
    assert!(r.top_growing(0, now, 5, &strings, Growth::Net).is_empty());
    let top = r.top_growing(0, now, 5, &strings, Growth::WithoutYanks);
    let got: Vec<_> = (top.iter())
        .map(|c| (c.value, c.rate.growth(Growth::WithoutYanks)))
        .collect();
    assert_eq!(got, [(KeyValue::Origin(OriginKindOrd(1)), 20.0)]);
    let all = r.overall(now, Window::OneMinute);
    assert_eq!(all.growth(Growth::Net), -100.0);
    assert_eq!(all.growth(Growth::WithoutYanks), 20.0);
    assert_eq!(all.yanked_per_min, 120.0);
}
