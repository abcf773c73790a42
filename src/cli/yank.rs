//! `qtriage yank QUERY`: dry run by default; `--apply` moves the messages into the yank area.

use crate::size::{counted, thousands};
use std::collections::{HashMap, HashSet};
use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, Plan, PlanOptions};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::queue::{Interner, MessageId, MessageRecord, Queue};
use crate::sanitize::{sanitize_bytes, sanitize_path};

use super::act::Selected;
use super::print::actions::ActionJson;
use super::print::json::write_line;
use super::wire::actions::NotInPlanJson;

/// How many messages the dry run shows.
pub const SAMPLE: usize = 10;
/// How many values per key the dry run shows before `+N more`.
pub const CLUSTERS_SHOWN: usize = 20;
/// The keys the dry run groups by when the query tests none (`age:<30m`, `size:>1M`).
pub const DEFAULT_KEYS: [ClusterKey; 2] = [ClusterKey::AuthUser, ClusterKey::OriginIp];

/// Arguments of `yank`.
#[derive(Debug, clap::Args)]
pub struct YankArgs {
    /// The query selecting the messages (docs/query.md), e.g. 'auth:test'; several words are
    /// joined with spaces (`yank auth:test or uid:48`).
    #[arg(
        value_name = "QUERY",
        required_unless_present = "ids",
        conflicts_with = "ids"
    )]
    pub query: Vec<String>,
    /// Yank these ids instead of a query: one a line (`#ID` accepted); `-` reads stdin.
    #[arg(long, value_name = "FILE")]
    pub ids: Option<std::path::PathBuf>,
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

/// Run `yank`.
pub fn run(global: &GlobalArgs, args: &YankArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    act::report_error(run_inner(global, args, out))
}

fn run_inner(
    global: &GlobalArgs,
    args: &YankArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let opts = args.act.execute_options()?;
    let strings = Interner::new();
    let recover_first = |queue: &Queue| -> anyhow::Result<()> {
        let yank_dir = args.act.checked_yank_dir(queue)?;
        actions::area::check_outside_qmail_dirs(queue.root(), &yank_dir)?;
        if args.act.apply {
            act::recover_first(queue.root(), &yank_dir, &opts)?;
        }
        Ok(())
    };
    let (queue, sel) = Selected::load(
        global,
        "yank",
        (&args.query, args.context.flags(args.vpopmail.as_deref())),
        args.ids.as_deref(),
        recover_first,
        &strings,
        !args.act.apply,
    )?;
    let popts = PlanOptions {
        yank_dir: args.act.yank_dir(&queue),
        query: sel.text.clone(),
    };
    let plan = actions::plan_yank(&queue, &sel.records, &popts);
    if plan.messages.is_empty() {
        act::refuse_idle_apply(&plan, &args.act)?;
        report_nothing(out, args, &sel, &plan)?;
        return Ok(ExitCode::NoMatch);
    }
    if !args.act.apply {
        let picked_back = super::restored::picked_back_in(&queue, &plan, sel.restored.as_ref());
        report_dry_run(out, args, (&sel, picked_back), &plan, &strings)?;
        return Ok(sel.exit());
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    report_applied(out, args.act.json, global.split, &sel, &plan, &outcome)
}

/// Nothing to yank: say why (nothing matched, or none has finished queueing).
fn report_nothing(
    out: &mut dyn Write,
    args: &YankArgs,
    sel: &Selected,
    plan: &Plan,
) -> anyhow::Result<()> {
    if args.act.json {
        let j = ActionJson::nothing(plan, &sel.unknown_json(), args.act.apply);
        write_line(out, &j)?;
        return Ok(());
    }
    act::print_unknown(out, &sel.unknown, "not in the queue")?;
    if !plan.refused.is_empty() {
        act::print_problems(out, plan, None)?;
        writeln!(
            out,
            "nothing to yank: every selected message is left where it is (above)"
        )?;
    } else {
        match &sel.query {
            Some(_) => writeln!(
                out,
                "no messages match {}",
                crate::sanitize::quoted(&act::query_text(&args.query))
            )?,
            None => writeln!(out, "no message of --ids is in the queue")?,
        }
    }
    Ok(())
}

/// The dry run: the plan with the clusters it hits and a sample, and the command to apply it.
fn report_dry_run(
    out: &mut dyn Write,
    args: &YankArgs,
    (sel, picked_back): (&Selected, Option<usize>),
    plan: &Plan,
    strings: &Interner,
) -> anyhow::Result<()> {
    if args.act.json {
        let mut j = ActionJson::dry_run(
            plan,
            &sel.unknown_json(),
            act::apply_command(&plan.queue_root),
        )
        .with_records(&sel.records, strings);
        j.picked_back = picked_back;
        j.not_in_plan = sel.not_in_plan.as_ref().map(NotInPlanJson::new);
        write_line(out, &j)?;
        return Ok(());
    }
    act::print_unknown(out, &sel.unknown, "not in the queue")?;
    let mut keys = sel
        .query
        .as_ref()
        .map(|q| q.cluster_keys())
        .unwrap_or_default();
    if keys.is_empty() {
        keys = DEFAULT_KEYS.to_vec();
    }
    let shown = Selection {
        records: &sel.records,
        rest: &sel.rest,
        keys: &keys,
        tables: &sel.tables,
        picked_back,
        not_in_plan: sel.not_in_plan.as_ref(),
    };
    print_dry_run(out, plan, &shown, strings)?;
    act::print_problems(out, plan, None)?;
    Ok(())
}

/// After `--apply`: the batch written and how to undo it, or why nothing was yanked.
fn report_applied(
    out: &mut dyn Write,
    json: bool,
    split: Option<u32>,
    sel: &Selected,
    plan: &Plan,
    outcome: &actions::Outcome,
) -> anyhow::Result<ExitCode> {
    if json {
        write_line(
            out,
            &ActionJson::applied(plan, &sel.unknown_json(), outcome, split),
        )?;
    } else {
        act::print_unknown(out, &sel.unknown, "not in the queue")?;
        act::print_problems(out, plan, Some(outcome))?;
    }
    let Some(b) = &outcome.batch else {
        if !json {
            writeln!(
                out,
                "nothing yanked: every selected message was gone or left in place"
            )?;
        }
        return Ok(ExitCode::NoMatch);
    };
    if !json {
        writeln!(
            out,
            "yanked {} ({}) into {} in batch {}",
            counted(b.messages, "message", "messages"),
            counted(b.files, "file", "files"),
            sanitize_path(&plan.yank_dir),
            b.batch
        )?;
        writeln!(
            out,
            "undo with: {}",
            act::undo_command(&b.batch, plan, split)
        )?;
    }
    Ok(
        if b.failed.is_empty() && plan.refused.is_empty() && outcome.skipped.is_empty() {
            sel.exit()
        } else {
            ExitCode::NoMatch
        },
    )
}

/// What a dry run describes: the messages selected, those left, the keys to group them by.
pub struct Selection<'a> {
    /// The selected messages.
    pub records: &'a [MessageRecord],
    /// The messages the query leaves in the queue.
    pub rest: &'a [MessageRecord],
    /// The keys the query tests (or [`DEFAULT_KEYS`]).
    pub keys: &'a [ClusterKey],
    /// The tables the selection was judged with (the whole queue's sender patterns, accounts
    /// by `--default-domain`).
    pub tables: &'a crate::analysis::Tables,
    /// Of the messages the yank takes, those picked back as real mail (`None`: not known).
    pub picked_back: Option<usize>,
    /// Of the selection, what `qtriage plan` would leave in the queue (`None`: not asked).
    pub not_in_plan: Option<&'a crate::analysis::plan::NotInPlan>,
}

/// The dry run: counts, clusters hit, a sample, the state of qmail-send, the command to apply.
pub fn print_dry_run(
    out: &mut dyn Write,
    plan: &Plan,
    sel: &Selection<'_>,
    strings: &Interner,
) -> std::io::Result<()> {
    // A message the plan leaves in place (still being queued, a link...) is neither sampled nor
    // counted as hit: it remains in the queue with the rest.
    let refused: HashSet<MessageId> = plan.refused.iter().map(|r| r.id).collect();
    let records: Vec<&MessageRecord> = sel
        .records
        .iter()
        .filter(|r| !refused.contains(&r.id))
        .collect();
    let left: Vec<&MessageRecord> = sel
        .rest
        .iter()
        .chain(sel.records.iter().filter(|r| refused.contains(&r.id)))
        .collect();
    writeln!(
        out,
        "would yank {} ({}, {}) from {} into {}",
        counted(plan.message_count() as u64, "message", "messages"),
        counted(plan.recipients(), "recipient", "recipients"),
        act::human_bytes(plan.bytes()),
        sanitize_path(&plan.queue_root),
        sanitize_path(&plan.yank_dir)
    )?;
    for &key in sel.keys {
        write_clusters_hit(out, key, sel.tables, (&records, &left), strings)?;
    }
    writeln!(
        out,
        "would remain in the queue: {}",
        counted(left.len() as u64, "message", "messages")
    )?;
    super::restored::print_picked_back(out, sel.picked_back, super::restored::YANKING_PICKS)?;
    let not_in_plan = (sel.not_in_plan, sel.picked_back);
    super::plan_check::print_not_in_plan(out, not_in_plan, super::plan_check::YANKING)?;
    writeln!(out, "sample:")?;
    for r in records.iter().take(SAMPLE) {
        let sender = r
            .sender
            .map(|s| strings.resolve(s))
            .unwrap_or_else(|| std::sync::Arc::from(&b""[..]));
        // `-` for none, as `list` shows it: a blank reads as a column missing.
        let subject = r
            .headers
            .subject
            .map(|s| strings.resolve(s))
            .unwrap_or_else(|| std::sync::Arc::from(&b"-"[..]));
        writeln!(
            out,
            "  #{}  <{}>  {} rcpt  {}  {}",
            r.id,
            sanitize_bytes(&sender),
            r.recipients.len(),
            crate::size::human_bytes(u64::from(r.size)),
            sanitize_bytes(&subject)
        )?;
    }
    writeln!(out, "{}", act::mta_line(plan))?;
    writeln!(out, "apply with: {}", act::apply_line(&plan.queue_root))
}

/// One key's `clusters hit` block: every value of the selection with how many messages it has
/// and how many of that value the yank leaves queued, up to [`CLUSTERS_SHOWN`], then `+N more`.
fn write_clusters_hit(
    out: &mut dyn Write,
    key: ClusterKey,
    tables: &crate::analysis::Tables,
    (taken, left): (&[&MessageRecord], &[&MessageRecord]),
    strings: &Interner,
) -> std::io::Result<()> {
    // Valued with the whole queue's tables, as `clusters` values them: the selection or the
    // rest alone would learn other sender patterns.
    let mut ex = tables.borrow().extractor(key, strings);
    let mut count = |records: &[&MessageRecord]| {
        let mut n: HashMap<Option<KeyValue>, usize> = HashMap::new();
        for r in records {
            *n.entry(ex.value(r)).or_default() += 1;
        }
        n
    };
    let left = count(left);
    let mut hit: Vec<(Option<KeyValue>, usize)> = count(taken).into_iter().collect();
    // Largest first, then by value, as `clusters` lists them ((none) first among equals).
    hit.sort_by(|a, b| {
        b.1.cmp(&a.1).then_with(|| match (&a.0, &b.0) {
            (Some(x), Some(y)) => x.cmp_text(y, strings),
            (a, b) => a.is_some().cmp(&b.is_some()),
        })
    });
    let plural = if hit.len() == 1 { "" } else { "s" };
    writeln!(
        out,
        "clusters hit ({}): {} value{plural}",
        key.name(),
        hit.len()
    )?;
    for (value, messages) in hit.iter().take(CLUSTERS_SHOWN) {
        let shown = value.map_or_else(|| "(none)".to_string(), |v| v.shown(key, strings));
        writeln!(
            out,
            "  {:>8}  {}  ({} left in the queue)",
            thousands(*messages as u64),
            sanitize_bytes(shown.as_bytes()),
            thousands(left.get(value).copied().unwrap_or(0) as u64)
        )?;
    }
    if let Some(more) = hit.get(CLUSTERS_SHOWN..).filter(|m| !m.is_empty()) {
        let messages: usize = more.iter().map(|c| c.1).sum();
        let (n, messages) = (
            thousands(more.len() as u64),
            counted(messages as u64, "message", "messages"),
        );
        writeln!(out, "  +{n} more ({messages})")?;
    }
    Ok(())
}
