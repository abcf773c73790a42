//! A yank never splits a message qmail-queue may still be writing, and the states that name it;
//! nor moves a file qmail did not write (a link, a FIFO) or one qmail-send cannot see.
//!
//! qmail-queue links the mess file first, writes intd, then links intd to todo; only then is the
//! client told "accepted". With qmail-send stopped qmail-smtpd keeps accepting, so a yank can
//! meet a mess without todo (and without info): it must leave it where it is and say so.

use std::sync::atomic::AtomicU64;

use qtriage::actions::{self, ExecuteOptions, PlanOptions, RefusalReason};
use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{MessageId, Queue, QueueOptions, Subdir};

use crate::tree::{walk, Place};
use crate::util::{assert_exit, TestQueue};

fn spam(state: FixtureState) -> MessageSpec {
    MessageSpec::new()
        .state(state)
        .sender("x@spam.example")
        .remote("victim@example.net")
        .received_from("82.128.32.42")
        .auth("test")
}

/// Two whole messages and the two shapes qmail-queue leaves while it writes: mess alone, and
/// mess + intd.
fn queue() -> (TestQueue, [MessageId; 2], [MessageId; 2]) {
    let t = TestQueue::new(23);
    let whole = [
        t.add(spam(FixtureState::Queued)),
        t.add(spam(FixtureState::InDelivery)),
    ];
    let writing = [
        t.add(spam(FixtureState::OrphanMess)),
        t.add(spam(FixtureState::Incoming)),
    ];
    (t, whole, writing)
}

#[test]
fn yank_leaves_messages_whose_queueing_is_unfinished() {
    let (t, whole, writing) = queue();
    let dry = t.run(&["yank", "auth:test"]);
    assert_exit(&dry, 0);
    let text = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(text.starts_with("would yank 2 messages"), "{text}");
    for id in writing {
        assert!(
            text.contains(&format!("refused #{id}: queueing not finished")),
            "{text}"
        );
    }
    assert!(
        text.contains("36 hours"),
        "qmail-send's cleanup is named: {text}"
    );
    // What is left in place is neither sampled nor hit: it remains (the crash audit saw all
    // four in the sample of "would yank 2").
    let sampled = text.lines().filter(|l| l.starts_with("  #")).count();
    assert_eq!(sampled, 2, "{text}");
    assert!(
        text.contains("would remain in the queue: 2 messages"),
        "{text}"
    );
    assert!(text.contains("2  test  (2 left in the queue)"), "{text}");

    let out = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("yanked 2 messages"), "{text}");
    let places = walk(t.root(), &t.root().join("yanked"), false).places();
    assert!(whole.iter().all(|id| places[&id.0] == Place::Yank));
    assert!(
        writing.iter().all(|id| places[&id.0] == Place::Queue),
        "{text}"
    );
    // Nothing of them moved: the mess file and intd are still where qmail-queue wrote them.
    assert!(t.q.path(Subdir::Mess, writing[0]).exists());
    assert!(t.q.path(Subdir::Intd, writing[1]).exists());
}

#[test]
fn remove_r_leaves_them_too() {
    let (t, whole, writing) = queue();
    let out = t.run(&["remove", "-r"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let places = walk(t.root(), &t.root().join("yanked"), false).places();
    assert!(
        whole.iter().all(|id| places[&id.0] == Place::Yank),
        "{text}"
    );
    for id in writing {
        assert_eq!(places[&id.0], Place::Queue, "{text}");
        assert!(text.contains(&format!("refused #{id}: queueing not finished")));
    }
}

/// A plan made while the message looked whole is checked again under the lock: the files are
/// what counts when moving, not the scan.
#[test]
fn execute_rechecks_the_files() {
    let t = TestQueue::new(23);
    let id = t.add(spam(FixtureState::Queued));
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    let opts = PlanOptions {
        yank_dir: t.root().join("yanked"),
        query: "test".into(),
    };
    let plan = actions::plan_yank_ids(&q, &[id], &opts);
    assert_eq!(plan.message_count(), 1);
    // As if this id were now a new message, linked by qmail-queue but not yet committed.
    t.q.remove_part(Subdir::Todo, id).expect("rm todo");
    let eopts = ExecuteOptions {
        now: 1_800_000_000,
        ..ExecuteOptions::default()
    };
    let outcome = actions::execute(&plan, &eopts, &AtomicU64::new(0)).expect("execute");
    assert!(outcome.batch.is_none());
    assert_eq!(outcome.skipped.len(), 1);
    assert_eq!(outcome.skipped[0].reason, RefusalReason::QueueingUnfinished);
    assert!(t.q.path(Subdir::Mess, id).exists());
}

/// todo + intd without mess is not "info-without-mess": there is no info file.
#[test]
fn todo_without_mess_has_its_own_state() {
    let t = TestQueue::new(23);
    let id = t.add(spam(FixtureState::TodoWithoutMess));
    let out = t.stdout(&["list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["id"], id.0);
    assert_eq!(v["state"], "todo-without-mess", "{out}");
    assert_eq!(
        t.stdout(&["list", "--count", "state:todo-without-mess"]),
        "1\n"
    );
    let none = t.run(&["list", "--count", "state:info-without-mess"]);
    assert_eq!(String::from_utf8_lossy(&none.stdout), "0\n");
}

/// A message with a file qmail did not write (a link to /etc/passwd, a FIFO) or misfiled in
/// another split directory is left where it is, named, by `yank` and `yank --ids` (the
/// hostile-input audit: `yank --apply` renamed links and FIFOs into the yank area silently).
#[test]
fn yank_leaves_links_fifos_and_misfiled_messages() {
    let t = TestQueue::new(23);
    let whole = t.add(spam(FixtureState::Queued));
    let [linked, piped, misfiled] = [0; 3].map(|_| t.add(spam(FixtureState::InDelivery)));
    t.q.symlink(Subdir::Mess, linked, "/etc/passwd")
        .expect("link");
    t.q.fifo(Subdir::Remote, piped).expect("fifo");
    let moved = t.q.misplace(Subdir::Mess, misfiled).expect("misplace");
    // A linked mess has no headers to say `auth:test`: selected by its problem.
    let out = t.run(&["yank", "auth:test or problem:symlink", "--apply"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("yanked 1 message ("), "{text}");
    for (id, part) in [(linked, "mess"), (piped, "remote")] {
        let want = format!("refused #{id}: its {part} is a symbolic link, FIFO");
        assert!(text.contains(&want), "{text}");
    }
    assert!(
        text.contains(&format!(
            "refused #{misfiled}: its files sit in another split"
        )),
        "{text}"
    );
    assert!(!text.contains("vanished"), "{text}");
    let link = std::fs::symlink_metadata(t.q.path(Subdir::Mess, linked)).expect("left");
    assert!(link.file_type().is_symlink());
    assert!(t.q.path(Subdir::Remote, piped).exists() && moved.exists());
    assert!(t.q.path(Subdir::Info, linked).exists(), "not split either");
    let yanked: Vec<_> = std::fs::read_dir(t.root().join("yanked"))
        .expect("yank area")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert!(
        yanked.iter().all(|n| n.starts_with(&format!("{whole}."))),
        "{yanked:?}"
    );
    // By id, without a scan's record: the files as they are now say it.
    let ids = t.root().join("ids");
    std::fs::write(&ids, format!("{linked}\n")).expect("ids file");
    let out = t.run(&["yank", "--ids", &ids.to_string_lossy(), "--apply"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains(&format!("refused #{linked}: its mess is a symbolic link")),
        "{text}"
    );
}

/// A message whose mess sits in another split directory is left whole where it is by
/// `yank --ids` and `remove -r` too (the review: `remove -p . -r` moved its envelope and left
/// the mess); a whole message with a stray copy elsewhere is yanked (it would be delivered).
#[test]
fn misfiled_by_id_is_left_and_a_stray_copy_is_no_reason() {
    let t = TestQueue::new(23);
    let misfiled = t.add(spam(FixtureState::InDelivery));
    let moved = t.q.misplace(Subdir::Mess, misfiled).expect("misplace");
    let ids = t.root().join("ids");
    std::fs::write(&ids, format!("{misfiled}\n")).expect("ids file");
    let out = t.run(&["yank", "--ids", &ids.to_string_lossy(), "--apply"]);
    assert_exit(&out, 1);
    let want = format!("refused #{misfiled}: its files sit in another split");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&want),
        "{out:?}"
    );
    let out = t.run(&["remove", "-p", ".", "-r"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&want),
        "{out:?}"
    );
    assert!(moved.exists(), "the mess stays where it is");
    for part in [Subdir::Info, Subdir::Remote] {
        assert!(t.q.path(part, misfiled).exists(), "its {part:?} stays too");
    }
    // Every file misfiled: `remove -r` says so too (it skipped it in silence, exit 0).
    let elsewhere =
        [Subdir::Info, Subdir::Remote].map(|p| t.q.misplace(p, misfiled).expect("misplace"));
    let out = t.run(&["remove", "-p", ".", "-r"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&want),
        "{out:?}"
    );
    assert!(moved.exists() && elsewhere.iter().all(|p| p.exists()));

    let t = TestQueue::new(23);
    let whole = t.add(spam(FixtureState::InDelivery));
    let stray = t.q.stray_copy(Subdir::Mess, whole).expect("stray copy");
    let out = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("yanked 1 message ("), "{text}");
    assert!(!t.q.path(Subdir::Mess, whole).exists() && stray.exists());
}
