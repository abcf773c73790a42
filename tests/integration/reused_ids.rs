//! Ids are inode numbers that qmail reuses: what qtriage moves back or forth under an id must
//! be the message it saw there, never new mail that took the id meanwhile.

use std::process::Stdio;
use std::sync::atomic::AtomicU64;

use qtriage::actions::{self, ExecuteOptions, PlanOptions, RefusalReason};
use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions, Subdir};

use crate::util::{assert_exit, TestQueue};

fn spam() -> MessageSpec {
    MessageSpec::new()
        .sender("x@spam.example")
        .remote("victim@example.net")
        .received_from("82.128.32.42")
        .auth("test")
        .subject("cheap stuff")
}

fn legit() -> MessageSpec {
    MessageSpec::new()
        .sender("alice@example.com")
        .local("bob@example.com")
        .received_from("192.0.2.7")
}

/// The queue read whole, and a yank of every record planned from it, as the TUI plans from
/// its snapshot before anything changes on disk.
fn read_and_plan_yank(t: &TestQueue, query: &str) -> (qtriage::queue::Scan, actions::Plan) {
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    let strings = Interner::new();
    let read = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    let opts = PlanOptions {
        yank_dir: t.root().join("yanked"),
        query: query.into(),
    };
    let plan = actions::plan_yank(&q, &read.records, &opts);
    (read, plan)
}

/// The messages an execution skipped, with why, in id order (they come in queue order: split
/// directory, then id).
fn skipped_by_id(outcome: &actions::Outcome) -> Vec<(qtriage::queue::MessageId, &RefusalReason)> {
    let mut skipped: Vec<_> = outcome.skipped.iter().map(|r| (r.id, &r.reason)).collect();
    skipped.sort_by_key(|(id, _)| *id);
    skipped
}

/// A message yanked without its mess holds no inode, so qmail-queue may give its id to new
/// mail; a restore then leaves it in the yank area rather than put its old envelope beside the
/// new mess (the review: qmail-send would have sent the new mail to the old recipients).
#[test]
fn a_restore_leaves_an_id_that_new_mail_took_meanwhile() {
    for new_state in [FixtureState::Incoming, FixtureState::InDelivery] {
        let t = TestQueue::new(23);
        let id = t.add(spam().state(FixtureState::InfoWithoutMess));
        let out = t.run(&["yank", &format!("id:{}", id.0), "--apply"]);
        assert_exit(&out, 0);
        let yanked = t.root().join("yanked");
        assert!(yanked.join(format!("{}.info", id.0)).exists());
        t.q.requeue_as(id, &legit().state(new_state))
            .expect("new mail with the id");
        let new_info = std::fs::read(t.q.path(Subdir::Info, id)).ok();
        for args in [&["restore", "--all"][..], &["restore", "--all", "--apply"]] {
            let out = t.run(args);
            let text = String::from_utf8_lossy(&out.stdout);
            let refusal = format!("refused #{}: target exists: ", id.0);
            assert!(text.contains(&refusal), "{new_state:?} {args:?}: {text}");
        }
        assert!(
            yanked.join(format!("{}.info", id.0)).exists(),
            "left yanked"
        );
        assert!(
            yanked.join(format!("{}.remote", id.0)).exists(),
            "left yanked"
        );
        assert_eq!(std::fs::read(t.q.path(Subdir::Info, id)).ok(), new_info);
        assert!(
            !t.q.path(Subdir::Remote, id).exists(),
            "the new mail's envelope is local"
        );
    }
}

/// A yank planned from records read earlier (the TUI plans from its snapshot, perhaps read
/// while qmail-send delivered) moves only messages that are still the ones read: new mail that
/// took an id since (another mess size, or another birth time) is left in the queue, named.
#[test]
fn a_yank_planned_earlier_leaves_new_mail_that_took_an_id() {
    let t = TestQueue::new(23);
    let born = 1_800_000_000;
    let ids: Vec<_> = (0..3).map(|_| t.add(spam().born(born))).collect();
    let (_, plan) = read_and_plan_yank(&t, "auth:test");
    assert_eq!(plan.message_count(), 3);
    // qmail-send delivered two of them; new mail took their ids: one of another size, one the
    // same bytes queued an hour later.
    t.q.requeue_as(ids[0], &legit().born(born))
        .expect("requeue");
    t.q.requeue_as(ids[1], &spam().born(born + 3_600))
        .expect("requeue");
    let eopts = ExecuteOptions {
        now: born + 7_200,
        ..ExecuteOptions::default()
    };
    let outcome = actions::execute(&plan, &eopts, &AtomicU64::new(0)).expect("execute");
    let skipped = skipped_by_id(&outcome);
    let mut want = [
        (ids[0], &RefusalReason::Replaced),
        (ids[1], &RefusalReason::Replaced),
    ];
    want.sort_by_key(|(id, _)| *id);
    assert_eq!(skipped, want);
    assert_eq!(outcome.batch.expect("batch").messages, 1);
    for id in &ids[..2] {
        assert!(t.q.path(Subdir::Mess, *id).exists(), "new mail stays");
        assert!(t.q.path(Subdir::Info, *id).exists(), "new mail stays");
    }
    assert!(
        !t.q.path(Subdir::Mess, ids[2]).exists(),
        "the one read is yanked"
    );
}

/// A yank killed after its first rename and recovered after qmail-send ran again: a message
/// it had not begun to move, whose id new mail took meanwhile, is not the one journaled, and
/// recovery leaves it in the queue (failed, named) and yanks the rest.
#[test]
fn recovery_leaves_new_mail_that_took_an_id_after_the_kill() {
    let t = TestQueue::new(23);
    let ids: Vec<_> = (0..3).map(|_| t.add(spam().born(1_800_000_000))).collect();
    let out = t
        .command()
        .args(["yank", "auth:test", "--apply"])
        .env("QTRIAGE_FAILPOINT", "yank:after-rename:1")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(out.status.code().is_none(), "killed: {out:?}");
    let untouched: Vec<_> = ids
        .iter()
        .filter(|id| t.q.path(Subdir::Mess, **id).exists())
        .copied()
        .collect();
    assert_eq!(untouched.len(), 2, "only the first mess moved");
    t.q.requeue_as(untouched[0], &legit().born(1_800_000_100))
        .expect("new mail with the id");
    let out = t.run(&["recover"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("the id now names another message"), "{text}");
    for s in [Subdir::Mess, Subdir::Info, Subdir::Local] {
        assert!(t.q.path(s, untouched[0]).exists(), "{s:?}: {text}");
    }
    let yanked = t.root().join("yanked");
    assert!(!yanked.join(format!("{}.mess", untouched[0].0)).exists());
    for id in ids.iter().filter(|id| **id != untouched[0]) {
        assert!(yanked.join(format!("{}.mess", id.0)).exists(), "{text}");
        assert!(!t.q.path(Subdir::Info, *id).exists(), "{text}");
    }
}

/// A message planned without its mess holds no inode: new mail that qmail-queue wrote under
/// its id meanwhile (a mess, and intd or more) is not yanked with the old envelope, whatever
/// the old files still say. Nor does damage to the headers the scan read switch the check off.
#[test]
fn a_yank_leaves_new_mail_written_beside_a_messless_messages_files() {
    let t = TestQueue::new(23);
    let born = 1_800_000_000;
    let messless = t.add(spam().born(born).state(FixtureState::InfoWithoutMess));
    let damaged = t.add(spam().born(born).header("X-Junk", b"a\x00b"));
    let (read, plan) = read_and_plan_yank(&t, "sender:x@spam.example");
    assert_eq!(plan.message_count(), 2);
    let damage = read.records.iter().find(|r| r.id == damaged).expect("read");
    assert!(
        damage.problems.iter().any(|p| p.part == Subdir::Mess),
        "the headers are flagged: {:?}",
        damage.problems
    );
    t.q.arrive_as(
        messless,
        &legit().born(born + 60).state(FixtureState::Incoming),
    )
    .expect("new mail beside the leftovers");
    t.q.requeue_as(damaged, &legit().born(born))
        .expect("requeue");
    let eopts = ExecuteOptions {
        now: born + 120,
        ..ExecuteOptions::default()
    };
    let outcome = actions::execute(&plan, &eopts, &AtomicU64::new(0)).expect("execute");
    let skipped = skipped_by_id(&outcome);
    let mut want = [
        (messless, &RefusalReason::Replaced),
        (damaged, &RefusalReason::Replaced),
    ];
    want.sort_by_key(|(id, _)| *id);
    assert_eq!(skipped, want);
    for s in [Subdir::Mess, Subdir::Intd, Subdir::Info, Subdir::Remote] {
        assert!(t.q.path(s, messless).exists(), "{s:?} stays");
    }
}

/// `purge --batch A` deletes only the mess files A moved: a message A yanked and restored,
/// whose id new mail took and qmail-remove `-r` then put in the yank area, is not A's.
#[test]
fn purge_by_batch_leaves_a_mess_the_batch_never_moved() {
    let t = TestQueue::new(23);
    let id = t.add(spam().born(1_800_000_000));
    let yank = |args: &[&str]| {
        let out = t.run(args);
        assert_exit(&out, 0);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let text = yank(&["yank", &format!("id:{}", id.0), "--apply"]);
    let batch = text
        .split_whitespace()
        .skip_while(|w| *w != "batch")
        .nth(1)
        .expect("batch id")
        .to_string();
    yank(&["restore", "--batch", &batch, "--apply"]);
    t.q.requeue_as(id, &legit().born(1_800_000_600))
        .expect("new mail");
    t.q.yank_area()
        .take_by_hand(&t.q, id)
        .expect("qmail-remove -r");
    let out = t.run(&["purge", "--batch", &batch, "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("purged 1"), "{text}");
    assert!(t.q.yank_area().path(Subdir::Mess, id).exists(), "{text}");
}

/// A message yanked without its mess holds no inode: new mail may take its id and a later
/// batch yank it beside the first batch's files (no file name in common, so no rename fails).
/// Restoring the later batch, or everything, puts back only the files that batch moved, never
/// the old envelope beside the new mess (qmail-send would send the new mail to the old
/// recipients); the old files stay yanked.
#[test]
fn a_restore_never_mixes_two_yanks_files_under_one_id() {
    for how in ["--batch", "--all"] {
        let t = TestQueue::new(23);
        let id = t.add(spam().state(FixtureState::InfoWithoutMess));
        let yank = || {
            let out = t.run(&["yank", &format!("id:{}", id.0), "--apply", "--json"]);
            assert_exit(&out, 0);
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            v["batch"].as_str().expect("batch").to_string()
        };
        yank();
        t.q.requeue_as(id, &legit().state(FixtureState::Queued))
            .expect("new mail with the id");
        let second = yank();
        let area = t.q.yank_area();
        for s in [Subdir::Info, Subdir::Remote, Subdir::Mess, Subdir::Todo] {
            assert!(area.path(s, id).exists(), "{how}: {s:?} yanked");
        }
        let args: &[&str] = match how {
            "--batch" => &["restore", "--batch", &second, "--apply"],
            _ => &["restore", "--all", "--apply"],
        };
        let out = t.run(args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_exit(&out, 0);
        assert!(
            text.contains("restored 1 message (3 files)"),
            "{how}: {text}"
        );
        for s in [Subdir::Mess, Subdir::Intd, Subdir::Todo] {
            assert!(
                t.q.path(s, id).exists(),
                "{how}: the new mail's {s:?} is back"
            );
        }
        for s in [Subdir::Info, Subdir::Remote] {
            assert!(
                !t.q.path(s, id).exists(),
                "{how}: old {s:?} not put beside it"
            );
            assert!(area.path(s, id).exists(), "{how}: old {s:?} stays yanked");
        }
    }
}

/// A yank that was restored owns its id no more: new mail that took the id, yanked later by
/// qmail-remove (no journal), is restored whole. Before, the restored yank still owned the id
/// and only the files it had listed (mess, info) went back; the new mail's `local` stayed in the
/// yank area, and qmail-send deletes a message whose info has neither `local` nor `remote`.
#[test]
fn a_restored_yank_owns_its_id_no_more() {
    for how in ["--all", "query"] {
        let t = TestQueue::new(23);
        let id = t.add(spam());
        let out = t.run(&["yank", &format!("id:{}", id.0), "--apply", "--json"]);
        assert_exit(&out, 0);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let first = v["batch"].as_str().expect("batch").to_string();
        assert_exit(&t.run(&["restore", "--batch", &first, "--apply"]), 0);
        t.q.requeue_as(id, &legit().state(FixtureState::InDelivery))
            .expect("new mail with the id");
        let area = t.q.yank_area();
        area.take_by_hand(&t.q, id).expect("qmail-remove -r");
        for s in [Subdir::Mess, Subdir::Info, Subdir::Local] {
            assert!(area.path(s, id).exists(), "{how}: {s:?} yanked by hand");
        }
        let query = format!("id:{}", id.0);
        let args: &[&str] = match how {
            "--all" => &["restore", "--all", "--apply"],
            _ => &["restore", &query, "--apply"],
        };
        let out = t.run(args);
        assert_exit(&out, 0);
        for s in [Subdir::Mess, Subdir::Info, Subdir::Local] {
            assert!(
                t.q.path(s, id).exists(),
                "{how}: the new mail's {s:?} is back"
            );
            assert!(
                !area.path(s, id).exists(),
                "{how}: {s:?} left in the yank area"
            );
        }
        // The first batch holds nothing now: restoring it again puts nothing back.
        let again = t.run(&["restore", "--batch", &first, "--json"]);
        let text = String::from_utf8_lossy(&again.stdout);
        assert!(!text.contains(&format!("\"id\":{}", id.0)), "{how}: {text}");
    }
}

/// New mail takes the id of `id`, its info file reusing the very inode of the old one (as ext4
/// hands freed inodes back: crash49 saw it with the real qmail-send), born at `born`.
fn requeue_reusing_the_info_inode(t: &TestQueue, id: qtriage::queue::MessageId, born: i64) {
    let info = t.q.path(Subdir::Info, id);
    let kept = t.root().join("../old-info");
    std::fs::hard_link(&info, &kept).expect("hold the info inode");
    t.q.requeue_as(id, &legit().born(born))
        .expect("new mail with the id");
    std::fs::rename(&kept, &info).expect("the old inode under the id");
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(born as u64);
    let times = std::fs::FileTimes::new().set_accessed(at).set_modified(at);
    (std::fs::File::options().write(true).open(&info))
        .and_then(|f| f.set_times(times))
        .expect("new mail's birth time");
}

/// qtriage on `t` with `failpoint` armed (`""`: none).
fn run_armed(t: &TestQueue, args: &[&str], failpoint: &str) -> std::process::Output {
    (t.command().args(args))
        .env("QTRIAGE_FAILPOINT", failpoint)
        .stdin(Stdio::null())
        .output()
        .expect("run")
}

/// Three messages of `test` born at `born`, and an expire of them killed after its first
/// re-time: their ids.
fn expire_three_killed_after_one(t: &TestQueue, born: i64) -> Vec<qtriage::queue::MessageId> {
    let ids = (0..3).map(|_| t.add(spam().born(born))).collect();
    let expire = ["expire", "auth:test", "--lifetime", "100", "--apply"];
    let out = run_armed(t, &expire, "expire:after-rename:1");
    assert!(out.status.code().is_none(), "killed: {out:?}");
    ids
}

/// The birth time (info mtime) of `id`.
fn birth(t: &TestQueue, id: qtriage::queue::MessageId) -> i64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(t.q.path(Subdir::Info, id))
        .expect("info")
        .mtime()
}

/// An expire killed after its first re-time and recovered after qmail-send ran again: a
/// message it had not re-timed, whose id new mail took with the old info file's inode, is not
/// the one journaled; recovery leaves its birth time as qmail wrote it (re-dated, qmail-send
/// bounced the new mail: crash49) and re-times the rest. The undo of an expire, the same.
#[test]
fn recovery_never_re_dates_new_mail_that_reused_an_id_and_its_info_inode() {
    let t = TestQueue::new(23);
    let born = 1_800_000_000;
    let ids = expire_three_killed_after_one(&t, born);
    let run = |args: &[&str], failpoint: &str| run_armed(&t, args, failpoint);
    let untouched: Vec<_> = ids
        .iter()
        .filter(|id| birth(&t, **id) == born)
        .copied()
        .collect();
    assert_eq!(untouched.len(), 2, "only the first re-timed");
    let new_born = born + 500;
    requeue_reusing_the_info_inode(&t, untouched[0], new_born);
    let out = run(&["recover"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("the id now names another message"), "{text}");
    assert_eq!(
        birth(&t, untouched[0]),
        new_born,
        "new mail keeps its birth: {text}"
    );
    // The others are expired, to one time (the action's clock less the lifetime and a second).
    let others: Vec<i64> = (ids.iter())
        .filter(|id| **id != untouched[0])
        .map(|id| birth(&t, *id))
        .collect();
    let expired = others[0];
    assert!(expired < born && others[1] == expired, "{others:?}: {text}");

    // The undo, killed after its first re-time: new mail that took another id keeps its birth.
    let batch = text
        .lines()
        .find_map(|l| l.strip_prefix("completed batch "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the expire's batch")
        .to_string();
    let out = run(
        &["restore", "--batch", &batch, "--apply"],
        "restore:after-rename:1",
    );
    assert!(out.status.code().is_none(), "killed: {out:?}");
    let still: Vec<_> = (ids.iter())
        .filter(|id| **id != untouched[0] && birth(&t, **id) == expired)
        .copied()
        .collect();
    assert_eq!(still.len(), 1, "one of the two put back");
    requeue_reusing_the_info_inode(&t, still[0], new_born);
    let out = run(&["recover"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("the id now names another message"), "{text}");
    // The undo re-times: it says so, not "moved" (crash49b).
    assert!(
        text.contains("(restore): 1 message, 1 file re-timed now, 1 failed"),
        "{text}"
    );
    assert_eq!(birth(&t, still[0]), new_born, "{text}");
}

/// The ids of the `message` lines of the one expire journal in `t`'s yank area, in order.
fn journaled_ids(t: &TestQueue) -> Vec<u64> {
    let dir = t.root().join("yanked/.journal");
    let entries = std::fs::read_dir(&dir).expect("journal dir");
    let journal = (entries.filter_map(Result::ok))
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "journal"))
        .expect("a journal");
    (std::fs::read_to_string(journal).expect("read").lines())
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "message")
        .filter_map(|v| v["id"].as_u64())
        .collect()
}

/// A recovery killed after a message failed, recovered again: the failure the killed run
/// wrote in the journal is named and counted by the run that completes the batch, whose
/// `done` line counts it (crash49: `"failed":0` after four `failed` lines, and nobody saw
/// them).
#[test]
fn a_failure_before_the_interruption_is_named_when_the_batch_completes() {
    let t = TestQueue::new(23);
    let born = 1_800_000_000;
    expire_three_killed_after_one(&t, born);
    let run = |args: &[&str], failpoint: &str| run_armed(&t, args, failpoint);
    // The second journaled message gets new mail; the recovery fails it, re-times the third
    // and is killed before its `done`.
    let order = journaled_ids(&t);
    let second = qtriage::queue::MessageId(order[1]);
    requeue_reusing_the_info_inode(&t, second, born + 500);
    // Its first operation re-times the first message again (harmless), its second the third.
    let out = run(&["recover"], "recover:after-rename:2");
    assert!(out.status.code().is_none(), "killed: {out:?}");
    let out = run(&["recover"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("2 files re-timed now, 1 failed"), "{text}");
    assert!(
        text.contains(&format!(
            "failed #{second}: failed before the interruption and left whole where it was"
        )),
        "{text}"
    );
    let journal = std::fs::read_dir(t.root().join("yanked/.journal"))
        .expect("dir")
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "journal"))
        .map(|e| std::fs::read_to_string(e.path()).expect("read"))
        .expect("journal");
    let done = journal.lines().last().expect("a last line");
    assert!(
        done.contains("\"type\":\"done\"") && done.contains("\"failed\":1"),
        "{done}"
    );
    assert_eq!(birth(&t, second), born + 500, "new mail keeps its birth");
}

/// An expire killed after its first re-time, every mess file then touched (a copy, a restore
/// from backup): the message the killed run re-timed is done, not failed, and the batch's undo
/// gives its birth time back; the others fail, not re-timed (review49: all were failed, and the
/// one already expired could not be undone).
#[test]
fn a_re_time_the_killed_run_made_stands_when_the_mess_was_touched_since() {
    let t = TestQueue::new(23);
    let born = 1_800_000_000;
    let ids = expire_three_killed_after_one(&t, born);
    let first = ids
        .iter()
        .copied()
        .find(|id| birth(&t, *id) != born)
        .expect("one re-timed");
    let later = std::time::SystemTime::now();
    for id in &ids {
        (std::fs::File::options()
            .write(true)
            .open(t.q.path(Subdir::Mess, *id)))
        .and_then(|f| f.set_modified(later))
        .expect("touch");
    }
    let out = run_armed(&t, &["recover"], "");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        text.contains("1 message, 1 file re-timed now, 2 failed"),
        "{text}"
    );
    assert!(text.contains("or its mess file was changed"), "{text}");
    for id in ids.iter().filter(|id| **id != first) {
        assert_eq!(birth(&t, *id), born, "not re-timed: {text}");
    }
    let batch = text
        .lines()
        .find_map(|l| l.strip_prefix("completed batch "))
        .and_then(|l| l.split_whitespace().next())
        .expect("the batch")
        .to_string();
    let out = run_armed(&t, &["restore", "--batch", &batch, "--apply"], "");
    assert_exit(&out, 0);
    assert_eq!(birth(&t, first), born, "undone");
}
