//! `qtriage clusters`: the queue grouped by one key, as an aligned table or one JSON object per
//! cluster; also the loading and printing that `top` shares.

pub use super::wire::clusters::ClusterJson;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use super::print::json::{write_line, Text};
use super::{exit::ExitCode, GlobalArgs};
use crate::analysis::ages;
use crate::analysis::cluster::{AnalysisContext, Cluster};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::setup::{self, Setup, SetupOptions};
use crate::analysis::{
    analyse_part, analyse_with_logs, Analysis, AnalysisInput, Want, Whole, TOP_LIMIT,
};
use crate::query::{self, Query, QueryContext};
use crate::queue::date::rfc3339;
use crate::queue::{Interner, ScanOptions};
use crate::sanitize::{sanitize_bytes, sanitize_str};

/// Options shared by `clusters` and `top`: which messages, and what the server calls its own.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalysisArgs {
    /// Only messages matching this query (docs/query.md).
    #[arg(long = "where", value_name = "QUERY")]
    pub where_: Option<String>,
    /// What the server calls its own.
    #[command(flatten)]
    pub context: ContextArgs,
    /// The vpopmail directory whose `lastauth` files name each account's last login
    /// [default: /home/vpopmail when the queue is this host's].
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL")]
    pub vpopmail: Option<PathBuf>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What the server calls its own, beside its control files: the flags `clusters`, `top` and
/// `plan` judge with, and `yank` and `expire` value their queries' `cluster:` terms with (so
/// a plan's query selects there what it counted).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ContextArgs {
    /// A domain this server receives mail for (repeatable); added to control/locals,
    /// rcpthosts and virtualdomains next to the queue.
    #[arg(long = "local-domain", value_name = "D")]
    pub local_domain: Vec<String>,
    /// The domain of AUTH logins given without one (`test` is test@D's account) [default:
    /// control/defaultdomain, vpopmail's, control/me].
    #[arg(long = "default-domain", value_name = "D")]
    pub default_domain: Option<String>,
    /// passwd file naming uids, from the queue's host [default: /etc/passwd when the queue is
    /// this host's].
    #[arg(long, value_name = "FILE")]
    pub passwd: Option<PathBuf>,
}

/// Arguments of `clusters`.
#[derive(Debug, clap::Args)]
pub struct ClustersArgs {
    /// The key to group by.
    #[arg(long, value_enum)]
    pub by: ClusterKey,
    /// Show at most N clusters (largest first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// qshape's age matrix: per value, messages born 5, 10, 20, ... 1280 minutes ago and older.
    #[arg(long)]
    pub ages: bool,
    /// Shared options.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// `QTRIAGE_NOW` (unix seconds) if set, else the clock: the "now" of rates and ages.
pub fn now() -> anyhow::Result<i64> {
    setup::now_from_env().map_err(|v| anyhow::anyhow!("QTRIAGE_NOW={v:?} is not unix seconds"))
}

/// What a command's flags say about the server, for [`load_setup`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ContextFlags<'a> {
    /// `--local-domain`.
    pub local_domain: &'a [String],
    /// `--default-domain`.
    pub default_domain: Option<&'a str>,
    /// `--passwd`.
    pub passwd: Option<&'a std::path::Path>,
    /// `--vpopmail` (or QTRIAGE_VPOPMAIL), for vpopmail's default domain.
    pub vpopmail: Option<&'a std::path::Path>,
}

impl ContextFlags<'_> {
    /// The setup's options these flags give on the queue at `queue_root`, reading `logs`: the
    /// one place a command's flags become them (style53: built by hand in six places, `watch`
    /// left the default domain and vpopmail out and named `test` where `top` named
    /// `test@example.com`).
    pub fn setup_options(
        &self,
        queue_root: &std::path::Path,
        logs: Vec<PathBuf>,
        now: i64,
    ) -> SetupOptions {
        SetupOptions {
            queue_root: queue_root.to_path_buf(),
            local_domains: self.local_domain.to_vec(),
            default_domain: self.default_domain.map(str::to_string),
            passwd: self.passwd.map(PathBuf::from),
            vpopmail: self.vpopmail.map(PathBuf::from),
            logs,
            now,
        }
    }
}

impl ContextArgs {
    /// These flags, with `vpopmail` (an action's `--vpopmail`, or QTRIAGE_VPOPMAIL).
    pub fn flags<'a>(&'a self, vpopmail: Option<&'a std::path::Path>) -> ContextFlags<'a> {
        ContextFlags {
            local_domain: &self.local_domain,
            default_domain: self.default_domain.as_deref(),
            passwd: self.passwd.as_deref(),
            vpopmail,
        }
    }
}

impl AnalysisArgs {
    /// The context flags of `clusters` and `top`.
    pub fn context_flags(&self) -> ContextFlags<'_> {
        ContextFlags {
            local_domain: &self.context.local_domain,
            default_domain: self.context.default_domain.as_deref(),
            passwd: self.context.passwd.as_deref(),
            vpopmail: self.vpopmail.as_deref(),
        }
    }
}

/// The analysis' setup ([`Setup::load`], the one way in): control files next to the queue,
/// `flags`, the passwd, the `--log` files and `now`; what it read is said on stderr.
pub fn load_setup(
    global: &GlobalArgs,
    queue_root: &std::path::Path,
    flags: ContextFlags<'_>,
    now: i64,
) -> anyhow::Result<Setup> {
    let setup = Setup::load(&flags.setup_options(queue_root, global.logs.clone(), now))?;
    for note in setup.notes() {
        warnln!("qtriage: note: {}", sanitize_str(&note));
    }
    Ok(setup)
}

/// Scan, filter by `--where` and analyse; `Err(code)` when the query did not parse (already
/// reported on stderr).
pub fn load(
    global: &GlobalArgs,
    args: &AnalysisArgs,
    key: ClusterKey,
    top_limit: usize,
    want: Want,
) -> anyhow::Result<Result<Analysis, ExitCode>> {
    Ok(load_with_unlisted(global, args, key, top_limit, want)?.map(|(a, _)| a))
}

/// [`load`], and how many queue directories could not be listed (their messages are missing
/// from the analysis; said on stderr already).
pub fn load_with_unlisted(
    global: &GlobalArgs,
    args: &AnalysisArgs,
    key: ClusterKey,
    top_limit: usize,
    want: Want,
) -> anyhow::Result<Result<(Analysis, usize), ExitCode>> {
    let queue = global.open_queue()?;
    let now = now()?;
    let query = match Query::parse(args.where_.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => {
            report_query_error(args.where_.as_deref().unwrap_or(""), &e);
            return Ok(Err(ExitCode::Error));
        }
    };
    // Before the scan: a mistyped `--log` or `--passwd` is said at once, not after reading a
    // million messages.
    let setup = load_setup(global, queue.root(), args.context_flags(), now)?;
    let strings = Arc::new(Interner::new());
    let scanned = super::scanning::scan(&queue, &strings, ScanOptions::default())?;
    super::print::problems::warn_unlisted_dirs(&scanned.report);
    let unlisted = scanned.report.unreadable_dirs.len();
    let mut records = scanned.records;
    // Damaged messages are analysed with what could be read; say that they exist.
    if let Some(note) = crate::queue::problems::summary(&records) {
        warnln!("qtriage: note: {note}");
    }
    // Before the query, so `--where auth:USER` sees the users the logs name.
    let logs = setup.apply_logs(&mut records, &strings);
    // With `--where`, the part is judged with the whole queue's tables: its `cluster:` terms,
    // and those of the plan made of it, select what `list` and `yank` select in the queue.
    let whole = (!query.is_empty()).then(|| Whole::of(&records, &strings, &setup.ctx));
    if let Some(whole) = &whole {
        let restored = super::restored::restored_for(&query, &queue)?;
        let qctx = QueryContext {
            queue: &queue,
            strings: &strings,
            now,
            restored: &restored,
        };
        let tables = Some(whole.tables.borrow());
        let selected = query::select_with(&query, &qctx, &records, None, tables);
        records = keep_selected(records, selected);
    }
    let input = AnalysisInput {
        records,
        strings,
        ctx: setup.ctx,
        key,
        top_limit,
        want,
    };
    let analysis = match whole {
        Some(whole) => analyse_part(input, logs, whole),
        None => analyse_with_logs(input, logs),
    };
    Ok(Ok((analysis, unlisted)))
}

/// What the server calls its own, as `top` judges it with the same `flags` ([`Setup::context`],
/// without notes or logs): control/ next to the queue plus `--local-domain`, the default
/// domain, and uid names from `--passwd` or, for this host's queue, /etc/passwd.
pub fn analysis_context(
    queue_root: &std::path::Path,
    flags: ContextFlags<'_>,
    now: i64,
) -> AnalysisContext {
    Setup::context(&flags.setup_options(queue_root, Vec::new(), now)).ctx
}

/// The first line of `top`'s and `plan`'s text: how many messages were analysed. With
/// `--where` they are the ones it matched, not the queue.
pub fn analysed_line(messages: usize, where_: Option<&str>) -> String {
    let n = crate::size::thousands(messages);
    match where_.is_some_and(|w| !w.trim().is_empty()) {
        true => format!("{n} messages in queue match --where"),
        false => format!("{n} messages in queue"),
    }
}

/// The records at `selected` (ascending indices), in order.
fn keep_selected(
    mut records: Vec<crate::queue::MessageRecord>,
    selected: Vec<usize>,
) -> Vec<crate::queue::MessageRecord> {
    let mut keep = selected.into_iter().peekable();
    let mut i = 0usize;
    records.retain(|_| {
        let hit = keep.next_if_eq(&i).is_some();
        i += 1;
        hit
    });
    records
}

fn report_query_error(text: &str, e: &query::QueryError) {
    warnln!(
        "qtriage: bad --where query: {}",
        query::render_error(text, e)
    );
}

/// Run `clusters`.
pub fn run(
    global: &GlobalArgs,
    args: &ClustersArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let a = match load(global, &args.analysis, args.by, TOP_LIMIT, Want::Clusters)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let shown = &a.clusters[..a.clusters.len().min(args.limit.unwrap_or(usize::MAX))];
    if args.analysis.json {
        for c in shown {
            let mut j = ClusterJson::new(c, &a.strings);
            if args.ages {
                j.ages = Some(ages::cluster_ages(c, &a.records, a.ctx.now));
            }
            write_line(out, &j)?;
        }
    } else if args.ages {
        write_ages(out, &a, shown)?;
    } else {
        write_table(out, &a, shown)?;
    }
    Ok(if a.records.is_empty() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

impl ClusterJson {
    /// Build from a cluster.
    pub fn new(c: &Cluster, strings: &Interner) -> ClusterJson {
        ClusterJson {
            by: c.key.name(),
            value: c.value.map(|v| match v {
                KeyValue::Text(s) => Text(strings.resolve(s)),
                other => Text(Arc::from(other.text(strings).as_bytes())),
            }),
            messages: c.messages,
            recipients: c.recipients,
            bytes: c.bytes,
            first_queued: (c.first_queued != 0).then(|| rfc3339(c.first_queued)),
            last_queued: (c.last_queued != 0).then(|| rfc3339(c.last_queued)),
            per_minute: (c.per_minute * 1000.0).round() / 1000.0,
            score: c.score,
            verdict: c.value.map(|_| c.verdict().name()),
            reasons: c.reasons.clone(),
            query: cluster_query(c, strings),
            ages: None,
        }
    }
}

/// `cluster:KEY=VALUE`; the value is double-quoted (with `\"` and `\\` escaped, controls and
/// bidi characters as `\u{HEX}`, which the query language reads back) unless it is
/// made only of letters, digits and `._@-+/:=%,#[]` and does not start with `-`, so glob and
/// comparison characters (`*`, `?`, `<`, `>`) are always literal. `cluster:KEY=(none)` selects
/// the messages without a value.
pub fn cluster_query(c: &Cluster, strings: &Interner) -> String {
    let term = |b: Option<&[u8]>| crate::analysis::plan::term("cluster", c.key, b);
    match c.value {
        Some(v) => v.with_bytes(strings, |b| term(Some(b))),
        None => term(None),
    }
}

/// The value as shown in text: uids with their passwd name, `(none)` for no value, `<>` for
/// the null sender (see [`ClusterKey::empty_shown`]).
pub fn value_text(c: &Cluster, a: &Analysis) -> Vec<u8> {
    match c.value {
        None => b"(none)".to_vec(),
        Some(KeyValue::Text(s)) => match a.strings.resolve(s).to_vec() {
            empty if empty.is_empty() => c.key.empty_shown().as_bytes().to_vec(),
            text => text,
        },
        Some(KeyValue::Uid(u)) => match a.ctx.users.get(&u) {
            Some(name) => format!("{u} ({name})").into_bytes(),
            None => u.to_string().into_bytes(),
        },
        Some(v) => v.text(&a.strings).into_bytes(),
    }
}

/// The aligned table of `clusters`: counts, share, rate, score, verdict, value (and the query
/// for sender patterns, which is the point of that key).
pub fn write_table(out: &mut dyn Write, a: &Analysis, shown: &[Cluster]) -> std::io::Result<()> {
    let total = a.records.len().max(1);
    let with_query = a.key == ClusterKey::SenderPattern;
    let mut rows: Vec<Vec<String>> = vec![[
        "MESSAGES", "SHARE", "RCPTS", "BYTES", "PER-MIN", "SCORE", "VERDICT",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([a.key.name().to_ascii_uppercase()])
    .chain(with_query.then(|| "QUERY".to_string()))
    .collect()];
    for c in shown {
        let mut row = vec![
            crate::size::thousands(c.messages),
            crate::analysis::rank::percent(c.messages as f64 / total as f64),
            crate::size::thousands(c.recipients),
            crate::size::thousands(c.bytes),
            format!("{:.1}", c.per_minute),
            format!("{:.1}", c.score),
            if c.value.is_some() {
                c.verdict().name()
            } else {
                "-"
            }
            .to_string(),
            sanitize_bytes(&value_text(c, a)).into_owned(),
        ];
        if with_query {
            row.push(sanitize_str(&cluster_query(c, &a.strings)).into_owned());
        }
        rows.push(row);
    }
    write_aligned(out, &rows)
}

/// qshape's matrix: the value, the total `T`, then the messages per age bucket; a TOTAL row of
/// every message analysed first, as qshape prints it.
pub fn write_ages(out: &mut dyn Write, a: &Analysis, shown: &[Cluster]) -> std::io::Result<()> {
    let count = |ages: ages::Ages, total: usize| -> Vec<String> {
        std::iter::once(total.to_string())
            .chain(ages.iter().map(|n| n.to_string()))
            .collect()
    };
    let mut rows: Vec<Vec<String>> = vec![std::iter::once(a.key.name().to_ascii_uppercase())
        .chain(std::iter::once("T".to_string()))
        .chain(ages::HEADINGS.iter().map(|h| h.to_string()))
        .collect()];
    let all = ages::ages_of(&a.records, a.ctx.now);
    rows.push(
        std::iter::once("TOTAL".to_string())
            .chain(count(all, a.records.len()))
            .collect(),
    );
    for c in shown {
        let value = crate::sanitize::sanitize_bytes(&value_text(c, a)).into_owned();
        let ages = ages::cluster_ages(c, &a.records, a.ctx.now);
        rows.push(
            std::iter::once(value)
                .chain(count(ages, c.messages))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut line = format!("{:<w$}", row[0], w = widths[0]);
        for (cell, w) in row.iter().zip(&widths).skip(1) {
            line.push_str(&format!(" {cell:>w$}"));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Numbers right-aligned, the last text columns left-aligned, two spaces apart; the final
/// column is not padded.
fn write_aligned(out: &mut dyn Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width = |i: usize| {
        rows.iter()
            .filter_map(|r| r.get(i))
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..cols).map(width).collect();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i < 6 {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else if i + 1 < row.len() {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str(cell);
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
