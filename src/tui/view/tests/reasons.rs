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

/// The selected cluster's reasons as the screen shows them: sanitized.
fn shown_reasons(s: &AppState) -> Vec<String> {
    (s.selected_reasons().iter())
        .map(|r| crate::sanitize::sanitize_str(r).into_owned())
        .collect()
}

#[test]
fn every_reason_of_the_selected_cluster_is_on_screen_when_the_pane_has_room() {
    // 120x40 stacks the panes, 160x45 puts them side by side (the pane is then 67 columns).
    for size in [(120, 40), (160, 45)] {
        let mut s = ready(size);
        cmd(&mut s, Command::Down);
        let reasons = shown_reasons(&s);
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
        rows.last().is_some_and(|r| r.ends_with("… w: whole")),
        "what does not fit ends in … and where to read it whole: {rows:?}"
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

/// Where the pane cuts them, `w` shows the selected cluster's reasons whole in a popup, each
/// wrapped at spaces; Esc closes it. On the "all messages" row there are none: a notice says
/// what `w` is for and no popup opens.
#[test]
fn w_shows_the_reasons_whole_where_the_pane_cuts_them() {
    for size in [(80, 16), (80, 24), (40, 12)] {
        let mut s = ready(size);
        cmd(&mut s, Command::Why);
        assert_eq!(
            s.popup,
            Popup::None,
            "{size:?}: no cluster on the first row"
        );
        cmd(&mut s, Command::Down);
        let reasons = shown_reasons(&s);
        assert!(reasons.len() >= 3, "{reasons:?}");
        cmd(&mut s, Command::Why);
        assert_eq!(s.popup, Popup::Why);
        // Scrolled to its end with j, every row it showed on the way, joined at spaces.
        let mut seen: Vec<String> = Vec::new();
        let mut last = None;
        while last != Some(s.ui.why_scroll) {
            last = Some(s.ui.why_scroll);
            let t = render(&s);
            let buf = t.backend().buffer();
            assert_no_escape(buf);
            let text = screen_text(buf);
            assert!(text.contains("Why: auth-user"), "{size:?}: {text}");
            // The popup is as wide as these screens: a row's text is between its borders.
            seen.extend(buf.content().chunks(usize::from(size.0)).map(|row| {
                let row: String = row.iter().map(|c| c.symbol()).collect();
                row.trim_matches(|c| c == '│' || c == ' ').to_string()
            }));
            cmd(&mut s, Command::Down);
        }
        let joined = seen.join(" ");
        for r in &reasons {
            let words: Vec<&str> = r.split_whitespace().collect();
            assert!(
                joined.contains(&words.join(" ")),
                "{size:?}: {r:?} not in {joined:?}"
            );
        }
        cmd(&mut s, Command::Back);
        assert_eq!(s.popup, Popup::None);
    }
}
