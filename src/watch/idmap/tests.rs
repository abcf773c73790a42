//! Unit tests of `watch::idmap`: sorted found ids, removals and returns, ids seen later, compaction.
use super::*;

fn id(n: u64) -> MessageId {
    MessageId(n)
}

fn sorted(m: &IdMap<u8>) -> Vec<(u64, u8)> {
    let mut v: Vec<_> = m.iter().map(|(id, v)| (id.0, *v)).collect();
    v.sort_unstable();
    v
}

fn found(ids: std::ops::Range<u64>) -> IdMap<u8> {
    IdMap::from_found(
        ids.clone().map(id).collect(),
        ids.map(|n| n as u8).collect(),
    )
}

#[test]
fn a_shuffled_list_is_sorted_with_its_values() {
    // Ids 0..500 in a scrambled order (7 and 500 are coprime), each valued by its id.
    let ids: Vec<u64> = (0..500).map(|n| n * 7 % 500).collect();
    let values = ids.iter().map(|n| (n % 251) as u8).collect();
    let m = IdMap::from_found(ids.into_iter().map(id).collect(), values);
    assert_eq!(m.ids, (0..500).map(id).collect::<Vec<_>>());
    for n in 0..500 {
        assert_eq!(m.get(id(n)), Some(&((n % 251) as u8)), "{n}");
    }
}

#[test]
fn found_ids_are_looked_up_in_any_order_and_the_last_of_a_twice_listed_id_wins() {
    let m = IdMap::from_found(vec![id(9), id(3), id(9), id(5)], vec![1, 2, 3, 4]);
    assert_eq!(m.len(), 3);
    assert_eq!(m.get(id(9)), Some(&3));
    assert_eq!(m.get(id(3)), Some(&2));
    assert_eq!(m.get(id(4)), None);
    assert_eq!(sorted(&m), vec![(3, 2), (5, 4), (9, 3)]);
}

#[test]
fn a_found_id_removed_and_back_takes_its_slot_again() {
    let mut m = found(0..10);
    assert_eq!(m.remove(id(4)), Some(4));
    assert_eq!(m.get(id(4)), None);
    assert_eq!(m.remove(id(4)), None, "removed once");
    assert_eq!(m.len(), 9);
    assert_eq!(m.insert(id(4), 40), None, "nothing to replace");
    assert_eq!(m.get(id(4)), Some(&40));
    assert_eq!(m.len(), 10);
    assert!(m.later.is_empty(), "in its slot, not beside it");
    assert_eq!(m.insert(id(4), 41), Some(40));
    *m.get_mut(id(4)).expect("there") = 42;
    assert_eq!(m.get(id(4)), Some(&42));
}

#[test]
fn ids_seen_later_live_beside_the_found_ones() {
    let mut m = IdMap::from_found(vec![id(2), id(4)], vec![2, 4]);
    assert_eq!(m.insert(id(3), 3), None);
    assert_eq!(m.insert(id(3), 30), Some(3));
    assert_eq!(m.len(), 3);
    assert_eq!(sorted(&m), vec![(2, 2), (3, 30), (4, 4)]);
    assert_eq!(m.remove(id(3)), Some(30));
    assert_eq!(m.get(id(3)), None);
    assert_eq!(m.get_mut(id(3)), None);
    assert_eq!(m.len(), 2);
}

#[test]
fn the_found_part_shrinks_once_most_of_it_is_gone() {
    let mut m = found(0..100);
    for n in 0..50 {
        m.remove(id(n * 2));
    }
    assert_eq!(m.found_slots(), 100, "half gone: not yet");
    m.remove(id(1));
    assert_eq!(m.found_slots(), 49, "compacted");
    assert_eq!(m.len(), 49);
    let odd: Vec<_> = (1..50).map(|n| (n * 2 + 1, (n * 2 + 1) as u8)).collect();
    assert_eq!(sorted(&m), odd);
    // A compacted-away id comes back beside the sorted part.
    assert_eq!(m.insert(id(2), 7), None);
    assert_eq!(m.get(id(2)), Some(&7));
    assert_eq!(m.get(id(3)), Some(&3));
    assert_eq!(m.len(), 50);
}

#[test]
fn clear_forgets_both_parts() {
    let mut m = found(1..2);
    m.insert(id(2), 2);
    m.clear();
    assert!(m.is_empty());
    assert_eq!(m.get(id(1)), None);
    assert_eq!(m.get(id(2)), None);
}
