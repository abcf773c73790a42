//! Re-timing a queued message's info file (an expire, and its undo) only while the id still
//! names the message the batch journaled: checked under the lock when the batch is made, and
//! again, for each message, as a fresh or a recovered run re-times it.

use super::expire::EarlierExpires;
use super::journal::Direction;
use super::journal::{JournalMessage, MessStamp};
use super::mover::{MoveFailure, Mover};
use super::plan::RefusalReason;
use super::restore::unexpire_refusal;
use crate::queue::Subdir;

/// What re-checking an info file under the lock says about re-timing it.
pub(super) enum Retime {
    Go,
    Gone,
    Refused(RefusalReason),
}

/// Check the info file `entry` re-times as it is now, and fill in what the journal records: an
/// expire records the file's inode and its birth time before any expire; the undo of an expire
/// needs the very file the expire changed, still at the time the expire set.
pub(super) fn retime_now(
    direction: Direction,
    entry: &mut JournalMessage,
    mover: &Mover<'_>,
    earlier: &EarlierExpires,
) -> Retime {
    use std::os::unix::fs::MetadataExt;
    let Ok(info) = std::fs::symlink_metadata(mover.queue_path(Subdir::Info, entry.id)) else {
        return Retime::Gone;
    };
    let Some(set) = entry.set_mtime else {
        return Retime::Go;
    };
    match direction {
        Direction::Expire => {
            if set >= info.mtime() {
                return Retime::Refused(RefusalReason::AlreadyExpired {
                    birth: info.mtime(),
                });
            }
            entry.info_inode = Some(info.ino());
            entry.old_mtime = Some(
                earlier
                    .original(entry.id, info.ino(), info.mtime())
                    .unwrap_or(info.mtime()),
            );
            Retime::Go
        }
        _ => match entry
            .old_mtime
            .and_then(|expired_to| unexpire_refusal(&info, entry.info_inode, expired_to))
        {
            Some(reason) => Retime::Refused(reason),
            None => Retime::Go,
        },
    }
}

/// Is the message an expire or its undo re-times still the one journaled? Its mess file must be
/// the very file stamped when the batch was made (a journal written before the stamp was
/// recorded has none: then the info file's inode is all there is to go by). New mail that took
/// the id after a kill, while qmail-send ran before the recovery, fails the message: its info
/// is left as qmail wrote it, whatever inode it reused. An info file that is the journaled one
/// and already at the time the batch sets was re-timed by the killed run itself: done, even
/// when its mess file changed since (a `touch`, a copy), so the batch's undo can give its
/// birth time back (review49: such messages were failed, and could not be undone).
pub(super) fn still_retimed_message(
    mover: &Mover<'_>,
    m: &JournalMessage,
) -> Result<(), MoveFailure> {
    use std::os::unix::fs::MetadataExt;
    let Some(stamp) = m.mess else { return Ok(()) };
    let path = mover.queue_path(Subdir::Mess, m.id);
    let mess = std::fs::symlink_metadata(&path);
    if mess.as_ref().is_ok_and(|now| MessStamp::of(now) == stamp) {
        return Ok(());
    }
    let info = std::fs::symlink_metadata(mover.queue_path(Subdir::Info, m.id));
    let done_already = info.is_ok_and(|i| {
        m.info_inode.is_some_and(|ino| ino == i.ino()) && m.set_mtime == Some(i.mtime())
    });
    if done_already {
        return Ok(());
    }
    let error = match mess {
        Ok(_) => std::io::Error::other(
            "the id now names another message, or its mess file was changed (it is not the \
             one journaled); its info file was not re-timed",
        ),
        Err(e) => e,
    };
    Err(MoveFailure {
        path,
        error,
        is_split: false,
    })
}
