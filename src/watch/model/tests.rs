//! Unit tests of `crate::watch::model`.
use super::*;
use crate::fixture::{FixtureState, MessageSpec, QueueBuilder};
use crate::queue::scan::read_one;
use crate::queue::{Queue, QueueOptions};
use crate::watch::delta::PollReason;
use crate::watch::rates::Window;

const T0: i64 = 1_795_428_000_000;

fn parts(list: &[Subdir]) -> Parts {
    let mut p = Parts::default();
    list.iter().for_each(|s| p.insert(*s));
    p
}

fn batch(at_ms: i64, changes: Vec<Change>) -> QueueDelta {
    QueueDelta::Batch {
        at_ms,
        changes,
        passes: 0,
        mode: WatchMode::Notify,
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    queue: Queue,
    fq: crate::fixture::FixtureQueue,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let fq = QueueBuilder::new(dir.path())
        .split(7)
        .create()
        .expect("queue");
    let queue = Queue::open(dir.path(), QueueOptions::default()).expect("open");
    Fixture {
        _dir: dir,
        queue,
        fq,
    }
}

#[test]
fn arrivals_departures_and_counts() {
    let f = fixture();
    let strings = Arc::new(Interner::new());
    let spam = MessageSpec::new()
        .received_from("86.107.221.138")
        .auth("test@example.com")
        .state(FixtureState::Queued)
        .remote("a@b.example");
    let a = f.fq.add(&spam).expect("add");
    let b = f.fq.add(&spam).expect("add");
    let mut m = QueueModel::new(
        Arc::clone(&strings),
        &[ClusterKey::AuthUser, ClusterKey::OriginIp],
    );
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![],
        mode: WatchMode::Notify,
    });
    let queued = parts(&[Subdir::Mess, Subdir::Intd, Subdir::Todo]);
    let read = |id| read_one(&f.queue, &strings, id).ok();
    m.apply(batch(
        T0 + 1000,
        vec![
            Change {
                id: a,
                parts: queued,
                flow: Flow::Arrived,
                record: read(a),
            },
            Change {
                id: b,
                parts: queued,
                flow: Flow::Arrived,
                record: read(b),
            },
        ],
    ));
    assert_eq!((m.queue_size(), m.todo()), (2, 2));
    let user = KeyValue::Text(strings.intern(b"test@example.com"));
    assert_eq!(m.get(a).map(|t| t.values[0]), Some(Some(user)));
    // b is delivered; a is yanked.
    m.apply(batch(
        T0 + 2000,
        vec![
            Change {
                id: a,
                parts: Parts::default(),
                flow: Flow::Left { yanked: true },
                record: None,
            },
            Change {
                id: b,
                parts: Parts::default(),
                flow: Flow::Left { yanked: false },
                record: None,
            },
        ],
    ));
    assert_eq!((m.queue_size(), m.todo()), (0, 0));
    assert!(m.get(a).is_none());
    assert_eq!(m.rates().counts(T0 + 3000, Window::OneMinute), (2, 2, 1));
    let r = m
        .rates()
        .cluster(0, Some(user), T0 + 3000, Window::OneMinute);
    assert_eq!((r.in_per_min, r.out_per_min), (40.0, 40.0));
    m.apply(QueueDelta::Batch {
        at_ms: T0 + 4000,
        changes: vec![],
        passes: 0,
        mode: WatchMode::Polling(PollReason::EventsLost),
    });
    assert_eq!(m.mode(), Some(WatchMode::Polling(PollReason::EventsLost)));
}

/// Two messages from AUTH user test@example.com at 86.107.221.138 in `f`'s queue.
fn two_spam(f: &Fixture) -> (MessageId, MessageId) {
    let spam = MessageSpec::new()
        .received_from("86.107.221.138")
        .auth("test@example.com")
        .remote("a@b.example");
    (f.fq.add(&spam).expect("add"), f.fq.add(&spam).expect("add"))
}

/// An undo puts yanked messages back: the queue grows, but no mail arrived, overall or in
/// the culprit's cluster.
#[test]
fn restores_are_counted_apart_from_arrivals() {
    let f = fixture();
    let strings = Arc::new(Interner::new());
    let (a, b) = two_spam(&f);
    let mut m = QueueModel::new(Arc::clone(&strings), &[ClusterKey::AuthUser]);
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![],
        mode: WatchMode::Notify,
    });
    let queued = parts(&[Subdir::Mess, Subdir::Info, Subdir::Remote]);
    let read = |id| read_one(&f.queue, &strings, id).ok();
    let change = |id, flow| Change {
        id,
        parts: queued,
        flow,
        record: read(id),
    };
    m.apply(batch(
        T0 + 1000,
        vec![change(a, Flow::Restored), change(b, Flow::Arrived)],
    ));
    assert_eq!(m.queue_size(), 2);
    assert!(m.get(a).is_some_and(|t| t.arrived_ms().is_none()));
    let overall = m.rates().overall(T0 + 2000, Window::OneMinute);
    assert_eq!((overall.in_per_min, overall.restored_per_min), (30.0, 30.0));
    let user = KeyValue::Text(strings.intern(b"test@example.com"));
    let r = m
        .rates()
        .cluster(0, Some(user), T0 + 2000, Window::OneMinute);
    assert_eq!(r.in_per_min, 30.0, "only b arrived in the cluster");
}

/// A yank after an undo counts out unless it takes a message the undo put back: the model
/// nets by message, not by count (newuser51: a restore of 1,195 hid 1,195 of a later yank of
/// 1,205 other messages; after an undo of 89,979, a yank of 39,508 others read `+0/min`).
#[test]
fn a_yank_after_an_undo_counts_out_unless_it_takes_what_the_undo_put_back() {
    let f = fixture();
    let strings = Arc::new(Interner::new());
    let (a, b) = two_spam(&f);
    let mut m = QueueModel::new(Arc::clone(&strings), &[ClusterKey::AuthUser]);
    let read = |id| read_one(&f.queue, &strings, id).ok();
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: read(b).into_iter().collect(),
        mode: WatchMode::Notify,
    });
    let queued = parts(&[Subdir::Mess, Subdir::Info, Subdir::Remote]);
    let restored = Change {
        id: a,
        parts: queued,
        flow: Flow::Restored,
        record: read(a),
    };
    m.apply(batch(T0 + 1000, vec![restored]));
    let yank = |id| Change {
        id,
        parts: parts(&[]),
        flow: Flow::Left { yanked: true },
        record: None,
    };
    m.apply(batch(T0 + 2000, vec![yank(b)]));
    assert_eq!(m.rates().counts(T0 + 3000, Window::OneMinute), (0, 1, 1));
    m.apply(batch(T0 + 3000, vec![yank(a)]));
    assert_eq!(
        m.rates().counts(T0 + 4000, Window::OneMinute),
        (0, 1, 1),
        "the undo undone is no mail leaving"
    );
    assert_eq!(m.queue_size(), 0);
}

/// Passes the tracker counted beyond its changes (an inode reused within a tick) are in and
/// out once each, in no cluster.
#[test]
fn passes_count_in_and_out() {
    let strings = Arc::new(Interner::new());
    let mut m = QueueModel::new(Arc::clone(&strings), &[ClusterKey::AuthUser]);
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![],
        mode: WatchMode::Notify,
    });
    m.apply(QueueDelta::Batch {
        at_ms: T0 + 1000,
        changes: vec![],
        passes: 3,
        mode: WatchMode::Notify,
    });
    assert_eq!(m.rates().counts(T0 + 2000, Window::OneMinute), (3, 3, 0));
    assert_eq!(m.queue_size(), 0);
}

#[test]
fn a_reread_with_the_envelope_moves_the_arrival_to_its_cluster() {
    let f = fixture();
    let strings = Arc::new(Interner::new());
    let spec = MessageSpec::new()
        .sender("bulk@philadefender.org")
        .state(FixtureState::Queued)
        .remote("a@b.example");
    let a = f.fq.add(&spec).expect("add");
    let mut m = QueueModel::new(Arc::clone(&strings), &[ClusterKey::Sender]);
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![],
        mode: WatchMode::Notify,
    });
    // First seen with its mess file only: no sender yet.
    let mut early = read_one(&f.queue, &strings, a).expect("read");
    early.sender = None;
    m.apply(batch(
        T0 + 1000,
        vec![Change {
            id: a,
            parts: parts(&[Subdir::Mess]),
            flow: Flow::Arrived,
            record: Some(early),
        }],
    ));
    assert_eq!(m.get(a).map(|t| t.values[0]), Some(None));
    let full = read_one(&f.queue, &strings, a).ok();
    m.apply(batch(
        T0 + 1200,
        vec![Change {
            id: a,
            parts: parts(&[Subdir::Mess, Subdir::Intd, Subdir::Todo]),
            flow: Flow::Stayed,
            record: full,
        }],
    ));
    let sender = Some(KeyValue::Text(strings.intern(b"bulk@philadefender.org")));
    assert_eq!(m.get(a).map(|t| t.values[0]), Some(sender));
    assert_eq!(
        m.rates()
            .cluster(0, sender, T0 + 6000, Window::OneMinute)
            .in_per_min,
        10.0
    );
    assert_eq!(
        m.rates()
            .cluster(0, None, T0 + 6000, Window::OneMinute)
            .in_per_min,
        0.0
    );
    assert_eq!(m.rates().counts(T0 + 6000, Window::OneMinute), (1, 0, 0));
}

#[test]
fn passed_and_replaced_messages_count_both_ways() {
    let strings = Arc::new(Interner::new());
    let mut m = QueueModel::new(strings, &[ClusterKey::OriginIp]);
    let mut r = MessageRecord::listed(MessageId(9), parts(&[Subdir::Mess]));
    r.size = 1;
    r.state = crate::queue::MessageState::OrphanMess;
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![r],
        mode: WatchMode::Notify,
    });
    assert_eq!(m.queue_size(), 1);
    m.apply(batch(
        T0 + 500,
        vec![
            Change {
                id: MessageId(9),
                parts: parts(&[Subdir::Mess]),
                flow: Flow::Replaced { yanked: false },
                record: None,
            },
            Change {
                id: MessageId(10),
                parts: Parts::default(),
                flow: Flow::Passed { yanked: false },
                record: None,
            },
        ],
    ));
    assert_eq!(m.queue_size(), 1);
    assert_eq!(m.rates().counts(T0 + 1000, Window::OneMinute), (2, 2, 0));
    assert_eq!(
        m.get(MessageId(9)).map(|t| t.arrived_ms()),
        Some(Some(T0 + 500))
    );
}

/// The model of `a` (a Reset that read it) and `b` (an arrival read later), by AUTH user.
fn model_of_two(
    f: &Fixture,
    strings: &Arc<Interner>,
    m: QueueModel,
) -> (QueueModel, [MessageId; 2]) {
    let spec = MessageSpec::new()
        .auth("test@example.com")
        .state(FixtureState::Queued)
        .remote("a@b.example");
    let a = f.fq.add(&spec).expect("add");
    let b = f.fq.add(&spec).expect("add");
    let read = |id| read_one(&f.queue, strings, id).expect("read");
    let mut m = m;
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![read(a)],
        mode: WatchMode::Notify,
    });
    let queued = parts(&[Subdir::Mess, Subdir::Intd, Subdir::Todo]);
    let change = Change {
        id: b,
        parts: queued,
        flow: Flow::Arrived,
        record: Some(read(b)),
    };
    m.apply(batch(T0 + 1000, vec![change]));
    (m, [a, b])
}

#[test]
fn a_model_without_records_keeps_values_counts_and_rates_but_no_record() {
    let f = fixture();
    let strings = Arc::new(Interner::new());
    let keys = [ClusterKey::AuthUser];
    let kept = QueueModel::new(Arc::clone(&strings), &keys);
    let (kept, ids) = model_of_two(&f, &strings, kept);
    let slim = QueueModel::new(Arc::clone(&strings), &keys).without_records();
    let (slim, same) = model_of_two(&f, &strings, slim);
    let user = Some(KeyValue::Text(strings.intern(b"test@example.com")));
    for (m, ids, records) in [(&kept, ids, true), (&slim, same, false)] {
        assert_eq!((m.queue_size(), m.todo()), (2, 2));
        assert_eq!(m.rates().counts(T0 + 1000, Window::OneMinute).0, 1);
        for id in ids {
            let t = m.get(id).expect("tracked");
            assert_eq!(t.values[0], user, "{id}");
            assert_eq!(m.record(id).is_some(), records, "{id}");
        }
    }
}

#[test]
fn a_message_costs_a_monitor_20_bytes_besides_its_id() {
    // A monitor's model holds one per message of the whole queue (a million in a flood).
    assert!(std::mem::size_of::<super::Slot>() <= 20);
}

/// A record of the message `id` (mess and todo) from `sender`.
fn listed(strings: &Interner, id: u64, sender: &[u8]) -> MessageRecord {
    let mut r = MessageRecord::listed(MessageId(id), parts(&[Subdir::Mess, Subdir::Todo]));
    r.sender = Some(strings.intern(sender));
    r
}

#[test]
fn a_found_message_that_leaves_and_comes_back_under_its_id_is_an_arrival_until_the_next_reset() {
    let strings = Arc::new(Interner::new());
    let mut m = QueueModel::new(Arc::clone(&strings), &[ClusterKey::Sender]).without_records();
    let sender = |s: &[u8]| Some(KeyValue::Text(strings.intern(s)));
    // Out of order and one id twice: the last listed counts, once.
    let mut records: Vec<_> = (1..=5)
        .rev()
        .map(|n| listed(&strings, n, b"old@x"))
        .collect();
    records.push(listed(&strings, 4, b"again@x"));
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records,
        mode: WatchMode::Notify,
    });
    assert_eq!((m.queue_size(), m.todo(), m.messages().count()), (5, 5, 5));
    assert_eq!(
        m.get(MessageId(4)).map(|t| t.values[0]),
        Some(sender(b"again@x"))
    );
    let change = |id, list: &[Subdir], flow, from: Option<&[u8]>| Change {
        id: MessageId(id),
        parts: parts(list),
        flow,
        record: from.map(|s| listed(&strings, id, s)),
    };
    let left = Flow::Left { yanked: true };
    m.apply(batch(T0 + 1000, vec![change(3, &[], left, None)]));
    assert!(m.get(MessageId(3)).is_none());
    assert_eq!((m.queue_size(), m.messages().count()), (4, 4));
    let queued = [Subdir::Mess, Subdir::Todo];
    let back = change(3, &queued, Flow::Arrived, Some(b"new@x"));
    m.apply(batch(T0 + 2000, vec![back]));
    let t = m.get(MessageId(3)).expect("back");
    assert_eq!(
        (t.arrived_ms(), t.values[0]),
        (Some(T0 + 2000), sender(b"new@x"))
    );
    assert_eq!((m.queue_size(), m.todo(), m.messages().count()), (5, 5, 5));
    // Preprocessed: still the arrival it was; a found message replaced by a new one arrives.
    let replaced = Flow::Replaced { yanked: false };
    m.apply(batch(
        T0 + 3000,
        vec![
            change(2, &queued, replaced, Some(b"new@x")),
            change(3, &[Subdir::Mess], Flow::Stayed, None),
        ],
    ));
    let arrived = |m: &QueueModel, id| m.get(MessageId(id)).and_then(|t| t.arrived_ms());
    assert_eq!(arrived(&m, 3), Some(T0 + 2000));
    assert_eq!(arrived(&m, 2), Some(T0 + 3000));
    assert_eq!(arrived(&m, 1), None);
    assert_eq!((m.queue_size(), m.todo()), (5, 4));
    assert_eq!(m.rates().counts(T0 + 3000, Window::OneMinute), (2, 2, 1));
    let cluster = |s: &[u8]| {
        m.rates()
            .cluster_counts(0, sender(s), T0 + 3000, Window::OneMinute)
    };
    assert_eq!(
        cluster(b"new@x"),
        (2, 0, 0),
        "both arrivals in their cluster"
    );
    assert_eq!(cluster(b"old@x"), (0, 2, 1), "both departures in theirs");
    // A reset finds them all again: none of them arrived during the watch any more.
    m.apply(QueueDelta::Reset {
        at_ms: T0 + 4000,
        records: vec![listed(&strings, 3, b"new@x"), listed(&strings, 2, b"new@x")],
        mode: WatchMode::Notify,
    });
    let mut ids: Vec<_> = m.messages().map(|(id, t)| (id, t.arrived_ms())).collect();
    ids.sort_unstable_by_key(|(id, _)| *id);
    assert_eq!(ids, vec![(MessageId(2), None), (MessageId(3), None)]);
    assert_eq!((m.queue_size(), m.todo()), (2, 2));
}

/// A flood that starts forging names at a domain the scan never saw is one growing cluster,
/// `<random>@domain`, from its first message: the arrivals teach the pattern, and the ones
/// counted under their own address before that move to it.
#[test]
fn forged_names_at_a_new_domain_grow_as_one_pattern() {
    let f = fixture();
    let strings = Arc::new(Interner::new());
    let old =
        f.fq.add(
            &MessageSpec::new()
                .sender("alice@old.example")
                .remote("a@b.example"),
        )
        .expect("add");
    let scanned = read_one(&f.queue, &strings, old).expect("read");
    let mut m = QueueModel::new(Arc::clone(&strings), &[ClusterKey::SenderPattern])
        .with_tables(None, Some(AnalysisContext::default()));
    m.apply(QueueDelta::Reset {
        at_ms: T0,
        records: vec![scanned],
        mode: WatchMode::Notify,
    });
    let queued = parts(&[Subdir::Mess, Subdir::Intd, Subdir::Todo]);
    let arrivals: Vec<Change> = (0..12)
        .map(|k| {
            let spec = MessageSpec::new()
                .sender(format!("x{k}qz@new.example"))
                .remote("v@victim.example");
            let id = f.fq.add(&spec).expect("add");
            Change {
                id,
                parts: queued,
                flow: Flow::Arrived,
                record: read_one(&f.queue, &strings, id).ok(),
            }
        })
        .collect();
    let ids: Vec<MessageId> = arrivals.iter().map(|c| c.id).collect();
    m.apply(batch(T0 + 1000, arrivals));
    let pattern = Some(KeyValue::Text(strings.intern(b"<random>@new.example")));
    for id in &ids {
        assert_eq!(m.get(*id).map(|t| t.values[0]), Some(pattern), "{id}");
    }
    let at = T0 + 3000;
    let overall = m.rates().overall(at, Window::OneMinute).in_per_min;
    let flood = m.rates().cluster(0, pattern, at, Window::OneMinute);
    assert!(overall > 0.0);
    assert_eq!(flood.in_per_min, overall);
    let first = Some(KeyValue::Text(strings.intern(b"x0qz@new.example")));
    assert_eq!(
        m.rates()
            .cluster(0, first, at, Window::OneMinute)
            .in_per_min,
        0.0
    );
    // The scan's own sender keeps its address.
    let alice = Some(KeyValue::Text(strings.intern(b"alice@old.example")));
    assert_eq!(m.get(old).map(|t| t.values[0]), Some(alice));
}
