//! `qtriage remove`: qmail-remove's interface (docs/qmail-format.md §6): match a POSIX regex
//! against every mess file and report `yes`/`no` per file (a dry run), or act on the matches.
//!
//! The pattern is matched against the whole message file up to its first NUL byte (qmail-remove
//! hands the buffer to regexec as a C string), or its first `-n` bytes. Files are opened with
//! `O_NOFOLLOW` below directories opened with `O_NOFOLLOW`: a symbolic link is reported, never
//! read. The actions (`-r`, `-d`, `-x`, `-X`) go through [`perform`].

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use regex::bytes::Regex;

use super::exit::ExitCode;
use super::GlobalArgs;
use crate::query::files::{read_at, ReadFailure, Stop};
use crate::query::posix::{compile, Flavor};
use crate::queue::listing::{list, open_dir, EntryKind};
use crate::queue::{Interner, MessageId, Queue, QueueOptions};

use super::print::actions::{ActionJson, RemoveJson};
use super::print::json::write_line;

/// The most bytes of one mess file searched when `-n` is not given. qmail-remove reads the
/// whole file; a bound keeps a hostile 2 GB message from exhausting memory. Larger files are
/// searched up to it and reported on stderr.
pub const REMOVE_READ_CAP: usize = 64 << 20;

/// Arguments of `remove` (qmail-remove's short options; `-q`/`-s` are local to this command).
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Pattern to match in each message (POSIX basic regex; default `.*`, every message).
    #[arg(short = 'p', value_name = "PATTERN")]
    pub pattern: Option<OsString>,
    /// The pattern is a POSIX extended regex.
    #[arg(short = 'e')]
    pub extended: bool,
    /// Match case-insensitively (ASCII).
    #[arg(short = 'i')]
    pub ignore_case: bool,
    /// Search only the first BYTES bytes of each message.
    #[arg(short = 'n', value_name = "BYTES")]
    pub bytes: Option<usize>,
    /// The queue directory (default: --queue).
    #[arg(short = 'q', value_name = "DIR")]
    pub queue_dir: Option<PathBuf>,
    /// conf-split (default: --split, else detected).
    #[arg(short = 's', value_name = "SPLIT")]
    pub split: Option<u32>,
    /// Yank directory for -r, relative to the queue unless absolute.
    #[arg(short = 'y', value_name = "DIR")]
    pub yank_dir: Option<PathBuf>,
    /// Say more on stderr (the translated regex, skipped files).
    #[arg(short = 'v')]
    pub verbose: bool,
    /// Remove (yank) the matching messages.
    #[arg(short = 'r')]
    pub remove: bool,
    /// Delete instead of yanking.
    #[arg(short = 'd')]
    pub delete: bool,
    /// Expire: set the matching messages' birth time to DATE, so qmail-send bounces them.
    #[arg(short = 'x', value_name = "DATE")]
    pub expire_to: Option<String>,
    /// Expire: set the matching messages' birth time back by SECS.
    #[arg(short = 'X', value_name = "SECS")]
    pub expire_by: Option<u64>,
    /// With -r, -d, -x, -X: act even while qmail-send runs (qtriage extension; unsafe).
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object (the plan, or what was done) instead of qmail-remove's lines
    /// (qtriage extension).
    #[arg(long)]
    pub json: bool,
}

/// What `remove` was asked to do besides reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `-r`: move every file of the message into the yank directory.
    Yank {
        /// `-y`, if given.
        dir: Option<PathBuf>,
    },
    /// `-d`: unlink.
    Delete,
    /// `-x DATE`.
    ExpireTo(String),
    /// `-X SECS`.
    ExpireBy(u64),
}

impl Action {
    /// Its name in `--json`'s `mode`.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Action::Yank { .. } => "yank",
            Action::Delete => "delete",
            Action::ExpireTo(_) | Action::ExpireBy(_) => "expire",
        }
    }

    /// The option that asked for it.
    pub fn flag(&self) -> &'static str {
        match self {
            Action::Yank { .. } => "-r",
            Action::Delete => "-d",
            Action::ExpireTo(_) => "-x",
            Action::ExpireBy(_) => "-X",
        }
    }
}

impl RemoveArgs {
    /// The action asked for, if any (without one, `remove` is a dry run).
    pub fn action(&self) -> Option<Action> {
        if let Some(d) = &self.expire_to {
            Some(Action::ExpireTo(d.clone()))
        } else if let Some(s) = self.expire_by {
            Some(Action::ExpireBy(s))
        } else if self.delete {
            Some(Action::Delete)
        } else if self.remove {
            Some(Action::Yank {
                dir: self.yank_dir.clone(),
            })
        } else {
            None
        }
    }
}

/// One mess file and whether the pattern matched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessMatch {
    /// The split directory it was found in.
    pub dir: u32,
    /// Its id.
    pub id: MessageId,
    /// Did the pattern match?
    pub matched: bool,
}

/// Carry out an action on the matching messages through the journaled actions
/// (`crate::actions::remove_compat`): `-r` yanks, `-d` yanks then purges, `-x`/`-X` expire. Each
/// refuses while qmail-send runs unless `--force`, and prints qmail-remove's lines. `-x`/`-X`
/// warn of the bounces as `expire` does; no match says `0 file(s) match`. `split` is the
/// `--split` or `-s` given, for the undo command.
pub fn perform(
    action: &Action,
    args: &RemoveArgs,
    queue: &Queue,
    matches: &[MessMatch],
    split: Option<u32>,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    use crate::actions::remove::{remove_compat, RemoveMode, RemoveOptions};
    let now = crate::actions::plan::unix_now();
    let mode = match action {
        Action::Yank { .. } => RemoveMode::Yank,
        Action::Delete => RemoveMode::Delete,
        Action::ExpireTo(date) => RemoveMode::ExpireAt(parse_expire_date(date)?),
        Action::ExpireBy(secs) => RemoveMode::ExpireAt(now.saturating_sub(*secs as i64)),
    };
    let yank_dir = yank_dir_of(args, queue);
    // Every action journals into the yank area: one on another filesystem is refused first,
    // with or without matches, as `yank` refuses it.
    crate::actions::area::check_same_filesystem(queue.root(), &yank_dir)?;
    if matches!(mode, RemoveMode::Yank) {
        crate::actions::area::check_outside_qmail_dirs(queue.root(), &yank_dir)?;
    }
    let ids: Vec<MessageId> = matches.iter().filter(|m| m.matched).map(|m| m.id).collect();
    if matches!(mode, RemoveMode::ExpireAt(_)) {
        warnln!("{}", super::expire::BACKSCATTER_WARNING);
    }
    if ids.is_empty() {
        // qmail-remove's `-r` checks the lock before anything: a script learns that qmail-send
        // runs from exit 2 whether or not the pattern matched (review51: exit 0 with no match).
        let refused =
            crate::actions::run::refuse_before_writing(queue.root(), &yank_dir, true, args.force);
        if let Err(e) = refused {
            return super::act::report_error_as("qtriage remove", Err(e.into()));
        }
        // An action with nothing to act on must not say nothing: the dry run's count line, or
        // under `--json` the object a script parses (no batch: nothing was journaled; applied,
        // as an action that ran: `false` means a dry run).
        if args.json {
            let (plan, records, strings) = remove_plan(args, queue, matches, &yank_dir);
            let mut j = remove_json(args, &plan, &records, &strings, matches);
            j.mode = Some(action.mode_name());
            j.plan.applied = true;
            write_line(out, &j)?;
        } else {
            writeln!(out, "0 file(s) match")?;
        }
        return Ok(ExitCode::Success);
    }
    let opts = RemoveOptions {
        mode,
        yank_dir,
        pattern: pattern_text(args),
        execute: crate::actions::plan::ExecuteOptions {
            force: args.force,
            failpoint: super::act::failpoint_from_env()?,
            now,
        },
    };
    if args.force {
        warnln!("{}", super::act::FORCE_WARNING);
    }
    let planned = args
        .json
        .then(|| remove_plan(args, queue, matches, &opts.yank_dir));
    let mut sink = Vec::new();
    let lines: &mut dyn Write = if args.json { &mut sink } else { out };
    let result = remove_compat(queue, &ids, &opts, lines)
        .and_then(|o| {
            if let Some((plan, records, strings)) = &planned {
                let mut j = remove_json(args, plan, records, strings, matches);
                j.plan = ActionJson::applied(plan, &[], &o, split);
                j.plan.action = "remove";
                j.mode = Some(action.mode_name());
                if *action == Action::Delete {
                    j.plan.undo_command = None; // the messages are gone for good
                }
                write_line(out, &j).map_err(|e| crate::actions::ActionError::io("<stdout>", e))?;
            }
            Ok(o)
        })
        .map(|o| {
            // The lines are qmail-remove's; how to undo goes to stderr, as a yank says it
            // (review51: only `--json` or `yanked --batches` named the batch).
            if let (Some(b), false, false) = (&o.batch, args.json, *action == Action::Delete) {
                let undo =
                    super::act::undo_command_at(&b.batch, queue.root(), &opts.yank_dir, split);
                warnln!("undo with: {undo}");
            }
            let failed = o.batch.as_ref().is_some_and(|b| !b.failed.is_empty());
            if failed || !o.skipped.is_empty() {
                ExitCode::NoMatch
            } else {
                ExitCode::Success
            }
        })
        .map_err(anyhow::Error::from);
    super::act::report_error_as("qtriage remove", result)
}

/// `-y DIR` resolved against the queue (default `<queue>/yanked`).
fn yank_dir_of(args: &RemoveArgs, queue: &Queue) -> PathBuf {
    match &args.yank_dir {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => queue.root().join(d),
        None => crate::actions::default_yank_dir(queue.root()),
    }
}

/// For `--json`: the matched messages as a yank plan (counts, qmail-send) and their records
/// (recipients, clusters, sample), read before anything is done.
fn remove_plan(
    args: &RemoveArgs,
    queue: &Queue,
    matches: &[MessMatch],
    yank_dir: &Path,
) -> (
    crate::actions::Plan,
    Vec<crate::queue::MessageRecord>,
    Interner,
) {
    let ids: Vec<MessageId> = matches.iter().filter(|m| m.matched).map(|m| m.id).collect();
    let popts = crate::actions::PlanOptions {
        yank_dir: yank_dir.to_path_buf(),
        query: format!("remove -p {}", pattern_text(args)),
    };
    let mut plan = crate::actions::plan_yank_ids(queue, &ids, &popts);
    let strings = Interner::new();
    let records: Vec<_> = ids
        .iter()
        .filter_map(|id| crate::queue::scan::read_one(queue, &strings, *id).ok())
        .collect();
    // By id, not a search per message: `remove -p . --json` on a flood matches every message.
    let counts: std::collections::HashMap<MessageId, u32> = (records.iter())
        .map(|r| (r.id, r.recipients.len() as u32))
        .collect();
    for m in &mut plan.messages {
        if let Some(&n) = counts.get(&m.id) {
            m.recipients = n;
        }
    }
    (plan, records, strings)
}

/// The pattern as given, `.*` without `-p`.
fn pattern_text(args: &RemoveArgs) -> String {
    args.pattern
        .as_ref()
        .map_or_else(|| ".*".into(), |p| p.to_string_lossy().into_owned())
}

/// The dry run's `remove --json` object.
fn remove_json(
    args: &RemoveArgs,
    plan: &crate::actions::Plan,
    records: &[crate::queue::MessageRecord],
    strings: &Interner,
    matches: &[MessMatch],
) -> RemoveJson {
    let mut j = ActionJson::plan(plan, &[]).with_records(records, strings);
    j.action = "remove";
    RemoveJson {
        plan: j,
        mode: None,
        pattern: pattern_text(args),
        checked: matches.len(),
        matched: matches
            .iter()
            .filter(|m| m.matched)
            .map(|m| m.id.0)
            .collect(),
    }
}

/// `-x DATE`: unix seconds, RFC 3339, or `YYYY-MM-DD[ HH:MM[:SS]]` in UTC.
fn parse_expire_date(text: &str) -> anyhow::Result<i64> {
    if let Ok(secs) = text.trim().parse::<i64>() {
        return Ok(secs);
    }
    if let Ok(ts) = text.trim().parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let civil: jiff::civil::DateTime = text
        .trim()
        .parse()
        .or_else(|_| {
            text.trim()
                .parse::<jiff::civil::Date>()
                .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .map_err(|e| {
            anyhow::anyhow!(
                "-x {text:?}: not a date (unix seconds, RFC 3339 or YYYY-MM-DD HH:MM:SS): {e}"
            )
        })?;
    Ok(civil
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp()
        .as_second())
}

/// Run `remove`. Its own errors start `qtriage remove:`, as qmail-remove's start with its name
/// (review51: a queue it could not open and qmail-send's lock read `qtriage:`, the other
/// commands' words); a closed stdout is left to `main`, which takes it for no error.
pub fn run(
    global: &GlobalArgs,
    args: &RemoveArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    match run_inner(global, args, out) {
        Err(err) if !super::is_broken_pipe(&err) => {
            warnln!("qtriage remove: {}", super::error_line(&err));
            Ok(ExitCode::Error)
        }
        result => result,
    }
}

fn run_inner(
    global: &GlobalArgs,
    args: &RemoveArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let flavor = if args.extended {
        Flavor::Extended
    } else {
        Flavor::Basic
    };
    let pattern = args.pattern.as_ref().map_or(&b".*"[..], |p| p.as_bytes());
    let re = match compile(pattern, flavor, args.ignore_case) {
        Ok(re) => re,
        Err(e) => {
            warnln!(
                "qtriage remove: -p {}: {e}",
                crate::sanitize::sanitize_bytes(pattern)
            );
            return Ok(ExitCode::Error);
        }
    };
    if args.verbose {
        warnln!("qtriage remove: matching with the regex {}", re.as_str());
    }
    let dir = args
        .queue_dir
        .clone()
        .unwrap_or_else(|| global.queue.clone());
    let queue = Queue::open(
        &dir,
        QueueOptions {
            split: args.split.or(global.split),
        },
    )?;
    let cap = args.bytes.unwrap_or(REMOVE_READ_CAP).min(REMOVE_READ_CAP);
    let matches = match_all(&queue, &re, cap, args.bytes.is_some())?;
    if let Some(action) = args.action() {
        let split = args.split.or(global.split);
        return perform(&action, args, &queue, &matches, split, out);
    }
    if args.json {
        // A plan of `-r`, with the command to apply it: refused as `-r` would be.
        let yank_dir = yank_dir_of(args, &queue);
        crate::actions::area::check_same_filesystem(queue.root(), &yank_dir)?;
        let (plan, records, strings) = remove_plan(args, &queue, &matches, &yank_dir);
        let mut j = remove_json(args, &plan, &records, &strings, &matches);
        j.plan.apply_command = Some(super::act::apply_command_with("-r", queue.root()));
        write_line(out, &j)?;
        return Ok(ExitCode::Success);
    }
    let mut n = 0;
    for m in &matches {
        // qmail-remove prints the path as it is; it comes from `--queue`, so it is sanitized.
        out.write_all(crate::sanitize::sanitize_path(&dir).as_bytes())?;
        writeln!(
            out,
            "/mess/{}/{}: {}",
            m.dir,
            m.id,
            if m.matched { "yes" } else { "no" }
        )?;
        n += usize::from(m.matched);
    }
    writeln!(out, "{n} file(s) match")?;
    Ok(ExitCode::Success)
}

/// Match `re` against every mess file, in split-directory then id order.
pub fn match_all(
    queue: &Queue,
    re: &Regex,
    cap: usize,
    capped_by_user: bool,
) -> crate::Result<Vec<MessMatch>> {
    let mess = queue.root().join("mess");
    // Every split directory qmail uses, and any other numbered directory: one that is missing
    // or is a symbolic link is said on stderr (not searched), as the other commands say it,
    // rather than skipped without a word.
    let top = list(&mess).map_err(|e| crate::Error::io(&mess, e))?;
    junk_said(&mess, top.junk);
    let mut dirs: Vec<u32> = top
        .entries
        .into_iter()
        .filter(|e| e.kind == EntryKind::Directory)
        .filter_map(|e| u32::try_from(e.id.0).ok())
        .chain(0..queue.layout().split)
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    let per_dir: Vec<Vec<MessMatch>> = dirs
        .par_iter()
        .map(|&n| match_dir(&mess.join(n.to_string()), n, re, cap, capped_by_user))
        .collect();
    Ok(per_dir.into_iter().flatten().collect())
}

/// Say on stderr that `dir` holds `junk` entries whose names are no message ids: not read.
/// qmail-remove reads every regular file under `mess/`; qmail never sees these (its scanner
/// skips names that are not numbers), and neither `-p` nor `-r` touches them here (review51:
/// three such files were skipped without a word).
fn junk_said(dir: &Path, junk: u64) {
    if junk > 0 {
        let what = match junk {
            1 => "1 entry whose name is not a message id".to_string(),
            n => format!("{n} entries whose names are not message ids"),
        };
        warnln!(
            "qtriage remove: {}: {what}, not read (qmail ignores them)",
            dir.display()
        );
    }
}

fn match_dir(path: &Path, n: u32, re: &Regex, cap: usize, capped_by_user: bool) -> Vec<MessMatch> {
    let warn = |what: &dyn std::fmt::Display| warnln!("qtriage remove: {}: {what}", path.display());
    let (fd, listing) = match open_dir(path).and_then(|fd| Ok((fd, list(path)?))) {
        Ok(x) => x,
        Err(e) => {
            warn(&format_args!(
                "not searched ({e}); messages in it are not matched"
            ));
            return Vec::new();
        }
    };
    junk_said(path, listing.junk);
    let mut entries = listing.entries;
    entries.sort_unstable_by_key(|e| e.id);
    let mut buf = Vec::new();
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let name = e.id.0.to_string();
        let shown = path.join(&name);
        if e.kind != EntryKind::File {
            let what = if e.kind == EntryKind::Symlink {
                "symbolic link, not followed"
            } else {
                "not a regular file"
            };
            warnln!("qtriage remove: {}: {what}", shown.display());
            continue;
        }
        match read_at(fd.as_fd(), &name, cap, Stop::Nul, &mut buf) {
            Ok(size) => {
                if !capped_by_user && buf.len() == cap && size.size as usize > cap {
                    warnln!(
                        "qtriage remove: {}: searched only the first {cap} bytes",
                        shown.display()
                    );
                }
                out.push(MessMatch {
                    dir: n,
                    id: e.id,
                    matched: re.is_match(&buf),
                });
            }
            Err(ReadFailure::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => warnln!("qtriage remove: {}: {err}", shown.display()),
        }
    }
    out
}
