//! Is a journaled message still the one journaled, as it was, and still anywhere? Asked as it
//! moves: qmail-send may have run since (a killed batch recovered after a reboot, a forced run).

use std::path::PathBuf;

use super::{Direction, JournalMessage, MessStamp, MoveFailure, Mover};
use crate::queue::Subdir;

/// Is a yank's or restore's message that moved nothing gone from both sides, none of its files
/// in the queue or the yank area? qmail-send finished it while a forced run waited, or before a
/// killed batch was recovered: counted apart, not as moved (recheck62: `recover` said it had
/// moved messages that were in neither place).
pub(super) fn gone(mover: &Mover<'_>, direction: Direction, m: &JournalMessage) -> bool {
    let absent = |p: PathBuf| std::fs::symlink_metadata(p).is_err();
    matches!(direction, Direction::Yank | Direction::Restore)
        && !m.files.is_empty()
        && (m.files.iter()).all(|s| absent(mover.queue_path(*s, m.id)))
        && (m.files.iter()).all(|s| absent(mover.yank_path(*s, m.id)))
}

/// Is a yank's message whose mess is still queued (so nothing of it moved: a yank moves the
/// mess first) the one journaled? Its mess must be the very file stamped under the lock; new
/// mail that took the id since (qmail-send started again before a killed batch was recovered,
/// or running under `--force`) fails the message, left in the queue.
pub(super) fn still_journaled(mover: &Mover<'_>, m: &JournalMessage) -> Result<(), MoveFailure> {
    let Some(stamp) = m.mess else { return Ok(()) };
    let path = mover.queue_path(Subdir::Mess, m.id);
    match std::fs::symlink_metadata(&path) {
        Ok(now) if MessStamp::of(&now) != stamp => Err(MoveFailure {
            path,
            error: std::io::Error::other(
                "the id now names another message (its mess file is not the one journaled); \
                 left in the queue",
            ),
            is_split: false,
        }),
        _ => Ok(()),
    }
}

/// Why a message is left when [`grown`] finds a file its journal does not list.
pub(super) const GROWN: &str =
    "changed since it was journaled (qmail-send ran: it has envelope files the \
                     journal does not list); left whole in the queue";

/// The first queue file of a yank's message that its journal does not list: qmail-send ran
/// since (started before a killed batch was recovered, or running under `--force`) and
/// preprocessed it, writing `info`, `local`, `remote`, `bounce` where `todo` was. Moving the
/// journaled files alone would leave those in the queue without their mess (safety62: 2,850
/// messages split by `recover`, and qmail-send's 6,549 `unable to open message` deferrals).
pub(super) fn grown(mover: &Mover<'_>, m: &JournalMessage) -> Option<PathBuf> {
    (Subdir::ALL.into_iter())
        .filter(|s| !m.files.contains(s))
        .map(|s| mover.queue_path(s, m.id))
        .find(|p| std::fs::symlink_metadata(p).is_ok())
}
