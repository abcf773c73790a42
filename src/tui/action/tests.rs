//! `update()` without a terminal or a disk, keys in, state and effects out: navigation, the
//! filter, help and the worker's reports (the actions' tests are in `act_tests.rs`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::actions::plan::BatchOutcome;
use crate::actions::Direction;
use crate::actions::RecoveryReport;
use crate::query::Query;
use crate::queue::MessageId;
use crate::tui::state::Inspection;
use crate::tui::state::{Focus, MessageSort};
use crate::tui::testdata::{analysis, state, watch_update};
use crate::watch::{PollReason, WatchMode};

pub(super) fn notice_text(s: &AppState) -> String {
    s.status
        .notice
        .as_ref()
        .map_or(String::new(), |n| n.text.clone())
}

pub(super) fn press(s: &mut AppState, code: KeyCode) -> Option<Effect> {
    let action = from_event(s, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))?;
    update(s, action)
}

pub(super) fn chars(s: &mut AppState, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
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
    let data = s.data.as_ref().expect("data");
    let ci = s.clusters.order[0];
    assert!(s
        .messages
        .rows
        .iter()
        .all(|i| data.clustering.cluster_of[i as usize] == ci));
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
    update(
        &mut s,
        Action::Worker(Report::Inspected(Box::new(i.clone()))),
    );
    assert_eq!(s.detail.inspection, Some(i));
    // A late answer for another message is dropped.
    update(
        &mut s,
        Action::Worker(Report::Inspected(Box::new(Inspection::empty(MessageId(1))))),
    );
    assert_eq!(s.detail.inspection.as_ref().map(|i| i.id), Some(rec));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.ui.focus, Focus::Messages);
}

#[test]
fn recovery_and_watch_updates_are_shown() {
    let mut s = state((80, 24), 30, 7, false);
    let report = RecoveryReport {
        completed: vec![BatchOutcome {
            batch: "20261119-070000-0001".into(),
            direction: Direction::Yank,
            messages: 12,
            files: 36,
            failed: vec![],
            gone: vec![],
            retimed_only: false,
        }],
        abandoned: vec!["20261119-070100-0002".into()],
    };
    update(&mut s, Action::Worker(Report::Recovered(report)));
    let text = notice_text(&s);
    assert!(
        text.starts_with(
            "recovered interrupted batch 20261119-070000-0001 (yank): 12 messages, 36 files \
             moved now, 0 failed; closed batch 20261119-070100-0002: interrupted before anything \
             moved"
        ),
        "{text}"
    );
    // A closed batch alone is said as the CLI says it: it read `recovery:; closed 1
    // batch(es) ...` (style53).
    let closed = RecoveryReport {
        completed: vec![],
        abandoned: vec!["20261119-070100-0002".into()],
    };
    assert_eq!(
        crate::tui::plan::recovery_text(&closed).as_deref(),
        Some("closed batch 20261119-070100-0002: interrupted before anything moved")
    );
    for (size, mode) in [
        (40, WatchMode::Notify),
        (52, WatchMode::Polling(PollReason::EventsLost)),
    ] {
        update(
            &mut s,
            Action::Worker(Report::Watch(
                ClusterKey::AuthUser,
                Box::new(watch_update(size, mode)),
            )),
        );
    }
    let w = &s.status.watch;
    assert_eq!(w.history.iter().copied().collect::<Vec<_>>(), vec![40, 52]);
    assert_eq!((w.queue_size, w.growth_per_min), (Some(52), Some(12.0)));
    assert_eq!(w.mode, Some(WatchMode::Polling(PollReason::EventsLost)));
    let live = s.clusters.live.as_ref().expect("live rates");
    assert_eq!(live.key, ClusterKey::AuthUser);
    assert_eq!(live.by_value.get("test"), Some(&11.0));
    assert!(
        !live.by_value.contains_key("86.107.221.138"),
        "origin-ip rates are not this key's"
    );
    for _ in 0..crate::watch::HISTORY_LEN + 5 {
        update(
            &mut s,
            Action::Worker(Report::Watch(
                ClusterKey::AuthUser,
                Box::new(watch_update(1, WatchMode::Notify)),
            )),
        );
    }
    assert_eq!(
        s.status.watch.history.len(),
        crate::watch::HISTORY_LEN,
        "bounded"
    );
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
    // The filter selects messages: typed over the clusters pane, its list gets the keys.
    assert_eq!(s.ui.focus, Focus::Messages);
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
        Action::Worker(Report::Selected(Box::new(Selection {
            generation: 9,
            ..sel.clone()
        }))),
    );
    assert_eq!(s.messages.rows.len(), 5);
    update(&mut s, Action::Worker(Report::Selected(Box::new(sel))));
    assert_eq!(s.messages.rows.iter().collect::<Vec<_>>(), [0, 1]);
    press(&mut s, KeyCode::Char('/'));
    for _ in 0..20 {
        press(&mut s, KeyCode::Backspace);
    }
    assert_eq!(press(&mut s, KeyCode::Enter), Some(Effect::Select(None)));
    assert_eq!(s.messages.rows.len(), 5, "an empty query clears the filter");
    // Cleared from the clusters pane, the keys stay there: no list was chosen.
    press(&mut s, KeyCode::Tab);
    assert_eq!(s.ui.focus, Focus::Clusters);
    press(&mut s, KeyCode::Char('/'));
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.ui.focus, Focus::Clusters);
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
    update(&mut s, Action::Worker(Report::Clustered(Box::new(other))));
    assert_eq!(
        s.data.as_ref().map(|d| d.clustering.key),
        Some(ClusterKey::ALL[0])
    );
    let said = |s: &AppState| s.status.notice.as_ref().map(|n| n.text.clone());
    let grouping = format!("grouping by {}…", next.name());
    assert_eq!(said(&s), Some(grouping));
    let mut right = (*analysis(3, 2, false).clustering).clone();
    right.key = next;
    update(&mut s, Action::Worker(Report::Clustered(Box::new(right))));
    assert_eq!(s.data.as_ref().map(|d| d.clustering.key), Some(next));
    assert_eq!(said(&s), None, "the grouping is done");
    // `C` goes back, and from the first key to the last (`subject` is near the end).
    assert_eq!(
        press(&mut s, KeyCode::Char('C')),
        Some(Effect::Cluster(ClusterKey::ALL[0]))
    );
    let last = ClusterKey::ALL[ClusterKey::ALL.len() - 1];
    assert_eq!(
        press(&mut s, KeyCode::Char('C')),
        Some(Effect::Cluster(last))
    );
}

#[test]
fn new_data_keeps_the_cursor_on_the_same_cluster() {
    let mut s = state((80, 24), 3, 5, false);
    // Walk down to the `test` cluster wherever the ranking placed it.
    for _ in 0..4 {
        if crate::tui::lists::selected_value(&s) == Some(Some(b"test".to_vec())) {
            break;
        }
        press(&mut s, KeyCode::Char('j'));
    }
    let before = crate::tui::lists::selected_value(&s);
    assert_eq!(before, Some(Some(b"test".to_vec())));
    // A rescan: a new interner, and the order of the clusters changes.
    update(
        &mut s,
        Action::Worker(Report::Analysed(Box::new(analysis(9, 5, false)))),
    );
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
        .map(|i| {
            s.data
                .as_ref()
                .map_or(0, |d| d.snapshot.records[i as usize].queued())
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
fn with_messages_marked_q_asks_for_a_second_q() {
    let mut s = state((80, 24), 3, 2, false);
    s.marks.ids.extend([MessageId(7), MessageId(8)]);
    press(&mut s, KeyCode::Char('q'));
    assert!(!s.ui.quit);
    let said = s.status.notice.as_ref().map(|n| n.text.clone());
    assert_eq!(
        said.as_deref(),
        Some("2 messages marked: q again quits and forgets the marks (no mail is touched)")
    );
    // Another key in between disarms it, and takes the notice away; so does one bound to
    // nothing here.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.status.notice, None);
    press(&mut s, KeyCode::Char('q'));
    press(&mut s, KeyCode::Char('z'));
    assert_eq!(s.status.notice, None);
    press(&mut s, KeyCode::Char('q'));
    assert!(!s.ui.quit);
    assert!(!s.ui.quit);
    press(&mut s, KeyCode::Char('q'));
    assert!(s.ui.quit);
    // Ctrl-C does not ask.
    let mut s = state((80, 24), 3, 2, false);
    s.marks.ids.insert(MessageId(7));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    if let Some(c) = crate::tui::keys::command_for(&s, ctrl_c) {
        update(&mut s, Action::Cmd(c));
    }
    assert!(s.ui.quit);
}

/// With a cluster selected the list shows the query's matches in it: the notice says both.
#[test]
fn a_query_over_a_selected_cluster_counts_both() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('j'));
    assert_eq!(s.clusters.pos.selected, 1, "the culprit's row");
    let in_cluster = s.messages.rows.len();
    assert_eq!(in_cluster, 3);
    // Records 0 and 1 are the culprit's, record 3 is not.
    let q = Query::parse("ip:1.2.3.4").expect("parse");
    let sel = Selection {
        generation: 1,
        query: q.clone(),
        bits: vec![0b1011],
        count: 3,
    };
    s.query.applied = Some(q);
    update(&mut s, Action::Worker(Report::Selected(Box::new(sel))));
    assert_eq!(s.messages.rows.len(), 2);
    assert_eq!(
        notice_text(&s),
        "query matched 3 messages, 2 of them in this cluster; g on the clusters pane shows \
         them all"
    );
    // Typing the next query: that count no longer describes it.
    press(&mut s, KeyCode::Char('/'));
    assert_eq!(s.status.notice, None);
}

/// The filter bar edits as a shell's line does: Ctrl-U clears before the caret, Ctrl-A/Home
/// and Ctrl-E/End move to the ends, Del deletes at the caret; no chord is ever typed as text.
#[test]
fn the_filter_bar_takes_a_shells_editing_keys() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('/'));
    chars(&mut s, "auth:test");
    let ctrl = |s: &mut AppState, c: char| {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        if let Some(a) = from_event(s, Event::Key(key)) {
            update(s, a);
        }
    };
    ctrl(&mut s, 'a');
    assert_eq!(s.query.cursor, 0);
    press(&mut s, KeyCode::Delete);
    assert_eq!(s.query.text, "uth:test");
    ctrl(&mut s, 'e');
    assert_eq!(s.query.cursor, s.query.text.len());
    ctrl(&mut s, 'w');
    let alt = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::ALT);
    if let Some(a) = from_event(&s, Event::Key(alt)) {
        update(&mut s, a);
    }
    assert_eq!(s.query.text, "uth:test", "a chord is not text");
    press(&mut s, KeyCode::Left);
    press(&mut s, KeyCode::Left);
    ctrl(&mut s, 'u');
    assert_eq!((s.query.text.as_str(), s.query.cursor), ("st", 0));
    press(&mut s, KeyCode::End);
    press(&mut s, KeyCode::Home);
    chars(&mut s, "ip:1.2.3.4 te");
    assert_eq!(s.query.text, "ip:1.2.3.4 test");
}

/// A paste is text for the filter bar and nothing anywhere else: its newline does not apply
/// the query, its letters are no commands, and a control byte shows as `\u{1}` instead of
/// moving the caret (newuser51: a pasted `q` quit, an `x` cleared the marks).
#[test]
fn a_paste_is_text_in_the_filter_bar_and_never_keys() {
    let mut s = state((80, 24), 3, 2, false);
    s.marks.ids.insert(MessageId(7));
    let paste = |s: &mut AppState, text: &str| {
        from_event(s, Event::Paste(text.into())).and_then(|a| update(s, a))
    };
    assert_eq!(paste(&mut s, "qx\nq"), None);
    assert!(!s.ui.quit && !s.query.editing && s.marks.ids.len() == 1);
    press(&mut s, KeyCode::Char('/'));
    chars(&mut s, "ip:1.2.3.4 ");
    assert_eq!(paste(&mut s, "auth:te\u{1}st\nsubject:x\u{202e}y"), None);
    assert_eq!(
        s.query.text,
        "ip:1.2.3.4 auth:te\\u{1}st subject:x\\u{202e}y"
    );
    assert_eq!(s.query.cursor, s.query.text.len());
    assert!(s.query.editing && !s.ui.quit && s.marks.ids.len() == 1);
    let q = Query::parse(&s.query.text).expect("a pasted query parses");
    assert_eq!(press(&mut s, KeyCode::Enter), Some(Effect::Select(Some(q))));
}

/// A pasted backslash right before a control character is a backslash: `a\` then Ctrl-A is
/// those two characters, not `a\u{1}` read as `a\` and `u{1}` (review51b), whether the
/// backslash came in the paste, was typed before it, or ends an even run (already escaped).
#[test]
fn a_pasted_backslash_before_a_control_character_stays_a_backslash() {
    let paste = |typed: &str, text: &str| {
        let mut s = state((80, 24), 3, 2, false);
        press(&mut s, KeyCode::Char('/'));
        chars(&mut s, typed);
        from_event(&s, Event::Paste(text.into())).and_then(|a| update(&mut s, a));
        s.query.text
    };
    let same = |a: &str, b: &str| {
        let (a, b) = (
            Query::parse(a).expect("parses"),
            Query::parse(b).expect("parses"),
        );
        a == b
    };
    // `subject:"a\\` + U+0001 + `"` written by hand.
    let wanted = "subject:\"a\\\\\\u{1}\"";
    assert!(same(&paste("", "subject:\"a\\\u{1}\""), wanted));
    assert!(same(&paste("subject:\"a\\", "\u{1}\""), wanted));
    assert!(
        !same(wanted, "subject:\"a\\\\u{1}\""),
        "the test tells them apart"
    );
    // Two backslashes are one escaped backslash already: a third would escape the `\u`.
    let two = paste("", "subject:\"a\\\\\u{1}\"");
    assert_eq!(two, "subject:\"a\\\\\\u{1}\"");
    // In a regex the escape is the regex's: a backslash before `\u{1}` is doubled too.
    let re = paste("", "subject:/a\\\u{1}/");
    assert_eq!(re, "subject:/a\\\\\\u{1}/");
    for text in [two, re] {
        Query::parse(&text).expect("parses");
    }
}

/// New records keep only the marks of the messages they still hold as the same message: gone
/// (another terminal's yank) or another message at the id (qmail reused the inode: another
/// size) is unmarked, and the notice says how many (newuser51: `marked 9,544` after a rescan).
#[test]
fn new_records_drop_the_marks_of_messages_gone_or_replaced() {
    let mut s = state((80, 24), 3, 2, false);
    s.marks
        .ids
        .extend([MessageId(10_000), MessageId(10_001), MessageId(10_003)]);
    let mut a = crate::tui::testdata::analysis(3, 2, false);
    let snap = std::sync::Arc::get_mut(&mut a.snapshot).expect("not shared yet");
    snap.records.retain(|r| r.id != MessageId(10_001));
    let replaced = (snap.records.iter_mut())
        .find(|r| r.id == MessageId(10_003))
        .expect("listed");
    replaced.size += 1;
    update(&mut s, Action::Worker(Report::Analysed(Box::new(a))));
    assert_eq!(
        s.marks.ids.iter().copied().collect::<Vec<_>>(),
        [MessageId(10_000)]
    );
    assert_eq!(
        notice_text(&s),
        "1 marked message left the queue since marked (yanked, delivered or removed \
         elsewhere); 1 marked message still queued but changed since marked (#10003: its \
         queueing finished, or new mail took its id): look at it again (/id:10003): unmarked"
    );
    // The same records again: nothing more goes, nothing is said.
    s.status.notice = None;
    let again = crate::tui::testdata::analysis(3, 2, false);
    update(&mut s, Action::Worker(Report::Analysed(Box::new(again))));
    assert_eq!(s.marks.ids.len(), 1);
    assert_eq!(s.status.notice, None);
}

/// `x` says how many marks it cleared: one keystroke (or an Esc run into it) from a big
/// marking (newuser51).
#[test]
fn clearing_marks_says_how_many() {
    let mut s = state((80, 24), 3, 2, false);
    s.marks.ids.extend([MessageId(7), MessageId(8)]);
    press(&mut s, KeyCode::Char('x'));
    assert!(s.marks.ids.is_empty());
    assert_eq!(notice_text(&s), "2 marks cleared");
    press(&mut s, KeyCode::Char('x'));
    assert_eq!(notice_text(&s), "nothing was marked");
}

/// A mark made while its message waited in todo/ survives qmail-send preprocessing it: the
/// birth time moves from the todo's mtime to the info's, the message is the same
/// (review51b: 2 of 3 such marks dropped as gone).
#[test]
fn a_mark_made_in_todo_survives_preprocessing() {
    use crate::queue::Subdir;
    let mut before = crate::tui::testdata::analysis(3, 2, false);
    let snap = std::sync::Arc::get_mut(&mut before.snapshot).expect("not shared yet");
    for r in &mut snap.records {
        r.parts.remove(Subdir::Info);
        r.set_queued(r.queued() - 120);
    }
    let mut s = state((80, 24), 3, 2, false);
    update(&mut s, Action::Worker(Report::Analysed(Box::new(before))));
    s.marks.ids.extend([MessageId(10_000), MessageId(10_001)]);
    let after = crate::tui::testdata::analysis(3, 2, false);
    assert!(after.snapshot.records[0].parts.has(Subdir::Info));
    update(&mut s, Action::Worker(Report::Analysed(Box::new(after))));
    assert_eq!(s.marks.ids.len(), 2, "{}", notice_text(&s));
}

/// The cursor follows its cluster by the value's bytes: two senders differing in a byte that
/// is not UTF-8 read the same as text, and new records put the cursor on the other's cluster,
/// where `m` and `y` act (review51b).
#[test]
fn the_cursor_keeps_its_cluster_when_values_differ_in_a_byte() {
    let two = || {
        let mut a = crate::tui::testdata::analysis(6, 2, false);
        let snap = std::sync::Arc::get_mut(&mut a.snapshot).expect("not shared yet");
        let (e9, e8) = (
            snap.strings.intern(b"m\xe9l@example.com"),
            snap.strings.intern(b"m\xe8l@example.com"),
        );
        for (i, r) in snap.records.iter_mut().take(6).enumerate() {
            r.origin.auth_user = Some(if i < 4 { e9 } else { e8 });
        }
        a.clustering = std::sync::Arc::new(crate::tui::worker::clustering(
            &a.snapshot,
            ClusterKey::AuthUser,
        ));
        a
    };
    let mut s = state((80, 24), 3, 2, false);
    update(&mut s, Action::Worker(Report::Analysed(Box::new(two()))));
    let want = Some(Some(b"m\xe8l@example.com".to_vec()));
    let row = (0..s.cluster_rows())
        .find(|&r| crate::tui::lists::row_value(&s, r) == want)
        .expect("listed");
    s.clusters.pos.selected = row;
    update(&mut s, Action::Worker(Report::Analysed(Box::new(two()))));
    assert_eq!(crate::tui::lists::selected_value(&s), want);
}
