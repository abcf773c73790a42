//! What of a yank's or an expire's selection `qtriage plan` would not take: their dry runs'
//! `careful:` lines, as the TUI's confirmation says it, from the plan built as `plan` builds it
//! over the action's own scan.

use std::io::Write;

use super::clusters::ContextFlags;
use super::GlobalArgs;
use crate::analysis::context::AnalysisContext;
use crate::analysis::evidence::LogFacts;
use crate::analysis::plan::remain::RESTORED_KIND;
use crate::analysis::plan::{self, NotInPlan, PlanInput};
use crate::analysis::rank::OF_QUEUE;
use crate::analysis::{Basis, TOP_LIMIT};
use crate::queue::{Interner, MessageRecord, Queue};
use crate::sanitize::sanitize_str;
use crate::size::thousands;

/// The action's whole scan, as its query judged it: every record of the queue (logs applied),
/// their log facts, the context and the interner.
pub struct Scanned<'a> {
    /// The queue.
    pub queue: &'a Queue,
    /// Every message read, in scan order.
    pub records: &'a [MessageRecord],
    /// What the `--log` files said of them.
    pub logs: &'a LogFacts,
    /// The context the query was judged with (`--local-domain`, `--default-domain`, `--passwd`,
    /// `--vpopmail`).
    pub ctx: &'a AnalysisContext,
    /// Their interner.
    pub strings: &'a Interner,
}

/// Of the messages `chosen` (indices into `scanned.records`), those the plan of the whole
/// queue would not take. The plan is `qtriage plan`'s under the same flags: ranked with the
/// same context and logs, with the bounces' quoted copies, the culprits of the default yank
/// area and the messages picked back from it (none, when a restore journal cannot be read: the
/// dry run's `picked_back` says that already).
pub fn not_in_plan(
    global: &GlobalArgs,
    flags: ContextFlags<'_>,
    scanned: &Scanned<'_>,
    chosen: &[u32],
) -> NotInPlan {
    let Scanned {
        queue,
        records,
        logs,
        ctx,
        strings,
    } = *scanned;
    let basis = Basis::new(records, strings, ctx);
    let ranking = basis.top(records, strings, logs, TOP_LIMIT, OF_QUEUE);
    let quoted = crate::query::files::quoted_bounces(queue, records, strings);
    let judged = (records, logs, &basis.ctx, strings);
    let yanked = super::plan::yanked_culprits(global, flags, queue, judged);
    let restored = super::restored::restored_in(queue).unwrap_or_default();
    let restored = restored.indices_in(records);
    let input = PlanInput {
        records,
        strings,
        tables: basis.tables(),
        ranking: &ranking,
        quoted: &quoted,
        yanked: &yanked,
        restored: &restored,
    };
    let p = plan::build(input);
    plan::not_in_plan(input, &p, chosen)
}

/// What yanking mail the plan leaves may do.
pub const YANKING: &str = "yanking them may take real mail";

/// What expiring mail the plan leaves may do: qmail-send bounces it to its senders.
pub const EXPIRING: &str = "expiring them may bounce real mail to its senders";

/// The dry run's warning that `n` of the messages it acts on are no culprit's by the plan,
/// with their kinds one a line (nothing when the plan would take them all); `then` says what
/// acting on them may do ([`YANKING`], [`EXPIRING`]). The picked-back kind is left out when
/// `picked` says the dry run warned of those already, so they are not said twice.
pub fn print_not_in_plan(
    out: &mut dyn Write,
    (n, picked): (Option<&NotInPlan>, Option<usize>),
    then: &str,
) -> std::io::Result<()> {
    let Some(n) = n else { return Ok(()) };
    let said = |k: &&crate::analysis::plan::Remaining| {
        picked.is_some_and(|p| p > 0) && k.words.starts_with(RESTORED_KIND)
    };
    let kinds: Vec<_> = n.kinds.iter().filter(|k| !said(k)).collect();
    let messages: usize = kinds.iter().map(|k| k.messages).sum();
    if messages == 0 {
        return Ok(());
    }
    let whose = match n.culprits {
        0 => "it names no culprit in the queue",
        _ => "they are no culprit's",
    };
    writeln!(
        out,
        "careful: {} of these qtriage plan would leave in the queue ({whose}); {then}:",
        thousands(messages as u64)
    )?;
    for k in kinds {
        // Uid names come from a passwd file, values from the queue.
        writeln!(
            out,
            "  {:>8}  {}",
            thousands(k.messages as u64),
            sanitize_str(&k.words)
        )?;
    }
    Ok(())
}
