//! `qtriage restore --batch ID | --all | QUERY`: put yanked messages back (or undo an expire).

use crate::size::thousands;
use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, Plan, RestoreSelection};
use crate::query;
use crate::queue::{Interner, MessageId, MessageRecord};

use super::print::actions::ActionJson;
use super::print::json::write_line;
use crate::sanitize::{sanitize_bytes, sanitize_path};

/// Arguments of `restore`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["batch", "all", "query", "ids"])))]
pub struct RestoreArgs {
    /// Restore the messages of this batch (an expire batch gets its old info mtimes back).
    #[arg(long, value_name = "ID")]
    pub batch: Option<String>,
    /// Restore everything in the yank area, also what qmail-remove yanked.
    #[arg(long)]
    pub all: bool,
    /// Restore the yanked messages this query matches; several words are joined with spaces.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    /// Restore these yanked ids: one a line (`#ID` accepted); `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    pub ids: Option<std::path::PathBuf>,
    /// Common action flags.
    #[command(flatten)]
    pub act: ActArgs,
    /// What the server calls its own: a query's `cluster:` terms are valued as `plan` values
    /// its clusters under the same flags.
    #[command(flatten)]
    pub context: super::clusters::ContextArgs,
    /// vpopmail's directory, for its default domain, as `plan --vpopmail` reads it.
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL")]
    pub vpopmail: Option<std::path::PathBuf>,
}

/// Run `restore`.
pub fn run(
    global: &GlobalArgs,
    args: &RestoreArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    act::report_error(run_inner(global, args, out))
}

/// The yanked messages `query` selects, as their records ([`query::yanked::select_yanked`],
/// judged under the flags `plan` was given: its default domain names bare logins, newuser49b:
/// 7,075 put back of 10,794). `list --yanked` lists what this selects.
pub fn select_yanked(
    query: &query::Query,
    queue: &crate::queue::Queue,
    (yank_dir, flags): (&std::path::Path, super::clusters::ContextFlags<'_>),
    strings: &Interner,
) -> anyhow::Result<Vec<MessageRecord>> {
    // `age:` counts from QTRIAGE_NOW, as `list` on the queue does (mix63: the yank area's
    // ages were the clock's, and `restore 'age:<20m'` found nothing the queue's `list` had).
    let now = super::clusters::now()?;
    let ctx = match query.needs_tables() {
        true => act::context_for(queue, flags)?,
        false => Default::default(),
    };
    Ok(query::yanked::select_yanked(
        query,
        queue,
        yank_dir,
        strings,
        (&ctx, now),
    )?)
}

/// What `--batch`, `--ids`, the query or `--all` select: the selection, its journal text, the
/// `--ids` that are not in the yank area, and the records a query picked (else none).
type Chosen = (RestoreSelection, String, Vec<MessageId>, Vec<MessageRecord>);

/// What `--batch`, `--ids`, the query or `--all` select ([`Chosen`]).
fn selection(
    args: &RestoreArgs,
    ids: Option<Vec<MessageId>>,
    (queue, yank_dir): (&crate::queue::Queue, &std::path::Path),
    strings: &Interner,
) -> anyhow::Result<Chosen> {
    Ok(match (&args.batch, ids) {
        (Some(b), _) => (
            RestoreSelection::Batch(b.clone()),
            format!("--batch {b}"),
            vec![],
            vec![],
        ),
        (None, Some(ids)) => {
            let yanked: std::collections::HashSet<MessageId> = actions::list_yanked(yank_dir)?
                .iter()
                .map(|y| y.id)
                .collect();
            let unknown = ids
                .iter()
                .copied()
                .filter(|id| !yanked.contains(id))
                .collect();
            let text = format!("--ids ({} ids)", ids.len());
            (RestoreSelection::Picked(ids), text, unknown, vec![])
        }
        (None, None) if !args.query.is_empty() => {
            let query = act::parse_query(&act::query_text(&args.query))?;
            let flags = args.context.flags(args.vpopmail.as_deref());
            let records = select_yanked(&query, queue, (yank_dir, flags), strings)?;
            let ids = records.iter().map(|r| r.id).collect();
            (
                RestoreSelection::Picked(ids),
                query.to_string(),
                vec![],
                records,
            )
        }
        (None, None) => (RestoreSelection::All, "--all".to_string(), vec![], vec![]),
    })
}

/// Of `records` (a query's picks), those `plan` restores, in its order.
fn planned(plan: &Plan, mut records: Vec<MessageRecord>) -> Vec<MessageRecord> {
    let order: std::collections::HashMap<MessageId, usize> = (plan.messages.iter().enumerate())
        .map(|(i, m)| (m.id, i))
        .collect();
    records.retain(|r| order.contains_key(&r.id));
    records.sort_by_key(|r| order.get(&r.id).copied());
    records
}

fn run_inner(
    global: &GlobalArgs,
    args: &RestoreArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let ids = args.ids.as_deref().map(act::read_ids).transpose()?;
    let queue = act::open(global)?;
    let yank_dir = args.act.checked_yank_dir(&queue)?;
    let opts = args.act.execute_options()?;
    if args.act.apply {
        act::recover_first(queue.root(), &yank_dir, &opts)?;
    }
    let strings = Interner::new();
    let (selection, text, unknown, picked) = selection(args, ids, (&queue, &yank_dir), &strings)?;
    let was_picked = matches!(selection, RestoreSelection::Picked(_));
    let unknown_json = act::unknown_json(&unknown, "in the yank area");
    let plan = actions::plan_restore(&queue, &yank_dir, &selection, &text)?;
    // Before it runs: an undo asks the yank area which of its messages were picked back.
    let (kind, stay_picked) = kind_line(&plan, was_picked);
    if plan.messages.is_empty() {
        // A batch's messages are fixed: one with none left (undone already) has nothing to
        // do whatever qmail-send does, and refusing made the operator stop it for nothing
        // (review53b).
        if !matches!(selection, actions::RestoreSelection::Batch(_)) {
            act::refuse_idle_apply(&plan, &args.act)?;
        }
        if args.act.json {
            write_line(
                out,
                &ActionJson::nothing(&plan, &unknown_json, args.act.apply),
            )?;
        } else {
            act::print_unknown(out, &unknown, "not in the yank area")?;
            act::print_problems(out, &plan, None)?;
            // Say where it looked: a mistyped --yank-dir, or a batch undone already.
            let area = sanitize_path(&yank_dir);
            writeln!(out, "nothing to restore: no selected message is in {area}")?;
        }
        return Ok(ExitCode::NoMatch);
    }
    if !args.act.apply {
        let picked = planned(&plan, picked);
        if args.act.json {
            let mut j =
                ActionJson::dry_run(&plan, &unknown_json, act::apply_command(&plan.queue_root));
            if !picked.is_empty() {
                j = j.with_records(&picked, &strings);
            }
            j.picked_back = stay_picked;
            write_line(out, &j)?;
        } else {
            act::print_unknown(out, &unknown, "not in the yank area")?;
            let sample = if picked.is_empty() {
                // A query read them all already; a batch, ids or `--all` only for the sample.
                actions::restore::sample_records(&plan, super::yank::SAMPLE, &strings)
            } else {
                picked
            };
            print_dry_run(out, (&plan, kind.as_deref()), (&sample, &strings))?;
            if was_picked {
                let picks = plan.messages.iter().map(|m| m.id).collect();
                let flags = args.context.flags(args.vpopmail.as_deref());
                let culprits =
                    super::restore_check::culprits_picked(global, &queue, &yank_dir, flags, &picks);
                super::restore_check::print_warning(out, &culprits)?;
            }
        }
        return Ok(if unknown.is_empty() {
            ExitCode::Success
        } else {
            ExitCode::NoMatch
        });
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    if args.act.json {
        let mut j = ActionJson::applied(&plan, &unknown_json, &outcome, None);
        j.picked_back = stay_picked;
        write_line(out, &j)?;
    } else {
        act::print_unknown(out, &unknown, "not in the yank area")?;
        act::print_problems(out, &plan, Some(&outcome))?;
    }
    let Some(b) = &outcome.batch else {
        if !args.act.json {
            writeln!(out, "nothing restored: every selected message was gone")?;
        }
        return Ok(ExitCode::NoMatch);
    };
    if !args.act.json {
        writeln!(
            out,
            "restored {} ({}) in batch {}",
            crate::size::counted(b.messages, "message", "messages"),
            crate::size::counted(b.files, "file", "files"),
            b.batch
        )?;
        if let Some(line) = &kind {
            writeln!(out, "{line}")?;
        }
    }
    let clean = b.failed.is_empty() && plan.refused.is_empty() && unknown.is_empty();
    Ok(if clean {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    })
}

/// What a restore of picked messages is, said in its dry run and when applied.
const VERDICT: &str = "picked back as real mail: qtriage plan and report leave them while \
     they are queued (qtriage list restored:yes lists them)";

/// What an undo (`--batch`, `--all`) is.
const UNDO: &str = "an undo: qtriage plan judges these messages again (pick them back by a \
     query or --ids to keep them as real mail)";

/// What a pick from another yank area than the queue's own is.
const ELSEWHERE: &str = "not remembered as real mail: qtriage plan and report read the picks \
     of the queue's own yank area (<queue>/yanked) only, and judge these messages again";

/// The line saying what kind of restore `plan` is (`picked`: chosen by a query or `--ids`),
/// and for an undo how many of its messages stay picked back (picked before their last yank:
/// [`actions::restored::still_picked`], asked before the restore runs); none for the undo of
/// an expire, which moves no message.
fn kind_line(plan: &Plan, picked: bool) -> (Option<String>, Option<usize>) {
    let moves = plan.messages.iter().any(|m| !m.files.is_empty());
    match (plan.verdict, picked) {
        (true, _) => (Some(VERDICT.into()), Some(0)),
        (false, true) => (Some(ELSEWHERE.into()), Some(0)),
        (false, false) if moves => match actions::restored::still_picked(plan) {
            Ok(0) => (Some(UNDO.into()), Some(0)),
            Ok(n) if n == plan.messages.len() => {
                let line = "an undo: these were picked back as real mail before their last yank \
                     and stay so: qtriage plan leaves them (qtriage list restored:yes lists them)";
                (Some(line.into()), Some(n))
            }
            Ok(n) => {
                let stay = crate::size::counted(n as u64, "message", "messages");
                let line = format!(
                    "an undo: qtriage plan judges these messages again, all but {stay} picked \
                     back as real mail before their last yank, which stay so (qtriage list \
                     restored:yes lists them)"
                );
                (Some(line), Some(n))
            }
            Err(e) => {
                let words = actions::restored::unknown_words(&e);
                let line = format!("an undo; {words}: qtriage plan refuses until it is read");
                (
                    Some(crate::sanitize::sanitize_str(&line).into_owned()),
                    None,
                )
            }
        },
        _ => (None, Some(0)),
    }
}

/// The dry run: counts, a sample (with each message's sender and subject), what picking back
/// means, the state of qmail-send, the command to apply.
fn print_dry_run(
    out: &mut dyn Write,
    (plan, kind): (&Plan, Option<&str>),
    (read, strings): (&[MessageRecord], &Interner),
) -> std::io::Result<()> {
    act::print_problems(out, plan, None)?;
    let what = if plan.messages.iter().all(|m| m.files.is_empty()) {
        "would put back the info mtimes of"
    } else {
        "would restore"
    };
    writeln!(
        out,
        "{what} {} ({} recipients, {}) from {} into {}",
        crate::size::counted(plan.message_count() as u64, "message", "messages"),
        thousands(plan.recipients()),
        act::human_bytes(plan.bytes()),
        sanitize_path(&plan.yank_dir),
        sanitize_path(&plan.queue_root)
    )?;
    let read: std::collections::HashMap<MessageId, &MessageRecord> =
        read.iter().map(|r| (r.id, r)).collect();
    for m in plan.messages.iter().take(super::yank::SAMPLE) {
        let files: Vec<&str> = m.files.iter().map(|s| s.name()).collect();
        let size = crate::size::human_bytes(m.bytes);
        write!(out, "  #{}  {}  {size}", m.id, files.join(","))?;
        if let Some(r) = read.get(&m.id) {
            let text = |sym: Option<crate::queue::Sym>, none: &str| match sym {
                Some(s) => sanitize_bytes(&strings.resolve(s)).into_owned(),
                None => none.to_string(),
            };
            // `-` for no subject, as `list` and `yank` show it.
            write!(
                out,
                "  <{}>  {}",
                text(r.sender, ""),
                text(r.headers.subject, "-")
            )?;
        }
        writeln!(out)?;
    }
    // Said as what applying it would do: `picked back as real mail: ...` alone read as done
    // (newuser57).
    if let Some(line) = kind {
        writeln!(out, "once applied: {line}")?;
    }
    writeln!(out, "{}", act::mta_line(plan))?;
    writeln!(out, "apply with: {}", act::apply_line(&plan.queue_root))
}
