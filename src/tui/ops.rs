//! The TUI's one adapter to `crate::actions`: plans, journaled execution with progress,
//! recovery, qmail-send's state and the yank area's batches.
//!
//! Nothing here moves a file itself: every yank, restore, purge and expire is an
//! `actions::Plan` executed by `actions::execute`, one journaled batch exactly like
//! `qtriage yank --apply` or `qtriage restore --batch ID --apply`. The worker calls these off the
//! UI thread; they return plain data for events.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rustc_hash::FxHashSet;

use super::state::{BatchRow, Confirm, PlanRequest, YankListing};
use crate::actions::plan::unix_now;
use crate::actions::{
    self, queue_lifetime, ActionError, ExecuteOptions, ExpireOptions, Outcome, Plan, PlanOptions,
    PlanProgress, RecoveryReport,
};
use crate::queue::{MessageId, MessageRecord, Queue, Subdir};

/// How often a running batch's progress counter is read.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// A queue and its yank area: what every action needs.
#[derive(Debug, Clone)]
pub struct Ops {
    /// The queue.
    pub queue: Queue,
    /// The yank area (`<queue>/yanked`, as the CLI's default).
    pub yank_dir: PathBuf,
}

impl Ops {
    /// The actions on `queue` with the default yank area.
    pub fn new(queue: Queue) -> Ops {
        let yank_dir = actions::default_yank_dir(queue.root());
        Ops { queue, yank_dir }
    }

    /// Is qmail-send running (`None`: the lock could not be checked)?
    pub fn send_running(&self) -> Option<bool> {
        actions::mta_status(self.queue.root())
            .ok()
            .map(|m| m.is_send_running)
    }

    /// The messages the yank area's interrupted batches list (`None`: none is interrupted, or
    /// the journal could not be read, which recovery then reports). A never-sealed batch moved
    /// nothing: recovery only closes it (review60).
    pub fn unfinished_messages(&self) -> Option<u64> {
        let paths = actions::run::unfinished(&self.yank_dir).ok()?;
        let interrupted: Vec<u64> = (paths.iter())
            .filter_map(|p| actions::journal::load(p).ok())
            .filter(|b| b.state == actions::BatchState::Interrupted)
            .map(|b| b.messages.len() as u64)
            .collect();
        (!interrupted.is_empty()).then(|| interrupted.iter().sum())
    }

    /// Complete interrupted batches (never forced: while qmail-send runs and something is
    /// unfinished this is an error the operator sees; the next forced action recovers first).
    pub fn recover(&self) -> Result<RecoveryReport, ActionError> {
        let opts = ExecuteOptions {
            now: unix_now(),
            ..ExecuteOptions::default()
        };
        actions::recover(self.queue.root(), &self.yank_dir, &opts)
    }

    /// Build the plan of `request`; `records` are the current snapshot's (a yank or expire
    /// takes the requested ids among them). `what` is recorded in the journal as its query.
    pub fn plan(
        &self,
        request: &PlanRequest,
        what: &str,
        records: &[MessageRecord],
    ) -> Result<Plan, ActionError> {
        self.plan_counted(request, what, records, &PlanProgress::default())
    }

    /// [`Ops::plan`], counting a restore's messages checked in `progress` (the Planning box
    /// shows it).
    pub fn plan_counted(
        &self,
        request: &PlanRequest,
        what: &str,
        records: &[MessageRecord],
        progress: &PlanProgress,
    ) -> Result<Plan, ActionError> {
        // As the CLI's dry run: a yank area rename(2) cannot reach is said before the
        // confirmation, not after Enter.
        actions::area::check_same_filesystem(self.queue.root(), &self.yank_dir)?;
        let query = format!("tui: {what}");
        let picked = |ids: &[MessageId]| {
            let ids: FxHashSet<MessageId> = ids.iter().copied().collect();
            records.iter().filter(move |r| ids.contains(&r.id))
        };
        // Marks made on a snapshot: another terminal may have yanked or purged them since, and
        // the confirmation counted 547 messages none of which existed (crash50). A message
        // whose mess file is gone is not counted; the run checks again, as it always does.
        let queue = &self.queue;
        let present =
            |r: &&MessageRecord| std::fs::symlink_metadata(queue.path(Subdir::Mess, r.id)).is_ok();
        // The marked records still there, and the journal's query (the confirmation's too)
        // saying how many are gone: it once recorded "37,980 marked messages" for a batch of
        // 28,436 (newuser51). One lstat a message.
        let kept = |ids: &[MessageId]| {
            let (mut there, mut gone) = (Vec::with_capacity(ids.len()), 0);
            for r in picked(ids) {
                match present(&r) {
                    true => there.push(r),
                    false => gone += 1,
                }
            }
            let query = match gone {
                0 => query.clone(),
                n => format!(
                    "{query}, {} of them gone from the queue since the scan",
                    crate::size::thousands(n as u64)
                ),
            };
            (there, query)
        };
        Ok(match request {
            PlanRequest::Yank(ids) => {
                let (there, query) = kept(ids);
                let opts = PlanOptions {
                    yank_dir: self.yank_dir.clone(),
                    query,
                };
                actions::plan_yank(&self.queue, there, &opts)
            }
            PlanRequest::Expire(ids) => {
                let (there, query) = kept(ids);
                let opts = ExpireOptions {
                    yank_dir: self.yank_dir.clone(),
                    query,
                    lifetime: queue_lifetime(self.queue.root()),
                    now: unix_now(),
                    at: None,
                };
                actions::plan_expire(&self.queue, there, &opts)
            }
            PlanRequest::Restore(sel) => {
                actions::plan_restore_counted(&self.queue, &self.yank_dir, sel, &query, progress)?
            }
            PlanRequest::Purge(sel) => {
                actions::plan_purge(&self.queue, &self.yank_dir, sel, &query)?
            }
        })
    }

    /// Execute the confirmed plan as one journaled batch; `progress` gets the number of
    /// messages handled, read from the counter `actions::execute` updates, every
    /// [`PROGRESS_EVERY`] and once at the end.
    pub fn execute(
        &self,
        confirm: &Confirm,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Outcome, ActionError> {
        let opts = ExecuteOptions {
            force: confirm.force,
            failpoint: None,
            now: unix_now(),
        };
        let counter = AtomicU64::new(0);
        let result = std::thread::scope(|s| {
            let run = s.spawn(|| actions::execute(&confirm.plan, &opts, &counter));
            while !run.is_finished() {
                progress(counter.load(Ordering::Relaxed));
                std::thread::sleep(PROGRESS_EVERY);
            }
            run.join()
        });
        progress(counter.load(Ordering::Relaxed));
        match result {
            Ok(r) => r,
            Err(_) => Err(ActionError::io(
                &self.yank_dir,
                std::io::Error::other("the action thread panicked"),
            )),
        }
    }

    /// The yank area and its journal, the same way `qtriage yanked` reads them.
    pub fn listing(&self) -> Result<YankListing, ActionError> {
        let ledger = actions::Ledger::load(&self.yank_dir)?;
        let rows = ledger
            .batches
            .iter()
            .enumerate()
            .map(|(i, b)| BatchRow {
                batch: b.header.batch.clone(),
                direction: b.header.direction,
                state: b.state,
                running: ledger.is_running(i),
                query: crate::sanitize::sanitize_str(&b.header.query).into_owned(),
                created: b.header.created,
                messages: b.messages.len(),
                failed: b.failed.len(),
                in_yank_area: ledger.in_yank_area(i),
                verdict: b.header.verdict,
            })
            .collect();
        Ok(YankListing {
            batches: rows,
            bytes: ledger.messages.iter().map(|m| m.bytes).sum(),
            orphans: ledger.orphans().collect(),
            messages: ledger.messages.len(),
        })
    }
}

/// The messages a finished batch acted on: the plan's, minus those that failed or vanished.
pub fn acted_on(plan: &Plan, outcome: &Outcome) -> Vec<MessageId> {
    let Some(batch) = &outcome.batch else {
        return Vec::new();
    };
    let skip: FxHashSet<MessageId> = batch
        .failed
        .iter()
        .map(|(id, _)| *id)
        .chain(outcome.vanished.iter().copied())
        .chain(outcome.skipped.iter().map(|r| r.id))
        .collect();
    plan.messages
        .iter()
        .map(|m| m.id)
        .filter(|id| !skip.contains(id))
        .collect()
}

#[cfg(test)]
mod tests;
