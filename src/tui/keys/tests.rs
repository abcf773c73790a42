//! Unit tests of `crate::tui::keys`.
use super::*;

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

#[test]
fn focus_specific_bindings_win() {
    let mut s = AppState::default();
    assert_eq!(command_for(&s, key(K::Char('m'))), Some(C::MarkCluster));
    assert_eq!(command_for(&s, key(K::Char(' '))), None);
    s.ui.focus = Focus::Messages;
    assert_eq!(command_for(&s, key(K::Char(' '))), Some(C::Mark));
    assert_eq!(command_for(&s, key(K::Char('j'))), Some(C::Down));
    assert_eq!(
        command_for(&s, KeyEvent::new(K::Char('c'), KeyModifiers::CONTROL)),
        Some(C::QuitNow)
    );
}

#[test]
fn the_popup_takes_every_key() {
    let s = AppState {
        popup: Popup::Confirm(crate::tui::testdata::confirm_yank(&[7])),
        ..AppState::default()
    };
    assert_eq!(command_for(&s, key(K::Char('y'))), None);
    assert_eq!(command_for(&s, key(K::Enter)), Some(C::Confirm));
    assert_eq!(command_for(&s, key(K::Char('F'))), Some(C::Force));
}

/// Over SSH or tmux, Esc followed quickly by a key arrives as that key with Alt (a terminal
/// sends Alt-k as ESC k). In a confirmation that Esc was a cancel: Esc then Enter must never
/// confirm (nor Esc then F force); it cancels, as the Esc alone would have.
#[test]
fn an_esc_run_into_the_next_key_cancels_a_confirmation() {
    let s = AppState {
        popup: Popup::Confirm(crate::tui::testdata::confirm_yank(&[7])),
        ..AppState::default()
    };
    for code in [K::Enter, K::Char('F'), K::Char('x'), K::Char('y')] {
        let alt = KeyEvent::new(code, KeyModifiers::ALT);
        assert_eq!(command_for(&s, alt), Some(C::Back), "{code:?} with Alt");
    }
}

#[test]
fn docs_list_the_keymap() {
    let doc = include_str!("../../../docs/tui.md");
    assert!(
        doc.contains(&markdown_table()),
        "docs/tui.md is stale; paste:\n{}",
        markdown_table()
    );
}

/// `F force` is hinted only when Enter would be refused: qmail-send running, an action that
/// needs it stopped.
#[test]
fn the_force_hint_shows_only_when_there_is_something_to_force() {
    use crate::tui::state::SendState;
    let mut s = AppState {
        popup: Popup::Confirm(crate::tui::testdata::confirm_yank(&[7])),
        ..AppState::default()
    };
    let forced = |s: &AppState| hints(s).iter().any(|(_, h)| *h == "force");
    s.status.send = SendState::Stopped;
    assert!(!forced(&s));
    s.status.send = SendState::Running;
    assert!(forced(&s));
}
