//! The TUI's cleanup plan (`p`): `qtriage plan`'s, built from a snapshot like the accounts check
//! ranks it (one [`crate::analysis::Basis`], then [`crate::analysis::plan::build`]) once per
//! snapshot; and what of a yank's messages that plan would not take (the confirmation's warning).

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::after::AfterFlood;
use crate::actions::Restored;
use crate::analysis::plan::{build, not_in_plan as not_in_plan_of, PlanInput};
use crate::analysis::rank::OF_QUEUE;
use crate::analysis::{Basis, Tables, TOP_LIMIT};
use crate::queue::MessageId;
use crate::tui::state::{CleanupPlan, NotInPlan, PlanBuilt, Snapshot};

/// The cleanup plan of `snap`: the one built for it before, else built now (reads the bounces'
/// quoted copies from the queue) and kept in the snapshot for the next `p`, `y` or `E`.
pub fn built(snap: &Snapshot, env: &AfterFlood, now: i64) -> Arc<PlanBuilt> {
    let stamp = crate::tui::state::YankStamp::of(&env.yank_dir);
    snap.cleanup.get_or_build(stamp, || {
        let (setup, notes) = env.context_and_notes(now);
        let ctx = setup.ctx;
        let ctx = ctx.with_queue_local_domains(&snap.records, &snap.strings);
        // One basis for the ranking and the plan's tables, as `qtriage plan` has one analysis.
        let basis = Basis::new(&snap.records, &snap.strings, &ctx);
        let ranking = basis.top(
            &snap.records,
            &snap.strings,
            &snap.logs,
            TOP_LIMIT,
            OF_QUEUE,
        );
        let quoted = crate::query::files::quoted_bounces(&env.queue, &snap.records, &snap.strings);
        // The culprits a yank took, judged with the yank area's messages as `qtriage plan` does.
        let yanked = crate::report::compose::yanked_culprits(
            &snap.records,
            &snap.logs,
            &ctx,
            &env.yank_dir,
            &snap.strings,
            |yanked| env.apply_logs(yanked, &snap.strings),
        );
        let tables = Tables {
            ctx: basis.ctx.clone(),
            sender_patterns: basis.sender_patterns.clone(),
        };
        // What the operator picked back stays, as in `qtriage plan`; not known, the plan is no
        // plan to apply.
        let (restored, restored_unknown) = match Restored::in_queue(&env.queue, &env.yank_dir) {
            Ok(r) => (r.indices_in(&snap.records), None),
            Err(e) => {
                let words = crate::actions::restored::unknown_words(&e);
                (
                    Vec::new(),
                    Some(format!("{words}: this plan may take that mail again")),
                )
            }
        };
        let input = PlanInput {
            records: &snap.records,
            strings: &snap.strings,
            tables: basis.tables(),
            ranking: &ranking,
            quoted: &quoted,
            yanked: &yanked,
            restored: &restored,
        };
        let plan = build(input);
        PlanBuilt {
            tables,
            ranking,
            quoted,
            yanked,
            restored,
            restored_unknown,
            plan,
            notes,
        }
    })
}

/// The cleanup plan of `snap`.
pub fn plan(snap: &Snapshot, env: &AfterFlood, now: i64) -> CleanupPlan {
    let b = built(snap, env, now);
    let ids = (b.plan.selected.iter())
        .filter_map(|&i| snap.records.get(i as usize).map(|r| r.id))
        .collect();
    let unread = crate::queue::problems::Unread::of(&snap.records, snap.unlisted_dirs);
    CleanupPlan {
        generation: snap.generation,
        plan: b.plan.clone(),
        ids,
        notes: b.notes.clone(),
        incomplete: (unread.words(snap.records.len())).or_else(|| b.restored_unknown.clone()),
    }
}

/// Of the messages `ids` (a yank's or an expire's), those the cleanup plan of `snap` would not
/// take, by kind: the plan's own tally ([`crate::analysis::plan::kept_of`]), not a second
/// judgement.
pub fn not_in_plan(
    snap: &Snapshot,
    env: &AfterFlood,
    now: i64,
    ids: &FxHashSet<MessageId>,
) -> NotInPlan {
    let chosen: Vec<u32> = (snap.records.iter().enumerate())
        .filter(|(_, r)| ids.contains(&r.id))
        .map(|(i, _)| i as u32)
        .collect();
    let b = built(snap, env, now);
    let input = b.input(&snap.records, &snap.strings);
    let mut n = not_in_plan_of(input, &b.plan, &chosen);
    // Uid names come from a passwd file, values from the queue: shown on a terminal.
    for k in &mut n.kinds {
        k.words = crate::sanitize::sanitize_str(&k.words).into_owned();
    }
    n
}

/// Why the cleanup plan of `snap` does not know what the operator picked back (a restore
/// journal cannot be read), in words; `None` when it knows. A yank's confirmation says it, as
/// the plan popup and the query bar do.
pub fn picks_unknown(snap: &Snapshot, env: &AfterFlood, now: i64) -> Option<String> {
    built(snap, env, now).restored_unknown.clone()
}

#[cfg(test)]
mod tests;
