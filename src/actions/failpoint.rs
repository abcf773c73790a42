//! Failpoints: make every crash point of an action reachable from a test (`QTRIAGE_FAILPOINT`).
//!
//! `OP:STEP[:N]`, where OP is the batch direction (`yank`, `restore`, `purge`, `expire`) or
//! `recover`, and STEP is one of
//! - `in-journal`: abort while the batch record is written, half its first line on disk (as a
//!   SIGKILL in the middle of the write leaves it);
//! - `after-journal`: abort once the batch record is written and fsync'd, before any file moves;
//! - `after-rename:N`: abort right after the N-th file operation (rename; unlink for purge;
//!   utime for expire), counted over the whole batch, so a message can be left split;
//! - `pause-after-rename:N`: after the N-th operation print `qtriage: failpoint paused` on
//!   stderr and wait for a line on stdin (a test can then look at locks, or SIGKILL us);
//! - `before-done`: abort after every move and directory fsync, before the batch is marked done;
//! - `journal-enospc`: the journal write fails with ENOSPC (for systems where a tiny tmpfs
//!   cannot be mounted).
//!
//! Aborting uses `std::process::abort`, which is as abrupt as SIGKILL for the files: no
//! destructor runs, nothing is flushed that was not already written.

use std::io::{BufRead, Write};

use super::error::ActionError;

/// The operation a failpoint applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOp {
    /// A batch of this direction name (`yank`, `restore`, `purge`, `expire`).
    Batch(&'static str),
    /// Recovery of an interrupted batch.
    Recover,
}

/// Where in the batch the failpoint fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailStep {
    /// While the batch record is written: half its first line on disk, then abort.
    InJournal,
    /// After the batch record is durable, before the first file operation.
    AfterJournal,
    /// After the N-th file operation: abort.
    AfterRename(u64),
    /// After the N-th file operation: pause until a line arrives on stdin.
    PauseAfterRename(u64),
    /// After all operations and directory fsyncs, before the done mark.
    BeforeDone,
    /// Writing the journal fails with ENOSPC.
    JournalEnospc,
}

/// A parsed `QTRIAGE_FAILPOINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failpoint {
    /// Which operation.
    pub op: FailOp,
    /// Which step.
    pub step: FailStep,
}

const OPS: [&str; 4] = ["yank", "restore", "purge", "expire"];

impl Failpoint {
    /// Parse `OP:STEP[:N]`.
    pub fn parse(spec: &str) -> Result<Failpoint, ActionError> {
        let bad = || ActionError::BadFailpoint {
            spec: spec.to_string(),
        };
        let mut it = spec.splitn(3, ':');
        let op = match it.next().ok_or_else(bad)? {
            "recover" => FailOp::Recover,
            name => FailOp::Batch(OPS.into_iter().find(|o| *o == name).ok_or_else(bad)?),
        };
        let step = it.next().ok_or_else(bad)?;
        let n = it
            .next()
            .map(|n| n.parse::<u64>().map_err(|_| bad()))
            .transpose()?;
        let step = match (step, n) {
            ("in-journal", None) => FailStep::InJournal,
            ("after-journal", None) => FailStep::AfterJournal,
            ("after-rename", Some(n)) => FailStep::AfterRename(n),
            ("pause-after-rename", Some(n)) => FailStep::PauseAfterRename(n),
            ("before-done", None) => FailStep::BeforeDone,
            ("journal-enospc", None) => FailStep::JournalEnospc,
            _ => return Err(bad()),
        };
        Ok(Failpoint { op, step })
    }
}

/// The failpoint as seen by one running batch (or recovery): fires only for its own op.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Armed {
    step: Option<FailStep>,
}

impl Armed {
    /// Arm `fp` for a run of `op`.
    pub(crate) fn new(fp: Option<Failpoint>, op: FailOp) -> Armed {
        Armed {
            step: fp.filter(|f| f.op == op).map(|f| f.step),
        }
    }

    /// A run with no failpoint.
    #[cfg(test)]
    pub(crate) fn none() -> Armed {
        Armed { step: None }
    }

    /// Called while the batch record is written, with `partial` the start of its first line:
    /// write that much, make it durable and abort.
    pub(crate) fn in_journal(&self, file: &mut std::fs::File, partial: &[u8]) {
        if self.step == Some(FailStep::InJournal) {
            let _ = file.write_all(partial).and_then(|()| file.sync_all());
            std::process::abort();
        }
    }

    /// Called once the batch record is durable.
    pub(crate) fn after_journal(&self) {
        if self.step == Some(FailStep::AfterJournal) {
            std::process::abort();
        }
    }

    /// Called after the `count`-th file operation of the batch.
    pub(crate) fn after_rename(&self, count: u64) {
        match self.step {
            Some(FailStep::AfterRename(n)) if n == count => std::process::abort(),
            Some(FailStep::PauseAfterRename(n)) if n == count => pause(),
            _ => {}
        }
    }

    /// Called after the directory fsyncs, before the done mark.
    pub(crate) fn before_done(&self) {
        if self.step == Some(FailStep::BeforeDone) {
            std::process::abort();
        }
    }

    /// Should the journal write fail with ENOSPC?
    pub(crate) fn journal_enospc(&self) -> bool {
        self.step == Some(FailStep::JournalEnospc)
    }
}

fn pause() {
    let mut err = std::io::stderr();
    // Best effort: the test waits for this line; if stderr is gone there is no one to wait.
    let _ = writeln!(err, "qtriage: failpoint paused");
    let _ = err.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_step() {
        let fp = Failpoint::parse("yank:after-rename:10").expect("valid");
        assert_eq!(
            fp,
            Failpoint {
                op: FailOp::Batch("yank"),
                step: FailStep::AfterRename(10)
            }
        );
        let fp = Failpoint::parse("recover:before-done").expect("valid");
        assert_eq!(fp.op, FailOp::Recover);
        assert_eq!(
            Failpoint::parse("restore:pause-after-rename:3")
                .expect("valid")
                .step,
            FailStep::PauseAfterRename(3)
        );
        assert_eq!(
            Failpoint::parse("expire:in-journal").expect("valid").step,
            FailStep::InJournal
        );
        for bad in [
            "",
            "yank",
            "yank:in-journal:1",
            "yank:after-rename",
            "eat:after-journal",
            "yank:after-journal:x",
        ] {
            assert!(Failpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fires_only_for_its_op() {
        let fp = Failpoint::parse("yank:journal-enospc").ok();
        assert!(Armed::new(fp, FailOp::Batch("yank")).journal_enospc());
        assert!(!Armed::new(fp, FailOp::Recover).journal_enospc());
        assert!(!Armed::none().journal_enospc());
    }
}
