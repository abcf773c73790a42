//! The message list: virtualized (only the visible rows are built), with marks, origin, sender,
//! recipients and subject.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Row, StatefulWidget, Table, TableState, Widget};

use super::layout::LIST_CHROME;
use super::{age, human_bytes, thousands, Theme};
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};
use crate::sanitize::sanitize_bytes;
use crate::tui::lists::{keep_visible, ClusterRow};
use crate::tui::state::{AppState, Focus, ListPos, Marks, MessageSort, Order};

/// Inner width from which the list shows the first recipient.
const WIDE_LIST: u16 = 110;
/// Inner width from which the list shows the size (the subject keeps 26 columns): the list
/// beside the clusters at 160-190 columns, and a stacked one from 98.
const SIZED_LIST: u16 = 96;

/// Below this inner width the sender and recipient count go, so that the id keeps its nine
/// columns (at 60 it was cut to `989…` on every row, and no two rows could be told apart).
const NARROW_LIST: u16 = 66;

/// What the message list shows.
pub struct MessagesPane<'a> {
    rows: &'a Order,
    records: &'a [MessageRecord],
    strings: Option<&'a Interner>,
    marks: &'a Marks,
    pos: ListPos,
    sort: MessageSort,
    scope: String,
    now: i64,
    focused: bool,
    theme: Theme,
}

impl<'a> MessagesPane<'a> {
    /// The message list of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> MessagesPane<'a> {
        let data = s.data.as_ref();
        let mut scope = match s.cluster_row(s.clusters.pos.selected) {
            Some(ClusterRow::Cluster(_)) => "cluster".to_string(),
            Some(ClusterRow::Fresh(_)) => "new since the scan: r scans again".to_string(),
            Some(ClusterRow::All) | None => "all".to_string(),
        };
        if let Some(q) = &s.query.applied {
            scope.push_str(&format!(
                " ∩ /{}",
                crate::sanitize::sanitize_str(&q.to_string())
            ));
        }
        MessagesPane {
            rows: &s.messages.rows,
            records: data.map_or(&[][..], |d| &d.snapshot.records),
            strings: data.map(|d| &*d.snapshot.strings),
            marks: &s.marks,
            pos: s.messages.pos,
            sort: s.messages.sort,
            scope,
            now: s.status.now,
            focused: s.ui.focus == Focus::Messages,
            theme,
        }
    }

    fn text(&self, sym: Option<Sym>) -> String {
        match (sym, self.strings) {
            (Some(s), Some(st)) => sanitize_bytes(&st.resolve(s)).into_owned(),
            _ => String::new(),
        }
    }

    /// The origin cell in `width` columns. A script keeps its end, the file name, as the
    /// clusters pane keeps it: `uid 48 vinyl-co…` was a site's phishing plugin and the same
    /// site's `index.php` alike (newuser55).
    fn origin(&self, r: &MessageRecord, width: Option<usize>) -> String {
        let o = &r.origin;
        match o.kind {
            OriginKind::SmtpAuth => format!("{}@{}", self.text(o.auth_user), self.text(o.ip)),
            OriginKind::Smtp => self.text(o.ip),
            OriginKind::Local => match o.script {
                Some(s) => {
                    let uid = format!("uid {} ", o.uid().unwrap_or(0));
                    let script = self.text(Some(s));
                    let room = width.map_or(usize::MAX, |w| w.saturating_sub(uid.len()));
                    format!("{uid}{}", super::fit_end(&script, room))
                }
                None => format!(
                    "uid {}",
                    o.uid().map_or_else(|| "?".into(), |u| u.to_string())
                ),
            },
            k => k.name().to_string(),
        }
    }

    fn row(
        &self,
        i: u32,
        (wide, sized, narrow): (bool, bool, bool),
        cols: &[usize],
    ) -> Row<'static> {
        let Some(r) = self.records.get(i as usize) else {
            return Row::new(Vec::<String>::new());
        };
        let marked = self.marks.ids.contains(&r.id);
        let sender = sender_cell(r, |s| self.text(s));
        let subject = self.text(r.headers.subject.or(r.headers.subject_raw));
        let mut cells = vec![
            if marked {
                "*".to_string()
            } else {
                " ".to_string()
            },
            r.id.to_string(),
            r.birth()
                .map_or_else(|| "-".to_string(), |t| age(self.now, t)),
        ];
        if sized {
            cells.push(human_bytes(u64::from(r.size)));
        }
        cells.push(self.origin(r, cols.get(cells.len()).copied()));
        if narrow {
            cells.push(subject);
            return Row::new(super::fit_cells(cells, cols));
        }
        cells.push(sender);
        if wide {
            let first = r
                .recipients
                .first()
                .map(|a| self.text(Some(a)))
                .unwrap_or_default();
            // Counts right-aligned (1-99, a relay flood's), so the addresses start in one column.
            cells.push(format!("{:>2} {first}", r.recipients.len()));
        } else {
            cells.push(r.recipients.len().to_string());
        }
        cells.push(subject);
        let row = Row::new(super::fit_cells(cells, cols));
        if marked {
            row.style(self.theme.marked())
        } else {
            row
        }
    }
}

impl Widget for MessagesPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let height = usize::from(area.height.saturating_sub(LIST_CHROME)).max(1);
        let pos = keep_visible(self.pos, height);
        let wide = area.width.saturating_sub(2) >= WIDE_LIST;
        let sized = area.width.saturating_sub(2) >= SIZED_LIST;
        let narrow = area.width.saturating_sub(2) < NARROW_LIST;
        let title = format!(
            " Messages · {} · {} · sort {} ",
            self.scope,
            thousands(self.rows.len() as u64),
            self.sort.name()
        );
        let mut block = Block::bordered()
            .border_style(t.border(self.focused))
            .title(Line::styled(title, t.accent()));
        if let Some(more) = super::more_below(self.rows.len(), pos.offset, height) {
            block = block.title_bottom(Line::styled(more, t.dim()).right_aligned());
        }
        let visible: Vec<u32> = self.rows.window(pos.offset..pos.offset + height).collect();
        // Ids are inode numbers: 10 digits and more on a big filesystem, never cut.
        let id = visible
            .iter()
            .filter_map(|&i| self.records.get(i as usize))
            .map(|r| r.id.0.to_string().len() as u16)
            .max()
            .unwrap_or(0)
            .max(9);
        let (widths, header) = if wide {
            (
                // size fits `999.9 KiB`.
                vec![1, id, 4, 9, 22, 24, 18, 0],
                vec![
                    "", "id", "age", "size", "origin", "sender", "rcpts", "subject",
                ],
            )
        } else if sized {
            (
                vec![1, id, 4, 9, 16, 18, 4, 0],
                vec![
                    "", "id", "age", "size", "origin", "sender", "rcpt", "subject",
                ],
            )
        } else if narrow {
            // Below ~44 columns the origin gives way, not the id (ratatui shrank every column
            // alike: `1001…` at 40 columns): the id is what `list id:` and the inspector take.
            let room = area
                .width
                .saturating_sub(2)
                .saturating_sub(1 + id + 4 + 8 + 4);
            (
                vec![1, id, 4, room.clamp(6, 16), 0],
                vec!["", "id", "age", "origin", "subject"],
            )
        } else {
            (
                vec![1, id, 4, 16, 18, 4, 0],
                vec!["", "id", "age", "origin", "sender", "rcpt", "subject"],
            )
        };
        let widths: Vec<Constraint> = widths
            .into_iter()
            .map(|w| {
                if w == 0 {
                    Constraint::Min(8)
                } else {
                    Constraint::Length(w)
                }
            })
            .collect();
        let cols = super::column_widths(area.width.saturating_sub(2), &widths);
        let rows: Vec<Row> = visible
            .iter()
            .map(|&i| self.row(i, (wide, sized, narrow), &cols))
            .collect();
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.dim()))
            .block(block)
            .row_highlight_style(if self.focused { t.cursor() } else { t.dim() });
        let mut state = TableState::default();
        if !visible.is_empty() {
            state.select(Some(pos.selected.saturating_sub(pos.offset)));
        }
        StatefulWidget::render(table, area, buf, &mut state);
    }
}

/// The sender cell: the envelope sender (`<alice@example.com>`); for mail a local uid queued
/// whose From differs, the From (`From: info@shop.example`): a web server's uid queues every
/// site's mail as one envelope sender (`apache@`), and the From tells the sites apart
/// (newuser56). `text` gives a symbol's sanitized text.
fn sender_cell(r: &MessageRecord, text: impl Fn(Option<Sym>) -> String) -> String {
    let from = (r.origin.kind == OriginKind::Local)
        .then_some(r.headers.from)
        .flatten()
        .filter(|&f| Some(f) != r.sender);
    match (from, r.sender) {
        (Some(f), _) => format!("From: {}", text(Some(f))),
        (None, Some(s)) => format!("<{}>", text(Some(s))),
        (None, None) => "?".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_uids_mail_shows_its_from_where_it_differs_from_the_envelope() {
        let strings = crate::queue::Interner::new();
        let sym = |b: &str| Some(strings.intern(b.as_bytes()));
        let text = |s: Option<Sym>| {
            s.map_or(String::new(), |s| {
                String::from_utf8_lossy(&strings.resolve(s)).into_owned()
            })
        };
        let mut r = crate::fixture::record::record(1);
        r.sender = sym("apache@host.example");
        r.headers.from = sym("info@shop.example");
        r.origin.kind = OriginKind::Local;
        assert_eq!(sender_cell(&r, text), "From: info@shop.example");
        // Its own address in From, or mail from elsewhere: the envelope sender.
        r.headers.from = sym("apache@host.example");
        assert_eq!(sender_cell(&r, text), "<apache@host.example>");
        r.headers.from = sym("info@shop.example");
        r.origin.kind = OriginKind::Smtp;
        assert_eq!(sender_cell(&r, text), "<apache@host.example>");
    }

    /// At 40 columns (a phone over SSH) each id is whole; the origin gives way.
    #[test]
    fn a_narrow_list_keeps_ids_whole() {
        let s = crate::tui::testdata::state((40, 24), 3, 2, false);
        let mut buf = Buffer::empty(Rect::new(0, 0, 40, 8));
        MessagesPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
        let line = |y: u16| (0..40).map(|x| buf[(x, y)].symbol()).collect::<String>();
        assert!(
            line(1).contains(" id ") && line(1).contains("origin"),
            "{}",
            line(1)
        );
        // The id column keeps its 9 cells (an 8-digit id and room): `age` starts after them.
        let age = line(1).find("age").unwrap_or(0);
        assert!(age >= 13, "{}", line(1));
        for y in 2..7 {
            let row = line(y);
            let id = row
                .trim_matches('│')
                .split_whitespace()
                .next()
                .unwrap_or("");
            assert!(id.len() == 5 && id.parse::<u64>().is_ok(), "{row}");
        }
    }

    /// Ids are inode numbers: one of 12 digits (a big XFS volume) is whole too, at any width.
    #[test]
    fn a_long_id_is_whole() {
        for width in [40u16, 120] {
            let mut s = crate::tui::testdata::state((width, 24), 3, 2, false);
            let data = s.data.as_mut().expect("analysed");
            let snap = std::sync::Arc::get_mut(&mut data.snapshot).expect("one owner");
            snap.records[0].id = crate::queue::MessageId(430_074_428_417);
            let mut buf = Buffer::empty(Rect::new(0, 0, width, 8));
            MessagesPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
            let rows: String = (0..8)
                .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect::<String>())
                .collect();
            assert!(rows.contains("430074428417 "), "{width}: {rows}");
        }
    }

    /// A script's origin keeps its file name when cut, as the clusters pane does: the
    /// plugin and the same site's `index.php` once both read `uid 48 vinyl-co…`.
    #[test]
    fn a_cut_script_keeps_its_file_name() {
        let mut s = crate::tui::testdata::state((80, 24), 3, 2, false);
        let data = s.data.as_mut().expect("analysed");
        let snap = std::sync::Arc::get_mut(&mut data.snapshot).expect("one owner");
        let script = b"vinyl-corner.net/wp-content/plugins/wc-sync/inc/class-loader.php";
        let o = &mut snap.records[0].origin;
        o.kind = OriginKind::Local;
        o.set_uid(Some(48));
        o.script = Some(snap.strings.intern(script));
        let mut buf = Buffer::empty(Rect::new(0, 0, 80, 8));
        MessagesPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
        let rows: Vec<String> = (0..8)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect();
        let row = (rows.iter())
            .find(|r| r.contains("uid 48 "))
            .unwrap_or_else(|| panic!("no script row: {rows:#?}"));
        assert!(row.contains("uid 48 …ader.php "), "{row}");
    }
}
