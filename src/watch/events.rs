//! File events: turn notify's path events into (part, message id, appeared or gone), and hand
//! them to the watcher through a bounded intake that records, rather than blocks on, overflow.
//!
//! notify's inotify backend reports every open, close, write and attribute change too, including
//! the ones our own reads cause; only creations, removals and renames say that a message's file
//! came or went, so everything else is dropped here, on notify's thread, before it costs more.

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};

use crate::queue::layout::parse_id;
use crate::queue::{Layout, MessageId, Subdir};

/// Which file of a message an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// One of the queue's own files.
    Queue(Subdir),
    /// The message's `<id>.mess` in the yank area: moved in, it was yanked; moved out, it was
    /// restored.
    YankedMess,
    /// The message's `<id>.mess` deleted from the yank area (a purge): not a restore.
    PurgedMess,
}

/// One file of one message appeared or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileEvent {
    /// The message.
    pub id: MessageId,
    /// Its file.
    pub part: Part,
    /// True: created or moved in; false: removed or moved out.
    pub appeared: bool,
}

/// What the intake carries to the watcher thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// A message file event.
    File(FileEvent),
    /// The yank area directory was created: watch it too.
    YankAreaCreated,
    /// An envelope file (intd, todo, info) was closed after writing: its content is complete.
    Written(MessageId),
    /// The watch limit was reached while notify added a watch.
    WatchLimit,
}

/// Maps paths below the queue (and the yank area) to message files.
#[derive(Debug, Clone)]
pub struct Classifier {
    root: PathBuf,
    yank_area: PathBuf,
    layout: Layout,
}

/// Did the event make a path appear (`Some(true)`) or disappear (`Some(false)`)?
pub fn direction(kind: &EventKind) -> Option<bool> {
    match kind {
        EventKind::Create(_) | EventKind::Modify(ModifyKind::Name(RenameMode::To)) => Some(true),
        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(RenameMode::From)) => Some(false),
        _ => None,
    }
}

fn name_bytes(c: Component<'_>) -> Option<&[u8]> {
    match c {
        Component::Normal(s) => Some(s.as_encoded_bytes()),
        _ => None,
    }
}

impl Classifier {
    /// A classifier for the queue at `root` with `layout`, and its yank area.
    pub fn new(root: &Path, yank_area: &Path, layout: Layout) -> Classifier {
        Classifier {
            root: root.to_path_buf(),
            yank_area: yank_area.to_path_buf(),
            layout,
        }
    }

    /// The yank area.
    pub fn yank_area(&self) -> &Path {
        &self.yank_area
    }

    /// The message file `path` names, if it is one. Names that are not ids are ignored, as
    /// qmail ignores them; a file in the wrong split directory still belongs to its id.
    pub fn classify(&self, path: &Path) -> Option<(Part, MessageId)> {
        if let Ok(rest) = path.strip_prefix(&self.yank_area) {
            let mut it = rest.components();
            let name = name_bytes(it.next()?)?;
            if it.next().is_some() {
                return None;
            }
            // qmail-remove's names: `<id>.mess`, `<id>.info`, ...; only the mess file counts,
            // and only under a name `yanked`, restore and purge take for a message.
            return match crate::queue::scan::parse_yank_name(name)? {
                (id, Subdir::Mess) => Some((Part::YankedMess, id)),
                _ => None,
            };
        }
        let rest = path.strip_prefix(&self.root).ok()?;
        let mut it = rest.components();
        let subdir = std::str::from_utf8(name_bytes(it.next()?)?)
            .ok()
            .and_then(Subdir::from_name)?;
        let mut name = name_bytes(it.next()?)?;
        if self.layout.is_split(subdir) {
            name = name_bytes(it.next()?)?;
        }
        if it.next().is_some() {
            return None;
        }
        Some((Part::Queue(subdir), parse_id(name)?))
    }

    /// Is `path` the yank area itself?
    pub fn is_yank_area(&self, path: &Path) -> bool {
        path == self.yank_area
    }
}

/// The sending side of the intake, used as notify's event handler.
pub struct IntakeSender {
    classifier: Classifier,
    tx: SyncSender<Intake>,
    lost: Arc<AtomicBool>,
}

impl IntakeSender {
    /// An intake of `capacity` events; `lost` is set whenever one had to be dropped.
    pub fn new(
        classifier: Classifier,
        capacity: usize,
        lost: Arc<AtomicBool>,
    ) -> (IntakeSender, Receiver<Intake>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity);
        (
            IntakeSender {
                classifier,
                tx,
                lost,
            },
            rx,
        )
    }

    /// Offer one item; a full intake drops it and marks events as lost (never blocks notify).
    pub fn offer(&self, item: Intake) {
        match self.tx.try_send(item) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => self.lost.store(true, Ordering::Release),
        }
    }

    /// Handle one notify result.
    pub fn handle(&self, res: notify::Result<notify::Event>) {
        let event = match res {
            Ok(e) => e,
            Err(e) => {
                if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                    self.offer(Intake::WatchLimit);
                }
                // Any other backend error may mean missed events: resynchronise.
                self.lost.store(true, Ordering::Release);
                return;
            }
        };
        if event.need_rescan() {
            // inotify's queue overflowed (IN_Q_OVERFLOW): events were lost in the kernel.
            self.lost.store(true, Ordering::Release);
            return;
        }
        if matches!(
            event.kind,
            EventKind::Access(AccessKind::Close(AccessMode::Write))
        ) {
            // The CREATE of an envelope file comes before its bytes; this says they are there.
            for path in &event.paths {
                if let Some((Part::Queue(Subdir::Intd | Subdir::Todo | Subdir::Info), id)) =
                    self.classifier.classify(path)
                {
                    self.offer(Intake::Written(id));
                }
            }
            return;
        }
        let Some(appeared) = direction(&event.kind) else {
            return;
        };
        for path in &event.paths {
            if appeared && self.classifier.is_yank_area(path) {
                self.offer(Intake::YankAreaCreated);
            } else if let Some((part, id)) = self.classifier.classify(path) {
                // A yanked mess file deleted (a purge) is not a restore: its freed inode may
                // name new mail at once, which must count as arrived.
                let part = match part {
                    Part::YankedMess if matches!(event.kind, EventKind::Remove(_)) => {
                        Part::PurgedMess
                    }
                    part => part,
                };
                self.offer(Intake::File(FileEvent { id, part, appeared }));
            }
        }
    }
}

impl notify::EventHandler for IntakeSender {
    fn handle_event(&mut self, event: notify::Result<notify::Event>) {
        self.handle(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, Flag, RemoveKind};

    fn classifier(big_todo: bool) -> Classifier {
        Classifier::new(
            Path::new("/q"),
            Path::new("/q/yanked"),
            Layout {
                split: 23,
                big_todo,
            },
        )
    }

    #[test]
    fn queue_paths_map_to_parts() {
        let c = classifier(false);
        let id = MessageId(10016337);
        assert_eq!(
            c.classify(Path::new("/q/mess/21/10016337")),
            Some((Part::Queue(Subdir::Mess), id))
        );
        assert_eq!(
            c.classify(Path::new("/q/todo/10016337")),
            Some((Part::Queue(Subdir::Todo), id))
        );
        assert_eq!(
            c.classify(Path::new("/q/intd/10016337")),
            Some((Part::Queue(Subdir::Intd), id))
        );
        assert_eq!(
            c.classify(Path::new("/q/yanked/10016337.mess")),
            Some((Part::YankedMess, id))
        );
        let big = classifier(true);
        assert_eq!(
            big.classify(Path::new("/q/todo/21/10016337")),
            Some((Part::Queue(Subdir::Todo), id))
        );
        assert_eq!(big.classify(Path::new("/q/todo/10016337")), None);
    }

    #[test]
    fn junk_paths_are_ignored() {
        let c = classifier(false);
        for p in [
            "/q/mess/21",
            "/q/mess/21/.tmp",
            "/q/mess/21/12/34",
            "/q/pid/123.456.0",
            "/q/lock/trigger",
            "/elsewhere/mess/1/1",
            "/q/yanked/123.info",
            "/q/yanked/abc.mess",
            "/q/yanked/0042.mess",
            "/q/yanked/123.mess.bak",
            "/q/yanked/sub/123.mess",
            "/q/todo/1x",
        ] {
            assert_eq!(c.classify(Path::new(p)), None, "{p}");
        }
    }

    #[test]
    fn only_creations_removals_and_renames_count() {
        assert_eq!(direction(&EventKind::Create(CreateKind::File)), Some(true));
        assert_eq!(
            direction(&EventKind::Modify(ModifyKind::Name(RenameMode::To))),
            Some(true)
        );
        assert_eq!(direction(&EventKind::Remove(RemoveKind::File)), Some(false));
        assert_eq!(
            direction(&EventKind::Modify(ModifyKind::Name(RenameMode::From))),
            Some(false)
        );
        assert_eq!(
            direction(&EventKind::Modify(ModifyKind::Name(RenameMode::Both))),
            None
        );
        assert_eq!(direction(&EventKind::Access(AccessKind::Any)), None);
    }

    #[test]
    fn a_full_intake_drops_and_marks_lost() {
        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = IntakeSender::new(classifier(false), 4, Arc::clone(&lost));
        for i in 0..10u64 {
            let path = PathBuf::from(format!("/q/mess/{}/{i}", i % 23));
            tx.handle(Ok(
                notify::Event::new(EventKind::Create(CreateKind::File)).add_path(path)
            ));
        }
        assert!(lost.load(Ordering::Acquire));
        assert_eq!(rx.try_iter().count(), 4);
    }

    #[test]
    fn an_overflow_notice_marks_lost() {
        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = IntakeSender::new(classifier(false), 4, Arc::clone(&lost));
        tx.handle(Ok(
            notify::Event::new(EventKind::Other).set_flag(Flag::Rescan)
        ));
        assert!(lost.load(Ordering::Acquire));
        assert_eq!(rx.try_iter().count(), 0);
        tx.handle(Ok(notify::Event::new(EventKind::Create(
            CreateKind::Folder,
        ))
        .add_path("/q/yanked".into())));
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            vec![Intake::YankAreaCreated]
        );
    }

    /// A yanked mess file renamed out of the yank area is a restore; deleted, a purge.
    #[test]
    fn a_rename_out_of_the_yank_area_is_a_restore_a_deletion_a_purge() {
        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = IntakeSender::new(classifier(false), 8, lost);
        let out = EventKind::Modify(ModifyKind::Name(RenameMode::From));
        let purged = EventKind::Remove(RemoveKind::File);
        tx.handle(Ok(
            notify::Event::new(out).add_path("/q/yanked/7.mess".into())
        ));
        tx.handle(Ok(
            notify::Event::new(purged).add_path("/q/yanked/8.mess".into())
        ));
        let gone = |id, part| {
            Intake::File(FileEvent {
                id: MessageId(id),
                part,
                appeared: false,
            })
        };
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            vec![gone(7, Part::YankedMess), gone(8, Part::PurgedMess)]
        );
    }

    #[test]
    fn a_finished_envelope_write_is_reported() {
        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = IntakeSender::new(classifier(false), 8, lost);
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        for p in ["/q/intd/5", "/q/mess/5/5", "/q/local/5/5"] {
            tx.handle(Ok(notify::Event::new(closed).add_path(p.into())));
        }
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            vec![Intake::Written(MessageId(5))]
        );
    }
}
