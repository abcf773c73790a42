//! Unit tests of `crate::tui::view::clusters`.
use super::*;
use crate::analysis::key::KeyValue;

/// A bounce's null sender reads `<>` in the pane, as in `list` and qmail-qread.
#[test]
fn an_empty_value_is_never_a_blank_row() {
    let s = crate::tui::testdata::state((80, 24), 3, 2, false);
    let pane = ClustersPane::new(&s, Theme { colour: false });
    let data = s.data.as_ref().expect("analysed");
    let mut c = data.clustering.clusters[0].clone();
    c.value = Some(KeyValue::Text(data.snapshot.strings.intern(b"")));
    c.key = ClusterKey::Sender;
    assert_eq!(pane.value(&c), "<>");
    c.key = ClusterKey::Subject;
    assert_eq!(pane.value(&c), "\"\"");
    c.value = None;
    assert_eq!(pane.value(&c), "(none)");
}

/// In the watch's first minute the live column says its rates are not yet a minute's.
#[test]
fn a_young_watchs_rates_are_marked() {
    let header = |young: Option<u64>| {
        let mut s = crate::tui::testdata::state((80, 24), 3, 2, false);
        s.status.watch.young_secs = young;
        let mut buf = Buffer::empty(Rect::new(0, 0, 80, 12));
        ClustersPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
        (0..80).map(|x| buf[(x, 1)].symbol()).collect::<String>()
    };
    assert!(
        header(Some(11)).contains(" now/m~ "),
        "{}",
        header(Some(11))
    );
    assert!(header(None).contains(" now/m "), "{}", header(None));
    assert!(!header(None).contains("now/m~"));
}

/// On a 40-column terminal the value column, which names the culprit, keeps its room: the
/// share bar and then the rate give way (the bar only repeats the count beside it).
#[test]
fn a_narrow_pane_gives_the_value_the_room() {
    let header = |width: u16| {
        let s = crate::tui::testdata::state((width, 24), 3, 2, false);
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 12));
        ClustersPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
        (0..width).map(|x| buf[(x, 1)].symbol()).collect::<String>()
    };
    let wide = header(80);
    assert!(
        wide.contains(" share ") && wide.contains(" /min "),
        "{wide}"
    );
    let narrow = header(40);
    assert!(
        !narrow.contains("share") && !narrow.contains("/min"),
        "{narrow}"
    );
    assert!(narrow.contains(" auth-user"), "{narrow}");
    assert!(Columns::fitting(38, true, 3_000).value_room(38) >= 16);
    assert_eq!(
        Columns::fitting(78, true, 1_000_000),
        Columns {
            count: 9,
            share: true,
            rate: true,
            score: true
        }
    );
}

/// A pane too short for its rows says how many are below its bottom (newuser60: `bob` and
/// `alice` under `(none)` unseen at 80x24), and nothing once they fit.
#[test]
fn rows_below_the_bottom_are_said_on_the_border() {
    let s = crate::tui::testdata::state((80, 24), 3, 2, false);
    let bottom = |height: u16| {
        let mut buf = Buffer::empty(Rect::new(0, 0, 80, height));
        ClustersPane::new(&s, Theme { colour: false }).render(buf.area, &mut buf);
        (0..80)
            .map(|x| buf[(x, height - 1)].symbol())
            .collect::<String>()
    };
    // Three rows (all messages, two clusters) in a pane with room for two.
    assert!(bottom(5).contains(" ↓ 1 more "), "{}", bottom(5));
    assert!(!bottom(12).contains("more"), "{}", bottom(12));
}
