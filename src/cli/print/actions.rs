//! Build the actions' `--json` objects (`yank`, `restore`, `purge`, `expire`, `recover`,
//! `remove`, `decode-auth`) from plans and outcomes; the wire types are in
//! [`crate::cli::wire::actions`].

use super::json::{text, Text};
use crate::actions::plan::BatchOutcome;
use crate::actions::{Direction, MtaStatus, Outcome, Plan, RecoveryReport, RefusalReason};
use crate::analysis::cluster::{cluster, AnalysisContext};
use crate::analysis::key::{ClusterKey, KeyValue};
pub use crate::cli::wire::actions::{
    ActionJson, BatchJson, ClusterHitJson, FailedJson, QmailSendJson, RecoveredJson, RemoveJson,
    SampleJson, SkippedJson,
};
pub use crate::cli::wire::decode_auth::{AuthExchangeJson, DecodeAuthJson};
use crate::queue::{Interner, MessageId, MessageRecord};

/// How many messages the dry run samples, and how many clusters per key it names.
pub use crate::cli::yank::{CLUSTERS_SHOWN, SAMPLE};

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

impl SkippedJson {
    fn refused(id: MessageId, r: &RefusalReason) -> SkippedJson {
        let reason = match r {
            RefusalReason::TargetExists(_) => "target-exists",
            RefusalReason::NoInfo => "no-info",
            RefusalReason::NotInQueue => "not-in-queue",
            RefusalReason::AlreadyExpired { .. } => "already-expired",
            RefusalReason::QueueingUnfinished => "queueing-unfinished",
            RefusalReason::InfoReplaced => "info-replaced",
            RefusalReason::NotAQueueFile(_) => "not-a-queue-file",
            RefusalReason::WrongSubdir => "wrong-subdir",
            RefusalReason::Replaced => "replaced",
            RefusalReason::BirthTimeChanged { .. } => "birth-time-changed",
            RefusalReason::EnvelopeInQueue(_) => "envelope-in-queue",
            RefusalReason::MessInQueue(_) => "mess-in-queue",
            RefusalReason::EnvelopeInYankArea(_) => "envelope-in-yank-area",
            RefusalReason::MessInYankArea(_) => "mess-in-yank-area",
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
            gone: b.gone.iter().map(|id| id.0).collect(),
        }
    }
}

impl From<&RecoveryReport> for RecoveredJson {
    fn from(r: &RecoveryReport) -> RecoveredJson {
        RecoveredJson {
            completed: r.completed.iter().map(BatchJson::from).collect(),
            closed: r.abandoned.clone(),
        }
    }
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
            queue: Text::path(&plan.queue_root),
            yank_dir: Text::path(&plan.yank_dir),
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
            verdict: plan.verdict,
            picked_back: Some(0),
            not_in_plan: None,
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
        // What the plan leaves in place (still being queued, a link...) is not hit: a copy of
        // the rest only when there is such a message, which is rare.
        let left: std::collections::HashSet<u64> = self.skipped.iter().map(|s| s.id).collect();
        let records: std::borrow::Cow<'_, [MessageRecord]> =
            if records.iter().any(|r| left.contains(&r.id.0)) {
                let taken = records.iter().filter(|r| !left.contains(&r.id.0));
                std::borrow::Cow::Owned(taken.cloned().collect())
            } else {
                std::borrow::Cow::Borrowed(records)
            };
        self.clusters_hit = clusters_hit(&records, strings);
        self.sample = records
            .iter()
            .take(SAMPLE)
            .map(|r| SampleJson {
                id: r.id.0,
                sender: text(strings, r.sender),
                recipients: r.recipients.len() as u64,
                bytes: u64::from(r.size),
                subject: text(strings, r.headers.subject),
            })
            .collect();
        self
    }

    /// After `--apply`: the batch, what was done, what was skipped and why. `split` is the
    /// `--split` given (for the undo command), if any.
    pub fn applied(
        plan: &Plan,
        unknown: &[SkippedJson],
        outcome: &Outcome,
        split: Option<u32>,
    ) -> ActionJson {
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
                detail: crate::actions::plan::left_whole(why),
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
        j.undo_command =
            undoable.then(|| crate::cli::act::command_line::undo_command(&b.batch, plan, split));
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
