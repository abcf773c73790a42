//! kill -9 during a bulk yank and a bulk restore of a 20,000-message queue, at many points;
//! after recovery every message is whole in exactly one place, and restore-all gives back the
//! original tree (names, bytes, inodes). Checked with an independent walkdir walk.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use qtriage::fixture::{FixtureState, MessageSpec};

use crate::tree::{walk, Place, Tree};
use crate::util::{assert_exit, spawn_paused, TestQueue};

/// Messages in the crash queue (half of them spam, yanked and restored).
const MESSAGES: u32 = 20_000;

fn build() -> (TestQueue, Tree) {
    let t = TestQueue::new(23);
    let states = [
        FixtureState::InDelivery,
        FixtureState::Queued,
        FixtureState::Preprocessing,
        FixtureState::InDelivery,
    ];
    (0..MESSAGES).into_par_iter().for_each(|i| {
        let spec = if i % 2 == 0 {
            let mut s = MessageSpec::new()
                .sender(format!("x{i}@spam.example"))
                .remote(format!("v{i}@example.net"))
                .received_from("82.128.32.42")
                .auth("test")
                .state(states[(i / 2) as usize % states.len()]);
            if i % 10 == 0 {
                s = s.bouncing(b"<v@example.net>:\nno mailbox\n\n");
            }
            s
        } else {
            MessageSpec::new()
                .sender(format!("a{i}@example.com"))
                .local("b@example.com")
                .received_from("192.0.2.1")
        };
        t.q.add(&spec).expect("fixture message");
    });
    let original = walk(t.root(), &yank(&t), true);
    assert_eq!(original.files.len(), MESSAGES as usize);
    (t, original)
}

fn yank(t: &TestQueue) -> PathBuf {
    t.root().join("yanked")
}

fn run_with_failpoint(t: &TestQueue, args: &[&str], fp: &str) -> Output {
    t.command()
        .args(args)
        .env("QTRIAGE_FAILPOINT", fp)
        .stdin(Stdio::null())
        .output()
        .expect("run")
}

#[track_caller]
fn assert_crashed(out: &Output) {
    assert!(
        out.status.code().is_none(),
        "expected an abort, got {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// After recovery: every spam id in `want_spam`, every other in the queue, nothing lost.
#[track_caller]
fn assert_whole(t: &TestQueue, original: &Tree, want_spam: Place) {
    let now = walk(t.root(), &yank(t), false);
    now.assert_same_messages(original);
    let places = now.places();
    let spam_places = original
        .files
        .iter()
        .filter(|(_, f)| f.keys().any(|(s, _)| s == "mess") && f.values().any(|v| v.len > 0))
        .count();
    assert_eq!(spam_places, MESSAGES as usize);
    let yanked = places.values().filter(|p| **p == Place::Yank).count();
    let expect = if want_spam == Place::Yank {
        MESSAGES as usize / 2
    } else {
        0
    };
    assert_eq!(yanked, expect, "messages in the yank area");
}

#[track_caller]
fn recover(t: &TestQueue) -> String {
    let out = t.run(&["recover"]);
    assert_exit(&out, 0);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Crash a bulk yank and a bulk restore at many points (failpoints, then real SIGKILLs);
/// recover after each; finally the tree is the original one. One test, so the queue is built once.
#[test]
fn kill_minus_nine_during_bulk_yank_and_restore() {
    let start = Instant::now();
    let (t, original) = build();
    eprintln!("built {MESSAGES} messages in {:?}", start.elapsed());
    // (yank crash point, restore crash point): file operations counted over the batch.
    let points: [(&str, &str); 4] = [
        ("yank:after-rename:2", "restore:after-rename:1"),
        ("yank:after-journal", "restore:after-rename:17_001"),
        ("yank:after-rename:31_003", "restore:before-done"),
        ("yank:before-done", "restore:after-journal"),
    ];
    for (i, (y, r)) in points.iter().enumerate() {
        let (y, r) = (y.replace('_', ""), r.replace('_', ""));
        let t0 = Instant::now();
        assert_crashed(&run_with_failpoint(
            &t,
            &["yank", "auth:test", "--apply"],
            &y,
        ));
        eprintln!("  yank {:?}", t0.elapsed());
        if i == 0 {
            // Two renames into the first message: it is split, and its mess went first.
            let mid = walk(t.root(), &yank(&t), false);
            let split = mid.split_ids();
            assert_eq!(split.len(), 1, "one message split by the crash");
            assert!(mid.files[&split[0]].contains_key(&("mess".to_string(), Place::Yank)));
        }
        let t0 = Instant::now();
        let rec = recover(&t);
        eprintln!("  recover {:?}", t0.elapsed());
        assert!(
            rec.contains("completed batch") && rec.contains("(yank)"),
            "{rec}"
        );
        let t0 = Instant::now();
        assert_whole(&t, &original, Place::Yank);
        eprintln!("  walk {:?}", t0.elapsed());
        let t0 = Instant::now();
        assert_crashed(&run_with_failpoint(
            &t,
            &["restore", "--all", "--apply"],
            &r,
        ));
        eprintln!("  restore {:?}", t0.elapsed());
        if i == 1 {
            // A crash during recovery is recovered too, at two points.
            for fp in ["recover:after-rename:5", "recover:after-rename:9000"] {
                assert_crashed(&run_with_failpoint(&t, &["recover"], fp));
            }
        }
        recover(&t);
        assert_whole(&t, &original, Place::Queue);
        eprintln!("cycle {i} ({y}, {r}) done at {:?}", start.elapsed());
    }
    sigkill_at_polled_progress_points(&t, &original);
    assert_eq!(
        walk(t.root(), &yank(&t), true),
        original,
        "names, bytes and inodes are the original ones"
    );
}

/// Real SIGKILLs: once at a paused point, once at whatever point a running restore reached.
fn sigkill_at_polled_progress_points(t: &TestQueue, original: &Tree) {
    // 1. Paused after 12,345 renames, holding the locks: SIGKILL.
    let (mut child, _err) = spawn_paused(
        t.command()
            .args(["yank", "auth:test", "--apply"])
            .env("QTRIAGE_FAILPOINT", "yank:pause-after-rename:12345")
            .stdout(Stdio::null()),
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    // At most one message can be split at any instant (12345 may fall on a message boundary).
    let split = walk(t.root(), &yank(t), false).split_ids().len();
    assert!(split <= 1, "{split} messages split at once");
    recover(t);
    assert_whole(t, original, Place::Yank);
    // 2. A free-running restore killed as soon as the first file is back in the queue.
    let full = yanked_files(&yank(t));
    let mut child = t
        .command()
        .args(["restore", "--all", "--apply"])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("poll").is_none() && Instant::now() < deadline {
        if yanked_files(&yank(t)) < full {
            break;
        }
    }
    let _ = child.kill();
    let status = child.wait().expect("wait");
    eprintln!("restore ended with {status:?} (killed mid-batch unless it had already finished)");
    recover(t);
    assert_whole(t, original, Place::Queue);
}

fn yanked_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| rd.count())
}

/// A kill while a batch's journal is written (the helper's crash audit: 0.4 ms after the file
/// appeared) leaves no `.journal` with a torn first line, and one an older qtriage left stops
/// nothing: `yanked` lists, `check` names it, the next action removes it and runs.
#[test]
fn a_kill_while_the_journal_is_written_stops_no_later_action() {
    let t = TestQueue::new(23);
    for i in 0..40 {
        let spec = MessageSpec::new()
            .sender(format!("x{i}@example.org"))
            .remote(format!("v{i}@example.net"));
        let spec = match i % 2 {
            0 => spec.received_from("82.128.32.42").auth("test"),
            _ => spec.received_from("192.0.2.1"),
        };
        t.q.add(&spec).expect("fixture message");
    }
    let original = walk(t.root(), &yank(&t), true);
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    assert_crashed(&run_with_failpoint(
        &t,
        &["restore", "--all", "--apply"],
        "restore:in-journal",
    ));
    let journals = yank(&t).join(".journal");
    let names = |suffix: &str| -> Vec<PathBuf> {
        let rd = std::fs::read_dir(&journals).expect("journal dir");
        rd.filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect()
    };
    let pending = names(".journal-new");
    assert_eq!(pending.len(), 1, "{pending:?}");
    let torn = std::fs::read(&pending[0]).expect("pending journal");
    assert!(!torn.is_empty() && !torn.contains(&b'\n'), "{torn:?}");
    assert_eq!(
        names(".journal").len(),
        1,
        "only the finished yank is named"
    );
    // What an older qtriage left when killed there: an empty journal, and half a first line.
    std::fs::write(journals.join("20261101-000000-0001.journal"), b"").expect("write");
    std::fs::write(journals.join("20261101-000000-0002.journal"), &torn).expect("write");

    let yanked = t.run(&["yanked"]);
    assert_exit(&yanked, 0);
    assert!(String::from_utf8_lossy(&yanked.stdout).contains("auth:test"));
    let check = t.run(&["check"]);
    assert_exit(&check, 1);
    let text = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        text.matches("killed while its journal was written").count(),
        3,
        "{text}"
    );
    let restore = t.run(&["restore", "--all", "--apply"]);
    assert_exit(&restore, 0);
    // Each one it cleared is said (the verification run: cleared in silence).
    let err = String::from_utf8_lossy(&restore.stderr);
    assert_eq!(err.matches("qtriage: closed batch ").count(), 3, "{err}");
    assert!(names(".journal-new").is_empty());
    assert_eq!(names(".journal").len(), 2, "the yank and the restore");
    assert_eq!(walk(t.root(), &yank(&t), true), original);
    let check = t.run(&["check"]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(!text.contains("unfinished-batch"), "{text}");
}

/// A queue of twelve messages of AUTH user `test`: small batches to interrupt.
fn twelve_of_test() -> TestQueue {
    let t = TestQueue::new(23);
    for i in 0..12 {
        let spec = MessageSpec::new()
            .sender(format!("x{i}@spam.example"))
            .remote(format!("v{i}@example.net"))
            .received_from("82.128.32.42")
            .auth("test");
        t.q.add(&spec).expect("fixture message");
    }
    t
}

/// `recover` counts the interrupted batch's messages as it makes them whole, so `qtriage
/// recover` can show it (completing 93,000 messages took 31 s with nothing on the screen).
#[test]
fn recovery_counts_the_messages_it_makes_whole() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let t = twelve_of_test();
    // Killed after the 10th rename: three or four messages moved, one maybe split.
    assert_crashed(&run_with_failpoint(
        &t,
        &["yank", "auth:test", "--apply"],
        "yank:after-rename:10",
    ));
    let count = AtomicU64::new(0);
    let opts = qtriage::actions::ExecuteOptions {
        force: false,
        failpoint: None,
        now: 1_800_000_000,
    };
    let report =
        qtriage::actions::recover_counting(t.root(), &yank(&t), &opts, &count).expect("recover");
    assert_eq!(report.completed.len(), 1, "{report:?}");
    assert_eq!(report.completed[0].messages, 12);
    assert_eq!(count.load(Ordering::Relaxed), 12, "every message counted");
}

/// A restore killed half-way (newuser60: after 66,000 of 180,000): what it left in the yank
/// area is its own to finish, not "without a batch, e.g. yanked by qmail-remove", and the
/// message it split has `recover` as its repair, not a yank of its envelope; the unfinished
/// batch is the first finding `check` writes.
#[test]
fn an_interrupted_restore_is_named_by_what_it_left_behind() {
    let t = twelve_of_test();
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    // Killed after the 10th rename: three messages back, one split (its mess or info still
    // in the yank area), the rest still yanked.
    assert_crashed(&run_with_failpoint(
        &t,
        &["restore", "--all", "--apply"],
        "restore:after-rename:10",
    ));
    let out = t.run(&["yanked", "--batches"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(0 without a batch"), "{text}");
    let left = (text.lines())
        .find(|l| l.contains(" of them listed by restore batch "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        left.ends_with("(interrupted: with qmail-send stopped, qtriage recover completes it)"),
        "{left}"
    );
    // With the message lines: the line before them, each of them the restore's (review60).
    let out = t.run(&["yanked"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let at = |p: &dyn Fn(&str) -> bool| lines.iter().position(|l| p(l));
    let (said, first) = (
        at(&|l| l.contains(" of them listed by ")),
        at(&|l| l.starts_with("  #")),
    );
    assert!(said.is_some() && first.is_some() && said < first, "{text}");
    let messages = lines.iter().filter(|l| l.starts_with("  #"));
    assert!(
        messages.clone().all(|l| l.contains("  interrupted:")),
        "{text}"
    );
    let out = t.run(&["yanked", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text.lines().filter(|l| l.contains("\"type\":\"message\""));
    assert!(
        json.clone().count() > 0 && json.clone().all(|l| !l.contains("\"interrupted_by\":null")),
        "{text}"
    );

    let out = t.run(&["check"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("unfinished-batch: restore batch "),
        "{text}"
    );
    let split = text
        .split("\n")
        .skip_while(|l| !l.starts_with("envelope-without"))
        .collect::<Vec<_>>();
    let repair = split
        .iter()
        .find(|l| l.starts_with("  repair: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        repair.contains("qtriage recover (the interrupted restore batch "),
        "{repair}"
    );
    assert!(!text.contains("qtriage yank --ids"), "{text}");

    recover(&t);
    let out = t.run(&["yanked", "--batches"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0 yanked messages in") && !text.contains(" of them listed by"),
        "{text}"
    );
}
