//! The filter bar: the query text with its caret, and the parse error underlined at its span.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{fit_end, fit_spans, Theme};
use crate::sanitize::sanitize_str;
use crate::tui::state::QueryBar;

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

/// Display width of `text[..byte]` once sanitized (a clamped, char-aligned prefix).
fn width_to(text: &str, byte: usize) -> usize {
    let mut end = byte.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Span::raw(sanitize_str(&text[..end])).width()
}

impl Widget for QueryBarView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let bar = self.bar;
        let text = if bar.editing {
            bar.text.clone()
        } else {
            bar.applied
                .as_ref()
                .map(|q| q.to_string())
                .unwrap_or_default()
        };
        let prompt = "/ ";
        let width = usize::from(area.width);
        let mut spans = vec![Span::styled(prompt, t.accent())];
        // Columns of the text scrolled out at the left, so that the caret stays on screen.
        let mut shift = 0;
        if bar.editing {
            let cur = bar.cursor.min(text.len());
            let (before, after) = text.split_at(if text.is_char_boundary(cur) {
                cur
            } else {
                text.len()
            });
            let mut rest = after.chars();
            let at = rest.next().map_or(" ".to_string(), |c| c.to_string());
            let before = sanitize_str(before);
            let shown = fit_end(&before, width.saturating_sub(prompt.len() + 1));
            shift = Span::raw(before.as_ref()).width() - Span::raw(shown.as_str()).width();
            spans.push(Span::raw(shown));
            spans.push(Span::styled(sanitize_str(&at).into_owned(), t.cursor()));
            spans.push(Span::raw(sanitize_str(rest.as_str()).into_owned()));
        } else {
            spans.push(Span::raw(sanitize_str(&text).into_owned()));
            spans.push(Span::styled("  (/ edits, empty query clears)", t.dim()));
        }
        Line::from(fit_spans(spans, width)).render(Rect { height: 1, ..area }, buf);
        if let (true, Some(err), true) = (bar.editing, &bar.error, area.height > 1) {
            // Where the error is on screen: a part scrolled out is under the `…`.
            let start = width_to(&text, err.span.start);
            let end = width_to(&text, err.span.end).max(start + 1);
            let on_screen = |col: usize| col.saturating_sub(shift);
            let (start, end) = (on_screen(start), on_screen(end));
            let line = Line::from(vec![
                Span::raw(" ".repeat(prompt.len() + start)),
                Span::styled(
                    "^".repeat((end - start).max(1)),
                    t.danger().add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!(" {}", sanitize_str(&err.message)), t.danger()),
            ]);
            Line::from(fit_spans(line.spans, width)).render(
                Rect {
                    y: area.y + 1,
                    height: 1,
                    ..area
                },
                buf,
            );
        }
    }
}
