//! Execute a plan as one journaled batch, and recover interrupted batches in their direction.
//!
//! Sequence of a batch (each step's crash is covered by recovery, see journal.rs and mover.rs):
//! 1. take qtriage's action lock and qmail-send's sendmutex (refuse if held, unless forced; the
//!    refusal, like that of a yank area on another filesystem, comes before the yank area is
//!    created, so it changes nothing);
//! 2. recover every interrupted batch, so no message starts this batch split;
//! 3. re-list each planned message's files under the lock (the plan may be minutes old);
//! 4. write and fsync the batch record (file and directory) — before the first rename;
//! 5. move each message whole (mover.rs order), noting progress and failures;
//! 6. fsync every directory touched, then mark the batch done and fsync the journal.

/// What a batch does before its first message moves (steps 1-4 above), in the words the CLI's
/// bar and the TUI's gauge say while their count is 0: seconds at 100,000 messages (7 s at
/// 75,960 measured), where a bare `0/75960` reads as hung.
pub const BEFORE_THE_FIRST_MOVE: &str = "checking files, writing journal…";

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::area::{check_same_filesystem, ensure_yank_dir, journal_dir};
use super::error::ActionError;
use super::expire::EarlierExpires;
use super::failpoint::{Armed, FailOp};
use super::journal::{
    self, fsync_dir, BatchHeader, BatchState, Direction, JournalMessage, JournalWriter, MessStamp,
    JOURNAL_VERSION,
};
use super::lock::{
    is_locked, lock_actions, lock_holder, lock_queue, sendmutex_path, try_lock_send, HeldLock,
};
use super::mover::{MoveFailure, Mover, Toward};
use super::plan::{
    BatchOutcome, ExecuteOptions, Outcome, Plan, RecoveryReport, Refusal, RefusalReason,
};
use super::restore::queue_file_of;
use super::retime::{retime_now, still_retimed_message, Retime};
use super::yank::{is_unfinished, mess_misfiled, odd_file, unfinished_refusal};
use crate::queue::{Layout, MessageId, Subdir};

/// A progress line is appended to the journal every this many messages.
pub const PROGRESS_EVERY: usize = 1024;

/// The locks held while acting; released when dropped (or when the process dies).
#[derive(Debug)]
struct Guard {
    _actions: HeldLock,
    _queue: HeldLock,
    _send: Option<HeldLock>,
    forced_while_running: bool,
}

impl Guard {
    fn acquire(
        queue_root: &Path,
        yank_dir: &Path,
        need_send: bool,
        force: bool,
    ) -> Result<Guard, ActionError> {
        let actions = lock_actions(&journal_dir(yank_dir))?;
        let mut guard = Guard {
            _actions: actions,
            _queue: lock_queue(queue_root)?,
            _send: None,
            forced_while_running: false,
        };
        if need_send {
            match try_lock_send(queue_root)? {
                Some(l) => guard._send = Some(l),
                None if force => guard.forced_while_running = true,
                None => {
                    let lock = sendmutex_path(queue_root);
                    let holder = lock_holder(&lock);
                    return Err(ActionError::SendRunning { lock, holder });
                }
            }
        }
        Ok(guard)
    }
}

/// Execute `plan`: the same messages the dry run showed. `progress` counts messages done.
pub fn execute(
    plan: &Plan,
    opts: &ExecuteOptions,
    progress: &AtomicU64,
) -> Result<Outcome, ActionError> {
    execute_with(plan, opts, progress, &mut |_, _| {})
}

/// [`execute`], calling `on_move(from, to)` after each rename (qmail-remove's `moved` lines).
pub fn execute_with(
    plan: &Plan,
    opts: &ExecuteOptions,
    progress: &AtomicU64,
    on_move: &mut dyn FnMut(&Path, &Path),
) -> Result<Outcome, ActionError> {
    // Before anything is created: a yank area on another filesystem is refused (docs/cli.md)
    // whatever the direction, as the dry run refuses it, leaving no `.journal` behind.
    check_same_filesystem(&plan.queue_root, &plan.yank_dir)?;
    if plan.direction == Direction::Yank {
        super::area::check_outside_qmail_dirs(&plan.queue_root, &plan.yank_dir)?;
    }
    refuse_before_writing(
        &plan.queue_root,
        &plan.yank_dir,
        plan.needs_send_stopped(),
        opts.force,
    )?;
    ensure_yank_dir(&plan.yank_dir)?;
    let guard = Guard::acquire(
        &plan.queue_root,
        &plan.yank_dir,
        plan.needs_send_stopped(),
        opts.force,
    )?;
    super::area::register(&plan.queue_root, &plan.yank_dir)?;
    // Counted apart: `progress` is the plan's messages, which the bar's length counts. Every
    // area's interrupted batches, not only this one's: a message a batch killed in another
    // area was moving is split, and this action would move what of it is queued (recheck62).
    let recovered = recover_every_area(plan, opts)?;
    let mut mover = Mover {
        queue_root: &plan.queue_root,
        layout: plan.layout,
        yank_dir: &plan.yank_dir,
        fail: Armed::new(opts.failpoint, FailOp::Batch(plan.direction.name())),
        ops: 0,
        touched: Default::default(),
    };
    let Refreshed {
        messages,
        vanished,
        skipped,
    } = refresh(plan, &mover)?;
    let mut outcome = Outcome {
        batch: None,
        vanished,
        skipped,
        recovered,
        forced_while_running: guard.forced_while_running,
    };
    if messages.is_empty() {
        return Ok(outcome);
    }
    let header = BatchHeader {
        version: JOURNAL_VERSION,
        batch: journal::new_batch_id(
            opts.now,
            &journal::journal_files(&journal_dir(&plan.yank_dir))?,
        ),
        direction: plan.direction,
        query: plan.query.clone(),
        created: opts.now,
        queue: plan.queue_root.to_string_lossy().into_owned(),
        split: plan.layout.split,
        big_todo: plan.layout.big_todo,
        undoes: plan.undoes.clone(),
        verdict: plan.verdict,
    };
    let journal = JournalWriter::create(
        &journal_dir(&plan.yank_dir),
        &header,
        &messages,
        &mover.fail,
    )?;
    mover.fail.after_journal();
    let run = BatchRun {
        direction: plan.direction,
        batch: &header.batch,
        recovered: false,
        recheck: guard.forced_while_running,
    };
    let mut batch = run.run(
        &mut mover,
        journal,
        &messages,
        &HashSet::new(),
        progress,
        on_move,
    )?;
    outcome.vanished.append(&mut batch.gone);
    outcome.batch = Some(batch);
    Ok(outcome)
}

/// Refuse while qmail-send (or another qtriage action) holds lock/sendmutex *before* the yank
/// area, its journal directory or its lock file are created: a refused action, like a dry run,
/// leaves the queue exactly as it was. [`Guard::acquire`] takes the locks for real afterwards
/// (and still refuses if qmail-send started in between).
pub fn refuse_before_writing(
    queue_root: &Path,
    yank_dir: &Path,
    need_send: bool,
    force: bool,
) -> Result<(), ActionError> {
    if !need_send || force || try_lock_send(queue_root)?.is_some() {
        return Ok(());
    }
    // Another qtriage action holds sendmutex too while it acts: name that, as Guard would
    // (on this yank area, or on another one of the queue).
    let actions = journal_dir(yank_dir).join("lock");
    if is_locked(&actions) {
        return Err(ActionError::ActionRunning { lock: actions });
    }
    if let Err(e @ ActionError::QueueLocked { .. }) = lock_queue(queue_root) {
        return Err(e);
    }
    let lock = sendmutex_path(queue_root);
    let holder = lock_holder(&lock);
    Err(ActionError::SendRunning { lock, holder })
}

/// The planned messages as they are under the lock: what to journal, what is gone, what is left
/// alone and why.
#[derive(Default)]
struct Refreshed {
    messages: Vec<JournalMessage>,
    vanished: Vec<MessageId>,
    skipped: Vec<Refusal>,
}

/// Re-list each planned message's files as they are now (we hold the locks), for the journal.
fn refresh(plan: &Plan, mover: &Mover<'_>) -> Result<Refreshed, ActionError> {
    let exists = |p: PathBuf| std::fs::symlink_metadata(p).is_ok();
    let earlier = match plan.direction {
        Direction::Expire => EarlierExpires::load(&plan.yank_dir)?,
        _ => EarlierExpires::default(),
    };
    let mut out = Refreshed {
        messages: Vec::with_capacity(plan.messages.len()),
        ..Refreshed::default()
    };
    for m in &plan.messages {
        let files: Vec<Subdir> = match plan.direction {
            Direction::Yank => Subdir::ALL
                .into_iter()
                .filter(|s| exists(mover.queue_path(*s, m.id)))
                .collect(),
            // Only the files planned: what else lies under the id in the yank area may be
            // another message's (ledger::owned_files), never put back or deleted with it.
            Direction::Restore | Direction::Purge => m
                .files
                .iter()
                .copied()
                .filter(|s| exists(mover.yank_path(*s, m.id)))
                .collect(),
            Direction::Expire => Vec::new(),
        };
        // sendmutex does not stop qmail-queue: a yank re-checks that queueing has finished.
        if plan.direction == Direction::Yank && is_unfinished(&files) {
            out.skipped.push(unfinished_refusal(m.id));
            continue;
        }
        // A restore puts nothing beside a file of another message that took the id meanwhile.
        if plan.direction == Direction::Restore && !files.is_empty() {
            if let Some(path) = queue_file_of(|s| mover.queue_path(s, m.id)) {
                let reason = RefusalReason::TargetExists(path);
                out.skipped.push(Refusal { id: m.id, reason });
                continue;
            }
        }
        let mut mess = None;
        if plan.direction == Direction::Yank && !files.is_empty() {
            let lstat = |s| std::fs::symlink_metadata(mover.queue_path(s, m.id)).ok();
            mess = lstat(Subdir::Mess);
            // A mess where the plan saw none is new mail's: qmail never writes a message's
            // mess again, and one planned without it (info or envelope only) holds no inode,
            // so qmail-queue may have given its id away, even while we hold sendmutex.
            let new_mess = mess.is_some() && !m.files.contains(&Subdir::Mess);
            let replaced = new_mess
                || m.seen
                    .is_some_and(|seen| seen.differs(mess.as_ref(), lstat(Subdir::Info).as_ref()));
            let odd = match odd_file(|s| mover.queue_path(s, m.id), &files) {
                Some(part) => Some(RefusalReason::NotAQueueFile(part)),
                None if replaced => Some(RefusalReason::Replaced),
                None => mess_misfiled(&plan.queue_root, plan.layout, m.id, &files)
                    .then_some(RefusalReason::WrongSubdir),
            };
            if let Some(reason) = odd {
                out.skipped.push(Refusal { id: m.id, reason });
                continue;
            }
        }
        // The rename keeps the mess file's size and mtime: by them the restored message is
        // known in the queue (`restored::in_queue`), and new mail that takes its id is not.
        if plan.direction == Direction::Restore && files.contains(&Subdir::Mess) {
            mess = std::fs::symlink_metadata(mover.yank_path(Subdir::Mess, m.id)).ok();
        }
        // An expire and its undo re-time a queued message in place; its mess file, which
        // neither touches, tells a recovery that the id still names it: the info file's inode
        // does not, as inodes are reused with the ids (crash49: a recovered expire re-dated
        // new mail, and qmail-send bounced it).
        if files.is_empty() && m.set_mtime.is_some() && plan.direction != Direction::Purge {
            mess = std::fs::symlink_metadata(mover.queue_path(Subdir::Mess, m.id)).ok();
        }
        let mut entry = JournalMessage {
            id: m.id,
            files,
            set_mtime: m.set_mtime,
            old_mtime: m.old_mtime,
            info_inode: m.info_inode,
            mess: mess.as_ref().map(MessStamp::of),
        };
        if entry.set_mtime.is_some() && plan.direction != Direction::Purge {
            match retime_now(plan.direction, &mut entry, mover, &earlier) {
                Retime::Go => {}
                Retime::Gone if entry.files.is_empty() => {
                    out.vanished.push(m.id);
                    continue;
                }
                Retime::Gone => entry.set_mtime = None,
                Retime::Refused(reason) => {
                    out.skipped.push(Refusal { id: m.id, reason });
                    continue;
                }
            }
        } else if entry.files.is_empty() {
            out.vanished.push(m.id);
            continue;
        }
        out.messages.push(entry);
    }
    Ok(out)
}

/// One batch being run (fresh or recovered).
struct BatchRun<'a> {
    direction: Direction,
    batch: &'a str,
    recovered: bool,
    /// Re-list each message's queue files before moving it: qmail-send may have run since
    /// it was journaled (a recovery; a run forced while it runs).
    recheck: bool,
}

impl BatchRun<'_> {
    fn run(
        &self,
        mover: &mut Mover<'_>,
        mut journal: JournalWriter,
        messages: &[JournalMessage],
        skip: &HashSet<MessageId>,
        progress: &AtomicU64,
        on_move: &mut dyn FnMut(&Path, &Path),
    ) -> Result<BatchOutcome, ActionError> {
        let mut out = BatchOutcome {
            batch: self.batch.to_string(),
            direction: self.direction,
            messages: 0,
            files: 0,
            failed: Vec::new(),
            gone: Vec::new(),
            retimed_only: (messages.iter()).all(|m| m.files.is_empty() && m.set_mtime.is_some()),
        };
        let mut split: Vec<(MessageId, String)> = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            if skip.contains(&m.id) {
                // Failed in the killed run, whose report nobody saw: counted and named with
                // this one's, as the journal's `done` line counts them (crash49: `failed: 0`
                // after four `failed` lines).
                let why = "failed before the interruption and left whole where it was (its \
                           reason is in the batch's journal)";
                out.failed.push((m.id, why.to_string()));
                continue;
            }
            let ops_before = mover.ops;
            match apply(mover, (self.direction, self.recheck), m, on_move) {
                Ok(0) if gone(mover, self.direction, m) => out.gone.push(m.id),
                Ok(n) => {
                    out.messages += 1;
                    out.files += u64::from(n);
                }
                Err(f) => {
                    let reason = format!("{}: {}", f.path.display(), f.error);
                    if f.is_split {
                        split.push((m.id, reason));
                    } else {
                        // The rollback's renames reach the disk before the line that says the
                        // message is whole where it was: recovery skips a failed message, and
                        // after a power cut it would skip one left half-moved.
                        if mover.ops > ops_before {
                            for dir in message_dirs(mover, m) {
                                fsync_dir(&dir)?;
                            }
                        }
                        journal.failed(m.id, &reason)?;
                        out.failed.push((m.id, reason));
                    }
                }
            }
            progress.fetch_add(1, Ordering::Relaxed);
            if (i + 1) % PROGRESS_EVERY == 0 {
                journal.progress((i + 1) as u64)?;
            }
        }
        if let Some((_, reason)) = split.first() {
            // Leave the batch open: `qtriage recover` retries these once the cause is fixed.
            return Err(ActionError::Split {
                batch: self.batch.to_string(),
                reason: reason.clone(),
                ids: split.into_iter().map(|s| s.0).collect(),
            });
        }
        for dir in &mover.touched {
            fsync_dir(dir)?;
        }
        mover.fail.before_done();
        journal.done(out.messages, out.failed.len() as u64, self.recovered)?;
        Ok(out)
    }
}

/// The directories a message's files move between: its queue directories and the yank area.
fn message_dirs(mover: &Mover<'_>, m: &JournalMessage) -> BTreeSet<PathBuf> {
    let queue = m.files.iter().filter_map(|s| {
        let p = mover.queue_path(*s, m.id);
        p.parent().map(Path::to_path_buf)
    });
    queue.chain([mover.yank_dir.to_path_buf()]).collect()
}

/// Apply one journal message in `direction`; returns the files changed.
fn apply(
    mover: &mut Mover<'_>,
    (direction, recheck): (Direction, bool),
    m: &JournalMessage,
    on_move: &mut dyn FnMut(&Path, &Path),
) -> Result<u32, MoveFailure> {
    match direction {
        Direction::Yank => {
            still_journaled(mover, m)?;
            if let Some(path) = recheck.then(|| grown(mover, m)).flatten() {
                // Whole in the queue again (its mess back, if it had moved), never split.
                mover.move_message(m.id, &m.files, Toward::Queue, on_move)?;
                return Err(MoveFailure {
                    path,
                    error: std::io::Error::other(GROWN),
                    is_split: false,
                });
            }
            mover.move_message(m.id, &m.files, Toward::Yank, on_move)
        }
        Direction::Restore => {
            let mut n = mover.move_message(m.id, &m.files, Toward::Queue, on_move)?;
            if let Some(t) = m.set_mtime {
                still_retimed_message(mover, m)?;
                mover.set_info_mtime(m.id, t, m.info_inode)?;
                n += 1;
            }
            Ok(n)
        }
        Direction::Purge => mover.purge_message(m.id, &m.files),
        Direction::Expire => match m.set_mtime {
            Some(t) => {
                still_retimed_message(mover, m)?;
                mover.set_info_mtime(m.id, t, m.info_inode).map(|()| 1)
            }
            None => Ok(0),
        },
    }
}

/// Complete every interrupted batch in the yank area `yank_dir` of the queue at `queue_root`:
/// takes the locks (refusing while qmail-send runs unless `opts.force`).
pub fn recover(
    queue_root: &Path,
    yank_dir: &Path,
    opts: &ExecuteOptions,
) -> Result<RecoveryReport, ActionError> {
    recover_counting(queue_root, yank_dir, opts, &AtomicU64::new(0))
}

/// [`recover`], counting in `progress` each message of the interrupted batches as it is made
/// whole (`qtriage recover` shows it: completing 93,000 messages took 31 s).
pub fn recover_counting(
    queue_root: &Path,
    yank_dir: &Path,
    opts: &ExecuteOptions,
    progress: &AtomicU64,
) -> Result<RecoveryReport, ActionError> {
    let pending = unfinished(yank_dir)?;
    if pending.is_empty() && journal::pending_files(&journal_dir(yank_dir))?.is_empty() {
        return Ok(RecoveryReport::default());
    }
    // Its moves are rename(2)s as a batch's are: refused the same way, before taking the lock.
    check_same_filesystem(queue_root, yank_dir)?;
    refuse_before_writing(queue_root, yank_dir, true, opts.force)?;
    let _guard = Guard::acquire(queue_root, yank_dir, true, opts.force)?;
    recover_locked(yank_dir, queue_root, opts, progress)
}

/// Recover the interrupted batches of `plan`'s yank area, the queue's default one and every
/// other area the queue's actions used ([`super::area::registered`]); the caller holds the
/// queue's lock.
fn recover_every_area(plan: &Plan, opts: &ExecuteOptions) -> Result<RecoveryReport, ActionError> {
    let none = AtomicU64::new(0);
    let mut all = recover_locked(&plan.yank_dir, &plan.queue_root, opts, &none)?;
    let others = super::area::every_area(&plan.queue_root).into_iter();
    for area in others.filter(|a| !super::area::same_dir(a, &plan.yank_dir)) {
        if unfinished(&area)?.is_empty() && journal::pending_files(&journal_dir(&area))?.is_empty()
        {
            continue;
        }
        let _area = lock_actions(&journal_dir(&area))?;
        let report = recover_locked(&area, &plan.queue_root, opts, &none)?;
        all.completed.extend(report.completed);
        all.abandoned.extend(report.abandoned);
    }
    Ok(all)
}

/// The journals that are neither done nor abandoned.
pub fn unfinished(yank_dir: &Path) -> Result<Vec<PathBuf>, ActionError> {
    let mut out = Vec::new();
    for path in journal::journal_files(&journal_dir(yank_dir))? {
        if !journal::is_finished(&path)? {
            out.push(path);
        }
    }
    Ok(out)
}

/// Recovery proper; the caller holds the locks. Idempotent: a message already whole on its
/// batch's side is left as it is, so a crash during recovery is recovered the same way.
fn recover_locked(
    yank_dir: &Path,
    queue_root: &Path,
    opts: &ExecuteOptions,
    progress: &AtomicU64,
) -> Result<RecoveryReport, ActionError> {
    let mut report = RecoveryReport::default();
    let dir = journal_dir(yank_dir);
    // What a run killed while writing its journal left: never sealed, so nothing of it moved,
    // and no line of it is needed to say so (a torn first line is all some of them hold).
    let mut unsealed = journal::pending_files(&dir)?;
    let mut batches = Vec::new();
    for path in unfinished(yank_dir)? {
        match journal::load(&path) {
            Err(e) if journal::is_torn_header(&e) => unsealed.push(path),
            batch => batches.push(batch?),
        }
    }
    for path in &unsealed {
        std::fs::remove_file(path).map_err(|e| ActionError::io(path, e))?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let id = name
            .strip_suffix(journal::PENDING_SUFFIX)
            .or_else(|| name.strip_suffix(journal::JOURNAL_SUFFIX))
            .unwrap_or(&name);
        report.abandoned.push(id.to_string());
    }
    if !unsealed.is_empty() {
        journal::fsync_dir(&dir)?;
    }
    for batch in batches {
        let path = batch.path.clone();
        match batch.state {
            BatchState::Unsealed => {
                // Never sealed, so by the write order nothing of it was moved.
                JournalWriter::reopen(&path)?.abandon()?;
                report.abandoned.push(batch.header.batch);
                continue;
            }
            BatchState::Done | BatchState::Abandoned => continue,
            BatchState::Interrupted => {}
        }
        let mut mover = Mover {
            queue_root,
            layout: Layout {
                split: batch.header.split,
                big_todo: batch.header.big_todo,
            },
            yank_dir,
            fail: Armed::new(opts.failpoint, FailOp::Recover),
            ops: 0,
            touched: Default::default(),
        };
        let run = BatchRun {
            direction: batch.header.direction,
            batch: &batch.header.batch,
            recovered: true,
            recheck: true,
        };
        let journal = JournalWriter::reopen(&path)?;
        let done = run.run(
            &mut mover,
            journal,
            &batch.messages,
            &batch.failed,
            progress,
            &mut |_, _| {},
        )?;
        report.completed.push(done);
    }
    Ok(report)
}

mod journaled;
use journaled::{gone, grown, still_journaled, GROWN};
