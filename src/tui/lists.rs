//! The lists' contents and cursors: cluster order, message rows (virtualized), paging.
//!
//! Pure functions over [`AppState`]; `action::update` calls them. Rows are record indices, so a
//! million-message list costs 4 bytes a row and the views render only the visible slice; the
//! sorted orders come precomputed from the worker, so a list is one filtering pass. The selected
//! cluster's reasons, when its clustering did not write them, are asked of the worker here
//! (`explain_selected`, which `Session::apply` calls after every action).

use super::event::Effect;
use super::state::{
    AppState, ClusterAt, ClusterSort, Explained, Focus, FreshCluster, ListPos, Order,
};
use super::view::layout;
use crate::analysis::cluster::Cluster;

/// What a clusters-pane row shows: row 0 all messages, then the values that arrived after the
/// scan (the watcher's, fastest first, so a new flood is on the first screen), then the
/// snapshot's clusters in display order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClusterRow<'a> {
    /// "(all messages)".
    All,
    /// A value the snapshot has no cluster for: it has no records to list or mark.
    Fresh(&'a FreshCluster),
    /// `clusters.order[n]`: an index into the clustering's clusters.
    Cluster(u32),
}

impl AppState {
    /// Whether the watcher's figures are of the key and snapshot shown.
    pub fn live_is_current(&self) -> bool {
        match (&self.clusters.live, &self.data) {
            (Some(l), Some(d)) => {
                l.key == d.clustering.key && l.generation == d.clustering.generation
            }
            _ => false,
        }
    }

    /// The values of the shown key that arrived after the scan (rows 1..=len of the pane).
    pub fn fresh_clusters(&self) -> &[FreshCluster] {
        match &self.clusters.live {
            Some(l) if self.live_is_current() => &l.fresh,
            _ => &[],
        }
    }

    /// What clusters-pane row `row` shows (`None`: past the end, or no data).
    pub fn cluster_row(&self, row: usize) -> Option<ClusterRow<'_>> {
        self.data.as_ref()?;
        let fresh = self.fresh_clusters();
        match row.checked_sub(1) {
            None => Some(ClusterRow::All),
            Some(r) if r < fresh.len() => Some(ClusterRow::Fresh(&fresh[r])),
            Some(r) => self
                .clusters
                .order
                .get(r - fresh.len())
                .map(|&i| ClusterRow::Cluster(i)),
        }
    }

    /// The snapshot's cluster at clusters-pane row `row` (`None` on "all messages" and on a
    /// value new since the scan).
    pub fn cluster_at(&self, row: usize) -> Option<&Cluster> {
        match self.cluster_row(row)? {
            ClusterRow::Cluster(i) => self.data.as_ref()?.clustering.clusters.get(i as usize),
            ClusterRow::All | ClusterRow::Fresh(_) => None,
        }
    }

    /// The reasons of the cluster under the cursor: its own, or those the worker wrote for it
    /// ([`explain_selected`]); none on the other rows and while they are being written.
    pub fn selected_reasons(&self) -> &[String] {
        let Some(ClusterRow::Cluster(i)) = self.cluster_row(self.clusters.pos.selected) else {
            return &[];
        };
        match self
            .data
            .as_ref()
            .and_then(|d| d.clustering.clusters.get(i as usize))
        {
            Some(c) if !c.reasons.is_empty() => &c.reasons,
            Some(_) => match &self.clusters.explained {
                Some(e) if Some(e.at) == self.selected_cluster_at() => {
                    e.reasons.as_deref().unwrap_or(&[])
                }
                _ => &[],
            },
            None => &[],
        }
    }

    /// Which cluster of which clustering the cursor is on.
    fn selected_cluster_at(&self) -> Option<ClusterAt> {
        let Some(ClusterRow::Cluster(index)) = self.cluster_row(self.clusters.pos.selected) else {
            return None;
        };
        let clustering = &self.data.as_ref()?.clustering;
        Some(ClusterAt {
            generation: clustering.generation,
            key: clustering.key,
            index,
        })
    }

    /// Rows in the clusters pane.
    pub fn cluster_rows(&self) -> usize {
        if self.data.is_some() {
            self.clusters.order.len() + self.fresh_clusters().len() + 1
        } else {
            0
        }
    }
}

/// Ask the worker for the reasons of the cluster under the cursor when its clustering did not
/// write them ([`crate::tui::worker::REASONS_WRITTEN`]) and they were not asked for yet; its
/// members go with it, gathered from `cluster_of` (one pass, a millisecond at a million).
pub fn explain_selected(state: &mut AppState) -> Option<Effect> {
    let at = state.selected_cluster_at();
    // A request the cursor left is forgotten, so that coming back asks again: one the worker
    // dropped or failed on is otherwise never answered nor asked again.
    if (state.clusters.explained.as_ref()).is_some_and(|e| e.reasons.is_none() && Some(e.at) != at)
    {
        state.clusters.explained = None;
    }
    let at = at?;
    if state
        .clusters
        .explained
        .as_ref()
        .is_some_and(|e| e.at == at)
    {
        return None;
    }
    let clustering = &state.data.as_ref()?.clustering;
    let c = clustering.clusters.get(at.index as usize)?;
    if !c.reasons.is_empty() {
        return None;
    }
    let mut cluster = c.clone();
    cluster.members = (clustering.cluster_of.iter().zip(0u32..))
        .filter(|&(&of, _)| of == at.index)
        .map(|(_, m)| m)
        .collect();
    state.clusters.explained = Some(Explained { at, reasons: None });
    Some(Effect::Explain(at, Box::new(cluster)))
}

/// The worker wrote the reasons of cluster `at`: kept if they are still the ones asked for.
pub fn explained(state: &mut AppState, at: ClusterAt, reasons: Vec<String>) {
    if let Some(e) = state.clusters.explained.as_mut().filter(|e| e.at == at) {
        e.reasons = Some(reasons);
    }
}

/// Order the clusters for display by the current sort.
pub fn reorder_clusters(state: &mut AppState) {
    let Some(data) = &state.data else {
        state.clusters.order.clear();
        return;
    };
    let cs = &data.clustering.clusters;
    let mut order: Vec<u32> = (0..cs.len() as u32).collect();
    let scored = cs.iter().any(|c| c.score > 0.0);
    let by = |i: &u32| &cs[*i as usize];
    match state.clusters.sort {
        ClusterSort::Score if scored => order.sort_by(|a, b| {
            by(b)
                .score
                .total_cmp(&by(a).score)
                .then(by(b).messages.cmp(&by(a).messages))
        }),
        ClusterSort::Score | ClusterSort::Count => {
            order.sort_by(|a, b| by(b).messages.cmp(&by(a).messages).then(a.cmp(b)))
        }
        ClusterSort::Rate => order.sort_by(|a, b| {
            by(b)
                .per_minute
                .total_cmp(&by(a).per_minute)
                .then(by(b).messages.cmp(&by(a).messages))
        }),
    }
    state.clusters.order = order;
}

/// The value of the cluster under the cursor, as bytes (`None`: "all messages" or no data).
/// Bytes, not the interned symbol, so it survives a rescan with a new interner; not lossy
/// text, which made two senders differing in a byte that is not UTF-8 one, and the cursor
/// land on the other's cluster (review51b).
pub fn selected_value(state: &AppState) -> Option<Option<Vec<u8>>> {
    row_value(state, state.clusters.pos.selected)
}

/// The value of clusters-pane row `row`, as [`selected_value`] says it.
pub(crate) fn row_value(state: &AppState, row: usize) -> Option<Option<Vec<u8>>> {
    let strings = &state.data.as_ref()?.snapshot.strings;
    match state.cluster_row(row)? {
        ClusterRow::All => None,
        ClusterRow::Fresh(f) => Some(Some(f.value.clone().into_bytes())),
        ClusterRow::Cluster(_) => state
            .cluster_at(row)
            .map(|c| c.value.map(|v| v.with_bytes(strings, <[u8]>::to_vec))),
    }
}

/// Put the cursor back on the cluster with `value` (after a reorder or new data).
pub fn reselect_cluster(state: &mut AppState, value: Option<Option<Vec<u8>>>) {
    let rows = state.cluster_rows();
    let row = match value {
        Some(v) => (1..rows).find(|&r| row_value(state, r).as_ref() == Some(&v)),
        None => None,
    };
    state.clusters.pos.selected = row.unwrap_or(0).min(rows.saturating_sub(1));
    let h = visible_rows(state, Focus::Clusters);
    state.clusters.pos = keep_visible(state.clusters.pos, h);
}

/// Rebuild the message list: members of the selected cluster (all messages on row 0) that the
/// active query matched, in the chosen order. Keeps the cursor on the same message if it is
/// still listed.
pub fn rebuild_rows(state: &mut AppState) {
    let current = state.selected_record().map(|(i, _)| i);
    let row = state.cluster_row(state.clusters.pos.selected);
    let rows = match &state.data {
        // Its messages arrived after the scan: the snapshot has none of them (and listing all
        // messages instead would let `M` mark the whole queue).
        _ if matches!(row, Some(ClusterRow::Fresh(_))) => Order::default(),
        None => Order::default(),
        Some(data) => {
            // One pass over the worker's precomputed order: no sorting on the UI thread.
            let sel = data.selection.as_deref();
            let of = &data.clustering.cluster_of;
            let cluster = match row {
                Some(ClusterRow::Cluster(c)) => Some(c),
                _ => None,
            };
            let order = data.orders.get(state.messages.sort);
            if cluster.is_none() && sel.is_none() {
                // All messages: the order itself, shared (not a copy of a million indices).
                order.clone()
            } else {
                Order::of(
                    order
                        .iter()
                        .filter(|&i| cluster.is_none_or(|c| of.get(i as usize) == Some(&c)))
                        .filter(|&i| sel.is_none_or(|s| s.contains(i)))
                        .collect(),
                )
            }
        }
    };
    let selected = current
        .and_then(|c| rows.iter().position(|r| r == c))
        .unwrap_or(0);
    state.messages.rows = rows;
    state.messages.pos.selected = selected.min(state.messages.rows.len().saturating_sub(1));
    let h = visible_rows(state, Focus::Messages);
    state.messages.pos = keep_visible(state.messages.pos, h);
}

/// How many rows the list of `focus` shows at the current terminal size.
pub fn visible_rows(state: &AppState, focus: Focus) -> usize {
    let a = layout::areas(
        state,
        ratatui::layout::Rect::new(0, 0, state.ui.size.0, state.ui.size.1),
    );
    let rect = match focus {
        Focus::Clusters => a.clusters,
        Focus::Messages => a.messages,
        Focus::Detail | Focus::Yanked | Focus::Accounts => a.main,
    };
    usize::from(rect.height.saturating_sub(layout::LIST_CHROME)).max(1)
}

/// Move the offset so the selected row is on screen.
pub fn keep_visible(pos: ListPos, height: usize) -> ListPos {
    let height = height.max(1);
    let offset = if pos.selected < pos.offset {
        pos.selected
    } else if pos.selected >= pos.offset + height {
        pos.selected + 1 - height
    } else {
        pos.offset
    };
    ListPos {
        selected: pos.selected,
        offset,
    }
}

/// A cursor move on a list of `len` rows showing `height` at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// One up.
    Up,
    /// One down.
    Down,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// First.
    Home,
    /// Last.
    End,
}

/// Apply a move; the result is within `0..len` and on screen.
pub fn apply_move(pos: ListPos, mv: Move, len: usize, height: usize) -> ListPos {
    let last = len.saturating_sub(1);
    let page = height.max(1);
    let selected = match mv {
        Move::Up => pos.selected.saturating_sub(1),
        Move::Down => (pos.selected + 1).min(last),
        Move::PageUp => pos.selected.saturating_sub(page),
        Move::PageDown => (pos.selected + page).min(last),
        Move::Home => 0,
        Move::End => last,
    };
    keep_visible(
        ListPos {
            selected,
            offset: pos.offset.min(last),
        },
        height,
    )
}

/// Move the cursor of the focused pane (the detail pane scrolls); moving in the clusters
/// starts the messages over at the top.
pub(crate) fn navigate(state: &mut AppState, mv: Move) {
    let focus = state.ui.focus;
    let h = visible_rows(state, focus);
    match focus {
        Focus::Clusters => {
            let len = state.cluster_rows();
            state.clusters.pos = apply_move(state.clusters.pos, mv, len, h);
            state.messages.pos = Default::default();
            rebuild_rows(state);
        }
        Focus::Messages => {
            let len = state.messages.rows.len();
            state.messages.pos = apply_move(state.messages.pos, mv, len, h);
        }
        Focus::Yanked => {
            let len = state.yank_area.rows().len();
            state.yank_area.pos = apply_move(state.yank_area.pos, mv, len, h);
        }
        Focus::Accounts => {
            let len = state.accounts.len();
            state.accounts.pos = apply_move(state.accounts.pos, mv, len, h);
        }
        Focus::Detail => {
            let page = h as u16;
            let max = crate::tui::view::detail::max_scroll(state, state.ui.size);
            let s = &mut state.detail.scroll;
            *s = match mv {
                Move::Up => (*s).min(max).saturating_sub(1),
                Move::Down => s.saturating_add(1),
                Move::PageUp => (*s).min(max).saturating_sub(page),
                Move::PageDown => s.saturating_add(page),
                Move::Home => 0,
                Move::End => max,
            }
            .min(max);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request for a cluster's reasons the worker never answers (dropped, or failed on) is
    /// asked again when the cursor leaves the cluster and comes back; answered, it is drawn and
    /// not asked again; the members sent are the cluster's.
    #[test]
    fn reasons_are_asked_for_once_and_again_after_the_cursor_left() {
        let mut s = crate::tui::testdata::state((120, 30), 30, 7, false);
        let i = s.clusters.order[0];
        let data = s.data.as_mut().expect("analysed");
        // Written without its reasons, as a clustering leaves one past REASONS_WRITTEN.
        let mut clustering = (*data.clustering).clone();
        clustering.clusters[i as usize].reasons.clear();
        let messages = clustering.clusters[i as usize].messages;
        data.clustering = std::sync::Arc::new(clustering);
        s.clusters.pos.selected = 1;
        let Some(Effect::Explain(at, cluster)) = explain_selected(&mut s) else {
            panic!("not asked for");
        };
        assert_eq!((at.index, cluster.members.len()), (i, messages));
        assert!(explain_selected(&mut s).is_none(), "asked twice");
        assert!(s.selected_reasons().is_empty());
        s.clusters.pos.selected = 0;
        assert!(explain_selected(&mut s).is_none());
        s.clusters.pos.selected = 1;
        assert!(explain_selected(&mut s).is_some(), "not asked again");
        explained(&mut s, at, vec!["why".into()]);
        assert_eq!(s.selected_reasons(), ["why"]);
        assert!(
            explain_selected(&mut s).is_none(),
            "asked again once written"
        );
    }

    #[test]
    fn moves_stay_in_bounds_and_on_screen() {
        let p = ListPos::default();
        assert_eq!(
            apply_move(p, Move::Up, 10, 4),
            ListPos {
                selected: 0,
                offset: 0
            }
        );
        let p = apply_move(p, Move::PageDown, 10, 4);
        assert_eq!(
            p,
            ListPos {
                selected: 4,
                offset: 1
            }
        );
        let p = apply_move(p, Move::End, 10, 4);
        assert_eq!(
            p,
            ListPos {
                selected: 9,
                offset: 6
            }
        );
        let p = apply_move(p, Move::PageUp, 10, 4);
        assert_eq!(
            p,
            ListPos {
                selected: 5,
                offset: 5
            }
        );
        assert_eq!(
            apply_move(p, Move::Home, 10, 4),
            ListPos {
                selected: 0,
                offset: 0
            }
        );
        assert_eq!(
            apply_move(p, Move::Down, 0, 4),
            ListPos {
                selected: 0,
                offset: 0
            }
        );
    }
}
