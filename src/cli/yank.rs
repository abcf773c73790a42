//! `qtriage yank QUERY`: dry run by default; `--apply` moves the messages into the yank area.

use std::collections::HashMap;
use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, Plan, PlanOptions};
use crate::analysis::cluster::{cluster, AnalysisContext};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::queue::{Interner, MessageRecord};
use crate::sanitize::sanitize_bytes;

/// How many messages the dry run shows.
pub const SAMPLE: usize = 10;
/// How many values per key the dry run shows before `+N more`.
pub const CLUSTERS_SHOWN: usize = 20;
/// The keys the dry run groups by when the query tests none (`age:<30m`, `size:>1M`).
pub const DEFAULT_KEYS: [ClusterKey; 2] = [ClusterKey::AuthUser, ClusterKey::OriginIp];

/// Arguments of `yank`.
#[derive(Debug, clap::Args)]
pub struct YankArgs {
    /// The query selecting the messages (docs/query.md), e.g. 'auth:test'.
    pub query: String,
    /// Common action flags.
    #[command(flatten)]
    pub act: ActArgs,
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
    let query = act::parse_query(&args.query)?;
    let queue = act::open(global)?;
    let yank_dir = args.act.yank_dir(&queue);
    let opts = args.act.execute_options()?;
    if args.act.apply {
        // Complete interrupted batches first, so the scan sees whole messages.
        let rec = actions::recover(queue.root(), &yank_dir, &opts)?;
        for b in &rec.completed {
            eprintln!(
                "qtriage: recovered interrupted batch {} ({})",
                b.batch,
                b.direction.name()
            );
        }
    }
    let strings = Interner::new();
    let (records, rest) = act::select_split(&queue, &strings, &query)?;
    let popts = PlanOptions {
        yank_dir,
        query: query.to_string(),
    };
    let plan = actions::plan_yank(&queue, &records, &popts);
    if plan.messages.is_empty() {
        writeln!(out, "no messages match {:?}", args.query)?;
        return Ok(ExitCode::NoMatch);
    }
    if !args.act.apply {
        let mut keys = query.cluster_keys();
        if keys.is_empty() {
            keys = DEFAULT_KEYS.to_vec();
        }
        let sel = Selection {
            records: &records,
            rest: &rest,
            keys: &keys,
            now: super::clusters::now()?,
        };
        print_dry_run(out, &plan, &sel, &strings)?;
        return Ok(ExitCode::Success);
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    act::print_problems(out, &plan, Some(&outcome))?;
    let Some(b) = &outcome.batch else {
        writeln!(out, "nothing yanked: every selected message was gone")?;
        return Ok(ExitCode::NoMatch);
    };
    writeln!(
        out,
        "yanked {} messages ({} files) into {} in batch {}",
        b.messages,
        b.files,
        plan.yank_dir.display(),
        b.batch
    )?;
    writeln!(
        out,
        "undo with: qtriage restore --batch {} --apply",
        b.batch
    )?;
    Ok(if b.failed.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    })
}

/// What a dry run describes: the messages selected, those left, the keys to group them by.
pub struct Selection<'a> {
    /// The selected messages.
    pub records: &'a [MessageRecord],
    /// The messages the query leaves in the queue.
    pub rest: &'a [MessageRecord],
    /// The keys the query tests (or [`DEFAULT_KEYS`]).
    pub keys: &'a [ClusterKey],
    /// "Now" for the clusters' rates.
    pub now: i64,
}

/// The dry run: counts, clusters hit, a sample, the state of qmail-send, the command to apply.
pub fn print_dry_run(
    out: &mut dyn Write,
    plan: &Plan,
    sel: &Selection<'_>,
    strings: &Interner,
) -> std::io::Result<()> {
    let records = sel.records;
    writeln!(
        out,
        "would yank {} messages ({} recipients, {}) from {} into {}",
        plan.message_count(),
        plan.recipients(),
        act::human_bytes(plan.bytes()),
        plan.queue_root.display(),
        plan.yank_dir.display()
    )?;
    let ctx = AnalysisContext {
        now: sel.now,
        ..AnalysisContext::default()
    };
    for &key in sel.keys {
        write_clusters_hit(out, key, sel, strings, &ctx)?;
    }
    writeln!(
        out,
        "would remain in the queue: {} messages",
        sel.rest.len()
    )?;
    writeln!(out, "sample:")?;
    for r in records.iter().take(SAMPLE) {
        let sender = r
            .sender
            .map(|s| strings.resolve(s))
            .unwrap_or_else(|| std::sync::Arc::from(&b""[..]));
        let subject = r
            .headers
            .subject
            .map(|s| strings.resolve(s))
            .unwrap_or_else(|| std::sync::Arc::from(&b""[..]));
        writeln!(
            out,
            "  #{}  <{}>  {} rcpt  {} bytes  {}",
            r.id,
            sanitize_bytes(&sender),
            r.recipients.len(),
            r.size,
            sanitize_bytes(&subject)
        )?;
    }
    writeln!(out, "{}", act::mta_line(plan))?;
    writeln!(out, "apply with: {}", act::apply_command())
}

/// One key's `clusters hit` block: every value of the selection with how many messages it has
/// and how many of that value the yank leaves queued, up to [`CLUSTERS_SHOWN`], then `+N more`.
fn write_clusters_hit(
    out: &mut dyn Write,
    key: ClusterKey,
    sel: &Selection<'_>,
    strings: &Interner,
    ctx: &AnalysisContext,
) -> std::io::Result<()> {
    let hit = cluster(sel.records, key, strings, ctx);
    let left: HashMap<Option<KeyValue>, usize> = cluster(sel.rest, key, strings, ctx)
        .into_iter()
        .map(|c| (c.value, c.messages))
        .collect();
    let plural = if hit.len() == 1 { "" } else { "s" };
    writeln!(
        out,
        "clusters hit ({}): {} value{plural}",
        key.name(),
        hit.len()
    )?;
    for c in hit.iter().take(CLUSTERS_SHOWN) {
        let value = c
            .value
            .map_or_else(|| "(none)".to_string(), |v| v.text(strings));
        writeln!(
            out,
            "  {:>8}  {}  ({} left in the queue)",
            c.messages,
            sanitize_bytes(value.as_bytes()),
            left.get(&c.value).copied().unwrap_or(0)
        )?;
    }
    if let Some(more) = hit.get(CLUSTERS_SHOWN..).filter(|m| !m.is_empty()) {
        let messages: usize = more.iter().map(|c| c.messages).sum();
        writeln!(out, "  +{} more ({messages} messages)", more.len())?;
    }
    Ok(())
}
