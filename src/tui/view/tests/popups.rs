//! The confirmation and planning boxes say everything at every width: they grow with the
//! terminal and wrap, so a warning or a count is never cut at the border.

use ratatui::widgets::Widget;

use super::*;
use crate::tui::state::ClustersHit;
use crate::tui::view::confirm::{ConfirmPopup, PlanningPopup, SendLine};

/// The popup over `s` alone (no panes under it), one string per row inside its border.
fn popup_rows(s: &AppState) -> Vec<String> {
    let (w, h) = s.ui.size;
    let mut buf = Buffer::empty(ratatui::layout::Rect::new(0, 0, w, h));
    let theme = super::super::Theme { colour: false };
    match &s.popup {
        Popup::Confirm(c) => ConfirmPopup {
            confirm: c,
            running: None,
            step: None,
            send: SendLine::Stopped,
            scroll: s.ui.confirm_scroll,
            theme,
        }
        .render(buf.area, &mut buf),
        Popup::Running { confirm: c, done } => ConfirmPopup {
            confirm: c,
            running: Some(*done),
            step: s.status.planning.as_ref(),
            send: SendLine::Stopped,
            scroll: s.ui.confirm_scroll,
            theme,
        }
        .render(buf.area, &mut buf),
        Popup::Planning(what) => PlanningPopup {
            what,
            step: s.status.planning.as_ref(),
            theme,
        }
        .render(buf.area, &mut buf),
        _ => panic!("no popup"),
    }
    assert_no_escape(&buf);
    buf.content()
        .chunks(usize::from(w))
        .map(|r| r.iter().map(|c| c.symbol()).collect::<String>())
        .filter_map(|r| {
            let inner = r.trim().strip_prefix('│')?.strip_suffix('│')?;
            Some(inner.trim().to_string())
        })
        .collect()
}

/// What `u` shows for the journal's newest yank, with four clusters hit.
fn undo_confirm(size: (u16, u16)) -> AppState {
    let mut s = confirming(size, SendState::Stopped);
    let Popup::Confirm(mut c) = s.popup.clone() else {
        panic!("confirming")
    };
    c.what = "batch 20261204-180034-13d9 (tui: 183,310 marked messages of auth-user (none)), \
              the journal's newest yank, not one of this session"
        .to_string();
    c.clusters_hit = Some(ClustersHit {
        count: 4,
        largest: vec![
            ("(none)".into(), 20_000),
            ("test".into(), 7_399),
            ("sales@example.com".into(), 2_350),
        ],
    });
    s.popup = Popup::Confirm(c);
    s
}

#[test]
fn the_confirmation_wraps_its_warning_and_every_cluster_count() {
    for size in [(80, 24), (120, 40), (200, 50)] {
        let s = undo_confirm(size);
        let rows = popup_rows(&s);
        let text = rows.join(" ");
        assert!(
            text.contains("the journal's newest yank, not one of this session"),
            "{size:?}: {rows:#?}"
        );
        for item in [
            "(none) 20,000",
            "test 7,399",
            "sales@example.com 2,350",
            "+1 more",
        ] {
            assert!(
                rows.iter().any(|r| r.contains(item)),
                "{size:?}: {item}: {rows:#?}"
            );
        }
        assert!(!text.contains('…'), "{size:?}: {rows:#?}");
    }
}

#[test]
fn the_planning_box_shows_what_is_planned_whole() {
    for size in [(80, 24), (120, 40), (200, 50)] {
        let mut s = ready(size);
        let what = "batch 20261204-180034-13d9 (tui: 183,310 marked messages of auth-user \
                    (none)), the journal's newest yank, not one of this session";
        s.popup = Popup::Planning(what.to_string());
        let rows = popup_rows(&s);
        assert!(
            rows.join(" ").contains(&format!("{what}…")),
            "{size:?}: {rows:#?}"
        );
    }
}

/// A `chosen` longer than the screen (a batch's query) wraps whole, on lines under its start.
#[test]
fn a_long_chosen_line_wraps_whole() {
    let mut s = ready((80, 24));
    let mut c = crate::tui::testdata::confirm_yank(&[7]);
    c.what = format!("batch 20261203-181621-53ca (tui: {})", "x".repeat(80));
    s.popup = Popup::Confirm(c);
    let rows = popup_rows(&s);
    let xs: usize = rows.iter().map(|r| r.matches('x').count()).sum();
    assert_eq!(xs, 80, "{rows:#?}");
    assert!(rows.iter().all(|r| !r.contains('…')), "{rows:#?}");
}

/// Marks the cleanup plan would not take (an account sending as itself, inbound mail): the
/// popup says how many and of which kinds, whole at every width, in the danger colour.
#[test]
fn a_yank_of_marks_the_plan_keeps_says_so_with_counts() {
    use crate::analysis::plan::Remaining;
    for size in [(80, 24), (200, 50)] {
        let mut s = ready(size);
        let mut c = crate::tui::testdata::confirm_yank(&[7]);
        c.not_in_plan = Some(crate::tui::state::NotInPlan {
            messages: 1_250,
            kinds: vec![
                Remaining {
                    messages: 1_000,
                    words: "from 1 AUTH user each from one IP, sending as themselves".into(),
                },
                Remaining {
                    messages: 250,
                    words: "inbound mail from 3 sender domains to local users".into(),
                },
            ],
            culprits: 2,
        });
        s.popup = Popup::Confirm(c);
        let text = popup_rows(&s).join(" ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for words in [
            "not in plan 1,250 of these the cleanup plan (p) keeps, no culprit's:",
            "1,000 from 1 AUTH user each from one IP, sending as themselves ·",
            "250 inbound mail from 3 sender domains to local users",
        ] {
            assert!(text.contains(words), "{size:?}: {words}: {text}");
        }
        assert!(!text.contains('…'), "{size:?}: {text}");
    }
    // None kept: no line.
    let mut s = ready((80, 24));
    let mut c = crate::tui::testdata::confirm_yank(&[7]);
    c.not_in_plan = Some(crate::tui::state::NotInPlan {
        messages: 0,
        kinds: vec![],
        culprits: 1,
    });
    s.popup = Popup::Confirm(c);
    assert!(!popup_rows(&s).join(" ").contains("not in plan"));
}

/// A plan that takes seconds (an undo of 45,000 messages, the cleanup plan built for a yank's
/// warning) says what the worker is at, counted when it counts, with the seconds: the box
/// once sat unchanged, a frozen screen. Whole at every width.
#[test]
fn the_planning_box_shows_what_the_worker_is_at() {
    use crate::tui::state::PlanStep;
    for size in [(40, 24), (80, 24), (200, 50)] {
        let mut s = ready(size);
        s.popup = Popup::Planning("batch 20261204-180034-13d9 (tui: 45,000 marked)".into());
        assert!(
            !popup_rows(&s).join(" ").contains(" s"),
            "nothing before a step"
        );
        s.status.planning = Some(PlanStep {
            what: "checking the messages to put back",
            done: 12_000,
            total: 45_000,
            ms: 3_400,
        });
        let text = popup_rows(&s).join(" ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let want = "checking the messages to put back: 12,000 of 45,000 · 3 s";
        assert!(text.contains(want), "{size:?}: {text}");
        s.status.planning = Some(PlanStep {
            what: "building the cleanup plan (what of the marks it keeps)",
            done: 0,
            total: 0,
            ms: 5_100,
        });
        let text = popup_rows(&s).join(" ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let want = "building the cleanup plan (what of the marks it keeps)… 5 s";
        assert!(text.contains(want), "{size:?}: {text}");
        assert!(text.contains("Esc cancel"), "{size:?}: {text}");
    }
}

/// Once an undo's messages are moved, the worker reads them all again and analyses the queue
/// (seconds at 45,000): the gauge says so instead of standing full and still, as it did.
#[test]
fn a_full_gauge_gives_way_to_what_follows_the_moves() {
    use crate::tui::state::PlanStep;
    let mut s = confirming((80, 24), SendState::Stopped);
    let Popup::Confirm(c) = s.popup.clone() else {
        panic!("confirming")
    };
    let n = c.plan.message_count() as u64;
    assert!(n > 1);
    s.popup = Popup::Running {
        confirm: c,
        done: n,
    };
    let full = format!("{n} / {n}");
    let text = popup_rows(&s).join(" ");
    assert!(text.contains(&full), "{text}");
    s.status.planning = Some(PlanStep {
        what: "reading them again",
        done: 1,
        total: 2,
        ms: 2_500,
    });
    let text = popup_rows(&s).join(" ");
    assert!(text.contains("reading them again: 1 of 2 · 2 s"), "{text}");
    assert!(!text.contains(&full), "{text}");
    s.status.planning = Some(PlanStep {
        what: "analysing the queue",
        done: 0,
        total: 0,
        ms: 4_000,
    });
    let text = popup_rows(&s).join(" ");
    assert!(text.contains("analysing the queue… 4 s"), "{text}");
}

/// Before its first move a batch checks files and writes its journal (7 s at 75,960
/// messages): the gauge says so, where `0 / 75,960` alone read as hung; then it counts.
#[test]
fn an_empty_gauge_says_what_comes_before_the_first_move() {
    let mut s = confirming((80, 24), SendState::Stopped);
    let Popup::Confirm(c) = s.popup.clone() else {
        panic!("confirming")
    };
    let n = c.plan.message_count() as u64;
    assert!(n > 1);
    s.popup = Popup::Running {
        confirm: c.clone(),
        done: 0,
    };
    let text = popup_rows(&s).join(" ");
    let waiting = format!("0 / {n} · {}", crate::actions::BEFORE_THE_FIRST_MOVE);
    assert!(text.contains(&waiting), "{text}");
    s.popup = Popup::Running {
        confirm: c,
        done: 1,
    };
    let text = popup_rows(&s).join(" ");
    assert!(text.contains(&format!("1 / {n}")), "{text}");
    assert!(
        !text.contains(crate::actions::BEFORE_THE_FIRST_MOVE),
        "{text}"
    );
}

/// A confirmation taller than the screen (40x12, a warning of real mail in the marks) keeps
/// Enter and Esc on its bottom border, says it scrolls, and j shows every line of it: at 40x12
/// the warning's end, qmail-send's line and the keys were cut off with no sign (newuser49).
#[test]
fn a_confirmation_taller_than_the_screen_scrolls_and_keeps_its_keys() {
    use crate::analysis::plan::Remaining;
    use crossterm::event::{KeyCode, KeyEvent};
    let mut s = confirming((40, 12), SendState::Stopped);
    let Popup::Confirm(mut c) = s.popup.clone() else {
        panic!("confirming")
    };
    c.not_in_plan = Some(crate::tui::state::NotInPlan {
        messages: 2_400,
        kinds: vec![Remaining {
            messages: 2_400,
            words: "from 1 SMTP client without a login to remote addresses".into(),
        }],
        culprits: 6,
    });
    s.popup = Popup::Confirm(c);
    // The warning is on the first page, before the counts (review49).
    let first = screen_text(render(&s).backend().buffer());
    assert!(first.contains("not in plan 2,400 of these"), "{first}");
    let mut seen = String::new();
    let mut last = None;
    while last != Some(s.ui.confirm_scroll) {
        last = Some(s.ui.confirm_scroll);
        let text = screen_text(render(&s).backend().buffer());
        assert!(
            text.contains("Enter do it") && text.contains("Esc cancel"),
            "{text}"
        );
        assert!(text.contains("j/k"), "it says it scrolls: {text}");
        seen.push_str(&text);
        let key = KeyEvent::from(KeyCode::Char('j'));
        if let Some(a) = crate::tui::action::from_event(&s, crate::tui::event::Event::Key(key)) {
            update(&mut s, a);
        }
    }
    assert!(s.ui.confirm_scroll > 0, "40x12 cannot hold it: it scrolls");
    assert!(matches!(s.popup, Popup::Confirm(_)), "j only scrolls");
    for want in [
        "Yank 30",
        "2,400 of these",
        "to remote addresses",
        "qmail-send  stopped",
    ] {
        assert!(seen.contains(want), "{want} never shown:\n{seen}");
    }
    // Cancelled, the next confirmation starts at its top.
    cmd(&mut s, Command::Back);
    let ask = update(&mut s, Action::Cmd(Command::Yank)).expect("a plan request");
    let a = crate::tui::testdata::answer(&s, &ask, false);
    update(&mut s, Action::Worker(Report::Planned(Box::new(a))));
    assert!(matches!(s.popup, Popup::Confirm(_)), "asked again");
    assert_eq!(s.ui.confirm_scroll, 0);
}

/// Enter on the plan over earlier marks says that `y` yanks those too, with the whole count
/// the header shows: "y yanks them" read as the plan's messages alone (newuser49).
#[test]
fn marking_the_plan_over_earlier_marks_says_y_yanks_them_all() {
    use crate::queue::MessageId;
    let mut s = super::cleanup_shown((120, 40));
    s.marks.ids.extend([MessageId(999_001), MessageId(999_002)]);
    cmd(&mut s, Command::MarkPlan);
    assert_eq!(s.marks.ids.len(), 32);
    let notice = s.status.notice.as_ref().map(|n| n.text.as_str());
    assert_eq!(
        notice,
        Some("marked the plan's 30 messages, with the 2 marked before: y yanks all 32")
    );
}

/// A yank of the plan's marks is named by the plan, its culprits listed, in the Planning box,
/// the confirmation and the journal (`tui: WHAT`, `Ops::plan_counted`): it said "30 marked messages" (newuser52: `tui: 17,994
/// marked messages` in `yanked --batches` for the plan's five culprits). Unmarking one says
/// how many of the plan's; a mark of another message, or `x`, drops the plan's name.
#[test]
fn a_yank_of_the_plans_marks_is_named_by_the_plan() {
    let mut s = super::cleanup_shown((120, 40));
    let Popup::Cleanup(c) = &s.popup else {
        panic!("shown");
    };
    let culprit = format!(
        "{} {}",
        c.plan.culprits[0].key.name(),
        c.plan.culprits[0].value
    );
    let first = c.ids[0];
    let planned = c.ids.clone();
    cmd(&mut s, Command::MarkPlan);
    let asked = |s: &mut AppState| match update(s, Action::Cmd(Command::Yank)) {
        Some(Effect::Plan { what, .. }) => what,
        other => panic!("a plan request, not {other:?}"),
    };
    let ask = update(&mut s, Action::Cmd(Command::Yank)).expect("a plan request");
    let Effect::Plan { what, .. } = &ask else {
        panic!("a plan request, not {ask:?}");
    };
    let whole = format!("the cleanup plan's 30 messages (its 1 culprit: {culprit})");
    assert_eq!(what, &whole);
    let a = crate::tui::testdata::answer(&s, &ask, false);
    update(&mut s, Action::Worker(Report::Planned(Box::new(a))));
    assert!(popup_rows(&s).join(" ").contains("the cleanup plan's 30"));
    cmd(&mut s, Command::Back);
    s.marks.ids.remove(&first);
    let what = asked(&mut s);
    assert!(what.starts_with("29 of the cleanup plan's 30 messages (its 1 culprit: "));
    cmd(&mut s, Command::Back);
    let records = &s.data.as_ref().expect("analysed").snapshot.records;
    let other = (records.iter().map(|r| r.id)).find(|id| !planned.contains(id));
    s.marks
        .ids
        .insert(other.expect("a message the plan leaves"));
    assert_eq!(asked(&mut s), "30 marked messages");
    cmd(&mut s, Command::Back);
    cmd(&mut s, Command::ClearMarks);
    s.marks.ids.insert(first);
    assert_eq!(asked(&mut s), "1 marked message of auth-user test");
}

/// A restore's or an expire's confirmation while qmail-send runs says what forcing it risks,
/// not the yank's "may still deliver a moved message" (walk65, walk66).
#[test]
fn a_restore_or_expire_confirmation_warns_of_its_own_risk() {
    let mut s = ready((100, 40));
    s.status.send = SendState::Running;
    let effect = crate::tui::event::Effect::Plan {
        what: "the last yank".into(),
        request: crate::tui::state::PlanRequest::Restore(crate::actions::RestoreSelection::All),
    };
    let a = answer(&s, &effect, true);
    assert_eq!(a.plan.direction, crate::actions::Direction::Restore);
    // As a planned undo leaves it (the state's way there needs a yank area's batches).
    s.popup = Popup::Confirm(a);
    // The screen's words, the popup's lines joined as they wrap.
    let words_of = |s: &AppState| {
        (screen_text(render(s).backend().buffer()).split_whitespace())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let words = words_of(&s);
    assert!(
        words.contains("RUNNING: refused unless forced (F)"),
        "{words}"
    );
    assert!(
        words.contains("F forces it: qmail-send reads the queue when it starts"),
        "{words}"
    );
    assert!(!words.contains("moved message"), "{words}");
    // Nor an expire's, which moves nothing (walk66).
    let words = words_of(&asking((100, 40), SendState::Running, Command::Expire));
    assert!(
        words.contains("F forces it: qmail-send reads a message's age at each delivery"),
        "{words}"
    );
    assert!(!words.contains("moved message"), "{words}");
}

/// At 40x12 while qmail-send runs: its row wraps whole (it was cut, `RUNNING: refused unless
/// f…`), and Enter's refusal shows on the status line the box leaves free (review49: the box
/// covered it, and Enter seemed to do nothing).
#[test]
fn a_narrow_confirmation_says_qmail_send_runs_and_why_enter_refused() {
    let mut s = confirming((40, 12), SendState::Running);
    // The keys fit the bottom border whole, the scroll hint as arrows alone (it was cut at
    // `… ↓ j┘`, newuser60).
    let text = screen_text(render(&s).backend().buffer());
    assert!(
        text.contains("└ Enter refused F force Esc cancel  ↓ ─┘"),
        "{text}"
    );
    let mut seen = String::new();
    let mut last = None;
    while last != Some(s.ui.confirm_scroll) {
        last = Some(s.ui.confirm_scroll);
        seen.push_str(&screen_text(render(&s).backend().buffer()));
        cmd(&mut s, Command::Down);
    }
    assert!(seen.contains("RUNNING: refused unless"), "{seen}");
    assert!(seen.contains("forced (F)"), "wrapped whole: {seen}");
    assert!(!seen.contains("unless f…"), "{seen}");
    // What F risks is said before it is pressed (crash50).
    let words = seen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("F forces it: qmail-send keeps"), "{words}");
    cmd(&mut s, Command::Confirm);
    assert!(matches!(s.popup, Popup::Confirm(_)), "refused");
    let screen = render(&s);
    let buf = screen.backend().buffer();
    let last_row: String = (0..40).map(|x| buf[(x, 11)].symbol().to_string()).collect();
    assert!(last_row.contains("qmail-send is running"), "{last_row:?}");
}

/// A yank when a restore journal cannot be read says, in the danger colour, that what was
/// picked back is not known, as the plan popup and the query bar do.
#[test]
fn a_yank_when_the_picks_are_not_known_says_so() {
    let mut s = ready((80, 24));
    let mut c = crate::tui::testdata::confirm_yank(&[7]);
    c.picks_unknown =
        Some("which messages the operator picked back from the yank area is not known: x".into());
    s.popup = Popup::Confirm(c);
    let text = popup_rows(&s).join(" ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("picked back which messages the operator picked back from the yank area is not known: x: these marks may take it again"),
        "{text}"
    );
}

/// With every mark gone, the plan names no later mark (review54: unmarked by hand, one message
/// marked again was "1 of the cleanup plan's 30 messages" in the confirmation and journal).
#[test]
fn a_plan_unmarked_by_hand_names_no_later_mark() {
    let mut s = super::cleanup_shown((120, 40));
    let Popup::Cleanup(c) = &s.popup else {
        panic!("shown");
    };
    let planned = c.ids.clone();
    cmd(&mut s, Command::MarkPlan);
    let records = &s.data.as_ref().expect("analysed").snapshot.records;
    let rows: Vec<u32> = (0..records.len() as u32)
        .filter(|&i| planned.contains(&records[i as usize].id))
        .collect();
    crate::tui::marks::toggle_marks(&mut s, rows.iter().copied(), "cluster");
    assert!(s.marks.ids.is_empty(), "all unmarked");
    crate::tui::marks::toggle_marks(&mut s, rows[..1].iter().copied(), "cluster");
    let what = match update(&mut s, Action::Cmd(Command::Yank)) {
        Some(Effect::Plan { what, .. }) => what,
        other => panic!("a plan request, not {other:?}"),
    };
    assert!(what.starts_with("1 marked message"), "{what}");
}

/// An undo's confirmation shows its first messages as mail (sender and subject), each on a
/// row of its own under `sample`, wrapped whole at a narrow width (newuser56: counts alone).
#[test]
fn an_undos_confirmation_shows_what_it_puts_back() {
    for size in [(120, 40), (60, 30)] {
        let mut s = undo_confirm(size);
        let Popup::Confirm(mut c) = s.popup.clone() else {
            panic!("confirming")
        };
        c.sample = vec![
            "<service@secure-bank-login.com>  Your account has been limited".into(),
            "<apache@mail.example.com>  Invoice 9745 overdue".into(),
        ];
        s.popup = Popup::Confirm(c);
        let rows = popup_rows(&s);
        let text = rows.join(" ");
        let first = (rows.iter()).position(|r| r.starts_with("sample"));
        assert!(first.is_some(), "{size:?}: {rows:#?}");
        for want in [
            "<service@secure-bank-login.com>",
            "limited",
            "Invoice 9745 overdue",
        ] {
            assert!(text.contains(want), "{size:?}: {want} in {rows:#?}");
        }
    }
}
