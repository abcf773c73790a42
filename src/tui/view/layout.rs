//! Where each pane goes for a terminal size: one pure function shared by render and update.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::state::{AppState, Focus, Popup, ScanPhase};

/// Rows a bordered list spends on chrome (two borders and the column header).
pub const LIST_CHROME: u16 = 3;
/// From this width on, clusters and messages sit side by side (not while the age matrix is shown).
pub const WIDE: u16 = 160;

/// The rectangles of the screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Areas {
    /// Header bar.
    pub header: Rect,
    /// Scan progress line (zero height once the scan is done).
    pub progress: Rect,
    /// Everything between the bars.
    pub main: Rect,
    /// Clusters pane (inside `main`).
    pub clusters: Rect,
    /// Message list (inside `main`).
    pub messages: Rect,
    /// Filter bar (and its error line while editing).
    pub query: Rect,
    /// Status and hints line.
    pub status: Rect,
}

/// Lay out `area` for `state`.
pub fn areas(state: &AppState, area: Rect) -> Areas {
    let progress = u16::from(state.status.phase != ScanPhase::Ready);
    let query = if state.query.editing {
        1 + u16::from(state.query.error.is_some())
    } else {
        u16::from(state.query.applied.is_some())
    };
    // A notice wider than the screen takes a second row: cut, a pick-back's lost its end
    // (`p leaves them`) at 80 columns (newuser60). Not under a popup, which is laid over the
    // screen's rows above the last and would hide the first.
    let long = state.popup == Popup::None
        && (state.status.notice.as_ref()).is_some_and(|n| {
            ratatui::text::Span::raw(n.text.as_str()).width() > usize::from(area.width)
        });
    let [header, progress, main, query, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(progress),
        Constraint::Min(0),
        Constraint::Length(query),
        Constraint::Length(1 + u16::from(long)),
    ])
    .areas(area);
    // qshape's age matrix needs the whole width (eleven number columns and the value).
    let (clusters, messages) = if area.width >= WIDE && !state.clusters.ages {
        let [c, m] =
            Layout::horizontal([Constraint::Percentage(42), Constraint::Min(0)]).areas(main);
        (c, m)
    } else {
        let top = (main.height * 2 / 5).max(6).min(main.height);
        let [c, m] = Layout::vertical([Constraint::Length(top), Constraint::Min(0)]).areas(main);
        (c, m)
    };
    Areas {
        header,
        progress,
        main,
        clusters,
        messages,
        query,
        status,
    }
}

/// Is the main area given to one full-size pane (inspector, yank area)?
pub fn is_full_pane(focus: Focus) -> bool {
    matches!(focus, Focus::Detail | Focus::Yanked | Focus::Accounts)
}
