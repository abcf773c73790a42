//! The clusters pane: clusters by the current key, ranked, with share bars, the live growth per
//! minute from the watcher, and the selected cluster's reasons.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Row, StatefulWidget, Table, TableState, Widget};

use super::layout::LIST_CHROME;
use super::reasons::{free_rows, Reasons};
use super::{thousands, Theme};
use crate::analysis::ages;
use crate::analysis::cluster::Cluster;
use crate::analysis::key::ClusterKey;
use crate::queue::{Interner, MessageRecord};
use crate::sanitize::sanitize_str;
use crate::tui::lists::keep_visible;
use crate::tui::state::{AppState, ClusterSort, Focus, FreshCluster, ListPos, LiveRates};

/// Width of the share bar in cells.
const BAR: usize = 8;

/// Columns the value keeps on a narrow terminal before the share bar, then the rate, give way:
/// the value (`test@example.com`) is what names the culprit, the bar only repeats the count.
const VALUE_ROOM: u16 = 16;

/// Which of the optional columns fit beside the value in `inner` columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    /// The count's width: the largest count shown (the "all messages" row's), `msgs` at least.
    count: u16,
    share: bool,
    rate: bool,
    score: bool,
}

impl Columns {
    fn fitting(inner: u16, scored: bool, total: usize) -> Columns {
        let mut c = Columns {
            count: (thousands(total as u64).len() as u16).max(4),
            share: true,
            rate: true,
            score: scored,
        };
        if c.value_room(inner) < VALUE_ROOM {
            c.share = false;
        }
        if c.value_room(inner) < VALUE_ROOM {
            c.rate = false;
        }
        c
    }

    /// Each shown column's width (the count's, the live rate's, and the value's minimum).
    fn widths(self) -> Vec<Constraint> {
        let mut w = vec![Constraint::Length(self.count)];
        if self.share {
            w.push(Constraint::Length(BAR as u16 + 5));
        }
        if self.rate {
            w.push(Constraint::Length(6));
        }
        w.push(Constraint::Length(7));
        if self.score {
            w.push(Constraint::Length(6));
        }
        w.push(Constraint::Min(6));
        w
    }

    /// What is left for the value after the other columns and the spaces between them.
    fn value_room(self, inner: u16) -> u16 {
        let taken: u16 = self
            .widths()
            .iter()
            .filter_map(|c| match c {
                Constraint::Length(n) => Some(n + 1),
                _ => None,
            })
            .sum();
        inner.saturating_sub(taken)
    }
}

/// What the clusters pane shows.
pub struct ClustersPane<'a> {
    clusters: &'a [Cluster],
    order: &'a [u32],
    /// Values new since the scan, shown above the snapshot's clusters (see `AppState::cluster_row`).
    fresh: &'a [FreshCluster],
    strings: Option<&'a Interner>,
    total: usize,
    shown_key: Option<ClusterKey>,
    wanted_key: Option<ClusterKey>,
    sort: ClusterSort,
    pos: ListPos,
    focused: bool,
    /// The watcher's per-value growth, when it watches the key shown.
    live: Option<&'a LiveRates>,
    /// The whole queue's growth.
    overall: Option<f64>,
    /// The watch is under a minute old: its rates are a few seconds scaled to a minute.
    young: bool,
    /// Show qshape's age matrix (the records, their clusters and "now" it is computed from).
    ages: bool,
    records: &'a [MessageRecord],
    cluster_of: &'a [u32],
    now: i64,
    /// The selected cluster's reasons ([`AppState::selected_reasons`]).
    reasons: &'a [String],
    theme: Theme,
}

impl<'a> ClustersPane<'a> {
    /// The clusters pane of `s`.
    pub fn new(s: &'a AppState, theme: Theme) -> ClustersPane<'a> {
        let data = s.data.as_ref();
        ClustersPane {
            clusters: data.map_or(&[][..], |d| &d.clustering.clusters),
            order: &s.clusters.order,
            fresh: s.fresh_clusters(),
            strings: data.map(|d| &*d.snapshot.strings),
            total: data.map_or(0, |d| d.snapshot.records.len()),
            shown_key: data.map(|d| d.clustering.key),
            wanted_key: s.clusters.key,
            sort: s.clusters.sort,
            pos: s.clusters.pos,
            focused: s.ui.focus == Focus::Clusters,
            live: s
                .clusters
                .live
                .as_ref()
                .filter(|l| data.map(|d| d.clustering.key) == Some(l.key)),
            overall: s.status.watch.growth_per_min,
            young: s.status.watch.young_secs.is_some() && s.status.watch.failed.is_none(),
            ages: s.clusters.ages,
            records: data.map_or(&[][..], |d| &d.snapshot.records),
            cluster_of: data.map_or(&[][..], |d| &d.clustering.cluster_of),
            now: s.status.now,
            reasons: s.selected_reasons(),
            theme,
        }
    }

    /// The largest count a row shows: the "all messages" row's, or a new value's the watcher
    /// counted more of (the count column is as wide as it, so no count is cut).
    fn widest(&self) -> usize {
        let fresh = self
            .fresh
            .iter()
            .filter_map(|f| f.queued)
            .max()
            .unwrap_or(0);
        self.total.max(usize::try_from(fresh).unwrap_or(usize::MAX))
    }

    /// What pane row `row` shows, as `AppState::cluster_row` says.
    fn at(&self, row: usize) -> Shown<'a> {
        match row.checked_sub(1) {
            None => Shown::All,
            Some(r) if r < self.fresh.len() => Shown::Fresh(&self.fresh[r]),
            Some(r) => match self.order.get(r - self.fresh.len()) {
                Some(&i) => self
                    .clusters
                    .get(i as usize)
                    .map_or(Shown::Gone, Shown::Cluster),
                None => Shown::Gone,
            },
        }
    }

    /// The live growth of a cluster (blank when it is not growing or not watched).
    fn live_rate(&self, c: &Cluster) -> String {
        let (Some(live), Some(st), Some(v)) = (self.live, self.strings, c.value) else {
            return String::new();
        };
        live.by_value
            .get(&v.text(st))
            .map_or(String::new(), |g| signed(*g))
    }

    fn value(&self, c: &Cluster) -> String {
        match (c.value, self.strings) {
            (Some(v), Some(st)) => sanitize_str(&v.shown(c.key, st)).into_owned(),
            _ => "(none)".into(),
        }
    }

    fn bar(&self, n: usize) -> String {
        let share = if self.total == 0 {
            0.0
        } else {
            n as f64 / self.total as f64
        };
        let filled = ((share * BAR as f64).round() as usize).min(BAR);
        // `<1%` as the CLI's share says it: `0%` read as none of the queue.
        format!(
            "{}{} {:>4}",
            "█".repeat(filled),
            "·".repeat(BAR - filled),
            crate::analysis::rank::percent(share)
        )
    }

    /// Pane row `row` (0 is "all messages"): count, share bar, rate, live rate, score, value
    /// (those of `shown`).
    fn row(&self, row: usize, shown: Columns, cols: &[usize]) -> Row<'static> {
        let none = || {
            (
                0,
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            )
        };
        let (n, rate, live, score, value) = match self.at(row) {
            Shown::All => (
                self.total,
                String::new(),
                self.overall.map_or(String::new(), signed),
                String::new(),
                "(all messages)".to_string(),
            ),
            Shown::Fresh(f) => return self.fresh_row(f, shown, cols),
            Shown::Cluster(c) => {
                let rate = format!("{:.1}", c.per_minute);
                let score = format!("{:.1}", c.score);
                (c.messages, rate, self.live_rate(c), score, self.value(c))
            }
            Shown::Gone => none(),
        };
        let mut cells = vec![thousands(n as u64)];
        if shown.share {
            cells.push(self.bar(n));
        }
        if shown.rate {
            cells.push(rate);
        }
        cells.push(live);
        if shown.score {
            cells.push(score);
        }
        // A script's path cut keeps its file name, which tells the scripts apart (newuser51:
        // `vinyl-corner.net/wp-content/plugin…` at 80 columns).
        match (self.shown_key, cols.get(cells.len())) {
            (Some(ClusterKey::Script), Some(&w)) => cells.push(super::fit_end(&value, w)),
            _ => cells.push(value),
        }
        Row::new(super::fit_cells(cells, cols))
    }

    /// A value new since the scan: its messages in the queue as the watcher counts them (`new`
    /// until it has), its growth in the live column, and the value marked so it is not read as
    /// one of the scan's clusters.
    fn fresh_row(&self, f: &FreshCluster, shown: Columns, cols: &[usize]) -> Row<'static> {
        let mut cells = vec![fresh_count(f)];
        cells.extend(shown.share.then(String::new));
        cells.extend(shown.rate.then(String::new));
        cells.push(f.per_min.map_or(String::new(), signed));
        cells.extend(shown.score.then(String::new));
        cells.push(fresh_value(f));
        Row::new(super::fit_cells(cells, cols)).style(self.theme.danger())
    }

    /// The age matrix of pane rows `rows` (0 is "all messages"), in one pass over the records:
    /// the clusters' member lists are not kept (`Clustering::cluster_of` says each record's
    /// cluster), and a pass per row would be one per row a frame.
    fn age_matrix(&self, rows: std::ops::Range<usize>) -> Vec<ages::Ages> {
        let mut out = vec![[0; ages::BUCKETS]; rows.len()];
        // Each cluster's row slot, by cluster index: a lookup per record on every frame (a
        // million at a flood's size) is an array index, not a hash.
        let mut slot_of = vec![usize::MAX; self.clusters.len()];
        let mut total = None;
        for (slot, row) in rows.clone().enumerate() {
            if row == 0 {
                total = Some(slot);
            } else if let Some(ci) = row
                .checked_sub(1 + self.fresh.len())
                .and_then(|i| self.order.get(i))
            {
                if let Some(s) = slot_of.get_mut(*ci as usize) {
                    *s = slot;
                }
            }
        }
        for (i, r) in self.records.iter().enumerate() {
            let b = ages::bucket(r.queued(), self.now);
            if let Some(t) = total {
                out[t][b] += 1;
            }
            let slot = self
                .cluster_of
                .get(i)
                .and_then(|&c| slot_of.get(c as usize));
            if let Some(&slot) = slot.filter(|&&s| s != usize::MAX) {
                out[slot][b] += 1;
            }
        }
        out
    }

    /// Ages-view row `row` with its ages: count, then the messages per qshape age bucket (the
    /// first `buckets - 1`, then all older ones in one, as [`age_headings`] heads them), then
    /// the value.
    fn age_row(
        &self,
        row: usize,
        ages: ages::Ages,
        buckets: usize,
        cols: &[usize],
    ) -> Row<'static> {
        let (n, value) = match self.at(row) {
            Shown::All => (self.total, "(all messages)".to_string()),
            Shown::Cluster(c) => (c.messages, self.value(c)),
            Shown::Fresh(f) => {
                let cells: Vec<String> = std::iter::once(fresh_count(f))
                    .chain((0..buckets).map(|_| String::new()))
                    .chain(std::iter::once(fresh_value(f)))
                    .collect();
                return Row::new(super::fit_cells(cells, cols)).style(self.theme.danger());
            }
            Shown::Gone => (0, String::new()),
        };
        let cells = std::iter::once(thousands(n as u64))
            .chain(merged(&ages, buckets).into_iter().map(compact))
            .chain(std::iter::once(value));
        // A value wider than its column ends in `…`, as in the scores' table.
        Row::new(super::fit_cells(cells.collect(), cols))
    }

    fn title(&self) -> String {
        let key = self.shown_key.map_or("…", |k| k.name());
        let mut t = format!(
            " Clusters by {key} · sort {} · {} ",
            self.sort.name(),
            self.order.len()
        );
        if !self.fresh.is_empty() {
            t.push_str(&format!("+ {} new ", self.fresh.len()));
        }
        if self.wanted_key != self.shown_key {
            if let Some(k) = self.wanted_key {
                t.push_str(&format!("(grouping by {}…) ", k.name()));
            }
        }
        t
    }
}

impl Widget for ClustersPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let height = usize::from(area.height.saturating_sub(LIST_CHROME)).max(1);
        let pos = keep_visible(self.pos, height);
        let scored = self.clusters.iter().any(|c| c.score > 0.0);
        let mut block = Block::bordered()
            .border_style(t.border(self.focused))
            .title(Line::styled(self.title(), t.accent()));
        let rows_total = self.order.len() + self.fresh.len() + usize::from(self.strings.is_some());
        let free = free_rows(area, rows_total.saturating_sub(pos.offset).min(height));
        let reasons = match self.at(pos.selected) {
            Shown::Cluster(_) if !self.reasons.is_empty() => self.reasons,
            _ => &[],
        };
        // The reasons are read whole in the rows under the clusters when there are any (not in
        // the age matrix, whose rows are the clusters'); else their start is on the border.
        let in_rows = (!self.ages && free.height > 0).then_some(free);
        // Rows under the pane's bottom: at 80x24 it holds five, and `bob` and `alice` below
        // `(none)` went unseen (newuser60).
        let more = super::more_below(rows_total, pos.offset, height);
        let more_width = more.as_ref().map_or(0, |m| Span::raw(m.as_str()).width());
        if let Some(more) = more {
            block = block.title_bottom(Line::styled(more, t.dim()).right_aligned());
        }
        if in_rows.is_none() && !reasons.is_empty() {
            let why = sanitize_str(&reasons.join("; ")).into_owned();
            // The border's corners take two columns; a long reason ends in `…`.
            let room = usize::from(area.width.saturating_sub(2)).saturating_sub(more_width);
            let why = super::fit(format!(" why: {why} "), room);
            block = block.title_bottom(Line::styled(why, t.dim()));
        }
        if self.ages {
            let shown = pos.offset..rows_total.min(pos.offset + height);
            let matrix = self.age_matrix(shown.clone());
            // The count as wide as the largest shown, as in the clusters' table: the value
            // (the culprit's name) gets what it does not use.
            let count = Columns::fitting(area.width, false, self.widest()).count;
            let inner = area.width.saturating_sub(2);
            let buckets = age_buckets(inner, count);
            let mut widths = vec![Constraint::Length(count)];
            widths.extend(vec![Constraint::Length(AGE_WIDTH); buckets]);
            widths.push(Constraint::Min(6));
            let cols = super::column_widths(inner, &widths);
            let rows = shown
                .zip(matrix)
                .map(|(row, a)| self.age_row(row, a, buckets, &cols));
            let key = self.shown_key.map_or("value", |k| k.name());
            let header: Vec<String> = std::iter::once("msgs".to_string())
                .chain(age_headings(buckets))
                .chain(std::iter::once(key.to_string()))
                .collect();
            // Cut headings end in `…` (`1280` cut to `12` read as twelve minutes).
            let header = super::fit_cells(header, &cols);
            let table = Table::new(rows, widths)
                .header(Row::new(header).style(t.dim()))
                .block(block.title(Line::styled(" ages in minutes (A: scores) ", t.dim())))
                .row_highlight_style(if self.focused { t.cursor() } else { t.accent() });
            let mut state = TableState::default();
            if rows_total > 0 {
                state.select(Some(pos.selected - pos.offset));
            }
            StatefulWidget::render(table, area, buf, &mut state);
            return;
        }
        let inner = area.width.saturating_sub(2);
        let shown = Columns::fitting(inner, scored, self.widest());
        let widths = shown.widths();
        // `~` while the watch is young, as the header's `(first 11s)`: a few seconds scaled to a
        // minute are not yet a steady rate.
        let now = if self.young { "now/m~" } else { "now/m" };
        let mut header = vec!["msgs"];
        if shown.share {
            header.push("share");
        }
        if shown.rate {
            header.push("/min");
        }
        header.push(now);
        if shown.score {
            header.push("score");
        }
        let cols = super::column_widths(inner, &widths);
        let rows = (pos.offset..rows_total.min(pos.offset + height))
            .map(|row| self.row(row, shown, &cols));
        let key = self.shown_key.map_or("value", |k| k.name());
        header.push(key);
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(t.dim()))
            .block(block)
            .row_highlight_style(if self.focused { t.cursor() } else { t.accent() });
        let mut state = TableState::default();
        if rows_total > 0 {
            state.select(Some(pos.selected - pos.offset));
        }
        StatefulWidget::render(table, area, buf, &mut state);
        if let Some(free) = in_rows {
            let reasons = Reasons {
                reasons,
                summary: Style::new(),
                signals: t.dim(),
            };
            reasons.render(free, buf);
        }
    }
}

/// What a pane row shows.
enum Shown<'a> {
    All,
    Fresh(&'a FreshCluster),
    Cluster(&'a Cluster),
    /// A row past the clusters (an order not yet rebuilt for new data).
    Gone,
}

/// A new value's count: its messages the watcher counts in the queue, `new` until counted.
fn fresh_count(f: &FreshCluster) -> String {
    f.queued.map_or_else(|| "new".to_string(), thousands)
}

/// A new value's text, marked as new since the scan.
fn fresh_value(f: &FreshCluster) -> String {
    format!("{} (new since the scan)", sanitize_str(&f.value))
}

/// Width of an age column: a count in at most 5 cells ([`compact`]) and `1280+`.
const AGE_WIDTH: u16 = 5;

/// How many age columns fit beside a count `count` wide and the value's 6 in `inner` columns:
/// all of qshape's, or fewer with the oldest merged into the last (at least two, so the
/// young/old split still shows).
fn age_buckets(inner: u16, count: u16) -> usize {
    let room = inner.saturating_sub(count + 1 + 6);
    usize::from(room / (AGE_WIDTH + 1)).clamp(2, ages::BUCKETS)
}

/// The headings of `buckets` age columns: qshape's, or when fewer the first `buckets - 1` and
/// then `N+` for everything born N minutes ago or earlier (as qshape's own `1280+`), so a
/// merged column says so.
fn age_headings(buckets: usize) -> Vec<String> {
    if buckets >= ages::BUCKETS {
        return ages::HEADINGS.iter().map(|h| h.to_string()).collect();
    }
    let mut h: Vec<String> = ages::HEADINGS[..buckets - 1]
        .iter()
        .map(|h| h.to_string())
        .collect();
    h.push(format!("{}+", ages::AGE_BOUNDS[buckets - 2]));
    h
}

/// `a` in `buckets` columns: the first `buckets - 1` as they are, the rest summed.
fn merged(a: &ages::Ages, buckets: usize) -> Vec<u64> {
    let keep = buckets.min(ages::BUCKETS) - 1;
    let mut out = a[..keep].to_vec();
    out.push(a[keep..].iter().sum());
    out
}

/// A count in at most 5 cells: `12345`, `123k`, `12M`.
fn compact(n: u64) -> String {
    match n {
        0..=99_999 => n.to_string(),
        100_000..=9_999_999 => format!("{}k", n / 1000),
        _ => format!("{}M", n / 1_000_000),
    }
}

/// A live rate with its sign, rounded: `+12`, `-3`, `+0`.
fn signed(per_min: f64) -> String {
    let n = per_min.round();
    if n < 0.0 {
        format!("-{}", thousands(n.abs() as u64))
    } else {
        format!("+{}", thousands(n as u64))
    }
}

#[cfg(test)]
mod tests;
