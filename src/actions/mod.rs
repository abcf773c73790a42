//! Actions: plan (dry run) then execute yank, restore, purge and expire, journaled and crash-safe.
//!
//! Every message ends either whole in the queue or whole in the yank area, whatever happens
//! (kill -9 at any instant): files move by `rename(2)` in a fixed order (mover.rs), each batch
//! is written to a fsync'd journal before its first rename (journal.rs), and recovery completes
//! interrupted batches in their own direction (run.rs). Every queue-changing batch holds
//! qmail-send's `lock/sendmutex` so it cannot start half-way (lock.rs). The faces call
//! `plan_*` to show a dry run and then [`execute`] with that same [`Plan`].
#![deny(clippy::unwrap_used)]

pub mod area;
pub mod error;
pub mod expire;
pub mod failpoint;
pub mod journal;
pub mod ledger;
pub mod lock;
pub mod mover;
pub mod mta;
pub mod plan;
pub mod purge;
pub mod remove;
pub mod restore;
pub mod restored;
mod retime;
pub mod run;
pub mod yank;

pub use area::{default_yank_dir, list_yanked, YankedMessage};
pub use error::ActionError;
pub use expire::{plan_expire, queue_lifetime, ExpireOptions, DEFAULT_QUEUE_LIFETIME};
pub use failpoint::Failpoint;
pub use journal::{Batch, BatchState, Direction};
pub use ledger::Ledger;
pub use lock::{mta_status, MtaStatus};
pub use plan::{
    ExecuteOptions, Outcome, Plan, PlannedMessage, RecoveryReport, Refusal, RefusalReason,
};
pub use purge::{plan_purge, PurgeSelection};
pub use remove::{remove_compat, RemoveMode, RemoveOptions};
pub use restore::{plan_restore, plan_restore_counted, PlanProgress, RestoreSelection};
pub use restored::Restored;
pub use run::{execute, execute_with, recover, recover_counting, BEFORE_THE_FIRST_MOVE};
pub use yank::{plan_yank, plan_yank_ids, PlanOptions};
