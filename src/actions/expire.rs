//! Plan an expire: set info mtimes back past queuelifetime, as qmail-remove `-x/-X` does.
//!
//! qmail-send then gives up on the message at its next attempt and **bounces** it to the
//! envelope sender: during a spam flood those bounces are backscatter to forged senders. Yanking
//! is almost always the better tool. The old mtimes are journaled, so `restore --batch` undoes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::area::journal_dir;
use super::error::ActionError;
use super::journal::{self, Direction};
use super::plan::{Plan, PlannedMessage, Refusal, RefusalReason};
use super::yank::{new_plan, PlanOptions};
use crate::queue::{MessageId, MessageRecord, Queue, Subdir};

/// qmail-send's default queuelifetime (control/queuelifetime), in seconds.
pub const DEFAULT_QUEUE_LIFETIME: i64 = 604_800;
/// The most bytes read from control/queuelifetime.
const LIFETIME_CAP: u64 = 64;

/// How to expire.
#[derive(Debug, Clone)]
pub struct ExpireOptions {
    /// The yank area (it holds the journal).
    pub yank_dir: PathBuf,
    /// The query text, for the journal.
    pub query: String,
    /// queuelifetime in seconds.
    pub lifetime: i64,
    /// "Now", unix seconds.
    pub now: i64,
    /// Set exactly this mtime instead of `now - lifetime - 1` (qmail-remove `-x DATE`).
    pub at: Option<i64>,
}

/// qmail-send's queuelifetime: `control/queuelifetime` beside the queue (qmail's layout,
/// `/var/qmail/{queue,control}`), else qmail's default of a week.
pub fn queue_lifetime(queue_root: &Path) -> i64 {
    let Some(control) = queue_root.parent().map(|p| p.join("control/queuelifetime")) else {
        return DEFAULT_QUEUE_LIFETIME;
    };
    let mut text = String::new();
    std::fs::File::open(control)
        .ok()
        .and_then(|f| {
            std::io::Read::read_to_string(&mut std::io::Read::take(f, LIFETIME_CAP), &mut text)
                .ok()?;
            text.trim().parse::<i64>().ok()
        })
        .filter(|s| *s > 0)
        .unwrap_or(DEFAULT_QUEUE_LIFETIME)
}

/// Plan expiring these messages. Messages without info (todo only) are refused: qmail-send
/// takes the birth time from info, which it has not written yet. So are messages already born at
/// or before the time an expire would set: expire only ever moves a birth time back, never
/// forward (a message from 2020 must not become seven days old).
pub fn plan_expire<'r>(
    queue: &Queue,
    records: impl IntoIterator<Item = &'r MessageRecord>,
    opts: &ExpireOptions,
) -> Plan {
    let popts = PlanOptions {
        yank_dir: opts.yank_dir.clone(),
        query: opts.query.clone(),
    };
    let mut plan = new_plan(queue, Direction::Expire, &popts);
    let when = opts.at.unwrap_or(opts.now - opts.lifetime - 1);
    for r in records {
        if !r.parts.has(Subdir::Info) {
            plan.refused.push(Refusal {
                id: r.id,
                reason: RefusalReason::NoInfo,
            });
            continue;
        }
        if r.queued() <= when {
            plan.refused.push(Refusal {
                id: r.id,
                reason: RefusalReason::AlreadyExpired { birth: r.queued() },
            });
            continue;
        }
        plan.messages.push(PlannedMessage {
            id: r.id,
            files: Vec::new(),
            recipients: r.recipients.len() as u32,
            bytes: u64::from(r.size),
            set_mtime: Some(when),
            old_mtime: Some(r.queued()),
            info_inode: None,
            seen: None,
        });
    }
    plan
}

/// What earlier expire batches set: (id, info inode, the mtime set) to the birth time before
/// that expire. A message expired again keeps its original birth time in the new journal, so
/// undoing either batch can give it back, never an earlier expire's made-up time.
#[derive(Debug, Default)]
pub(crate) struct EarlierExpires(HashMap<(MessageId, u64, i64), i64>);

impl EarlierExpires {
    /// Read the expire batches in the yank area `yank_dir` (only their journals are read whole).
    pub(crate) fn load(yank_dir: &Path) -> Result<EarlierExpires, ActionError> {
        let mut out = HashMap::new();
        for path in journal::journal_files(&journal_dir(yank_dir))? {
            if journal::direction_of(&path)? != Some(Direction::Expire) {
                continue;
            }
            let batch = journal::load(&path)?;
            for m in batch.messages {
                if let (Some(ino), Some(set), Some(old)) = (m.info_inode, m.set_mtime, m.old_mtime)
                {
                    out.insert((m.id, ino, set), old);
                }
            }
        }
        Ok(EarlierExpires(out))
    }

    /// The birth time before any expire of this info file, if an earlier expire set its `mtime`.
    pub(crate) fn original(&self, id: MessageId, inode: u64, mtime: i64) -> Option<i64> {
        self.0.get(&(id, inode, mtime)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_lifetime_comes_from_control_beside_the_queue() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("queue");
        assert_eq!(queue_lifetime(&root), DEFAULT_QUEUE_LIFETIME);
        let control = dir.path().join("control");
        std::fs::create_dir(&control).expect("control");
        std::fs::write(control.join("queuelifetime"), "1209600\n").expect("write");
        assert_eq!(queue_lifetime(&root), 1_209_600);
        std::fs::write(control.join("queuelifetime"), "junk").expect("write");
        assert_eq!(queue_lifetime(&root), DEFAULT_QUEUE_LIFETIME);
    }
}
