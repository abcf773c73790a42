//! The command line: clap arguments, and dispatch to one file per subcommand.

pub mod exit;
pub mod print;
pub mod read;
pub mod stat;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::queue::{Queue, QueueOptions};
use exit::ExitCode;

/// qtriage: find who is flooding a qmail queue, yank the spam, keep the mail.
#[derive(Debug, Parser)]
#[command(name = "qtriage", version, about, long_about = None)]
pub struct Args {
    /// Options every command shares.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command; none opens the TUI on a terminal.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// The qmail queue directory.
    #[arg(
        long,
        global = true,
        env = "QTRIAGE_QUEUE",
        default_value = "/var/qmail/queue"
    )]
    pub queue: PathBuf,
    /// conf-split (detected from mess/ when not given).
    #[arg(long, global = true, value_name = "N")]
    pub split: Option<u32>,
}

impl GlobalArgs {
    /// Open the queue these options name.
    pub fn open_queue(&self) -> crate::Result<Queue> {
        Queue::open(&self.queue, QueueOptions { split: self.split })
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count messages like qmail-qstat.
    Stat(stat::StatArgs),
    /// List messages like qmail-qread.
    Read(read::ReadArgs),
}

/// Parse the process arguments and run the command, writing to stdout.
pub fn run() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let code = dispatch(&args, &mut out)?;
    out.flush()?;
    Ok(code)
}

fn dispatch(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(Command::Stat(a)) => stat::run(&args.global, a, out),
        Some(Command::Read(a)) => read::run(&args.global, a, out),
        None => {
            use clap::CommandFactory;
            Args::command().print_help()?;
            Ok(ExitCode::Error)
        }
    }
}
