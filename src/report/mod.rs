//! Report: the incident report (timeline, culprits, evidence, actions, what remains, fixes).
//!
//! [`ReportInput`] is a plain struct that any part of qtriage can fill: [`build`] fills it from a
//! queue scan, the clusters and the accounts check; the journal and log sections are filled by
//! whoever reads those. It renders as markdown ([`markdown::render`]) for the operator's records
//! and blacklist delisting requests, and as JSON (its `Serialize`). No message content is ever in
//! it: only counts, the identities that sent (auth users, IPs, scripts), and at most
//! [`MAX_SUBJECT_SAMPLES`] sanitized subject samples. Every string that came from a message or a
//! file is sanitized text ([`crate::sanitize::sanitize_bytes`]) in both renderings.
#![deny(clippy::unwrap_used)]

pub mod build;
pub mod compose;
pub mod fixes;
pub mod judged;
pub mod markdown;

use serde::Serialize;

use crate::accounts::AccountRisk;
use crate::analysis::key::ClusterKey;
use crate::queue::date::rfc3339;

/// Most subject samples in a report.
pub const MAX_SUBJECT_SAMPLES: usize = 5;

/// Longest subject sample, in characters (cut with `…`).
pub const MAX_SUBJECT_CHARS: usize = 80;

/// Most culprits of each kind, origin IPs and scripts listed.
pub const MAX_LISTED: usize = 10;

/// Most evidence lines.
pub const MAX_EVIDENCE_LINES: usize = 20;

/// The line shown when no action journal was read.
pub const NO_JOURNAL: &str = "no journal found";

/// The line shown when no login log was read.
pub const NO_LOG: &str = "no login log read";

/// The recommended fixes' line before any account database was read.
pub const NO_ACCOUNTS: &str =
    "accounts not checked: no account database read; check them with `qtriage accounts --vpopmail DIR`";

fn time<S: serde::Serializer>(t: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

fn opt_time<S: serde::Serializer>(t: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// When the spam came.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timeline {
    /// Birth time of the oldest spam message still known (RFC 3339 in JSON).
    #[serde(serialize_with = "opt_time")]
    pub first_spam_queued: Option<i64>,
    /// Birth time of the newest.
    #[serde(serialize_with = "opt_time")]
    pub last_spam_queued: Option<i64>,
    /// Most spam messages queued in one calendar minute.
    pub peak_per_minute: u64,
    /// Start of that minute.
    #[serde(serialize_with = "opt_time")]
    pub peak_minute: Option<i64>,
    /// Spam messages counted (those attributed to a culprit).
    pub spam_messages: u64,
    /// All messages in the window: the queue's and the yank area's.
    pub messages: u64,
}

/// A sender identity held responsible, with its counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Culprit {
    /// What kind of identity (`auth-user`, `script`, `origin-ip`, `uid`, ...: a cluster key name).
    pub kind: ClusterKey,
    /// The identity, sanitized.
    pub value: String,
    /// Messages it queued.
    pub messages: u64,
    /// Envelope recipients of those messages.
    pub recipients: u64,
    /// Of `messages`, those already in the yank area (yanked, not yet purged).
    pub yanked: u64,
    /// Why it is held responsible, in the operator's words.
    pub reasons: Vec<String>,
    /// The AUTH logins that sent it, sanitized and sorted, when it is a subject sent through
    /// many stolen logins (credential stuffing): whose passwords to change, which no other
    /// culprit line names. In the JSON as its fix's `accounts`.
    #[serde(skip)]
    pub accounts: Vec<String>,
}

/// A value with a message count (origin IPs, scripts, subject samples).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counted {
    /// The value, sanitized.
    pub value: String,
    /// Messages with it.
    pub messages: u64,
}

/// What a capped list leaves out: how many values, and their messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Beyond {
    /// Values not listed.
    pub values: u64,
    /// Their messages.
    pub messages: u64,
}

/// Where an evidence line comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceSource {
    /// The messages' headers (the qmail-smtpd Received line, X-PHP-Originating-Script).
    Headers,
    /// The SMTP or POP3 login log.
    Log,
}

/// One line of evidence: a header shape or a log line, sanitized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Where it comes from.
    pub source: EvidenceSource,
    /// The line.
    pub text: String,
}

/// One batch of messages moved by qtriage, from the action journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionDone {
    /// The batch id in the journal.
    pub batch: String,
    /// `yank`, `restore`, `purge`, `expire`, ...
    pub direction: String,
    /// Messages in the batch.
    pub messages: u64,
    /// When it was done.
    #[serde(serialize_with = "time")]
    pub time: i64,
    /// The selection it was made with, as its journal records it (sanitized): a query,
    /// `--batch ID`, `--ids (N ids)`, `tui: N marked messages`.
    pub selection: String,
    /// A restore of messages picked back as real mail (the operator's verdict).
    pub verdict: bool,
    /// For a restore: the batch it undid (`--batch`, the TUI's undo).
    pub undoes: Option<String>,
    /// For a purge of one batch: the batch whose messages it deleted from the yank area (the
    /// journal records it as the batch a purge "undoes", which a report read as the spam put
    /// back: newuser55).
    pub purged: Option<String>,
    /// For a yank: how many of its messages a later restore picked back as real mail (0 for
    /// the other actions), said beside it: the row read as spam still yanked (newuser57).
    pub picked_back: u64,
}

impl ActionDone {
    /// The action in words: `restore (picked back as real mail)`, `restore (undo of ID)` (the
    /// batch id as `quote` writes it: it is read from a file), `restore (undo)` for `--all`,
    /// `purge (deleted batch ID from the yank area)`, `purge (deleted everything in the yank
    /// area)` for `purge --all`. A restore by a query in a journal older
    /// than the verdict's record is just `restore`.
    pub fn action_words(&self, quote: impl Fn(&str) -> String) -> String {
        if self.picked_back > 0 {
            return format!(
                "{} ({} picked back as real mail since)",
                self.direction,
                crate::size::thousands(self.picked_back)
            );
        }
        if let Some(b) = &self.purged {
            return format!(
                "{} (deleted batch {} from the yank area)",
                self.direction,
                quote(b)
            );
        }
        match (&self.undoes, self.verdict) {
            (_, true) => format!("{} (picked back as real mail)", self.direction),
            (Some(b), false) => format!("{} (undo of {})", self.direction, quote(b)),
            // A purge of the whole yank area deletes: no undo (review57: `purge (undo)`).
            (None, false) if self.selection == "--all" && self.direction == "purge" => {
                format!("{} (deleted everything in the yank area)", self.direction)
            }
            (None, false) if self.selection == "--all" => format!("{} (undo)", self.direction),
            (None, false) => self.direction.clone(),
        }
    }
}

/// What is still in the queue when the report is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Remaining {
    /// qmail-qstat's "messages in queue".
    pub messages: u64,
    /// qmail-qstat's "not yet preprocessed".
    pub unpreprocessed: u64,
    /// Files in remote/ (messages with remote recipients).
    pub remote: u64,
    /// Files in local/.
    pub local: u64,
    /// Messages bouncing.
    pub bouncing: u64,
    /// Spam messages (attributed to a culprit) still queued.
    pub spam_messages: u64,
}

/// Everything a report says. Fill it, then render it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReportInput {
    /// When the report was written.
    #[serde(serialize_with = "time")]
    pub now: i64,
    /// The server's name, qmail's `control/me` (sanitized; `None` when it cannot be read): a
    /// blacklist's ticket needs to know which host this is (e2e52, review52).
    pub server: Option<String>,
    /// Start of the window (`--since`), `None` for the whole queue.
    #[serde(serialize_with = "opt_time")]
    pub since: Option<i64>,
    /// When the spam came.
    pub timeline: Timeline,
    /// Who sent it, largest first.
    pub culprits: Vec<Culprit>,
    /// The SMTP clients the spam came from, largest first.
    pub origin_ips: Vec<Counted>,
    /// The SMTP clients beyond the listed ones.
    pub origin_ips_more: Beyond,
    /// The PHP scripts that sent spam, largest first.
    pub scripts: Vec<Counted>,
    /// The scripts beyond the listed ones.
    pub scripts_more: Beyond,
    /// Sanitized samples of the spam's subjects (digits and random tokens masked), at most
    /// [`MAX_SUBJECT_SAMPLES`].
    pub subjects: Vec<Counted>,
    /// Header shapes and log lines.
    pub evidence: Vec<Evidence>,
    /// The log section's status line when no log was read ([`NO_LOG`]).
    pub log_note: Option<String>,
    /// Batches moved, from the journal.
    pub actions_done: Vec<ActionDone>,
    /// The journal section's status line when no journal was read ([`NO_JOURNAL`]).
    pub journal_note: Option<String>,
    /// What remains queued.
    pub remaining: Remaining,
    /// What to fix for each culprit that names it ([`fixes::culprit_fixes`]): a culprit
    /// login's password, a planted script, a uid, an open relay.
    pub culprit_fixes: Vec<fixes::CulpritFix>,
    /// Accounts to fix (from `accounts`): no password or hash, only rule names and advice.
    pub fixes: Vec<AccountRisk>,
    /// Accounts at risk that are no culprit's (a guessable password, a role account): counted,
    /// never named, for a report goes to third parties and a list of weak accounts not yet
    /// fixed is a list of targets (newuser58); `qtriage accounts` names them.
    pub accounts_unlisted: u64,
    /// Why the accounts were not checked (no account database was read), and how to check
    /// them; `None` when they were, so an empty `fixes` means none is at risk.
    pub accounts_note: Option<String>,
    /// Anything the reader should know about how the report was made.
    pub notes: Vec<String>,
    /// Messages in the yank area no culprit accounts for (bounces aside): the operator yanked
    /// them, but the ranking calls none of them spam; named apart, not counted as spam.
    pub yanked_no_culprit: u64,
    /// Their ids (for [`compose`] to find their batches; not in the JSON).
    #[serde(skip)]
    pub yanked_no_culprit_ids: Vec<crate::queue::MessageId>,
    /// Those messages by the yank batch that moved them, largest first (a `batch` of `None`:
    /// moved by no batch of the journal, as by qmail-remove or by hand).
    pub yanked_no_culprit_batches: Vec<YankedApart>,
    /// Those messages described: when, how many, the scripts, uids and logins that sent them
    /// (the operator's verdict, apart from the culprits'); `None` when there are none.
    pub operator_judged: Option<judged::OperatorJudged>,
    /// What to fix for what sent them ([`judged::OperatorJudged::fixes`]), as `culprit_fixes`.
    pub operator_fixes: Vec<fixes::CulpritFix>,
}

/// Messages the operator yanked that no culprit accounts for, of one batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YankedApart {
    /// The yank batch that moved them; `None` for those no batch moved.
    pub batch: Option<String>,
    /// Its selection, sanitized (`None` with no batch).
    pub selection: Option<String>,
    /// How many.
    pub messages: u64,
}

impl ReportInput {
    /// The AUTH users named as culprits: what `accounts` takes as `top`'s culprits.
    pub fn culprit_auth_users(&self) -> Vec<String> {
        self.culprits
            .iter()
            .filter(|c| c.kind == ClusterKey::AuthUser)
            .map(|c| c.value.clone())
            .collect()
    }

    /// The logins of the subjects named as sent through many stolen logins: what `accounts`
    /// takes as `top`'s too (`CheckOptions::culprits_stuffed`).
    pub fn stuffed_logins(&self) -> Vec<String> {
        (self.culprits.iter())
            .flat_map(|c| c.accounts.iter().cloned())
            .collect()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }
}

/// Text shortened to `max` characters, with `…` when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}
