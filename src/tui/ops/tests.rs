//! The adapter on real fixture queues: every action is a journaled batch of `crate::actions`.

use std::sync::Arc;

use super::*;
use crate::actions::PurgeSelection;
use std::path::Path;

use crate::actions::{BatchState, Direction, RestoreSelection, DEFAULT_QUEUE_LIFETIME};
use crate::fixture::{FixtureQueue, MessageSpec, QueueBuilder};
use crate::queue::{scan, Interner, Progress, QueueOptions, ScanOptions, Subdir};

struct Fixture {
    _dir: tempfile::TempDir,
    fq: FixtureQueue,
    ops: Ops,
    ids: Vec<MessageId>,
}

fn fixture(n: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let fq = QueueBuilder::new(dir.path().join("q"))
        .split(7)
        .create()
        .expect("queue");
    let ids = (0..n)
        .map(|i| {
            fq.add(
                &MessageSpec::new()
                    .sender(format!("s{i}@spam.example"))
                    .remote(format!("r{i}@x.example"))
                    .remote(format!("q{i}@x.example"))
                    // By the clock: an expire only moves a birth time back, whatever the date.
                    .born(unix_now() - 600),
            )
            .expect("add")
        })
        .collect();
    let q = Queue::open(fq.root(), QueueOptions::default()).expect("open");
    Fixture {
        _dir: dir,
        fq,
        ops: Ops::new(q),
        ids,
    }
}

fn records(f: &Fixture) -> Vec<MessageRecord> {
    let strings = Interner::new();
    scan(
        &f.ops.queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan")
    .records
}

fn confirm(f: &Fixture, request: PlanRequest, force: bool) -> Confirm {
    let plan = f.ops.plan(&request, "test", &records(f)).expect("plan");
    Confirm {
        what: "test".into(),
        plan: Arc::new(plan),
        clusters_hit: None,
        not_in_plan: None,
        still_picked: None,
        picks_unknown: None,
        pick_warning: None,
        sample: Vec::new(),
        force,
    }
}

fn in_queue(f: &Fixture, id: MessageId) -> bool {
    f.fq.path(Subdir::Mess, id).exists() && f.fq.path(Subdir::Info, id).exists()
}

fn in_yank_area(f: &Fixture, id: MessageId) -> bool {
    f.ops.yank_dir.join(format!("{id}.mess")).exists()
}

/// Marks made on an older snapshot: a message yanked or removed since (by another terminal)
/// is not counted in the confirmation (crash50: 547 counted, none there).
#[test]
fn marks_gone_from_the_queue_since_the_scan_are_not_counted() {
    let f = fixture(3);
    let seen = records(&f);
    for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
        f.fq.remove_part(s, f.ids[0]).expect("remove");
    }
    for request in [
        PlanRequest::Yank(f.ids.clone()),
        PlanRequest::Expire(f.ids.clone()),
    ] {
        let plan = f.ops.plan(&request, "test", &seen).expect("plan");
        assert_eq!(
            (plan.message_count(), plan.recipients()),
            (2, 4),
            "{request:?}"
        );
        // The journal says so too (newuser51: it recorded the marks, not what moved).
        assert_eq!(
            plan.query,
            "tui: test, 1 of them gone from the queue since the scan"
        );
    }
}

#[test]
fn yank_is_a_journaled_batch_and_restore_of_it_brings_everything_back() {
    let f = fixture(4);
    let c = confirm(&f, PlanRequest::Yank(f.ids[..2].to_vec()), false);
    assert_eq!((c.plan.message_count(), c.plan.recipients()), (2, 4));
    assert_eq!(c.plan.query, "tui: test", "recorded in the journal");
    let mut seen = Vec::new();
    let out = f.ops.execute(&c, &mut |n| seen.push(n)).expect("yank");
    assert_eq!(seen.last(), Some(&2), "progress ends at the message count");
    let mut acted = acted_on(&c.plan, &out);
    acted.sort();
    let mut want = f.ids[..2].to_vec();
    want.sort();
    assert_eq!(acted, want);
    for id in &f.ids[..2] {
        assert!(!in_queue(&f, *id) && in_yank_area(&f, *id), "#{id}");
    }
    assert!(in_queue(&f, f.ids[2]) && in_queue(&f, f.ids[3]));
    let batch = out.batch.expect("a batch").batch;
    let l = f.ops.listing().expect("listing");
    assert_eq!(l.batches.len(), 1);
    let row = &l.batches[0];
    assert_eq!(
        (row.batch.as_str(), row.direction),
        (batch.as_str(), Direction::Yank)
    );
    assert_eq!(
        (row.messages, row.in_yank_area, row.state),
        (2, 2, BatchState::Done)
    );
    assert_eq!((l.messages, l.orphans.len()), (2, 0));

    let c = confirm(
        &f,
        PlanRequest::Restore(RestoreSelection::Batch(batch.clone())),
        false,
    );
    assert_eq!(c.plan.undoes.as_deref(), Some(batch.as_str()));
    f.ops.execute(&c, &mut |_| {}).expect("restore");
    assert!(f
        .ids
        .iter()
        .all(|id| in_queue(&f, *id) && !in_yank_area(&f, *id)));
    let l = f.ops.listing().expect("listing");
    assert_eq!(l.batches.len(), 2, "the restore is a batch of its own");
    assert_eq!((l.batches[0].in_yank_area, l.messages), (0, 0));
    assert!(
        f.ops.recover().expect("recover").is_empty(),
        "nothing left open"
    );
}

#[test]
fn a_held_sendmutex_is_in_the_plan_and_refuses_unless_forced() {
    let f = fixture(1);
    let lock = std::fs::File::options()
        .write(true)
        .open(f.fq.root().join("lock/sendmutex"))
        .expect("open lock");
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::NonBlockingLockExclusive)
        .expect("take lock");
    assert_eq!(f.ops.send_running(), Some(true));
    let c = confirm(&f, PlanRequest::Yank(f.ids.clone()), false);
    assert!(c.planned_while_running());
    let err = f.ops.execute(&c, &mut |_| {}).expect_err("refused");
    assert!(matches!(err, ActionError::SendRunning { .. }), "{err}");
    assert!(in_queue(&f, f.ids[0]), "nothing moved");
    let forced = Confirm { force: true, ..c };
    let out = f.ops.execute(&forced, &mut |_| {}).expect("forced");
    assert!(out.forced_while_running);
    assert!(in_yank_area(&f, f.ids[0]));
}

#[test]
fn purge_deletes_a_yank_batch_and_expire_is_undone_by_its_restore() {
    let f = fixture(3);
    let c = confirm(&f, PlanRequest::Yank(vec![f.ids[0]]), false);
    let batch = f
        .ops
        .execute(&c, &mut |_| {})
        .expect("yank")
        .batch
        .expect("batch");
    let c = confirm(
        &f,
        PlanRequest::Purge(PurgeSelection::Batch(batch.batch)),
        false,
    );
    assert!(!c.plan.needs_send_stopped());
    f.ops.execute(&c, &mut |_| {}).expect("purge");
    assert!(
        !in_yank_area(&f, f.ids[0]) && !in_queue(&f, f.ids[0]),
        "gone for good"
    );

    let info = f.fq.path(Subdir::Info, f.ids[1]);
    let mtime = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).expect("info").mtime()
    };
    let before = mtime(&info);
    let c = confirm(&f, PlanRequest::Expire(vec![f.ids[1]]), false);
    let expired = f.ops.execute(&c, &mut |_| {}).expect("expire");
    assert!(mtime(&info) < unix_now() - DEFAULT_QUEUE_LIFETIME);
    let id = expired.batch.expect("batch").batch;
    let c = confirm(&f, PlanRequest::Restore(RestoreSelection::Batch(id)), false);
    f.ops.execute(&c, &mut |_| {}).expect("un-expire");
    assert_eq!(mtime(&info), before);
}

#[test]
fn messages_yanked_by_qmail_remove_are_listed_without_a_batch_and_restorable() {
    let f = fixture(2);
    // What `qmail-remove -r` does: rename each file to <yank>/<id>.<subdir>, no journal.
    std::fs::create_dir(&f.ops.yank_dir).expect("yank dir");
    let id = f.ids[1];
    for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
        let to = f.ops.yank_dir.join(format!("{id}.{}", s.name()));
        std::fs::rename(f.fq.path(s, id), to).expect("rename");
    }
    let l = f.ops.listing().expect("listing");
    assert_eq!(
        (l.batches.len(), l.messages, l.orphans.clone()),
        (0, 1, vec![id])
    );
    let c = confirm(
        &f,
        PlanRequest::Restore(RestoreSelection::Ids(l.orphans)),
        false,
    );
    f.ops.execute(&c, &mut |_| {}).expect("restore");
    assert!(in_queue(&f, id) && !in_yank_area(&f, id));
}

/// A yank area on another filesystem is refused when planning, before the confirmation, as
/// the CLI's dry run refuses it (it was said only after Enter).
#[test]
fn a_yank_area_on_another_filesystem_is_refused_when_planning() {
    use std::os::unix::fs::MetadataExt;
    let mut f = fixture(2);
    let Some(other) = tempfile::tempdir_in("/dev/shm").ok().filter(|d| {
        let dev = |p: &Path| std::fs::metadata(p).map(|m| m.dev()).ok();
        dev(d.path()) != dev(f.fq.root())
    }) else {
        println!("skipped: /dev/shm is missing or on the queue's filesystem");
        return;
    };
    f.ops.yank_dir = other.path().join("yanked");
    let recs = records(&f);
    let err = f
        .ops
        .plan(&PlanRequest::Yank(f.ids.clone()), "2 marked", &recs)
        .expect_err("another filesystem");
    assert!(matches!(err, ActionError::CrossDevice { .. }), "{err}");
    assert!(!other.path().join("yanked").exists(), "nothing created");
}
