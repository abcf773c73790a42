//! The help popup: the keymap from keys.rs in as many columns as fit whole, descriptions
//! wrapped, and scrolled (j/k, PgUp/PgDn) when the screen cannot hold it all (80x24 cannot).

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::confirm::centered;
use super::Theme;
use crate::tui::keys::help_lines;

/// Columns of the key names.
const KEY_COLS: usize = 11;
/// The narrowest column that holds the longest description unwrapped (keys.rs' longest is 41,
/// after the key column and a space).
const MIN_COL: u16 = 53;

/// The help popup.
pub struct HelpPopup {
    /// Styles.
    pub theme: Theme,
    /// First row shown, clamped to the last page ([`max_scroll`]).
    pub scroll: u16,
}

/// One row of the keymap at a column width: a heading, or a key and (part of) its description.
struct HelpRow {
    keys: String,
    text: String,
    heading: bool,
}

/// The popup's rectangle in a screen of `area`: up to 120 columns, where two columns of 59
/// hold the keymap in 66 rows, so 120x35 shows it whole (at 110 it wrapped to 68 and one row
/// scrolled, newuser60).
fn popup_area(area: Rect) -> Rect {
    centered(area, area.width.min(120), area.height)
}

/// How many columns, how wide, and the rows, for an inner area of `inner`.
fn layout(inner: Rect) -> (usize, usize, Vec<HelpRow>) {
    let cols = usize::from((inner.width / MIN_COL).max(1));
    let col_w = usize::from(inner.width) / cols;
    let per_col = usize::from(inner.height).max(1);
    (cols, col_w, no_lone_headings(rows(col_w), per_col))
}

/// `rows` with a blank row before each heading that would end a column of `per_col` rows: at
/// 40 rows the left column ended in a lone "Yank area", its keys at the top of the next
/// (newuser47).
fn no_lone_headings(rows: Vec<HelpRow>, per_col: usize) -> Vec<HelpRow> {
    let mut out = Vec::with_capacity(rows.len() + 4);
    for row in rows {
        if row.heading && per_col > 1 && out.len() % per_col == per_col - 1 {
            out.push(HelpRow {
                keys: String::new(),
                text: String::new(),
                heading: false,
            });
        }
        out.push(row);
    }
    out
}

/// The keymap as rows `col_w` wide: each description wrapped at word ends, continuations under
/// it, so no description is cut.
fn rows(col_w: usize) -> Vec<HelpRow> {
    let text_w = col_w.saturating_sub(KEY_COLS + 1).max(8);
    let mut out = Vec::new();
    for (title, keys, help) in help_lines() {
        if let Some(title) = title {
            out.push(HelpRow {
                keys: String::new(),
                text: title.to_string(),
                heading: true,
            });
            continue;
        }
        let mut line = String::new();
        let mut first = true;
        for word in help.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > text_w {
                out.push(HelpRow {
                    keys: if first { keys.clone() } else { String::new() },
                    text: std::mem::take(&mut line),
                    heading: false,
                });
                first = false;
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(HelpRow {
            keys: if first { keys } else { String::new() },
            text: line,
            heading: false,
        });
    }
    out
}

/// The largest useful scroll for a screen of `size`: 0 when everything fits.
pub fn max_scroll(size: (u16, u16)) -> u16 {
    let inner = Block::bordered().inner(popup_area(Rect::new(0, 0, size.0, size.1)));
    let (cols, _, rows) = layout(inner);
    let fits = cols * usize::from(inner.height).max(1);
    u16::try_from(rows.len().saturating_sub(fits)).unwrap_or(u16::MAX)
}

impl Widget for HelpPopup {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rect = popup_area(area);
        Clear.render(rect, buf);
        let inner = Block::bordered().inner(rect);
        let (cols, _, rows) = layout(inner);
        let per_col = usize::from(inner.height).max(1);
        let fits = cols * per_col;
        let top = usize::from(self.scroll).min(rows.len().saturating_sub(fits));
        let title = if rows.len() > fits {
            format!(
                " Keys {}-{} of {} (j/k PgUp/PgDn scroll, any other key closes) ",
                top + 1,
                (top + fits).min(rows.len()),
                rows.len()
            )
        } else {
            " Keys (any key closes) ".to_string()
        };
        let block = Block::bordered()
            .border_style(t.accent())
            .title(Line::styled(title, t.accent()));
        block.render(rect, buf);
        let lines: Vec<Line> = rows
            .iter()
            .skip(top)
            .take(fits)
            .map(|r| {
                if r.heading {
                    Line::styled(r.text.clone(), t.accent())
                } else {
                    Line::from(vec![
                        Span::styled(format!(" {:<10}", r.keys), t.marked()),
                        Span::styled(r.text.clone(), Style::default()),
                    ])
                }
            })
            .collect();
        let areas = Layout::horizontal(vec![Constraint::Ratio(1, cols as u32); cols]).split(inner);
        for (chunk, col) in lines.chunks(per_col).zip(areas.iter()) {
            Paragraph::new(chunk.to_vec()).render(*col, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A common terminal after a resize shows the whole keymap without scrolling.
    #[test]
    fn the_keymap_fits_120x35_whole() {
        assert_eq!(max_scroll((120, 35)), 0);
        assert!(max_scroll((80, 24)) > 0, "80x24 cannot hold it");
    }

    /// At every height and a few widths, no column of the unscrolled popup ends in a heading.
    #[test]
    fn no_column_ends_in_a_heading() {
        for (w, h) in (5..70u16).flat_map(|h| [(60, h), (110, h), (118, h)]) {
            let (_, _, rows) = layout(Rect::new(0, 0, w, h));
            for column in rows.chunks(usize::from(h)) {
                let last = column.last().expect("a column has rows");
                assert!(!last.heading, "{w}x{h}: column ends in {:?}", last.text);
            }
        }
    }
}
