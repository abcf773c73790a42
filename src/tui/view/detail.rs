//! The inspector: envelope, Received chain (origin line highlighted), subject decoded beside its
//! raw bytes, headers and a body preview; every string was sanitized by the worker.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::Theme;
use crate::queue::MessageId;
use crate::tui::state::{AppState, Inspection};

/// What the inspector shows.
pub struct DetailPane<'a> {
    id: Option<MessageId>,
    inspection: Option<&'a Inspection>,
    marked: bool,
    scroll: u16,
    theme: Theme,
}

impl<'a> DetailPane<'a> {
    /// The inspector of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> DetailPane<'a> {
        let id = s.detail.id;
        DetailPane {
            id,
            inspection: s.detail.inspection.as_ref().filter(|i| Some(i.id) == id),
            marked: id.is_some_and(|id| s.marks.ids.contains(&id)),
            scroll: s.detail.scroll,
            theme,
        }
    }

    fn lines(&self, i: &'a Inspection) -> Vec<Line<'a>> {
        let t = self.theme;
        let head = |s: &'static str| Line::styled(s, t.accent());
        let mut v = vec![head("Envelope")];
        v.extend(i.envelope.iter().map(|l| Line::raw(l.as_str())));
        if let Some(p) = &i.problem {
            v.push(Line::styled(format!("! {p}"), t.danger()));
        }
        v.push(head(
            "Received (▶ = where the origin was read; lines below it were written by the client)",
        ));
        for (n, r) in i.received.iter().enumerate() {
            if Some(n) == i.origin_line {
                v.push(Line::from(vec![
                    Span::styled("▶ ", t.highlight()),
                    Span::styled(r.as_str(), t.highlight()),
                ]));
            } else {
                v.push(Line::from(vec![Span::raw("  "), Span::raw(r.as_str())]));
            }
        }
        v.push(head("Subject"));
        match &i.subject {
            Some((decoded, raw)) => {
                v.push(Line::from(vec![
                    Span::styled("decoded ", t.dim()),
                    Span::raw(decoded.as_str()),
                ]));
                v.push(Line::from(vec![
                    Span::styled("raw     ", t.dim()),
                    Span::raw(raw.as_str()),
                ]));
            }
            None => v.push(Line::styled("(no subject)", t.dim())),
        }
        v.push(head("Headers"));
        v.extend(i.headers.iter().map(|h| Line::raw(h.as_str())));
        v.push(head("Body (first lines)"));
        v.extend(i.body.iter().map(|b| Line::raw(b.as_str())));
        v
    }
}

/// The furthest the inspector of `s` scrolls on a screen of `size`: its last line at the pane's
/// bottom (PgDn and `j` went on into a blank pane, newuser47).
pub fn max_scroll(s: &AppState, size: (u16, u16)) -> u16 {
    let pane = DetailPane::new(s, Theme { colour: false });
    let main = super::layout::areas(s, Rect::new(0, 0, size.0, size.1)).main;
    let inner = Block::bordered().inner(main);
    let Some(i) = pane.inspection else {
        return 0;
    };
    let rows = Paragraph::new(pane.lines(i))
        .wrap(Wrap { trim: false })
        .line_count(inner.width);
    u16::try_from(rows)
        .unwrap_or(u16::MAX)
        .saturating_sub(inner.height)
}

impl Widget for DetailPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let id = self.id.map_or_else(String::new, |id| format!("#{id}"));
        let mark = if self.marked { " · marked" } else { "" };
        let mut block = Block::bordered()
            .border_style(t.border(true))
            .title(Line::styled(format!(" Message {id}{mark} "), t.accent()));
        let lines = match self.inspection {
            Some(i) => self.lines(i),
            None => vec![Line::styled("reading…", t.dim())],
        };
        let inner = block.inner(area);
        let text = Paragraph::new(lines).wrap(Wrap { trim: false });
        // Within the text after a resize too: never a blank pane below its last line.
        let rows = u16::try_from(text.line_count(inner.width)).unwrap_or(u16::MAX);
        let scroll = self.scroll.min(rows.saturating_sub(inner.height));
        // What PgDn would show: the border said nothing of it (newuser60).
        if let Some(more) = super::more_below(rows.into(), scroll.into(), inner.height.into()) {
            block = block.title_bottom(Line::styled(more, t.dim()).right_aligned());
        }
        text.block(block).scroll((scroll, 0)).render(area, buf);
    }
}
