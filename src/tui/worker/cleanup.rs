//! The TUI's cleanup plan (`p`): `qtriage plan`'s, built from a snapshot like the accounts check
//! ranks it ([`crate::analysis::rank_culprits`], then [`crate::analysis::plan::build`]).

use super::after::AfterFlood;
use crate::analysis::plan::{build, PlanInput};
use crate::analysis::rank::OF_QUEUE;
use crate::analysis::{rank_culprits, TOP_LIMIT};
use crate::tui::state::{CleanupPlan, Snapshot};

/// The cleanup plan of `snap` (reads the bounces' quoted copies from the queue).
pub fn plan(snap: &Snapshot, env: &AfterFlood, now: i64) -> CleanupPlan {
    let (ctx, notes) = env.context_and_notes(now);
    let ctx = ctx.with_queue_local_domains(&snap.records, &snap.strings);
    let ranking = rank_culprits(
        &snap.records,
        &snap.strings,
        &ctx,
        &snap.logs,
        TOP_LIMIT,
        OF_QUEUE,
    );
    let quoted = crate::query::files::quoted_bounces(&env.queue, &snap.records, &snap.strings);
    // The ranking's own sender-pattern table, built the same way from the same records, so a
    // bounce of a forged sender goes with its pattern's culprit as `qtriage plan` gives it.
    let tables = crate::analysis::Tables::of(&snap.records, &snap.strings, &ctx);
    let plan = build(PlanInput {
        records: &snap.records,
        strings: &snap.strings,
        tables: tables.borrow(),
        ranking: &ranking,
        quoted: &quoted,
    });
    let ids = plan
        .selected
        .iter()
        .filter_map(|&i| snap.records.get(i as usize).map(|r| r.id))
        .collect();
    CleanupPlan {
        generation: snap.generation,
        plan,
        ids,
        notes,
    }
}
