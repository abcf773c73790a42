//! Marks and plans: what a destructive action would touch, its confirmation and its outcome.
//!
//! A key builds a [`Plan`] from the marks and parks it in `Popup::Confirm`; only Enter (or F)
//! turns that same value into `Effect::Execute`. No I/O here either: `update` calls these.

use rustc_hash::FxHashSet;

use super::action::Effect;
use super::event::Outcome;
use super::lists::Move;
use super::ops::Target;
use super::state::{AppState, Batch, Focus, Plan, PlanKind, Popup, SendState};
use crate::queue::MessageId;

fn notice(state: &mut AppState, text: impl Into<String>, is_error: bool) {
    super::action::notice(state, text, is_error);
}

/// Apply a finished plan: unmark, record or drop the batch, say what happened.
pub fn done(state: &mut AppState, o: Outcome) {
    state.popup = Popup::None;
    let skipped = match o.skipped.first() {
        Some((id, why)) => format!(", {} skipped (#{id}: {why})", o.skipped.len()),
        None => String::new(),
    };
    match &o.plan.kind {
        PlanKind::Yank => {
            for id in &o.done {
                state.marks.ids.remove(id);
            }
            let number = state.yank_area.batches.last().map_or(1, |b| b.number + 1);
            if !o.done.is_empty() {
                state.yank_area.batches.push(Batch {
                    number,
                    at: o.at,
                    ids: o.done.clone(),
                });
            }
            let text = format!(
                "yanked {} messages (batch {number}){skipped}; u undoes",
                o.done.len()
            );
            notice(state, text, false);
        }
        PlanKind::Restore { batch, .. } => {
            if let Some(n) = batch {
                state.yank_area.batches.retain(|b| b.number != *n);
            }
            notice(
                state,
                format!("restored {} messages{skipped}", o.done.len()),
                false,
            );
        }
    }
}

/// Space: mark or unmark the message under the cursor (or inspected).
pub fn mark_one(state: &mut AppState) {
    let id = match state.ui.focus {
        Focus::Detail => state.detail.id,
        _ => state.selected_record().map(|(_, r)| r.id),
    };
    if let Some(id) = id {
        if !state.marks.ids.remove(&id) {
            state.marks.ids.insert(id);
        }
        if state.ui.focus == Focus::Messages {
            super::action::navigate(state, Move::Down);
        }
    }
}

/// `m`: mark (or unmark) the whole selected cluster.
pub fn mark_cluster(state: &mut AppState) {
    let Some(data) = &state.data else { return };
    let members: Vec<u32> = match state.cluster_at(state.clusters.pos.selected) {
        Some(c) => c.members.clone(),
        None => (0..data.snapshot.records.len() as u32).collect(),
    };
    toggle_marks(state, &members, "cluster");
}

/// Mark all of `rows`, or unmark them when all are marked already.
pub fn toggle_marks(state: &mut AppState, rows: &[u32], what: &str) {
    let Some(data) = &state.data else { return };
    let recs = &data.snapshot.records;
    let ids: Vec<MessageId> = rows
        .iter()
        .filter_map(|&i| recs.get(i as usize))
        .map(|r| r.id)
        .collect();
    let all = ids.iter().all(|id| state.marks.ids.contains(id));
    if all {
        ids.iter().for_each(|id| {
            state.marks.ids.remove(id);
        });
        notice(
            state,
            format!("unmarked {} messages ({what})", ids.len()),
            false,
        );
    } else {
        let n = ids.len();
        state.marks.ids.extend(ids);
        notice(
            state,
            format!("marked {n} messages ({what}); y yanks"),
            false,
        );
    }
}

/// Build the yank plan from the marks: the counts the popup shows.
pub fn yank_plan(state: &AppState) -> Option<Plan> {
    let data = state.data.as_ref()?;
    let mut plan = Plan {
        kind: PlanKind::Yank,
        targets: Vec::with_capacity(state.marks.ids.len()),
        recipients: 0,
        bytes: 0,
        clusters_hit: 0,
        send: state.status.send,
        force: false,
    };
    let mut hit = FxHashSet::default();
    for (i, r) in data.snapshot.records.iter().enumerate() {
        if state.marks.ids.contains(&r.id) {
            plan.targets.push(Target {
                id: r.id,
                size: Some(r.size),
            });
            plan.recipients += r.recipients.len();
            plan.bytes += r.size;
            if let Some(c) = data.clustering.cluster_of.get(i) {
                hit.insert(*c);
            }
        }
    }
    plan.clusters_hit = hit.len();
    (!plan.targets.is_empty()).then_some(plan)
}

/// `y`: show the yank plan of the marks, or say there is nothing marked.
pub fn request_yank(state: &mut AppState) {
    match yank_plan(state) {
        Some(plan) => state.popup = Popup::Confirm(plan),
        None => notice(
            state,
            "nothing marked: Space marks a message, m a cluster",
            false,
        ),
    }
}

/// `u` / Enter in the yank area: show the restore plan of `ids`.
pub fn request_restore(state: &mut AppState, batch: Option<usize>, ids: Vec<MessageId>) {
    let what = match batch {
        Some(n) => format!("batch {n}"),
        None => "everything in the yank area".to_string(),
    };
    state.popup = Popup::Confirm(Plan {
        kind: PlanKind::Restore { batch, what },
        targets: ids
            .into_iter()
            .map(|id| Target { id, size: None })
            .collect(),
        recipients: 0,
        bytes: 0,
        clusters_hit: 0,
        send: state.status.send,
        force: false,
    });
}

/// Enter / F on the popup: hand the shown plan to the worker (refused while qmail-send runs
/// unless forced).
pub fn confirm(state: &mut AppState, force: bool) -> Option<Effect> {
    let Popup::Confirm(plan) = &state.popup else {
        return None;
    };
    let mut plan = plan.clone();
    if !force && state.status.send == SendState::Running {
        notice(
            state,
            "qmail-send is running: stop it first, or press F to force",
            true,
        );
        return None;
    }
    plan.force = force;
    state.popup = Popup::Running {
        plan: plan.clone(),
        done: 0,
    };
    Some(Effect::Execute(plan))
}

/// A plan for tests elsewhere in `tui` (keys, views).
#[cfg(test)]
pub fn tests_plan() -> Plan {
    Plan {
        kind: PlanKind::Yank,
        targets: vec![Target {
            id: MessageId(7),
            size: Some(900),
        }],
        recipients: 3,
        bytes: 900,
        clusters_hit: 1,
        send: SendState::Stopped,
        force: false,
    }
}
