//! `qtriage expire QUERY`: set info mtimes back past queuelifetime, so qmail-send bounces them.

use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, ExpireOptions};
use crate::queue::Interner;

use super::act::Selected;
use super::print::actions::ActionJson;
use super::print::json::write_line;

/// The warning every expire prints, once its query and queue are good: before an error it was
/// the line a script read as the error, without `qtriage:` (script53).
pub const BACKSCATTER_WARNING: &str =
    "qtriage: warning: expired messages are BOUNCED by qmail-send at its next \
attempt, to their envelope senders. During a spam flood those senders are forged: the bounces are \
backscatter and can get this server blacklisted. Prefer `qtriage yank`. Undo with `qtriage \
restore --batch ID --apply` before qmail-send retries them.";

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
    /// qmail-send's queuelifetime in seconds [default: control/queuelifetime beside the queue,
    /// else 604800].
    #[arg(long, value_name = "SECS")]
    pub lifetime: Option<i64>,
    /// Common action flags.
    #[command(flatten)]
    pub act: ActArgs,
    /// The server's own domains and uids, as `plan` was given them.
    #[command(flatten)]
    pub context: super::clusters::ContextArgs,
    /// vpopmail's directory, for its default domain, as `plan --vpopmail` reads it: the plan's
    /// bare logins are the same accounts here.
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL")]
    pub vpopmail: Option<std::path::PathBuf>,
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
    let opts = args.act.execute_options()?;
    let strings = Interner::new();
    let (queue, sel) = Selected::load(
        global,
        "expire",
        (&args.query, args.context.flags(args.vpopmail.as_deref())),
        args.ids.as_deref(),
        |queue| args.act.checked_yank_dir(queue).map(drop),
        &strings,
        !args.act.apply,
    )?;
    let eopts = ExpireOptions {
        yank_dir: args.act.yank_dir(&queue),
        query: sel.text.clone(),
        lifetime: args
            .lifetime
            .unwrap_or_else(|| actions::queue_lifetime(queue.root())),
        now: opts.now,
        at: None,
    };
    let plan = actions::plan_expire(&queue, &sel.records, &eopts);
    let empty = plan.messages.is_empty();
    match empty {
        true => act::refuse_idle_apply(&plan, &args.act)?,
        false => warnln!("{BACKSCATTER_WARNING}"),
    }
    if empty || !args.act.apply {
        let picked_back = super::restored::picked_back_in(&queue, &plan, sel.restored.as_ref());
        if args.act.json {
            let mut j =
                ActionJson::dry_run(&plan, &sel.unknown_json(), act::apply_command(queue.root()))
                    .with_records(&sel.records, &strings);
            j.picked_back = picked_back;
            j.not_in_plan =
                (sel.not_in_plan.as_ref()).map(super::wire::actions::NotInPlanJson::new);
            if empty {
                j.applied = args.act.apply;
                j.apply_command = None;
            }
            write_line(out, &j)?;
            return Ok(if empty { ExitCode::NoMatch } else { sel.exit() });
        }
        act::print_unknown(out, &sel.unknown, "not in the queue")?;
        act::print_problems(out, &plan, None)?;
        if empty {
            writeln!(out, "no messages to expire")?;
            return Ok(ExitCode::NoMatch);
        }
        writeln!(
            out,
            "would expire {} ({}): qmail-send will bounce them",
            crate::size::counted(plan.message_count() as u64, "message", "messages"),
            crate::size::counted(plan.recipients(), "recipient", "recipients")
        )?;
        super::restored::print_picked_back(out, picked_back, super::restored::EXPIRING_PICKS)?;
        let not_in_plan = (sel.not_in_plan.as_ref(), picked_back);
        super::plan_check::print_not_in_plan(out, not_in_plan, super::plan_check::EXPIRING)?;
        writeln!(out, "{}", act::mta_line(&plan))?;
        writeln!(out, "apply with: {}", act::apply_line(queue.root()))?;
        return Ok(sel.exit());
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    if args.act.json {
        write_line(
            out,
            &ActionJson::applied(&plan, &sel.unknown_json(), &outcome, global.split),
        )?;
    } else {
        act::print_unknown(out, &sel.unknown, "not in the queue")?;
        act::print_problems(out, &plan, Some(&outcome))?;
    }
    let Some(b) = &outcome.batch else {
        if !args.act.json {
            writeln!(out, "nothing expired")?;
        }
        return Ok(ExitCode::NoMatch);
    };
    if !args.act.json {
        let n = crate::size::counted(b.messages, "message", "messages");
        writeln!(out, "expired {n} in batch {}", b.batch)?;
        writeln!(
            out,
            "undo with: {}",
            act::undo_command(&b.batch, &plan, global.split)
        )?;
    }
    Ok(sel.exit())
}
