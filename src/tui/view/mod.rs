//! `impl Widget for &AppState`: lay the panes out; each pane is a small widget in its own file.
//!
//! Rendering is a pure function of the state: nothing here mutates it, reads the clock or touches
//! the disk. List offsets come from the state and are adjusted on a copy (television's
//! `relative_state.clone()`), and only visible rows are built.

pub mod accounts;
pub mod cleanup;
pub mod clusters;
pub mod confirm;
pub mod detail;
pub mod help;
pub mod layout;
pub mod messages;
pub mod query_bar;
pub mod reasons;
pub mod status;
pub mod why;
pub mod yanked;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Widget;
use unicode_segmentation::UnicodeSegmentation;

use super::plan::send_blocks;
use super::state::{AppState, Focus, Popup};

/// The styles in use; with colours off (NO_COLOR) only bold, reverse and underline remain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Colours on.
    pub colour: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.colour {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    /// Destructive things: the confirm popup, errors, a running qmail-send.
    pub fn danger(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    /// Titles and the focused border.
    pub fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    /// Secondary text.
    pub fn dim(self) -> Style {
        if self.colour {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    /// Marked rows.
    pub fn marked(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// The row under the cursor.
    pub fn cursor(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    /// Good news (qmail-send stopped, done).
    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    /// The Received line the origin was taken from.
    pub fn highlight(self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    /// Border of a pane, brighter when it has the focus.
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.accent()
        } else {
            self.dim()
        }
    }
}

impl Widget for &AppState {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = Theme {
            colour: self.ui.colour,
        };
        let a = layout::areas(self, area);
        status::Header::new(self, theme).render(a.header, buf);
        if a.progress.height > 0 {
            status::ProgressLine::new(self, theme).render(a.progress, buf);
        }
        match self.ui.focus {
            Focus::Detail => detail::DetailPane::new(self, theme).render(a.main, buf),
            Focus::Yanked => yanked::YankPane::new(self, theme).render(a.main, buf),
            Focus::Accounts => {
                accounts::AccountsPane::new(&self.accounts, theme).render(a.main, buf)
            }
            Focus::Clusters | Focus::Messages => {
                clusters::ClustersPane::new(self, theme).render(a.clusters, buf);
                messages::MessagesPane::new(self, theme).render(a.messages, buf);
            }
        }
        if a.query.height > 0 {
            query_bar::QueryBarView::new(&self.query, theme).render(a.query, buf);
        }
        status::StatusLine::new(self, theme).render(a.status, buf);
        let above_status = Rect {
            height: area.height.saturating_sub(1),
            ..area
        };
        match &self.popup {
            Popup::None => {}
            Popup::Help => help::HelpPopup {
                theme,
                scroll: self.ui.help_scroll,
            }
            .render(area, buf),
            Popup::Why => why::WhyPopup::of(self, theme).render(area, buf),
            Popup::Cleanup(c) => cleanup::CleanupPopup {
                cleanup: c,
                scroll: self.ui.plan_scroll,
                theme,
            }
            .render(area, buf),
            Popup::Planning(what) => confirm::PlanningPopup {
                what,
                step: self.status.planning.as_ref(),
                theme,
            }
            .render(area, buf),
            // Above the status line, which says why Enter refused (review49: at 40x12 the box
            // covered it, and Enter while qmail-send runs seemed to do nothing).
            Popup::Confirm(c) => confirm::ConfirmPopup {
                confirm: c,
                running: None,
                step: None,
                send: confirm::SendLine::of(c, send_blocks(self, c), self.status.send),
                scroll: self.ui.confirm_scroll,
                theme,
            }
            .render(above_status, buf),
            Popup::Running { confirm: c, done } => confirm::ConfirmPopup {
                confirm: c,
                running: Some(*done),
                step: self.status.planning.as_ref(),
                send: confirm::SendLine::of(c, send_blocks(self, c), self.status.send),
                scroll: self.ui.confirm_scroll,
                theme,
            }
            .render(above_status, buf),
        }
    }
}

/// The width of each column a `Table` (no highlight symbol, column spacing 1) gives `widths`
/// in `inner` columns: ratatui's own split, so cells can be cut to them beforehand.
pub fn column_widths(inner: u16, widths: &[Constraint]) -> Vec<usize> {
    Layout::horizontal(widths.to_vec())
        .flex(Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, inner, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// `s` cut to `width` columns, ending with `…` when cut: ratatui cuts a cell silently, and a cut
/// value (`paul.lee@example.ne`) passes for a whole one.
pub fn fit(s: String, width: usize) -> String {
    if Span::raw(s.as_str()).width() <= width {
        return s;
    }
    ellipsized(&s, width)
}

/// The longest start of `s` within `width - 1` columns, then `…` (nothing at all in 0 columns).
fn ellipsized(s: &str, width: usize) -> String {
    let Some(room) = width.checked_sub(1) else {
        return String::new();
    };
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = Span::raw(g).width();
        if used + w > room {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// The scroll hint on a popup's bottom border, at row `at` of `max`: `↑↓ j/k` and `words`
/// (` scroll`, ` more`), its arrows saying which way there is more.
pub fn scroll_hint((at, max): (u16, u16), words: &str, t: Theme) -> Span<'static> {
    let arrows = match (at > 0, at < max) {
        (true, true) => "↑↓",
        (true, false) => "↑",
        _ => "↓",
    };
    Span::styled(format!(" {arrows} j/k{words} "), t.accent())
}

/// A popup's key line, `line(false)`, or in short words, `line(true)`, when the long one does
/// not fit `room` columns.
pub fn long_or_short(
    line: impl Fn(bool) -> ratatui::text::Line<'static>,
    room: u16,
) -> ratatui::text::Line<'static> {
    let long = line(false);
    match long.width() > usize::from(room) {
        true => line(true),
        false => long,
    }
}

/// `spans` in `width` columns: whole when they fit, else cut where the edge falls, the last one
/// ending with `…` in its own style (a line of several styles, cut as [`fit`] cuts a string).
pub fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    if spans.iter().map(Span::width).sum::<usize>() <= width {
        return spans;
    }
    let mut out = Vec::new();
    let mut used = 0;
    for s in spans {
        let w = s.width();
        // Whole only if a column is left for the `…` the cut further on needs.
        if used + w < width {
            used += w;
            out.push(s);
            continue;
        }
        out.push(Span::styled(ellipsized(&s.content, width - used), s.style));
        break;
    }
    out
}

/// `s` in `width` columns: whole when it fits, else its end after `…` ([`fit`] keeps the start;
/// a path's end names it: a silently cut `/var/qmail/qu` passes for a whole path).
pub fn fit_end(s: &str, width: usize) -> String {
    if Span::raw(s).width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut tail: Vec<&str> = Vec::new();
    let mut used = 1;
    for g in s.graphemes(true).rev() {
        let w = Span::raw(g).width();
        if used + w > width {
            break;
        }
        tail.push(g);
        used += w;
    }
    std::iter::once("…").chain(tail.into_iter().rev()).collect()
}

/// `text` in lines of at most `width` columns, broken at `sep` (between words, or between a
/// list's items, the separator's mark kept at the line's end) and inside a piece only when the
/// piece alone is wider: a popup's warning or count is never cut where the border falls.
pub fn wrap(text: &str, sep: &str, width: usize) -> Vec<String> {
    let w = |s: &str| Span::raw(s).width();
    if width == 0 || w(text) <= width {
        return vec![text.to_string()];
    }
    let mut out = Vec::new();
    let mut line = String::new();
    for piece in text.split(sep) {
        let joined = if line.is_empty() {
            piece.to_string()
        } else {
            format!("{line}{sep}{piece}")
        };
        if w(&joined) <= width {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            let end = format!("{line}{}", sep.trim_end());
            out.push(if w(&end) <= width { end } else { line });
        }
        line = String::new();
        for g in piece.graphemes(true) {
            if w(&line) + w(g) > width {
                out.push(std::mem::take(&mut line));
            }
            line.push_str(g);
        }
    }
    out.push(line);
    out
}

/// Every cell cut to its column with [`fit`].
pub fn fit_cells(cells: Vec<String>, widths: &[usize]) -> Vec<String> {
    cells
        .into_iter()
        .enumerate()
        .map(|(i, c)| match widths.get(i) {
            Some(&w) => fit(c, w),
            None => c,
        })
        .collect()
}

/// The CLI's size formatter (`424.4 KiB`), so a plan reads the same in both faces.
pub use crate::size::{human_bytes, thousands};

/// A compact age (`42s`, `5m`, `3h`, `2d`) of `then` at `now`.
pub fn age(now: i64, then: i64) -> String {
    let d = (now - then).max(0);
    match d {
        0..60 => format!("{d}s"),
        60..3600 => format!("{}m", d / 60),
        3600..86400 => format!("{}h", d / 3600),
        _ => format!("{}d", d / 86400),
    }
}

#[cfg(test)]
mod tests;

/// ` ↓ 3 more ` for a pane whose `total` rows, from `offset`, do not fit its `height`: said on
/// its bottom border, where PgDn would take the operator.
pub fn more_below(total: usize, offset: usize, height: usize) -> Option<String> {
    let below = total.saturating_sub(offset.saturating_add(height));
    (below > 0).then(|| format!(" ↓ {} more ", thousands(below as u64)))
}
