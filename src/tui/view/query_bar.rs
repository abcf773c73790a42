//! The filter bar: the query text with its caret, and the parse error underlined at its span.
//!
//! A query wider than the bar scrolls: the text is drawn whole into a scratch row and the
//! window of it that keeps the caret (and, when it fits too, the error) is copied to the
//! screen, with `…` where text is cut, so every width is the one ratatui draws.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{fit, fit_spans, Theme};
use crate::sanitize::sanitize_str;
use crate::tui::state::QueryBar;

/// The prompt before the text.
const PROMPT: &str = "/ ";
/// The prompt while picking messages back in the yank area: the same bar, another action.
const PICK_PROMPT: &str = "pick back from the yank area / ";

/// The filter bar of a [`QueryBar`].
pub struct QueryBarView<'a> {
    bar: &'a QueryBar,
    theme: Theme,
}

impl<'a> QueryBarView<'a> {
    /// A view of `bar`.
    pub fn new(bar: &'a QueryBar, theme: Theme) -> QueryBarView<'a> {
        QueryBarView { bar, theme }
    }
}

/// `text[..byte]` (clamped to a char boundary), sanitized.
fn prefix(text: &str, byte: usize) -> std::borrow::Cow<'_, str> {
    let mut end = byte.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    sanitize_str(&text[..end])
}

/// Columns ratatui draws `s` in.
fn columns(s: &str) -> usize {
    Span::raw(s).width()
}

/// The first text column shown in `room` columns of a text `total` wide: as much of the end
/// as keeps `caret` on screen (a `…` takes a column on each cut side), then `error` too when
/// both fit.
fn scroll(total: usize, caret: Range<usize>, error: Option<Range<usize>>, room: usize) -> usize {
    if total <= room {
        return 0;
    }
    // With text cut on both sides, `room - 2` columns show between the two `…`.
    let inner = room.saturating_sub(2).max(1);
    let to_show = |r: &Range<usize>| r.end.saturating_sub(inner).saturating_sub(1);
    let first = (total - room)
        .max(to_show(&caret))
        .min(caret.start.saturating_sub(1));
    let Some(err) = error else {
        return first;
    };
    // Move to the error only as far as the caret stays on screen.
    let latest = caret.start.saturating_sub(1);
    if err.start < first + 1 {
        err.start.saturating_sub(1).max(to_show(&caret)).min(first)
    } else if err.end > first + 1 + inner {
        to_show(&err).min(latest).max(first)
    } else {
        first
    }
}

impl Widget for QueryBarView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let bar = self.bar;
        let width = usize::from(area.width);
        if !bar.editing {
            let text = bar
                .applied
                .as_ref()
                .map(|q| q.to_string())
                .unwrap_or_default();
            let spans = vec![
                Span::styled(PROMPT, t.accent()),
                Span::raw(sanitize_str(&text).into_owned()),
                Span::styled("  (/ edits, empty query clears)", t.dim()),
            ];
            Line::from(fit_spans(spans, width)).render(Rect { height: 1, ..area }, buf);
            return;
        }
        let prompt = if bar.picking { PICK_PROMPT } else { PROMPT };
        let text = bar.text.as_str();
        let cur = bar.cursor.min(text.len());
        let cur = if text.is_char_boundary(cur) {
            cur
        } else {
            text.len()
        };
        let (before, after) = text.split_at(cur);
        let mut rest = after.chars();
        let at = rest.next().map_or(" ".to_string(), |c| c.to_string());
        let spans = [
            Span::raw(sanitize_str(before)),
            Span::styled(sanitize_str(&at), t.cursor()),
            Span::raw(sanitize_str(rest.as_str())),
        ];
        // The whole text in a scratch row, at most as wide as a row can be.
        let total: usize = spans.iter().map(Span::width).sum();
        let mut row = Buffer::empty(Rect::new(0, 0, total.min(usize::from(u16::MAX)) as u16, 1));
        let mut x = 0;
        let mut ends = [0usize; 3];
        for (end, span) in ends.iter_mut().zip(&spans) {
            x = row.set_span(x, 0, span, u16::MAX).0;
            *end = usize::from(x);
        }
        let caret = ends[0]..ends[1].max(ends[0] + 1);
        let error = bar.error.as_ref().map(|e| {
            let start = columns(&prefix(text, e.span.start));
            start..columns(&prefix(text, e.span.end)).max(start + 1)
        });
        let room = width.saturating_sub(prompt.len());
        let y = area.y;
        buf.set_span(area.x, y, &Span::styled(prompt, t.accent()), area.width);
        if room == 0 {
            return;
        }
        let first = scroll(ends[2], caret, error.clone(), room);
        for i in 0..room.min(ends[2] - first) {
            let (sx, dx) = ((first + i) as u16, area.x + (prompt.len() + i) as u16);
            if let (Some(from), Some(to)) = (row.cell((sx, 0)), buf.cell_mut((dx, y))) {
                *to = from.clone();
            }
        }
        let mut ellipsis = |col: usize| {
            if let Some(c) = buf.cell_mut((area.x + col as u16, y)) {
                c.set_symbol("…").set_style(Style::reset());
            }
        };
        if first > 0 {
            ellipsis(prompt.len());
        }
        if ends[2] - first > room {
            ellipsis(width - 1);
        }
        if let (Some(err), Some(e), true) = (&bar.error, error, area.height > 1) {
            let on_screen = |col: usize| (prompt.len() + col).saturating_sub(first);
            let marks = on_screen(e.start).max(prompt.len())..on_screen(e.end).min(width);
            let line = error_line(marks, &sanitize_str(&err.message), width, t);
            line.render(
                Rect {
                    y: y + 1,
                    height: 1,
                    ..area
                },
                buf,
            );
        }
    }
}

/// `^^^^^` under `marks` (screen columns) and the message beside it: after it when it fits,
/// else before it, else on the wider side cut with `…`.
fn error_line(marks: Range<usize>, message: &str, width: usize, t: Theme) -> Line<'static> {
    let danger = t.danger();
    let start = marks.start.min(width.saturating_sub(1));
    let carets = "^".repeat(marks.end.saturating_sub(start).max(1));
    let after = width.saturating_sub(start + carets.len() + 1);
    let before = start.saturating_sub(1);
    let msg_width = columns(message);
    let underline = Span::styled(carets, danger.add_modifier(Modifier::BOLD));
    if msg_width <= after || after >= before {
        let message = fit(message.to_string(), after);
        let gap = " ".repeat(start);
        return Line::from(vec![
            Span::raw(gap),
            underline,
            Span::styled(format!(" {message}"), danger),
        ]);
    }
    let message = fit(message.to_string(), before);
    let gap = " ".repeat(before - columns(&message));
    Line::from(vec![
        Span::raw(gap),
        Span::styled(format!("{message} "), danger),
        underline,
    ])
}
