//! Unit tests of `crate::watch::tracker`.
use super::*;

const SPLIT: Layout = Layout {
    split: 23,
    big_todo: false,
};

fn ev(id: u64, s: Subdir, appeared: bool) -> FileEvent {
    FileEvent {
        id: MessageId(id),
        part: Part::Queue(s),
        appeared,
    }
}

fn parts(list: &[Subdir]) -> Parts {
    let mut p = Parts::default();
    list.iter().for_each(|s| p.insert(*s));
    p
}

fn finish(t: &mut Tracker) -> Vec<Plan> {
    t.finish(&mut |_| false)
}

#[test]
fn qmail_queue_order_arrives_once_and_rereads_when_the_envelope_comes() {
    let mut t = Tracker::new(SPLIT);
    t.note(ev(7, Subdir::Mess, true));
    let p = finish(&mut t);
    assert_eq!(
        p,
        vec![Plan {
            id: MessageId(7),
            parts: parts(&[Subdir::Mess]),
            flow: Flow::Arrived,
            read: true,
            passes: 0,
        }]
    );
    // intd then todo in the next tick: no second arrival, one re-read.
    t.note(ev(7, Subdir::Intd, true));
    t.note(ev(7, Subdir::Todo, true));
    let p = finish(&mut t);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].flow, p[0].read), (Flow::Stayed, true));
    t.mark_read(MessageId(7), true);
    // qmail-send preprocesses: info and remote appear, todo and intd go: no read, no flow.
    for (s, a) in [
        (Subdir::Info, true),
        (Subdir::Remote, true),
        (Subdir::Todo, false),
        (Subdir::Intd, false),
    ] {
        t.note(ev(7, s, a));
    }
    let p = finish(&mut t);
    assert_eq!(
        (p[0].flow, p[0].read, p[0].parts),
        (
            Flow::Stayed,
            false,
            parts(&[Subdir::Mess, Subdir::Info, Subdir::Remote])
        )
    );
    assert_eq!(t.messages(), 1);
    // Done: remote, info, then mess go; the id is forgotten.
    for s in [Subdir::Remote, Subdir::Info, Subdir::Mess] {
        t.note(ev(7, s, false));
    }
    let p = finish(&mut t);
    assert_eq!(p[0].flow, Flow::Left { yanked: false });
    assert_eq!(t.get(MessageId(7)), None);
    assert_eq!(t.messages(), 0);
}

#[test]
fn a_burst_in_one_tick_is_one_plan_per_id() {
    let mut t = Tracker::new(SPLIT);
    for id in 0..1000 {
        for s in [Subdir::Mess, Subdir::Intd, Subdir::Todo] {
            t.note(ev(id, s, true));
        }
    }
    assert_eq!(t.pending_len(), 1000);
    let p = finish(&mut t);
    assert_eq!(p.len(), 1000);
    assert!(p.iter().all(|p| p.flow == Flow::Arrived && p.read));
    assert_eq!(t.messages(), 1000);
    assert_eq!(t.get(MessageId(5)).map(|t| t.enveloped), Some(false));
    t.mark_read(MessageId(5), true);
    assert_eq!(t.get(MessageId(5)).map(|t| t.enveloped), Some(true));
}

#[test]
fn a_read_that_missed_the_envelope_bytes_is_repeated_when_they_are_written() {
    let mut t = Tracker::new(SPLIT);
    t.note(ev(8, Subdir::Mess, true));
    t.note(ev(8, Subdir::Intd, true));
    assert!(finish(&mut t)[0].read);
    // The intd file existed but was still empty when read.
    t.mark_read(MessageId(8), false);
    t.touch(MessageId(8));
    let p = finish(&mut t);
    assert_eq!((p[0].flow, p[0].read), (Flow::Stayed, true));
    t.mark_read(MessageId(8), true);
    t.touch(MessageId(8));
    assert!(finish(&mut t).is_empty());
}

#[test]
fn repeated_and_stale_events_change_nothing() {
    let mut t = Tracker::new(SPLIT);
    t.seed(
        MessageId(3),
        parts(&[Subdir::Mess, Subdir::Info, Subdir::Local]),
    );
    t.note(ev(3, Subdir::Mess, true));
    t.note(ev(99, Subdir::Todo, false));
    assert!(finish(&mut t).is_empty());
    assert_eq!(t.messages(), 1);
}

#[test]
fn reused_ids_and_fast_messages_count_both_ways() {
    let mut t = Tracker::new(SPLIT);
    t.seed(MessageId(4), parts(&[Subdir::Mess, Subdir::Info]));
    t.note(ev(4, Subdir::Mess, false));
    t.note(ev(4, Subdir::Info, false));
    t.note(ev(4, Subdir::Mess, true));
    t.note(ev(5, Subdir::Mess, true));
    t.note(ev(5, Subdir::Todo, true));
    t.note(ev(5, Subdir::Todo, false));
    t.note(ev(5, Subdir::Mess, false));
    // Written but never finished (an SMTP session dropped mid-DATA): no mail moved.
    t.note(ev(6, Subdir::Mess, true));
    t.note(ev(6, Subdir::Mess, false));
    let p = finish(&mut t);
    assert_eq!(p.len(), 2, "{p:?}");
    assert_eq!(p[0].flow, Flow::Replaced { yanked: false });
    assert!(p[0].read);
    assert_eq!(p[1].flow, Flow::Passed { yanked: false });
    assert!(!p[1].read);
    assert_eq!(p.iter().map(|p| p.passes).sum::<u32>(), 0);
    assert_eq!(t.messages(), 1);
}

/// A local delivery frees its inode before the next message is written: one id comes and goes
/// several times in a tick, and each message qmail-queue finished (its todo appeared) is one
/// in and one out (watch51: 50 messages through 4 ids counted 8 in, 8 out).
#[test]
fn an_id_reused_within_a_tick_counts_every_message_written() {
    let mut t = Tracker::new(SPLIT);
    let pass = |t: &mut Tracker, id: u64, written: bool| {
        t.note(ev(id, Subdir::Mess, true));
        if written {
            t.note(ev(id, Subdir::Todo, true));
            t.note(ev(id, Subdir::Todo, false));
        }
        t.note(ev(id, Subdir::Mess, false));
    };
    for written in [true, true, false, true] {
        pass(&mut t, 9, written);
    }
    // And one still there at the end of the tick, its todo linked.
    t.note(ev(10, Subdir::Mess, true));
    t.note(ev(10, Subdir::Mess, false));
    t.note(ev(10, Subdir::Mess, true));
    t.note(ev(10, Subdir::Todo, true));
    let p = finish(&mut t);
    let at = |id: u64| p.iter().find(|p| p.id == MessageId(id)).expect("planned");
    assert_eq!(
        (at(9).flow, at(9).passes),
        (Flow::Passed { yanked: false }, 2)
    );
    // The first of 10's was never finished: the one there now is its only message.
    assert_eq!((at(10).flow, at(10).passes), (Flow::Arrived, 0));
    // One that left, then two written whole at its id.
    t.note(ev(10, Subdir::Mess, false));
    pass(&mut t, 10, true);
    pass(&mut t, 10, true);
    let p = finish(&mut t);
    assert_eq!((p[0].flow, p[0].passes), (Flow::Left { yanked: false }, 2));
}

#[test]
fn yanks_are_seen_by_event_or_by_asking() {
    let mut t = Tracker::new(SPLIT);
    t.seed(MessageId(1), parts(&[Subdir::Mess]));
    t.seed(MessageId(2), parts(&[Subdir::Mess]));
    t.seed(MessageId(3), parts(&[Subdir::Mess]));
    t.note(ev(1, Subdir::Mess, false));
    t.note(FileEvent {
        id: MessageId(1),
        part: Part::YankedMess,
        appeared: true,
    });
    t.note(ev(2, Subdir::Mess, false));
    t.note(ev(3, Subdir::Mess, false));
    let p = t.finish(&mut |id| id == MessageId(2));
    let flows: Vec<_> = p.iter().map(|p| p.flow).collect();
    assert_eq!(
        flows,
        vec![
            Flow::Left { yanked: true },
            Flow::Left { yanked: true },
            Flow::Left { yanked: false }
        ]
    );
}

#[test]
fn ids_with_a_part_per_directory() {
    let mut t = Tracker::new(SPLIT);
    t.seed(MessageId(1), parts(&[Subdir::Mess, Subdir::Todo]));
    t.seed(MessageId(24), parts(&[Subdir::Mess]));
    t.seed(MessageId(2), parts(&[Subdir::Mess, Subdir::Todo]));
    let in_1: Vec<_> = t
        .ids_with(Subdir::Mess, Some(1))
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(in_1, vec![MessageId(1), MessageId(24)]);
    assert_eq!(t.ids_with(Subdir::Todo, None).len(), 2);
}

#[test]
fn a_seeded_scan_is_known_by_id_and_its_ids_leave_and_come_back() {
    let mut t = Tracker::new(SPLIT);
    let queued = parts(&[Subdir::Mess, Subdir::Todo]);
    let only_mess = parts(&[Subdir::Mess]);
    // Out of order, one id twice (the last listing counts), one without a mess file.
    let found = (0..100u64).rev().map(|n| (MessageId(n), queued)).chain([
        (MessageId(5), only_mess),
        (MessageId(200), parts(&[Subdir::Info])),
    ]);
    t.seed_all(found);
    assert_eq!(t.messages(), 100);
    assert_eq!(t.get(MessageId(5)).map(|t| t.parts), Some(only_mess));
    assert_eq!(t.get(MessageId(6)).map(|t| t.enveloped), Some(true));
    assert_eq!(t.get(MessageId(5)).map(|t| t.enveloped), Some(false));
    assert_eq!(t.get(MessageId(100)), None);
    let with_todo = t.ids_with(Subdir::Todo, None);
    assert_eq!(
        (with_todo.len(), with_todo.contains(&MessageId(5))),
        (99, false)
    );
    // One leaves, then comes back under its id; one new arrives beside the seeded.
    for s in [Subdir::Mess, Subdir::Todo] {
        t.note(ev(6, s, false));
    }
    assert_eq!(finish(&mut t)[0].flow, Flow::Left { yanked: false });
    assert_eq!((t.get(MessageId(6)), t.messages()), (None, 99));
    t.note(ev(6, Subdir::Mess, true));
    t.note(ev(1000, Subdir::Mess, true));
    let p = finish(&mut t);
    assert!(p.iter().all(|p| p.flow == Flow::Arrived && p.read));
    assert_eq!(t.messages(), 101);
    assert_eq!(t.get(MessageId(6)).map(|t| t.parts), Some(only_mess));
    assert_eq!(t.get(MessageId(1000)).map(|t| t.parts), Some(only_mess));
    // Seeding again replaces everything.
    t.seed_all([(MessageId(3), queued)].into_iter());
    assert_eq!((t.messages(), t.get(MessageId(1000))), (1, None));
}

#[test]
fn a_message_back_from_the_yank_area_is_restored_not_arrived() {
    let mut t = Tracker::new(SPLIT);
    // A restore: the yank area's file leaves as the queue's mess file appears.
    t.note(FileEvent {
        id: MessageId(4),
        part: Part::YankedMess,
        appeared: false,
    });
    t.note(ev(4, Subdir::Mess, true));
    t.note(ev(4, Subdir::Info, true));
    // A new message in the same tick, and a yanked message purged (it stays out).
    t.note(ev(5, Subdir::Mess, true));
    t.note(FileEvent {
        id: MessageId(6),
        part: Part::YankedMess,
        appeared: false,
    });
    let mut p = finish(&mut t);
    p.sort_by_key(|p| p.id);
    let flows: Vec<_> = p.iter().map(|p| (p.id.0, p.flow, p.read)).collect();
    assert_eq!(
        flows,
        vec![(4, Flow::Restored, true), (5, Flow::Arrived, true)]
    );
    assert_eq!(t.messages(), 2);
}

#[test]
fn a_yank_undone_within_the_tick_moved_nothing() {
    let mut t = Tracker::new(SPLIT);
    t.seed(MessageId(4), parts(&[Subdir::Mess]));
    let yanked_mess = |appeared| FileEvent {
        id: MessageId(4),
        part: Part::YankedMess,
        appeared,
    };
    // Yanked, then restored.
    t.note(ev(4, Subdir::Mess, false));
    t.note(yanked_mess(true));
    t.note(yanked_mess(false));
    t.note(ev(4, Subdir::Mess, true));
    assert!(finish(&mut t).is_empty());
    assert_eq!(t.messages(), 1);
    // Out in the yank area: restored, then yanked again.
    t.note(ev(4, Subdir::Mess, false));
    t.note(yanked_mess(true));
    assert_eq!(finish(&mut t)[0].flow, Flow::Left { yanked: true });
    t.note(yanked_mess(false));
    t.note(ev(4, Subdir::Mess, true));
    t.note(ev(4, Subdir::Mess, false));
    t.note(yanked_mess(true));
    assert!(finish(&mut t).is_empty());
    assert_eq!(t.messages(), 0);
}

/// Without the restore's own events (lost, or polling), an id known to be in the yank area
/// that arrives and is no longer there was restored; once purged, its id is new mail again.
#[test]
fn the_yank_area_listing_tells_a_restore_whose_events_were_lost() {
    let mut t = Tracker::new(SPLIT);
    let ids = |list: &[u64]| list.iter().map(|&i| MessageId(i)).collect();
    t.list_yank_area(ids(&[4, 5, 6]), &mut |_| false);
    t.note(ev(4, Subdir::Mess, true));
    t.note(ev(9, Subdir::Mess, true));
    let p = t.finish(&mut |_| false);
    let flows: Vec<_> = p.iter().map(|p| (p.id.0, p.flow)).collect();
    assert_eq!(flows, vec![(4, Flow::Restored), (9, Flow::Arrived)]);
    // 5 still sits in the yank area (a new message cannot have its inode): arrived.
    t.note(ev(5, Subdir::Mess, true));
    assert_eq!(
        t.finish(&mut |id| id == MessageId(5))[0].flow,
        Flow::Arrived
    );
    // 6 was purged: a new message may reuse its id.
    t.note(FileEvent {
        id: MessageId(6),
        part: Part::PurgedMess,
        appeared: false,
    });
    t.note(ev(6, Subdir::Mess, true));
    assert_eq!(finish(&mut t)[0].flow, Flow::Arrived);
    // A new listing keeps an id no longer listed while its mess file is in the queue unseen
    // (a restore in flight), and forgets one that is nowhere (purged).
    t.list_yank_area(ids(&[7, 8]), &mut |_| false);
    t.list_yank_area(ids(&[]), &mut |id| id == MessageId(7));
    t.note(ev(7, Subdir::Mess, true));
    t.note(ev(8, Subdir::Mess, true));
    let p = finish(&mut t);
    let flows: Vec<_> = p.iter().map(|p| (p.id.0, p.flow)).collect();
    assert_eq!(flows, vec![(7, Flow::Restored), (8, Flow::Arrived)]);
}
