//! A message split between the queue and the yank area (its envelope queued, its mess yanked)
//! is never purged: its mess there is its only copy, and `check` says to put it back (safety62: after a recovery that split
//! 2,850 messages, the runbook's purge would have deleted their mess files for good).

use qtriage::fixture::MessageSpec;
use qtriage::queue::Subdir;

use crate::util::{assert_exit, TestQueue};

#[test]
fn purge_never_deletes_the_mess_of_a_message_whose_envelope_is_queued() {
    let t = TestQueue::new(23);
    let ids: Vec<_> = (0..3)
        .map(|i| {
            t.add(
                MessageSpec::new()
                    .sender(format!("x{i}@spam.example"))
                    .received_from("82.128.32.42")
                    .auth("test")
                    .remote(format!("v{i}@example.net")),
            )
        })
        .collect();
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let area = t.q.yank_area();
    for part in [Subdir::Info, Subdir::Remote] {
        area.split_back(&t.q, part, ids[0]).expect("split");
    }
    let dry = t.stdout(&["purge", "--all"]);
    assert!(dry.contains("would delete 2 yanked messages"), "{dry}");
    let out = t.run(&["purge", "--all", "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("purged 2 messages"), "{text}");
    assert!(
        text.contains(&format!("#{}", ids[0].0)) && text.contains("its envelope is in the queue"),
        "{text}"
    );
    assert!(
        area.path(Subdir::Mess, ids[0]).exists(),
        "its only copy kept"
    );
    for id in &ids[1..] {
        assert!(!area.path(Subdir::Mess, *id).exists(), "#{id} purged");
    }
    // `check` says to put the mess back (not to yank the envelope after it); done, the
    // message is whole in the queue.
    let check = t.run(&["check"]);
    assert_exit(&check, 1);
    let text = String::from_utf8_lossy(&check.stdout);
    let mv = (text.lines())
        .find_map(|l| {
            l.split("its mess is in the yank area: with qmail-send stopped, put it back: mv ")
                .nth(1)
        })
        .unwrap_or_else(|| panic!("{text}"));
    let (from, to) = mv.split_once(' ').expect("two paths");
    std::fs::rename(from, to).expect("the operator's mv");
    // (The fixture's files are root's: owner findings stay where qmail's users exist.)
    let after = t.run(&["check"]);
    let after = String::from_utf8_lossy(&after.stdout);
    assert!(!after.contains("envelope-without-mess"), "{after}");
    assert_eq!(t.stdout(&["list", "--count", "auth:test"]).trim(), "1");
}

/// The other half: a yanked envelope whose mess is back in the queue alone is that message's
/// only envelope, and purge keeps it (recheck62: purged, then the mess alone in the queue was
/// deleted by qmail-send's 36-hour cleanup).
#[test]
fn purge_never_deletes_the_only_envelope_of_a_mess_in_the_queue() {
    let t = TestQueue::new(23);
    let id = t.add(
        MessageSpec::new()
            .sender("x@spam.example")
            .received_from("82.128.32.42")
            .auth("test")
            .remote("v@example.net"),
    );
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let area = t.q.yank_area();
    area.split_back(&t.q, Subdir::Mess, id).expect("split");
    let out = t.run(&["purge", "--all", "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("#{}", id.0))
            && text.contains("its mess is in the queue")
            && text.contains("this envelope is the message's only one"),
        "{text}"
    );
    assert!(
        area.path(Subdir::Info, id).exists(),
        "its only envelope kept"
    );
}

/// A message split between two yank areas (its envelope in the default one, its mess in
/// another listed one) is purged from neither: each half is the message's only one
/// (recheck62: the envelope-only entry was purged, the mess left with no envelope anywhere).
#[test]
fn purge_never_deletes_a_half_whose_other_half_is_in_another_yank_area() {
    let t = TestQueue::new(23);
    let spam = |login: &str, i: u32| {
        MessageSpec::new()
            .sender(format!("x{i}@spam.example"))
            .received_from("82.128.32.42")
            .auth(login)
            .remote(format!("v{i}@example.net"))
    };
    let (split, whole) = (t.add(spam("test", 0)), t.add(spam("test", 1)));
    t.add(spam("sales", 2));
    let y1 = t.root().join("y1");
    let d = y1.to_str().expect("utf-8");
    assert_exit(
        &t.run(&["yank", "auth:sales", "--apply", "--yank-dir", d]),
        0,
    );
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let (area, other) = (t.q.yank_area(), t.q.yank_area_at(&y1));
    area.split_into(&other, Subdir::Mess, split).expect("split");
    for (args, half, kind) in [
        (
            &["purge", "--all", "--json"][..],
            Subdir::Info,
            "mess-in-yank-area",
        ),
        (
            &["purge", "--all", "--json", "--yank-dir", d],
            Subdir::Mess,
            "envelope-in-yank-area",
        ),
    ] {
        let out = t.run(&[args, &["--apply"]].concat());
        let text = String::from_utf8_lossy(&out.stdout);
        let json: serde_json::Value = serde_json::from_str(&text).expect("json");
        let refused = json["skipped"].as_array().expect("skipped");
        assert_eq!(refused.len(), 1, "{text}");
        assert_eq!(refused[0]["id"], split.0, "{text}");
        assert_eq!(refused[0]["reason"], kind, "{text}");
        let kept = [&area, &other].map(|a| a.path(half, split).exists());
        assert!(kept.iter().any(|k| *k), "{args:?}: the half kept");
    }
    assert!(
        !area.path(Subdir::Mess, whole).exists(),
        "the whole one purged"
    );
}
