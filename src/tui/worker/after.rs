//! After the flood, from the TUI: the accounts check and the incident report, computed on a
//! snapshot off the worker thread (hashing passwords or reading the yank area takes seconds).
//!
//! Both use the same core calls as `qtriage accounts` and `qtriage report`: the ranking's
//! culprits ([`crate::analysis::rank_culprits`]), the logs' taken-over logins, and
//! [`crate::report::compose::compose`].

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::accounts::{assess, AccountRisk, CheckOptions};
use crate::analysis::cluster::AnalysisContext;
use crate::analysis::evidence::{from_logs, LogFacts};
use crate::analysis::{culprit_auth_users, locals, rank_culprits, TOP_LIMIT};
use crate::logs::LogEvidence;
use crate::queue::count::count;
use crate::queue::{Interner, MessageRecord, Queue};
use crate::report::build::{ReportSources, REPORT_HASH_ATTEMPTS};
use crate::report::compose::{compose, yanked_records, Extras};
use crate::sanitize::{sanitize_bytes, sanitize_str};
use crate::tui::state::{AccountRow, AccountsListing, Snapshot};

/// Files named `qtriage-report-<time>-N.md` tried before giving up when names are taken.
const REPORT_NAME_TRIES: u32 = 100;

/// Where the accounts and reports come from and go to: the TUI's options.
#[derive(Debug, Clone)]
pub struct AfterFlood {
    /// The queue.
    pub queue: Queue,
    /// Its yank area.
    pub yank_dir: PathBuf,
    /// The vpopmail directory.
    pub vpopmail: PathBuf,
    /// Where reports are written.
    pub report_dir: PathBuf,
    /// The `--log` files and directories.
    pub logs: Vec<PathBuf>,
}

impl AfterFlood {
    /// What `top` knows of the server: control/ next to the queue and /etc/passwd.
    fn context(&self, now: i64) -> AnalysisContext {
        AnalysisContext {
            now,
            local_domains: locals::local_domains(self.queue.root(), &[]).0,
            users: locals::passwd_users(Path::new("/etc/passwd")).unwrap_or_default(),
        }
    }

    /// Give `records` the AUTH users their logs name (no-op without `--log`); a note when the
    /// logs could not be read.
    pub fn apply_logs(&self, records: &mut [MessageRecord], strings: &Interner) -> Option<String> {
        if self.logs.is_empty() {
            return None;
        }
        match LogEvidence::load(&self.logs) {
            Ok(ev) => {
                from_logs(records, strings, &ev);
                None
            }
            Err(e) => Some(format!("logs not read: {e}")),
        }
    }

    /// `records` with the logs' AUTH users applied (a copy only when there are logs), the
    /// facts, and a note when the logs could not be read.
    fn with_logs<'r>(
        &self,
        records: Cow<'r, [MessageRecord]>,
        snap: &Snapshot,
    ) -> (Cow<'r, [MessageRecord]>, LogFacts, Option<String>) {
        if self.logs.is_empty() {
            return (records, LogFacts::default(), None);
        }
        match LogEvidence::load(&self.logs) {
            Ok(ev) => {
                let mut owned = records.into_owned();
                let facts = from_logs(&mut owned, &snap.strings, &ev);
                (Cow::Owned(owned), facts, None)
            }
            Err(e) => (
                records,
                LogFacts::default(),
                Some(format!("logs not read: {e}")),
            ),
        }
    }
}

/// The accounts check for the accounts view: `top`'s AUTH-user culprits and the logs'
/// taken-over logins are marked, as `qtriage accounts` does.
pub fn check_accounts(snap: &Snapshot, env: &AfterFlood, now: i64) -> AccountsListing {
    let (records, logs, log_note) = env.with_logs(Cow::Borrowed(&snap.records), snap);
    let ranking = rank_culprits(&records, &snap.strings, &env.context(now), &logs, TOP_LIMIT);
    let opts = CheckOptions {
        culprits_top: culprit_auth_users(&ranking, &snap.strings),
        culprits_log: logs.culprit_logins(),
        max_hash_attempts: REPORT_HASH_ATTEMPTS,
        ..CheckOptions::default()
    };
    match assess(&env.vpopmail, &opts) {
        Ok(a) => {
            let mut rows: Vec<AccountRow> = a.check.at_risk().map(row).collect();
            rows.sort_by_key(|r| !r.culprit);
            let mut summary = format!(
                "{} of {} accounts in {} domains",
                rows.len(),
                a.accounts,
                a.domains
            );
            if let Some(n) = log_note {
                summary.push_str(&format!(" · {}", sanitize_str(&n)));
            }
            AccountsListing {
                rows,
                summary,
                error: None,
            }
        }
        Err(e) => AccountsListing {
            error: Some(sanitize_str(&e.to_string()).into_owned()),
            ..AccountsListing::default()
        },
    }
}

fn row(r: &AccountRisk) -> AccountRow {
    let rules: Vec<&str> = r.rules.iter().map(|x| x.name()).collect();
    AccountRow {
        account: sanitize_bytes(&r.account).into_owned(),
        domain: sanitize_bytes(&r.domain).into_owned(),
        rules: rules.join(","),
        advice: sanitize_str(&r.advice).into_owned(),
        culprit: r.culprit,
    }
}

/// Write the incident report (markdown, as `qtriage report` prints it) to a new file in the
/// report directory; the status line's text, and whether it is an error.
pub fn write_report(snap: &Snapshot, env: &AfterFlood, now: i64) -> (String, bool) {
    let mut records = snap.records.clone();
    let in_queue = records.len();
    let mut notes = Vec::new();
    match yanked_records(&env.yank_dir, &snap.strings) {
        Ok(yanked) => records.extend(yanked),
        Err(e) => notes.push(format!("the yank area was not read: {e}")),
    }
    let (records, logs, log_note) = env.with_logs(Cow::Owned(records), snap);
    notes.extend(log_note);
    let counts = match count(&env.queue) {
        Ok(c) => c,
        Err(e) => {
            return (
                format!("report not written: {}", sanitize_str(&e.to_string())),
                true,
            )
        }
    };
    let ctx = env.context(now);
    let sources = ReportSources {
        records: &records,
        in_queue,
        strings: &snap.strings,
        ctx: &ctx,
        logs: &logs,
        since: None,
        counts,
    };
    let extras = Extras {
        logs_read: !env.logs.is_empty(),
        yank_dir: &env.yank_dir,
        vpopmail: &env.vpopmail,
    };
    let mut input = compose(&sources, &extras);
    input
        .notes
        .extend(notes.iter().map(|n| sanitize_str(n).into_owned()));
    let text = crate::report::markdown::render(&input);
    match create_report_file(&env.report_dir, now, text.as_bytes()) {
        Ok(path) => {
            let shown = sanitize_bytes(path.as_os_str().as_encoded_bytes()).into_owned();
            (
                format!(
                    "report written to {shown}: {} culprits, {} spam messages",
                    input.culprits.len(),
                    input.timeline.spam_messages
                ),
                false,
            )
        }
        Err(e) => (
            format!(
                "report not written to {}: {e}",
                sanitize_bytes(env.report_dir.as_os_str().as_encoded_bytes())
            ),
            true,
        ),
    }
}

/// Create `qtriage-report-<UTC time>.md` in `dir` (never overwriting: `-2`, `-3`, ... when
/// the name is taken) and write `bytes` to it.
fn create_report_file(dir: &Path, now: i64, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let stamp = jiff::Timestamp::from_second(now)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_else(|_| now.to_string());
    for n in 1..=REPORT_NAME_TRIES {
        let name = match n {
            1 => format!("qtriage-report-{stamp}.md"),
            _ => format!("qtriage-report-{stamp}-{n}.md"),
        };
        let path = dir.join(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)?;
                f.sync_all()?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "every report name for this second is taken",
    ))
}
