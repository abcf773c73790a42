//! Unit tests of how `update` follows the scan: failure, rescan, the two passes.

use super::tests::press;
use super::*;
use crate::tui::testdata::analysis;

#[test]
fn a_scan_error_is_shown_and_rescan_asks_the_worker() {
    let mut s = AppState::default();
    update(
        &mut s,
        Action::Worker(Report::Error("scan failed: /q: not a qmail queue".into())),
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
        Action::Worker(Report::Error("scan failed: vanished".into())),
    );
    assert_eq!(s.status.phase, ScanPhase::Failed);
    assert!(s.data.is_some());
}
