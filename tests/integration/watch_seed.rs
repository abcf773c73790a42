//! A watcher started from a scan its owner holds (the TUI's snapshot, issue 22): it reads only
//! what that scan does not describe, and its model is what its own scan would have given.

use std::sync::Arc;
use std::time::{Duration, Instant};

use qtriage::analysis::key::{ClusterKey, KeyValue};
use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{
    scan, AuthSource, Interner, MessageId, Progress, Queue, QueueOptions, ScanOptions, Subdir,
};
use qtriage::tui::{unix_now, Session, TuiOptions};
use qtriage::watch::{QueueDelta, QueueModel, Seed, WatchOptions, Watcher, Window};

use crate::util::TestQueue;

fn queued(user: &str, i: usize) -> MessageSpec {
    MessageSpec::new()
        .state(FixtureState::Queued)
        .received_from("86.107.221.138")
        .auth(user)
        .remote(format!("victim{i}@example.org"))
}

/// The first delta of `w`: the one that replaces everything.
fn first(w: &Watcher) -> QueueDelta {
    w.deltas()
        .recv_timeout(crate::util::deadline())
        .expect("the watcher's first delta")
}

#[test]
fn a_seeded_watcher_reads_only_what_its_seed_does_not_describe() {
    let t = TestQueue::new(7);
    let kept = t.add(queued("test@example.com", 0));
    let logged = t.add(queued("sales@example.com", 1));
    let gone = t.add(queued("test@example.com", 2));
    let queue = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Arc::new(Interner::new());
    let mut records = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan")
    .records;
    // What only the seed says: read again, `kept` would count for its header's user.
    let seeded = strings.intern(b"seeded@example.com");
    for r in &mut records {
        if r.id == kept {
            r.origin.auth_user = Some(seeded);
        }
        // As the TUI's logs step leaves a record: the watcher's own reads never see it.
        if r.id == logged {
            r.origin.auth_user = Some(strings.intern(b"from-the-logs"));
            r.origin.auth_source = AuthSource::Log;
        }
    }
    // Between the owner's scan and the watcher's start: one arrives, one leaves.
    let arrived = t.add(queued("test@example.com", 3));
    for s in [Subdir::Mess, Subdir::Intd, Subdir::Todo] {
        t.q.remove_part(s, gone).expect("remove");
    }
    let seed = Seed {
        strings: Arc::clone(&strings),
        records: Arc::new(records),
    };
    let w = Watcher::start_seeded(queue, seed, WatchOptions::default()).expect("watcher");
    assert!(Arc::ptr_eq(w.strings(), &strings), "a second interner");
    let delta = first(&w);
    let QueueDelta::Seeded { ref changes, .. } = delta else {
        panic!("the watcher scanned the queue again: {delta:?}");
    };
    let read: Vec<MessageId> = changes
        .iter()
        .filter(|c| c.record.is_some())
        .map(|c| c.id)
        .collect();
    let mut want = vec![logged, arrived];
    want.sort();
    assert_eq!(read, want, "read: {changes:?}");
    assert!(
        changes.iter().any(|c| c.id == gone && c.parts.0 == 0),
        "{changes:?}"
    );

    let mut model =
        QueueModel::new(Arc::clone(&strings), &[ClusterKey::AuthUser]).without_records();
    model.apply(delta);
    let user = |id| model.get(id).and_then(|m| m.values[0]);
    let text = |name: &str| Some(KeyValue::Text(strings.intern(name.as_bytes())));
    assert_eq!(user(kept), Some(KeyValue::Text(seeded)));
    assert_eq!(user(logged), text("sales@example.com"));
    assert_eq!(user(arrived), text("test@example.com"));
    assert!(model.get(gone).is_none());
    assert_eq!(model.queue_size(), 3);
    // Found, like a scan's: no arrivals, no departures.
    let counts = model
        .rates()
        .counts(model.last_ms(), Window::FifteenMinutes);
    assert_eq!(counts, (0, 0, 0));
}

/// Pump `s` until `done` holds, or fail at the deadline.
#[track_caller]
fn pump_until(s: &mut Session, what: &str, done: impl Fn(&Session) -> bool) {
    let deadline = Instant::now() + crate::util::deadline();
    while !done(s) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        s.pump(Duration::from_millis(50));
    }
}

#[test]
fn the_tuis_watcher_starts_from_the_snapshot_not_a_scan_of_its_own() {
    let t = TestQueue::new(7);
    for i in 0..5 {
        t.add(queued("test@example.com", i));
    }
    let queue = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let mut s = Session::start(queue, unix_now(), false, &TuiOptions::default()).expect("tui");
    pump_until(&mut s, "the envelope pass and the watcher's figures", |s| {
        let watching = s.state.status.watch.queue_size == Some(5);
        watching && s.state.data.as_ref().is_some_and(|d| !d.envelopes_pending)
    });
    let strings = Arc::clone(&s.state.data.as_ref().expect("shown").snapshot.strings);
    let before = strings.len();
    // A message whose strings nothing in the queue had: the watcher reads it and interns
    // them where the snapshot's live (its seed's interner), not in an interner of its own.
    t.add(queued("novel-user@example.net", 99).sender("novel-sender@example.net"));
    pump_until(&mut s, "the arrival in the watcher's figures", |s| {
        s.state.status.watch.queue_size == Some(6)
    });
    assert!(
        strings.len() > before,
        "the watcher's reads went to an interner of its own ({before} strings)"
    );
}
