//! What of an operator's own selection (a yank's, an expire's) the cleanup plan would not take,
//! by the plan's own kinds: the warning the TUI's confirmation and the CLI's dry runs give
//! before real mail is taken by a hand-written query.

use super::{remaining, Plan, PlanInput, Remaining};

/// Of the messages `chosen` (indices into `input.records`: an operator's marks), those `plan`
/// does not take, by kind in [`Plan::remaining`]'s words, largest first: what yanking them
/// would take that the analysis calls no culprit's (an account sending as itself, inbound
/// mail to local users). `plan` must be [`super::build`]'s of the same `input`.
pub fn kept_of(input: PlanInput<'_>, plan: &Plan, chosen: &[u32]) -> Vec<Remaining> {
    // The tally of what remains, over a mask that leaves only the chosen messages the plan
    // does not take: the same kinds and words `plan` and the TUI's `p` show.
    let mut taken = vec![true; input.records.len()];
    for &i in chosen {
        if let Some(t) = taken.get_mut(i as usize) {
            *t = false;
        }
    }
    for &i in &plan.selected {
        if let Some(t) = taken.get_mut(i as usize) {
            *t = true;
        }
    }
    remaining(input, &taken)
}

/// Of an action's messages, those the cleanup plan would not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotInPlan {
    /// How many.
    pub messages: usize,
    /// By kind, largest first, in [`Plan::remaining`]'s words (unsanitized: uid names come
    /// from a passwd file, values from the queue).
    pub kinds: Vec<Remaining>,
    /// Culprits the plan names (none: the analysis sees no culprit in the queue, so every
    /// message of the action is one it would leave).
    pub culprits: usize,
}

/// [`kept_of`] with its total and the plan's number of culprits: what an action on `chosen`
/// (indices into `input.records`) takes that `plan` (built of the same `input`) would leave.
pub fn not_in_plan(input: PlanInput<'_>, plan: &Plan, chosen: &[u32]) -> NotInPlan {
    let kinds = kept_of(input, plan, chosen);
    NotInPlan {
        messages: kinds.iter().map(|k| k.messages).sum(),
        kinds,
        culprits: plan.culprits.len(),
    }
}
