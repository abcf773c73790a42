//! `qtriage report`: the incident report as markdown or JSON.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::{exit::ExitCode, GlobalArgs};
use crate::accounts::{assess, CheckOptions, DEFAULT_VPOPMAIL_DIR};
use crate::analysis::evidence::LogFacts;
use crate::analysis::key::ClusterKey;
use crate::queue::count::count;
use crate::queue::{scan, Interner, Progress, ScanOptions};
use crate::report::build::{add_fixes, build, ReportSources, REPORT_HASH_ATTEMPTS};
use crate::report::markdown;
use crate::report::{Evidence, EvidenceSource, ReportInput, MAX_EVIDENCE_LINES};
use crate::sanitize::sanitize_str;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Markdown, for records and delisting requests.
    Markdown,
    /// One pretty-printed JSON object.
    Json,
}

/// Arguments of `report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Only messages queued within this long before now (`2h`, `90m`, `1d`, `PT2H`).
    #[arg(long, value_name = "DUR", value_parser = parse_since)]
    pub since: Option<jiff::SignedDuration>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// The vpopmail directory for the recommended fixes (skipped with a note when absent).
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL", default_value = DEFAULT_VPOPMAIL_DIR)]
    pub vpopmail: PathBuf,
}

/// Parse `--since`: a positive duration in jiff's friendly (`2h 30m`) or ISO 8601 form.
pub fn parse_since(s: &str) -> Result<jiff::SignedDuration, String> {
    let d: jiff::SignedDuration = s.trim().parse().map_err(|e| format!("{e}"))?;
    if d.is_negative() || d.is_zero() {
        return Err("the duration must be positive".into());
    }
    Ok(d)
}

/// "Now" for the report; `QTRIAGE_NOW` (unix seconds) pins it for tests and reproducible reports.
fn now() -> i64 {
    std::env::var("QTRIAGE_NOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| jiff::Timestamp::now().as_second())
}

/// The logs' part of the report: the AUTH users they named (with the evidence line), and what
/// the login log says about each AUTH-user culprit (guessed password, harvesting IP).
fn add_log_evidence(input: &mut ReportInput, logs: &LogFacts, total: usize) {
    input.log_note = None;
    if !logs.attributed.is_empty() {
        input.notes.push(format!(
            "the AUTH user of {} messages comes from the logs (--log), not from their headers",
            logs.attributed.len()
        ));
    }
    let mut lines = logs.summary_lines(total);
    for c in input
        .culprits
        .iter()
        .filter(|c| c.kind == ClusterKey::AuthUser)
    {
        lines.extend(logs.findings(&c.value).map(|f| f.words(&c.value)));
    }
    input.evidence.extend(lines.into_iter().map(|l| Evidence {
        source: EvidenceSource::Log,
        text: sanitize_str(&l).into_owned(),
    }));
    input.evidence.truncate(MAX_EVIDENCE_LINES);
}

/// "What was done": every yank, restore, purge and expire batch of the journal that moved
/// something (abandoned batches moved nothing), with the messages it handled.
fn add_actions_done(input: &mut crate::report::ReportInput, yank_dir: &std::path::Path) {
    match crate::actions::area::batches(yank_dir) {
        Ok(batches) => {
            let done: Vec<crate::report::ActionDone> = batches
                .iter()
                .filter(|b| b.state != crate::actions::BatchState::Abandoned)
                .map(|b| crate::report::ActionDone {
                    batch: b.header.batch.clone(),
                    direction: b.header.direction.name().to_string(),
                    messages: b.messages.len().saturating_sub(b.failed.len()) as u64,
                    time: b.header.created,
                })
                .collect();
            if !done.is_empty() {
                input.actions_done = done;
                input.journal_note = None;
            }
        }
        Err(e) => input
            .notes
            .push(format!("the action journal could not be read: {e}")),
    }
}

/// Run `report`.
pub fn run(
    global: &GlobalArgs,
    args: &ReportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    let strings = Interner::new();
    let mut s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )?;
    super::print::problems::warn_unlisted_dirs(&s.report);
    let logs = global.apply_logs(&mut s.records, &strings)?;
    let counts = count(&queue)?;
    let now = now();
    let since = args.since.map(|d| now.saturating_sub(d.as_secs()));
    let mut input = build(&ReportSources {
        records: &s.records,
        strings: &strings,
        now,
        since,
        counts,
    });
    input
        .notes
        .extend(super::print::problems::summary(&s.records));
    if global.logs.iter().any(|p| !p.as_os_str().is_empty()) {
        add_log_evidence(&mut input, &logs, s.records.len());
    }
    add_actions_done(&mut input, &crate::actions::default_yank_dir(queue.root()));
    let opts = CheckOptions {
        culprits_top: input.culprit_auth_users(),
        max_hash_attempts: REPORT_HASH_ATTEMPTS,
        ..CheckOptions::default()
    };
    match assess(&args.vpopmail, &opts) {
        Ok(a) => {
            add_fixes(&mut input, &a.check);
            if !a.warnings.is_empty() {
                input.notes.push(format!(
                    "{} problems reading vpopmail files; the fixes may be incomplete",
                    a.warnings.len()
                ));
            }
        }
        Err(e) => input.notes.push(format!(
            "accounts not checked: {}",
            sanitize_str(&e.to_string())
        )),
    }
    match args.format {
        ReportFormat::Markdown => out.write_all(markdown::render(&input).as_bytes())?,
        ReportFormat::Json => {
            out.write_all(input.to_json().context("serialize the report")?.as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    Ok(ExitCode::Success)
}
