//! `update()` on marking: what the marks are named by in the confirmation and the journal
//! (a cluster, a cluster without a value, a filter's query).

use crossterm::event::KeyCode;

use super::tests::press;
use super::*;
use crate::tui::testdata::state;

/// The cluster without a value is named in what a yank chose (and so in the journal's query),
/// as the pane names it: it once read only `7 marked messages`.
#[test]
fn marks_of_the_cluster_without_a_value_name_it() {
    let mut s = state((80, 24), 30, 7, false);
    let row = (1..10)
        .find(|&r| crate::tui::lists::row_value(&s, r) == Some(None))
        .expect("a (none) row");
    s.clusters.pos.selected = row;
    press(&mut s, KeyCode::Char('m'));
    let ask = press(&mut s, KeyCode::Char('y')).expect("y asks the worker for a plan");
    let Effect::Plan { what, .. } = &ask else {
        panic!("{ask:?}")
    };
    assert_eq!(what, "7 marked messages of auth-user (none)");
}

/// Marked as a filter listed them, the marks are named by the query too: the journal said
/// `750 marked messages of uid 48` of one plugin's mail (newuser56).
#[test]
fn marks_of_a_filtered_list_name_the_query() {
    let mut s = state((80, 24), 30, 7, false);
    press(&mut s, KeyCode::Char('/'));
    super::tests::chars(&mut s, "subject:cheap");
    let q = crate::query::Query::parse("subject:cheap").expect("parse");
    assert_eq!(
        press(&mut s, KeyCode::Enter),
        Some(Effect::Select(Some(q.clone())))
    );
    // The worker's answer: the first ten messages match.
    let sel = crate::tui::state::Selection {
        generation: 1,
        query: q,
        bits: vec![(1u64 << 10) - 1],
        count: 10,
    };
    update(&mut s, Action::Worker(Report::Selected(Box::new(sel))));
    assert_eq!(s.messages.rows.len(), 10);
    press(&mut s, KeyCode::Char('M'));
    let (_, what) = crate::tui::marks::marked(&s).expect("marks");
    assert_eq!(
        what,
        "10 marked messages of auth-user test matching subject:cheap"
    );
    // One unmarked: the marks are no longer what the query lists.
    let one = *s.marks.ids.iter().next().expect("a mark");
    s.marks.ids.remove(&one);
    let (_, what) = crate::tui::marks::marked(&s).expect("marks");
    assert_eq!(what, "9 marked messages of auth-user test");
}
