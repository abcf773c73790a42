//! `qtriage check`: the queue's consistency report (src/queue/check.rs) plus the yank area's
//! unfinished batches, as text or one JSON object; it never changes anything.

use super::wire::check::{CheckJson, FindingJson, YankAreaJson};
use crate::size::counted;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use super::print::json::{write_line, Text};
use super::{exit::ExitCode, GlobalArgs};
use crate::actions::{self, BatchState};
use crate::queue::check::{check, CheckOptions, Finding, FindingKind, Owners};
use crate::queue::MessageId;
use crate::sanitize::sanitize_bytes;

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// passwd file naming qmail's users `qmailq` and `qmails` [default: /etc/passwd].
    #[arg(long, value_name = "FILE")]
    pub passwd: Option<PathBuf>,
    /// The yank area whose journal is checked (default: <queue>/yanked).
    #[arg(long, value_name = "DIR")]
    pub yank_dir: Option<PathBuf>,
    /// Text: every finding (without it, the first 20 of each kind and how many more).
    #[arg(long)]
    pub all: bool,
}

fn path_bytes(p: &std::path::Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes()
}

/// qmailq's and qmails's uids from the passwd file; a note when they cannot be had.
fn owners(passwd: Option<&std::path::Path>) -> Result<Owners, String> {
    let path = passwd.unwrap_or(std::path::Path::new("/etc/passwd"));
    let text = std::fs::read(path)
        .map_err(|e| format!("owners not checked: {} not read: {e}", path.display()))?;
    let uid = |name: &str| uid_of(&text, name);
    match (uid("qmailq"), uid("qmails")) {
        (Some(qmailq), Some(qmails)) => Ok(Owners { qmailq, qmails }),
        _ => Err(format!(
            "owners not checked: no qmailq and qmails users in {}",
            path.display()
        )),
    }
}

/// The uid of user `name` in passwd-format `text`.
fn uid_of(text: &[u8], name: &str) -> Option<u32> {
    text.split(|b| *b == b'\n').find_map(|line| {
        let mut f = line.split(|b| *b == b':');
        if f.next()? != name.as_bytes() {
            return None;
        }
        std::str::from_utf8(f.nth(1)?).ok()?.parse().ok()
    })
}

/// The yank area's unfinished batches as [`batch_findings`] reads them.
struct Unfinished {
    /// A finding a batch neither done nor abandoned.
    findings: Vec<Finding>,
    /// The batches its journal holds in all.
    batches: u64,
    /// The messages an interrupted batch (not one at work now) lists, and its words: a message
    /// it half-moved is an envelope without its mess in the queue, whose repair is `recover`,
    /// not a yank of the envelope (newuser60, after a kill -9 during a restore).
    moving: HashMap<MessageId, String>,
}

/// The yank area's batches that are neither done nor abandoned, and how many batches its
/// journal holds in all (an unreadable journal is an error: exit 2).
fn batch_findings(yank_dir: &std::path::Path) -> anyhow::Result<Unfinished> {
    // Asked before and after the listing (as `yanked` does): an action starting or ending
    // meanwhile is at work, not interrupted.
    let before = actions::lock::action_running(yank_dir);
    let journals = actions::area::journal_dir(yank_dir);
    let pending = actions::journal::pending_files(&journals)?;
    let batches = actions::journal::journal_files(&journals)?.len() as u64;
    let unfinished = actions::run::unfinished(yank_dir)?;
    let running = before || actions::lock::action_running(yank_dir);
    let mut out = Vec::new();
    let mut moving = HashMap::new();
    let finding = |path, detail| Finding {
        kind: FindingKind::UnfinishedBatch,
        id: None,
        files: vec![path],
        detail,
        repair: match running {
            true => "none while it runs (qtriage recover refuses until it is done)".into(),
            false => "with qmail-send stopped: qtriage recover".into(),
        },
    };
    let killed = "batch killed while its journal was written: never sealed, nothing of it moved";
    let torn = match running {
        true => {
            "batch whose journal is being written now (a qtriage action holds the journal lock)"
        }
        false => killed,
    };
    for path in pending {
        out.push(finding(path, torn.to_string()));
    }
    for path in unfinished {
        let batch = match actions::journal::load(&path) {
            // Only an older qtriage wrote a `.journal` in place: never one being written now.
            Err(e) if actions::journal::is_torn_header(&e) => {
                out.push(finding(path, killed.to_string()));
                continue;
            }
            batch => batch?,
        };
        let what = match batch.state {
            _ if running => "running now (a qtriage action holds the journal lock): wait for it",
            BatchState::Unsealed => "never sealed: nothing of it moved",
            _ => "interrupted: some messages may be half-moved",
        };
        let named = format!(
            "{} batch {}",
            batch.header.direction.name(),
            batch.header.batch
        );
        if batch.state == BatchState::Interrupted && !running {
            moving.extend(batch.messages.iter().map(|m| (m.id, named.clone())));
        }
        out.push(finding(path, format!("{named} {what}")));
    }
    Ok(Unfinished {
        findings: out,
        batches,
        moving,
    })
}

/// A message an interrupted batch split (some files moved, some not) is repaired by completing
/// the batch: `recover` puts its files where the batch was taking them, whole. Only the kinds
/// a split leaves: an `owner` or `mode` finding of a message the batch lists is not recover's
/// to fix (review60).
fn repair_by_recover(findings: &mut [Finding], moving: &HashMap<MessageId, String>) {
    const SPLIT: [FindingKind; 4] = [
        FindingKind::EnvelopeWithoutMess,
        FindingKind::EnvelopeWithoutInfo,
        FindingKind::StaleMess,
        FindingKind::TodoWithoutIntd,
    ];
    for f in findings.iter_mut().filter(|f| SPLIT.contains(&f.kind)) {
        if let Some(batch) = f.id.and_then(|id| moving.get(&id)) {
            f.repair = format!(
                "with qmail-send stopped: qtriage recover (the interrupted {batch} was moving \
                 it: recover completes the move)"
            );
        }
    }
}

/// An envelope without its mess whose mess is in the yank area (`ID.mess`) is half of a split
/// message: its repair is to put that mess back, not to yank the envelope after it, which a
/// restore then cannot reunite (safety62). A batch still moving it is `recover`'s, below.
fn mess_in_yank_area(
    findings: &mut [Finding],
    queue: &crate::queue::Queue,
    areas: &[std::path::PathBuf],
) {
    let envelopes = (findings.iter_mut()).filter(|f| f.kind == FindingKind::EnvelopeWithoutMess);
    for f in envelopes {
        let Some(id) = f.id else { continue };
        let name = actions::mover::yank_name(id, crate::queue::Subdir::Mess);
        let mut found = areas.iter().map(|a| a.join(&name));
        if let Some(yanked) = found.find(|p| std::fs::symlink_metadata(p).is_ok()) {
            f.repair = format!(
                "its mess is in the yank area: with qmail-send stopped, put it back: mv {} {}",
                yanked.display(),
                queue.path(crate::queue::Subdir::Mess, id).display()
            );
        }
    }
}

/// Run `check`: exit 1 when anything was found.
pub fn run(global: &GlobalArgs, args: &CheckArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    let yank_dir = match &args.yank_dir {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => queue.root().join(d),
        None => actions::default_yank_dir(queue.root()),
    };
    let mut notes = Vec::new();
    let owners = owners(args.passwd.as_deref())
        .map_err(|n| notes.push(n))
        .ok();
    let opts = CheckOptions {
        now: super::clusters::now()?,
        owners,
    };
    let mut report = check(&queue, &opts);
    let mut unfinished = batch_findings(&yank_dir)?;
    // The other yank areas actions used (`recover` completes their batches too); one gone or
    // replaced since is no area (review62: a file in its place made every check exit 2).
    let mut areas = vec![yank_dir.clone()];
    if args.yank_dir.is_none() {
        let others = actions::area::registered(queue.root()).into_iter();
        let (others, gone): (Vec<_>, Vec<_>) = others.partition(|a| a.is_dir());
        notes.extend(gone.iter().map(|a| super::recover::gone_area(a)));
        for area in others {
            let other = batch_findings(&area)?;
            unfinished.findings.extend(other.findings);
            unfinished.moving.extend(other.moving);
            areas.push(area);
        }
    }
    mess_in_yank_area(&mut report.findings, &queue, &areas);
    repair_by_recover(&mut report.findings, &unfinished.moving);
    report.findings.extend(unfinished.findings);
    let held = YankAreaHeld::count(&yank_dir, unfinished.batches, &mut notes);
    if args.json {
        let j = CheckJson {
            queue: crate::cli::wire::Text::path(queue.root()),
            messages: report.messages,
            files: report.files,
            findings: report
                .findings
                .iter()
                .map(|f| FindingJson {
                    kind: f.kind.name(),
                    id: f.id.map(|i| i.0),
                    files: f
                        .files
                        .iter()
                        .map(|p| Text(std::sync::Arc::from(path_bytes(p))))
                        .collect(),
                    detail: f.detail.clone(),
                    repair: f.repair.clone(),
                })
                .collect(),
            notes,
            yank_area: YankAreaJson {
                dir: Text::path(&yank_dir),
                batches: held.batches,
                messages: held.messages,
            },
        };
        write_line(out, &j)?;
    } else {
        let shown = match args.all {
            true => usize::MAX,
            false => SHOWN_PER_KIND,
        };
        write_text(out, &report.findings, &notes, shown)?;
        held.write_line(out, &yank_dir)?;
        writeln!(
            out,
            "{} in {} ({}, {}){}",
            counted(report.findings.len() as u64, "finding", "findings"),
            sanitize_bytes(path_bytes(queue.root())),
            counted(report.messages as u64, "message", "messages"),
            counted(report.files as u64, "file", "files"),
            by_kind(&report.findings)
        )?;
    }
    Ok(if report.findings.is_empty() {
        ExitCode::Success
    } else {
        ExitCode::NoMatch
    })
}

/// What of the yank area was checked: its journal's batches (an unfinished one is a finding)
/// and the messages in it. newuser53 read nothing of it on a yank area of 4,199 messages and took
/// it as not looked at.
struct YankAreaHeld {
    batches: u64,
    messages: u64,
}

impl YankAreaHeld {
    /// `batches` from [`batch_findings`]' listing; an area whose messages cannot be listed is
    /// a note, not a count of none (review54: an unreadable yank area said nothing, the
    /// silence newuser53 took as not looked at).
    fn count(yank_dir: &std::path::Path, batches: u64, notes: &mut Vec<String>) -> Self {
        let messages = actions::list_yanked(yank_dir).map_or_else(
            |e| {
                notes.push(format!(
                    "the yank area's messages could not be listed ({e}): not counted"
                ));
                0
            },
            |m| m.len() as u64,
        );
        YankAreaHeld { batches, messages }
    }

    /// Text: one line when the area holds anything, before the count line, which stays last.
    fn write_line(&self, out: &mut dyn Write, yank_dir: &std::path::Path) -> std::io::Result<()> {
        if self.batches == 0 && self.messages == 0 {
            return Ok(());
        }
        writeln!(
            out,
            "yank area {}: {} checked, {} in it (qtriage yanked lists them)",
            sanitize_bytes(path_bytes(yank_dir)),
            counted(self.batches, "journaled batch", "journaled batches"),
            counted(self.messages, "message", "messages")
        )
    }
}

/// `: owner 9,138, unfinished-batch 1` (fewest first), so one finding among thousands of
/// another kind is seen on the last line; empty without findings.
fn by_kind(findings: &[Finding]) -> String {
    let mut counts: std::collections::BTreeMap<&'static str, u64> = Default::default();
    for f in findings {
        *counts.entry(f.kind.name()).or_default() += 1;
    }
    let mut counts: Vec<(&str, u64)> = counts.into_iter().collect();
    counts.sort_by_key(|&(kind, n)| (n, kind));
    let words: Vec<String> = counts
        .iter()
        .map(|(kind, n)| format!("{kind} {}", crate::size::thousands(*n)))
        .collect();
    match words.is_empty() {
        true => String::new(),
        false => format!(": {}", words.join(", ")),
    }
}

/// Findings of one kind written in full without `--all`: a queue restored from a backup as
/// root has an `owner` finding a file, three lines each (27,415 lines for 3,000 messages).
const SHOWN_PER_KIND: usize = 20;

/// `KIND #ID: detail`, then its files and the repair, indented, `shown` of each kind and a
/// line for the rest; the notes last. Unfinished batches first: after a kill -9 their repair
/// (`recover`) is the one that matters, and the half-moved messages' own findings came first
/// (newuser60).
fn write_text(
    out: &mut dyn Write,
    findings: &[Finding],
    notes: &[String],
    shown: usize,
) -> std::io::Result<()> {
    let mut seen: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let batch = |f: &&Finding| f.kind == FindingKind::UnfinishedBatch;
    let (batches, rest) = (
        findings.iter().filter(batch),
        findings.iter().filter(|f| !batch(f)),
    );
    for f in batches.chain(rest) {
        let n = seen.entry(f.kind.name()).or_default();
        *n += 1;
        if *n > shown {
            continue;
        }
        let id = f.id.map_or(String::new(), |i| format!(" #{i}"));
        writeln!(out, "{}{id}: {}", f.kind.name(), f.detail)?;
        for p in &f.files {
            writeln!(out, "  file: {}", sanitize_bytes(path_bytes(p)))?;
        }
        writeln!(out, "  repair: {}", sanitize_bytes(f.repair.as_bytes()))?;
    }
    for (kind, n) in seen.into_iter().filter(|&(_, n)| n > shown) {
        writeln!(
            out,
            "{kind}: {} more like these (`check --all` lists them; `--json` has every one)",
            crate::size::thousands((n - shown) as u64)
        )?;
    }
    for n in notes {
        writeln!(out, "note: {}", sanitize_bytes(n.as_bytes()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only what a half-move leaves is repaired by `recover`: a message of the interrupted
    /// batch whose file has the wrong owner keeps its `chown` (review60).
    #[test]
    fn recover_repairs_only_what_a_split_leaves() {
        let id = MessageId(7);
        let finding = |kind| Finding {
            kind,
            id: Some(id),
            files: Vec::new(),
            detail: String::new(),
            repair: "own".into(),
        };
        let mut all = vec![
            finding(FindingKind::EnvelopeWithoutMess),
            finding(FindingKind::Owner),
            Finding {
                id: Some(MessageId(8)),
                ..finding(FindingKind::EnvelopeWithoutMess)
            },
        ];
        let moving = HashMap::from([(id, "restore batch B".to_string())]);
        repair_by_recover(&mut all, &moving);
        assert!(all[0]
            .repair
            .contains("qtriage recover (the interrupted restore batch B"));
        assert_eq!(all[1].repair, "own");
        assert_eq!(all[2].repair, "own");
    }

    /// The last line's counts: the fewest first, so one finding is not lost under thousands.
    #[test]
    fn kinds_are_counted_fewest_first() {
        let finding = |kind| Finding {
            kind,
            id: None,
            files: Vec::new(),
            detail: String::new(),
            repair: String::new(),
        };
        let mut all: Vec<Finding> = (0..1200).map(|_| finding(FindingKind::Owner)).collect();
        all.push(finding(FindingKind::UnfinishedBatch));
        all.extend((0..3).map(|_| finding(FindingKind::Mode)));
        assert_eq!(by_kind(&all), ": unfinished-batch 1, mode 3, owner 1,200");
        assert_eq!(by_kind(&[]), "");
    }

    /// Without `--all`, 20 of a kind in full and one line for the rest; a kind with fewer is
    /// written whole, and with `--all` every finding is.
    #[test]
    fn text_shows_twenty_of_a_kind_and_counts_the_rest() {
        let finding = |kind, id| Finding {
            kind,
            id: Some(crate::queue::MessageId(id)),
            files: Vec::new(),
            detail: "d".into(),
            repair: "r".into(),
        };
        let mut all: Vec<Finding> = (0..1200).map(|i| finding(FindingKind::Owner, i)).collect();
        all.extend((0..3).map(|i| finding(FindingKind::Mode, i)));
        let text = |shown| {
            let mut out = Vec::new();
            write_text(&mut out, &all, &[], shown).expect("write");
            String::from_utf8(out).expect("utf-8")
        };
        let short = text(SHOWN_PER_KIND);
        assert_eq!(
            short.lines().filter(|l| l.starts_with("owner #")).count(),
            20
        );
        assert_eq!(short.lines().filter(|l| l.starts_with("mode #")).count(), 3);
        assert!(short.contains("\nowner: 1,180 more like these"), "{short}");
        assert!(!short.contains("mode: "), "{short}");
        let long = text(usize::MAX);
        assert_eq!(
            long.lines().filter(|l| l.starts_with("owner #")).count(),
            1200
        );
        assert!(!long.contains("more like these"), "{long}");
    }
}
