//! Marks: what Space, `m` and the plan's Enter mark, what a confirmation and the journal call
//! the marked messages, and dropping marks whose messages left the queue.
//!
//! Marks that outlive the messages they were made on are dropped when new records arrive;
//! `x` clears them all. Another terminal's yank, a delivery or a purge takes marked messages
//! out of the queue; kept, the marks were counted in the header and offered to the next `y`
//! (newuser51: `marked 9,544` after a rescan, `nothing to do for 9,544 marked messages`). And
//! qmail gives a deleted message's inode, its id, to new mail: a mark kept by id across a
//! rescan would land on a message nobody picked, which the yank's own check (`actions::Seen`)
//! would then take as the one planned. So a mark survives new records only on the same
//! message: the same id, the same mess size, and the same birth time when both records have an
//! info file (what `actions::Seen` compares: before qmail-send preprocesses a message its birth
//! is the todo's mtime, after it the info's, minutes later in a flood; review51b: marks made in
//! todo/ were dropped as gone).

use rustc_hash::{FxHashMap, FxHashSet};

use super::lists::{navigate, ClusterRow, Move};
use super::state::{notice, Analysis, AppState, Focus, Popup};
use crate::queue::{MessageId, MessageRecord, Subdir};
use crate::sanitize::sanitize_str;
use crate::size::{counted, thousands};

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
        forget_plan_when_unmarked(state);
        // "nothing marked: ..." no longer holds (the header counts the marks); other notices,
        // such as the batch id of the last yank, stay until the next one.
        if state
            .status
            .notice
            .as_ref()
            .is_some_and(|n| n.text.starts_with(NOTHING_MARKED))
        {
            state.status.notice = None;
        }
        if state.ui.focus == Focus::Messages {
            navigate(state, Move::Down);
        }
    }
}

/// The notice of an action asked for with nothing marked.
pub const NOTHING_MARKED: &str = "nothing marked";

/// `m`: mark (or unmark) the whole selected cluster.
pub fn mark_cluster(state: &mut AppState) {
    let Some(data) = &state.data else { return };
    let of = &data.clustering.cluster_of;
    let members: Vec<u32> = match state.cluster_row(state.clusters.pos.selected) {
        Some(ClusterRow::Cluster(c)) => (0..of.len() as u32)
            .filter(|&i| of[i as usize] == c)
            .collect(),
        Some(ClusterRow::Fresh(_)) => {
            let text = "its messages arrived after the scan: r scans again to mark them";
            notice(state, text, false);
            return;
        }
        Some(ClusterRow::All) | None => (0..data.snapshot.records.len() as u32).collect(),
    };
    toggle_marks(state, members.into_iter(), "cluster");
}

/// Mark all of `rows`, or unmark them when all are marked already.
pub fn toggle_marks(state: &mut AppState, rows: impl Iterator<Item = u32>, what: &str) {
    let Some(data) = &state.data else { return };
    let recs = &data.snapshot.records;
    let ids: Vec<MessageId> = rows
        .filter_map(|i| recs.get(i as usize))
        .map(|r| r.id)
        .collect();
    let all = ids.iter().all(|id| state.marks.ids.contains(id));
    if all {
        ids.iter().for_each(|id| {
            state.marks.ids.remove(id);
        });
        forget_plan_when_unmarked(state);
        notice(
            state,
            format!(
                "unmarked {} ({what})",
                counted(ids.len() as u64, "message", "messages")
            ),
            false,
        );
    } else {
        let n = counted(ids.len() as u64, "message", "messages");
        state.marks.ids.extend(ids);
        // Every message marked is a yank `y` refuses (real mail too): "y yanks" would promise
        // it (newuser49, `m` on "(all messages)" under a filter); said first, as a long notice
        // is cut at the screen's edge (review49).
        let all = state.marks.ids.len();
        let words = match all >= recs.len() && !recs.is_empty() {
            true => format!(
                "all {} messages marked, real mail too: y refuses; x unmarks",
                crate::size::thousands(all as u64)
            ),
            false => format!("marked {n} ({what}); y yanks"),
        };
        notice(state, words, false);
    }
}

/// The marked messages of the snapshot, in queue order, and a description: the count, and the
/// cluster when they all belong to one.
pub fn marked(state: &AppState) -> Option<(Vec<MessageId>, String)> {
    let data = state.data.as_ref()?;
    let mut ids = Vec::with_capacity(state.marks.ids.len());
    let mut hit = FxHashSet::default();
    for (i, r) in data.snapshot.records.iter().enumerate() {
        if state.marks.ids.contains(&r.id) {
            ids.push(r.id);
            if let Some(c) = data.clustering.cluster_of.get(i) {
                hit.insert(*c);
            }
        }
    }
    if ids.is_empty() {
        return None;
    }
    if let Some(what) = of_the_plan(state, &ids) {
        return Some((ids, what));
    }
    let mut what = crate::size::counted(ids.len() as u64, "marked message", "marked messages");
    let only = hit.iter().next().filter(|_| hit.len() == 1);
    if let Some(c) = only.and_then(|c| data.clustering.clusters.get(*c as usize)) {
        // The cluster without a value is named too (`(none)`, as the pane names it): the
        // journal's query once said only "19,510 marked messages" for it.
        let value = c.value.map_or_else(
            || "(none)".to_string(),
            |v| v.shown(data.clustering.key, &data.snapshot.strings),
        );
        what.push_str(&format!(
            " of {} {}",
            data.clustering.key.name(),
            sanitize_str(&value)
        ));
    }
    // Marked as the filter listed them (`M`): the query says which of the cluster they are
    // (newuser56: the journal said `750 marked messages of uid 48` of a yank of one plugin's).
    if let Some(q) = state
        .query
        .applied
        .as_ref()
        .filter(|_| marks_are_listed(state))
    {
        what.push_str(&format!(" matching {}", sanitize_str(&q.to_string())));
    }
    Some((ids, what))
}

/// Are the marks exactly the messages listed now (a filter's selection of the cluster)?
fn marks_are_listed(state: &AppState) -> bool {
    let Some(data) = &state.data else {
        return false;
    };
    let rows = &state.messages.rows;
    rows.len() == state.marks.ids.len()
        && (rows.iter())
            .filter_map(|i| data.snapshot.records.get(i as usize))
            .all(|r| state.marks.ids.contains(&r.id))
}

/// Culprits of the plan [`of_the_plan`] names; the rest are counted.
const PLAN_CULPRITS_NAMED: usize = 6;

/// `ids` named by the cleanup plan marked last when they are all its messages: `the cleanup
/// plan's 2,694 messages (its 5 culprits: auth-user test, ...)`. The journal once said `tui:
/// 17,994 marked messages` of a yank of the plan's five culprits (newuser52), and `yanked
/// --batches` and the report showed nothing more.
fn of_the_plan(state: &AppState, ids: &[MessageId]) -> Option<String> {
    let p = state.marks.plan.as_ref()?;
    let planned: FxHashSet<MessageId> = p.ids.iter().copied().collect();
    if !ids.iter().all(|id| planned.contains(id)) {
        return None;
    }
    let all = counted(p.ids.len() as u64, "message", "messages");
    let which = match ids.len() == p.ids.len() {
        true => format!("the cleanup plan's {all}"),
        false => format!(
            "{} of the cleanup plan's {all}",
            thousands(ids.len() as u64)
        ),
    };
    let culprits = &p.plan.culprits;
    let mut named: Vec<String> = (culprits.iter().take(PLAN_CULPRITS_NAMED))
        .map(|c| format!("{} {}", c.key.name(), sanitize_str(&c.value)))
        .collect();
    if culprits.len() > PLAN_CULPRITS_NAMED {
        named.push(format!("{} more", culprits.len() - PLAN_CULPRITS_NAMED));
    }
    let its = counted(culprits.len() as u64, "culprit", "culprits");
    Some(format!("{which} (its {its}: {})", named.join(", ")))
}

/// The start of the notice [`mark_plan`] leaves.
pub const PLAN_MARKED: &str = "marked the plan's ";

/// Mark every message of the cleanup plan shown, and close it.
pub fn mark_plan(state: &mut AppState) {
    let refusal = match &state.popup {
        Popup::Cleanup(c) if c.incomplete.is_some() => {
            Some("refused: this plan is no plan to apply (its first line says why)")
        }
        Popup::Cleanup(c) if c.ids.is_empty() => {
            Some("nothing to mark: this plan takes no message")
        }
        _ => None,
    };
    if let Some(why) = refusal {
        return notice(state, why, false);
    }
    let Popup::Cleanup(c) = std::mem::take(&mut state.popup) else {
        return;
    };
    let before = state.marks.ids.len();
    state.marks.ids.extend(c.ids.iter().copied());
    state.marks.plan = Some(c.clone());
    let n = crate::size::counted(c.ids.len() as u64, "message", "messages");
    // Marks made before stay marked, and `y` yanks them too: said, with the whole count the
    // header shows (newuser49 read "y yanks them" as the plan's 1,800 alone, of 4,200).
    let all = state.marks.ids.len();
    let words = match all > c.ids.len() && before > 0 {
        true => format!(
            "{PLAN_MARKED}{n}, with the {} marked before: y yanks all {}",
            crate::size::thousands(before as u64),
            crate::size::thousands(all as u64)
        ),
        false => format!("{PLAN_MARKED}{n}: y yanks them"),
    };
    notice(state, words, false);
}

/// What tells a message from another at its id: its mess size, and its birth time when it has
/// an info file.
type Seen = (u32, Option<i64>);

/// Drop the marks of messages `new` does not hold, or holds as another message than the
/// records shown until now did; say how many went.
pub fn keep_present(state: &mut AppState, new: &Analysis) {
    if state.marks.ids.is_empty() {
        return forget_plan_when_unmarked(state);
    }
    // A header pass lists no info/ (its birth time is the Received line's): an info file is
    // known only from an envelope pass.
    let marked = |records: &[MessageRecord], envelopes: bool| -> FxHashMap<MessageId, Seen> {
        (records.iter())
            .filter(|r| state.marks.ids.contains(&r.id))
            .map(|r| {
                let info = envelopes && r.parts.has(Subdir::Info);
                (r.id, (r.size, info.then(|| r.queued())))
            })
            .collect()
    };
    let now = marked(&new.snapshot.records, !new.envelopes_pending);
    let old = (state.data.as_ref()).map(|d| marked(&d.snapshot.records, !d.envelopes_pending));
    let (mut gone, mut changed) = (0u64, Vec::new());
    state.marks.ids.retain(|id| {
        let Some(&(size, born)) = now.get(id) else {
            gone += 1;
            return false;
        };
        let same = |&(s, b): &Seen| s == size && (b.is_none() || born.is_none() || b == born);
        let kept = old.as_ref().is_none_or(|was| was.get(id).is_none_or(same));
        if !kept {
            changed.push(*id);
        }
        kept
    });
    forget_plan_when_unmarked(state);
    // During this TUI's own action its records come back without what it moved, before it
    // says what it did: its own words, not these.
    let own_action = matches!(state.popup, Popup::Running { .. });
    if own_action || gone + changed.len() as u64 == 0 {
        return;
    }
    let marked = |n: u64| crate::size::counted(n, "marked message", "marked messages");
    let mut said = Vec::new();
    if gone > 0 {
        said.push(format!(
            "{} left the queue since marked (yanked, delivered or removed elsewhere)",
            marked(gone)
        ));
    }
    // Still queued, as another message than the one marked, or as the one marked once its
    // queueing finished (walk66: a refused straggler read "left the queue", and the operator
    // nearly restarted qmail-send with it queued): said as still there, with its id.
    if let Some(first) = changed.first() {
        said.push(format!(
            "{} still queued but changed since marked (#{first}: its queueing finished, or new \
             mail took its id): look at it again (/id:{first})",
            marked(changed.len() as u64)
        ));
    }
    notice(state, format!("{}: unmarked", said.join("; ")), false);
}

/// With no mark left (unmarked by hand, or yanked), the plan marked last names no later mark:
/// marked again, one message was "1 of the cleanup plan's 30 messages (its 1 culprit: ...)" in
/// the confirmation and the journal (review54).
pub fn forget_plan_when_unmarked(state: &mut AppState) {
    if state.marks.ids.is_empty() {
        state.marks.plan = None;
    }
}

/// `x`: forget every mark, saying how many.
pub fn clear(state: &mut AppState) {
    // How many: an Alt chord arrives as Esc then the key, and `x` is one keystroke away from
    // a big marking (newuser51 lost 37,980 marks that way without noticing).
    let n = state.marks.ids.len();
    state.marks.ids.clear();
    state.marks.plan = None;
    let text = match n {
        0 => "nothing was marked".to_string(),
        n => format!(
            "{} cleared",
            crate::size::counted(n as u64, "mark", "marks")
        ),
    };
    notice(state, text, false);
}
