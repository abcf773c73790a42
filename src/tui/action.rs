//! Action (what an event means) and `update(&mut AppState, Action) -> Option<Effect>`; no I/O.
//!
//! Everything slow or touching the disk is an [`Effect`] the worker runs; its answer comes back
//! as another action. Destructive actions go through a [`Plan`]: a key builds it, the popup shows
//! it, and only Enter (or F, to force) hands that same value to the worker (gitui's
//! `ConfirmAction` → `ConfirmedAction`).

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

use super::event::{Effect, Event, Report};
use super::keys::{self, Command};
use super::lists::{self, navigate, Move};
use super::marks::{self, mark_cluster, mark_one, mark_plan, toggle_marks, PLAN_MARKED};
use super::plan::{
    confirm, done, planned, recovered, recovering, request_marked, request_undo, request_yank_row,
    SEND_REFUSED,
};
use super::state::{
    notice, Analysis, AppState, Clustering, Focus, Popup, ScanPhase, Selection, SendState,
    YankListing,
};
use crate::analysis::key::ClusterKey;

/// What happened, in the UI's terms.
#[derive(Debug, Clone)]
pub enum Action {
    /// A key's command.
    Cmd(Command),
    /// A character typed into the filter bar.
    Type(char),
    /// Text pasted into the filter bar.
    Paste(String),
    /// The terminal was resized.
    Resize(u16, u16),
    /// Clock tick (unix seconds).
    Tick(i64),
    /// The worker or the watcher reported back.
    Worker(Report),
    /// A key that means nothing here: it still disarms a first `q`.
    Unbound,
}

/// Translate an event into an action (keys through the keymap).
pub fn from_event(state: &AppState, event: Event) -> Option<Action> {
    Some(match event {
        Event::Key(k) => return key_action(state, k),
        Event::Resize(w, h) => Action::Resize(w, h),
        // Only the filter bar takes text; elsewhere a paste is nothing (never keys).
        Event::Paste(text) if state.query.editing => Action::Paste(text),
        Event::Paste(_) => Action::Unbound,
        Event::Tick(now) => Action::Tick(now),
        Event::Worker(r) => Action::Worker(r),
    })
}

fn key_action(state: &AppState, key: KeyEvent) -> Option<Action> {
    if key.kind != crossterm::event::KeyEventKind::Press {
        return None;
    }
    if state.popup == Popup::Help {
        // j/k and the page keys scroll a keymap longer than the screen; any other key closes.
        return Some(Action::Cmd(match key.code {
            KeyCode::Down | KeyCode::Char('j') => Command::Down,
            KeyCode::Up | KeyCode::Char('k') => Command::Up,
            KeyCode::PageDown | KeyCode::Char(' ') => Command::PageDown,
            KeyCode::PageUp => Command::PageUp,
            _ => Command::Back,
        }));
    }
    match state.popup {
        Popup::Running { .. } => return None,
        // Only a cancel while the worker plans; its answer is then dropped. An Alt chord is
        // an Esc run into the next key (see `keys::command_for`): a cancel too.
        Popup::Planning(_) => {
            let cancel = matches!(key.code, KeyCode::Esc | KeyCode::Char('q' | 'n'))
                || key.modifiers.contains(crossterm::event::KeyModifiers::ALT);
            return cancel.then_some(Action::Cmd(Command::Back));
        }
        _ => {}
    }
    match keys::command_for(state, key) {
        Some(c) => Some(Action::Cmd(c)),
        // A control or Alt chord is never text (Ctrl-W once typed `w`).
        None if state.query.editing => match key.code {
            KeyCode::Char(c) if !key.modifiers.intersects(chord()) => Some(Action::Type(c)),
            _ => None,
        },
        None => state.ui.quit_armed.then_some(Action::Unbound),
    }
}

/// The modifiers that make a key a command, not text.
fn chord() -> crossterm::event::KeyModifiers {
    crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT
}

/// Apply an action to the state; return the work it asks for.
pub fn update(state: &mut AppState, action: Action) -> Option<Effect> {
    let effect = apply(state, action);
    // "y yanks them" once nothing is marked any more (unmarked, yanked) would point at nothing.
    if state.marks.ids.is_empty()
        && (state.status.notice.as_ref()).is_some_and(|n| n.text.starts_with(PLAN_MARKED))
    {
        state.status.notice = None;
    }
    effect
}

fn apply(state: &mut AppState, action: Action) -> Option<Effect> {
    match action {
        Action::Cmd(c) => return command(state, c),
        Action::Type(c) => type_char(state, c),
        Action::Paste(text) => filter::paste(state, &text),
        Action::Resize(w, h) => state.ui.size = (w, h),
        Action::Tick(now) => state.status.now = now,
        Action::Unbound => {
            disarm_quit(state);
        }
        Action::Worker(Report::Scan(p, ms)) => {
            state.status.recovering = None;
            state.status.progress = Some(p);
            state.status.scan_ms = ms;
        }
        Action::Worker(Report::Analysed(a)) => analysed(state, *a),
        Action::Worker(Report::Analysing) => analysing(state),
        Action::Worker(Report::Clustered(c)) => clustered(state, *c),
        Action::Worker(Report::Selected(s)) => selected(state, *s),
        Action::Worker(Report::Explained(at, why)) => lists::explained(state, at, why),
        Action::Worker(Report::Inspected(i)) => {
            if state.detail.id == Some(i.id) {
                state.detail.inspection = Some(*i);
            }
        }
        Action::Worker(Report::Progress(n)) => {
            if let Popup::Running { done, .. } = &mut state.popup {
                *done = n;
            }
        }
        Action::Worker(Report::Planning(step)) => {
            // A late step of a cancelled plan is no news.
            if matches!(state.popup, Popup::Planning(_) | Popup::Running { .. }) {
                state.status.planning = Some(step);
            }
        }
        Action::Worker(Report::Planned(c)) => planned(state, *c),
        Action::Worker(Report::Cleanup(c)) => {
            // A plan of an older snapshot would mark messages by stale indices' ids: drop it.
            let current = state.data.as_ref().map(|d| d.snapshot.generation);
            if current == Some(c.generation) && state.popup == Popup::None {
                state.status.notice = None;
                state.ui.plan_scroll = 0;
                state.popup = Popup::Cleanup(Arc::new(*c));
            }
        }
        Action::Worker(Report::Done(o)) => done(state, *o),
        Action::Worker(Report::SendStatus(send)) => send_status(state, send),
        Action::Worker(Report::YankArea(l)) => yank_listing(state, *l),
        Action::Worker(Report::Recovering(n)) => recovering(state, n),
        Action::Worker(Report::Recovered(r)) => recovered(state, &r),
        Action::Worker(Report::Watch(key, u)) => return super::live::watched(state, key, &u),
        Action::Worker(Report::WatchFailed(e)) => {
            let e = crate::sanitize::sanitize_str(&e).into_owned();
            notice(state, format!("watch stopped: {e}"), true);
            state.status.watch.failed = Some(e);
        }
        Action::Worker(Report::Accounts(l)) => {
            let len = l.rows.len();
            state.accounts.listing = Some(*l);
            let pos = &mut state.accounts.pos;
            pos.selected = pos.selected.min(len.saturating_sub(1));
        }
        Action::Worker(Report::ReportWritten { text, is_error }) => notice(state, text, is_error),
        Action::Worker(Report::ScanFailed(e)) => {
            // When the envelope pass failed, the header pass stays shown, and says it is
            // incomplete (actions refuse until a rescan's analysis arrives).
            if matches!(
                state.status.phase,
                ScanPhase::Scanning | ScanPhase::Envelopes | ScanPhase::Analysing
            ) {
                state.status.phase = ScanPhase::Failed;
            }
            error(state, &e);
        }
        Action::Worker(Report::Error(e)) => error(state, &e),
    }
    None
}

/// Show a failure; a plan being built or run is over (its answer, if any, is dropped).
fn error(state: &mut AppState, e: &str) {
    if matches!(state.popup, Popup::Running { .. } | Popup::Planning(_)) {
        state.popup = Popup::None;
    }
    notice(state, crate::sanitize::sanitize_str(e), true);
}

fn yank_listing(state: &mut AppState, l: YankListing) {
    state.yank_area.listing = Some(l);
    // The moves the watcher has counted are in this listing: not listed again for them.
    let w = &mut state.status.watch;
    w.yank_area_listed = w.yank_area_moves.or(w.yank_area_listed);
    let len = state.yank_area.rows().len();
    let h = lists::visible_rows(state, Focus::Yanked);
    let pos = &mut state.yank_area.pos;
    pos.selected = pos.selected.min(len.saturating_sub(1));
    *pos = lists::keep_visible(*pos, h);
}

fn analysed(state: &mut AppState, a: Analysis) {
    let kept = state.clusters.kept.take();
    let keep = match state.data {
        Some(_) => lists::selected_value(state),
        None => kept,
    };
    state.status.phase = if a.envelopes_pending {
        // The next progress reports are the envelope pass'.
        state.status.progress = None;
        ScanPhase::Envelopes
    } else {
        ScanPhase::Ready
    };
    if state.status.phase == ScanPhase::Ready
        && (state.status.notice.as_ref()).is_some_and(|n| n.until_scanned)
    {
        // "Wait for the scan to finish" once it has would read as still refused.
        state.status.notice = None;
    }
    state.clusters.key = Some(a.clustering.key);
    grouped(&mut state.status, a.clustering.key);
    marks::keep_present(state, &a);
    state.data = Some(a);
    lists::reorder_clusters(state);
    lists::reselect_cluster(state, keep);
    lists::rebuild_rows(state);
}

/// Let the header pass' records go while the envelope pass' analysis is built, keeping the
/// selected cluster and the marks (by id) for it.
fn analysing(state: &mut AppState) {
    if !state.data.as_ref().is_some_and(|d| d.envelopes_pending) {
        return;
    }
    if state.status.phase == ScanPhase::Envelopes {
        state.status.phase = ScanPhase::Analysing;
    }
    state.clusters.kept = lists::selected_value(state);
    state.data = None;
    lists::reorder_clusters(state);
    lists::rebuild_rows(state);
}

fn clustered(state: &mut AppState, c: Clustering) {
    let Some(data) = &mut state.data else { return };
    if data.snapshot.generation != c.generation || state.clusters.key != Some(c.key) {
        return;
    }
    grouped(&mut state.status, c.key);
    data.clustering = Arc::new(c);
    lists::reorder_clusters(state);
    lists::reselect_cluster(state, None);
    lists::rebuild_rows(state);
}

fn selected(state: &mut AppState, s: Selection) {
    let Some(data) = &mut state.data else { return };
    if data.snapshot.generation != s.generation || state.query.applied.as_ref() != Some(&s.query) {
        return;
    }
    let n = s.count;
    data.selection = Some(Arc::new(s));
    lists::rebuild_rows(state);
    // The count is the whole queue's; with a cluster selected the list shows fewer.
    let shown = state.messages.rows.len();
    let matched = crate::size::counted(n as u64, "message", "messages");
    let text = if state.clusters.pos.selected > 0 && shown != n {
        // How to see the others: the first row of the clusters pane is every message (an
        // empty list left newuser49 to find that out).
        let all = "g on the clusters pane shows them all";
        let shown = crate::size::thousands(shown as u64);
        format!("query matched {matched}, {shown} of them in this cluster; {all}")
    } else {
        format!("query matched {matched}")
    };
    notice(state, text, false);
}

/// Does `c` plan or run an action, or read the whole snapshot (accounts check, report)? Those
/// need the envelope pass' records.
fn needs_envelopes(state: &AppState, c: Command) -> bool {
    match c {
        Command::Yank
        | Command::Expire
        | Command::Undo
        | Command::Purge
        | Command::Pick
        | Command::Confirm
        | Command::Force
        | Command::Accounts
        | Command::ShowPlan
        | Command::WriteReport => true,
        Command::Open => state.ui.focus == Focus::Yanked,
        _ => false,
    }
}

/// Refuse `c` with a notice saying how to go on while the shown records are the header pass'
/// (the envelopes are being read, or their pass failed): without senders, recipients and the
/// logs' AUTH users a plan, the accounts check or the report would be built from partial data,
/// and an action's refresh would mark them complete. Returns whether it refused.
fn refuse_partial(state: &mut AppState, c: Command) -> bool {
    let partial = state.data.as_ref().is_some_and(|d| d.envelopes_pending);
    let phase = state.status.phase;
    if !partial && !matches!(phase, ScanPhase::Envelopes | ScanPhase::Analysing) {
        return false;
    }
    let key = keys::contexts(state)
        .iter()
        .find_map(|x| keys::key_for(*x, c))
        .unwrap_or_default();
    let text = match phase {
        // Each within 80 columns with the longest key (`Enter`): the advice is the end.
        ScanPhase::Envelopes => {
            format!("still reading envelopes: wait for the scan to finish, then press {key} again")
        }
        ScanPhase::Analysing => {
            format!(
                "still analysing envelopes: wait for the scan to finish, then press {key} again"
            )
        }
        ScanPhase::Scanning => {
            format!("the last scan did not finish: wait for this one, then press {key} again")
        }
        ScanPhase::Ready | ScanPhase::Failed => {
            "the last scan did not finish (no senders, recipients): press r to scan again".into()
        }
    };
    // A plan shown now was built from the partial records: drop it.
    if matches!(state.popup, Popup::Confirm(_)) {
        state.popup = Popup::None;
    }
    notice(state, text, true);
    if let Some(n) = &mut state.status.notice {
        n.until_scanned = phase != ScanPhase::Ready && phase != ScanPhase::Failed;
    }
    true
}

/// `q`: quit, unless messages are marked and this is the first `q`: marks are a selection the
/// operator may have spent minutes on, and `q` is also what closes a pager.
fn quit(state: &mut AppState, armed: bool) {
    let n = state.marks.ids.len();
    if n == 0 || armed {
        state.ui.quit = true;
        return;
    }
    state.ui.quit_armed = true;
    let what = if n == 1 { "message" } else { "messages" };
    let text = format!(
        "{} {what} marked: q again quits and forgets the marks (no mail is touched)",
        crate::size::thousands(n)
    );
    notice(state, text, false);
}

/// Any key but `q` between two `q`s disarms the second, and its notice goes with it; returns
/// whether it was armed.
fn disarm_quit(state: &mut AppState) -> bool {
    let armed = std::mem::take(&mut state.ui.quit_armed);
    if armed {
        state.status.notice = None;
    }
    armed
}

fn command(state: &mut AppState, c: Command) -> Option<Effect> {
    let quit_armed = if c == Command::Quit {
        std::mem::take(&mut state.ui.quit_armed)
    } else {
        disarm_quit(state)
    };
    if needs_envelopes(state, c) && refuse_partial(state, c) {
        return None;
    }
    match c {
        Command::Quit => quit(state, quit_armed),
        Command::QuitNow => state.ui.quit = true,
        Command::Back => back(state),
        Command::Help => open_help(state),
        Command::Up | Command::Down | Command::PageUp | Command::PageDown
            if scroll_popup(state, c) => {}
        Command::ShowPlan => {
            notice(state, "planning the cleanup…", false);
            return Some(Effect::CleanupPlan);
        }
        Command::MarkPlan => mark_plan(state),
        Command::Why => scroll::open_why(state),
        Command::Up => navigate(state, Move::Up),
        Command::Down => navigate(state, Move::Down),
        Command::PageUp => navigate(state, Move::PageUp),
        Command::PageDown => navigate(state, Move::PageDown),
        Command::Home => navigate(state, Move::Home),
        Command::End => navigate(state, Move::End),
        Command::Open => return open(state),
        Command::NextPane => next_pane(state),
        Command::CycleKey => return cycle_key(state, 1),
        Command::CycleKeyBack => return cycle_key(state, ClusterKey::ALL.len() - 1),
        Command::CycleSort => cycle_sort(state),
        Command::ToggleAges => state.clusters.ages = !state.clusters.ages,
        Command::Filter => start_filter(state),
        Command::Mark => mark_one(state),
        Command::MarkCluster => mark_cluster(state),
        Command::MarkSelection => mark_listed(state),
        Command::ClearMarks => marks::clear(state),
        Command::Yank => return request_marked(state, false),
        Command::Expire => return request_marked(state, true),
        Command::Undo => return request_undo(state),
        Command::Purge => return request_yank_row(state, true),
        Command::Pick => start_pick(state),
        Command::YankArea => return Some(open_view(state, Focus::Yanked)),
        Command::Accounts => return Some(open_view(state, Focus::Accounts)),
        Command::WriteReport => {
            notice(state, "writing the incident report…", false);
            return Some(Effect::WriteReport);
        }
        Command::Rescan => return Some(rescan(state)),
        Command::Confirm | Command::Force => return confirm(state, c == Command::Force),
        Command::Apply => return apply_query(state),
        Command::CaretLeft
        | Command::CaretRight
        | Command::DeleteBack
        | Command::DeleteForward
        | Command::CaretHome
        | Command::CaretEnd
        | Command::ClearBack => edit_query(state, c),
    }
    None
}

/// The worker's newest check of qmail-send's lock; a refusal it made stale goes.
fn send_status(state: &mut AppState, send: Option<bool>) {
    state.status.send = match send {
        Some(true) => SendState::Running,
        Some(false) => SendState::Stopped,
        None => SendState::Unknown,
    };
    let refused = state
        .status
        .notice
        .as_ref()
        .is_some_and(|n| n.text == SEND_REFUSED);
    if refused && send == Some(false) {
        let text = match state.popup {
            Popup::Confirm(_) => "qmail-send stopped: Enter runs it now",
            _ => "qmail-send stopped",
        };
        notice(state, text, false);
    }
}

fn open_help(state: &mut AppState) {
    state.popup = Popup::Help;
    state.ui.help_scroll = 0;
}

fn next_pane(state: &mut AppState) {
    state.ui.focus = match state.ui.focus {
        Focus::Clusters => Focus::Messages,
        _ => Focus::Clusters,
    }
}

fn mark_listed(state: &mut AppState) {
    let rows = state.messages.rows.clone();
    toggle_marks(state, rows.iter(), "listed messages");
}

/// The yank area or the accounts view, read afresh each time it opens.
fn open_view(state: &mut AppState, view: Focus) -> Effect {
    state.ui.focus = view;
    if view == Focus::Yanked {
        state.yank_area.pos = Default::default();
        Effect::ListYankArea
    } else {
        state.accounts = Default::default();
        Effect::CheckAccounts
    }
}

fn rescan(state: &mut AppState) -> Effect {
    state.status.phase = ScanPhase::Scanning;
    state.status.progress = None;
    Effect::Scan
}

fn back(state: &mut AppState) {
    if state.popup != Popup::None {
        // What the notice said led up to the confirmation ("marked ...; y yanks"); say how it
        // ended instead.
        if matches!(state.popup, Popup::Confirm(_)) {
            notice(state, "cancelled: nothing was moved", false);
        }
        state.popup = Popup::None;
        return;
    }
    if state.query.editing {
        state.query.editing = false;
        state.query.picking = false;
        state.query.text = state
            .query
            .applied
            .as_ref()
            .map(|q| q.to_string())
            .unwrap_or_default();
        state.query.error = None;
        return;
    }
    state.ui.focus = match state.ui.focus {
        Focus::Detail => Focus::Messages,
        Focus::Messages | Focus::Yanked | Focus::Accounts | Focus::Clusters => Focus::Clusters,
    };
}

fn open(state: &mut AppState) -> Option<Effect> {
    match state.ui.focus {
        Focus::Clusters => {
            state.ui.focus = Focus::Messages;
            None
        }
        Focus::Messages => {
            let (index, id) = state.selected_record().map(|(i, r)| (i, r.id))?;
            state.detail = super::state::DetailView {
                id: Some(id),
                inspection: None,
                scroll: 0,
            };
            state.ui.focus = Focus::Detail;
            Some(Effect::Inspect { index, id })
        }
        Focus::Detail | Focus::Accounts => None,
        Focus::Yanked => request_yank_row(state, false),
    }
}

/// Group by the key `step` places on in `ClusterKey::ALL` (wrapping: `ALL.len() - 1` is one
/// back).
fn cycle_key(state: &mut AppState, step: usize) -> Option<Effect> {
    state.data.as_ref()?;
    let cur = state.clusters.key.unwrap_or(ClusterKey::ALL[0]);
    let i = ClusterKey::ALL.iter().position(|k| *k == cur).unwrap_or(0);
    let next = ClusterKey::ALL[(i + step) % ClusterKey::ALL.len()];
    state.clusters.key = Some(next);
    notice(state, grouping_notice(next), false);
    Some(Effect::Cluster(next))
}

fn grouping_notice(key: ClusterKey) -> String {
    format!("grouping by {}…", key.name())
}

/// The key press' "grouping by KEY…" is done: a notice still saying so would read as stuck.
fn grouped(status: &mut crate::tui::state::Status, key: ClusterKey) {
    if status.notice.as_ref().map(|n| &n.text) == Some(&grouping_notice(key)) {
        status.notice = None;
    }
}

fn cycle_sort(state: &mut AppState) {
    match state.ui.focus {
        Focus::Clusters => {
            let keep = lists::selected_value(state);
            state.clusters.sort = state.clusters.sort.next();
            lists::reorder_clusters(state);
            lists::reselect_cluster(state, keep);
        }
        Focus::Messages => {
            state.messages.sort = state.messages.sort.next();
            lists::rebuild_rows(state);
        }
        Focus::Detail | Focus::Yanked | Focus::Accounts => {}
    }
}

mod filter;
mod scroll;
use filter::{apply_query, edit_query, start_filter, start_pick, type_char};
use scroll::scroll_popup;

#[cfg(test)]
mod act_tests;
#[cfg(test)]
mod mark_tests;
#[cfg(test)]
mod scan_tests;
#[cfg(test)]
mod tests;
