//! Tests of the per-thread memory: it answers only byte-equal input, with what the full path
//! gives, within its bounds.

use super::*;

#[test]
fn remembered_symbols_are_the_interners() {
    let strings = Interner::new();
    let mut last = LastSyms::default();
    let a = last.intern(&strings, Slot::Ip, b"1.2.3.4");
    assert_eq!(last.intern(&strings, Slot::Ip, b"1.2.3.4"), a);
    let b = last.intern(&strings, Slot::Ip, b"5.6.7.8");
    assert_ne!(a, b);
    assert_eq!(strings.text(b), "5.6.7.8");
    // Both stay remembered, interleaved.
    assert_eq!(last.intern(&strings, Slot::Ip, b"1.2.3.4"), a);
    assert_eq!(last.intern(&strings, Slot::Ip, b"5.6.7.8"), b);
    // Another slot, same bytes: the interner's one symbol.
    assert_eq!(last.intern(&strings, Slot::Host, b"1.2.3.4"), a);
    let long = vec![b'x'; MAX_REMEMBERED + 1];
    let l = last.intern(&strings, Slot::Host, &long);
    assert_eq!(last.intern(&strings, Slot::Host, &long), l);
    assert_eq!(strings.resolve(l).len(), MAX_REMEMBERED + 1);
}

#[test]
fn a_hit_needs_equal_bytes_and_the_same_slot() {
    let strings = Interner::new();
    let mut last = LastSyms::default();
    let mut calls = 0;
    let mut m = |last: &mut LastSyms, slot, key: &[u8]| {
        last.memo(&strings, slot, key, |st| {
            calls += 1;
            [Some(st.intern(key)), None]
        })
    };
    let a = m(&mut last, Slot::Subject, b"hello");
    assert_eq!(m(&mut last, Slot::Subject, b"hello"), a);
    m(&mut last, Slot::Subject, b"hellO");
    m(&mut last, Slot::Subject, b"hello ");
    m(&mut last, Slot::Subject, b"");
    m(&mut last, Slot::From, b"hello");
    assert_eq!(m(&mut last, Slot::Subject, b"hello"), a);
    // "hello" computed twice (Subject and From), each other input once; and once more if one
    // of the other three took its entry, which the table's random hash seed does about one run
    // in forty-three (the test failed then).
    let t = last.tables.as_ref().expect("tables made");
    let entry = |k: &[u8]| t.hasher.hash_one(k) >> (u64::BITS - WAYS.trailing_zeros());
    let evicted = [&b"hellO"[..], b"hello ", b""]
        .iter()
        .any(|k| entry(k) == entry(b"hello"));
    assert_eq!(calls, 5 + usize::from(evicted));
}

#[test]
fn long_inputs_are_computed_each_time() {
    let strings = Interner::new();
    let mut last = LastSyms::default();
    let long = vec![b'y'; MAX_REMEMBERED + 1];
    let mut calls = 0;
    for _ in 0..3 {
        last.memo(&strings, Slot::From, &long, |_| {
            calls += 1;
            [None, None]
        });
    }
    assert_eq!(calls, 3);
    let kept = |e: &Entry| e.key.len() <= MAX_REMEMBERED;
    assert!(last
        .tables
        .as_ref()
        .is_none_or(|t| t.slots.iter().flatten().all(kept)));
}

#[test]
fn many_values_evict_but_never_answer_wrong() {
    let strings = Interner::new();
    let mut last = LastSyms::default();
    // Far more values than entries, twice through, interleaved with a hot one.
    for round in 0..2 {
        for i in 0..(WAYS * 8) {
            let v = format!("value {i}");
            let s = last.intern(&strings, Slot::Subject, v.as_bytes());
            assert_eq!(strings.text(s), v, "round {round}");
            let hot = last.intern(&strings, Slot::Subject, b"hot");
            assert_eq!(strings.text(hot), "hot");
        }
    }
    assert_eq!(
        last.tables.as_ref().expect("used").slots[Slot::Subject as usize].len(),
        WAYS
    );
}

#[test]
fn another_interner_empties_the_memory() {
    let first = Interner::new();
    let mut last = LastSyms::default();
    // Strings in every shard before it, so its symbol is not the empty interner's first.
    for i in 0..4096 {
        first.intern(format!("padding {i}").as_bytes());
    }
    let a = last.intern(&first, Slot::Ip, b"1.2.3.4");
    let second = Interner::new();
    let b = last.intern(&second, Slot::Ip, b"1.2.3.4");
    assert_eq!(second.text(b), "1.2.3.4");
    assert_ne!(a, b);
}
