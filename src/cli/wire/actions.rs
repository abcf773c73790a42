//! The actions' objects (`yank`, `restore`, `purge`, `expire`, `recover`, `remove`): one object
//! per run, documented field by field in docs/cli.md "Actions --json".

use serde::Serialize;

use super::Text;

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
    /// Messages in neither the queue nor the yank area when their turn came.
    pub gone: Vec<u64>,
}

/// A message that failed in a batch.
#[derive(Debug, Serialize)]
pub struct FailedJson {
    /// The id.
    pub id: u64,
    /// Why.
    pub reason: String,
}

/// `recover --json`, and the `recovered` part of an action.
#[derive(Debug, Default, Serialize)]
pub struct RecoveredJson {
    /// Interrupted batches completed in their direction.
    pub completed: Vec<BatchJson>,
    /// Unsealed batches closed (nothing of them had moved).
    pub closed: Vec<String>,
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
    pub queue: Text,
    /// The yank area.
    pub yank_dir: Text,
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
    /// A restore of messages picked back as real mail (a query or `--ids`, from the default
    /// yank area), which `plan` and `report` leave; false for an undo and other actions.
    pub verdict: bool,
    /// Dry run of `yank` and `expire`: of the messages it acts on, those the operator picked
    /// back as real mail (`restored:yes`); a restore that undoes: of those it puts back, the
    /// ones picked back before, which stay so; 0 otherwise; null when a restore journal cannot
    /// be read.
    pub picked_back: Option<usize>,
    /// Dry run of `yank` and `expire`: of the messages it acts on, those `qtriage plan` would
    /// leave in the queue; null otherwise.
    pub not_in_plan: Option<NotInPlanJson>,
}

/// Of a dry run's messages, those `qtriage plan` would leave in the queue, by the plan's kinds.
#[derive(Debug, Serialize)]
pub struct NotInPlanJson {
    /// How many.
    pub messages: usize,
    /// The culprits the plan names (0: it names none in the queue).
    pub culprits: usize,
    /// By kind, largest first, in `plan`'s words (its `remaining`).
    pub kinds: Vec<super::plan::RemainingJson>,
}

impl NotInPlanJson {
    /// Of the core's.
    pub fn new(n: &crate::analysis::plan::NotInPlan) -> NotInPlanJson {
        NotInPlanJson {
            messages: n.messages,
            culprits: n.culprits,
            kinds: (n.kinds.iter())
                .map(|k| super::plan::RemainingJson {
                    messages: k.messages,
                    kind: k.words.clone(),
                })
                .collect(),
        }
    }
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
