//! `qtriage plan`: the cleanup in one screen: every culprit with its strongest reason, one
//! query that `yank` takes, its counts, and what would remain.

pub use super::wire::plan::{
    HeldLoudJson, IpMessagesJson, OwnerLeftJson, PartLeftJson, PartlyYankedJson, PlanCulpritJson,
    PlanJson, RemainingJson,
};
use std::io::Write;

use super::clusters::{load_with_unlisted, AnalysisArgs, ContextFlags};
use super::print::json::write_line;
use super::print::wrap::Wrap;
use super::{exit::ExitCode, GlobalArgs};
use crate::analysis::key::ClusterKey;
use crate::analysis::plan::{self, Plan, PlanInput, YankedCulprit};
use crate::analysis::{Analysis, Want, TOP_LIMIT};
use crate::queue::problems::Unread;
use crate::sanitize::sanitize_bytes;

/// Arguments of `plan`.
#[derive(Debug, clap::Args)]
// `--json` is shared with `clusters` and `top`, which print one object per line; `plan` one.
#[command(mut_arg("json", |a| a.help("One JSON object (the plan) instead of text")))]
pub struct PlanArgs {
    /// Print only the combined query, for `qtriage yank "$(qtriage plan --query)"`; prints
    /// nothing and exits 1 when there is no culprit.
    #[arg(long, conflicts_with = "json")]
    pub query: bool,
    /// Shared options.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Run `plan`.
pub fn run(global: &GlobalArgs, args: &PlanArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let (a, unlisted_dirs) = match load_with_unlisted(
        global,
        &args.analysis,
        ClusterKey::AuthUser,
        TOP_LIMIT,
        Want::Ranking,
    )? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let unread = Unread::of(&a.records, unlisted_dirs);
    let queue = global.open_queue()?;
    // Not knowing what the operator picked back is not knowing what to leave: the plan is
    // shown, as of a queue read in part, with no query to apply.
    let (restored, unread_words) = match super::restored::restored_in(&queue) {
        Ok(r) => (r, unread.words(a.records.len())),
        Err(e) => {
            let words =
                format!("{e}: this plan may take that mail again, so it is no plan to apply");
            (Default::default(), Some(words))
        }
    };
    let judged = (&a.records[..], &a.logs, &a.ctx, &*a.strings);
    let yanked = yanked_culprits(global, args.analysis.context_flags(), &queue, judged);
    let mut p = plan_of(&a, &queue, &yanked, &restored);
    let query = full_query(&p, args.analysis.where_.as_deref());
    scope_left_queries(&mut p, args.analysis.where_.as_deref());
    if args.query {
        // No query from a queue read in part: `q=$(qtriage plan --query) && qtriage yank "$q"`
        // stops, and an empty query yanks nothing.
        if !query.is_empty() && unread_words.is_none() {
            // The query's values are message bytes: sanitized like any text output.
            writeln!(out, "{}", sanitize_bytes(query.as_bytes()))?;
        }
    } else if args.analysis.json {
        // No query to apply from a queue read in part, as with `--query`.
        let applicable = if unread_words.is_none() {
            query
        } else {
            String::new()
        };
        let mut j = PlanJson::new(&p, applicable);
        j.unread_messages = unread.messages;
        j.unlisted_dirs = unread.dirs;
        write_line(out, &j)?;
    } else {
        let analysed =
            super::clusters::analysed_line(a.records.len(), args.analysis.where_.as_deref());
        let share_of = match args
            .analysis
            .where_
            .as_deref()
            .is_some_and(|w| !w.trim().is_empty())
        {
            true => crate::analysis::rank::OF_SELECTION,
            false => crate::analysis::rank::OF_QUEUE,
        };
        write_text(
            out,
            &p,
            &query,
            (unread_words.as_deref(), &next_command(queue.root())),
            &analysed,
            share_of,
            global.wrap,
        )?;
    }
    if let Some(words) = unread_words {
        // On stderr always, as every exit 2 is (in the text it also heads the plan).
        warnln!("qtriage: {words}");
        return Ok(ExitCode::Error);
    }
    Ok(if p.culprits.is_empty() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

/// The plan of an analysis of `queue` (reads the bounces' quoted copies), with the culprits a
/// yank took ([`yanked_culprits`]) and without what the operator picked back (`restored`).
pub fn plan_of(
    a: &Analysis,
    queue: &crate::queue::Queue,
    yanked: &[YankedCulprit],
    restored: &crate::actions::Restored,
) -> Plan {
    let quoted = crate::query::files::quoted_bounces(queue, &a.records, &a.strings);
    let restored = restored.indices_in(&a.records);
    plan::build(PlanInput {
        records: &a.records,
        strings: &a.strings,
        tables: a.tables(),
        ranking: &a.top,
        quoted: &quoted,
        yanked,
        restored: &restored,
    })
}

/// The culprits a yank took from `queue` into its yank area, judged with the queue's messages
/// (`judged`: its records, their log facts, the context and the interner of its analysis) as
/// `report` judges them ([`crate::report::compose::yanked_culprits`]); the `--log` files are
/// applied to the yank area's messages as they were to the queue's.
pub fn yanked_culprits(
    global: &GlobalArgs,
    flags: ContextFlags<'_>,
    queue: &crate::queue::Queue,
    (records, logs, ctx, strings): Judged<'_>,
) -> Vec<YankedCulprit> {
    let yank_dir = crate::actions::default_yank_dir(queue.root());
    let apply_logs = |yanked: &mut [crate::queue::MessageRecord]| {
        if !global.has_logs() {
            return Ok(Default::default());
        }
        // Read again only now that the yank area holds messages (its notes were said).
        let options = flags.setup_options(queue.root(), global.logs.clone(), ctx.now);
        let setup = crate::analysis::setup::Setup::load(&options)
            .map_err(|e| format!("logs not read for the yank area: {e}"))?;
        Ok(setup.apply_logs(yanked, strings))
    };
    crate::report::compose::yanked_culprits(records, logs, ctx, &yank_dir, strings, apply_logs)
}

/// What [`yanked_culprits`] judges the yank area with: the queue's records, their log facts,
/// the analysis' context and the interner.
pub type Judged<'a> = (
    &'a [crate::queue::MessageRecord],
    &'a crate::analysis::evidence::LogFacts,
    &'a crate::analysis::context::AnalysisContext,
    &'a crate::queue::Interner,
);

/// The plan's query, limited to `--where`'s messages when one was given (the plan was made of
/// those only); empty when there is no culprit (an empty query would select everything).
/// The queries of what the plan leaves, within `--where` as the plan's own (review62: a left
/// part counted within the part listed the whole queue's).
fn scope_left_queries(p: &mut Plan, where_: Option<&str>) {
    let Some(w) = where_.map(str::trim).filter(|w| !w.is_empty()) else {
        return;
    };
    for c in &mut p.culprits {
        for l in [
            &mut c.local_left,
            &mut c.undiverted_left,
            &mut c.own_domain_left,
        ]
        .into_iter()
        .flatten()
        {
            l.query = format!("({w}) ({})", l.query);
        }
    }
}

fn full_query(p: &Plan, where_: Option<&str>) -> String {
    match where_.map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) if !p.query.is_empty() => format!("({w}) ({})", p.query),
        _ => p.query.clone(),
    }
}

/// The plan as text; `unread` says first what it could not read, and then it gives no command
/// to paste, else `next` ([`next_command`]). Its words wrap to `wrap`; the query and the command
/// stay one line to be pasted.
fn write_text(
    out: &mut dyn Write,
    p: &Plan,
    query: &str,
    (unread, next): (Option<&str>, &str),
    analysed: &str,
    share_of: crate::analysis::rank::ShareOf,
    wrap: Wrap,
) -> std::io::Result<()> {
    let safe = |s: &str| sanitize_bytes(s.as_bytes()).into_owned();
    if let Some(words) = unread {
        wrap.line(out, "", "  ", words)?;
    }
    wrap.line(out, "", "  ", analysed)?;
    if p.culprits.is_empty() {
        writeln!(out, "no culprit: nothing to yank")?;
        wrap.line(out, "", "  ", &safe(&p.remaining_words()))?;
        return write_held(out, p, wrap);
    }
    wrap.line(out, "", "  ", &format!("yank {}:", p.headline_of(share_of)))?;
    for c in p.listed_culprits() {
        let line = format!(
            "{} {}  ({})  {}",
            c.key.name(),
            safe(&c.value),
            c.counts_words(),
            safe(&c.reason)
        );
        wrap.line(out, "  ", "      ", &line)?;
        if let Some(left) = &c.owner_left {
            wrap.line(out, "      ", "        ", &safe(&left.words()))?;
        }
        for left in [&c.local_left, &c.undiverted_left, &c.own_domain_left]
            .into_iter()
            .flatten()
        {
            wrap.line(out, "      ", "        ", &safe(&left.words()))?;
        }
    }
    if let Some(words) = p.within_words() {
        wrap.line(out, "  ", "      ", &safe(&words))?;
    }
    if let Some(words) = p.left_out_words() {
        wrap.line(out, "  ", "    ", &words)?;
    }
    writeln!(out, "query: {}", safe(query))?;
    wrap.line(out, "", "  ", &safe(&p.remaining_words()))?;
    write_held(out, p, wrap)?;
    if unread.is_some() {
        return writeln!(out, "next: a plan of the whole queue (see the first line)");
    }
    // A shell comment: the whole line after `next: ` pastes (newuser55: the parenthesis was
    // a syntax error in bash and dash).
    writeln!(out, "next: {next}   # a dry run; add --apply to yank")
}

/// Suspects held with loud script voices among what remains: `plan` takes none of them, and
/// once said only `no culprit` of a shared host's hacked plugin (newuser56).
fn write_held(out: &mut dyn Write, p: &Plan, wrap: Wrap) -> std::io::Result<()> {
    const NAMED: usize = 2;
    let safe = |s: &str| sanitize_bytes(s.as_bytes()).into_owned();
    for h in p.held_loud.iter().take(NAMED) {
        wrap.line(out, "", "  ", &safe(&h.words()))?;
    }
    if p.held_loud.len() > NAMED {
        let more = p.held_loud.len() - NAMED;
        writeln!(out, "held, not taken: {more} more (qtriage top)")?;
    }
    for s in &p.suspects {
        wrap.line(out, "", "  ", &safe(&s.suspect_words()))?;
    }
    for b in &p.bounce_culprits {
        wrap.line(out, "", "  ", &safe(&b.bounce_words()))?;
    }
    for y in &p.partly_yanked {
        wrap.line(out, "", "  ", &safe(&y.words()))?;
    }
    Ok(())
}

/// `qtriage yank "$(qtriage plan --query)"`, with the queue and the options of this run: the
/// hint pasted as it is reads the same queue, makes the same plan, and selects with the same
/// context what the plan counted, from any directory (newuser53: a relative `--queue q` was
/// repeated as typed, where the apply lines name the queue absolutely).
fn next_command(queue_root: &std::path::Path) -> String {
    let mut yank = super::act::option_args(&["--split", "--log"]);
    yank.push("yank".into());
    yank.extend(super::act::option_args(&[
        "--local-domain",
        "--default-domain",
        "--passwd",
        "--vpopmail",
    ]));
    let mut plan: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    plan.push("--query".into());
    format!(
        "{} \"$({})\"",
        super::act::command_line(&yank, queue_root),
        super::act::command_line(&plan, queue_root)
    )
}

impl PlanJson {
    fn new(p: &Plan, query: String) -> PlanJson {
        PlanJson {
            messages: p.messages(),
            recipients: p.recipients,
            bytes: p.bytes,
            share: (p.share * 10_000.0).round() / 10_000.0,
            query,
            culprits: p
                .culprits
                .iter()
                .map(|c| PlanCulpritJson {
                    by: c.key.name(),
                    value: super::wire::Text(c.value_bytes.clone()),
                    verdict: "culprit",
                    score: c.score,
                    messages: c.messages,
                    counted_above: c.counted_above,
                    backscatter: c.backscatter,
                    from_log: c.from_log,
                    reason: c.reason.clone(),
                    query: c.query.clone(),
                    owner_left: c.owner_left.as_ref().map(|o| OwnerLeftJson {
                        messages: o.messages,
                        ips: (o.ips.iter())
                            .map(|(ip, n)| IpMessagesJson {
                                ip: super::wire::Text(ip.clone()),
                                messages: *n,
                            })
                            .collect(),
                    }),
                    local_left: c.local_left.as_ref().map(part_json),
                    undiverted_left: c.undiverted_left.as_ref().map(part_json),
                    own_domain_left: c.own_domain_left.as_ref().map(part_json),
                })
                .collect(),
            left_out: p.left_out,
            held_loud: p.held_loud.iter().map(HeldLoudJson::of).collect(),
            suspects: p.suspects.iter().map(HeldLoudJson::of).collect(),
            bounce_culprits: p.bounce_culprits.iter().map(HeldLoudJson::of).collect(),
            partly_yanked: (p.partly_yanked.iter())
                .map(|y| PartlyYankedJson {
                    by: y.key.name(),
                    value: super::wire::Text(y.value_bytes.clone()),
                    score: y.score,
                    yanked: y.yanked,
                    queued: y.queued,
                    reason: y.reason.clone(),
                    query: y.query.clone(),
                })
                .collect(),
            remaining: p.remaining_messages(),
            remaining_kinds: p
                .remaining
                .iter()
                .map(|r| RemainingJson {
                    messages: r.messages,
                    kind: r.words.clone(),
                })
                .collect(),
            unread_messages: 0,
            unlisted_dirs: 0,
        }
    }
}

impl HeldLoudJson {
    fn of(h: &plan::HeldLoud) -> HeldLoudJson {
        HeldLoudJson {
            by: h.key.name(),
            value: super::wire::Text(h.value_bytes.clone()),
            verdict: crate::analysis::rank::Verdict::of(h.score).name(),
            score: h.score,
            messages: h.messages,
            reason: h.reason.clone(),
        }
    }
}

/// A part of a culprit `plan` leaves, for `--json`.
fn part_json(l: &crate::analysis::plan::PartLeft) -> PartLeftJson {
    PartLeftJson {
        messages: l.messages,
        query: l.query.clone(),
        taken_elsewhere: l.taken_elsewhere,
    }
}
