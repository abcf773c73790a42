//! `qtriage report`: the incident report as markdown or JSON.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::clusters::{load_setup, ContextFlags};
use super::{exit::ExitCode, GlobalArgs};
use crate::accounts::DEFAULT_VPOPMAIL_DIR;
use crate::queue::{Interner, ScanOptions};
use crate::report::compose::{assemble, with_yank_area, Extras, Gathered};
use crate::report::markdown;
use crate::report::ReportInput;

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
    /// What the server calls its own, as for `top`.
    #[command(flatten)]
    pub context: crate::cli::clusters::ContextArgs,
}

/// Parse `--since`: a positive duration in jiff's friendly (`2h 30m`) or ISO 8601 form, or a
/// bare number of seconds as `watch` and `purge` take.
pub fn parse_since(s: &str) -> Result<jiff::SignedDuration, String> {
    let s = s.trim();
    let d: jiff::SignedDuration = match s.parse::<i64>() {
        Ok(secs) => jiff::SignedDuration::from_secs(secs),
        Err(_) => s.parse().map_err(|_| {
            format!("{s:?}: expected a duration: 2h, 90m, 1d, 2h 30m, PT2H or seconds")
        })?,
    };
    if d.is_negative() || d.is_zero() {
        return Err("the duration must be positive".into());
    }
    Ok(d)
}

/// Run `report`.
pub fn run(
    global: &GlobalArgs,
    args: &ReportArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let now = super::clusters::now()?;
    let input = input(global, args, now)?;
    match args.format {
        ReportFormat::Markdown => out.write_all(markdown::render(&input).as_bytes())?,
        ReportFormat::Json => {
            let json = input.to_json().context("serialize the report")?;
            out.write_all(crate::sanitize::json_for_terminals(&json).as_bytes())?;
            out.write_all(b"\n")?;
        }
    }
    Ok(ExitCode::Success)
}

/// The report at `now`, before it is rendered.
pub fn input(global: &GlobalArgs, args: &ReportArgs, now: i64) -> anyhow::Result<ReportInput> {
    let queue = global.open_queue()?;
    let flags = ContextFlags {
        local_domain: &args.context.local_domain,
        default_domain: args.context.default_domain.as_deref(),
        passwd: args.context.passwd.as_deref(),
        vpopmail: Some(&args.vpopmail),
    };
    // Before the scan: a mistyped `--log` or `--passwd` is said at once.
    let setup = load_setup(global, queue.root(), flags, now)?;
    let strings = Interner::new();
    let mut s = super::scanning::scan(&queue, &strings, ScanOptions::default())?;
    super::print::problems::warn_unlisted_dirs(&s.report);
    let yank_dir = crate::actions::default_yank_dir(queue.root());
    // The logs are applied to the queue's records as `top` applies them, then to the yank
    // area's by the one merge every face calls.
    let logs = setup.apply_logs(&mut s.records, &strings);
    let logs = std::borrow::Cow::Owned(logs);
    let all = with_yank_area(s.records, logs, &yank_dir, &strings, |yanked| {
        Ok(setup.apply_logs(yanked, &strings))
    });
    let gathered = Gathered {
        queue: &queue,
        all: &all,
        strings: &strings,
        ctx: &setup.ctx,
        setup_notes: &setup.notes(),
        since: args.since.map(|d| now.saturating_sub(d.as_secs())),
    };
    let extras = Extras {
        logs_read: global.has_logs(),
        yank_dir: &yank_dir,
        vpopmail: &args.vpopmail,
        server: setup.control.me.as_deref(),
    };
    Ok(assemble(gathered, &extras)?)
}
