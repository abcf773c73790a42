//! What fits on a small terminal: qshape's age matrix, cut values ending in `…`, and the help
//! and cleanup plan popups read whole at 80x24 by scrolling.

use super::*;

/// The screen's rows as text.
fn screen_rows(buf: &Buffer) -> Vec<String> {
    buf.content()
        .chunks(usize::from(buf.area.width))
        .map(|r| r.iter().map(|c| c.symbol()).collect())
        .collect()
}

#[test]
fn the_ages_key_shows_qshapes_matrix_for_the_current_grouping() {
    // 160 columns put the panes side by side, too narrow for the matrix: it takes the width.
    for size in [(120, 40), (160, 45)] {
        ages_matrix_whole_at(size);
    }
}

fn ages_matrix_whole_at(size: (u16, u16)) {
    let mut s = ready(size);
    cmd(&mut s, Command::ToggleAges);
    assert!(s.clusters.ages);
    let t = render(&s);
    let buf = t.backend().buffer();
    assert_no_escape(buf);
    let lines = screen_rows(buf);
    let header = lines
        .iter()
        .find(|l| l.contains("1280+"))
        .expect("the ages header");
    let words: Vec<&str> = header
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect();
    let at = words
        .iter()
        .position(|w| *w == "msgs")
        .unwrap_or_else(|| panic!("msgs column: {header}"));
    assert_eq!(
        &words[at..at + 12],
        &[
            "msgs",
            "5",
            "10",
            "20",
            "40",
            "80",
            "160",
            "320",
            "640",
            "1280",
            "1280+",
            "auth-user"
        ]
    );
    let data = s.data.as_ref().expect("analysed");
    let all = crate::analysis::ages::ages_of(&data.snapshot.records, s.status.now);
    let row = lines
        .iter()
        .find(|l| l.contains("(all messages)"))
        .expect("the all-messages row");
    let want: Vec<String> = all.iter().map(u64::to_string).collect();
    let got: Vec<&str> = row
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .skip_while(|w| w.chars().any(|c| !c.is_ascii_digit() && c != ','))
        .skip(1)
        .take(crate::analysis::ages::BUCKETS)
        .collect();
    assert_eq!(got, want, "{row}");
    assert!(all.iter().sum::<u64>() as usize == data.snapshot.records.len());
    // Each cluster's row too, though the TUI keeps no member lists (`cluster_of` instead):
    // once every cluster row showed zeros.
    let row_ages = |value: &str| -> Vec<String> {
        let row = lines
            .iter()
            .find(|l| {
                l.trim_end_matches(['│', ' '])
                    .ends_with(&format!(" {value}"))
            })
            .unwrap_or_else(|| panic!("the row of {value}"));
        row.split(|c: char| c.is_whitespace() || c == '│')
            .filter(|w| !w.is_empty())
            .skip(1)
            .take(crate::analysis::ages::BUCKETS)
            .map(str::to_string)
            .collect()
    };
    let clustering = &data.clustering;
    let mut checked = 0;
    for &ci in s.clusters.order.iter().take(3) {
        let c = &clustering.clusters[ci as usize];
        assert!(c.members.is_empty(), "the TUI's clusters keep no members");
        let Some(value) = c.value.map(|v| v.text(&data.snapshot.strings)) else {
            continue;
        };
        let members = data
            .snapshot
            .records
            .iter()
            .zip(&clustering.cluster_of)
            .filter(|(_, &of)| of == ci)
            .map(|(r, _)| r);
        let want = crate::analysis::ages::ages_of(members, s.status.now);
        assert_eq!(want.iter().sum::<u64>() as usize, c.messages);
        let want: Vec<String> = want.iter().map(u64::to_string).collect();
        assert_eq!(row_ages(&value), want, "{value}");
        checked += 1;
    }
    assert!(checked > 0, "some cluster rows were checked");
    cmd(&mut s, Command::ToggleAges);
    let text = screen_text(render(&s).backend().buffer());
    assert!(
        !text.contains("1280+") && text.contains("score"),
        "back to the scores"
    );
}

#[test]
fn cut_values_end_with_an_ellipsis() {
    use crate::tui::view::{fit, fit_cells};
    assert_eq!(
        fit("paul.lee@example.net".into(), 19),
        "paul.lee@example.n…"
    );
    assert_eq!(
        fit("paul.lee@example.net".into(), 20),
        "paul.lee@example.net"
    );
    // Wide characters count two columns.
    assert_eq!(fit("請求書テスト".into(), 7), "請求書…");
    assert_eq!(
        fit_cells(vec!["abc".into(), "abcdef".into()], &[2]),
        ["a…", "abcdef"]
    );
    // The message list at 80x24: every sender is cut, and says so.
    let s = ready((80, 24));
    let text = screen_text(render(&s).backend().buffer());
    assert!(text.contains("<x0@philadefender…"), "{text}");
    assert!(!text.contains("<x0@philadefender. "), "{text}");
}

/// Issue 19: at 80x24 the help popup cut every description ("group by the ne"). Scrolled with
/// j, every key and its whole description can be read, and the title says where it is.
#[test]
fn help_is_readable_whole_at_80x24_by_scrolling() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut s = ready((80, 24));
    cmd(&mut s, Command::Help);
    let mut seen = String::new();
    let mut last = None;
    while last != Some(s.ui.help_scroll) {
        last = Some(s.ui.help_scroll);
        let t = render(&s);
        assert_no_escape(t.backend().buffer());
        let buf = t.backend().buffer();
        for y in 0..buf.area.height {
            let row: String = (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            seen.push_str(row.trim());
            seen.push('\n');
        }
        let key = KeyEvent::from(KeyCode::Char('j'));
        if let Some(a) = crate::tui::action::from_event(&s, crate::tui::event::Event::Key(key)) {
            update(&mut s, a);
        }
    }
    assert!(
        s.ui.help_scroll > 0,
        "80x24 cannot hold the keymap: it scrolls"
    );
    assert!(seen.contains(" of "), "the title says which rows are shown");
    for (title, keys, help) in crate::tui::keys::help_lines() {
        let want = title.map_or_else(|| format!("{keys:<10}{help}"), str::to_string);
        assert!(
            seen.lines().any(|l| l.contains(want.trim_start())),
            "{want:?} never shown whole:\n{seen}"
        );
    }
    assert_eq!(s.popup, Popup::Help);
}

/// A plan taller than the screen scrolls with j/k, its keys stay on the bottom border, and
/// every line of it can be read.
#[test]
fn a_plan_taller_than_the_screen_scrolls_and_keeps_its_keys() {
    use crossterm::event::{KeyCode, KeyEvent};
    let mut s = super::cleanup_shown((80, 24));
    let Popup::Cleanup(c) = std::mem::take(&mut s.popup) else {
        panic!("shown");
    };
    let mut c = (*c).clone();
    c.notes = (0..20).map(|i| format!("note number {i}")).collect();
    s.popup = Popup::Cleanup(std::sync::Arc::new(c));
    let mut seen = String::new();
    let mut last = None;
    while last != Some(s.ui.plan_scroll) {
        last = Some(s.ui.plan_scroll);
        let t = render(&s);
        let text = screen_text(t.backend().buffer());
        assert!(text.contains("Esc close"), "{text}");
        assert!(text.contains("j/k scroll"), "{text}");
        seen.push_str(&text);
        let key = KeyEvent::from(KeyCode::Char('j'));
        if let Some(a) = crate::tui::action::from_event(&s, crate::tui::event::Event::Key(key)) {
            update(&mut s, a);
        }
    }
    assert!(s.ui.plan_scroll > 0, "80x24 cannot hold it: it scrolls");
    for want in [
        "Yank 30 messages",
        "query cluster:auth-user=test",
        "note number 19",
    ] {
        assert!(seen.contains(want), "{want} never shown:\n{seen}");
    }
}

/// A line of several styles cut where the edge falls, ending with `…` in the cut span's style:
/// the header at 40 columns, a yank batch's query, never a cut that reads as whole.
#[test]
fn cut_lines_of_spans_end_with_an_ellipsis() {
    use crate::tui::view::fit_spans;
    use ratatui::style::Style;
    use ratatui::text::Span;
    let red = Style::new().fg(ratatui::style::Color::Red);
    let line = || vec![Span::raw("qtriage │ "), Span::styled("+12/min", red)];
    let text = |spans: Vec<Span<'static>>| {
        spans
            .iter()
            .map(|s| s.content.to_string())
            .collect::<String>()
    };
    assert_eq!(text(fit_spans(line(), 17)), "qtriage │ +12/min");
    let cut = fit_spans(line(), 14);
    assert_eq!(text(cut.clone()), "qtriage │ +12…");
    assert_eq!(cut.last().map(|s| s.style), Some(red));
    // Cut right at a span's end: the next one's absence still shows.
    assert_eq!(text(fit_spans(line(), 10)), "qtriage │…");
    assert_eq!(text(fit_spans(line(), 1)), "…");
    assert_eq!(text(fit_spans(line(), 0)), "");
    // The header at 40 columns ends in `…`.
    let s = ready((40, 24));
    let screen = screen_text(render(&s).backend().buffer());
    let first: String = screen.chars().take(40).collect();
    assert!(first.ends_with('…'), "{first}");
}

/// The size column shows from 98 columns stacked and beside the clusters from 170, not only
/// on a screen of about 230.
#[test]
fn the_size_column_shows_once_the_subject_keeps_room() {
    let has_size = |size: (u16, u16)| {
        let text = screen_text(render(&ready(size)).backend().buffer());
        text.contains(" size ")
    };
    assert!(!has_size((80, 24)));
    assert!(has_size((100, 30)));
    assert!(has_size((170, 40)));
    assert!(has_size((240, 50)));
}

/// The filter bar's row and the row under it, after typing `typed` and pressing ← `left`
/// times, on a `width`-column screen.
fn filter_rows(typed: &str, left: usize, width: u16) -> (String, String) {
    let mut s = ready((width, 20));
    cmd(&mut s, Command::Filter);
    for c in typed.chars() {
        update(&mut s, Action::Type(c));
    }
    for _ in 0..left {
        cmd(&mut s, Command::CaretLeft);
    }
    let buf = render(&s).backend().buffer().clone();
    assert_no_escape(&buf);
    let rows = screen_rows(&buf);
    let at = rows
        .iter()
        .position(|r| r.starts_with("/ "))
        .expect("the filter bar");
    (rows[at].clone(), rows[at + 1].clone())
}

/// A query longer than the bar scrolls to keep the caret and what was just typed on screen
/// (its start behind `…`), the error's `^` stays under the word it is about, and the message
/// goes where it fits whole (here before the `^`, which sits near the right edge).
#[test]
fn a_long_query_keeps_its_caret_and_its_error_on_screen() {
    let typed = "ip:86.107.221.138 or auth:test or sender:*@philadefender.org or bogus:x";
    let (bar, under) = filter_rows(typed, 0, 60);
    assert!(bar.starts_with("/ …"), "{bar}");
    assert!(bar.trim_end().ends_with("or bogus:x"), "{bar}");
    let word = bar.find("bogus").expect("bogus on screen");
    let caret = under.find('^').expect("the error's ^");
    assert_eq!(
        bar[..word].chars().count(),
        under[..caret].chars().count(),
        "^ under bogus:\n{bar}\n{under}"
    );
    assert!(under.contains("unknown field \"bogus\""), "{under}");
    // The caret moved back into the text: the character under it is drawn, not a `…`.
    let (bar, _) = filter_rows(typed, 3, 60);
    assert!(bar.trim_end().ends_with("bogus:x"), "{bar}");
    // The caret at the start: the text is cut at the right, the error is off screen and its
    // `^` stands under that `…`, its message still read.
    let (bar, under) = filter_rows(typed, typed.len(), 60);
    assert!(bar.starts_with("/ ip:86") && bar.ends_with('…'), "{bar}");
    assert!(under.trim_end().ends_with('^'), "{under}");
    assert!(under.contains("unknown field"), "{under}");
}

/// An emoji with its U+FE0F is two columns in the text and in the cut: measured apart (one
/// and none), the bar once computed a negative scroll.
#[test]
fn a_long_query_with_emoji_scrolls_without_miscounting() {
    let typed = format!("subject:\u{2764}\u{fe0f}\u{2764}\u{fe0f}{}", "a".repeat(66));
    for width in [60, 78, 79, 80, 81] {
        let (bar, _) = filter_rows(&typed, 0, width);
        assert!(bar.starts_with("/ "), "{bar}");
        assert!(bar.trim_end().ends_with("aaa"), "{width}: {bar}");
        let (bar, _) = filter_rows(&typed, typed.chars().count(), width);
        assert!(bar.starts_with("/ subject:"), "{width}: {bar}");
    }
}

/// qshape's matrix at 80 columns leaves the value a few columns: what does not fit ends in
/// `…` (it once read `(all mes`).
#[test]
fn the_ages_matrix_cuts_values_visibly_at_80_columns() {
    let mut s = ready((80, 24));
    cmd(&mut s, Command::ToggleAges);
    let rows = screen_rows(render(&s).backend().buffer());
    let all = rows
        .iter()
        .find(|r| r.contains("(all"))
        .expect("the all-messages row");
    let value = all.trim_end_matches(['│', ' ']);
    assert!(
        value.ends_with("(all messages)") || value.ends_with('…'),
        "{all}"
    );
    // The count column is as wide as the largest count (`msgs` here), not 9: the value gains the
    // rest (it showed `(all me…` with 9).
    assert!(all.contains("(all messag"), "{all}");
}

/// At 40 columns the age columns were squeezed below their width and their headings cut
/// silently (`8 16 32 64 12 12` for 80, 160, 320, 640, 1280, 1280+): the oldest are merged into
/// one `N+` column instead, every heading whole, and the counts still add up.
#[test]
fn a_narrow_ages_matrix_merges_the_oldest_columns_visibly() {
    let mut s = ready((40, 15));
    cmd(&mut s, Command::ToggleAges);
    let rows = screen_rows(render(&s).backend().buffer());
    let words = |row: &str| -> Vec<String> {
        row.split(|c: char| c.is_whitespace() || c == '│')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let title = rows
        .iter()
        .position(|r| r.contains("Clusters by"))
        .expect("the clusters pane");
    let header = &rows[title + 1];
    let h = words(header);
    let merged = h
        .iter()
        .position(|w| w.ends_with('+'))
        .unwrap_or_else(|| panic!("a merged N+ column: {rows:#?}"));
    let n = merged; // the age columns are h[1..=merged]
    let mut want: Vec<String> = crate::analysis::ages::HEADINGS[..n - 1]
        .iter()
        .map(|w| w.to_string())
        .collect();
    want.push(format!("{}+", crate::analysis::ages::AGE_BOUNDS[n - 2]));
    assert_eq!(&h[1..=merged], &want[..], "{header}");
    assert!(n >= 3, "as many columns as fit: {header}");
    let data = s.data.as_ref().expect("analysed");
    let all = crate::analysis::ages::ages_of(&data.snapshot.records, s.status.now);
    let row = rows
        .iter()
        .find(|r| r.contains("(all"))
        .expect("the all-messages row");
    let got = words(row);
    let mut expect: Vec<String> = all[..n - 1].iter().map(u64::to_string).collect();
    expect.push(all[n - 1..].iter().sum::<u64>().to_string());
    assert_eq!(&got[1..=merged], &expect[..], "{row}");
}

/// At 60 columns the message list leaves out the sender and the recipient count, and every id
/// is whole (it once showed `989…` on every row).
#[test]
fn a_narrow_message_list_keeps_whole_ids() {
    let mut s = ready((60, 20));
    cmd(&mut s, Command::NextPane);
    let text = screen_text(render(&s).backend().buffer());
    let data = s.data.as_ref().expect("analysed");
    let shown = s.messages.rows.window(0..5).collect::<Vec<u32>>();
    assert!(!shown.is_empty());
    for i in shown {
        let id = data.snapshot.records[i as usize].id.to_string();
        assert!(text.contains(&format!(" {id} ")), "{id} whole in:\n{text}");
    }
    assert!(!text.contains(" sender "), "{text}");
}

/// A plan of a queue read in part says so first and marks nothing, as `qtriage plan` gives no
/// query to apply.
#[test]
fn a_plan_of_a_queue_read_in_part_is_shown_but_not_marked() {
    let mut s = cleanup_shown((120, 40));
    let Popup::Cleanup(c) = &mut s.popup else {
        panic!("shown");
    };
    let words = "incomplete: 3 of 30 messages could not be read whole: this plan leaves out";
    std::sync::Arc::make_mut(c).incomplete = Some(words.into());
    let text = screen_text(render(&s).backend().buffer());
    assert!(text.contains(words), "{text}");
    cmd(&mut s, Command::MarkPlan);
    assert!(s.marks.ids.is_empty());
    assert!(s
        .status
        .notice
        .as_ref()
        .is_some_and(|n| n.text.starts_with("refused:")));
}

/// A plan that takes nothing (no culprit) marks nothing and says so: Enter had done nothing
/// and said nothing (newuser48).
#[test]
fn a_plan_that_takes_nothing_says_there_is_nothing_to_mark() {
    let mut s = cleanup_shown((120, 40));
    let Popup::Cleanup(c) = &mut s.popup else {
        panic!("shown");
    };
    std::sync::Arc::make_mut(c).ids.clear();
    cmd(&mut s, Command::MarkPlan);
    assert!(s.marks.ids.is_empty());
    let notice = s.status.notice.as_ref().map(|n| n.text.as_str());
    assert_eq!(notice, Some("nothing to mark: this plan takes no message"));
}

/// The inspector scrolls to its last line at the pane's bottom and no further: `End`, then
/// PgDn and `j`, leave the body's last line on the screen (they went on into a blank pane,
/// newuser47), and `k` moves up from there at once.
#[test]
fn the_inspector_stops_at_its_last_line() {
    let size = (100, 16);
    let mut s = inspected(size);
    let max = crate::tui::view::detail::max_scroll(&s, size);
    assert!(max > 0, "the inspection is taller than the pane");
    for c in [
        Command::End,
        Command::PageDown,
        Command::Down,
        Command::Down,
    ] {
        cmd(&mut s, c);
        assert_eq!(s.detail.scroll, max, "{c:?}");
    }
    let rows = screen_rows(render(&s).backend().buffer());
    assert!(
        rows.iter().any(|r| r.contains("binary")),
        "the body's last line is shown: {rows:#?}"
    );
    cmd(&mut s, Command::Up);
    assert_eq!(s.detail.scroll, max - 1);
}

/// Grouped by script at 80 columns, a long path shows its end, the file name that tells the
/// scripts apart (newuser51: `vinyl-corner.net/wp-content/plugin…`).
#[test]
fn the_clusters_pane_cuts_a_script_path_at_its_start() {
    let path = "vinyl-corner.net/wp-content/plugins/wp-seo-tools/inc/class-loader.php";
    let mut a = crate::tui::testdata::analysis(3, 2, false);
    let snap = std::sync::Arc::get_mut(&mut a.snapshot).expect("not shared yet");
    let script = snap.strings.intern(path.as_bytes());
    for r in &mut snap.records {
        r.origin.kind = crate::queue::OriginKind::Local;
        r.origin.set_uid(Some(48));
        r.origin.script = Some(script);
    }
    a.clustering = std::sync::Arc::new(crate::tui::worker::clustering(
        &a.snapshot,
        ClusterKey::Script,
    ));
    let mut s = ready((80, 24));
    s.clusters.key = Some(ClusterKey::Script);
    update(&mut s, Action::Worker(Report::Analysed(Box::new(a))));
    let text = screen_text(render(&s).backend().buffer());
    assert!(
        text.contains("…") && text.contains("class-loader.php"),
        "{text}"
    );
    assert!(
        !text.contains("vinyl-corner.net/wp-content/plugin…"),
        "{text}"
    );
}
