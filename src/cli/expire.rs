//! `qtriage expire QUERY`: set info mtimes back past queuelifetime, so qmail-send bounces them.

use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, ExpireOptions, DEFAULT_QUEUE_LIFETIME};
use crate::queue::Interner;

use super::print::actions::{ActionJson, SkippedJson};
use super::print::json::write_line;

/// The warning every expire prints.
pub const BACKSCATTER_WARNING: &str =
    "WARNING: expired messages are BOUNCED by qmail-send at its next \
attempt, to their envelope senders. During a spam flood those senders are forged: the bounces are \
backscatter and can get this server blacklisted. Prefer `qtriage yank`. Undo with `qtriage \
restore --batch ID` before qmail-send retries them.";

/// Arguments of `expire`.
#[derive(Debug, clap::Args)]
pub struct ExpireArgs {
    /// The query selecting the messages; several words are joined with spaces.
    #[arg(
        value_name = "QUERY",
        required_unless_present = "ids",
        conflicts_with = "ids"
    )]
    pub query: Vec<String>,
    /// Expire these ids instead of a query: one a line (`#ID` accepted); `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    pub ids: Option<std::path::PathBuf>,
    /// qmail-send's queuelifetime in seconds (control/queuelifetime).
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_QUEUE_LIFETIME)]
    pub lifetime: i64,
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
    eprintln!("{BACKSCATTER_WARNING}");
    let query = match &args.ids {
        Some(_) => None,
        None => Some(act::parse_query(&act::query_text(&args.query))?),
    };
    let ids = args.ids.as_deref().map(act::read_ids).transpose()?;
    let queue = act::open(global)?;
    let yank_dir = args.act.yank_dir(&queue);
    let opts = args.act.execute_options()?;
    let strings = Interner::new();
    let (records, unknown, text) = match (&query, &ids) {
        (Some(q), _) => (act::select(&queue, &strings, q)?, Vec::new(), q.to_string()),
        (None, ids) => {
            let ids = ids.as_deref().unwrap_or_default();
            let (records, unknown) = act::select_ids(&queue, &strings, ids)?;
            (records, unknown, format!("--ids ({} ids)", ids.len()))
        }
    };
    let unknown_json: Vec<SkippedJson> = unknown
        .iter()
        .map(|id| SkippedJson::unknown(*id, "in the queue"))
        .collect();
    let eopts = ExpireOptions {
        yank_dir,
        query: text,
        lifetime: args.lifetime,
        now: opts.now,
        at: None,
    };
    let plan = actions::plan_expire(&queue, &records, &eopts);
    let partial = if unknown.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    };
    if plan.messages.is_empty() || !args.act.apply {
        if args.act.json {
            let mut j = ActionJson::dry_run(&plan, &unknown_json, act::apply_command())
                .with_records(&records, &strings);
            if plan.messages.is_empty() {
                j.applied = args.act.apply;
                j.apply_command = None;
            }
            write_line(out, &j)?;
        } else {
            act::print_unknown(out, &unknown, "not in the queue")?;
            act::print_problems(out, &plan, None)?;
        }
        if plan.messages.is_empty() {
            if !args.act.json {
                writeln!(out, "no messages to expire")?;
            }
            return Ok(ExitCode::NoMatch);
        }
        if !args.act.json {
            writeln!(
                out,
                "would expire {} messages ({} recipients): qmail-send will bounce them",
                plan.message_count(),
                plan.recipients()
            )?;
            writeln!(out, "{}", act::mta_line(&plan))?;
            writeln!(out, "apply with: {}", act::apply_command())?;
        }
        return Ok(partial);
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    if args.act.json {
        write_line(out, &ActionJson::applied(&plan, &unknown_json, &outcome))?;
        return Ok(if outcome.batch.is_some() {
            partial
        } else {
            ExitCode::NoMatch
        });
    }
    act::print_unknown(out, &unknown, "not in the queue")?;
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
    Ok(partial)
}
