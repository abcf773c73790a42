//! `qtriage recover`: complete every interrupted batch in its own direction.

use std::io::Write;

use super::act::{self, ActArgs};
use super::print::actions::RecoveredJson;
use super::print::json::write_line;
use super::{exit::ExitCode, GlobalArgs};
use crate::actions;

/// Arguments of `recover`.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    /// Recover even while qmail-send runs (unsafe).
    #[arg(long)]
    pub force: bool,
    /// The yank area (default: <queue>/yanked).
    #[arg(long, value_name = "DIR")]
    pub yank_dir: Option<std::path::PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Run `recover`.
pub fn run(
    global: &GlobalArgs,
    args: &RecoverArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let act_args = ActArgs {
        apply: true,
        force: args.force,
        yank_dir: args.yank_dir.clone(),
        json: args.json,
    };
    act::report_error((|| {
        let queue = act::open(global)?;
        let yank_dir = act_args.yank_dir(&queue);
        let opts = act_args.execute_options()?;
        let report = act::progress::counting("completing interrupted batches", |count| {
            actions::recover_counting(queue.root(), &yank_dir, &opts, count)
        })?;
        if args.json {
            write_line(out, &RecoveredJson::from(&report))?;
            return Ok(ExitCode::Success);
        }
        if report.is_empty() {
            writeln!(out, "nothing to recover")?;
        }
        for line in report.lines("completed batch", true) {
            writeln!(out, "{line}")?;
        }
        Ok(ExitCode::Success)
    })())
}
