//! Shared by the action subcommands: common flags, the qmail-send refusal, progress, selection.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;

use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, ActionError, ExecuteOptions, Failpoint, Outcome, Plan};
use crate::query::Query;
use crate::queue::{MessageId, Queue};

pub(crate) mod command_line;
pub(crate) mod progress;
mod select;
pub use command_line::{
    apply_command, apply_command_with, apply_line, command_line, option_args, undo_command,
    undo_command_at,
};
pub use select::{context_for, tables_for, Check, Selected};

/// Sizes in the dry runs: the formatter the TUI uses too.
pub use crate::size::human_bytes;

/// Flags every action shares.
#[derive(Debug, Clone, clap::Args)]
pub struct ActArgs {
    /// Act. Without it the command is a dry run that shows what would happen.
    #[arg(long)]
    pub apply: bool,
    /// Act even while qmail-send runs (unsafe; see docs/cli.md).
    #[arg(long)]
    pub force: bool,
    /// The yank area (default: <queue>/yanked). Must be on the queue's filesystem.
    #[arg(long, value_name = "DIR")]
    pub yank_dir: Option<PathBuf>,
    /// Print one JSON object (the plan, or what was done) instead of text.
    #[arg(long)]
    pub json: bool,
}

impl ActArgs {
    /// The yank area to use.
    pub fn yank_dir(&self, queue: &Queue) -> PathBuf {
        match &self.yank_dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => queue.root().join(d),
            None => actions::default_yank_dir(queue.root()),
        }
    }

    /// The yank area to use, refused (exit 2) when it is, or would be created, on another
    /// filesystem than the queue: the dry run says what `--apply` would, and `--apply` says it
    /// before recovering, scanning or creating anything.
    pub fn checked_yank_dir(&self, queue: &Queue) -> anyhow::Result<PathBuf> {
        let dir = self.yank_dir(queue);
        actions::area::check_same_filesystem(queue.root(), &dir)?;
        Ok(dir)
    }

    /// Execute options from the flags and `QTRIAGE_FAILPOINT`.
    pub fn execute_options(&self) -> anyhow::Result<ExecuteOptions> {
        Ok(ExecuteOptions {
            force: self.force,
            failpoint: failpoint_from_env()?,
            now: actions::plan::unix_now(),
        })
    }
}

/// The failpoint from `QTRIAGE_FAILPOINT`, if set.
pub fn failpoint_from_env() -> anyhow::Result<Option<Failpoint>> {
    match std::env::var("QTRIAGE_FAILPOINT") {
        Ok(spec) if !spec.is_empty() => Ok(Some(Failpoint::parse(&spec)?)),
        _ => Ok(None),
    }
}

/// How to stop qmail-send, for the refusal message: `holder` the lock holder's when /proc
/// names it (e2e52: a qmail-send started by hand has no supervisor or init script to ask),
/// `lock` the sendmutex. A pid /proc does not show gets no `kill` line: the locker has exited
/// and a process it started holds the lock, and the pid may be another process's by now
/// (newuser54).
pub fn how_to_stop(holder: Option<&actions::error::Holder>, lock: &std::path::Path) -> String {
    let by_hand = match holder {
        Some(h) if h.comm.is_some() => format!(
            "  started by hand: kill -TERM {}  (it finishes its deliveries, then exits; \
             under supervise use svc -d, or it is restarted)\n",
            h.pid
        ),
        Some(h) => format!(
            "  pid {} took the lock and has exited (or /proc hides it): a process it started \
             holds it; fuser -v {} names that one\n",
            h.pid,
            crate::sanitize::sanitize_path(lock)
        ),
        None => String::new(),
    };
    format!(
        "stop qmail-send first, then run this again:
  daemontools:  svc -d /service/qmail-send     (svstat /service/qmail-send to check)
  qmailctl:     qmailctl stop
  init script:  /etc/init.d/qmail stop
  systemd:      systemctl stop qmail
{by_hand}  or with mta_stop set in the config (--config, $QTRIAGE_CONFIG, /etc/qtriage.conf): \
qtriage mta stop
(`--force` acts anyway; see the warning it prints)"
    )
}

/// The warning `--force` prints when qmail-send is running.
pub const FORCE_WARNING: &str =
    "warning: --force while qmail-send is running: it keeps queued ids in \
memory and may be delivering these messages right now. A moved message may still be delivered, \
or logged on each retry as 'warning: trouble opening remote/N/ID; will try again later' (or \
'unable to open message') until it is restored, or get envelope files re-created by qmail-send; \
qtriage cannot keep qmail-send from starting on half-moved messages. Stop qmail-send if you can.";

/// The warning `--force` prints on a restore while qmail-send is running: not the yank's
/// (walk65). qmail-send reads `info/` only when it starts (`pqstart`), and a `todo` file put
/// back before its `mess` (the restore's order) may be read in between (`todo_do`'s stat).
pub const FORCE_RESTORE_WARNING: &str =
    "warning: --force while qmail-send is running: it reads the queue's messages when it \
starts, so what is put back is not delivered until it restarts (a message it still retries \
from a forced yank is); a message put back before it was preprocessed may be read from todo/ \
before its mess file is back and logged as 'warning: unable to stat mess/N/ID', then retried. \
Stop qmail-send if you can, and restart it after the restore.";

/// The warning `--force` prints on an expire while qmail-send is running: it moves nothing
/// (walk66 read the yank's words on it); qmail-send reads the age from the info file at each
/// delivery attempt (`getinfo`), so the bounces come at the next one.
pub const FORCE_EXPIRE_WARNING: &str =
    "warning: --force while qmail-send is running: it reads a message's age from its info \
file at every delivery attempt, so it bounces these at their next attempt, perhaps within \
seconds: an undo (restore --batch) cannot take back a bounce already sent. Stop qmail-send if \
you can.";

/// What `--force` warns of for `direction`'s moves while qmail-send is running.
pub fn force_warning(direction: actions::Direction) -> &'static str {
    match direction {
        actions::Direction::Restore => FORCE_RESTORE_WARNING,
        actions::Direction::Expire => FORCE_EXPIRE_WARNING,
        _ => FORCE_WARNING,
    }
}

/// Turn a "qmail-send is running" refusal into the operator's message and exit code 2.
pub fn report_error(result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    report_error_as("qtriage", result)
}

/// [`report_error`] with the refusal's line starting `name:` (`qtriage remove`, as
/// qmail-remove's own lines start with its name).
pub fn report_error_as(name: &str, result: anyhow::Result<ExitCode>) -> anyhow::Result<ExitCode> {
    let Err(err) = result else { return result };
    match err.downcast_ref::<ActionError>() {
        Some(ActionError::SendRunning { holder, lock }) => {
            warnln!("{name}: {err}\n{}", how_to_stop(holder.as_ref(), lock));
            Ok(ExitCode::Error)
        }
        _ => Err(err),
    }
}

/// Parse query text, pointing at the bad part on error.
pub fn parse_query(text: &str) -> anyhow::Result<Query> {
    // One rendering for every face: sanitized, the caret under the columns the characters take.
    Query::parse(text).map_err(|e| anyhow::anyhow!("{}", crate::query::render_error(text, &e)))
}

/// Parse the query of a command that moves messages; an empty (or blank) query, which selects
/// the whole queue, is refused with the query that says so on purpose.
pub fn parse_action_query(action: &str, text: &str) -> anyhow::Result<Query> {
    if text.trim().is_empty() {
        anyhow::bail!(
            "{action}: the query is empty, and an empty query selects every message in the \
             queue; nothing was done. To {action} the whole queue, say so: `qtriage {action} 'id:*'`"
        );
    }
    parse_query(text)
}

/// The query of an action: its words joined with single spaces, as `list` does, so
/// `qtriage yank auth:test or uid:48` needs no quotes.
pub fn query_text(words: &[String]) -> String {
    words.join(" ")
}

/// Read `--ids FILE` (`-` is stdin): one message id per line, qmail-qread's `#ID` accepted,
/// blank lines skipped. Anything else is an error naming the line: an id is never guessed.
pub fn read_ids(path: &std::path::Path) -> anyhow::Result<Vec<MessageId>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("--ids -: reading stdin")?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("--ids {}", path.display()))?;
    }
    parse_ids(&bytes).map_err(|(line, text)| {
        anyhow::anyhow!(
            "--ids {}: line {line}: not a message id: {}",
            crate::sanitize::sanitize_path(path),
            crate::sanitize::quoted(&text)
        )
    })
}

/// The ids of `--ids` input, in order, without duplicates; `Err((line, text))` at the first
/// line that is not an id.
pub fn parse_ids(bytes: &[u8]) -> Result<Vec<MessageId>, (usize, String)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = raw.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let digits = line.strip_prefix(b"#").unwrap_or(line);
        let id = std::str::from_utf8(digits)
            .ok()
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok())
            .ok_or_else(|| (i + 1, String::from_utf8_lossy(line).into_owned()))?;
        if seen.insert(id) {
            out.push(MessageId(id));
        }
    }
    Ok(out)
}

/// `--ids` that named nothing, as `--json` `skipped` entries (`no message #ID WHERE`).
pub fn unknown_json(ids: &[MessageId], where_: &str) -> Vec<super::print::actions::SkippedJson> {
    ids.iter()
        .map(|id| super::print::actions::SkippedJson::unknown(*id, where_))
        .collect()
}

/// Print the `--ids` that name no message: `unknown #ID: not in the queue`.
pub fn print_unknown(
    out: &mut dyn Write,
    unknown: &[MessageId],
    where_: &str,
) -> std::io::Result<()> {
    for id in unknown {
        writeln!(out, "unknown #{id}: {where_}")?;
    }
    Ok(())
}

/// `--apply` with nothing to act on still refuses while qmail-send runs (exit 2 and how to stop
/// it), as `remove -r` does: a cron job read "no messages match" (exit 1) as if the way were
/// clear (script53). A purge needs qmail-send stopped for nothing.
pub fn refuse_idle_apply(plan: &Plan, act: &ActArgs) -> anyhow::Result<()> {
    if act.apply && plan.needs_send_stopped() {
        let (root, yank_dir) = (&plan.queue_root, &plan.yank_dir);
        actions::run::refuse_before_writing(root, yank_dir, true, act.force)?;
    }
    Ok(())
}

/// Execute `plan`, with a progress bar on a terminal.
pub fn execute(plan: &Plan, opts: &ExecuteOptions) -> anyhow::Result<Outcome> {
    let progress = AtomicU64::new(0);
    if opts.force
        && plan.needs_send_stopped()
        && plan.mta.as_ref().is_some_and(|m| m.is_send_running)
    {
        warnln!("{}", force_warning(plan.direction));
    }
    if !std::io::stderr().is_terminal() {
        return Ok(actions::execute(plan, opts, &progress)?);
    }
    let total = plan.message_count() as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:24} {pos}/{len} messages {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let result = std::thread::scope(|s| {
        let worker = s.spawn(|| actions::execute(plan, opts, &progress));
        // The first tick that saw a move, and the count then: the rate is measured from it.
        let mut first_move: Option<(u64, std::time::Instant)> = None;
        while !worker.is_finished() {
            let done = progress.load(Ordering::Relaxed);
            if done > 0 && first_move.is_none() {
                first_move = Some((done, std::time::Instant::now()));
            }
            bar.set_position(done);
            let moving = first_move.map(|(from, at)| (from, at.elapsed()));
            bar.set_message(progress::note(done, total, moving));
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        worker.join()
    });
    bar.finish_and_clear();
    match result {
        Ok(r) => Ok(r?),
        Err(_) => anyhow::bail!("the action thread panicked"),
    }
}

/// Print what recovery did before the action, and a --force note.
pub fn print_recovered(outcome: &Outcome) {
    print_recovery(&outcome.recovered);
}

/// Print what a recovery did, on stderr: batches completed, and batches closed (killed before
/// anything moved, a journal never sealed or never named).
pub fn print_recovery(r: &actions::RecoveryReport) {
    for line in r.lines("recovered interrupted batch", true) {
        warnln!("qtriage: {line}");
    }
}

/// Complete interrupted batches before an action reads the queue (so its scan sees whole
/// messages), and say what was done.
pub fn recover_first(
    queue_root: &std::path::Path,
    yank_dir: &std::path::Path,
    opts: &actions::ExecuteOptions,
) -> anyhow::Result<()> {
    print_recovery(&actions::recover(queue_root, yank_dir, opts)?);
    Ok(())
}

/// Print the messages of a plan that were refused, and those that failed or vanished.
pub fn print_problems(
    out: &mut dyn Write,
    plan: &Plan,
    outcome: Option<&Outcome>,
) -> std::io::Result<()> {
    // Reasons name paths (`target exists: PATH`, a failed file's path): sanitized.
    let safe =
        |t: &dyn std::fmt::Display| crate::sanitize::sanitize_str(&t.to_string()).into_owned();
    for r in &plan.refused {
        writeln!(out, "refused #{}: {}", r.id, safe(&r.reason))?;
    }
    if let Some(o) = outcome {
        for (id, why) in o.batch.iter().flat_map(|b| &b.failed) {
            let why = crate::actions::plan::left_whole(why);
            writeln!(out, "failed #{id}: {}", safe(&why))?;
        }
        for id in &o.vanished {
            writeln!(out, "vanished #{id}: gone from where it was planned")?;
        }
        for r in &o.skipped {
            writeln!(out, "skipped #{}: {}", r.id, safe(&r.reason))?;
        }
    }
    Ok(())
}

/// The global args' queue opened, and a shorthand for the common start of every action.
pub fn open(global: &GlobalArgs) -> anyhow::Result<Queue> {
    Ok(global.open_queue()?)
}

/// Print the mta state line shown in dry runs.
pub fn mta_line(plan: &Plan) -> String {
    match &plan.mta {
        Some(m) if m.is_send_running => {
            "qmail-send: RUNNING — --apply will refuse until it is stopped (or --force)".into()
        }
        Some(_) => "qmail-send: stopped".into(),
        None => "qmail-send: unknown (cannot open lock/sendmutex)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_one_a_line_with_or_without_hash() {
        let ids = parse_ids(b"12345\n#678\n\n  90 \n12345\n").expect("ids");
        assert_eq!(ids, vec![MessageId(12345), MessageId(678), MessageId(90)]);
        assert_eq!(parse_ids(b"1\n12a\n"), Err((2, "12a".to_string())));
        assert_eq!(parse_ids(b"-3\n"), Err((1, "-3".to_string())));
        assert_eq!(parse_ids(b"# 5\n"), Err((1, "# 5".to_string())));
        assert_eq!(parse_ids(b""), Ok(vec![]));
    }
}
