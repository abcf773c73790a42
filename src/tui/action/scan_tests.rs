//! Unit tests of how `update` follows the scan: failure, rescan, the two passes.

use super::tests::press;
use super::*;
use crate::tui::state::PlanRequest;
use crate::tui::testdata::{analysis, answer, listing, state};

#[test]
fn a_scan_error_is_shown_and_rescan_asks_the_worker() {
    let mut s = AppState::default();
    update(
        &mut s,
        Action::Worker(Report::ScanFailed(
            "scan failed: /q: not a qmail queue".into(),
        )),
    );
    assert_eq!(s.status.phase, ScanPhase::Failed);
    assert!(s
        .status
        .notice
        .as_ref()
        .is_some_and(|n| n.is_error && n.text.contains("scan failed")));
    assert_eq!(press(&mut s, KeyCode::Char('r')), Some(Effect::Scan));
    assert_eq!(s.status.phase, ScanPhase::Scanning);
}

#[test]
fn the_header_pass_is_shown_while_envelopes_are_read_then_replaced() {
    let mut s = AppState::default();
    let mut first = analysis(30, 5, false);
    first.envelopes_pending = true;
    update(&mut s, Action::Worker(Report::Analysed(Box::new(first))));
    assert_eq!(s.status.phase, ScanPhase::Envelopes);
    assert!(s.data.is_some(), "the header pass' clusters are browsable");
    assert_eq!(s.status.progress, None, "the envelope pass reports afresh");
    update(
        &mut s,
        Action::Worker(Report::Analysed(Box::new(analysis(30, 5, false)))),
    );
    assert_eq!(s.status.phase, ScanPhase::Ready);

    // The envelope pass failing leaves the header pass shown, marked as failed.
    let mut first = analysis(30, 5, false);
    first.envelopes_pending = true;
    update(&mut s, Action::Worker(Report::Analysed(Box::new(first))));
    update(
        &mut s,
        Action::Worker(Report::ScanFailed("scan failed: vanished".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Failed);
    assert!(s.data.is_some());
}

/// A ready state whose next analysis is the header pass of a rescan: envelopes being read.
fn reading_envelopes() -> AppState {
    let mut s = state((80, 24), 30, 7, false);
    header_pass(&mut s);
    s
}

fn header_pass(s: &mut AppState) {
    let mut first = analysis(30, 7, false);
    first.envelopes_pending = true;
    update(s, Action::Worker(Report::Analysed(Box::new(first))));
}

fn final_pass(s: &mut AppState) {
    let a = analysis(30, 7, false);
    update(s, Action::Worker(Report::Analysed(Box::new(a))));
}

fn refused(s: &AppState, says: &str) -> bool {
    s.status
        .notice
        .as_ref()
        .is_some_and(|n| n.is_error && n.text.contains(says))
}

#[test]
fn actions_the_accounts_check_and_the_report_wait_for_the_envelopes() {
    let mut s = reading_envelopes();
    assert_eq!(s.status.phase, ScanPhase::Envelopes);
    // Marking and moving stay usable on the header pass.
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    assert_eq!(s.marks.ids.len(), 30);
    for key in ['y', 'E', 'u', 'a', 'W'] {
        s.status.notice = None;
        let focus = s.ui.focus;
        assert_eq!(press(&mut s, KeyCode::Char(key)), None, "{key} is refused");
        let again = format!("wait for the scan to finish, then press {key} again");
        assert!(refused(&s, "still reading envelopes: "), "{key}");
        assert!(refused(&s, &again), "{key}: {:?}", s.status.notice);
        assert_eq!(s.popup, Popup::None, "{key}: nothing planned");
        assert_eq!(s.ui.focus, focus, "{key}: the view stays");
    }
    // The yank area's restore (Enter) and purge (P) too; listing it is not an action.
    update(
        &mut s,
        Action::Worker(Report::YankArea(Box::new(listing()))),
    );
    assert_eq!(
        press(&mut s, KeyCode::Char('Y')),
        Some(Effect::ListYankArea)
    );
    for key in [KeyCode::Enter, KeyCode::Char('P')] {
        s.status.notice = None;
        assert_eq!(press(&mut s, key), None, "{key:?} is refused");
        assert!(refused(&s, "still reading envelopes"), "{key:?}");
    }
    press(&mut s, KeyCode::Esc);

    // The final analysis: the same keys act, on the marks made meanwhile.
    final_pass(&mut s);
    assert_eq!(s.status.phase, ScanPhase::Ready);
    let ask = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(&ask, Some(Effect::Plan { request: PlanRequest::Yank(ids), .. }) if ids.len() == 30),
        "{ask:?}"
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(
        press(&mut s, KeyCode::Char('a')),
        Some(Effect::CheckAccounts)
    );
    press(&mut s, KeyCode::Esc);
    assert_eq!(press(&mut s, KeyCode::Char('W')), Some(Effect::WriteReport));
}

#[test]
fn after_a_failed_envelope_pass_actions_wait_for_a_rescan() {
    let mut s = reading_envelopes();
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    update(
        &mut s,
        Action::Worker(Report::ScanFailed("scan failed: vanished".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Failed);
    for key in ['y', 'a', 'W'] {
        assert_eq!(press(&mut s, KeyCode::Char(key)), None, "{key} is refused");
        assert!(
            refused(&s, "the last scan did not finish") && refused(&s, "press r to scan again"),
            "{key}: {:?}",
            s.status.notice
        );
    }
    // Rescanning: still the partial records until the rescan's analyses arrive.
    assert_eq!(press(&mut s, KeyCode::Char('r')), Some(Effect::Scan));
    assert_eq!(press(&mut s, KeyCode::Char('y')), None);
    assert!(refused(&s, "wait for this one, then press y again"));
    header_pass(&mut s);
    assert_eq!(press(&mut s, KeyCode::Char('y')), None);
    assert!(refused(&s, "still reading envelopes"));
    final_pass(&mut s);
    assert!(matches!(
        press(&mut s, KeyCode::Char('y')),
        Some(Effect::Plan { .. })
    ));
}

#[test]
fn a_plan_built_while_its_scan_failed_is_dropped_and_enter_refused() {
    // The worker recovers an interrupted batch before planning and scans again; that scan's
    // envelope pass fails: its plan (from the header pass' records) is not shown.
    let mut s = state((80, 24), 30, 7, false);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    let ask = press(&mut s, KeyCode::Char('y')).expect("a plan request");
    header_pass(&mut s);
    update(
        &mut s,
        Action::Worker(Report::ScanFailed("scan failed: vanished".into())),
    );
    let plan = answer(&s, &ask, false);
    update(
        &mut s,
        Action::Worker(Report::Planned(Box::new(plan.clone()))),
    );
    assert_eq!(
        s.popup,
        Popup::None,
        "the planning popup closed with the failure"
    );
    // A confirmation still open on partial records is refused and dropped.
    s.popup = Popup::Confirm(plan);
    assert_eq!(press(&mut s, KeyCode::Enter), None);
    assert_eq!(s.popup, Popup::None);
    assert!(refused(&s, "press r to scan again"));
}

#[test]
fn an_unrelated_error_does_not_end_the_scan() {
    // Before the first analysis (the worker's recovery, the yank area) and during the
    // envelope pass (the --log note): shown, and the scan goes on.
    let mut s = AppState::default();
    update(
        &mut s,
        Action::Worker(Report::Error("recovery: qmail-send is running".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Scanning);
    assert!(refused(&s, "recovery"));
    let mut s = reading_envelopes();
    update(
        &mut s,
        Action::Worker(Report::Error("--log: /var/log/maillog: not found".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Envelopes);
    assert!(refused(&s, "--log"));
    final_pass(&mut s);
    assert_eq!(s.status.phase, ScanPhase::Ready);
}

#[test]
fn scan_failed_ends_a_scan_in_either_pass_and_r_scans_again() {
    let mut s = reading_envelopes();
    update(
        &mut s,
        Action::Worker(Report::ScanFailed("the scan stopped unexpectedly".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Failed);
    assert!(refused(&s, "the scan stopped unexpectedly"));
    assert!(s.data.is_some(), "the header pass stays shown");
    // A rescan of complete records failing in its header pass: those stay, and act.
    let mut s = state((80, 24), 30, 7, false);
    assert_eq!(press(&mut s, KeyCode::Char('r')), Some(Effect::Scan));
    update(
        &mut s,
        Action::Worker(Report::ScanFailed("cannot start the scan: EAGAIN".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Failed);
    assert_eq!(
        press(&mut s, KeyCode::Char('a')),
        Some(Effect::CheckAccounts)
    );
    assert_eq!(press(&mut s, KeyCode::Char('r')), Some(Effect::Scan));
    assert_eq!(s.status.phase, ScanPhase::Scanning);
}

#[test]
fn the_header_pass_is_let_go_before_the_full_analysis_keeping_marks_and_the_cluster() {
    let mut s = reading_envelopes();
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    let cluster = lists::selected_value(&s);
    assert!(cluster.is_some(), "a cluster is selected");
    // The envelopes are read: the worker waits for the header pass' records to be dropped
    // before it builds their analysis.
    update(&mut s, Action::Worker(Report::Analysing));
    assert_eq!(s.status.phase, ScanPhase::Analysing);
    assert!(s.data.is_none(), "the header pass' records are let go");
    assert!(s.clusters.order.is_empty() && s.messages.rows.is_empty());
    assert_eq!(s.marks.ids.len(), 30, "the marks stay");
    assert_eq!(press(&mut s, KeyCode::Char('y')), None);
    assert!(refused(&s, "still analysing envelopes"));
    assert!(refused(&s, "then press y again"));
    final_pass(&mut s);
    assert_eq!(s.status.phase, ScanPhase::Ready);
    assert_eq!(
        lists::selected_value(&s),
        cluster,
        "the same cluster selected"
    );
    let ask = press(&mut s, KeyCode::Char('y'));
    assert!(
        matches!(&ask, Some(Effect::Plan { request: PlanRequest::Yank(ids), .. }) if ids.len() == 30),
        "{ask:?}"
    );

    // Complete records shown (an action's refresh, a late report): nothing is let go.
    let mut s = state((80, 24), 30, 7, false);
    update(&mut s, Action::Worker(Report::Analysing));
    assert_eq!(s.status.phase, ScanPhase::Ready);
    assert!(s.data.is_some());
}

/// The status line at 80 columns, as drawn.
fn status_line(s: &AppState) -> String {
    use ratatui::widgets::Widget;
    let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 80, 1));
    let theme = crate::tui::view::Theme { colour: false };
    crate::tui::view::status::StatusLine::new(s, theme).render(buf.area, &mut buf);
    (0..80).map(|x| buf[(x, 0)].symbol()).collect()
}

/// The "wait for the scan" refusal was cut at 80 columns before its advice (`…: wait for the
/// scan to finish, the…`) and stayed on the line after the scan had finished.
#[test]
fn a_wait_for_the_scan_notice_is_whole_at_80_columns_and_goes_with_the_scan() {
    let mut s = reading_envelopes();
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    press(&mut s, KeyCode::Char('y'));
    let line = status_line(&s);
    assert!(line.contains("then press y again"), "{line}");
    // The longest key, in the longest phase.
    update(&mut s, Action::Worker(Report::Analysing));
    update(
        &mut s,
        Action::Worker(Report::YankArea(Box::new(listing()))),
    );
    s.ui.focus = Focus::Yanked;
    press(&mut s, KeyCode::Enter);
    let line = status_line(&s);
    assert!(line.contains("then press Enter again"), "{line}");
    s.ui.focus = Focus::Clusters;
    final_pass(&mut s);
    assert_eq!(s.status.phase, ScanPhase::Ready);
    assert_eq!(
        s.status.notice, None,
        "the scan is done: nothing to wait for"
    );
}
