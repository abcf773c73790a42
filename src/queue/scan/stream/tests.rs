//! Tests of the streamed qmail-qread walk: order, misplaced files, and the plain-message path
//! against the scan's reader.

use super::*;
use crate::fixture::{FixtureState, MessageSpec, QueueBuilder};
use crate::queue::{ProblemKind, QueueOptions};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Each message as "id has-mess problems" (plain messages have a mess file and no problem).
struct Summary;

impl QreadFormat for Summary {
    fn plain(&self, m: &QreadMessage<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{} true []\n", m.id).as_bytes());
    }
    fn record(&self, r: &MessageRecord, _: &RecipientList, _: &Interner, out: &mut Vec<u8>) {
        let kinds: Vec<ProblemKind> = r.problems.iter().map(|p| p.kind).collect();
        let line = format!("{} {} {kinds:?}\n", r.id, r.parts.has(Subdir::Mess));
        out.extend_from_slice(line.as_bytes());
    }
}

fn ids_and_problems(queue: &Queue) -> Vec<(u64, bool, String)> {
    let mut text = Vec::new();
    let mut report = ScanReport::default();
    stream_info_messages(queue, &mut report, &Summary, &mut |t| {
        text.extend_from_slice(t);
        Ok(())
    })
    .expect("stream");
    String::from_utf8(text)
        .expect("utf-8")
        .lines()
        .map(|l| {
            let mut w = l.splitn(3, ' ');
            let id = w.next().and_then(|v| v.parse().ok()).expect("id");
            let mess = w.next() == Some("true");
            (id, mess, w.next().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn lists_info_messages_in_split_then_id_order_and_misplaced_files_as_qmail_qread_sees_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fq = QueueBuilder::new(dir.path().join("q"))
        .split(3)
        .create()
        .expect("queue");
    let add = |state| {
        fq.add(&MessageSpec::new().remote("v@x.example").state(state))
            .expect("add")
    };
    let plain: Vec<MessageId> = (0..6).map(|_| add(FixtureState::InDelivery)).collect();
    let todo_only = add(FixtureState::Queued);
    let mess_elsewhere = add(FixtureState::InDelivery);
    fq.misplace(Subdir::Mess, mess_elsewhere).expect("misplace");
    let info_elsewhere = add(FixtureState::InDelivery);
    fq.misplace(Subdir::Info, info_elsewhere).expect("misplace");
    let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
    let got = ids_and_problems(&queue);

    let mut want: Vec<(u32, u64)> = plain
        .iter()
        .chain([&mess_elsewhere])
        .map(|id| (queue.layout().bucket(*id), id.0))
        .collect();
    // Listed in the directory it sits in, read where its id says.
    want.push((
        (queue.layout().bucket(info_elsewhere) + 1) % 3,
        info_elsewhere.0,
    ));
    want.sort();
    let got_ids: Vec<u64> = got.iter().map(|g| g.0).collect();
    assert_eq!(got_ids, want.iter().map(|w| w.1).collect::<Vec<_>>());
    assert!(
        !got_ids.contains(&todo_only.0),
        "qmail-qread walks info/ only"
    );
    let of = |id: MessageId| got.iter().find(|g| g.0 == id.0).expect("listed");
    assert!(
        !of(mess_elsewhere).1,
        "its mess file is not where its id says"
    );
    assert!(of(info_elsewhere).2.contains("Vanished"));
    assert!(plain.iter().all(|id| of(*id).1 && of(*id).2 == "[]"));
}

/// `read`'s own text, counting the messages that took the plain path.
struct Counted(AtomicUsize);

impl QreadFormat for Counted {
    fn plain(&self, m: &QreadMessage<'_>, out: &mut Vec<u8>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        crate::cli::read::QreadText.plain(m, out);
    }
    fn record(
        &self,
        r: &MessageRecord,
        rcpts: &RecipientList,
        strings: &Interner,
        out: &mut Vec<u8>,
    ) {
        crate::cli::read::QreadText.record(r, rcpts, strings, out);
    }
}

fn text(queue: &Queue, fast: bool) -> (String, usize) {
    let format = Counted(AtomicUsize::new(0));
    let mut out = Vec::new();
    let mut report = ScanReport::default();
    stream_with(
        queue,
        &mut report,
        &format,
        &mut |t| {
            out.extend_from_slice(t);
            Ok(())
        },
        fast,
    )
    .expect("stream");
    let text = String::from_utf8_lossy(&out).into_owned();
    (text, format.0.into_inner())
}

#[test]
fn plain_messages_read_without_a_record_print_exactly_what_the_scan_s_reader_gives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (fq, _) = crate::fixture::hostile::build(dir.path()).expect("hostile queue");
    for spec in [
        MessageSpec::new()
            .sender("")
            .remote("a@x.example")
            .bouncing("Hi. This is the qmail-send program"),
        MessageSpec::new()
            .remote("t@x.example")
            .truncate_envelope(Subdir::Remote)
            .envelope_bytes(Subdir::Info, "Xodd\0"),
        MessageSpec::new()
            .sender("s@y.example")
            .local_done("d@example.com")
            .local("l@example.com")
            .remote_done("r1@x.example")
            .remote("r2@x.example"),
        MessageSpec::new()
            .sender("s\x1b[2J@y.example")
            .remote("r\x07@x.example"),
        MessageSpec::new()
            .remote("x@x.example")
            .state(FixtureState::Done),
        MessageSpec::new()
            .remote("x@x.example")
            .state(FixtureState::InfoWithoutMess),
    ] {
        fq.add(&spec).expect("add");
    }
    let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
    let (fast, plain) = text(&queue, true);
    let (slow, none) = text(&queue, false);
    assert_eq!(none, 0);
    assert!(plain > 50, "most messages are plain: {plain}");
    for needed in [
        "  done\tlocal\t",
        "  done\tremote\t",
        "<>  bouncing",
        "trouble with #",
    ] {
        assert!(fast.contains(needed), "{needed:?} in the listing");
    }
    assert_eq!(fast, slow);
}

/// Lookups in ascending order from a cursor find what a search of the whole listing finds:
/// ids present and absent, runs far apart (past the steps before a search), ids below and
/// above every entry.
#[test]
fn seeking_in_ascending_order_finds_what_get_finds() {
    use crate::queue::listing::{Entry, EntryKind};
    let kinds = [EntryKind::File, EntryKind::Symlink, EntryKind::Other];
    let listed: Vec<Entry> = (0..2_000u64)
        .filter(|i| i % 3 != 0 && !(500..900).contains(i))
        .map(|i| Entry {
            id: MessageId(i * 2 + 10),
            kind: kinds[(i % 7 % 3) as usize],
        })
        .collect();
    let sorted = Sorted::of(listed, true);
    for (from, step) in [
        (0u64, 1u64),
        (0, 2),
        (11, 2),
        (0, 7),
        (990, 1),
        (0, 97),
        (4_000, 3),
    ] {
        for batch in [1usize, 5, 32, 10_000] {
            let ids: Vec<MessageId> = (0..)
                .map(|k| MessageId(from + k * step))
                .take_while(|id| id.0 < 4_100)
                .collect();
            for chunk in ids.chunks(batch) {
                let mut cursor = None;
                for &id in chunk {
                    assert_eq!(sorted.seek(&mut cursor, id), sorted.get(id), "{id}");
                }
            }
        }
    }
    assert_eq!(Sorted::default().seek(&mut None, MessageId(3)), None);
}
