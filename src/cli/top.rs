//! `qtriage top`: the likely culprits across all keys, ranked, with reasons; then what looks
//! legitimate and must not be removed.

use std::io::Write;

use super::clusters::{cluster_query, load_with_unlisted, value_text, AnalysisArgs, ClusterJson};
use super::print::json::write_line;
use super::print::wrap::Wrap;
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::Restored;
use crate::analysis::key::ClusterKey;
use crate::analysis::rank::Verdict;
use crate::analysis::Want;
use crate::analysis::{Analysis, TOP_LIMIT};
use crate::sanitize::sanitize_bytes;
use crate::size::thousands;

/// Arguments of `top`.
#[derive(Debug, clap::Args)]
pub struct TopArgs {
    /// List at most N culprits and suspects; every culprit is listed whatever N is, the limit
    /// trims the suspects ("+N more"). Legitimate-looking clusters are listed after them.
    #[arg(long, value_name = "N", default_value_t = TOP_LIMIT)]
    pub limit: usize,
    /// Shared options.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Run `top`.
pub fn run(global: &GlobalArgs, args: &TopArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let (a, unlisted) = match load_with_unlisted(
        global,
        &args.analysis,
        ClusterKey::AuthUser,
        args.limit,
        Want::Ranking,
    )? {
        Ok(loaded) => loaded,
        Err(code) => return Ok(code),
    };
    let picked = note_picked_back(global, &a);
    if args.analysis.json {
        for c in &a.top {
            write_line(out, &ClusterJson::new(c, &a.strings))?;
        }
    } else {
        let unread = crate::queue::problems::Unread::of(&a.records, unlisted);
        let leaves = "this ranking leaves out what they hold";
        if let Some(words) = unread.words_of(a.records.len(), leaves) {
            writeln!(out, "{words}")?;
        }
        write_text(out, &a, args.analysis.where_.as_deref(), global.wrap)?;
        // Under each cluster would need the picks in `write_text`, which `plan` shares:
        // a list after the ranking names them instead.
        write_picked(out, &a, &picked)?;
    }
    Ok(if a.records.is_empty() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

/// Say on stderr, as the other notes, how many of the messages ranked the operator picked
/// back as real mail: the ranking counts them with their clusters, `plan` and `report` leave
/// them (newuser48b: `top` named a culprit `plan` did not take, and nothing said why).
fn note_picked_back(global: &GlobalArgs, a: &Analysis) -> Option<Restored> {
    let queue = global.open_queue().ok()?;
    let restored = match super::restored::restored_in(&queue) {
        Ok(r) => r,
        // `plan` refuses to give a query then: said here too, as why the two may differ.
        Err(e) => {
            let e = crate::sanitize::sanitize_str(&e.to_string()).into_owned();
            warnln!("qtriage: note: {e}");
            return None;
        }
    };
    let n = a.records.iter().filter(|r| restored.contains(r.id)).count();
    if n > 0 {
        let n = crate::size::counted(n as u64, "message is", "messages are");
        warnln!(
            "qtriage: note: {n} picked back from the yank area as real mail, ranked with \
             their clusters; qtriage plan and report leave them (qtriage list restored:yes)"
        );
    }
    Some(restored)
}

/// The ranked culprits and suspects with messages the operator picked back, after the ranking:
/// `top` still called a newsletter restored whole a culprit, and only stderr said why `plan`
/// did not take it (newuser50).
fn write_picked(
    out: &mut dyn Write,
    a: &Analysis,
    picked: &Option<Restored>,
) -> std::io::Result<()> {
    let Some(picked) = picked else {
        return Ok(());
    };
    let mut lines = Vec::new();
    for (i, c) in a.top.iter().enumerate() {
        let n = (c.members.iter())
            .filter_map(|&m| a.records.get(m as usize))
            .filter(|r| picked.contains(r.id))
            .count();
        if n > 0 && c.verdict() != Verdict::Legitimate {
            let of = match n == c.messages {
                true => "all its messages".to_string(),
                false => format!("{} of its {} messages", thousands(n), thousands(c.messages)),
            };
            lines.push(format!("{:>2}. {of}", i + 1));
        }
    }
    if !lines.is_empty() {
        writeln!(
            out,
            "\npicked back from the yank area as real mail (qtriage plan leaves them):"
        )?;
        for l in lines {
            writeln!(out, "  {l}")?;
        }
    }
    Ok(())
}

/// The ranking as text: one block per cluster, its summary, its signals, its query; `where_`
/// is `--where`'s query, if any. The summary and signals wrap to `wrap`; the query stays one
/// line to be pasted.
pub fn write_text(
    out: &mut dyn Write,
    a: &Analysis,
    where_: Option<&str>,
    wrap: Wrap,
) -> std::io::Result<()> {
    let safe = |s: &str| sanitize_bytes(s.as_bytes()).into_owned();
    let analysed = super::clusters::analysed_line(a.records.len(), where_);
    wrap.line(out, "", "  ", &analysed)?;
    for (i, c) in a.top.iter().enumerate() {
        let value = sanitize_bytes(&value_text(c, a)).into_owned();
        let heading = format!(
            "{:<7}  score {:>5.1}  {} {}  ({} messages)",
            c.verdict().name(),
            c.score,
            c.key.name(),
            value,
            crate::size::thousands(c.messages)
        );
        writeln!(out)?;
        // The hang under the heading's number, however wide it is (`100. ` with --limit 100).
        let number = format!("{:>2}. ", i + 1);
        wrap.line(out, &number, &" ".repeat(number.len()), &heading)?;
        let mut reasons = c.reasons.iter();
        if let Some(summary) = reasons.next() {
            wrap.line(out, "    ", "    ", &safe(summary))?;
        }
        for r in reasons {
            wrap.line(out, "      - ", "        ", &safe(r))?;
        }
        writeln!(out, "    query: {}", safe(&cluster_query(c, &a.strings)))?;
    }
    if a.top_more > 0 {
        writeln!(
            out,
            "\n+{} (a larger --limit lists them; every culprit is listed)",
            crate::size::counted(a.top_more as u64, "more suspect", "more suspects")
        )?;
    }
    Ok(())
}
