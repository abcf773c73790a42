//! `qtriage yank QUERY`: dry run by default; `--apply` moves the messages into the yank area.

use std::io::Write;

use super::act::{self, ActArgs};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, Plan, PlanOptions};
use crate::analysis::cluster::{cluster, AnalysisContext};
use crate::analysis::key::ClusterKey;
use crate::queue::{Interner, MessageRecord};
use crate::sanitize::sanitize_bytes;

/// How many messages the dry run shows.
pub const SAMPLE: usize = 10;
/// How many clusters per key the dry run shows.
pub const CLUSTERS_SHOWN: usize = 5;

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
    let records = act::select(&queue, &strings, &query)?;
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
        print_dry_run(out, &plan, &records, &strings)?;
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

/// The dry run: counts, clusters hit, a sample, the state of qmail-send, the command to apply.
pub fn print_dry_run(
    out: &mut dyn Write,
    plan: &Plan,
    records: &[MessageRecord],
    strings: &Interner,
) -> std::io::Result<()> {
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
        now: super::clusters::now().unwrap_or_else(|_| actions::plan::unix_now()),
        ..AnalysisContext::default()
    };
    for key in [ClusterKey::AuthUser, ClusterKey::OriginIp] {
        writeln!(out, "clusters hit ({}):", key.name())?;
        for c in cluster(records, key, strings, &ctx)
            .iter()
            .take(CLUSTERS_SHOWN)
        {
            let value = c
                .value
                .map_or_else(|| "(none)".to_string(), |v| v.text(strings));
            writeln!(
                out,
                "  {:>8}  {}",
                c.messages,
                sanitize_bytes(value.as_bytes())
            )?;
        }
    }
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
