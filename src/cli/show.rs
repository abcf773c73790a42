//! `qtriage show ID...`: messages shown whole for the operator, as the TUI's inspector shows them
//! ([`crate::inspect`]: envelope, Received chain with the origin line marked, subject decoded and
//! raw, headers, the first body lines), read afresh by id; every line sanitized.

use std::io::Write;

use super::{exit::ExitCode, GlobalArgs};
use crate::inspect::{inspect, Inspection, MAX_BODY_LINES};
use crate::queue::{Interner, MessageId};

/// Arguments of `show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The messages' ids (qmail-qread's `#ID` accepted), as `list` and `read` print them.
    #[arg(value_name = "ID", required = true)]
    pub ids: Vec<String>,
}

/// Run `show`: exit 1 when some id names no message in the queue (said on stderr), else 0.
pub fn run(global: &GlobalArgs, args: &ShowArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    // Every id read before the queue is, so a typo touches nothing and says which word it was.
    let ids = super::act::parse_ids(args.ids.join("\n").as_bytes()).map_err(|(_, text)| {
        anyhow::anyhow!("show: not a message id: {}", crate::sanitize::quoted(&text))
    })?;
    let evidence = global.load_logs()?;
    let queue = global.open_queue()?;
    let strings = Interner::new();
    let yank_dir = crate::actions::default_yank_dir(queue.root());
    let picks = crate::actions::Restored::in_queue(&queue, &yank_dir);
    let (mut missing, mut shown_any) = (0, false);
    for &id in &ids {
        let mut record = match crate::queue::scan::read_one(&queue, &strings, id) {
            Ok(r) => r,
            Err(e) => {
                // A yanked message is not shown here; where it is, and how to see it, is said
                // (newuser49b looked for one it had just yanked).
                let yanked = crate::actions::default_yank_dir(queue.root()).join(
                    crate::actions::mover::yank_name(id, crate::queue::Subdir::Mess),
                );
                let why = match e.kind() {
                    std::io::ErrorKind::NotFound if yanked.symlink_metadata().is_ok() => format!(
                        "not in the queue: it is in the yank area (qtriage list --yanked id:{id} \
                         lists it)"
                    ),
                    std::io::ErrorKind::NotFound => "not in the queue".to_string(),
                    _ => crate::sanitize::sanitize_str(&e.to_string()).into_owned(),
                };
                warnln!("qtriage: show: #{id}: {why}");
                missing += 1;
                continue;
            }
        };
        // With --log, a message whose headers name no AUTH user shows the one its log line
        // names, and that line, as the inspector does.
        let records = std::slice::from_mut(&mut record);
        let logs = crate::analysis::evidence::from_any_logs(records, &strings, evidence.as_ref());
        let mut shown = inspect(&queue, &strings, &record, logs.attributed.get(&id));
        crate::inspect::note_picked_back(&mut shown, &picks);
        // A blank line between messages, none before the first shown.
        if shown_any {
            writeln!(out)?;
        }
        shown_any = true;
        write_inspection(out, id, &shown)?;
    }
    Ok(match missing {
        0 => ExitCode::Success,
        _ => ExitCode::NoMatch,
    })
}

/// One message's sections, as the inspector lays them out, each line indented under its title.
fn write_inspection(out: &mut dyn Write, id: MessageId, i: &Inspection) -> std::io::Result<()> {
    writeln!(out, "message #{id}")?;
    writeln!(out, "Envelope")?;
    for l in &i.envelope {
        writeln!(out, "  {l}")?;
    }
    if let Some(p) = &i.problem {
        writeln!(out, "  ! {p}")?;
    }
    writeln!(
        out,
        "Received (▶ = where the origin was read; lines below it were written by the client)"
    )?;
    for (n, r) in i.received.iter().enumerate() {
        let mark = if Some(n) == i.origin_line { "▶" } else { " " };
        writeln!(out, "{mark} {r}")?;
    }
    writeln!(out, "Subject")?;
    match &i.subject {
        Some((decoded, raw)) => {
            writeln!(out, "  decoded {decoded}")?;
            writeln!(out, "  raw     {raw}")?;
        }
        None => writeln!(out, "  (no subject)")?,
    }
    writeln!(out, "Headers")?;
    for h in &i.headers {
        writeln!(out, "  {h}")?;
    }
    writeln!(out, "Body (first {MAX_BODY_LINES} lines)")?;
    for b in &i.body {
        writeln!(out, "  {b}")?;
    }
    Ok(())
}
