//! Plan: the dry-run value of an action (what would move, with counts); the same value is executed.

use std::path::PathBuf;

use super::failpoint::Failpoint;
use super::journal::Direction;
use super::lock::MtaStatus;
use crate::queue::{Layout, MessageId, MessageRecord, ProblemKind, Subdir};
use crate::size::{counted, thousands};

/// One message a plan acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMessage {
    /// Its id.
    pub id: MessageId,
    /// The files seen when planning (re-checked under the lock when executing).
    pub files: Vec<Subdir>,
    /// Envelope recipients (for the counts).
    pub recipients: u32,
    /// Size of the mess file.
    pub bytes: u64,
    /// The info mtime to set (expire, and the undo of an expire).
    pub set_mtime: Option<i64>,
    /// The info mtime when planned (expire).
    pub old_mtime: Option<i64>,
    /// The inode of the info file an expire changed (the undo of an expire): an id is an inode
    /// number and qmail reuses it, so only the same info file may get its old birth time back.
    pub info_inode: Option<u64>,
    /// A yank planned from a scan's records: what the scan saw at the id, re-checked under the
    /// lock.
    pub seen: Option<Seen>,
}

/// What a scan saw of a message, to tell it under the lock from new mail that took its id
/// since: ids are inode numbers that qmail reuses, and the TUI plans from records read minutes
/// earlier, perhaps while qmail-send was delivering, so a stale plan would yank the new mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The mess file's size, as a record keeps it ([`MessageRecord::size_of`]).
    pub mess_size: Option<u32>,
    /// The info file's mtime (the birth time), as a record keeps it.
    pub info_mtime: Option<i64>,
}

impl Seen {
    /// What `r` says of its mess and info files, when it read them (`None`: nothing to check).
    pub fn of(r: &MessageRecord) -> Option<Seen> {
        // Only a file that could not be read leaves its size or time unknown: header damage
        // (hostile spam's own doing) does not.
        let read = |s: Subdir| {
            r.parts.has(s)
                && !r.problems.iter().any(|p| {
                    p.part == s
                        && matches!(
                            p.kind,
                            ProblemKind::Vanished
                                | ProblemKind::Unreadable
                                | ProblemKind::Symlink
                                | ProblemKind::NotRegularFile
                        )
                })
        };
        let seen = Seen {
            mess_size: read(Subdir::Mess).then_some(r.size),
            // A header pass lists no info/: its records' time is the Received line's.
            info_mtime: read(Subdir::Info).then(|| r.birth()).flatten(),
        };
        (seen.mess_size.is_some() || seen.info_mtime.is_some()).then_some(seen)
    }

    /// Is the message at the id now another one: its mess or info file gone, or of another
    /// size or birth time? `mess` and `info` are the files' `lstat` now.
    pub fn differs(
        &self,
        mess: Option<&std::fs::Metadata>,
        info: Option<&std::fs::Metadata>,
    ) -> bool {
        use std::os::unix::fs::MetadataExt;
        let mess_differs = self
            .mess_size
            .is_some_and(|size| mess.is_none_or(|m| MessageRecord::size_of(m.len()) != size));
        let info_differs = self
            .info_mtime
            .is_some_and(|t| info.is_none_or(|m| MessageRecord::kept_time(m.mtime()) != t));
        mess_differs || info_differs
    }
}

/// Why a message was left out of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalReason {
    /// Restore: this queue path already exists; restoring would overwrite it.
    TargetExists(PathBuf),
    /// Expire: the message has no info file (not preprocessed yet), so no birth time to set.
    NoInfo,
    /// Undo of an expire: the message is no longer in the queue.
    NotInQueue,
    /// Expire: the birth time is already at or before the one an expire would set; expire never
    /// makes a message younger.
    AlreadyExpired {
        /// Its birth time (info mtime), unix seconds.
        birth: i64,
    },
    /// Yank: qmail-queue has not finished queueing it (a mess without todo and without info),
    /// so it may still be writing it; it is left in the queue.
    QueueingUnfinished,
    /// Undo of an expire: the id now names another message (qmail-send bounced the expired one
    /// and a new message got its inode number); setting the old time would bounce new mail.
    InfoReplaced,
    /// Yank: one of its files is a symbolic link, FIFO, directory or device, not a file qmail
    /// wrote; moving it would hide the damage `qtriage check` reports, so it is left where it is.
    NotAQueueFile(Subdir),
    /// Yank: its files sit in another split directory than `id % split`, where qmail-send never
    /// looks; left where they are (`qtriage check` says how to put them back).
    WrongSubdir,
    /// Yank: the id now names another message than the scan read (its mess size or birth time
    /// changed: qmail-send finished the message and new mail took its inode number).
    Replaced,
    /// Purge: the yanked mess's envelope is in the queue (this queue path), and no mess is: the
    /// message is split, and its mess here is its only copy (safety62: qmail-send preprocessed
    /// it between a killed yank and its recovery).
    EnvelopeInQueue(PathBuf),
    /// Purge: a yanked envelope whose mess is in the queue (this path) with no envelope there:
    /// the other half of a split message, its only envelope (recheck62).
    MessInQueue(PathBuf),
    /// Purge: a yanked mess without an envelope here whose envelope is in another yank area
    /// (this path) without a mess: the message split between two areas (recheck62).
    EnvelopeInYankArea(PathBuf),
    /// Purge: a yanked envelope without a mess here whose mess is in another yank area (this
    /// path) without an envelope.
    MessInYankArea(PathBuf),
    /// Undo of an expire: the birth time is no longer the one the expire set (changed since).
    BirthTimeChanged {
        /// The info mtime now.
        now: i64,
        /// The mtime the expire set.
        expired_to: i64,
    },
}

impl std::fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefusalReason::TargetExists(p) => write!(f, "target exists: {}", p.display()),
            RefusalReason::NoInfo => {
                f.write_str("no info file (not preprocessed by qmail-send yet)")
            }
            RefusalReason::NotInQueue => f.write_str("not in the queue any more"),
            RefusalReason::AlreadyExpired { birth } => write!(
                f,
                "birth time {} is already at or before the expiry time (expire never makes a message younger)",
                crate::queue::date::rfc3339(*birth)
            ),
            RefusalReason::QueueingUnfinished => f.write_str(
                "queueing not finished (mess without todo or info: qmail-queue may still be \
                 writing it); left in the queue. qmail-send's cleanup removes a stale one 36 \
                 hours after its mess file was last read",
            ),
            RefusalReason::NotAQueueFile(part) => write!(
                f,
                "its {} is a symbolic link, FIFO, directory or device, not a file qmail wrote; \
                 left where it is (see qtriage check)",
                part.name()
            ),
            RefusalReason::WrongSubdir => f.write_str(
                "its files sit in another split directory than id % split, where qmail-send \
                 never looks; left where they are (see qtriage check)",
            ),
            RefusalReason::InfoReplaced => f.write_str(
                "the id now names another message (the expired one is gone and qmail reused its inode)",
            ),
            RefusalReason::Replaced => f.write_str(
                "the id now names another message than the one read (its mess size or birth \
                 time changed: qmail-send finished it and new mail took the id); left in the \
                 queue, read the queue again to act on it",
            ),
            RefusalReason::EnvelopeInQueue(p) => write!(
                f,
                "its envelope is in the queue ({}) without a mess: this mess is the message's \
                 only copy; not deleted (put it back: see qtriage check)",
                p.display()
            ),
            RefusalReason::MessInQueue(p) => write!(
                f,
                "its mess is in the queue ({}) without an envelope: this envelope is the \
                 message's only one; not deleted (put it back: see qtriage check)",
                p.display()
            ),
            RefusalReason::EnvelopeInYankArea(p) => write!(
                f,
                "its envelope is in another yank area ({}) without a mess: this mess is the \
                 message's only copy; not deleted (move one half to the other, then restore it)",
                p.display()
            ),
            RefusalReason::MessInYankArea(p) => write!(
                f,
                "its mess is in another yank area ({}) without an envelope: this envelope is \
                 the message's only one; not deleted (move one half to the other, then restore \
                 it)",
                p.display()
            ),
            RefusalReason::BirthTimeChanged { now, expired_to } => write!(
                f,
                "birth time changed since the expire ({} now, the expire set {})",
                crate::queue::date::rfc3339(*now),
                crate::queue::date::rfc3339(*expired_to)
            ),
        }
    }
}

/// A failed message's reason, saying it was left whole where it was unless it says so
/// already (safety62: `... (left whole where it was) (left whole where it was)`).
pub fn left_whole(why: &str) -> String {
    match why.contains("left whole") || why.contains("left in the queue") {
        true => why.to_string(),
        false => format!("{why} (left whole where it was)"),
    }
}

/// A message left out of a plan, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The message.
    pub id: MessageId,
    /// Why.
    pub reason: RefusalReason,
}

/// What an action would do: shown to the operator as the dry run, then executed unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Which way.
    pub direction: Direction,
    /// The queue directory.
    pub queue_root: PathBuf,
    /// The queue's layout.
    pub layout: Layout,
    /// The yank area.
    pub yank_dir: PathBuf,
    /// The query or selection text, recorded in the journal.
    pub query: String,
    /// For a restore chosen with `--batch`: that batch.
    pub undoes: Option<String>,
    /// A restore of messages the operator picked ([`super::RestoreSelection::Picked`]): their
    /// verdict that the mail is real.
    pub verdict: bool,
    /// The messages to act on.
    pub messages: Vec<PlannedMessage>,
    /// Messages selected but left out, with the reason.
    pub refused: Vec<Refusal>,
    /// qmail-send's state when planned (`None` if it could not be read).
    pub mta: Option<MtaStatus>,
}

impl Plan {
    /// Number of messages.
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }
    /// Sum of recipients.
    pub fn recipients(&self) -> u64 {
        self.messages.iter().map(|m| u64::from(m.recipients)).sum()
    }
    /// Sum of mess sizes.
    pub fn bytes(&self) -> u64 {
        self.messages.iter().map(|m| m.bytes).sum()
    }
    /// Does executing it need qmail-send stopped? Everything that touches the queue does;
    /// purge only unlinks from the yank area, which qmail-send never reads.
    pub fn needs_send_stopped(&self) -> bool {
        self.direction != Direction::Purge
    }
}

/// How to execute a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExecuteOptions {
    /// Act even while qmail-send runs (the caller has warned the operator).
    pub force: bool,
    /// A failpoint for crash tests (`QTRIAGE_FAILPOINT`).
    pub failpoint: Option<Failpoint>,
    /// "Now", unix seconds (batch ids, journal times).
    pub now: i64,
}

/// A finished (or recovered) batch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchOutcome {
    /// The batch id.
    pub batch: String,
    /// Which way it went.
    pub direction: Direction,
    /// Messages acted on.
    pub messages: u64,
    /// Files renamed, unlinked or re-timed.
    pub files: u64,
    /// Messages that failed, left whole where they were, with the reason.
    pub failed: Vec<(MessageId, String)>,
    /// Messages of a yank or restore with none of their files on either side when their turn
    /// came (qmail-send finished them meanwhile): not counted in `messages`.
    pub gone: Vec<MessageId>,
    /// Every message of the batch only re-times its info file (an expire, or the undo of
    /// one): its `files` were re-timed, not moved.
    pub retimed_only: bool,
}

/// What executing a plan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The batch written (`None` when nothing was left to do).
    pub batch: Option<BatchOutcome>,
    /// Planned messages that were gone when executing.
    pub vanished: Vec<MessageId>,
    /// Planned messages left alone when re-checked under the lock, and why (also a yank seeing
    /// a message whose queueing is not finished).
    pub skipped: Vec<Refusal>,
    /// Interrupted batches completed before this one started.
    pub recovered: RecoveryReport,
    /// qmail-send was running and `--force` was used.
    pub forced_while_running: bool,
}

/// What recovery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Interrupted batches completed in their direction.
    pub completed: Vec<BatchOutcome>,
    /// Unsealed batches closed (nothing of them had moved).
    pub abandoned: Vec<String>,
}

impl RecoveryReport {
    /// Nothing needed recovery.
    pub fn is_empty(&self) -> bool {
        self.completed.is_empty() && self.abandoned.is_empty()
    }

    /// What recovery did in words, one line a batch, `lead` naming a completed one
    /// (`completed batch` for `recover`, `recovered interrupted batch` before an action): `LEAD
    /// ID (yank): 1,234 messages, 3,702 files moved now, 0 failed`, with a `failed #ID: WHY
    /// (left whole where it was)` line after it for each failed message when `failures`, then
    /// `closed batch ID: interrupted before anything moved`. The CLI and the TUI each said it
    /// their own way: the TUI's line read `recovery:; closed 1 batch(es) ...` (style53).
    pub fn lines(&self, lead: &str, failures: bool) -> Vec<String> {
        let mut lines = Vec::new();
        for b in &self.completed {
            // An expire's files (and its undo's) were only re-timed, a purge's deleted.
            let done = match b.direction {
                _ if b.retimed_only => "re-timed",
                Direction::Expire => "re-timed",
                Direction::Purge => "deleted",
                _ => "moved",
            };
            let gone = match b.gone.len() as u64 {
                0 => String::new(),
                n => format!(
                    ", {} gone (in neither the queue nor the yank area: qmail-send finished them)",
                    thousands(n)
                ),
            };
            lines.push(format!(
                "{lead} {} ({}): {}, {} {done} now, {} failed{gone}",
                b.batch,
                b.direction.name(),
                counted(b.messages, "message", "messages"),
                counted(b.files, "file", "files"),
                thousands(b.failed.len() as u64)
            ));
            for (id, why) in b.failed.iter().filter(|_| failures) {
                let why = crate::sanitize::sanitize_str(why);
                lines.push(format!("failed #{id}: {}", left_whole(&why)));
            }
        }
        for b in &self.abandoned {
            let b = crate::sanitize::sanitize_str(b);
            lines.push(format!(
                "closed batch {b}: interrupted before anything moved"
            ));
        }
        lines
    }
}

pub use crate::queue::date::unix_now;

#[cfg(test)]
mod tests {
    use super::left_whole;

    #[test]
    fn a_failure_says_once_that_the_message_was_left_whole() {
        assert_eq!(
            left_whole("target exists: /q/info/1/7"),
            "target exists: /q/info/1/7 (left whole where it was)"
        );
        let said = "changed since it was journaled (...); left whole in the queue";
        assert_eq!(left_whole(said), said);
        let said = "failed before the interruption and left whole where it was";
        assert_eq!(left_whole(said), said);
    }
}
