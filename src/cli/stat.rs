//! `qtriage stat`: qmail-qstat's two lines (listing `mess/` and `todo/` only, as the script
//! does), the per-state counts with `--states`, or one JSON object.

use std::io::Write;

use super::{exit::ExitCode, GlobalArgs};
use crate::queue::count::{count, count_qstat};

/// Arguments of `stat`.
#[derive(Debug, clap::Args)]
pub struct StatArgs {
    /// Print one JSON object instead of qmail-qstat's lines (lists every queue directory).
    #[arg(long)]
    pub json: bool,
    /// Also count local/, remote/, bounce/ and the problem entries (lists every queue
    /// directory, where qmail-qstat lists mess/ and todo/ only).
    #[arg(long)]
    pub states: bool,
}

/// Run `stat`.
pub fn run(global: &GlobalArgs, args: &StatArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    if args.json {
        // The JSON fields (local, remote, bouncing, problems) are a contract: always listed.
        super::print::json::write_line(out, &count(&queue)?)?;
        return Ok(ExitCode::Success);
    }
    let c = if args.states {
        count(&queue)?
    } else {
        count_qstat(&queue)?
    };
    writeln!(out, "messages in queue: {}", c.messages)?;
    writeln!(
        out,
        "messages in queue but not yet preprocessed: {}",
        c.unpreprocessed
    )?;
    if args.states {
        writeln!(
            out,
            "messages with local recipients to deliver: {}",
            c.local
        )?;
        writeln!(
            out,
            "messages with remote recipients to deliver: {}",
            c.remote
        )?;
        writeln!(out, "messages bouncing: {}", c.bouncing)?;
        writeln!(out, "problem entries: {}", c.problems)?;
    }
    Ok(ExitCode::Success)
}
