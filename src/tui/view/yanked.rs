//! The yank-area view: this session's batches (newest first) and everything in the yank area.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, List, ListItem, ListState, StatefulWidget, Widget};

use super::layout::LIST_CHROME;
use super::{age, thousands, Theme};
use crate::tui::lists::keep_visible;
use crate::tui::state::{AppState, Batch, ListPos};

/// What the yank-area view shows.
pub struct YankPane<'a> {
    batches: &'a [Batch],
    on_disk: usize,
    pos: ListPos,
    now: i64,
    theme: Theme,
}

impl<'a> YankPane<'a> {
    /// The yank area of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> YankPane<'a> {
        YankPane {
            batches: &s.yank_area.batches,
            on_disk: s.status.yanked_on_disk.len(),
            pos: s.yank_area.pos,
            now: s.status.now,
            theme,
        }
    }
}

impl Widget for YankPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut items: Vec<ListItem> = self
            .batches
            .iter()
            .rev()
            .map(|b| {
                let text = format!(
                    "batch {:>3}  {:>4} ago  {} messages",
                    b.number,
                    age(self.now, b.at),
                    thousands(b.ids.len() as u64)
                );
                ListItem::new(text)
            })
            .collect();
        if self.on_disk > 0 {
            items.push(ListItem::new(format!(
                "everything in the yank area: {} messages",
                thousands(self.on_disk as u64)
            )));
        }
        if items.is_empty() {
            items.push(ListItem::new(Line::styled(
                "the yank area is empty",
                t.dim(),
            )));
        }
        let height = usize::from(area.height.saturating_sub(LIST_CHROME - 1)).max(1);
        let pos = keep_visible(self.pos, height);
        let block = Block::bordered()
            .border_style(t.border(true))
            .title(Line::styled(
                " Yank area · Enter restores · Esc back ",
                t.accent(),
            ));
        let list = List::new(items).block(block).highlight_style(t.cursor());
        let mut state = ListState::default()
            .with_offset(pos.offset)
            .with_selected(Some(pos.selected));
        StatefulWidget::render(list, area, buf, &mut state);
    }
}
