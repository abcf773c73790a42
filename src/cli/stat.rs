//! `qtriage stat`: qmail-qstat's two lines, or one JSON object.

use std::io::Write;

use super::{exit::ExitCode, GlobalArgs};
use crate::queue::count::count;

/// Arguments of `stat`.
#[derive(Debug, clap::Args)]
pub struct StatArgs {
    /// Print one JSON object instead of qmail-qstat's lines.
    #[arg(long)]
    pub json: bool,
}

/// Run `stat`.
pub fn run(global: &GlobalArgs, args: &StatArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    let c = count(&queue)?;
    if args.json {
        super::print::json::write_line(out, &c)?;
    } else {
        writeln!(out, "messages in queue: {}", c.messages)?;
        writeln!(
            out,
            "messages in queue but not yet preprocessed: {}",
            c.unpreprocessed
        )?;
    }
    Ok(ExitCode::Success)
}
