//! Scrolling the popups taller than the screen (the help, the cleanup plan, the reasons, the
//! confirmation), and opening the reasons popup, which scrolls as they do.

use super::{AppState, Command, Popup};

/// Scroll the popup shown when it scrolls (help, plan, reasons, confirmation); returns whether
/// it did.
pub(super) fn scroll_popup(state: &mut AppState, c: Command) -> bool {
    match state.popup {
        Popup::Help => scroll_help(state, c),
        Popup::Cleanup(_) => scroll_plan(state, c),
        Popup::Confirm(_) => {
            let max = crate::tui::view::confirm::max_scroll(state);
            let page = state.ui.size.1.saturating_sub(4).max(1);
            state.ui.confirm_scroll = scrolled(state.ui.confirm_scroll.min(max), c, page).min(max);
        }
        Popup::Why => {
            let max = crate::tui::view::why::max_scroll(state, state.ui.size);
            let page = state.ui.size.1.saturating_sub(4).max(1);
            state.ui.why_scroll = scrolled(state.ui.why_scroll.min(max), c, page).min(max);
        }
        _ => return false,
    }
    true
}

/// Move the cleanup plan popup's first row, within the plan (`max_scroll` at this screen size;
/// from where it is shown, should a resize have made the stored row too far).
fn scroll_plan(state: &mut AppState, c: Command) {
    let Popup::Cleanup(plan) = &state.popup else {
        return;
    };
    let max = crate::tui::view::cleanup::max_scroll(plan, state.ui.size);
    let page = state.ui.size.1.saturating_sub(4).max(1);
    state.ui.plan_scroll = scrolled(state.ui.plan_scroll.min(max), c, page).min(max);
}

/// Show the selected cluster's reasons whole, from their first row; on a row that is no
/// cluster ("all messages", a value new since the scan) there are none to show.
pub(super) fn open_why(state: &mut AppState) {
    if state.cluster_at(state.clusters.pos.selected).is_none() {
        crate::tui::state::notice(state, "no reasons here: w shows a cluster's", false);
        return;
    }
    state.popup = Popup::Why;
    state.ui.why_scroll = 0;
}

/// `at` moved one row or one `page` as `c` says.
fn scrolled(at: u16, c: Command, page: u16) -> u16 {
    match c {
        Command::Up => at.saturating_sub(1),
        Command::Down => at.saturating_add(1),
        Command::PageUp => at.saturating_sub(page),
        _ => at.saturating_add(page),
    }
}

/// Move the help popup's first row, within the keymap (`max_scroll` at this screen size).
fn scroll_help(state: &mut AppState, c: Command) {
    let page = state.ui.size.1.saturating_sub(3).max(1);
    let max = crate::tui::view::help::max_scroll(state.ui.size);
    state.ui.help_scroll = scrolled(state.ui.help_scroll, c, page).min(max);
}
