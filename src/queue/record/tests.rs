//! Unit tests of `crate::queue::record`.
use super::*;

fn parts(list: &[Subdir]) -> Parts {
    let mut p = Parts::default();
    list.iter().for_each(|s| p.insert(*s));
    p
}

#[test]
fn states_follow_the_notes() {
    use MessageState::*;
    use Subdir::*;
    let cases: [(&[Subdir], MessageState); 12] = [
        (&[Mess, Intd], Incoming),
        (&[Mess, Intd, Todo], Queued),
        (&[Mess, Todo, Info], Preprocessing),
        (&[Mess, Info, Remote], InDelivery),
        (&[Mess, Info, Local, Bounce], InDelivery),
        (&[Mess, Info], Done),
        (&[Mess], OrphanMess),
        (&[Info, Remote], InfoWithoutMess),
        (&[Info, Todo], InfoWithoutMess),
        // What a mess moved away under a running qmail-queue leaves: no info at all.
        (&[Todo, Intd], TodoWithoutMess),
        (&[Intd], TodoWithoutMess),
        (&[Remote], OrphanEnvelope),
    ];
    for (p, want) in cases {
        assert_eq!(MessageState::from_parts(parts(p)), want, "{p:?}");
    }
    let unfinished: Vec<MessageState> = MessageState::ALL
        .into_iter()
        .filter(|s| s.is_queueing_unfinished())
        .collect();
    assert_eq!(unfinished, [Incoming, OrphanMess]);
}

#[test]
fn record_stays_compact() {
    // The flood-scale target is under 200 bytes a message at peak, with the interner and the
    // analysis beside the records. The recipients are inside it (a 20-byte summary, no heap:
    // see `queue::recipients::tests`), the problems behind one thin pointer (nothing
    // allocated for a healthy message): this is what a record costs whatever their number.
    assert!(
        std::mem::size_of::<MessageRecord>() <= 112,
        "{}",
        std::mem::size_of::<MessageRecord>()
    );
    // The uid in 4 bytes and a flag in the padding (an `Option<u32>` made it 36).
    assert_eq!(std::mem::size_of::<Origin>(), 32);
    // Collected in place from the scan's slots (`scan::parallel::read_listed`).
    assert_eq!(
        std::mem::size_of::<Option<MessageRecord>>(),
        std::mem::size_of::<MessageRecord>()
    );
    assert_eq!(std::mem::size_of::<Problems>(), 8);
}

#[test]
fn qmail_queues_time_is_kept_within_18_hours_before_the_birth_time() {
    let mut r = MessageRecord::listed(MessageId(1), Parts::default());
    let born = 1_800_000_000;
    r.set_queued(born);
    let kept = |r: &mut MessageRecord, t: i64| {
        r.set_qmail_queue_time(Some(t));
        r.qmail_queue_time()
    };
    assert_eq!(kept(&mut r, born - 15), Some(born - 15), "qmail-send's lag");
    assert_eq!(kept(&mut r, born - 65_534), Some(born - 65_534));
    assert_eq!(kept(&mut r, born - 65_535), None, "18 hours or more");
    assert_eq!(kept(&mut r, born + 30), Some(born), "skew: the birth time");
    assert_eq!(
        kept(&mut r, born + 61),
        None,
        "after its birth: not its date"
    );
    r.set_qmail_queue_time(None);
    assert_eq!(r.qmail_queue_time(), None);
    r.set_queued(0);
    assert_eq!(kept(&mut r, born), None, "no birth time to count from");
}

#[test]
fn problems_keep_their_order_and_a_healthy_record_allocates_none() {
    let healthy = MessageRecord::listed(MessageId(1), Parts::default());
    assert!(healthy.problems.is_empty() && healthy.problems.0.is_none());
    assert!(Problems::from(Vec::new()).0.is_none());
    let two = [
        Problem {
            kind: ProblemKind::Vanished,
            part: Subdir::Info,
        },
        Problem {
            kind: ProblemKind::Symlink,
            part: Subdir::Mess,
        },
    ];
    let p: Problems = two.into_iter().collect();
    assert_eq!(&p[..], &two[..]);
    assert_eq!(p.clone().into_vec(), two.to_vec());
}

#[test]
fn a_uid_round_trips_root_and_none() {
    let mut o = Origin::default();
    assert_eq!(o.uid(), None);
    for uid in [Some(0), Some(48), Some(u32::MAX), None] {
        o.set_uid(uid);
        assert_eq!(o.uid(), uid);
    }
    // Root is a uid, not its absence: two origins differ by it.
    let mut root = Origin::default();
    root.set_uid(Some(0));
    assert_ne!(root, Origin::default());
}

#[test]
fn birth_times_fit_4_bytes_and_hostile_ones_are_clipped() {
    let mut r = MessageRecord::listed(MessageId(1), Parts::default());
    assert_eq!((r.queued(), r.birth()), (0, None));
    r.set_queued(1_795_428_000);
    assert_eq!(
        (r.queued(), r.birth()),
        (1_795_428_000, Some(1_795_428_000))
    );
    // Before the epoch: unknown, as 0 always was.
    r.set_queued(-86_400);
    assert_eq!((r.queued(), r.birth()), (0, None));
    // After 2106: the largest time that fits.
    r.set_queued(i64::MAX);
    assert_eq!(r.birth(), Some(i64::from(u32::MAX)));
    r.set_queued(i64::from(u32::MAX) + 1);
    assert_eq!(r.queued(), i64::from(u32::MAX));
}

#[test]
fn sizes_of_4_gib_and_more_saturate() {
    assert_eq!(MessageRecord::size_of(18), 18);
    assert_eq!(
        MessageRecord::size_of(u64::from(u32::MAX) - 1),
        u32::MAX - 1
    );
    assert_eq!(MessageRecord::size_of(5 << 30), u32::MAX);
}
