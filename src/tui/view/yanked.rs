//! The yank-area view: the journal's batches newest first (what `qtriage yanked` lists), the
//! messages no batch accounts for (qmail-remove), and everything in the yank area.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, StatefulWidget, Widget};

use super::layout::LIST_CHROME;
use super::{age, human_bytes, thousands, Theme};
use crate::actions::{BatchState, Direction};
use crate::tui::lists::keep_visible;
use crate::tui::state::{AppState, BatchRow, ListPos, YankRow};

/// What the yank-area view shows.
pub struct YankPane<'a> {
    rows: Vec<YankRow<'a>>,
    is_read: bool,
    bytes: u64,
    session: &'a [String],
    pos: ListPos,
    now: i64,
    theme: Theme,
}

impl<'a> YankPane<'a> {
    /// The yank area of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> YankPane<'a> {
        let y = &s.yank_area;
        YankPane {
            rows: y.rows(),
            is_read: y.listing.is_some(),
            bytes: y.listing.as_ref().map_or(0, |l| l.bytes),
            session: &y.session,
            pos: y.pos,
            now: s.status.now,
            theme,
        }
    }

    /// A batch's row in `width` columns (a long query ends in `…`), its counts padded to
    /// `counts_width` so that the queries start in one column.
    fn batch(&self, b: &BatchRow, width: usize, counts_width: usize) -> Line<'static> {
        let t = self.theme;
        let mine = if self.session.contains(&b.batch) {
            "•"
        } else {
            " "
        };
        let mut spans = vec![
            Span::styled(mine.to_string(), t.marked()),
            Span::raw(format!(
                "{:<7} {}  {:>4} ago  {:<counts_width$}  ",
                b.direction.name(),
                b.batch,
                age(self.now, b.created),
                counts(b),
            )),
        ];
        if b.running {
            // At work in another qtriage: nothing to recover.
            spans.push(Span::styled("[running] ".to_string(), t.accent()));
        } else if b.state != BatchState::Done {
            let state = format!("[{}] ", b.state.name());
            spans.push(Span::styled(state, t.danger()));
        }
        spans.push(Span::styled(b.query.clone(), t.dim()));
        Line::from(super::fit_spans(spans, width))
    }

    fn item(&self, row: &YankRow<'_>, width: usize, counts_width: usize) -> ListItem<'static> {
        match row {
            YankRow::Batch(b) => ListItem::new(self.batch(b, width, counts_width)),
            YankRow::Orphans(n) => ListItem::new(format!(
                " without a batch (qmail-remove, by hand): {} messages",
                thousands(*n as u64)
            )),
            YankRow::All(n) => ListItem::new(format!(
                " everything in the yank area: {} messages, {}",
                thousands(*n as u64),
                human_bytes(self.bytes)
            )),
        }
    }
}

/// `16,200 msgs, 16,200 here, 3 failed`: messages, for a yank those still in the yank area,
/// and failures when there were any.
fn counts(b: &BatchRow) -> String {
    // `1 msg`, as every count agrees in number (newuser52: `1 msgs`).
    let mut counts = crate::size::counted(b.messages as u64, "msg", "msgs");
    if b.direction == Direction::Yank {
        counts.push_str(&format!(", {} here", thousands(b.in_yank_area as u64)));
    }
    if b.failed > 0 {
        counts.push_str(&format!(", {} failed", thousands(b.failed as u64)));
    }
    counts
}

impl Widget for YankPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        // Inside the borders.
        let width = usize::from(area.width.saturating_sub(2));
        let counts_width = (self.rows.iter())
            .filter_map(|r| match r {
                YankRow::Batch(b) => Some(counts(b).chars().count()),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        let mut items: Vec<ListItem> = (self.rows.iter())
            .map(|r| self.item(r, width, counts_width))
            .collect();
        if items.is_empty() {
            let text = if self.is_read {
                "the yank area is empty"
            } else {
                "reading the yank area…"
            };
            items.push(ListItem::new(Line::styled(text, t.dim())));
        }
        let height = usize::from(area.height.saturating_sub(LIST_CHROME - 1)).max(1);
        let pos = keep_visible(self.pos, height);
        let block = Block::bordered()
            .border_style(t.border(true))
            .title(Line::styled(
                " Yank area · Enter restores · P purges · • this session · Esc back ",
                t.accent(),
            ));
        let list = List::new(items).block(block).highlight_style(t.cursor());
        let mut state = ListState::default()
            .with_offset(pos.offset)
            .with_selected(Some(pos.selected));
        StatefulWidget::render(list, area, buf, &mut state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::{update, Action};

    /// A batch another qtriage is at work on reads `[running]`, not `[interrupted]` in the
    /// danger colour with nothing to recover.
    #[test]
    fn a_batch_at_work_reads_running() {
        let mut s = crate::tui::testdata::state((120, 30), 3, 2, false);
        let mut listing = crate::tui::testdata::listing();
        listing.batches[2].state = BatchState::Interrupted;
        listing.batches[2].running = true;
        listing.batches[1].state = BatchState::Interrupted;
        let report = crate::tui::event::Report::YankArea(Box::new(listing));
        update(&mut s, Action::Worker(report));
        let mut buf = Buffer::empty(Rect::new(0, 0, 120, 10));
        YankPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
        let text: Vec<String> = (0..10)
            .map(|y| (0..120).map(|x| buf[(x, y)].symbol()).collect())
            .collect();
        let row = |id: &str| {
            text.iter()
                .find(|l| l.contains(id))
                .cloned()
                .unwrap_or_default()
        };
        assert!(row("085500-c0de").contains("[running]"), "{text:#?}");
        assert!(row("083000-77ff").contains("[interrupted]"), "{text:#?}");
    }

    /// A batch of one says `1 msg` (newuser52: `1 msgs`); failures are grouped.
    #[test]
    fn counts_agree_in_number() {
        let mut b = crate::tui::testdata::listing().batches[0].clone();
        (b.direction, b.messages, b.in_yank_area, b.failed) = (Direction::Yank, 1, 1, 0);
        assert_eq!(counts(&b), "1 msg, 1 here");
        (b.messages, b.in_yank_area, b.failed) = (12_000, 10_500, 1_500);
        assert_eq!(counts(&b), "12,000 msgs, 10,500 here, 1,500 failed");
    }
}
