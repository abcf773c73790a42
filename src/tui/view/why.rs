//! The reasons popup (`w`): the selected cluster's reasons whole, where the pane has no room.
//!
//! At 80x24 the clusters pane leaves no row free under its clusters and its reasons stand cut
//! on the bottom border (`why: ...…`); the operator deciding whether to yank a culprit reads
//! here what `qtriage top` prints for it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::confirm::centered;
use super::reasons::lines;
use super::{fit, Theme};
use crate::sanitize::sanitize_str;
use crate::tui::state::AppState;

/// Width of the popup at most (a wide one is harder to read than a few more rows).
const WIDTH: u16 = 100;

/// The popup over the selected cluster's reasons.
pub struct WhyPopup<'a> {
    /// Whose reasons: the key and the value, as the pane shows them.
    pub title: String,
    /// The reasons, the summary first (empty while the worker writes them).
    pub reasons: &'a [String],
    /// First row shown.
    pub scroll: u16,
    /// Styles.
    pub theme: Theme,
}

impl<'a> WhyPopup<'a> {
    /// The popup for the cluster under the cursor of `s`.
    pub fn of(s: &'a AppState, theme: Theme) -> Self {
        let title = match (s.cluster_at(s.clusters.pos.selected), s.data.as_ref()) {
            (Some(c), Some(d)) => {
                let value = c.value.map_or_else(
                    || "(none)".to_string(),
                    |v| v.shown(c.key, &d.snapshot.strings),
                );
                format!("{} {} · score {:.1}", c.key.name(), value, c.score)
            }
            _ => "no cluster".to_string(),
        };
        WhyPopup {
            title: sanitize_str(&title).into_owned(),
            reasons: s.selected_reasons(),
            scroll: s.ui.why_scroll,
            theme,
        }
    }

    /// The popup's box in `area`, its lines and how far they may scroll.
    fn layout(&self, area: Rect) -> (Rect, Vec<String>, u16) {
        let width = WIDTH.min(area.width);
        let text = match self.reasons {
            [] => vec!["(being written…)".to_string()],
            r => lines(r, usize::from(width.saturating_sub(2).max(1))),
        };
        let rows = u16::try_from(text.len()).unwrap_or(u16::MAX);
        let rect = centered(area, width, rows.saturating_add(2));
        let max = rows.saturating_sub(rect.height.saturating_sub(2));
        (rect, text, max)
    }
}

/// How far the reasons popup of `s` can scroll on a screen of `size`.
pub fn max_scroll(s: &AppState, size: (u16, u16)) -> u16 {
    let popup = WhyPopup::of(s, Theme { colour: false });
    popup.layout(Rect::new(0, 0, size.0, size.1)).2
}

impl Widget for WhyPopup<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (rect, text, max) = self.layout(area);
        let scroll = self.scroll.min(max);
        let summary = match self.reasons.first() {
            Some(first) => lines(std::slice::from_ref(first), usize::from(rect.width) - 2).len(),
            None => text.len(),
        };
        let shown: Vec<Line> = text
            .into_iter()
            .enumerate()
            .map(|(i, l)| match i < summary {
                true => Line::styled(l, t.accent()),
                false => Line::raw(l),
            })
            .collect();
        let room = usize::from(rect.width.saturating_sub(2));
        let mut keys = vec![Span::styled(" Esc", t.accent()), Span::raw(" close ")];
        if max > 0 {
            let arrows = match (scroll > 0, scroll < max) {
                (true, true) => "↑↓",
                (true, false) => "↑",
                _ => "↓",
            };
            keys.push(Span::styled(format!(" {arrows} j/k "), t.accent()));
        }
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_style(t.accent())
            .title(Line::styled(
                fit(format!(" Why: {} ", self.title), room),
                t.accent(),
            ))
            .title_bottom(Line::from(keys));
        Paragraph::new(shown)
            .block(block)
            .scroll((scroll, 0))
            .render(rect, buf);
    }
}
