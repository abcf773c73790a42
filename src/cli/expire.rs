//! `qtriage expire QUERY`: set info mtimes back past queuelifetime, so qmail-send bounces them.

use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, ExpireOptions};
use crate::queue::Interner;

/// The warning every expire prints.
pub const BACKSCATTER_WARNING: &str =
    "WARNING: expired messages are BOUNCED by qmail-send at its next \
attempt, to their envelope senders. During a spam flood those senders are forged: the bounces are \
backscatter and can get this server blacklisted. Prefer `qtriage yank`. Undo with `qtriage \
restore --batch ID` before qmail-send retries them.";

/// Arguments of `expire`.
#[derive(Debug, clap::Args)]
pub struct ExpireArgs {
    /// The query selecting the messages.
    pub query: String,
    /// qmail-send's queuelifetime in seconds [default: control/queuelifetime beside the queue,
    /// else 604800].
    #[arg(long, value_name = "SECS")]
    pub lifetime: Option<i64>,
    /// Common action flags.
    #[command(flatten)]
    pub act: ActArgs,
}

/// Run `expire`.
pub fn run(
    global: &GlobalArgs,
    args: &ExpireArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    act::report_error(run_inner(global, args, out))
}

fn run_inner(
    global: &GlobalArgs,
    args: &ExpireArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    warnln!("{BACKSCATTER_WARNING}");
    let query = act::parse_query(&args.query)?;
    let queue = act::open(global)?;
    let yank_dir = args.act.yank_dir(&queue);
    let opts = args.act.execute_options()?;
    let strings = Interner::new();
    let records = act::select(&queue, &strings, &query)?;
    let eopts = ExpireOptions {
        yank_dir,
        query: query.to_string(),
        lifetime: args
            .lifetime
            .unwrap_or_else(|| actions::queue_lifetime(queue.root())),
        now: opts.now,
        at: None,
    };
    let plan = actions::plan_expire(&queue, &records, &eopts);
    if plan.messages.is_empty() {
        act::print_problems(out, &plan, None)?;
        writeln!(out, "no messages to expire")?;
        return Ok(ExitCode::NoMatch);
    }
    if !args.act.apply {
        act::print_problems(out, &plan, None)?;
        writeln!(
            out,
            "would expire {} messages ({} recipients): qmail-send will bounce them",
            plan.message_count(),
            plan.recipients()
        )?;
        writeln!(out, "{}", act::mta_line(&plan))?;
        writeln!(out, "apply with: {}", act::apply_command())?;
        return Ok(ExitCode::Success);
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    act::print_problems(out, &plan, Some(&outcome))?;
    let Some(b) = &outcome.batch else {
        writeln!(out, "nothing expired")?;
        return Ok(ExitCode::NoMatch);
    };
    writeln!(out, "expired {} messages in batch {}", b.messages, b.batch)?;
    writeln!(
        out,
        "undo with: qtriage restore --batch {} --apply",
        b.batch
    )?;
    Ok(ExitCode::Success)
}
