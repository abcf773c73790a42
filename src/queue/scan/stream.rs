//! qmail-qread's walk, streamed: info/ split directory by split directory, read in parallel, in
//! bounded memory.
//!
//! qmail-qread lists `info/0..split-1` and, for each id, looks at the files named by that id:
//! `mess/` (its size), `info/` (sender, birth time), `local/` and `remote/` (recipients) and
//! `bounce/`. It never looks at `todo/` or `intd/`. This does the same from directory listings
//! (so a file is never opened to learn it is absent), one split directory at a time, reading
//! [`CHUNK`] messages at a time in parallel and handing them over in (split directory, id)
//! order with an interner of their own. Nothing is kept between chunks: at a million messages
//! memory is what one chunk and one split directory's listing take, not the queue.

use std::io;

use rayon::prelude::*;

use super::super::headers::FIRST_READ;
use super::super::layout::Subdir;
use super::super::listing::{list, Entry, EntryKind};
use super::super::recipients::RecipientList;
use super::super::{Interner, MessageId, MessageRecord, Queue};
use super::{
    read_message_keeping, read_one, BucketDirs, Files, Found, ReadCtx, ScanOptions, ScanReport,
};

/// Messages read in parallel before they are handed over: enough to keep the read pool busy,
/// few enough that a chunk's records and strings stay small.
pub const CHUNK: usize = 4096;

/// One split directory's listing of a subdirectory, sorted by id for lookups; `typed` when the
/// filesystem gave every entry's type.
#[derive(Default)]
struct Sorted(Vec<Entry>, bool);

impl Sorted {
    fn of(entries: Vec<Entry>, typed: bool) -> Sorted {
        let mut v = entries;
        v.sort_unstable_by_key(|e| e.id);
        Sorted(v, typed)
    }

    fn get(&self, id: MessageId) -> Option<EntryKind> {
        let i = self.0.partition_point(|e| e.id < id);
        self.0.get(i).filter(|e| e.id == id).map(|e| e.kind)
    }
}

/// Walk the messages qmail-qread lists, calling `each` with every record (as `read` reads them:
/// envelopes, the mess file's size, no headers) and its whole recipient list, in (split
/// directory, id) order. Directories
/// that cannot be listed are added to `report`; an error from `each` stops the walk.
pub fn stream_info_messages(
    queue: &Queue,
    report: &mut ScanReport,
    each: &mut dyn FnMut(&MessageRecord, &RecipientList, &Interner) -> io::Result<()>,
) -> io::Result<()> {
    let layout = queue.layout();
    let unsplit_bounce = if layout.is_split(Subdir::Bounce) {
        Sorted(Vec::new(), true)
    } else {
        listed(queue, Subdir::Bounce, None, report)
    };
    let pool = super::parallel::read_pool();
    for n in 0..layout.split {
        let info = listed(queue, Subdir::Info, Some(n), report);
        if info.0.is_empty() {
            continue;
        }
        let mess = listed(queue, Subdir::Mess, Some(n), report);
        let local = listed(queue, Subdir::Local, Some(n), report);
        let remote = listed(queue, Subdir::Remote, Some(n), report);
        let split_bounce;
        let bounce = if layout.is_split(Subdir::Bounce) {
            split_bounce = listed(queue, Subdir::Bounce, Some(n), report);
            &split_bounce
        } else {
            &unsplit_bounce
        };
        let dirs = BucketDirs::open(queue, n);
        let group_of = |info: &Entry| -> Vec<Found> {
            let mut group = Vec::with_capacity(5);
            for (subdir, from) in [
                (Subdir::Mess, &mess),
                (Subdir::Local, &local),
                (Subdir::Remote, &remote),
                (Subdir::Bounce, bounce),
            ] {
                if let Some(kind) = from.get(info.id) {
                    let dir = if layout.is_split(subdir) { n } else { u32::MAX };
                    group.push(Found {
                        id: info.id,
                        subdir,
                        kind,
                        dir,
                    });
                }
            }
            group.push(Found {
                id: info.id,
                subdir: Subdir::Info,
                kind: info.kind,
                dir: n,
            });
            group
        };
        for chunk in info.0.chunks(CHUNK) {
            let strings = Interner::new();
            let ctx = ReadCtx {
                files: Files::Queue { queue, dirs: &dirs },
                strings: &strings,
                opts: ScanOptions {
                    headers: false,
                    envelopes: true,
                },
                first_pass: None,
                types_known: [&info, &mess, &local, &remote, bounce].iter().all(|l| l.1),
                bucket: n,
            };
            let read = |buf: &mut Vec<u8>, e: &Entry| -> Option<(MessageRecord, RecipientList)> {
                if layout.bucket(e.id) != n {
                    // qmail-qread builds every path from the id, whatever directory it was
                    // listed in: read the message where its id says it is.
                    let r = read_one(queue, &strings, e.id).ok().map(info_missing)?;
                    let list = super::super::recipients_of(queue, &r);
                    return Some((r, list));
                }
                let mut list = RecipientList::default();
                let r = read_message_keeping(&ctx, &group_of(e), buf, Some(&mut list))?;
                Some((r, list))
            };
            let read_all = || -> Vec<Option<(MessageRecord, RecipientList)>> {
                chunk
                    .par_iter()
                    .with_min_len(64)
                    .map_init(|| Vec::with_capacity(FIRST_READ), read)
                    .collect()
            };
            let records = match &pool {
                Some(p) => p.install(read_all),
                None => read_all(),
            };
            for (r, list) in records.iter().flatten() {
                each(r, list, &strings)?;
            }
            report.vanished += records.iter().filter(|r| r.is_none()).count() as u64;
        }
    }
    Ok(())
}

/// A message listed in another split directory's info/: where its id says, its info file is
/// missing, as qmail-qread's open of it finds (`trouble with #ID: file does not exist`).
fn info_missing(mut r: MessageRecord) -> MessageRecord {
    use super::super::{Problem, ProblemKind};
    if !r.parts.has(Subdir::Info) {
        r.parts.insert(Subdir::Info);
        let mut problems = r.problems.into_vec();
        problems.push(Problem {
            kind: ProblemKind::Vanished,
            part: Subdir::Info,
        });
        problems.sort_unstable();
        r.problems = problems.into_boxed_slice();
    }
    r
}

/// The listing of `subdir` (split directory `n`, or the unsplit directory), sorted by id;
/// a directory that cannot be listed is empty and reported.
fn listed(queue: &Queue, subdir: Subdir, n: Option<u32>, report: &mut ScanReport) -> Sorted {
    let mut path = queue.root().join(subdir.name());
    if let Some(n) = n {
        path.push(n.to_string());
    }
    match list(&path) {
        Ok(l) => {
            report.junk_names += l.junk;
            Sorted::of(l.entries, l.untyped == 0)
        }
        Err(e) => {
            report.unreadable_dirs.push((path, e.to_string()));
            Sorted(Vec::new(), true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::{FixtureState, MessageSpec, QueueBuilder};
    use crate::queue::{ProblemKind, QueueOptions};

    fn ids_and_problems(queue: &Queue) -> Vec<(u64, bool, Vec<ProblemKind>)> {
        let mut out = Vec::new();
        let mut report = ScanReport::default();
        stream_info_messages(queue, &mut report, &mut |r, _, _| {
            let kinds = r.problems.iter().map(|p| p.kind).collect();
            out.push((r.id.0, r.parts.has(Subdir::Mess), kinds));
            Ok(())
        })
        .expect("stream");
        out
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
        assert!(of(info_elsewhere).2.contains(&ProblemKind::Vanished));
        assert!(plain.iter().all(|id| of(*id).1 && of(*id).2.is_empty()));
    }
}
