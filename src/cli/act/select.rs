//! Which messages an action on the queue (yank, expire) takes: its query or `--ids` read, the
//! queue scanned and split into the selection and the rest, and, for a dry run, what of the
//! selection `qtriage plan` would leave.

use anyhow::Context;

use super::super::clusters::ContextFlags;
use super::super::{exit::ExitCode, GlobalArgs};
use super::{open, parse_action_query, query_text, read_ids, unknown_json};
use crate::actions::Restored;
use crate::analysis::plan::NotInPlan;
use crate::query::{self, Query, QueryContext};
use crate::queue::{Interner, MessageId, MessageRecord, Queue, Scan, ScanOptions};

/// Scan `queue` and keep the records of `ids` (in queue order); the ids with no message in the
/// queue are returned apart, in the order given.
fn select_ids(
    queue: &Queue,
    strings: &Interner,
    ids: &[MessageId],
    check: Option<Check<'_>>,
) -> anyhow::Result<(Split, Vec<MessageId>)> {
    let mut s: Scan = crate::cli::scanning::scan(queue, strings, ScanOptions::default())
        .with_context(|| format!("scanning {}", queue.root().display()))?;
    crate::cli::print::problems::warn_unlisted_dirs(&s.report);
    let wanted: std::collections::HashSet<MessageId> = ids.iter().copied().collect();
    let chosen: Vec<usize> = (s.records.iter().enumerate())
        .filter(|(_, r)| wanted.contains(&r.id))
        .map(|(i, _)| i)
        .collect();
    let found: std::collections::HashSet<MessageId> =
        chosen.iter().map(|&i| s.records[i].id).collect();
    let unknown = ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect();
    let not_in_plan = check.map(|c| {
        let logs = crate::analysis::evidence::from_any_logs(&mut s.records, strings, c.evidence);
        let ctx = context_of(queue, c.context)?;
        Ok::<_, anyhow::Error>(c.not_in_plan(queue, (&s.records, &logs, &ctx, strings), &chosen))
    });
    let not_in_plan = not_in_plan.transpose()?;
    let (records, rest) = split(s.records, &chosen);
    Ok(((records, rest, not_in_plan), unknown))
}

/// A selection and the rest of the queue, both in queue order, and what of the selection the
/// plan would leave (`None`: not asked).
type Split = (Vec<MessageRecord>, Vec<MessageRecord>, Option<NotInPlan>);

/// `records` split into those at the ascending indices `chosen` and the rest, in queue order.
fn split(
    records: Vec<MessageRecord>,
    chosen: &[usize],
) -> (Vec<MessageRecord>, Vec<MessageRecord>) {
    let keep: std::collections::HashSet<usize> = chosen.iter().copied().collect();
    let (chosen, rest): (Vec<_>, Vec<_>) = records
        .into_iter()
        .enumerate()
        .partition(|(i, _)| keep.contains(i));
    let strip = |v: Vec<(usize, MessageRecord)>| v.into_iter().map(|(_, r)| r).collect();
    (strip(chosen), strip(rest))
}

/// A dry run's check of its selection against `qtriage plan` ([`crate::cli::plan_check`]).
#[derive(Clone, Copy)]
pub struct Check<'a> {
    /// The global flags (`--log`, for the yank area's messages).
    pub global: &'a GlobalArgs,
    /// The action's context flags, which the plan judges with.
    pub context: ContextFlags<'a>,
    /// `--log`'s evidence, applied to the scan as `plan` applies it.
    pub evidence: Option<&'a crate::logs::LogEvidence>,
}

impl Check<'_> {
    /// What of `chosen` the plan of the whole scan would leave.
    fn not_in_plan(
        &self,
        queue: &Queue,
        (records, logs, ctx, strings): crate::cli::plan::Judged<'_>,
        chosen: &[usize],
    ) -> NotInPlan {
        let scanned = crate::cli::plan_check::Scanned {
            queue,
            records,
            logs,
            ctx,
            strings,
        };
        let chosen: Vec<u32> = chosen.iter().map(|&i| i as u32).collect();
        crate::cli::plan_check::not_in_plan(self.global, self.context, &scanned, &chosen)
    }
}

/// The messages an action on the queue (yank, expire) selected: by query or by `--ids`.
pub struct Selected {
    /// The query, when one was given.
    pub query: Option<Query>,
    /// The selected records, in queue order.
    pub records: Vec<MessageRecord>,
    /// The records it leaves in the queue (what would remain), in queue order.
    pub rest: Vec<MessageRecord>,
    /// `--ids` that named no message in the queue.
    pub unknown: Vec<MessageId>,
    /// The tables the query's values were judged with (the whole queue's sender patterns,
    /// control files, `--default-domain`, `--passwd`): the dry run's `clusters hit` gives
    /// the values `clusters` gives.
    pub tables: crate::analysis::Tables,
    /// The selection as the journal records it.
    pub text: String,
    /// The messages the operator picked back, when the query's `restored:` read them: the dry
    /// run's warning counts with the same reading.
    pub restored: Option<Restored>,
    /// Of the selection, what `qtriage plan` would leave in the queue (a dry run asks; `None`
    /// when it did not).
    pub not_in_plan: Option<NotInPlan>,
}

impl Selected {
    /// Parse the query words or read `--ids`, then scan `queue` and select. Reading the ids
    /// and parsing come first, so a bad line or query touches nothing.
    ///
    /// An empty query is refused: it selects every message, and it is what an action gets
    /// from `"$(qtriage plan --query)"` when there is no culprit (`plan` prints nothing).
    /// `action` names the command in that refusal.
    pub fn load(
        global: &GlobalArgs,
        action: &str,
        (words, context): (&[String], ContextFlags<'_>),
        ids: Option<&std::path::Path>,
        before_scan: impl FnOnce(&Queue) -> anyhow::Result<()>,
        strings: &Interner,
        check_plan: bool,
    ) -> anyhow::Result<(Queue, Selected)> {
        let query = match ids {
            Some(_) => None,
            None => Some(parse_action_query(action, &query_text(words))?),
        };
        let ids = ids.map(read_ids).transpose()?;
        // Before the scan: a mistyped `--log` is said at once, not after reading the queue.
        let evidence = match query.is_some() || check_plan {
            true => global.load_logs()?,
            false => None,
        };
        let queue = open(global)?;
        before_scan(&queue)?;
        let check = check_plan.then_some(Check {
            global,
            context,
            evidence: evidence.as_ref(),
        });
        let selected = match (query, ids) {
            (Some(q), _) => {
                let restored = match q.needs_restored() {
                    true => Some(crate::cli::restored::restored_in(&queue)?),
                    false => None,
                };
                let none = Restored::default();
                let how = (
                    evidence.as_ref(),
                    context,
                    restored.as_ref().unwrap_or(&none),
                );
                let ((records, rest, not_in_plan), tables) =
                    select_split(&queue, strings, &q, how, check)?;
                Selected {
                    records,
                    rest,
                    tables,
                    not_in_plan,
                    unknown: Vec::new(),
                    text: q.to_string(),
                    query: Some(q),
                    restored,
                }
            }
            (None, ids) => {
                let ids = ids.unwrap_or_default();
                let ((records, rest, not_in_plan), unknown) =
                    select_ids(&queue, strings, &ids, check)?;
                // No query: the dry run shows the default keys, which need no sender patterns.
                let tables = crate::analysis::Tables {
                    ctx: context_of(&queue, context)?,
                    sender_patterns: Default::default(),
                };
                Selected {
                    query: None,
                    records,
                    rest,
                    unknown,
                    tables,
                    text: format!("--ids ({} ids)", ids.len()),
                    restored: None,
                    not_in_plan,
                }
            }
        };
        Ok((queue, selected))
    }

    /// Exit 1 when some `--ids` were unknown, else 0.
    pub fn exit(&self) -> ExitCode {
        if self.unknown.is_empty() {
            ExitCode::Success
        } else {
            ExitCode::NoMatch
        }
    }

    /// The unknown ids as `--json` `skipped` entries.
    pub fn unknown_json(&self) -> Vec<crate::cli::print::actions::SkippedJson> {
        unknown_json(&self.unknown, "in the queue")
    }
}

/// The context `plan` judges with under these flags (the queue's control files, `--local-domain`,
/// `--default-domain`, `--passwd`), without the queue's own local domains.
fn context_of(
    queue: &Queue,
    context: ContextFlags<'_>,
) -> anyhow::Result<crate::analysis::cluster::AnalysisContext> {
    Ok(crate::analysis::setup::Setup::context(&setup_options(queue, context)?).ctx)
}

/// The tables a query's `cluster:` terms over `records` are valued with under `flags` (the
/// queue's control files, `--local-domain`, `--default-domain`, `--passwd`, `--vpopmail`), as
/// `plan` values its clusters: `list` and `restore` select what `plan`'s query counted.
pub fn tables_for(
    queue: &Queue,
    flags: ContextFlags<'_>,
    records: &[MessageRecord],
    strings: &Interner,
) -> anyhow::Result<crate::analysis::Tables> {
    let ctx = context_for(queue, flags)?;
    Ok(crate::analysis::Tables::of(records, strings, &ctx))
}

/// The analysis context `flags` give on `queue` (its control files, default domain, user
/// names), as `plan` judges with it.
pub fn context_for(
    queue: &Queue,
    flags: ContextFlags<'_>,
) -> anyhow::Result<crate::analysis::context::AnalysisContext> {
    Ok(crate::analysis::setup::Setup::context(&setup_options(queue, flags)?).ctx)
}

fn setup_options(
    queue: &Queue,
    context: ContextFlags<'_>,
) -> anyhow::Result<crate::analysis::setup::SetupOptions> {
    // vpopmail's default domain too, as `plan --vpopmail` (or QTRIAGE_VPOPMAIL) reads it: bare
    // logins are the same accounts here as in the plan (review49: its query selected 7,111 of
    // the 10,794 messages it counted).
    let now = crate::cli::clusters::now()?;
    Ok(context.setup_options(queue.root(), Vec::new(), now))
}

/// Scan `queue` and split its records into those `query` matches and the rest (what would
/// remain in the queue), both in queue order, with the context the query was judged with.
/// With `--log`'s evidence, records whose headers name no AUTH user get the one the logs name
/// first, as `list` and `plan` give them, so `cluster:auth-user=` selects what `plan` counted.
/// `restored` answers `restored:`. With `check`, what of the selection the plan would leave.
fn select_split(
    queue: &Queue,
    strings: &Interner,
    query: &Query,
    (evidence, context, restored): (
        Option<&crate::logs::LogEvidence>,
        ContextFlags<'_>,
        &Restored,
    ),
    check: Option<Check<'_>>,
) -> anyhow::Result<(Split, crate::analysis::Tables)> {
    let mut s: Scan = crate::cli::scanning::scan(queue, strings, ScanOptions::default())
        .with_context(|| format!("scanning {}", queue.root().display()))?;
    crate::cli::print::problems::warn_unlisted_dirs(&s.report);
    let logs = crate::analysis::evidence::from_any_logs(&mut s.records, strings, evidence);
    let ctx = QueryContext {
        queue,
        strings,
        // `age:` counts from QTRIAGE_NOW, as in `list` and `clusters --where`.
        now: crate::cli::clusters::now()?,
        restored,
    };
    // The tables `plan` judged with (the whole queue's, under the same flags): the query's
    // `cluster:` terms and the dry run's values are the analysis'. The sender-pattern table
    // (a sort of every sender) only when a term needs it: the dry run shows that key only then.
    let setup = crate::analysis::setup::Setup::context(&setup_options(queue, context)?);
    let plan_ctx = check.is_some().then(|| setup.ctx.clone());
    let tables = match query.needs_queue_tables() {
        true => crate::analysis::Tables::of(&s.records, strings, &setup.ctx),
        false => crate::analysis::Tables {
            ctx: setup.ctx,
            sender_patterns: Default::default(),
        },
    };
    let chosen = query::select_with(query, &ctx, &s.records, None, Some(tables.borrow()));
    let not_in_plan = check.zip(plan_ctx).map(|(c, plan_ctx)| {
        c.not_in_plan(queue, (&s.records, &logs, &plan_ctx, strings), &chosen)
    });
    let (records, rest) = split(s.records, &chosen);
    Ok(((records, rest, not_in_plan), tables))
}
