//! The TUI's cleanup plan (`p`): `qtriage plan`'s, built from a snapshot like the accounts check
//! ranks it (one [`crate::analysis::Basis`], then [`crate::analysis::plan::build`]).

use super::after::AfterFlood;
use crate::analysis::plan::{build, PlanInput};
use crate::analysis::rank::OF_QUEUE;
use crate::analysis::{Basis, TOP_LIMIT};
use crate::tui::state::{CleanupPlan, Snapshot};

/// The cleanup plan of `snap` (reads the bounces' quoted copies from the queue).
pub fn plan(snap: &Snapshot, env: &AfterFlood, now: i64) -> CleanupPlan {
    let (ctx, notes) = env.context_and_notes(now);
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
    let plan = build(PlanInput {
        records: &snap.records,
        strings: &snap.strings,
        tables: basis.tables(),
        ranking: &ranking,
        quoted: &quoted,
    });
    let ids = plan
        .selected
        .iter()
        .filter_map(|&i| snap.records.get(i as usize).map(|r| r.id))
        .collect();
    let unread = crate::queue::problems::Unread::of(&snap.records, snap.unlisted_dirs);
    CleanupPlan {
        generation: snap.generation,
        plan,
        ids,
        notes,
        incomplete: unread.words(snap.records.len()),
    }
}
