//! `qtriage clusters`: the queue grouped by one key, as an aligned table or one JSON object per
//! cluster; also the loading and printing that `top` shares.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use serde::Serialize;

use super::print::json::{write_line, Text};
use super::{exit::ExitCode, GlobalArgs};
use crate::analysis::cluster::{AnalysisContext, Cluster};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::{analyse_with_logs, locals, Analysis, AnalysisInput, TOP_LIMIT};
use crate::query::{self, Query, QueryContext};
use crate::queue::date::rfc3339;
use crate::queue::{scan, Interner, Progress, ScanOptions};
use crate::sanitize::{maybe_sanitize, sanitize_str};

/// Options shared by `clusters` and `top`: which messages, and what the server calls its own.
#[derive(Debug, Clone, clap::Args)]
pub struct AnalysisArgs {
    /// Only messages matching this query (docs/query.md).
    #[arg(long = "where", value_name = "QUERY")]
    pub where_: Option<String>,
    /// A domain this server receives mail for (repeatable); added to control/locals,
    /// rcpthosts and virtualdomains next to the queue.
    #[arg(long = "local-domain", value_name = "D")]
    pub local_domain: Vec<String>,
    /// passwd file naming uids [default: /etc/passwd].
    #[arg(long, value_name = "FILE")]
    pub passwd: Option<PathBuf>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
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
    /// Shared options.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// `QTRIAGE_NOW` (unix seconds) if set, else the clock: the "now" of rates and ages.
pub fn now() -> anyhow::Result<i64> {
    match std::env::var("QTRIAGE_NOW") {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("QTRIAGE_NOW={v:?} is not unix seconds")),
        Err(_) => Ok(jiff::Timestamp::now().as_second()),
    }
}

/// Scan, filter by `--where` and analyse; `Err(code)` when the query did not parse (already
/// reported on stderr).
pub fn load(
    global: &GlobalArgs,
    args: &AnalysisArgs,
    key: ClusterKey,
    top_limit: usize,
) -> anyhow::Result<Result<Analysis, ExitCode>> {
    let queue = global.open_queue()?;
    let now = now()?;
    let query = match Query::parse(args.where_.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => {
            report_query_error(args.where_.as_deref().unwrap_or(""), &e);
            return Ok(Err(ExitCode::Error));
        }
    };
    let strings = Arc::new(Interner::new());
    let scanned = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )?;
    super::print::problems::warn_unlisted_dirs(&scanned.report);
    let mut records = scanned.records;
    // Damaged messages are analysed with what could be read; say that they exist.
    if let Some(note) = super::print::problems::summary(&records) {
        eprintln!("qtriage: note: {note}");
    }
    // Before the query, so `--where auth:USER` sees the users the logs name.
    let logs = global.apply_logs(&mut records, &strings)?;
    if !query.is_empty() {
        let qctx = QueryContext {
            queue: &queue,
            strings: &strings,
            now,
        };
        let selected = query::select(&query, &qctx, &records, None);
        records = keep_selected(records, selected);
    }
    let ctx = analysis_context(
        queue.root(),
        &args.local_domain,
        args.passwd.as_deref(),
        now,
    );
    let input = AnalysisInput {
        records,
        strings,
        ctx,
        key,
        top_limit,
    };
    Ok(Ok(analyse_with_logs(input, logs)))
}

/// What the server calls its own, as `top` judges it: control/ next to the queue plus
/// `--local-domain`, and uid names from `--passwd` (a note when given and unreadable) or
/// /etc/passwd (silently optional).
pub fn analysis_context(
    queue_root: &std::path::Path,
    local_domain: &[String],
    passwd: Option<&std::path::Path>,
    now: i64,
) -> AnalysisContext {
    let (local_domains, _skipped) = locals::local_domains(queue_root, local_domain);
    let users = match passwd {
        Some(p) => locals::passwd_users(p).map_err(|s| {
            eprintln!(
                "qtriage: note: passwd {} not read: {}",
                sanitize_str(&s.path.display().to_string()),
                sanitize_str(&s.reason)
            );
        }),
        None => locals::passwd_users(std::path::Path::new("/etc/passwd")).map_err(|_| ()),
    };
    AnalysisContext {
        now,
        local_domains,
        users: users.unwrap_or_default(),
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
    let shown = sanitize_str(text);
    let start = text
        .get(..e.span.start)
        .map_or(0, |p| sanitize_str(p).chars().count());
    let width = text
        .get(e.span.clone())
        .map_or(1, |p| sanitize_str(p).chars().count().max(1));
    eprintln!(
        "qtriage: bad --where query: {e}\n  {shown}\n  {}{}",
        " ".repeat(start),
        "^".repeat(width)
    );
}

/// Run `clusters`.
pub fn run(
    global: &GlobalArgs,
    args: &ClustersArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let a = match load(global, &args.analysis, args.by, TOP_LIMIT)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let shown = &a.clusters[..a.clusters.len().min(args.limit.unwrap_or(usize::MAX))];
    if args.analysis.json {
        for c in shown {
            write_line(out, &ClusterJson::new(c, &a.strings))?;
        }
    } else {
        let is_terminal = std::io::stdout().is_terminal();
        write_table(out, &a, shown, is_terminal)?;
    }
    Ok(if a.records.is_empty() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

/// One cluster of `clusters --json` and `top --json` (docs/cli.md "clusters").
#[derive(Debug, Serialize)]
pub struct ClusterJson {
    /// The key name (`auth-user`, ...).
    pub by: &'static str,
    /// The value; null for the `(none)` cluster.
    pub value: Option<Text>,
    /// Messages in the cluster.
    pub messages: usize,
    /// Envelope recipients over its messages.
    pub recipients: usize,
    /// Sum of mess file sizes.
    pub bytes: u64,
    /// Oldest birth time, RFC 3339 UTC.
    pub first_queued: String,
    /// Newest birth time, RFC 3339 UTC.
    pub last_queued: String,
    /// Messages a minute queued over the hour before now.
    pub per_minute: f64,
    /// Culprit score 0-100.
    pub score: f64,
    /// `culprit`, `suspect` or `legit`; null for the `(none)` cluster (never ranked).
    pub verdict: Option<&'static str>,
    /// Summary, then one line per signal.
    pub reasons: Vec<String>,
    /// The query selecting exactly this cluster's messages.
    pub query: String,
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
            first_queued: rfc3339(c.first_queued),
            last_queued: rfc3339(c.last_queued),
            per_minute: (c.per_minute * 1000.0).round() / 1000.0,
            score: c.score,
            verdict: c.value.map(|_| c.verdict().name()),
            reasons: c.reasons.clone(),
            query: cluster_query(c, strings),
        }
    }
}

/// `cluster:KEY=VALUE`; the value is double-quoted (with `\"` and `\\` escaped) unless it is
/// made only of letters, digits and `._@-+/:=%,#[]` and does not start with `-`, so glob and
/// comparison characters (`*`, `?`, `<`, `>`) are always literal. `cluster:KEY=(none)` selects
/// the messages without a value.
pub fn cluster_query(c: &Cluster, strings: &Interner) -> String {
    let text = c.value.map(|v| v.text(strings));
    crate::analysis::plan::term("cluster", c.key, text.as_deref())
}

/// The value as shown in text: uids with their passwd name, `(none)` for no value.
pub fn value_text(c: &Cluster, a: &Analysis) -> Vec<u8> {
    match c.value {
        None => b"(none)".to_vec(),
        Some(KeyValue::Text(s)) => a.strings.resolve(s).to_vec(),
        Some(KeyValue::Uid(u)) => match a.ctx.users.get(&u) {
            Some(name) => format!("{u} ({name})").into_bytes(),
            None => u.to_string().into_bytes(),
        },
        Some(v) => v.text(&a.strings).into_bytes(),
    }
}

/// The aligned table of `clusters`: counts, share, rate, score, verdict, value (and the query
/// for sender patterns, which is the point of that key).
pub fn write_table(
    out: &mut dyn Write,
    a: &Analysis,
    shown: &[Cluster],
    is_terminal: bool,
) -> std::io::Result<()> {
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
            crate::analysis::rank::thousands(c.messages),
            crate::analysis::rank::percent(c.messages as f64 / total as f64),
            crate::analysis::rank::thousands(c.recipients),
            crate::analysis::rank::thousands(c.bytes as usize),
            format!("{:.1}", c.per_minute),
            format!("{:.1}", c.score),
            if c.value.is_some() {
                c.verdict().name()
            } else {
                "-"
            }
            .to_string(),
            maybe_sanitize(&value_text(c, a), is_terminal).into_owned(),
        ];
        if with_query {
            row.push(
                maybe_sanitize(cluster_query(c, &a.strings).as_bytes(), is_terminal).into_owned(),
            );
        }
        rows.push(row);
    }
    write_aligned(out, &rows)
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
