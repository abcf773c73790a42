//! The selected cluster's reasons are read whole in the rows the clusters pane leaves free, not
//! only their start on its bottom border.

use super::*;
use crate::tui::view::layout;

/// The clusters pane's inner rows below the column header, each trimmed: the text a reader sees.
fn pane_rows(s: &AppState, buf: &Buffer) -> Vec<String> {
    let a = layout::areas(s, buf.area).clusters;
    (a.y + 2..a.bottom() - 1)
        .map(|y| {
            (a.x + 1..a.right() - 1)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .trim()
                .to_string()
        })
        .collect()
}

#[test]
fn every_reason_of_the_selected_cluster_is_on_screen_when_the_pane_has_room() {
    // 120x40 stacks the panes, 160x45 puts them side by side (the pane is then 67 columns).
    for size in [(120, 40), (160, 45)] {
        let mut s = ready(size);
        cmd(&mut s, Command::Down);
        let reasons: Vec<String> = s
            .selected_reasons()
            .iter()
            .map(|r| crate::sanitize::sanitize_str(r).into_owned())
            .collect();
        assert!(
            reasons.len() >= 3,
            "the culprit has a summary and signals: {reasons:?}"
        );
        let t = render(&s);
        let buf = t.backend().buffer();
        assert_no_escape(buf);
        // Wrapped lines break at spaces: joined with one, they give each reason back.
        let text = pane_rows(&s, buf)
            .into_iter()
            .filter(|r| !r.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        for r in &reasons {
            assert!(text.contains(r.as_str()), "{size:?}: {r:?} not in {text:?}");
        }
    }
}

#[test]
fn a_pane_with_little_room_shows_what_fits_and_ends_in_an_ellipsis() {
    // 80x24 stacked: the pane holds the header, three rows and two free rows.
    let mut s = ready((80, 24));
    cmd(&mut s, Command::Down);
    let summary = s.selected_reasons()[0].clone();
    let t = render(&s);
    let buf = t.backend().buffer();
    let rows = pane_rows(&s, buf);
    let shown = rows.iter().filter(|r| !r.is_empty()).count();
    assert_eq!(
        shown, 5,
        "three clusters and two lines of reasons: {rows:?}"
    );
    let start: String = summary.chars().take(20).collect();
    assert!(
        rows.iter().any(|r| r.starts_with(&start)),
        "the summary starts in the free rows: {rows:?}"
    );
    assert!(
        rows.last().is_some_and(|r| r.ends_with('…')),
        "what does not fit ends in …: {rows:?}"
    );
}

#[test]
fn a_full_pane_keeps_the_summary_on_its_bottom_border() {
    // 80x16 stacked: the pane's four inner rows hold the header and the three rows, none free.
    let mut s = ready((80, 16));
    cmd(&mut s, Command::Down);
    let summary = s.selected_reasons()[0].clone();
    let t = render(&s);
    let buf = t.backend().buffer();
    let a = layout::areas(&s, buf.area).clusters;
    let border: String = (a.x..a.right())
        .map(|x| buf[(x, a.bottom() - 1)].symbol())
        .collect();
    let start: String = summary.chars().take(20).collect();
    assert!(border.contains(&format!("why: {start}")), "{border:?}");
    assert!(border.ends_with("…┘"), "{border:?}");
}
