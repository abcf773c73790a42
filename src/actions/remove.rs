//! qmail-remove compatibility for `qtriage remove` (src/cli/remove.rs): yank, delete or expire
//! the ids it matched, through the same journal, printing qmail-remove's lines.
//!
//! - [`RemoveMode::Yank`] (`-r`): one yank batch; prints `moved <old> to <new>` per file, as
//!   qmail-remove does.
//! - [`RemoveMode::Delete`] (`-d`): a yank batch, then a purge batch of the same messages, so a
//!   crash at any point leaves each message whole in the queue, whole in the yank area, or gone;
//!   prints the `moved` lines, then `deleted <path>` per message.
//! - [`RemoveMode::ExpireAt`] (`-x DATE` / `-X SECS`, the caller turns SECS into `now - SECS`):
//!   one expire batch; prints `expired <info path>` per message.
//!
//! The caller does the matching (`-p`, `-e`, `-i`, `-n`) and passes the ids.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use super::error::ActionError;
use super::expire::{plan_expire, ExpireOptions};
use super::mover::yank_name;
use super::plan::{ExecuteOptions, Outcome};
use super::purge::{plan_purge, PurgeSelection};
use super::run::execute_with;
use super::yank::{plan_yank_ids, PlanOptions};
use crate::queue::{scan::read_one, Interner, MessageId, Queue, Subdir};

/// What `qtriage remove` does with the matched messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveMode {
    /// `-r`: move into the yank area.
    Yank,
    /// `-d`: yank, then unlink from the yank area.
    Delete,
    /// `-x`/`-X`: set the info mtime to this time (unix seconds).
    ExpireAt(i64),
}

/// How to run [`remove_compat`].
#[derive(Debug, Clone)]
pub struct RemoveOptions {
    /// What to do.
    pub mode: RemoveMode,
    /// The yank area (qmail-remove's `-y`, resolved against the queue by the caller).
    pub yank_dir: PathBuf,
    /// The pattern text, recorded in the journal as the batch's query.
    pub pattern: String,
    /// Failpoint, force, now.
    pub execute: ExecuteOptions,
}

/// Act on `ids` like qmail-remove, writing its output lines to `out`. Returns the outcome of the
/// last batch (the purge for `Delete`), whose `left` holds every message a yank left in the
/// queue (also printed as `refused #ID: reason`). Refuses while qmail-send runs unless
/// `execute.force`.
pub fn remove_compat(
    queue: &Queue,
    ids: &[MessageId],
    opts: &RemoveOptions,
    out: &mut dyn Write,
) -> Result<Outcome, ActionError> {
    let popts = PlanOptions {
        yank_dir: opts.yank_dir.clone(),
        query: format!("remove -p {}", opts.pattern),
    };
    let progress = AtomicU64::new(0);
    let mut write_err: Option<std::io::Error> = None;
    // The lines name paths below `--queue` and `-y`, which the operator typed: sanitized like
    // every text output (qmail-remove prints them raw).
    let mut line = |text: String| {
        if write_err.is_none() {
            write_err = writeln!(out, "{}", crate::sanitize::sanitize_str(&text)).err();
        }
    };
    let outcome = match opts.mode {
        RemoveMode::ExpireAt(at) => {
            expire_compat(queue, ids, at, opts, &popts, &progress, &mut line)?
        }
        RemoveMode::Yank | RemoveMode::Delete => {
            yank_compat(queue, ids, opts, &popts, &progress, &mut line)?
        }
    };
    match write_err {
        Some(e) => Err(ActionError::io("<stdout>", e)),
        None => Ok(outcome),
    }
}

/// `-x`/`-X`: expire the messages at `at`, saying `expired INFO` for each (`not expired INFO:
/// reason` for one the plan refused).
fn expire_compat(
    queue: &Queue,
    ids: &[MessageId],
    at: i64,
    opts: &RemoveOptions,
    popts: &PlanOptions,
    progress: &AtomicU64,
    line: &mut dyn FnMut(String),
) -> Result<Outcome, ActionError> {
    let strings = Interner::new();
    let records: Vec<_> = ids
        .iter()
        .filter_map(|id| read_one(queue, &strings, *id).ok())
        .collect();
    let eopts = ExpireOptions {
        yank_dir: opts.yank_dir.clone(),
        query: popts.query.clone(),
        lifetime: 0,
        now: opts.execute.now,
        at: Some(at),
    };
    let plan = plan_expire(queue, &records, &eopts);
    for r in &plan.refused {
        let info = queue.path(Subdir::Info, r.id);
        line(format!("not expired {}: {}", info.display(), r.reason));
    }
    let o = execute_with(&plan, &opts.execute, progress, &mut |_, _| {})?;
    let not_done: std::collections::HashSet<MessageId> = o
        .vanished
        .iter()
        .copied()
        .chain(o.skipped.iter().map(|r| r.id))
        .chain(o.batch.iter().flat_map(|b| b.failed.iter().map(|f| f.0)))
        .collect();
    for m in plan.messages.iter().filter(|m| !not_done.contains(&m.id)) {
        line(format!(
            "expired {}",
            queue.path(Subdir::Info, m.id).display()
        ));
    }
    Ok(o)
}

/// `-r` (and `-d`, which then purges the batch): yank the messages, saying `moved FROM to TO`
/// per file, `refused #ID: reason` per message left in the queue, `deleted FILE` per purge.
fn yank_compat(
    queue: &Queue,
    ids: &[MessageId],
    opts: &RemoveOptions,
    popts: &PlanOptions,
    progress: &AtomicU64,
    line: &mut dyn FnMut(String),
) -> Result<Outcome, ActionError> {
    let plan = plan_yank_ids(queue, ids, popts);
    let on_move = &mut |from: &std::path::Path, to: &std::path::Path| {
        line(format!("moved {} to {}", from.display(), to.display()))
    };
    let yanked = execute_with(&plan, &opts.execute, progress, on_move)?;
    // Messages qmail-queue may still be writing stay in the queue; say which.
    let left: Vec<_> = plan
        .refused
        .iter()
        .chain(&yanked.skipped)
        .cloned()
        .collect();
    for r in &left {
        line(format!("refused #{}: {}", r.id, r.reason));
    }
    let mut last = match (opts.mode, &yanked.batch) {
        (RemoveMode::Delete, Some(b)) => {
            let sel = PurgeSelection::Batch(b.batch.clone());
            let purge = plan_purge(queue, &opts.yank_dir, &sel, &popts.query)?;
            let o = execute_with(&purge, &opts.execute, progress, &mut |_, _| {})?;
            for m in &purge.messages {
                line(format!(
                    "deleted {}",
                    opts.yank_dir.join(yank_name(m.id, Subdir::Mess)).display()
                ));
            }
            o
        }
        _ => yanked,
    };
    last.skipped = left;
    Ok(last)
}
