//! `qtriage purge`: delete yanked messages for good (the only permanent deletion).

use std::io::Write;

use super::act::{self, ActArgs};
use super::print::actions::ActionJson;
use super::print::json::write_line;
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, PurgeSelection};
use crate::sanitize::sanitize_path;

/// Arguments of `purge`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["batch", "older_than", "all"])))]
pub struct PurgeArgs {
    /// Purge the messages of this yank batch that are still in the yank area.
    #[arg(long, value_name = "ID")]
    pub batch: Option<String>,
    /// Purge messages yanked longer ago than this: `90s`, `30m`, `12h`, `7d`, `2w` (or seconds).
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub older_than: Option<i64>,
    /// Purge everything in the yank area.
    #[arg(long)]
    pub all: bool,
    /// Common action flags.
    #[command(flatten)]
    pub act: ActArgs,
}

/// Parse `90s`, `30m`, `12h`, `7d`, `2w` or plain seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: i64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        "w" => 7 * 86400,
        _ => return Err(format!("bad duration unit in {s:?} (use s, m, h, d or w)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("duration {s:?} too large"))
}

/// Run `purge`.
pub fn run(global: &GlobalArgs, args: &PurgeArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    act::report_error(run_inner(global, args, out))
}

fn run_inner(
    global: &GlobalArgs,
    args: &PurgeArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let queue = act::open(global)?;
    let yank_dir = args.act.checked_yank_dir(&queue)?;
    let opts = args.act.execute_options()?;
    let (sel, text) = match (&args.batch, args.older_than) {
        (Some(b), _) => (PurgeSelection::Batch(b.clone()), format!("--batch {b}")),
        (None, Some(secs)) => (
            PurgeSelection::OlderThan {
                secs,
                now: opts.now,
            },
            format!("--older-than {secs}s"),
        ),
        (None, None) => (PurgeSelection::All, "--all".into()),
    };
    let plan = actions::plan_purge(&queue, &yank_dir, &sel, &text)?;
    if plan.messages.is_empty() {
        if args.act.json {
            write_line(out, &ActionJson::nothing(&plan, &[], args.act.apply))?;
        } else {
            writeln!(out, "nothing to purge")?;
            // What was kept and why (a split message's only half), said even when nothing
            // else is to be deleted.
            act::print_problems(out, &plan, None)?;
        }
        return Ok(ExitCode::NoMatch);
    }
    if !args.act.apply {
        if args.act.json {
            write_line(
                out,
                &ActionJson::dry_run(&plan, &[], act::apply_command(&plan.queue_root)),
            )?;
            return Ok(ExitCode::Success);
        }
        writeln!(
            out,
            "would delete {} ({}) from {} for good",
            crate::size::counted(
                plan.message_count() as u64,
                "yanked message",
                "yanked messages"
            ),
            act::human_bytes(plan.bytes()),
            sanitize_path(&yank_dir)
        )?;
        writeln!(out, "apply with: {}", act::apply_line(&plan.queue_root))?;
        return Ok(ExitCode::Success);
    }
    let outcome = act::execute(&plan, &opts)?;
    act::print_recovered(&outcome);
    if args.act.json {
        write_line(out, &ActionJson::applied(&plan, &[], &outcome, None))?;
        return Ok(ExitCode::Success);
    }
    act::print_problems(out, &plan, Some(&outcome))?;
    match &outcome.batch {
        Some(b) => writeln!(
            out,
            "purged {} ({}) in batch {}",
            crate::size::counted(b.messages, "message", "messages"),
            crate::size::counted(b.files, "file", "files"),
            b.batch
        )?,
        None => writeln!(out, "nothing purged: every selected message was gone")?,
    }
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("7d"), Ok(604800));
        assert_eq!(parse_duration("2w"), Ok(1209600));
        assert!(parse_duration("3y").is_err());
        assert!(parse_duration("h").is_err());
    }
}
