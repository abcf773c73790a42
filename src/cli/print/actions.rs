//! --json wire types of the actions (`yank`, `restore`, `purge`, `expire`, `recover`,
//! `remove`): one object per run, documented field by field in docs/cli.md "Actions --json".

use serde::Serialize;

use super::json::{text, Text};
use crate::actions::plan::BatchOutcome;
use crate::actions::{Direction, MtaStatus, Outcome, Plan, RecoveryReport, RefusalReason};
use crate::analysis::cluster::{cluster, AnalysisContext};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::queue::{Interner, MessageId, MessageRecord};

/// How many messages the dry run samples, and how many clusters per key it names.
pub use crate::cli::yank::{CLUSTERS_SHOWN, SAMPLE};

/// qmail-send's state when the plan was made: `mta --json`'s fields.
#[derive(Debug, Serialize)]
pub struct QmailSendJson {
    /// Is lock/sendmutex held? null when it could not be read.
    pub running: Option<bool>,
    /// The holder's pid, when /proc shows it.
    pub pid: Option<u32>,
    /// The holder's command name.
    pub comm: Option<String>,
}

impl QmailSendJson {
    /// From the plan's reading of the lock.
    pub fn new(mta: Option<&MtaStatus>) -> QmailSendJson {
        QmailSendJson {
            running: mta.map(|m| m.is_send_running),
            pid: mta.and_then(|m| m.holder.as_ref().map(|h| h.pid)),
            comm: mta.and_then(|m| m.holder.as_ref().and_then(|h| h.comm.clone())),
        }
    }
}

/// One cluster the selected messages fall in.
#[derive(Debug, Serialize)]
pub struct ClusterHitJson {
    /// The key (`auth-user`, `origin-ip`).
    pub by: &'static str,
    /// Its value; null for the messages without one.
    pub value: Option<Text>,
    /// Selected messages in it.
    pub messages: usize,
}

/// One message of the dry run's sample.
#[derive(Debug, Serialize)]
pub struct SampleJson {
    /// The id.
    pub id: u64,
    /// Envelope sender; null when unknown (restore and purge do not read it).
    pub sender: Option<Text>,
    /// Envelope recipients.
    pub recipients: u64,
    /// Size of the mess file.
    pub bytes: u64,
    /// Decoded subject; null when none or not read.
    pub subject: Option<Text>,
}

/// A selected message that was not acted on, and why.
#[derive(Debug, Serialize)]
pub struct SkippedJson {
    /// The id.
    pub id: u64,
    /// `target-exists`, `no-info`, `not-in-queue`, `already-expired`, `queueing-unfinished`,
    /// `info-replaced`, `birth-time-changed`, `unknown-id`, `failed` or `vanished`.
    pub reason: &'static str,
    /// The same in words (the path, the error).
    pub detail: String,
}

impl SkippedJson {
    fn refused(id: MessageId, r: &RefusalReason) -> SkippedJson {
        let reason = match r {
            RefusalReason::TargetExists(_) => "target-exists",
            RefusalReason::NoInfo => "no-info",
            RefusalReason::NotInQueue => "not-in-queue",
            RefusalReason::AlreadyExpired { .. } => "already-expired",
            RefusalReason::QueueingUnfinished => "queueing-unfinished",
            RefusalReason::InfoReplaced => "info-replaced",
            RefusalReason::BirthTimeChanged { .. } => "birth-time-changed",
        };
        SkippedJson {
            id: id.0,
            reason,
            detail: r.to_string(),
        }
    }

    /// An id of `--ids` that names no message where the action looks.
    pub fn unknown(id: MessageId, where_: &str) -> SkippedJson {
        SkippedJson {
            id: id.0,
            reason: "unknown-id",
            detail: format!("no message #{id} {where_}"),
        }
    }
}

/// A batch completed (before the action, or by `recover`).
#[derive(Debug, Serialize)]
pub struct BatchJson {
    /// The batch id.
    pub batch: String,
    /// `yank`, `restore`, `purge` or `expire`.
    pub direction: &'static str,
    /// Messages handled.
    pub messages: u64,
    /// Files renamed, unlinked or re-timed.
    pub files: u64,
    /// Messages that failed, left whole where they were.
    pub failed: Vec<FailedJson>,
}

/// A message that failed in a batch.
#[derive(Debug, Serialize)]
pub struct FailedJson {
    /// The id.
    pub id: u64,
    /// Why.
    pub reason: String,
}

impl From<&BatchOutcome> for BatchJson {
    fn from(b: &BatchOutcome) -> BatchJson {
        BatchJson {
            batch: b.batch.clone(),
            direction: b.direction.name(),
            messages: b.messages,
            files: b.files,
            failed: b
                .failed
                .iter()
                .map(|(id, why)| FailedJson {
                    id: id.0,
                    reason: why.clone(),
                })
                .collect(),
        }
    }
}

/// `recover --json`, and the `recovered` part of an action.
#[derive(Debug, Default, Serialize)]
pub struct RecoveredJson {
    /// Interrupted batches completed in their direction.
    pub completed: Vec<BatchJson>,
    /// Unsealed batches closed (nothing of them had moved).
    pub closed: Vec<String>,
}

impl From<&RecoveryReport> for RecoveredJson {
    fn from(r: &RecoveryReport) -> RecoveredJson {
        RecoveredJson {
            completed: r.completed.iter().map(BatchJson::from).collect(),
            closed: r.abandoned.clone(),
        }
    }
}

/// The one object `yank`, `restore`, `purge` and `expire` print with `--json`: the plan on a
/// dry run, what was done with `--apply`.
#[derive(Debug, Serialize)]
pub struct ActionJson {
    /// `yank`, `restore`, `purge` or `expire`.
    pub action: &'static str,
    /// false: a dry run, nothing changed; true: `--apply` ran.
    pub applied: bool,
    /// The queue directory.
    pub queue: String,
    /// The yank area.
    pub yank_dir: String,
    /// The query or selection, as recorded in the journal.
    pub selection: String,
    /// Messages planned.
    pub messages: usize,
    /// Their envelope recipients.
    pub recipients: u64,
    /// Their mess bytes.
    pub bytes: u64,
    /// Dry run: the clusters the messages fall in (yank, expire).
    pub clusters_hit: Vec<ClusterHitJson>,
    /// Dry run: the first messages planned.
    pub sample: Vec<SampleJson>,
    /// qmail-send when planned.
    pub qmail_send: QmailSendJson,
    /// Dry run: the command that applies this plan.
    pub apply_command: Option<String>,
    /// Applied: the batch written; null when nothing was left to do.
    pub batch: Option<String>,
    /// Applied: the ids acted on (moved, deleted or re-timed).
    pub done: Vec<u64>,
    /// Applied: files renamed, unlinked or re-timed.
    pub files: u64,
    /// Selected but not acted on, with the reason.
    pub skipped: Vec<SkippedJson>,
    /// Applied: interrupted batches completed first.
    pub recovered: RecoveredJson,
    /// Applied with `--force` while qmail-send was running.
    pub forced_while_running: bool,
    /// Applied: how to undo (yank and expire batches).
    pub undo_command: Option<String>,
}

impl ActionJson {
    /// The object of a plan with nothing to act on (`applied` says whether `--apply` was given).
    pub fn nothing(plan: &Plan, unknown: &[SkippedJson], applied: bool) -> ActionJson {
        ActionJson {
            applied,
            ..ActionJson::plan(plan, unknown)
        }
    }

    /// The object of `plan`, before acting: counts, refusals, qmail-send; the caller adds
    /// clusters, the sample and the apply command.
    pub fn plan(plan: &Plan, unknown: &[SkippedJson]) -> ActionJson {
        let mut skipped: Vec<SkippedJson> = plan
            .refused
            .iter()
            .map(|r| SkippedJson::refused(r.id, &r.reason))
            .collect();
        skipped.extend(unknown.iter().map(|u| SkippedJson {
            id: u.id,
            reason: u.reason,
            detail: u.detail.clone(),
        }));
        ActionJson {
            action: plan.direction.name(),
            applied: false,
            queue: plan.queue_root.to_string_lossy().into_owned(),
            yank_dir: plan.yank_dir.to_string_lossy().into_owned(),
            selection: plan.query.clone(),
            messages: plan.message_count(),
            recipients: plan.recipients(),
            bytes: plan.bytes(),
            clusters_hit: Vec::new(),
            sample: Vec::new(),
            qmail_send: QmailSendJson::new(plan.mta.as_ref()),
            apply_command: None,
            batch: None,
            done: Vec::new(),
            files: 0,
            skipped,
            recovered: RecoveredJson::default(),
            forced_while_running: false,
            undo_command: None,
        }
    }

    /// The dry run: the plan, a sample of the planned messages (sizes only) and the command.
    pub fn dry_run(plan: &Plan, unknown: &[SkippedJson], apply_command: String) -> ActionJson {
        let mut j = ActionJson::plan(plan, unknown);
        j.sample = plan
            .messages
            .iter()
            .take(SAMPLE)
            .map(|m| SampleJson {
                id: m.id.0,
                sender: None,
                recipients: u64::from(m.recipients),
                bytes: m.bytes,
                subject: None,
            })
            .collect();
        j.apply_command = Some(apply_command);
        j
    }

    /// Add the clusters hit and a sample with senders and subjects, from the selected records.
    pub fn with_records(mut self, records: &[MessageRecord], strings: &Interner) -> ActionJson {
        self.clusters_hit = clusters_hit(records, strings);
        self.sample = records
            .iter()
            .take(SAMPLE)
            .map(|r| SampleJson {
                id: r.id.0,
                sender: text(strings, r.sender),
                recipients: r.recipients.len() as u64,
                bytes: r.size,
                subject: text(strings, r.headers.subject),
            })
            .collect();
        self
    }

    /// After `--apply`: the batch, what was done, what was skipped and why.
    pub fn applied(plan: &Plan, unknown: &[SkippedJson], outcome: &Outcome) -> ActionJson {
        let mut j = ActionJson::plan(plan, unknown);
        j.applied = true;
        j.recovered = RecoveredJson::from(&outcome.recovered);
        j.forced_while_running = outcome.forced_while_running;
        for id in &outcome.vanished {
            j.skipped.push(SkippedJson {
                id: id.0,
                reason: "vanished",
                detail: "gone from where it was planned".into(),
            });
        }
        // Left alone when re-checked under the lock: the same reasons as a plan's refusals.
        j.skipped.extend(
            outcome
                .skipped
                .iter()
                .map(|r| SkippedJson::refused(r.id, &r.reason)),
        );
        let Some(b) = &outcome.batch else {
            return j;
        };
        for (id, why) in &b.failed {
            j.skipped.push(SkippedJson {
                id: id.0,
                reason: "failed",
                detail: format!("{why} (left whole where it was)"),
            });
        }
        let not_done: std::collections::HashSet<MessageId> = outcome
            .vanished
            .iter()
            .copied()
            .chain(outcome.skipped.iter().map(|r| r.id))
            .chain(b.failed.iter().map(|f| f.0))
            .collect();
        j.done = plan
            .messages
            .iter()
            .map(|m| m.id)
            .filter(|id| !not_done.contains(id))
            .map(|id| id.0)
            .collect();
        j.files = b.files;
        j.batch = Some(b.batch.clone());
        let undoable = matches!(plan.direction, Direction::Yank | Direction::Expire);
        j.undo_command = undoable.then(|| format!("qtriage restore --batch {} --apply", b.batch));
        j
    }
}

/// The selected messages by AUTH user and by origin IP, the largest clusters of each.
pub fn clusters_hit(records: &[MessageRecord], strings: &Interner) -> Vec<ClusterHitJson> {
    let ctx = AnalysisContext {
        now: crate::actions::plan::unix_now(),
        ..AnalysisContext::default()
    };
    let mut out = Vec::new();
    for key in [ClusterKey::AuthUser, ClusterKey::OriginIp] {
        for c in cluster(records, key, strings, &ctx)
            .iter()
            .take(CLUSTERS_SHOWN)
        {
            out.push(ClusterHitJson {
                by: key.name(),
                value: c.value.map(|v| match v {
                    KeyValue::Text(s) => Text(strings.resolve(s)),
                    other => Text(std::sync::Arc::from(other.text(strings).as_bytes())),
                }),
                messages: c.messages,
            });
        }
    }
    out
}

/// `remove --json`: the plan (or what was done) for the messages the pattern matched, with
/// qmail-remove's own figures.
#[derive(Debug, Serialize)]
pub struct RemoveJson {
    /// The action fields (`action` is `remove`).
    #[serde(flatten)]
    pub plan: ActionJson,
    /// `-r` `yank`, `-d` `delete`, `-x`/`-X` `expire`; null for the report (dry run).
    pub mode: Option<&'static str>,
    /// The pattern (`.*` when none was given).
    pub pattern: String,
    /// Mess files read.
    pub checked: usize,
    /// The ids the pattern matched, in split-directory then id order.
    pub matched: Vec<u64>,
}

/// One AUTH exchange of `decode-auth --json`.
#[derive(Debug, Serialize)]
pub struct AuthExchangeJson {
    /// Line of the `AUTH` command (1-based).
    pub line: usize,
    /// `LOGIN` or `PLAIN`.
    pub mechanism: Option<&'static str>,
    /// The decoded user name, exact bytes; null when not seen.
    pub user: Option<Text>,
    /// A password was sent.
    pub password_seen: bool,
    /// The decoded password with `--show-passwords`, else null.
    pub password: Option<Text>,
    /// The server's final reply code; null when not seen.
    pub reply: Option<u16>,
    /// 2xx: true, 4xx/5xx: false, null when no reply was seen.
    pub success: Option<bool>,
}

impl AuthExchangeJson {
    /// From a decoded exchange; the password only when `show_passwords`.
    pub fn new(ex: &crate::logs::decode_auth::AuthExchange, show_passwords: bool) -> Self {
        let bytes = |b: &Vec<u8>| Text(std::sync::Arc::from(&b[..]));
        AuthExchangeJson {
            line: ex.line,
            mechanism: ex.mechanism.map(|m| m.name()),
            user: ex.user.as_ref().map(bytes),
            password_seen: ex.password.is_some(),
            password: ex.password.as_ref().filter(|_| show_passwords).map(bytes),
            reply: ex.reply,
            success: ex.is_success(),
        }
    }
}

/// `decode-auth --json`: every exchange found.
#[derive(Debug, Serialize)]
pub struct DecodeAuthJson {
    /// The exchanges, in transcript order.
    pub exchanges: Vec<AuthExchangeJson>,
}
