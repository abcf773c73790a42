//! Compose a whole report: the queue's part ([`build`]), the logs' evidence, what the action
//! journal says was done, and the accounts to fix; the one call both faces make.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::build::{add_fixes, build, ReportSources, REPORT_HASH_ATTEMPTS};
use super::{ActionDone, Evidence, EvidenceSource, ReportInput, MAX_EVIDENCE_LINES};
use crate::accounts::{assess, CheckOptions};
use crate::actions::{area, BatchState, Direction};
use crate::analysis::evidence::LogFacts;
use crate::analysis::key::ClusterKey;
use crate::queue::scan::scan_yank_area;
use crate::queue::{Interner, MessageId, MessageRecord};
use crate::sanitize::sanitize_str;

/// Why the yank area's messages could not be read for the report.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct YankAreaError {
    /// The yank area.
    pub path: std::path::PathBuf,
    /// What failed.
    #[source]
    pub source: std::io::Error,
}

/// Everything outside the queue scan that a report reads.
#[derive(Debug, Clone, Copy)]
pub struct Extras<'a> {
    /// Logs were given (`--log`): the log section is filled from `sources.logs`, even if empty.
    pub logs_read: bool,
    /// The yank area whose journal says what was done.
    pub yank_dir: &'a Path,
    /// The vpopmail directory for the recommended fixes (a note when it cannot be read).
    pub vpopmail: &'a Path,
    /// The server's name, qmail's `control/me` (`None` when it cannot be read).
    pub server: Option<&'a str>,
}

/// What a face gathered for [`assemble`]: the queue and its yank area's records (the one
/// merge, [`with_yank_area`]), and the setup's context and notes.
pub struct Gathered<'a> {
    /// The queue reported on.
    pub queue: &'a crate::queue::Queue,
    /// Its records and its yank area's, with what the logs said of them.
    pub all: &'a WithYankArea<'a>,
    /// Their strings.
    pub strings: &'a Interner,
    /// The analysis context (control files, default domain, uid names).
    pub ctx: &'a crate::analysis::cluster::AnalysisContext,
    /// What the setup read, in words (unsanitized).
    pub setup_notes: &'a [String],
    /// `--since`: only messages queued since (unix seconds).
    pub since: Option<i64>,
}

/// The incident report as `qtriage report` and the TUI's report both write it: [`compose`] of
/// the queue and the yank area together, then the notes on what was read (the yank area, the
/// setup, the picks when a restore journal cannot be read: a report is read, not applied, so
/// it says what it could not know and goes on) and the queue's damaged messages. Each face
/// assembled it on its own (style53).
pub fn assemble(
    g: Gathered<'_>,
    extras: &Extras<'_>,
) -> Result<ReportInput, crate::queue::error::Error> {
    let mut notes = g.all.notes();
    let counts = crate::queue::count::count(g.queue)?;
    notes.extend(g.setup_notes.iter().map(|n| sanitize_str(n).into_owned()));
    let restored =
        (crate::actions::Restored::in_queue(g.queue, extras.yank_dir)).unwrap_or_else(|e| {
            let words = crate::actions::restored::unknown_words(&e);
            notes.push(sanitize_str(&format!("{words}: spam counts may include it")).into_owned());
            Default::default()
        });
    let sources = ReportSources {
        records: &g.all.records,
        in_queue: g.all.in_queue,
        strings: g.strings,
        ctx: g.ctx,
        logs: &g.all.logs,
        since: g.since,
        counts,
        restored: &restored,
    };
    let mut input = compose(&sources, extras);
    input.notes.extend(notes);
    input.notes.extend(crate::queue::problems::queue_summary(
        &g.all.records[..g.all.in_queue],
        g.all.yanked,
    ));
    Ok(input)
}

/// The full report: [`build`], then the log evidence, the journal's batches and the accounts
/// at risk (`top`'s AUTH-user culprits and the log's taken-over logins marked as culprits).
pub fn compose(sources: &ReportSources<'_>, extras: &Extras<'_>) -> ReportInput {
    let mut input = build(sources);
    input.server = extras
        .server
        .map(|s| crate::sanitize::sanitize_str(s).into_owned());
    if extras.logs_read {
        add_log_evidence(&mut input, sources);
    }
    let stated = add_actions_done(&mut input, extras.yank_dir);
    let judged = super::judged::Judged {
        records: sources.records,
        in_queue: sources.in_queue,
        strings: sources.strings,
        ctx: sources.ctx,
    };
    input.operator_judged = judged.describe(&input.yanked_no_culprit_ids, &stated);
    input.operator_fixes = (input.operator_judged.iter())
        .flat_map(|j| judged.fixes(j))
        .collect();
    let opts = CheckOptions {
        culprits_top: input.culprit_auth_users(),
        culprits_stuffed: input.stuffed_logins(),
        culprits_log: sources.logs.culprit_logins(),
        max_hash_attempts: REPORT_HASH_ATTEMPTS,
        ..CheckOptions::default()
    };
    let not_checked = |why: String| {
        format!(
            "accounts not checked: {why}; check them with `qtriage accounts --vpopmail DIR` \
             or `qtriage report --vpopmail DIR`"
        )
    };
    match assess(extras.vpopmail, &opts) {
        Ok(a) if a.accounts == 0 => {
            let why = format!(
                "no account found in {}",
                sanitize_str(&extras.vpopmail.display().to_string())
            );
            input.accounts_note = Some(not_checked(why));
        }
        Ok(a) => {
            input.accounts_note = None;
            add_fixes(&mut input, &a.check);
            if !a.warnings.is_empty() {
                input.notes.push(format!(
                    "{} problems reading vpopmail files; the fixes may be incomplete",
                    a.warnings.len()
                ));
            }
        }
        Err(e) => {
            input.notes.push(format!(
                "accounts not checked: {}",
                sanitize_str(&e.to_string())
            ));
            input.accounts_note = Some(not_checked(sanitize_str(&e.to_string()).into_owned()));
        }
    }
    input
}

/// The messages in the yank area (yanked, not yet purged), read where they lie like the
/// queue's ([`crate::queue::scan::scan_yank_area`]: nothing written, linked or renamed), so a
/// report written after the yank still counts the spam it covers.
fn yanked_records(
    yank_dir: &Path,
    strings: &Interner,
) -> Result<Vec<MessageRecord>, YankAreaError> {
    scan_yank_area(yank_dir, strings).map_err(|source| YankAreaError {
        path: yank_dir.to_path_buf(),
        source,
    })
}

/// The queue's records and the yank area's in one list: what `qtriage report`, `qtriage
/// accounts` and the TUI's report and accounts view rank and count, made by [`with_yank_area`]
/// alone so that the faces cannot differ.
/// Borrowed from the caller while the yank area holds no message: the TUI's report and
/// accounts view at 1,000,000 queued messages copied 112 MB of records to add none.
#[derive(Debug)]
pub struct WithYankArea<'a> {
    /// The queue's records, then the yank area's.
    pub records: Cow<'a, [MessageRecord]>,
    /// How many of `records` are the queue's.
    pub in_queue: usize,
    /// How many are the yank area's.
    pub yanked: usize,
    /// What the logs said of all of them.
    pub logs: Cow<'a, LogFacts>,
    /// Why the yank area or the logs for its messages could not be read (sanitized).
    pub unread: Vec<String>,
}

impl WithYankArea<'_> {
    /// The report's notes on the yank area: what could not be read, and how many of its
    /// messages are counted with the queue's.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.unread.clone();
        if self.yanked > 0 {
            notes.push(format!(
                "{} in the yank area are counted with the queue's",
                crate::size::counted(self.yanked as u64, "message", "messages")
            ));
        }
        notes
    }
}

/// Read the yank area `yank_dir` and append its messages to the queue's `records`, which
/// carry the logs' AUTH users already (`logs`: what the logs said of them, as `top` applies
/// them right after its scan, and the TUI when it made its snapshot). The logs are applied by
/// `apply_logs` (not called when the area holds no message) to the merged records: the
/// queue's keep the users they carry, and whether this server's AUTH patch marks logins
/// (`ESMTPA`) is judged on all of them, not on a yanked batch of relayed mail alone, which
/// pinned the relay on another session's login again (review50b). A message in both is the
/// yank area's ([`merge_yanked`]).
pub fn with_yank_area<'a>(
    records: impl Into<Cow<'a, [MessageRecord]>>,
    mut logs: Cow<'a, LogFacts>,
    yank_dir: &Path,
    strings: &Interner,
    apply_logs: impl FnOnce(&mut [MessageRecord]) -> Result<LogFacts, String>,
) -> WithYankArea<'a> {
    let records = records.into();
    let mut unread = Vec::new();
    let yanked = yanked_records(yank_dir, strings).unwrap_or_else(|e| {
        let e = sanitize_str(&e.to_string()).into_owned();
        unread.push(format!("the yank area was not read: {e}"));
        Vec::new()
    });
    let count = yanked.len();
    let (records, in_queue) = match count {
        0 => {
            let in_queue = records.len();
            (records, in_queue)
        }
        _ => {
            let (mut merged, in_queue) = merge_yanked(records, yanked);
            match apply_logs(&mut merged) {
                Ok(more) => logs.to_mut().absorb_attributed(more),
                Err(note) => unread.push(sanitize_str(&note).into_owned()),
            }
            (Cow::Owned(merged), in_queue)
        }
    };
    WithYankArea {
        records,
        in_queue,
        yanked: count,
        logs,
        unread,
    }
}

/// The culprits a yank took ([`crate::analysis::plan::yanked`]), for the plan that both faces
/// build: `records` (the queue's, carrying the logs' AUTH users; `logs` what the logs said of
/// them) merged with the yank area's by [`with_yank_area`] and ranked together under `ctx`, as
/// `report` and `accounts` rank them. Empty, and nothing copied or ranked, when the yank area
/// holds no message.
pub fn yanked_culprits(
    records: &[MessageRecord],
    logs: &LogFacts,
    ctx: &crate::analysis::context::AnalysisContext,
    yank_dir: &Path,
    strings: &Interner,
    apply_logs: impl FnOnce(&mut [MessageRecord]) -> Result<LogFacts, String>,
) -> Vec<crate::analysis::plan::YankedCulprit> {
    let all = with_yank_area(records, Cow::Borrowed(logs), yank_dir, strings, apply_logs);
    if all.yanked == 0 {
        return Vec::new();
    }
    let ranking = crate::analysis::rank_culprits(
        &all.records,
        strings,
        ctx,
        &all.logs,
        crate::analysis::TOP_LIMIT,
        crate::analysis::rank::OF_QUEUE,
    );
    crate::analysis::plan::yanked::culprits(&ranking, &all.records, all.in_queue, strings)
}

/// The queue's records, then the yank area's, and how many of them are the queue's. A message
/// in both (the queue was read before another process yanked it) is the yank area's: it is
/// counted once, as yanked. Borrowed records are copied once, into a list of the merged size.
fn merge_yanked(
    records: Cow<'_, [MessageRecord]>,
    yanked: Vec<MessageRecord>,
) -> (Vec<MessageRecord>, usize) {
    let ids: HashSet<MessageId> = yanked.iter().map(|r| r.id).collect();
    let mut merged = match records {
        Cow::Borrowed(queued) => {
            let mut v = Vec::with_capacity(queued.len() + yanked.len());
            v.extend(queued.iter().filter(|r| !ids.contains(&r.id)).cloned());
            v
        }
        Cow::Owned(mut queued) => {
            queued.retain(|r| !ids.contains(&r.id));
            queued.reserve_exact(yanked.len());
            queued
        }
    };
    let in_queue = merged.len();
    merged.extend(yanked);
    (merged, in_queue)
}

/// The logs' part of the report: the AUTH users they named (with the evidence line), and what
/// the login log says about each AUTH-user culprit (guessed password, harvesting IP).
/// Only the window's messages count (review52: `--since 1h` said `4,800 of 4,316 messages`).
fn add_log_evidence(input: &mut ReportInput, sources: &ReportSources<'_>) {
    let logs = sources.logs;
    input.log_note = None;
    let total = input.timeline.messages as usize;
    let ids: Vec<MessageId> = (sources.records.iter())
        .filter(|r| sources.since.is_none_or(|since| r.queued() >= since))
        .filter(|r| logs.attributed.contains_key(&r.id))
        .map(|r| r.id)
        .collect();
    if !ids.is_empty() {
        input.notes.push(format!(
            "the AUTH user of {} messages comes from the logs (--log), not from their headers",
            crate::size::thousands(ids.len() as u64)
        ));
    }
    // Evidence lines name only the culprit logins: the logs name real users' messages too, and
    // the report goes to third parties (review52b: two users whose only cluster was legit).
    let culprits: Vec<&str> = (input.culprits.iter())
        .filter(|c| c.kind == ClusterKey::AuthUser)
        .map(|c| c.value.as_str())
        .collect();
    let named = |id: &MessageId| {
        (logs.attributed.get(id)).is_some_and(|a| {
            culprits
                .iter()
                .any(|c| same_login(c, &sanitize_str(&a.auth_user)))
        })
    };
    let ids: Vec<MessageId> = ids.into_iter().filter(named).collect();
    let mut lines = logs.summary_lines(ids.into_iter(), total);
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

/// Are `a` and `b` one login: equal ignoring case, or by local part when only one of them has
/// a domain (CHKUSER logs `test`, the cluster says `test@example.com`), as the login findings
/// match them.
fn same_login(a: &str, b: &str) -> bool {
    match (a.split_once('@'), b.split_once('@')) {
        (Some(_), Some(_)) | (None, None) => a.eq_ignore_ascii_case(b),
        (Some((local, _)), None) => local.eq_ignore_ascii_case(b),
        (None, Some((local, _))) => a.eq_ignore_ascii_case(local),
    }
}

/// What the report says of a pick-back's selection.
pub const PICK_SELECTION: &str =
    "the operator's choice of real mail (qtriage yanked --batches shows it)";

/// "What was done": every yank, restore, purge and expire batch of the journal that moved
/// something (abandoned batches moved nothing), with the messages it handled; and a note for
/// messages in the yank area that no batch moved (qmail-remove, or by hand). Returns what the
/// selection of the newest yank batch that moved each message stated
/// ([`super::judged::Stated`]).
fn add_actions_done(input: &mut ReportInput, yank_dir: &Path) -> super::judged::Stated {
    let batches = match area::batches(yank_dir) {
        Ok(b) => b,
        Err(e) => {
            let e = sanitize_str(&e.to_string()).into_owned();
            input
                .notes
                .push(format!("the action journal could not be read: {e}"));
            return Default::default();
        }
    };
    let picked = picked_since(&batches);
    let done: Vec<ActionDone> = batches
        .iter()
        .filter(|b| b.state != BatchState::Abandoned)
        .map(|b| {
            let batch = (b.header.undoes.as_deref()).map(|u| sanitize_str(u).into_owned());
            // The journal's "undoes" of a purge is the batch it deleted: no undo.
            let (undoes, purged) = match b.header.direction {
                Direction::Purge => (None, batch),
                _ => (batch, None),
            };
            ActionDone {
                batch: b.header.batch.clone(),
                direction: b.header.direction.name().to_string(),
                messages: b.messages.len().saturating_sub(b.failed.len()) as u64,
                time: b.header.created,
                // A pick-back's query names the real mail picked (a customer's address, their
                // subject): not in a document sent to a blacklist (newuser52).
                selection: match b.header.verdict {
                    true => PICK_SELECTION.to_string(),
                    false => super::judged::published(&b.header.query),
                },
                verdict: b.header.verdict,
                undoes,
                purged,
                picked_back: picked.get(b.header.batch.as_str()).copied().unwrap_or(0),
            }
        })
        .collect();
    // The counts are of what the queue and the yank area hold: a purge makes them drop
    // (newuser55: 14,400 spam messages, then 5,160, and no word why).
    let purged: u64 = (done.iter())
        .filter(|d| d.direction == Direction::Purge.name())
        .map(|d| d.messages)
        .sum();
    if purged > 0 {
        input.notes.push(format!(
            "{} purged from the yank area are not counted (the counts are of what the queue \
             and the yank area hold)",
            crate::size::counted(purged, "message", "messages")
        ));
    }
    if !done.is_empty() {
        input.actions_done = done;
        input.journal_note = None;
    }
    let yanks: Vec<&crate::actions::journal::Batch> = (batches.iter())
        .filter(|b| b.header.direction == Direction::Yank && b.state != BatchState::Abandoned)
        .collect();
    let mut stated = super::judged::Stated::default();
    for b in &yanks {
        stated.add(&b.header.query, b.messages.iter().map(|m| m.id));
    }
    input.yanked_no_culprit_batches = yanked_apart(&input.yanked_no_culprit_ids, &yanks, &stated);
    if let Ok(yanked) = area::list_yanked(yank_dir) {
        let unjournaled = (yanked.iter())
            .filter(|m| stated.batch_of(m.id).is_none())
            .count();
        if unjournaled > 0 {
            input.notes.push(format!(
                "{} in the yank area belong to no batch (yanked by qmail-remove or by hand)",
                crate::size::counted(unjournaled as u64, "message", "messages")
            ));
        }
    }
    stated
}

/// `ids` (what the operator yanked that no culprit accounts for) by the newest yank batch of
/// `yanks` that moved each (`stated`, made of `yanks` in their order), largest first, then
/// those no batch moved.
fn yanked_apart(
    ids: &[MessageId],
    yanks: &[&crate::actions::journal::Batch],
    stated: &super::judged::Stated,
) -> Vec<super::YankedApart> {
    if ids.is_empty() {
        return Vec::new();
    }
    let mut counts = vec![0u64; yanks.len()];
    let mut none = 0u64;
    for &id in ids {
        match stated.batch_of(id) {
            Some(n) => counts[n] += 1,
            None => none += 1,
        }
    }
    let mut out: Vec<super::YankedApart> = (yanks.iter().zip(counts))
        .filter(|(_, n)| *n > 0)
        .map(|(b, messages)| super::YankedApart {
            batch: Some(b.header.batch.clone()),
            selection: Some(super::judged::published(&b.header.query)),
            messages,
        })
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.messages));
    if none > 0 {
        out.push(super::YankedApart {
            batch: None,
            selection: None,
            messages: none,
        });
    }
    out
}

#[cfg(test)]
mod tests;

/// Of each yank batch (by id), how many of its messages a later restore picked back as real mail:
/// each picked message counts for the last yank batch before the pick that moved its id.
/// `batches` are in the journal's order, oldest first (batch ids sort by time, and within one
/// second by the order they were made: a pick and a yank of the picks often share a second).
fn picked_since(batches: &[crate::actions::journal::Batch]) -> HashMap<&str, u64> {
    use crate::actions::journal::{Batch, JournalMessage};
    fn moved(b: &Batch) -> impl Iterator<Item = &JournalMessage> {
        let live = b.state != BatchState::Abandoned;
        (b.messages.iter()).filter(move |m| live && !b.failed.contains(&m.id))
    }
    let mut picked: HashMap<&str, u64> = HashMap::new();
    let mut last_yank: HashMap<MessageId, &str> = HashMap::new();
    for b in batches {
        match (b.header.direction, b.header.verdict) {
            (Direction::Yank, _) => {
                for m in moved(b) {
                    last_yank.insert(m.id, b.header.batch.as_str());
                }
            }
            (Direction::Restore, true) => {
                for m in moved(b) {
                    if let Some(yank) = last_yank.get(&m.id) {
                        *picked.entry(yank).or_default() += 1;
                    }
                }
            }
            _ => {}
        }
    }
    picked
}
