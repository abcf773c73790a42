//! `list --yanked QUERY` lists the yank area's messages that `restore QUERY` would put back:
//! the same selection, whole, to judge what to pick back before `restore QUERY --apply`.

use std::collections::BTreeSet;

use qtriage::fixture::QueueBuilder;
use serde_json::Value;

use crate::util::{alice_mail as real, assert_exit, login_spam as spam, TestQueue};

/// The ids of `list`'s text lines (`TIME  #ID  ...`).
fn ids_of(text: &str) -> BTreeSet<u64> {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.strip_prefix('#')?.parse().ok())
        .collect()
}

#[test]
fn list_yanked_lists_what_restore_would_put_back() {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    for i in 0..30 {
        t.add(spam(
            i,
            if i < 12 {
                "invoice 2026"
            } else {
                "cheap stuff"
            },
        ));
    }
    for i in 0..3 {
        t.add(real(i));
    }
    let invoices = ids_of(&t.stdout(&["list", "subject:invoice*"]));
    assert_eq!(invoices.len(), 12);
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);

    // The yanked invoices, whole, where the queue has none any more.
    let out = t.run(&["list", "subject:invoice*"]);
    assert_exit(&out, 1);
    let listed = t.stdout(&["list", "--yanked", "subject:invoice*"]);
    assert_eq!(ids_of(&listed), invoices, "{listed}");
    assert!(listed.contains("  invoice 2026\n"), "{listed}");
    assert_eq!(t.stdout(&["list", "--yanked", "--count"]).trim(), "30");

    // What restore's dry run would put back is that very set.
    let out = t.run(&["restore", "subject:invoice*", "--json"]);
    assert_exit(&out, 0);
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["messages"], 12, "{j:#}");
    let sample: BTreeSet<u64> = (j["sample"].as_array().expect("sample").iter())
        .filter_map(|s| s["id"].as_u64())
        .collect();
    assert!(sample.is_subset(&invoices), "{sample:?}");

    // Nothing of alice's was yanked: exit 1; --json is not offered with --yanked.
    assert_exit(&t.run(&["list", "--yanked", "auth:alice"]), 1);
    assert_exit(&t.run(&["list", "--yanked", "--json"]), 2);
}

/// `age:` in the yank area counts from QTRIAGE_NOW, as in the queue (mix63: it counted from
/// the clock, and `restore 'age:<20m'` found none of what `list 'age:<20m'` had listed).
#[test]
fn age_in_the_yank_area_counts_from_the_same_now_as_in_the_queue() {
    const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
    let now = (BORN + 600).to_string();
    let t = TestQueue::new(23);
    for i in 0..6 {
        t.add(spam(i, "cheap stuff").born(BORN - 3_600 * i64::from(i % 2)));
    }
    let listed = t.run_at(&now, &["list", "--count", "age:<20m"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "3");
    assert_exit(&t.run_at(&now, &["yank", "auth:test", "--apply"]), 0);
    let yanked = t.run_at(&now, &["list", "--yanked", "--count", "age:<20m"]);
    assert_eq!(String::from_utf8_lossy(&yanked.stdout).trim(), "3");
    let out = t.run_at(&now, &["restore", "age:<20m", "--json"]);
    assert_exit(&out, 0);
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["messages"], 3, "{j:#}");
}
