//! Plan an expire: set info mtimes back past queuelifetime, as qmail-remove `-x/-X` does.
//!
//! qmail-send then gives up on the message at its next attempt and **bounces** it to the
//! envelope sender: during a spam flood those bounces are backscatter to forged senders. Yanking
//! is almost always the better tool. The old mtimes are journaled, so `restore --batch` undoes it.

use std::path::PathBuf;

use super::journal::Direction;
use super::plan::{Plan, PlannedMessage, Refusal, RefusalReason};
use super::yank::{new_plan, PlanOptions};
use crate::queue::{MessageRecord, Queue, Subdir};

/// qmail-send's default queuelifetime (control/queuelifetime), in seconds.
pub const DEFAULT_QUEUE_LIFETIME: i64 = 604_800;

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

/// Plan expiring these messages. Messages without info (todo only) are refused: qmail-send
/// takes the birth time from info, which it has not written yet.
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
        plan.messages.push(PlannedMessage {
            id: r.id,
            files: Vec::new(),
            recipients: r.recipients.len() as u32,
            bytes: r.size,
            set_mtime: Some(when),
            old_mtime: Some(r.queued),
        });
    }
    plan
}
