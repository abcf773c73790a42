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

/// Widest account and domain columns; longer names are cut with `…`.
const NAME_COLUMN: usize = 24;
/// Widest rules column (all nine rules take more: the rest is cut with `…`).
const RULES_COLUMN: usize = 96;
/// Widest last-login column: the time and an IPv4 address whole, most IPv6 ones.
const LAST_COLUMN: usize = 40;
/// Cells kept for the advice before the rules and last-login columns are narrowed.
const ADVICE_ROOM: usize = 40;
/// Narrowest the rules and last-login columns get (two rules, the culprit's first; the
/// login's time).
const RULES_LEAST: usize = 30;
const LAST_LEAST: usize = 16;

/// What the accounts view shows.
pub struct AccountsPane<'a> {
    view: &'a AccountsView,
    theme: Theme,
    /// Widths of the account, domain, rules and last-login columns: the longest value, at
    /// most [`NAME_COLUMN`] ([`RULES_COLUMN`], [`LAST_COLUMN`]), as `qtriage accounts` aligns
    /// its table.
    widths: [usize; 4],
}

impl<'a> AccountsPane<'a> {
    /// The accounts view of the state.
    pub fn new(view: &'a AccountsView, theme: Theme) -> AccountsPane<'a> {
        let rows = view.listing.as_ref().map_or(&[][..], |l| &l.rows[..]);
        let widest = |f: fn(&AccountRow) -> &str, most: usize| {
            rows.iter()
                .map(|r| f(r).chars().count())
                .max()
                .unwrap_or(0)
                .min(most)
        };
        AccountsPane {
            view,
            theme,
            widths: [
                widest(|r| &r.account, NAME_COLUMN),
                widest(|r| &r.domain, NAME_COLUMN),
                widest(|r| &r.rules, RULES_COLUMN),
                widest(|r| &r.last_auth, LAST_COLUMN),
            ],
        }
    }

    /// One account's line, cut with `…` to `width` cells.
    fn row(&self, r: &AccountRow, width: usize) -> ListItem<'static> {
        let t = self.theme;
        // The marker tells culprits apart without colour (NO_COLOR) too.
        let (style, marker) = if r.culprit {
            (t.danger(), "!")
        } else {
            (t.marked(), " ")
        };
        let [a, d, rules, last] = self.widths;
        // The advice is what to do: the rules and last-login columns give up room first
        // (newuser50b: five rules pushed it to "ch…" at 120 columns).
        let fixed = 2 + a + 2 + d + 2 + 2 + 2;
        let spare = |col: usize| width.saturating_sub(fixed + col + ADVICE_ROOM);
        let rules = rules.min(spare(last).max(RULES_LEAST));
        let last = last.min(spare(rules).max(LAST_LEAST));
        let spans = vec![
            Span::styled(
                format!(
                    "{marker} {:<a$}  {:<d$}  ",
                    super::fit(r.account.clone(), a),
                    super::fit(r.domain.clone(), d)
                ),
                style,
            ),
            Span::raw(format!(
                "{:<rules$}  {:<last$}  ",
                super::fit(r.rules.clone(), rules),
                super::fit(r.last_auth.clone(), last)
            )),
            Span::styled(r.advice.clone(), t.dim()),
        ];
        ListItem::new(Line::from(super::fit_spans(spans, width)))
    }
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
                (l.rows.iter())
                    .map(|r| self.row(r, usize::from(area.width.saturating_sub(2))))
                    .collect(),
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

    /// As `qtriage accounts`' table: columns aligned, the last login shown, and a line longer
    /// than the pane cut with `…`, never at the border.
    #[test]
    fn rows_are_aligned_and_cut_visibly() {
        use crate::tui::state::AccountsListing;
        let row = |account: &str, rules: &str, last: &str| AccountRow {
            account: account.into(),
            domain: "example.com".into(),
            rules: rules.into(),
            last_auth: last.into(),
            advice: "change the password now (the spam was sent with it) and block the IPs".into(),
            culprit: false,
        };
        let view = AccountsView {
            listing: Some(AccountsListing {
                rows: vec![
                    row(
                        "test",
                        "password-is-login,role-account",
                        "2026-11-23 10:55 82.128.32.42",
                    ),
                    row("sales", "role-account", "-"),
                ],
                ..AccountsListing::default()
            }),
            ..AccountsView::default()
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 100, 6));
        AccountsPane::new(&view, Theme { colour: false }).render(buf.area, &mut buf);
        let line = |y: u16| (0..100).map(|x| buf[(x, y)].symbol()).collect::<String>();
        let (first, second) = (line(1), line(2));
        // At 100 columns the advice keeps its room; the last login gives up its IP, cut with
        // `…` as every pane cuts (`fit`; it said `~`). Columns, not bytes: `…` is three.
        assert!(first.contains("2026-11-23 10:5…"), "{first}");
        let column = |s: &str, p: &str| s.find(p).map(|i| s[..i].chars().count());
        assert!(first.contains("change the password now ("), "{first}");
        assert_eq!(
            column(&first, "2026-11-23"),
            column(&second, "- "),
            "{first}\n{second}"
        );
        assert_eq!(
            column(&first, "change"),
            column(&second, "change"),
            "{first}\n{second}"
        );
        assert!(first.ends_with("…│"), "{first}");
    }

    /// At 120 columns with many rules and a long last login, the advice is still readable:
    /// the rules and last-login columns are narrowed, cut with `…`.
    #[test]
    fn the_advice_keeps_its_room() {
        use crate::tui::state::AccountsListing;
        let view = AccountsView {
            listing: Some(AccountsListing {
                rows: vec![AccountRow {
                    account: "sales".into(),
                    domain: "example.com".into(),
                    rules: "password-is-login,password-short,password-common,role-account,\
                            culprit-top"
                        .into(),
                    last_auth: "2026-11-23 10:55 2001:db8:1234:5678:9abc:def0:1234:5678".into(),
                    advice: "change the password now (the spam was sent with it)".into(),
                    culprit: true,
                }],
                ..AccountsListing::default()
            }),
            ..AccountsView::default()
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 120, 4));
        AccountsPane::new(&view, Theme { colour: false }).render(buf.area, &mut buf);
        let line: String = (0..120).map(|x| buf[(x, 1)].symbol()).collect();
        assert!(line.contains("change the password now (the spam"), "{line}");
        assert!(line.contains("password-is-log"), "{line}");
    }

    #[test]
    fn the_bottom_hint_names_the_bound_keys() {
        assert_eq!(
            bottom_hint(),
            " ! culprit (named by top or the logs) · W writes the report · Esc back "
        );
    }
}
