//! Marks and plans: what a destructive action would touch, its confirmation and its outcome.
//!
//! A key asks the worker for a plan (`Effect::Plan`; planning reads the disk) and shows
//! "planning…"; the worker answers with the `actions::Plan` in a [`Confirm`], which the popup
//! shows; only Enter (or F) turns that same value into `Effect::Execute`. No I/O here either:
//! `update` calls these.

use rustc_hash::FxHashSet;

use super::event::Effect;
use super::event::Finished;
use super::marks::{marked, NOTHING_MARKED};
use super::state::{
    notice, AppState, ClustersHit, Confirm, PlanRequest, Popup, SendState, YankRow,
};
use crate::actions::{Direction, PurgeSelection, RecoveryReport, RestoreSelection};
use crate::queue::MessageId;
use crate::sanitize::sanitize_str;
use crate::size::{counted, thousands};

/// Recovery in words, or `None` when nothing needed it.
pub fn recovery_text(r: &RecoveryReport) -> Option<String> {
    let lines = r.lines("recovered interrupted batch", false);
    (!lines.is_empty()).then(|| lines.join("; "))
}

/// The worker completes interrupted batches listing `messages` before it scans: the progress
/// line says so, with the seconds it takes.
pub fn recovering(state: &mut AppState, messages: u64) {
    state.status.recovering = Some((messages, state.status.now));
}

/// Recovery is over: said in the status line when it did anything.
pub fn recovered(state: &mut AppState, r: &RecoveryReport) {
    state.status.recovering = None;
    if let Some(text) = recovery_text(r) {
        notice(state, text, false);
    }
}

/// What a finished batch did, in words.
fn done_text(f: &Finished) -> String {
    let (plan, o) = (&f.confirm.plan, &f.outcome);
    let Some(batch) = &o.batch else {
        return match o.skipped.first() {
            Some(r) => format!(
                "nothing done: {} gone, {} left alone (#{}: {})",
                o.vanished.len(),
                o.skipped.len(),
                r.id,
                r.reason
            ),
            None => format!(
                "nothing done: all {} messages were gone",
                plan.messages.len()
            ),
        };
    };
    let (n, id) = (counted(batch.messages, "message", "messages"), &batch.batch);
    let mut text = match plan.direction {
        Direction::Yank => format!("yanked {n} (batch {id}); u undoes"),
        // Picked back by a query in the yank area (`/`): real mail by the operator's verdict.
        Direction::Restore if plan.verdict => {
            let them = if batch.messages == 1 { "it" } else { "them" };
            format!("restored {n} (batch {id}): picked back as real mail, p leaves {them}")
        }
        // Its other restores are undos (docs/tui.md), which leave standing what was picked
        // back before.
        Direction::Restore => match f.confirm.still_picked.unwrap_or(0) {
            0 => format!("restored {n} (batch {id}): an undo, p judges them again"),
            k if k as u64 == batch.messages => {
                format!("restored {n} (batch {id}): an undo; picked back before, they stay so")
            }
            k => format!(
                "restored {n} (batch {id}): an undo, p judges them again but for {} picked \
                 back before",
                thousands(k as u64)
            ),
        },
        Direction::Purge => format!("deleted {n} for good (batch {id})"),
        Direction::Expire => {
            format!("expired {n} (batch {id}): qmail-send bounces them; u undoes")
        }
    };
    let not_done = batch.failed.len() + o.vanished.len() + o.skipped.len();
    if let Some((id, why)) = batch.failed.first() {
        text.push_str(&format!(
            ", {not_done} not done (#{id}: {})",
            sanitize_str(why)
        ));
    } else if let Some(id) = o.vanished.first() {
        text.push_str(&format!(", {not_done} not done (#{id} was gone)"));
    } else if let Some(r) = o.skipped.first() {
        text.push_str(&format!(", {not_done} not done (#{}: {})", r.id, r.reason));
    }
    // Refused when planned (queueing not finished): still marked, and still queued. Said, or
    // the operator reads "yanked 134" as all of it and restarts qmail-send on the rest
    // (walk66: its straggler's refusal was in the confirmation only).
    if let Some(r) = plan.refused.first() {
        text.push_str(&format!(
            "; {} refused, still marked and queued (#{}: {}): r rescans, then y",
            plan.refused.len(),
            r.id,
            r.reason
        ));
    }
    if o.forced_while_running {
        text.push_str(" [forced while qmail-send ran]");
    }
    match recovery_text(&o.recovered) {
        Some(r) => format!("{r}; {text}"),
        None => text,
    }
}

/// Apply a finished batch: unmark what moved, remember it for undo, say what happened.
pub fn done(state: &mut AppState, f: Finished) {
    state.popup = Popup::None;
    let text = done_text(&f);
    let (plan, o) = (&f.confirm.plan, &f.outcome);
    let is_error = o.batch.as_ref().is_some_and(|b| !b.failed.is_empty());
    if let Some(batch) = &o.batch {
        match plan.direction {
            Direction::Yank | Direction::Expire => {
                if plan.direction == Direction::Yank {
                    let failed: FxHashSet<MessageId> =
                        batch.failed.iter().map(|(id, _)| *id).collect();
                    for m in plan.messages.iter().filter(|m| !failed.contains(&m.id)) {
                        state.marks.ids.remove(&m.id);
                    }
                    crate::tui::marks::forget_plan_when_unmarked(state);
                }
                state.yank_area.session.push(batch.batch.clone());
            }
            Direction::Restore | Direction::Purge => {
                if let Some(undone) = &plan.undoes {
                    state.yank_area.session.retain(|b| b != undone);
                }
            }
        }
    }
    notice(state, text, is_error);
}

/// Ask the worker for a plan and show "planning…" until it answers.
fn ask(state: &mut AppState, what: String, request: PlanRequest) -> Option<Effect> {
    planning(state, &what);
    Some(Effect::Plan { what, request })
}

/// Show the Planning box for `what` while the worker plans.
fn planning(state: &mut AppState, what: &str) {
    // What the line said was about the last popup (`cancelled: nothing was moved`): under the
    // next one it would read as this one's.
    state.status.notice = None;
    state.status.planning = None;
    state.popup = Popup::Planning(what.to_string());
}

/// `y` / `E`: plan yanking (or expiring) the marked messages.
pub fn request_marked(state: &mut AppState, expire: bool) -> Option<Effect> {
    let Some((ids, what)) = marked(state) else {
        notice(
            state,
            format!("{NOTHING_MARKED}: Space marks a message, m a cluster"),
            false,
        );
        return None;
    };
    // Every message of the queue marked (`m` on "(all messages)") would take the real mail
    // too, three keys from the first screen: refused, as the CLI refuses an empty query.
    let all = state.data.as_ref().map_or(0, |d| d.snapshot.records.len());
    if ids.len() == all {
        let verb = if expire { "expire" } else { "yank" };
        notice(
            state,
            // What was refused and the key out first: the end is cut on an 80-column line.
            format!(
                "refused: all {} messages are marked, real mail too. x unmarks (the whole \
                 queue: qtriage {verb} 'id:*')",
                crate::size::thousands(all as u64)
            ),
            true,
        );
        return None;
    }
    let request = if expire {
        PlanRequest::Expire(ids)
    } else {
        PlanRequest::Yank(ids)
    };
    ask(state, what, request)
}

/// `u`: undo the last yank or expire of this session, else the newest yank batch of the
/// journal that still has messages in the yank area.
pub fn request_undo(state: &mut AppState) -> Option<Effect> {
    let newest = state.yank_area.listing.as_ref().and_then(|l| {
        l.batches
            .iter()
            .rev()
            .find(|b| b.direction == Direction::Yank && b.in_yank_area > 0)
            .map(|b| b.batch.clone())
    });
    let session = state.yank_area.session.last().cloned();
    let from_session = session.is_some();
    let Some(batch) = session.or(newest) else {
        notice(state, "nothing to undo (Y shows the yank area)", false);
        return None;
    };
    // The batch alone named nothing an operator recognises; with no yank of this session,
    // `u` takes the journal's newest, which may be another tool's or another day's.
    let query = state.yank_area.listing.as_ref().and_then(|l| {
        l.batches
            .iter()
            .find(|b| b.batch == batch)
            .map(|b| b.query.clone())
    });
    let mut what = format!("batch {batch}");
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        what.push_str(&format!(" ({q})"));
    }
    if !from_session {
        what.push_str(", the journal's newest yank, not one of this session");
    }
    ask(
        state,
        what,
        PlanRequest::Restore(RestoreSelection::Batch(batch)),
    )
}

/// `/` in the yank area, then Enter: plan putting back the yanked messages `query` selects, as
/// real mail picked back (`qtriage restore QUERY`). An empty query would pick back the whole
/// yank area: refused, as the CLI refuses it (Enter on the last row restores everything).
pub fn request_pick(state: &mut AppState, query: crate::query::Query) -> Option<Effect> {
    if query.is_empty() {
        notice(
            state,
            "an empty query picks back everything: nothing asked (Enter on the last row restores all)",
            false,
        );
        return None;
    }
    let what = format!("the yanked messages matching {query}, picked back as real mail");
    planning(state, &what);
    Some(Effect::PickBack { what, query })
}

/// Enter (`purge` false) or P (`purge` true) on a yank-area row.
pub fn request_yank_row(state: &mut AppState, purge: bool) -> Option<Effect> {
    let rows = state.yank_area.rows();
    let row = rows.get(state.yank_area.pos.selected).copied()?;
    let (what, restore, delete, direction) = match row {
        YankRow::Batch(b) => {
            let sel = || b.batch.clone();
            let restore = matches!(b.direction, Direction::Yank | Direction::Expire)
                .then(|| RestoreSelection::Batch(sel()));
            let delete = (b.direction == Direction::Yank).then(|| PurgeSelection::Batch(sel()));
            let what = format!("batch {}", b.batch);
            (what, restore, delete, Some((b.direction, b.verdict)))
        }
        YankRow::Orphans(_) => {
            let ids = state.yank_area.listing.as_ref().map(|l| l.orphans.clone());
            let what = "the messages without a batch".to_string();
            (what, ids.map(RestoreSelection::Ids), None, None)
        }
        YankRow::All(_) => (
            "everything in the yank area".to_string(),
            Some(RestoreSelection::All),
            Some(PurgeSelection::All),
            None,
        ),
    };
    let request = if purge {
        delete.map(PlanRequest::Purge)
    } else {
        restore.map(PlanRequest::Restore)
    };
    match request {
        Some(r) => ask(state, what, r),
        None => {
            let verb = if purge { "purged" } else { "restored" };
            let why = why_not(direction, purge);
            notice(state, format!("{what} cannot be {verb}: {why}"), false);
            None
        }
    }
}

/// Why a yank-area row of a batch going `direction` (with its verdict: a pick-back; `None`: the
/// messages without a batch) cannot be purged (`purge`) or restored: a bare "cannot" leaves the
/// operator guessing.
fn why_not(row: Option<(Direction, bool)>, purge: bool) -> &'static str {
    let direction = row.map(|(d, _)| d);
    match (direction, purge) {
        // A pick-back undid nothing: "the yank it undid" sent the operator looking for one
        // (newuser53).
        (Some(Direction::Restore), false) if row.is_some_and(|(_, verdict)| verdict) => {
            "it picked its messages back as real mail, they are in the queue (qtriage yank \
             'restored:yes QUERY' takes them back)"
        }
        (Some(Direction::Restore), false) => {
            "it is a restore, its messages are back in the queue (Enter on the yank it undid)"
        }
        (Some(Direction::Purge), false) => "it deleted its messages for good",
        (Some(Direction::Expire), true) => {
            "an expire moves nothing to the yank area, its messages are in the queue"
        }
        (Some(Direction::Restore), true) => "it is a restore, its messages are in the queue",
        (Some(Direction::Purge), true) => "its messages are deleted already",
        (None, true) => "they belong to no batch: P on the last row purges everything",
        // Restorable: not asked.
        (Some(Direction::Yank | Direction::Expire), _) | (None, false) => "nothing to do",
    }
}

/// The clusters a confirmation names (the rest are counted).
const HIT_SHOWN: usize = 3;

/// The worker's plan: show it, unless the operator cancelled meanwhile.
pub fn planned(state: &mut AppState, mut c: Confirm) {
    if !matches!(state.popup, Popup::Planning(_)) {
        return;
    }
    if matches!(c.plan.direction, Direction::Yank | Direction::Expire) {
        c.clusters_hit = state.data.as_ref().map(|data| {
            let ids: FxHashSet<MessageId> = c.plan.messages.iter().map(|m| m.id).collect();
            let mut hit: rustc_hash::FxHashMap<u32, usize> = Default::default();
            let records = data
                .snapshot
                .records
                .iter()
                .zip(&data.clustering.cluster_of);
            for (_, &i) in records.filter(|(r, _)| ids.contains(&r.id)) {
                *hit.entry(i).or_default() += 1;
            }
            let mut hit: Vec<(u32, usize)> = hit.into_iter().collect();
            hit.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let (key, strings) = (data.clustering.key, &data.snapshot.strings);
            let shown = |i: u32| {
                let value = data
                    .clustering
                    .clusters
                    .get(i as usize)
                    .and_then(|c| c.value);
                let text = value.map_or_else(|| "(none)".into(), |v| v.shown(key, strings));
                crate::sanitize::sanitize_str(&text).into_owned()
            };
            ClustersHit {
                count: hit.len(),
                largest: (hit.iter().take(HIT_SHOWN))
                    .map(|&(i, n)| (shown(i), n))
                    .collect(),
            }
        });
    }
    if c.plan.messages.is_empty() {
        state.popup = Popup::None;
        // Nothing refused either: every one left the queue since the scan (newuser51:
        // another terminal's yank, and `y` said only "nothing to do").
        let place = match c.plan.direction {
            Direction::Yank | Direction::Expire => "queue",
            Direction::Restore | Direction::Purge => "yank area",
        };
        let gone = format!(
            ": none of them is in the {place} now (moved or removed since it was read): r \
             rescans"
        );
        let why = c.plan.refused.first().map_or(gone, |r| {
            format!(
                " ({} refused: #{} {})",
                c.plan.refused.len(),
                r.id,
                r.reason
            )
        });
        return notice(state, format!("nothing to do for {}{why}", c.what), false);
    }
    // The plan read qmail-send's lock: the newest check there is, until the next.
    if let Some(m) = &c.plan.mta {
        state.status.send = if m.is_send_running {
            SendState::Running
        } else {
            SendState::Stopped
        };
    }
    state.popup = Popup::Confirm(c);
    state.ui.confirm_scroll = 0;
}

/// Is qmail-send running, by the last check (the plan's own, or a later one: the worker
/// checks every second), or by the plan when no check answered since?
///
/// Stopping qmail-send while the popup is open unblocks Enter: it once kept saying "RUNNING:
/// refused" while the header said stopped. The action checks the lock again when it runs.
pub fn send_blocks(state: &AppState, c: &Confirm) -> bool {
    c.plan.needs_send_stopped()
        && match state.status.send {
            SendState::Running => true,
            SendState::Stopped => false,
            SendState::Unknown => c.planned_while_running(),
        }
}

/// The notice of a confirmation refused because qmail-send runs (cleared once it stops).
pub const SEND_REFUSED: &str = "qmail-send is running: refused. Stop it first, or press F to force";

/// Enter / F on the popup: hand the shown plan to the worker (refused while qmail-send runs
/// unless forced).
pub fn confirm(state: &mut AppState, force: bool) -> Option<Effect> {
    let Popup::Confirm(c) = &state.popup else {
        return None;
    };
    if !force && send_blocks(state, c) {
        notice(state, SEND_REFUSED, true);
        return None;
    }
    let mut c = c.clone();
    c.force = force;
    // `qmail-send stopped: Enter runs it now` (or the refusal) is done with once it runs.
    state.status.notice = None;
    state.status.planning = None;
    state.popup = Popup::Running {
        confirm: c.clone(),
        done: 0,
    };
    Some(Effect::Execute(c))
}
