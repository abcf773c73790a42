//! `update()` on the actions, without a terminal or a disk: marking, the plan and its
//! confirmation, qmail-send's state, undo, the yank area.

use crossterm::event::KeyCode;

use super::tests::{notice_text, press};
use super::*;
use crate::actions::plan::BatchOutcome;
use crate::actions::RecoveryReport;
use crate::actions::{Direction, Outcome, PurgeSelection, RestoreSelection};
use crate::queue::MessageId;
use crate::tui::event::Finished;
use crate::tui::state::{Confirm, PlanRequest};
use crate::tui::testdata::{answer, listing, state};

fn confirm_plan(s: &AppState) -> Confirm {
    match &s.popup {
        Popup::Confirm(p) => p.clone(),
        other => panic!("expected a confirm popup, got {other:?}"),
    }
}

/// Mark the first cluster (the 30 or 3 spam messages) and press `y`: the plan request.
fn mark_and_yank(s: &mut AppState) -> Effect {
    press(s, KeyCode::Char('j'));
    press(s, KeyCode::Char('m'));
    press(s, KeyCode::Char('y')).expect("y asks the worker for a plan")
}

/// The "worker" answers a plan request.
fn reply(s: &mut AppState, ask: &Effect, send_running: bool) {
    let a = answer(s, ask, send_running);
    update(s, Action::Worker(Report::Planned(Box::new(a))));
}

/// Mark, yank, and let the "worker" answer: the confirmation shown.
fn confirming(s: &mut AppState, send_running: bool) -> Confirm {
    let ask = mark_and_yank(s);
    reply(s, &ask, send_running);
    confirm_plan(s)
}

fn finished(confirm: Confirm, batch: &str, failed: Vec<(MessageId, String)>) -> Finished {
    let direction = confirm.plan.direction;
    let messages = (confirm.plan.messages.len() - failed.len()) as u64;
    Finished {
        confirm,
        outcome: Outcome {
            batch: Some(BatchOutcome {
                batch: batch.into(),
                direction,
                messages,
                files: messages * 3,
                failed,
                gone: vec![],
                retimed_only: false,
            }),
            vanished: vec![],
            skipped: vec![],
            recovered: RecoveryReport::default(),
            forced_while_running: false,
        },
    }
}

/// walk66: a straggler the plan refused (queueing not finished) stays marked and queued, and
/// the status line after the yank says so, not only "yanked 2".
#[test]
fn a_yank_says_what_its_plan_refused() {
    let mut s = state((80, 24), 3, 2, false);
    let mut c = confirming(&mut s, false);
    let plan = std::sync::Arc::make_mut(&mut c.plan);
    let straggler = plan.messages.pop().expect("a message").id;
    let reason = crate::actions::plan::RefusalReason::QueueingUnfinished;
    plan.refused.push(crate::actions::plan::Refusal {
        id: straggler,
        reason,
    });
    s.popup = Popup::Confirm(c);
    let Some(Effect::Execute(c)) = press(&mut s, KeyCode::Enter) else {
        panic!("execute")
    };
    let f = finished(c, "20261119-090000-beef", vec![]);
    update(&mut s, Action::Worker(Report::Done(Box::new(f))));
    assert!(s.marks.ids.contains(&straggler), "{:?}", s.marks.ids);
    let text = notice_text(&s);
    let want = format!("; 1 refused, still marked and queued (#{straggler}: queueing not finished");
    assert!(text.contains(&want), "{text}");
    assert!(text.ends_with("): r rescans, then y"), "{text}");
}

/// `m` on "(all messages)" then `y` or `E` would take the whole queue, the real mail too,
/// three keys from the first screen: refused with a notice and no plan asked, as the CLI
/// refuses an empty query.
#[test]
fn marking_the_whole_queue_then_yanking_or_expiring_is_refused() {
    let mut s = state((80, 24), 30, 7, false);
    press(&mut s, KeyCode::Char('m'));
    assert_eq!(
        s.marks.ids.len(),
        37,
        "m on the first row marks every message"
    );
    // The mark's notice promises no yank `y` refuses.
    let text = notice_text(&s);
    assert_eq!(
        text,
        "all 37 messages marked, real mail too: y refuses; x unmarks"
    );
    for key in ['y', 'E'] {
        assert_eq!(press(&mut s, KeyCode::Char(key)), None, "{key}");
        assert_eq!(s.popup, Popup::None, "{key}");
        let text = notice_text(&s);
        assert!(
            text.starts_with("refused: all 37 messages are marked") && text.contains("'id:*'"),
            "{key}: {text}"
        );
    }
}

#[test]
fn marking_a_cluster_then_yanking_plans_in_the_worker_and_shows_the_counts() {
    let mut s = state((80, 24), 30, 7, false);
    assert_eq!(press(&mut s, KeyCode::Char('y')), None);
    assert_eq!(s.popup, Popup::None, "nothing marked, nothing to confirm");
    assert!(notice_text(&s).starts_with("nothing marked"));
    // Space marks one: the notice no longer holds (it once stayed beside "marked 1").
    press(&mut s, KeyCode::Tab);
    press(&mut s, KeyCode::Char(' '));
    assert_eq!(s.marks.ids.len(), 1);
    assert_eq!(notice_text(&s), "", "the stale notice is gone");
    press(&mut s, KeyCode::Char('x'));
    press(&mut s, KeyCode::Tab);
    let ask = mark_and_yank(&mut s);
    assert_eq!(s.marks.ids.len(), 30);
    let Effect::Plan { what, request } = &ask else {
        panic!("{ask:?}")
    };
    assert_eq!(what, "30 marked messages of auth-user test");
    let records = s.data.as_ref().expect("data").snapshot.records[..30].to_vec();
    let ids: Vec<MessageId> = records.iter().map(|r| r.id).collect();
    assert_eq!(request, &PlanRequest::Yank(ids));
    assert_eq!(s.popup, Popup::Planning(what.clone()), "y only asks");
    reply(&mut s, &ask, false);
    let c = confirm_plan(&s);
    assert_eq!(c.plan.direction, Direction::Yank);
    assert_eq!(c.plan.message_count(), 30);
    let want_rcpts: u64 = records.iter().map(|r| r.recipients.len() as u64).sum();
    assert_eq!(c.plan.recipients(), want_rcpts);
    let hit = c
        .clusters_hit
        .as_ref()
        .expect("counted by update from the plan");
    assert_eq!(
        (hit.count, &hit.largest[..]),
        (1, &[("test".to_string(), 30)][..]),
        "named by update from the plan, as the CLI's dry run names them"
    );
}

#[test]
fn the_confirmed_plan_is_exactly_what_is_executed() {
    let mut s = state((80, 24), 3, 2, false);
    let shown = confirming(&mut s, false);
    let Some(Effect::Execute(run)) = press(&mut s, KeyCode::Enter) else {
        panic!("Enter executes")
    };
    assert!(Arc::ptr_eq(&run.plan, &shown.plan), "the very plan shown");
    assert_eq!(run, shown);
    assert_eq!(
        s.popup,
        Popup::Running {
            confirm: shown,
            done: 0
        }
    );
    update(&mut s, Action::Worker(Report::Progress(2)));
    assert!(matches!(s.popup, Popup::Running { done: 2, .. }));
    assert_eq!(
        press(&mut s, KeyCode::Char('q')),
        None,
        "keys wait while it runs"
    );
    assert!(!s.ui.quit);
}

#[test]
fn escape_cancels_the_popup_and_a_late_plan_is_dropped() {
    let mut s = state((80, 24), 3, 2, false);
    confirming(&mut s, false);
    assert_eq!(press(&mut s, KeyCode::Esc), None);
    assert_eq!(s.popup, Popup::None);
    assert_eq!(s.marks.ids.len(), 3, "marks survive a cancel");
    let ask = press(&mut s, KeyCode::Char('y')).expect("ask again");
    assert_eq!(
        press(&mut s, KeyCode::Char('j')),
        None,
        "only Esc while planning"
    );
    assert!(matches!(s.popup, Popup::Planning(_)));
    press(&mut s, KeyCode::Esc);
    reply(&mut s, &ask, false);
    assert_eq!(s.popup, Popup::None, "cancelled: the answer is not shown");
}

/// Esc then Enter typed quickly while the plan is built arrives as Alt-Enter: a cancel.
#[test]
fn an_esc_run_into_the_next_key_cancels_the_planning() {
    let mut s = state((80, 24), 3, 2, false);
    let ask = mark_and_yank(&mut s);
    assert!(matches!(s.popup, Popup::Planning(_)));
    let alt_enter =
        crossterm::event::KeyEvent::new(KeyCode::Enter, crossterm::event::KeyModifiers::ALT);
    if let Some(a) = from_event(&s, crate::tui::event::Event::Key(alt_enter)) {
        update(&mut s, a);
    }
    reply(&mut s, &ask, false);
    assert_eq!(
        s.popup,
        Popup::None,
        "cancelled: the confirmation is not shown"
    );
}

#[test]
fn a_running_qmail_send_refuses_unless_forced() {
    let mut s = state((80, 24), 3, 2, false);
    let shown = confirming(&mut s, true);
    assert!(shown.planned_while_running());
    assert_eq!(press(&mut s, KeyCode::Enter), None, "Enter refuses");
    assert!(s.status.notice.as_ref().is_some_and(|n| n.is_error));
    assert!(matches!(s.popup, Popup::Confirm(_)), "the popup stays");
    let Some(Effect::Execute(forced)) = press(&mut s, KeyCode::Char('F')) else {
        panic!("F forces")
    };
    assert!(forced.force && Arc::ptr_eq(&forced.plan, &shown.plan));
    // Planned while stopped, but the last check says it runs now: refused too.
    let mut s = state((80, 24), 3, 2, false);
    confirming(&mut s, false);
    update(&mut s, Action::Worker(Report::SendStatus(Some(true))));
    assert_eq!(press(&mut s, KeyCode::Enter), None);
}

/// Planned while qmail-send ran, then the operator stops it with the popup open: the next
/// check unblocks Enter (the popup once kept refusing while the header said stopped).
#[test]
fn stopping_qmail_send_with_the_popup_open_lets_enter_run_it() {
    let mut s = state((80, 24), 3, 2, false);
    // A check from before the plan said stopped: the plan's own, newer, says running.
    update(&mut s, Action::Worker(Report::SendStatus(Some(false))));
    let shown = confirming(&mut s, true);
    assert_eq!(press(&mut s, KeyCode::Enter), None, "running: refused");
    update(&mut s, Action::Worker(Report::SendStatus(Some(false))));
    // The refusal does not stay on the status line once it no longer holds.
    let text = s
        .status
        .notice
        .as_ref()
        .map(|n| (n.text.as_str(), n.is_error));
    assert_eq!(text, Some(("qmail-send stopped: Enter runs it now", false)));
    let Some(Effect::Execute(c)) = press(&mut s, KeyCode::Enter) else {
        panic!("stopped since: Enter runs it")
    };
    assert!(!c.force && Arc::ptr_eq(&c.plan, &shown.plan));
    // Running now: "Enter runs it now" would ask for a key already pressed.
    assert!(matches!(s.popup, Popup::Running { .. }));
    assert_eq!(s.status.notice, None);
}

/// Esc on a confirmation says nothing moved, in place of the notice that led to it.
#[test]
fn esc_on_a_confirmation_says_it_was_cancelled() {
    let mut s = state((80, 24), 3, 2, false);
    confirming(&mut s, false);
    crate::tui::state::notice(&mut s, "marked 3 messages (cluster); y yanks", false);
    assert_eq!(press(&mut s, KeyCode::Esc), None);
    assert_eq!(s.popup, Popup::None);
    let text = s.status.notice.as_ref().map(|n| n.text.as_str());
    assert_eq!(text, Some("cancelled: nothing was moved"));
    // It was about that popup: under the next one it would read as this one's.
    press(&mut s, KeyCode::Char('y')).expect("y asks for a plan again");
    assert!(matches!(s.popup, Popup::Planning(_)));
    assert_eq!(s.status.notice, None);
}

#[test]
fn done_unmarks_remembers_the_batch_and_undo_restores_it() {
    let mut s = state((80, 24), 3, 2, false);
    confirming(&mut s, false);
    let Some(Effect::Execute(c)) = press(&mut s, KeyCode::Enter) else {
        panic!("execute")
    };
    let failed_id = c.plan.messages[2].id;
    let f = finished(c, "20261119-090000-beef", vec![(failed_id, "EPERM".into())]);
    update(&mut s, Action::Worker(Report::Done(Box::new(f))));
    assert_eq!(s.popup, Popup::None);
    assert_eq!(
        s.marks.ids.iter().copied().collect::<Vec<_>>(),
        vec![failed_id],
        "what failed stays marked"
    );
    assert_eq!(
        s.yank_area.session,
        vec!["20261119-090000-beef".to_string()]
    );
    let text = notice_text(&s);
    assert!(
        text.contains("yanked 2 messages (batch 20261119-090000-beef)"),
        "{text}"
    );
    assert!(text.contains("1 not done") && s.status.notice.as_ref().is_some_and(|n| n.is_error));
    let ask = press(&mut s, KeyCode::Char('u')).expect("u asks for a restore plan");
    let want = RestoreSelection::Batch("20261119-090000-beef".into());
    assert!(
        matches!(&ask, Effect::Plan { request: PlanRequest::Restore(sel), .. } if *sel == want)
    );
    reply(&mut s, &ask, false);
    let Some(Effect::Execute(c)) = press(&mut s, KeyCode::Enter) else {
        panic!("execute")
    };
    update(
        &mut s,
        Action::Worker(Report::Done(Box::new(finished(
            c,
            "20261119-090100-aaaa",
            vec![],
        )))),
    );
    assert!(
        s.yank_area.session.is_empty(),
        "undone batches leave the session"
    );
    assert_eq!(
        press(&mut s, KeyCode::Char('u')),
        None,
        "nothing left to undo"
    );
    // With the journal read, u falls back to its newest yank batch still in the yank area.
    update(
        &mut s,
        Action::Worker(Report::YankArea(Box::new(listing()))),
    );
    let ask = press(&mut s, KeyCode::Char('u')).expect("u");
    let want = RestoreSelection::Batch("20261119-085500-c0de".into());
    assert!(
        matches!(&ask, Effect::Plan { request: PlanRequest::Restore(sel), .. } if *sel == want)
    );
    // The confirmation names what that batch took and that it is not this session's.
    let Effect::Plan { what, .. } = &ask else {
        panic!("{ask:?}")
    };
    assert_eq!(
        what,
        "batch 20261119-085500-c0de (tui: 30 marked messages of auth-user test), \
         the journal's newest yank, not one of this session"
    );
}

#[test]
fn the_yank_area_restores_and_purges_any_row() {
    let mut s = state((80, 24), 3, 2, false);
    assert_eq!(
        press(&mut s, KeyCode::Char('Y')),
        Some(Effect::ListYankArea)
    );
    assert_eq!(s.ui.focus, Focus::Yanked);
    update(
        &mut s,
        Action::Worker(Report::YankArea(Box::new(listing()))),
    );
    let request = |s: &mut AppState, key| match press(s, key) {
        Some(Effect::Plan { request, .. }) => {
            press(s, KeyCode::Esc);
            Some(request)
        }
        _ => None,
    };
    let batch = |b: &str| RestoreSelection::Batch(b.into());
    // Rows: 3 batches newest first, the 2 without a batch, everything.
    assert_eq!(s.yank_area.rows().len(), 5);
    let restore = |sel| Some(PlanRequest::Restore(sel));
    assert_eq!(
        request(&mut s, KeyCode::Enter),
        restore(batch("20261119-085500-c0de"))
    );
    assert_eq!(
        request(&mut s, KeyCode::Char('P')),
        Some(PlanRequest::Purge(PurgeSelection::Batch(
            "20261119-085500-c0de".into()
        )))
    );
    press(&mut s, KeyCode::Down);
    assert_eq!(
        request(&mut s, KeyCode::Enter),
        restore(batch("20261119-083000-77ff")),
        "un-expire"
    );
    assert_eq!(
        request(&mut s, KeyCode::Char('P')),
        None,
        "an expire batch has no files to purge"
    );
    let why = "cannot be purged: an expire moves nothing to the yank area";
    assert!(notice_text(&s).contains(why), "{}", notice_text(&s));
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    let orphans = vec![MessageId(501), MessageId(502)];
    assert_eq!(
        request(&mut s, KeyCode::Enter),
        restore(RestoreSelection::Ids(orphans))
    );
    press(&mut s, KeyCode::End);
    assert_eq!(
        request(&mut s, KeyCode::Enter),
        restore(RestoreSelection::All)
    );
    assert_eq!(
        request(&mut s, KeyCode::Char('P')),
        Some(PlanRequest::Purge(PurgeSelection::All))
    );
}

#[test]
fn expire_plans_the_marked_messages_and_purge_needs_no_stopped_send() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('j'));
    press(&mut s, KeyCode::Char('m'));
    let ask = press(&mut s, KeyCode::Char('E')).expect("E asks");
    assert!(
        matches!(&ask, Effect::Plan { request: PlanRequest::Expire(ids), .. } if ids.len() == 3)
    );
    reply(&mut s, &ask, false);
    assert_eq!(confirm_plan(&s).plan.direction, Direction::Expire);
    press(&mut s, KeyCode::Esc);
    // A purge while qmail-send runs: it only touches the yank area, so Enter runs it.
    update(
        &mut s,
        Action::Worker(Report::YankArea(Box::new(listing()))),
    );
    s.ui.focus = Focus::Yanked;
    let ask = press(&mut s, KeyCode::Char('P')).expect("P asks");
    reply(&mut s, &ask, true);
    update(&mut s, Action::Worker(Report::SendStatus(Some(true))));
    assert!(matches!(press(&mut s, KeyCode::Enter), Some(Effect::Execute(c)) if !c.force));
}

#[test]
fn an_empty_plan_is_not_confirmed() {
    let mut s = state((80, 24), 3, 2, false);
    let ask = mark_and_yank(&mut s);
    let mut c = answer(&s, &ask, false);
    let mut plan = (*c.plan).clone();
    plan.messages.clear();
    c.plan = Arc::new(plan);
    update(&mut s, Action::Worker(Report::Planned(Box::new(c))));
    assert_eq!(s.popup, Popup::None);
    assert!(notice_text(&s).starts_with("nothing to do"));
}

/// Enter on a batch that cannot be restored said only `batch … cannot be restored`: it says why.
#[test]
fn a_batch_that_cannot_be_restored_says_why() {
    let mut s = state((80, 24), 3, 2, false);
    let mut l = listing();
    let mut undo = l.batches[0].clone();
    undo.batch = "20261119-090000-aaaa".into();
    undo.direction = Direction::Restore;
    l.batches.push(undo);
    update(&mut s, Action::Worker(Report::YankArea(Box::new(l))));
    s.ui.focus = Focus::Yanked;
    assert_eq!(press(&mut s, KeyCode::Enter), None);
    let text = notice_text(&s);
    assert!(
        text.starts_with("batch 20261119-090000-aaaa cannot be restored: it is a restore"),
        "{text}"
    );
    // A pick-back undid no yank: it says what it did (newuser53).
    let mut l = listing();
    let mut pick = l.batches[0].clone();
    (pick.batch, pick.direction, pick.verdict) =
        ("20261119-090100-bbbb".into(), Direction::Restore, true);
    l.batches.push(pick);
    update(&mut s, Action::Worker(Report::YankArea(Box::new(l))));
    assert_eq!(press(&mut s, KeyCode::Enter), None);
    let text = notice_text(&s);
    assert!(
        text.starts_with(
            "batch 20261119-090100-bbbb cannot be restored: it picked its messages back"
        ),
        "{text}"
    );
}

/// `u` on a big batch: the worker's steps reach the Planning box while it plans, a new plan
/// starts without the last one's, and a step of a cancelled plan is dropped.
#[test]
fn an_undo_being_planned_shows_the_workers_progress() {
    use crate::tui::state::PlanStep;
    let mut s = state((80, 24), 3, 2, false);
    confirming(&mut s, false);
    let Some(Effect::Execute(c)) = press(&mut s, KeyCode::Enter) else {
        panic!("execute")
    };
    let f = finished(c, "20261119-090000-beef", vec![]);
    update(&mut s, Action::Worker(Report::Done(Box::new(f))));
    press(&mut s, KeyCode::Char('u')).expect("u asks for a restore plan");
    assert!(matches!(s.popup, Popup::Planning(_)));
    assert_eq!(s.status.planning, None);
    let step = PlanStep {
        what: "checking the messages to put back",
        done: 12_000,
        total: 45_000,
        ms: 3_400,
    };
    update(&mut s, Action::Worker(Report::Planning(step.clone())));
    assert_eq!(s.status.planning.as_ref(), Some(&step));
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.popup, Popup::None);
    press(&mut s, KeyCode::Char('u')).expect("u again");
    assert_eq!(s.status.planning, None, "not the last plan's step");
    press(&mut s, KeyCode::Esc);
    update(&mut s, Action::Worker(Report::Planning(step.clone())));
    assert_eq!(
        s.status.planning, None,
        "a cancelled plan's step is dropped"
    );
    // Run: the planning's last step goes; what follows the moves comes.
    let ask = press(&mut s, KeyCode::Char('u')).expect("u once more");
    update(&mut s, Action::Worker(Report::Planning(step.clone())));
    reply(&mut s, &ask, false);
    press(&mut s, KeyCode::Enter).expect("execute");
    assert!(matches!(s.popup, Popup::Running { .. }));
    assert_eq!(s.status.planning, None, "not the planning's step");
    let reading = PlanStep {
        what: "reading them again",
        ..step
    };
    update(&mut s, Action::Worker(Report::Planning(reading.clone())));
    assert_eq!(s.status.planning, Some(reading));
}

/// `/` in the yank area types a query whose yanked messages go back as real mail: Enter asks
/// the worker for that pick (the Planning box up), the message list's filter stays as it was,
/// and an empty query asks nothing (newuser51: one message could not be picked back).
#[test]
fn a_query_in_the_yank_area_picks_messages_back() {
    let mut s = state((80, 24), 3, 2, false);
    press(&mut s, KeyCode::Char('/'));
    super::tests::chars(&mut s, "ip:1.2.3.4");
    press(&mut s, KeyCode::Enter);
    update(
        &mut s,
        Action::Worker(Report::YankArea(Box::new(listing()))),
    );
    s.ui.focus = Focus::Yanked;
    press(&mut s, KeyCode::Char('/'));
    assert!(s.query.editing && s.query.picking);
    assert_eq!(
        s.query.text, "",
        "the list's filter is not the pick's (newuser52)"
    );
    let clear = |s: &mut AppState| {
        s.query.text.clear();
        s.query.cursor = 0;
    };
    clear(&mut s);
    super::tests::chars(&mut s, "from:*@customer.example");
    let ask = press(&mut s, KeyCode::Enter).expect("Enter asks");
    let want = crate::query::Query::parse("from:*@customer.example").expect("parses");
    assert!(
        matches!(&ask, Effect::PickBack { query, what } if *query == want
            && what.contains("picked back as real mail")),
        "{ask:?}"
    );
    assert!(matches!(s.popup, Popup::Planning(_)));
    assert!(!s.query.editing && !s.query.picking);
    assert_eq!(
        s.query.text, "ip:1.2.3.4",
        "the list's filter is left as it was"
    );
    // An empty query would pick back everything: nothing is asked.
    s.popup = Popup::None;
    press(&mut s, KeyCode::Char('/'));
    clear(&mut s);
    assert_eq!(press(&mut s, KeyCode::Enter), None);
    assert!(notice_text(&s).starts_with("an empty query picks back everything"));
    // Outside the yank area `/` is the filter, as before.
    s.ui.focus = Focus::Clusters;
    press(&mut s, KeyCode::Char('/'));
    assert!(s.query.editing && !s.query.picking);
}
