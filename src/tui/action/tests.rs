//! `update()` without a terminal or a disk: keys in, state and effects out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::state::{Batch, Focus, MessageSort, PlanKind};
use crate::tui::testdata::{analysis, state, NOW};

fn press(s: &mut AppState, code: KeyCode) -> Option<Effect> {
    let action = from_event(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))?;
    update(s, action)
}

fn chars(s: &mut AppState, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
    }
}

fn confirm_plan(s: &AppState) -> Plan {
    match &s.popup {
        Popup::Confirm(p) => p.clone(),
        other => panic!("expected a confirm popup, got {other:?}"),
    }
}

#[test]
fn moving_onto_a_cluster_lists_its_members() {
    let mut s = state((80, 24), 30, 7, false);
    assert_eq!(s.messages.rows.len(), 37, "row 0 is all messages");
    press(&mut s, KeyCode::Char('j'));
    let c = s.cluster_at(1).expect("cluster row 1");
    assert_eq!(c.messages, 30);
    assert_eq!(s.messages.rows.len(), 30);
    assert!(s.messages.rows.iter().all(|i| c.members.contains(i)));
}

#[test]
fn enter_on_a_message_asks_the_worker_to_inspect_it() {
    let mut s = state((80, 24), 5, 0, false);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Down);
    let (index, rec) = s.selected_record().map(|(i, r)| (i, r.id)).expect("row");
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        Some(Effect::Inspect { index, id: rec })
    );
    assert_eq!(s.ui.focus, Focus::Detail);
    let mut i = Inspection::empty(rec);
    i.received.push("(qmail 1 invoked from network)".into());
    update(&mut s, Action::Inspected(Box::new(i.clone())));
    assert_eq!(s.detail.inspection, Some(i));
    // A late answer for another message is dropped.
    update(
        &mut s,
        Action::Inspected(Box::new(Inspection::empty(MessageId(1)))),
    );
    assert_eq!(s.detail.inspection.as_ref().map(|i| i.id), Some(rec));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.ui.focus, Focus::Messages);
}

#[test]
fn marking_a_cluster_then_yanking_shows_the_counts() {
    let mut s = state((80, 24), 30, 7, false);
    assert_eq!(press(&mut s, KeyCode::Char('y')), None);
    assert_eq!(s.popup, Popup::None, "nothing marked, nothing to confirm");
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    assert_eq!(s.marks.ids.len(), 30);
    assert_eq!(press(&mut s, KeyCode::Char('y')), None, "y only asks");
    let plan = confirm_plan(&s);
    assert_eq!(plan.kind, PlanKind::Yank);
    assert_eq!(plan.targets.len(), 30);
    let data = s.data.as_ref().expect("data");
    let want_rcpts: usize = data.snapshot.records[..30]
        .iter()
        .map(|r| r.recipients.len())
        .sum();
    let want_bytes: u64 = data.snapshot.records[..30].iter().map(|r| r.size).sum();
    assert_eq!(
        (plan.recipients, plan.bytes, plan.clusters_hit),
        (want_rcpts, want_bytes, 1)
    );
    assert!(
        plan.targets.iter().all(|t| t.size.is_some()),
        "sizes guard against reused ids"
    );
}

#[test]
fn the_confirmed_plan_is_exactly_what_is_executed() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    press(&mut s, KeyCode::Char('y'));
    let shown = confirm_plan(&s);
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        Some(Effect::Execute(shown.clone()))
    );
    assert_eq!(
        s.popup,
        Popup::Running {
            plan: shown,
            done: 0
        }
    );
    assert_eq!(
        press(&mut s, KeyCode::Char('q')),
        None,
        "keys wait while it runs"
    );
    assert!(!s.ui.quit);
}

#[test]
fn escape_cancels_without_an_effect() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    press(&mut s, KeyCode::Char('y'));
    assert_eq!(press(&mut s, KeyCode::Esc), None);
    assert_eq!(s.popup, Popup::None);
    assert_eq!(s.marks.ids.len(), 3, "marks survive a cancel");
}

#[test]
fn a_running_qmail_send_refuses_unless_forced() {
    let mut s = state((80, 24), 3, 2, false);
    update(&mut s, Action::QueueStatus(Some(true), None));
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    press(&mut s, KeyCode::Char('y'));
    let shown = confirm_plan(&s);
    assert_eq!(shown.send, SendState::Running);
    assert_eq!(press(&mut s, KeyCode::Enter), None, "Enter refuses");
    assert!(s.status.notice.as_ref().is_some_and(|n| n.is_error));
    let forced = Plan {
        force: true,
        ..shown
    };
    assert_eq!(
        press(&mut s, KeyCode::Char('F')),
        Some(Effect::Execute(forced))
    );
}

#[test]
fn done_unmarks_records_a_batch_and_undo_restores_it() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    press(&mut s, KeyCode::Char('y'));
    let Some(Effect::Execute(plan)) = press(&mut s, KeyCode::Enter) else {
        panic!("execute")
    };
    let ids: Vec<MessageId> = plan.targets.iter().map(|t| t.id).collect();
    let outcome = Outcome {
        plan,
        done: ids.clone(),
        skipped: vec![],
        at: NOW,
    };
    update(&mut s, Action::Done(Box::new(outcome)));
    assert_eq!(s.popup, Popup::None);
    assert!(s.marks.ids.is_empty());
    assert_eq!(
        s.yank_area.batches,
        vec![Batch {
            number: 1,
            at: NOW,
            ids: ids.clone()
        }]
    );
    press(&mut s, KeyCode::Char('u'));
    let restore = confirm_plan(&s);
    assert_eq!(
        restore.kind,
        PlanKind::Restore {
            batch: Some(1),
            what: "batch 1".into()
        }
    );
    assert_eq!(
        restore.targets.iter().map(|t| t.id).collect::<Vec<_>>(),
        ids
    );
    let Some(Effect::Execute(p)) = press(&mut s, KeyCode::Enter) else {
        panic!("execute")
    };
    update(
        &mut s,
        Action::Done(Box::new(Outcome {
            plan: p,
            done: ids,
            skipped: vec![],
            at: NOW,
        })),
    );
    assert!(s.yank_area.batches.is_empty());
    press(&mut s, KeyCode::Char('u'));
    assert_eq!(s.popup, Popup::None, "nothing left to undo");
}

#[test]
fn space_marks_one_message_and_moves_on() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Tab);
    let first = s.selected_record().map(|(_, r)| r.id).expect("row");
    press(&mut s, KeyCode::Char(' '));
    assert!(s.marks.ids.contains(&first));
    assert_eq!(s.messages.pos.selected, 1);
    press(&mut s, KeyCode::Char('M'));
    assert_eq!(s.marks.ids.len(), 5, "M marks every listed message");
    press(&mut s, KeyCode::Char('M'));
    assert!(s.marks.ids.is_empty(), "and toggles them off");
}

#[test]
fn a_bad_query_shows_its_span_and_a_good_one_selects() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('/'));
    chars(&mut s, "ip:1.2.3.4 bogus");
    let err = s.query.error.clone().expect("error while typing");
    assert_eq!(&s.query.text[err.span.clone()], "bogus");
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        None,
        "Enter keeps editing on error"
    );
    assert!(s.query.editing);
    for _ in 0.."bogus".len() + 1 {
        press(&mut s, KeyCode::Backspace);
    }
    assert!(s.query.error.is_none());
    let q = Query::parse("ip:1.2.3.4").expect("parse");
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        Some(Effect::Select(Some(q.clone())))
    );
    assert!(!s.query.editing);
    // The worker's answer filters the list; one for an old snapshot is ignored.
    let mut bits = vec![0u64; 1];
    bits[0] = 0b11;
    let sel = Selection {
        generation: 1,
        query: q.clone(),
        bits: bits.clone(),
        count: 2,
    };
    update(
        &mut s,
        Action::Selected(Box::new(Selection {
            generation: 9,
            ..sel.clone()
        })),
    );
    assert_eq!(s.messages.rows.len(), 5);
    update(&mut s, Action::Selected(Box::new(sel)));
    assert_eq!(s.messages.rows.as_slice(), &[0, 1]);
    press(&mut s, KeyCode::Char('/'));
    for _ in 0..20 {
        press(&mut s, KeyCode::Backspace);
    }
    assert_eq!(press(&mut s, KeyCode::Enter), Some(Effect::Select(None)));
    assert_eq!(s.messages.rows.len(), 5, "an empty query clears the filter");
}

#[test]
fn the_key_cycles_and_stale_clusterings_are_dropped() {
    let mut s = state((80, 24), 3, 2, false);
    let next = ClusterKey::ALL[1];
    assert_eq!(
        press(&mut s, KeyCode::Char('c')),
        Some(Effect::Cluster(next))
    );
    let mut other = (*analysis(3, 2, false).clustering).clone();
    other.key = ClusterKey::ALL[5];
    update(&mut s, Action::Clustered(Box::new(other)));
    assert_eq!(
        s.data.as_ref().map(|d| d.clustering.key),
        Some(ClusterKey::ALL[0])
    );
    let mut right = (*analysis(3, 2, false).clustering).clone();
    right.key = next;
    update(&mut s, Action::Clustered(Box::new(right)));
    assert_eq!(s.data.as_ref().map(|d| d.clustering.key), Some(next));
}

#[test]
fn new_data_keeps_the_cursor_on_the_same_cluster() {
    let mut s = state((80, 24), 3, 5, false);
    // Walk down to the `test` cluster wherever the ranking placed it.
    for _ in 0..4 {
        if crate::tui::lists::selected_value(&s) == Some(Some("test".to_string())) {
            break;
        }
        press(&mut s, KeyCode::Char('j'));
    }
    let before = crate::tui::lists::selected_value(&s);
    assert_eq!(before, Some(Some("test".to_string())));
    // A rescan: a new interner, and the order of the clusters changes.
    update(&mut s, Action::Analysed(Box::new(analysis(9, 5, false))));
    assert_eq!(crate::tui::lists::selected_value(&s), before);
    assert_eq!(s.clusters.pos.selected, 1);
}

#[test]
fn sorting_and_paging_follow_the_screen_size() {
    let mut s = state((80, 24), 200, 0, false);
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char('s'));
    assert_eq!(s.messages.sort, MessageSort::Age);
    let ages: Vec<i64> = s
        .messages
        .rows
        .iter()
        .map(|&i| {
            s.data
                .as_ref()
                .map_or(0, |d| d.snapshot.records[i as usize].queued)
        })
        .collect();
    assert!(ages.windows(2).all(|w| w[0] <= w[1]));
    press(&mut s, KeyCode::Home);
    press(&mut s, KeyCode::PageDown);
    let page = crate::tui::lists::visible_rows(&s, Focus::Messages);
    assert_eq!(s.messages.pos.selected, page);
    update(&mut s, Action::Resize(120, 40));
    press(&mut s, KeyCode::End);
    assert_eq!(s.messages.pos.selected, 199);
    let page = crate::tui::lists::visible_rows(&s, Focus::Messages);
    assert_eq!(s.messages.pos.offset, 200 - page);
}

#[test]
fn help_closes_on_any_key_and_q_quits() {
    let mut s = state((80, 24), 1, 0, false);
    press(&mut s, KeyCode::Char('?'));
    assert_eq!(s.popup, Popup::Help);
    press(&mut s, KeyCode::Char('x'));
    assert_eq!(s.popup, Popup::None);
    assert!(!s.ui.quit);
    press(&mut s, KeyCode::Char('q'));
    assert!(s.ui.quit);
}

#[test]
fn a_scan_error_is_shown_and_rescan_asks_the_worker() {
    let mut s = AppState::default();
    update(
        &mut s,
        Action::Error("scan failed: /q: not a qmail queue".into()),
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
