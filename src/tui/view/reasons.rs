//! The selected cluster's reasons as lines for the rows the clusters pane leaves free: the
//! summary, then each signal with its points, as `qtriage top` prints them.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{fit, wrap};
use crate::sanitize::sanitize_str;

/// Free rows from which one is left blank between the clusters and their reasons.
const GAP_FROM: u16 = 3;

/// `reasons` (the summary first) sanitized and wrapped to `width` columns at spaces: the
/// summary as it is, each signal as `- signal (+points)` with its continuation lines indented.
pub fn lines(reasons: &[String], width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, r) in reasons.iter().enumerate() {
        let r = sanitize_str(r);
        if i == 0 {
            out.extend(wrap(&r, " ", width));
            continue;
        }
        let wrapped = wrap(&r, " ", width.saturating_sub(2));
        for (j, l) in wrapped.into_iter().enumerate() {
            out.push(format!("{}{l}", if j == 0 { "- " } else { "  " }));
        }
    }
    out
}

/// The rows of a bordered pane `area` under its column header and `shown` list rows, inside
/// the borders (zero high when the list fills the pane).
pub fn free_rows(area: Rect, shown: usize) -> Rect {
    let inner = ratatui::widgets::Block::bordered().inner(area);
    let used = (1 + shown).min(usize::from(inner.height)) as u16;
    Rect {
        y: inner.y + used,
        height: inner.height - used,
        ..inner
    }
}

/// The reasons in `area`, the rows under the pane's last list row: after a blank row when
/// there is room for it, the summary in `summary` style and the signals in `signals` style, as
/// many lines as fit; a cut ends in `… w: whole`, so a part is never read as the whole and
/// the operator knows where the rest is.
pub struct Reasons<'a> {
    /// The reasons, the summary first.
    pub reasons: &'a [String],
    /// Style of the summary's lines.
    pub summary: Style,
    /// Style of the signals' lines.
    pub signals: Style,
}

impl Widget for Reasons<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let gap = u16::from(area.height >= GAP_FROM);
        let rows = usize::from(area.height - gap);
        let width = usize::from(area.width);
        let all = lines(self.reasons, width);
        let summary_lines = lines(&self.reasons[..self.reasons.len().min(1)], width).len();
        let cut = all.len() > rows;
        for (i, text) in all.into_iter().take(rows).enumerate() {
            let text = if cut && i + 1 == rows {
                ending_in_ellipsis(text, width)
            } else {
                text
            };
            let style = if i < summary_lines {
                self.summary
            } else {
                self.signals
            };
            let row = Rect {
                y: area.y + gap + i as u16,
                height: 1,
                ..area
            };
            Line::styled(text, style).render(row, buf);
        }
    }
}

/// How a cut's last row ends: the `…`, then the key that reads them whole (`w`, which no key
/// bar names: newuser56 read three signals at 100x30 and never the held reason below them).
const CUT: &str = " w: whole";

/// `text` ending in `…` and [`CUT`] within `width` columns: after it when there is room, else
/// in place of its last columns (the last row shown of reasons cut short, even when its own
/// text fits); just `…` when the pane is too narrow for the hint.
fn ending_in_ellipsis(text: String, width: usize) -> String {
    let hint = Span::raw(CUT).width();
    let room = match width.checked_sub(hint) {
        Some(room) if room > hint => room,
        _ => return end_in_ellipsis(text, width),
    };
    format!("{}{CUT}", end_in_ellipsis(text, room))
}

/// `text` ending in `…` within `width` columns.
fn end_in_ellipsis(text: String, width: usize) -> String {
    if Span::raw(text.as_str()).width() < width {
        format!("{text}…")
    } else {
        fit(format!("{text}…"), width)
    }
}
