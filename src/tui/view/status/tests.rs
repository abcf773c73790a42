//! The header's and the progress line's words, drawn into a buffer.

use super::*;
use crate::tui::action::{update, Action};
use crate::tui::event::Report;
use crate::tui::testdata::analysis;

/// A change under a hundredth of the queue draws flat; a flood still fills the line
/// (newuser51: `▁▁▁▁▁▁██` for one message more of 100,000).
#[test]
fn the_sparkline_scales_to_the_queue_not_to_a_one_message_change() {
    let line = |v: &[u64]| sparkline(&v.iter().copied().collect());
    assert_eq!(line(&[100_000, 100_000, 100_000, 100_001]), "▁▁▁▁");
    assert_eq!(line(&[1, 2, 3, 4, 5, 6, 7, 8]), "▁▂▃▄▅▆▇█");
    assert_eq!(line(&[10_000, 20_000, 40_000]), "▁▃█");
}

fn header(messages: Option<(usize, u64)>, watch: &WatchStatus) -> String {
    Header {
        queue_path: "/var/qmail/queue",
        messages,
        watch,
        send: SendState::Unknown,
        yanked: None,
        marked: 0,
        theme: Theme { colour: false },
    }
    .messages_text()
}

fn growth(watch: &WatchStatus) -> String {
    let h = Header {
        queue_path: "/var/qmail/queue",
        messages: None,
        watch,
        send: SendState::Unknown,
        yanked: None,
        marked: 0,
        theme: Theme { colour: false },
    };
    h.growth(Cut::Nothing)
        .iter()
        .map(|s| s.content.as_ref())
        .collect()
}

#[test]
fn an_undo_shows_beside_the_growth_not_in_it() {
    let mut watch = WatchStatus {
        growth_per_min: Some(0.0),
        ..WatchStatus::default()
    };
    assert_eq!(growth(&watch), "+0/min");
    watch.restored_per_min = 300.0;
    assert_eq!(growth(&watch), "+0/min ↩300/min");
    watch.failed = Some("gone".into());
    assert_eq!(growth(&watch), "watch off");
}

/// A flood still arriving at 600/min after 1,200 of its messages were yanked: the header
/// once read `-600/min`, the queue draining; the yank is the operator's, said apart.
#[test]
fn a_yank_shows_beside_the_growth_not_in_it() {
    let mut u = crate::tui::testdata::watch_update(3_000, crate::watch::WatchMode::Notify);
    (u.in_per_min, u.out_per_min, u.yanked_per_min) = (600.0, 1_200.0, 1_200.0);
    let mut s = AppState::default();
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(growth(&s.status.watch), "+600/min -1,200/min yanked ▁");
}

/// qmail-send delivering a flood as fast as it arrives: `+0/min` alone read as the flood
/// having stopped (newuser59); what arrived and what left are said beside it, not when the
/// growth shows them.
#[test]
fn a_flood_delivered_as_fast_as_it_arrives_shows_beside_the_growth() {
    let mut u = crate::tui::testdata::watch_update(3_000, crate::watch::WatchMode::Notify);
    (u.in_per_min, u.out_per_min) = (15.0, 15.0);
    let mut s = AppState::default();
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(growth(&s.status.watch), "+0/min (15 in, 15 out) ▁");
    (u.in_per_min, u.out_per_min) = (1_300.0, 96.0);
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(growth(&s.status.watch), "+1,204/min ▁▁");
}

#[test]
fn a_young_watch_says_its_figures_span_seconds_not_a_minute() {
    let mut u = crate::tui::testdata::watch_update(3_000, crate::watch::WatchMode::Notify);
    u.out_per_min = 6_182.0;
    u.in_per_min = 0.0;
    u.watched_ms = 11_000;
    let mut s = AppState::default();
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(growth(&s.status.watch), "-6,182/min (first 11s) ▁");
    u.watched_ms = 61_000;
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(growth(&s.status.watch), "-6,182/min ▁▁");
}

/// In the watch's first minute one yank is said as the count it was, not scaled to a minute
/// (newuser54: `-15,862/min yanked` 34 s after one batch of 9,000 read as a flow): the counts
/// the watcher kept, not the rates scaled back (which agree here only by rounding).
#[test]
fn a_young_watch_counts_a_yank_and_an_undo_instead_of_rating_them() {
    let mut u = crate::tui::testdata::watch_update(3_000, crate::watch::WatchMode::Notify);
    (u.watched_ms, u.in_per_min) = (34_000, 0.0);
    (u.out_per_min, u.yanked_per_min) = (9_000.0 * 60.0 / 34.0, 9_000.0 * 60.0 / 34.0);
    u.restored_per_min = 300.0 * 60.0 / 34.0;
    (u.last_minute.yanked, u.last_minute.restored) = (9_000, 300);
    let mut s = AppState::default();
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(
        growth(&s.status.watch),
        "+0/min (first 34s) -9,000 yanked ↩300 ▁"
    );
    u.watched_ms = 61_000;
    crate::tui::live::watched(&mut s, crate::analysis::key::ClusterKey::AuthUser, &u);
    assert_eq!(
        growth(&s.status.watch),
        "+0/min -15,882/min yanked ↩529/min ▁▁"
    );
}

/// At 80 columns the name, the sparkline and `marked 0` make room so that the yank area's
/// count is not the figure cut, even in the watch's first minute after an undo.
#[test]
fn a_narrow_header_drops_the_sparkline_and_name_before_a_figure() {
    let watch = WatchStatus {
        growth_per_min: Some(-6_182.0),
        yanked_per_min: 6_185.5,
        restored_per_min: 1_636.4,
        young_secs: Some(11),
        last_minute: crate::watch::LastMinute {
            arrived: 0,
            left: 1_134,
            yanked: 1_134,
            restored: 300,
        },
        history: (1..=8).map(|n| n * 100).collect(),
        ..WatchStatus::default()
    };
    let line = |width: u16| {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        let h = Header {
            queue_path: "/var/qmail/queue",
            messages: Some((3_000, 3_000)),
            watch: &watch,
            send: SendState::Stopped,
            yanked: Some(1_134),
            marked: 0,
            theme: Theme { colour: false },
        };
        h.render(buf.area, &mut buf);
        buf.content().iter().map(|c| c.symbol()).collect::<String>()
    };
    let wide = line(160);
    assert!(wide.starts_with("qtriage │ 3,000 msgs"), "{wide}");
    assert!(
        wide.contains(
            "-6,182/min (first 11s) -1,134 yanked ↩300 ▁▂▃▄▅▆▇█ │ yanked 1,134 │ \
             /var/qmail/queue"
        ),
        "{wide}"
    );
    let narrow = line(80);
    assert!(
        narrow.starts_with("3,000 msgs │ qmail-send stopped"),
        "{narrow}"
    );
    // The restore rate goes with the yank rate: alone it hid the yanks (newuser51b).
    assert!(
        narrow.contains("-6,182/min (11s) │ yanked 1,134 │"),
        "{narrow}"
    );
}

/// At 40 columns the line was cut at `qmail-se…`: RUNNING / stopped, which decides whether
/// an action is refused, was never shown. It goes first once nothing else makes room.
#[test]
fn a_40_column_header_shows_qmail_sends_state() {
    let watch = WatchStatus {
        queue_size: Some(202_750),
        growth_per_min: Some(2_750.0),
        history: (1..=8).map(|n| n * 100).collect(),
        ..WatchStatus::default()
    };
    let line = |width: u16, send: SendState| {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        let h = Header {
            queue_path: "/var/qmail/queue",
            messages: Some((200_000, 200_000)),
            watch: &watch,
            send,
            yanked: Some(0),
            marked: 183_310,
            theme: Theme { colour: false },
        };
        h.render(buf.area, &mut buf);
        buf.content().iter().map(|c| c.symbol()).collect::<String>()
    };
    for (send, word) in [
        (SendState::Running, "RUNNING"),
        (SendState::Stopped, "stopped"),
    ] {
        let narrow = line(40, send);
        assert!(
            narrow.starts_with(&format!("qmail-send {word} │ ")),
            "{narrow}"
        );
        assert!(narrow.ends_with('…'), "the rest is cut visibly: {narrow}");
        // Where it fits, the order stays: the counts first.
        let wide = line(120, send);
        assert!(wide.starts_with("qtriage │ 200,000 msgs"), "{wide}");
        assert!(wide.contains(&format!("qmail-send {word}")), "{wide}");
    }
}

/// With marks and a yank at 80 columns the path had a few columns left and showed as `…e` or
/// `…ue` (newuser60): a stub names no queue, so it goes, separator and all.
#[test]
fn a_path_with_no_room_left_is_dropped_not_cut_to_a_stub() {
    let watch = WatchStatus {
        growth_per_min: Some(2_750.0),
        ..WatchStatus::default()
    };
    let line = |width: u16| {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        let h = Header {
            queue_path: "/var/qmail/queue",
            messages: Some((200_000, 200_000)),
            watch: &watch,
            send: SendState::Stopped,
            yanked: Some(345),
            marked: 1_310,
            theme: Theme { colour: false },
        };
        h.render(buf.area, &mut buf);
        buf.content().iter().map(|c| c.symbol()).collect::<String>()
    };
    let narrow = line(80);
    assert_eq!(
        narrow.trim_end(),
        "200,000 msgs │ marked 1,310 │ qmail-send stopped │ +2,750/min │ yanked 345"
    );
    // With the eight columns it keeps, the path's end is back.
    assert!(line(85).ends_with("yanked 345 │ …l/queue"), "{}", line(85));
}

#[test]
fn a_queue_path_too_long_for_the_bar_keeps_its_end_after_an_ellipsis() {
    assert_eq!(fit_end("/var/qmail/queue", 16), "/var/qmail/queue");
    assert_eq!(fit_end("/var/qmail/queue", 10), "…ail/queue");
    assert_eq!(fit_end("/var/qmail/queue", 1), "…");
    assert_eq!(fit_end("/var/qmail/queue", 0), "");
    // Wide characters count as two columns.
    assert_eq!(fit_end("/q/日本", 4), "…本");
}

#[test]
fn the_watchers_count_is_compared_with_the_records_that_have_a_mess_file() {
    let watch = |n| WatchStatus {
        queue_size: Some(n),
        ..WatchStatus::default()
    };
    // 78 records, one of them an orphan info/ file: the queue has not changed.
    assert_eq!(header(Some((78, 77)), &watch(77)), "78 msgs");
    assert_eq!(header(Some((78, 77)), &watch(90)), "78 msgs (90 now)");
    assert_eq!(header(Some((1_200, 1_200)), &watch(1_200)), "1,200 msgs");
    assert_eq!(header(None, &watch(5)), "… msgs");
    assert_eq!(header(Some((3, 3)), &WatchStatus::default()), "3 msgs");
}

fn line(s: &AppState) -> String {
    ProgressLine::new(s, Theme { colour: false }).text()
}

fn scanned(s: &mut AppState, listed: u64, read: u64, ms: u64) {
    let done = listed > 0 && read == listed;
    let p = ProgressSnapshot { listed, read, done };
    update(s, Action::Worker(Report::Scan(p, ms)));
}

#[test]
fn while_the_queue_is_listed_the_progress_line_shows_the_time_it_takes() {
    let mut s = AppState::default();
    scanned(&mut s, 0, 0, 61_400);
    assert_eq!(line(&s), "scanning: listing the queue… 61 s");
}

#[test]
fn while_the_full_analysis_is_built_the_progress_line_says_so() {
    let mut s = AppState::default();
    let mut first = analysis(30, 7, true);
    first.envelopes_pending = true;
    update(&mut s, Action::Worker(Report::Analysed(Box::new(first))));
    scanned(&mut s, 1_000_000, 1_000_000, 20_000);
    update(&mut s, Action::Worker(Report::Analysing));
    assert_eq!(
        line(&s),
        "analysing 1,000,000 messages (senders, recipients, logs)…"
    );
}

/// A restore of 180,000 killed half-way took 8 s to complete at start under "listing the
/// queue…" with no time (newuser60): the line says what is done and for how long, until the
/// recovery's report or the scan's first progress.
#[test]
fn an_interrupted_batch_completed_at_start_is_said_with_its_time() {
    let mut s = AppState::new(std::path::Path::new("/q"), 1_000, false);
    update(&mut s, Action::Worker(Report::Recovering(179_960)));
    update(&mut s, Action::Tick(1_008));
    assert_eq!(
        line(&s),
        "completing an interrupted batch first (179,960 messages, as qtriage recover does)… 8 s"
    );
    let report = crate::actions::RecoveryReport::default();
    update(&mut s, Action::Worker(Report::Recovered(report)));
    assert_eq!(line(&s), "scanning: listing the queue…");
    update(&mut s, Action::Worker(Report::Recovering(5)));
    scanned(&mut s, 0, 0, 1_000);
    assert_eq!(line(&s), "scanning: listing the queue… 1 s");
}
