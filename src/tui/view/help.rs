//! The help popup: the keymap from keys.rs, in as many columns as the screen needs.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::confirm::centered;
use super::Theme;
use crate::tui::keys::help_lines;

/// The help popup.
pub struct HelpPopup {
    /// Styles.
    pub theme: Theme,
}

impl Widget for HelpPopup {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rect = centered(area, area.width.min(110), area.height);
        Clear.render(rect, buf);
        let block = Block::bordered()
            .border_style(t.accent())
            .title(Line::styled(" Keys (any key closes) ", t.accent()));
        let inner = block.inner(rect);
        block.render(rect, buf);
        let lines: Vec<Line> = help_lines()
            .into_iter()
            .map(|(title, keys, help)| match title {
                Some(title) => Line::styled(title, t.accent()),
                None => Line::from(vec![
                    Span::styled(format!(" {keys:<10}"), t.marked()),
                    Span::raw(help),
                ]),
            })
            .collect();
        let per_col = usize::from(inner.height).max(1);
        let cols = lines.len().div_ceil(per_col).max(1);
        let areas = Layout::horizontal(vec![Constraint::Ratio(1, cols as u32); cols]).split(inner);
        for (chunk, col) in lines.chunks(per_col).zip(areas.iter()) {
            Paragraph::new(chunk.to_vec()).render(*col, buf);
        }
    }
}
