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
        // Without --yank-dir, the other areas actions on this queue used too: a batch killed
        // in one of them was `nothing to recover` (safety62).
        let mut areas = vec![yank_dir];
        if args.yank_dir.is_none() {
            for area in actions::area::registered(queue.root()) {
                match area.is_dir() {
                    true => areas.push(area),
                    // Moved or removed since: its batches are recovered only where it went
                    // (recheck62: `nothing to recover` for a renamed area, said plainly now).
                    false => warnln!("qtriage: note: {}", gone_area(&area)),
                }
            }
        }
        let mut all = actions::RecoveryReport::default();
        for (k, area) in areas.iter().enumerate() {
            let report = act::progress::counting("completing interrupted batches", |count| {
                actions::recover_counting(queue.root(), area, &opts, count)
            })?;
            if !args.json && k > 0 && !report.is_empty() {
                let shown = crate::sanitize::sanitize_bytes(area.as_os_str().as_encoded_bytes());
                writeln!(out, "in the yank area {shown}:")?;
            }
            for line in report
                .lines("completed batch", true)
                .iter()
                .filter(|_| !args.json)
            {
                writeln!(out, "{line}")?;
            }
            all.completed.extend(report.completed);
            all.abandoned.extend(report.abandoned);
        }
        if args.json {
            write_line(out, &RecoveredJson::from(&all))?;
        } else if all.is_empty() {
            writeln!(out, "nothing to recover")?;
        }
        Ok(ExitCode::Success)
    })())
}

/// The note for a yank area an action used that is no longer a directory.
pub fn gone_area(area: &std::path::Path) -> String {
    let shown = crate::sanitize::sanitize_bytes(area.as_os_str().as_encoded_bytes());
    format!(
        "the yank area {shown}, which an action on this queue used, is no longer there: if it \
         was moved, give its new path: qtriage recover --yank-dir DIR"
    )
}
