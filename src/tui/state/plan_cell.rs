//! A snapshot's cleanup plan, built once for it and shared by `p` and every `y`/`E`
//! confirmation (which says what of the marks the plan keeps).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::analysis::backscatter::Quoted;
use crate::analysis::cluster::Cluster;
use crate::analysis::plan::{Plan, PlanInput, YankedCulprit};
use crate::analysis::Tables;
use crate::queue::{Interner, MessageId, MessageRecord};

/// The cleanup plan of one snapshot and what it was built from (all but the records), so that
/// what of a yank's marks it keeps is told from the same plan ([`crate::analysis::plan::kept_of`]).
#[derive(Debug)]
pub struct PlanBuilt {
    /// The ranking's tables (the per-record facts are not kept: the plan is built).
    pub tables: Tables,
    /// The ranking (`top`), with member lists.
    pub ranking: Vec<Cluster>,
    /// The bounces' quoted copies.
    pub quoted: Vec<(u32, Quoted)>,
    /// The culprits a yank took (empty when the yank area holds no message).
    pub yanked: Vec<YankedCulprit>,
    /// The records the operator picked back from the yank area (indices, ascending).
    pub restored: Vec<u32>,
    /// Why which records were picked back is not known (a restore journal unread), in words.
    pub restored_unknown: Option<String>,
    /// The plan.
    pub plan: Plan,
    /// What the analysis read (`qtriage plan`'s stderr notes), unsanitized.
    pub notes: Vec<String>,
}

impl PlanBuilt {
    /// The plan's input, over the snapshot's `records` and `strings` it was built from.
    pub fn input<'a>(
        &'a self,
        records: &'a [MessageRecord],
        strings: &'a Interner,
    ) -> PlanInput<'a> {
        PlanInput {
            records,
            strings,
            tables: crate::analysis::KeyTables {
                sender_patterns: &self.tables.sender_patterns,
                ctx: &self.tables.ctx,
            },
            ranking: &self.ranking,
            quoted: &self.quoted,
            yanked: &self.yanked,
            restored: &self.restored,
        }
    }
}

/// The cleanup plan of one snapshot, built on first use. Building it (a ranking, the bounces'
/// quoted copies read from the queue) took 4-6 s at 45,000 marks on a loaded machine, and every
/// `y` asked for it again although the snapshot had not changed; a new snapshot (a rescan, an
/// action) has a new cell, so the plan is built again when the records changed. The plan also
/// reads the yank area (a yanked culprit's bounces), which a purge changes without a new
/// snapshot, and so may another terminal: it is built again when the yank area's [`YankStamp`]
/// is not the one it was built with.
#[derive(Debug, Default)]
pub struct PlanCell {
    built: Mutex<Option<(YankStamp, Arc<PlanBuilt>)>>,
    /// How many times it was built (1 at most, unless a build panicked).
    builds: AtomicU32,
}

impl PlanCell {
    /// The plan, built now by `build` if it is not yet. A second caller meanwhile (`p` while a
    /// `y` builds it) waits for that build rather than making its own.
    /// `stamp` is the yank area's now; a plan built with another is built again.
    pub fn get_or_build(
        &self,
        stamp: YankStamp,
        build: impl FnOnce() -> PlanBuilt,
    ) -> Arc<PlanBuilt> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        match built.as_ref() {
            Some((with, plan)) if *with == stamp => Arc::clone(plan),
            _ => {
                self.builds.fetch_add(1, Ordering::Relaxed);
                let plan = Arc::new(build());
                *built = Some((stamp, Arc::clone(&plan)));
                plan
            }
        }
    }

    /// How many times the plan was built.
    pub fn builds(&self) -> u32 {
        self.builds.load(Ordering::Relaxed)
    }
}

/// The yank area as the plan read it: its directory's mtime and number of entries, which every
/// message moved in or out (a yank, a restore, a purge, from any terminal) changes; the count
/// because the mtime's clock is coarse (two changes within a few milliseconds can share it).
/// `None` when it cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YankStamp(Option<(std::time::SystemTime, usize)>);

impl YankStamp {
    /// The stamp of the yank area at `dir` now (not following a symlink: a listing of the
    /// directory, tens of milliseconds at 100,000 files, against seconds for the plan).
    pub fn of(dir: &std::path::Path) -> YankStamp {
        let stamp = || -> std::io::Result<_> {
            let mtime = std::fs::symlink_metadata(dir)?.modified()?;
            Ok((mtime, std::fs::read_dir(dir)?.count()))
        };
        YankStamp(stamp().ok())
    }
}

/// The cleanup plan of one snapshot (`qtriage plan`'s), and its messages' ids for marking.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupPlan {
    /// The snapshot it was built on.
    pub generation: u64,
    /// The plan.
    pub plan: crate::analysis::plan::Plan,
    /// The ids of the planned messages.
    pub ids: Vec<MessageId>,
    /// What the analysis read (control files, default domain, uid names: `Setup::notes`,
    /// unsanitized), which the CLI prints on stderr: why `test` and `test@example.com` are two
    /// accounts, why uid 48 has no name.
    pub notes: Vec<String>,
    /// What the scan could not read, in words (`incomplete: ...`): the plan is then shown but
    /// not marked, as `qtriage plan` gives no query to apply.
    pub incomplete: Option<String>,
}
