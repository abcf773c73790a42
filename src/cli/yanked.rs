//! `qtriage yanked [--json] [--batches]`: the journal's batches and the yank area's messages.

use super::wire::yanked::{BatchJson, MessageJson};
use crate::size::{counted, thousands};
use std::io::Write;

use super::act;
use super::{exit::ExitCode, GlobalArgs};
use crate::actions;
use crate::queue::date::rfc3339;
use crate::sanitize::sanitize_path;

/// Arguments of `yanked`.
#[derive(Debug, clap::Args)]
pub struct YankedArgs {
    /// One JSON object per line: batches first ("type":"batch"), then messages ("type":"message").
    #[arg(long)]
    pub json: bool,
    /// The yank area (default: <queue>/yanked).
    #[arg(long, value_name = "DIR")]
    pub yank_dir: Option<std::path::PathBuf>,
    /// Only the batches (and, in text, how many messages the yank area holds): a yank of a
    /// flood lists each of its messages otherwise.
    #[arg(long)]
    pub batches: bool,
}

/// Run `yanked`.
pub fn run(
    global: &GlobalArgs,
    args: &YankedArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let queue = act::open(global)?;
    let flags = act::ActArgs {
        apply: false,
        force: false,
        yank_dir: args.yank_dir.clone(),
        json: false,
    };
    let yank_dir = flags.yank_dir(&queue);
    let ledger = actions::Ledger::load(&yank_dir)?;
    let batches = batch_lines(&ledger);
    let messages = match args.batches {
        true => Vec::new(),
        false => message_lines(&ledger),
    };
    if args.json {
        write_json(out, &batches, &messages)?;
    } else {
        let orphans = ledger.orphans().count();
        let held = (ledger.messages.len(), orphans);
        let left = (ledger.left_by_interrupted().into_iter())
            .map(|(i, n)| {
                let b = &ledger.batches[i].header;
                // Running: the action at work is moving them now.
                let what = match ledger.is_running(i) {
                    true => "running now: it is moving them",
                    false => "interrupted: with qmail-send stopped, qtriage recover completes it",
                };
                format!(
                    "{} of them listed by {} batch {} ({what})",
                    thousands(n as u64),
                    b.direction.name(),
                    b.batch
                )
            })
            .collect::<Vec<_>>();
        write_text(out, &batches, &messages, (held, &left), &yank_dir)?;
    }
    Ok(ExitCode::Success)
}

/// One line per batch of the journal, oldest first.
fn batch_lines(ledger: &actions::Ledger) -> Vec<BatchJson<'_>> {
    ledger
        .batches
        .iter()
        .enumerate()
        .map(|(i, b)| BatchJson {
            r#type: "batch",
            batch: &b.header.batch,
            direction: b.header.direction,
            state: b.state,
            running: ledger.is_running(i),
            query: &b.header.query,
            created: rfc3339(b.header.created),
            messages: b.messages.len(),
            failed: b.failed.len(),
            in_yank_area: ledger.in_yank_area(i),
            verdict: b.header.verdict,
        })
        .collect()
}

/// One line per message in the yank area, with the batch that yanked it.
fn message_lines(ledger: &actions::Ledger) -> Vec<MessageJson<'_>> {
    ledger
        .messages
        .iter()
        .map(|m| MessageJson {
            r#type: "message",
            id: m.id,
            files: m.files.iter().map(|s| s.name()).collect(),
            bytes: m.bytes,
            yanked_at: rfc3339(m.yanked_at),
            batch: ledger.batch_of(m.id),
            interrupted_by: (ledger.interrupted_by(m))
                .map(|i| ledger.batches[i].header.batch.as_str()),
        })
        .collect()
}

/// `--json`: the batches, then the messages, one object a line.
fn write_json(
    out: &mut dyn Write,
    batches: &[BatchJson<'_>],
    messages: &[MessageJson<'_>],
) -> std::io::Result<()> {
    for j in batches {
        super::print::json::write_line(out, j)?;
    }
    for j in messages {
        super::print::json::write_line(out, j)?;
    }
    Ok(())
}

/// The text: a line per batch, the count of messages and orphans, a line per message.
fn write_text(
    out: &mut dyn Write,
    batches: &[BatchJson<'_>],
    messages: &[MessageJson<'_>],
    ((held, orphans), left): ((usize, usize), &[String]),
    yank_dir: &std::path::Path,
) -> std::io::Result<()> {
    for j in batches {
        // Only a yank leaves messages in the yank area; a restore's or purge's count of them
        // would read as if something were left.
        let counts = match j.direction {
            crate::actions::journal::Direction::Yank => {
                format!(
                    "{} in the yank area, {} failed",
                    thousands(j.in_yank_area as u64),
                    thousands(j.failed as u64)
                )
            }
            _ => format!("{} failed", thousands(j.failed as u64)),
        };
        writeln!(
            out,
            "batch {}  {:<7}  {:<11}  {} ({counts})  {}  {}",
            j.batch,
            j.direction.name(),
            match j.running {
                true => "running".to_string(),
                false => j.state.name().to_string(),
            },
            counted(j.messages as u64, "message", "messages"),
            j.created,
            crate::sanitize::sanitize_str(j.query)
        )?;
    }
    writeln!(
        out,
        "{} in {} ({} without a batch, e.g. yanked by qmail-remove)",
        counted(held as u64, "yanked message", "yanked messages"),
        sanitize_path(yank_dir),
        thousands(orphans as u64)
    )?;
    for line in left {
        writeln!(out, "{line}")?;
    }
    for j in messages {
        // A message an interrupted restore or purge was taking out is that batch's.
        let interrupted = j.interrupted_by.map(|b| format!("interrupted:{b}"));
        writeln!(
            out,
            "  #{}  {}  {}  {}  {}",
            j.id,
            j.files.join(","),
            crate::size::human_bytes(j.bytes),
            j.yanked_at,
            j.batch.or(interrupted.as_deref()).unwrap_or("-")
        )?;
    }
    Ok(())
}
