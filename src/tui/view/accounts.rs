//! The accounts view: vpopmail accounts at risk (what `qtriage accounts` lists), culprits first
//! and in the danger colour; never a password or a hash.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, StatefulWidget, Widget};

use super::layout::LIST_CHROME;
use super::Theme;
use crate::tui::keys::{self, Command, Context};
use crate::tui::lists::keep_visible;
use crate::tui::state::{AccountRow, AccountsView};

/// The bottom line: the culprit marker, then the keys of the report and of going back as the
/// keymap binds them (the accounts view takes the keys that work anywhere).
fn bottom_hint() -> String {
    let key = |c| keys::key_for(Context::Anywhere, c);
    let mut parts = vec!["! culprit (named by top or the logs)".to_string()];
    parts.extend(key(Command::WriteReport).map(|k| format!("{k} writes the report")));
    parts.extend(key(Command::Back).map(|k| format!("{k} back")));
    format!(" {} ", parts.join(" · "))
}

/// Widest account and domain columns; longer names are cut with `~`.
const NAME_COLUMN: usize = 24;

/// What the accounts view shows.
pub struct AccountsPane<'a> {
    view: &'a AccountsView,
    theme: Theme,
    /// Widths of the account and domain columns: the longest name, at most [`NAME_COLUMN`].
    widths: (usize, usize),
}

impl<'a> AccountsPane<'a> {
    /// The accounts view of the state.
    pub fn new(view: &'a AccountsView, theme: Theme) -> AccountsPane<'a> {
        let rows = view.listing.as_ref().map_or(&[][..], |l| &l.rows[..]);
        let widest = |f: fn(&AccountRow) -> &str| {
            rows.iter()
                .map(|r| f(r).chars().count())
                .max()
                .unwrap_or(0)
                .min(NAME_COLUMN)
        };
        AccountsPane {
            view,
            theme,
            widths: (widest(|r| &r.account), widest(|r| &r.domain)),
        }
    }

    fn row(&self, r: &AccountRow) -> ListItem<'static> {
        let t = self.theme;
        // The marker tells culprits apart without colour (NO_COLOR) too.
        let (style, marker) = if r.culprit {
            (t.danger(), "!")
        } else {
            (t.marked(), " ")
        };
        ListItem::new(Line::from(vec![
            Span::styled(
                format!(
                    "{marker} {:<a$}  {:<d$}  ",
                    cut(&r.account),
                    cut(&r.domain),
                    a = self.widths.0,
                    d = self.widths.1
                ),
                style,
            ),
            Span::raw(format!("{}  ", r.rules)),
            Span::styled(r.advice.clone(), t.dim()),
        ]))
    }
}

/// `s` cut to [`NAME_COLUMN`] characters, with `~` when cut.
fn cut(s: &str) -> String {
    if s.chars().count() <= NAME_COLUMN {
        return s.to_string();
    }
    let mut out: String = s.chars().take(NAME_COLUMN - 1).collect();
    out.push('~');
    out
}

impl Widget for AccountsPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (mut items, title): (Vec<ListItem>, String) = match &self.view.listing {
            None => (
                vec![ListItem::new(Line::styled(
                    "checking the accounts…",
                    t.dim(),
                ))],
                " Accounts at risk ".into(),
            ),
            Some(l) => (
                l.rows.iter().map(|r| self.row(r)).collect(),
                // No summary when the check failed: its error is the list's first row.
                match l.summary.is_empty() {
                    true => " Accounts at risk ".to_string(),
                    false => format!(" Accounts at risk · {} ", l.summary),
                },
            ),
        };
        if let Some(e) = self.view.listing.as_ref().and_then(|l| l.error.as_ref()) {
            items.push(ListItem::new(Line::styled(
                format!("accounts not checked: {e}"),
                t.danger(),
            )));
        } else if items.is_empty() {
            items.push(ListItem::new(Line::styled("no account at risk", t.ok())));
        }
        let height = usize::from(area.height.saturating_sub(LIST_CHROME - 1)).max(1);
        let pos = keep_visible(self.view.pos, height);
        let block = Block::bordered()
            .border_style(t.border(true))
            .title(Line::styled(title, t.accent()))
            .title_bottom(Line::styled(bottom_hint(), t.dim()));
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

    #[test]
    fn the_bottom_hint_names_the_bound_keys() {
        assert_eq!(
            bottom_hint(),
            " ! culprit (named by top or the logs) · W writes the report · Esc back "
        );
    }
}
