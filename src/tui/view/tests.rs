//! Render tests: whole-screen snapshots (insta) of every view at 80x24 and 120x40, hostile
//! subjects included, plus cell-style checks for colours that carry meaning.

mod accounts;
mod popups;
mod reasons;
mod small;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use ratatui::Terminal;

use crate::analysis::key::ClusterKey;
use crate::query::Query;
use crate::queue::ProgressSnapshot;
use crate::tui::action::{update, Action};
use crate::tui::event::Effect;
use crate::tui::event::Report;
use crate::tui::keys::Command;
use crate::tui::state::{AccountRow, AccountsListing};
use crate::tui::state::{AppState, Focus, Inspection, Popup, SendState};
use crate::tui::testdata::{answer, listing, state, watch_update, NOW};
use crate::watch::{PollReason, WatchMode};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn render(s: &AppState) -> Terminal<TestBackend> {
    let (w, h) = s.ui.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    t.draw(|f| f.render_widget(s, f.area())).expect("draw");
    t
}

fn cmd(s: &mut AppState, c: Command) {
    update(s, Action::Cmd(c));
}

/// Snapshot `s` at both sizes; `build` makes the state for a size.
fn snap_both(name: &str, build: impl Fn((u16, u16)) -> AppState) {
    for size in SIZES {
        let s = build(size);
        let t = render(&s);
        assert_no_escape(t.backend().buffer());
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), t.backend());
    }
}

/// No cell may hold a control character: attacker bytes reach the screen escaped or not at all.
#[track_caller]
fn assert_no_escape(buf: &Buffer) {
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(crate::sanitize::needs_escape),
            "control or format character in cell {:?}",
            cell.symbol()
        );
    }
}

fn screen_text(buf: &Buffer) -> String {
    buf.content().iter().map(|c| c.symbol()).collect()
}

fn ready(size: (u16, u16)) -> AppState {
    state(size, 30, 7, true)
}

#[test]
fn scanning() {
    snap_both("scanning", |size| {
        let mut s = AppState::new(std::path::Path::new("/var/qmail/queue"), NOW, true);
        s.ui.size = size;
        let p = ProgressSnapshot {
            listed: 200_000,
            read: 48_000,
            done: false,
        };
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::Scan(p, 1_500)),
        );
        s
    });
}

#[test]
fn header_pass_shown_while_envelopes_are_read() {
    snap_both("envelopes", |size| {
        let mut s = ready(size);
        let mut first = crate::tui::testdata::analysis(30, 7, true);
        first.envelopes_pending = true;
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::Analysed(Box::new(first))),
        );
        let p = ProgressSnapshot {
            listed: 200_000,
            read: 120_000,
            done: false,
        };
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::Scan(p, 2_000)),
        );
        let text = screen_text(render(&s).backend().buffer());
        assert!(
            text.contains("reading envelopes: 120,000 / 200,000"),
            "{text}"
        );
        assert!(text.contains("auth-user"), "the clusters are shown: {text}");
        s
    });
}

#[test]
fn clusters() {
    snap_both("clusters", |size| {
        let mut s = ready(size);
        cmd(&mut s, Command::Down);
        s
    });
}

#[test]
fn messages_with_hostile_subjects_and_marks() {
    snap_both("messages", |size| {
        let mut s = ready(size);
        cmd(&mut s, Command::Down);
        cmd(&mut s, Command::Open);
        cmd(&mut s, Command::Mark);
        cmd(&mut s, Command::Mark);
        s
    });
}

pub(super) fn inspected(size: (u16, u16)) -> AppState {
    let mut s = ready(size);
    cmd(&mut s, Command::Down);
    cmd(&mut s, Command::Open);
    cmd(&mut s, Command::Open);
    let id = s.detail.id.expect("inspecting");
    let mut i = Inspection::empty(id);
    i.envelope = vec![
        format!("#{id}  in-delivery  1000 B  queued 2026-11-19T08:26:40Z"),
        "sender <x0@philadefender.org>".into(),
        "origin smtp-auth  ip 86.107.221.138  auth test  helo -  uid -  script -".into(),
    ];
    i.received = vec![
        "(qmail 5941 invoked from network); 19 Nov 2026 08:26:40 -0000".into(),
        "from unknown (HELO User) (test@86.107.221.138)  by mail.example.com with ESMTPA; 19 Nov 2026 08:26:40 -0000".into(),
        "from forged.example (6.6.6.6) by nowhere".into(),
    ];
    i.origin_line = Some(1);
    let hostile =
        crate::sanitize::sanitize_bytes(b"Invoice \x1b[2J\x1b]0;owned\x07 paid \xff").into_owned();
    i.subject = Some((hostile, "=?UTF-8?B?SW52b2ljZSAbWzJK?=".into()));
    i.headers = vec![
        "From: \"PayPal\" <support@PayPal.Inc.com>".into(),
        "X-Mailer: \\u{202e}reliaM".into(),
    ];
    i.body = vec!["請求書をご確認ください".into(), "\\xff\\xfe binary".into()];
    update(
        &mut s,
        Action::Worker(crate::tui::event::Report::Inspected(Box::new(i))),
    );
    s
}

#[test]
fn inspector() {
    snap_both("inspector", inspected);
}

/// Mark the culprit cluster, press `c` (a command), and let the "worker" answer.
fn asking(size: (u16, u16), send: SendState, c: Command) -> AppState {
    let mut s = ready(size);
    s.status.send = send;
    cmd(&mut s, Command::Down);
    cmd(&mut s, Command::MarkCluster);
    let ask = update(&mut s, Action::Cmd(c)).expect("a plan request");
    let a = answer(&s, &ask, send == SendState::Running);
    update(
        &mut s,
        Action::Worker(crate::tui::event::Report::Planned(Box::new(a))),
    );
    s
}

fn confirming(size: (u16, u16), send: SendState) -> AppState {
    asking(size, send, Command::Yank)
}

#[test]
fn confirm() {
    snap_both("confirm", |size| confirming(size, SendState::Stopped));
    snap_both("confirm_send_running", |size| {
        confirming(size, SendState::Running)
    });
}

#[test]
fn confirm_expire_warns_of_backscatter() {
    snap_both("confirm_expire", |size| {
        asking(size, SendState::Stopped, Command::Expire)
    });
    let s = asking((80, 24), SendState::Stopped, Command::Expire);
    let text = screen_text(render(&s).backend().buffer());
    assert!(text.contains("BOUNCES"), "the warning is in the popup");
}

#[test]
fn planning() {
    snap_both("planning", |size| {
        let mut s = ready(size);
        cmd(&mut s, Command::Down);
        cmd(&mut s, Command::MarkCluster);
        cmd(&mut s, Command::Yank);
        s
    });
}

#[test]
fn confirm_purge() {
    snap_both("confirm_purge", |size| {
        let mut s = ready(size);
        s.status.send = SendState::Running;
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::YankArea(Box::new(listing()))),
        );
        s.ui.focus = Focus::Yanked;
        let ask = update(&mut s, Action::Cmd(Command::Purge)).expect("plan");
        let a = answer(&s, &ask, true);
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::Planned(Box::new(a))),
        );
        s
    });
}

#[test]
fn live_growth_sparkline_and_polling() {
    snap_both("live", |size| {
        let mut s = ready(size);
        for (n, q) in [30, 31, 33, 37, 44, 52].into_iter().enumerate() {
            let mode = if n < 5 {
                WatchMode::Notify
            } else {
                WatchMode::Polling(PollReason::EventsLost)
            };
            let u = watch_update(q, mode);
            update(
                &mut s,
                Action::Worker(crate::tui::event::Report::Watch(
                    ClusterKey::AuthUser,
                    Box::new(u),
                )),
            );
        }
        s.status.notice = None;
        s
    });
}

#[test]
fn running() {
    snap_both("running", |size| {
        let mut s = confirming(size, SendState::Stopped);
        cmd(&mut s, Command::Confirm);
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::Progress(12)),
        );
        s
    });
}

#[test]
fn query_error() {
    snap_both("query_error", |size| {
        let mut s = ready(size);
        cmd(&mut s, Command::Filter);
        for c in "ip:86.107.221.138 bogus:x".chars() {
            update(&mut s, Action::Type(c));
        }
        s
    });
}

#[test]
fn query_applied() {
    snap_both("query_applied", |size| {
        let mut s = ready(size);
        s.query.applied = Query::parse("auth:test").ok();
        s
    });
}

#[test]
fn help() {
    snap_both("help", |size| {
        let mut s = ready(size);
        cmd(&mut s, Command::Help);
        s
    });
}

#[test]
fn yank_area() {
    snap_both("yank_area", |size| {
        let mut s = ready(size);
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::YankArea(Box::new(listing()))),
        );
        s.yank_area.session = vec!["20261119-085500-c0de".into()];
        s.ui.focus = Focus::Yanked;
        s
    });
}

#[test]
fn the_confirm_popup_is_drawn_in_the_danger_colour() {
    let s = confirming((80, 24), SendState::Running);
    let t = render(&s);
    let buf = t.backend().buffer();
    let text = screen_text(buf);
    let at = |needle: &str| {
        let start = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} on screen"));
        let cell = text[..start].chars().count();
        (cell % 80, cell / 80)
    };
    for needle in ["Yank 30 messages", "RUNNING: refused", "Confirm"] {
        let (x, y) = at(needle);
        let cell = &buf[(x as u16, y as u16)];
        assert_eq!(cell.fg, Color::Red, "{needle} in the danger colour");
    }
    // The popup border too.
    let (x, y) = at("Confirm");
    assert_eq!(buf[(x as u16 - 2, y as u16)].fg, Color::Red);
}

#[test]
fn no_color_means_no_colour() {
    let mut s = confirming((80, 24), SendState::Running);
    s.ui.colour = false;
    let t = render(&s);
    for cell in t.backend().buffer().content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "{:?}",
            cell.symbol()
        );
    }
}

#[test]
fn the_plan_counts_match_the_popup() {
    let s = confirming((120, 40), SendState::Stopped);
    let Popup::Confirm(c) = &s.popup else {
        panic!("confirming")
    };
    let text = screen_text(render(&s).backend().buffer());
    assert!(text.contains(&format!("messages    {}", c.plan.message_count())));
    assert!(text.contains(&format!("recipients  {}", c.plan.recipients())));
    assert!(text.contains("clusters    1"));
}

#[test]
fn a_million_rows_render_only_what_is_visible() {
    let mut s = state((80, 24), 3, 2, false);
    // A list of a million rows that all point at real records, the last one selected: the frame
    // shows the end of the list and its length. How long a frame takes is measured by
    // `examples/tui-latency` and the bench, not here (a timed test fails on a loaded machine).
    s.messages.rows = crate::tui::state::Order::of((0..1_000_000u32).map(|i| i % 5).collect());
    s.ui.focus = Focus::Messages;
    cmd(&mut s, Command::End);
    assert_eq!(s.messages.pos.selected, 999_999);
    let t = render(&s);
    assert!(screen_text(t.backend().buffer()).contains("1,000,000"));
}

/// The cleanup plan of the ready state's records, as the worker answers `p`.
pub(super) fn cleanup_shown(size: (u16, u16)) -> AppState {
    use crate::analysis::plan::{build, PlanInput};
    let mut s = ready(size);
    let data = s.data.as_ref().expect("analysed");
    let snap = std::sync::Arc::clone(&data.snapshot);
    let ctx = crate::analysis::cluster::AnalysisContext {
        now: NOW,
        local_domains: vec!["example.com".into()],
        ..Default::default()
    };
    let ranking = crate::analysis::rank_culprits(
        &snap.records,
        &snap.strings,
        &ctx,
        &snap.logs,
        crate::analysis::TOP_LIMIT,
        crate::analysis::rank::OF_QUEUE,
    );
    let tables = crate::analysis::Tables::of(&snap.records, &snap.strings, &ctx);
    let plan = build(PlanInput {
        records: &snap.records,
        strings: &snap.strings,
        tables: tables.borrow(),
        ranking: &ranking,
        quoted: &[],
        yanked: &[],
        restored: &[],
    });
    let ids = plan
        .selected
        .iter()
        .map(|&i| snap.records[i as usize].id)
        .collect();
    assert_eq!(
        update(&mut s, Action::Cmd(Command::ShowPlan)),
        Some(Effect::CleanupPlan)
    );
    let c = crate::tui::state::CleanupPlan {
        generation: snap.generation,
        plan,
        ids,
        notes: vec![
            "control files in /var/qmail/control: missing locals".into(),
            "uids not named: \x1b[2Jhostile; give --passwd FILE".into(),
        ],
        incomplete: None,
    };
    update(&mut s, Action::Worker(Report::Cleanup(Box::new(c))));
    s
}

#[test]
fn cleanup_plan_popup_and_enter_marks_it_whole() {
    snap_both("cleanup", cleanup_shown);
    let mut s = cleanup_shown((120, 40));
    let Popup::Cleanup(c) = &s.popup else {
        panic!("the cleanup plan is shown: {:?}", s.popup);
    };
    assert_eq!(c.ids.len(), 30, "the 30 messages of AUTH user test");
    let hinted = |s: &AppState| crate::tui::keys::hints(s).iter().any(|h| h.1 == "mark all");
    assert!(hinted(&s));
    // A plan that takes nothing offers no `Enter mark all` (newuser60).
    let mut empty = (**c).clone();
    empty.ids.clear();
    let mut none = s.clone();
    none.popup = Popup::Cleanup(std::sync::Arc::new(empty));
    assert!(!hinted(&none));
    let enter = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter);
    assert_eq!(
        crate::tui::keys::command_for(&s, enter),
        Some(Command::MarkPlan)
    );
    cmd(&mut s, Command::MarkPlan);
    assert_eq!(s.popup, Popup::None);
    assert_eq!(s.marks.ids.len(), 30);
    assert!(s
        .status
        .notice
        .as_ref()
        .is_some_and(|n| n.text.ends_with("y yanks them")));
    // Unmarked, the hint would point at nothing: it goes.
    s.marks.ids.clear();
    let now = s.status.now;
    update(&mut s, Action::Tick(now));
    assert_eq!(s.status.notice, None);
    // A plan of an older snapshot is dropped, never shown or marked.
    let mut s = ready((80, 24));
    let mut stale = cleanup_shown((80, 24));
    let Popup::Cleanup(c) = std::mem::take(&mut stale.popup) else {
        panic!("shown");
    };
    let mut c = (*c).clone();
    c.generation += 1;
    update(&mut s, Action::Worker(Report::Cleanup(Box::new(c))));
    assert_eq!(s.popup, Popup::None);
}

/// A restore says whether it is an undo or a pick-back: they restore alike, and the report
/// counts them apart (newuser60 could not tell from the confirmation).
#[test]
fn a_restore_confirmation_says_undo_or_verdict() {
    for verdict in [false, true] {
        let mut s = ready((100, 30));
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::YankArea(Box::new(listing()))),
        );
        s.ui.focus = Focus::Yanked;
        let ask = update(&mut s, Action::Cmd(Command::Open)).expect("plan");
        let mut a = answer(&s, &ask, false);
        let mut plan = (*a.plan).clone();
        plan.verdict = verdict;
        a.plan = std::sync::Arc::new(plan);
        update(
            &mut s,
            Action::Worker(crate::tui::event::Report::Planned(Box::new(a))),
        );
        let text = screen_text(render(&s).backend().buffer());
        let (said, not) = match verdict {
            false => ("An undo, no verdict on them", "Picked back as real mail"),
            true => ("Picked back as real mail", "An undo, no verdict"),
        };
        assert!(text.contains(said) && !text.contains(not), "{text}");
    }
}

/// Rows past a pane's bottom are said on its border, where PgDn goes: the clusters pane held
/// five rows at 80x24 and the inspector scrolled with no sign of more (newuser60); at the end
/// nothing is said.
#[test]
fn a_pane_says_what_is_below_its_bottom() {
    assert_eq!(super::more_below(9, 2, 5).as_deref(), Some(" ↓ 2 more "));
    assert_eq!(super::more_below(7, 2, 5), None);
    assert_eq!(super::more_below(3, 0, 5), None);
    let mut s = inspected((80, 16));
    let below = |s: &AppState| {
        let text = screen_text(render(s).backend().buffer());
        text.contains(" more ") && text.contains('↓')
    };
    assert!(below(&s), "{}", screen_text(render(&s).backend().buffer()));
    s.detail.scroll = u16::MAX;
    assert!(!below(&s));
    // A short screen: the messages pane shows one of 37 rows (the clusters pane's own test is
    // in clusters/tests.rs).
    let text = screen_text(render(&ready((80, 12))).backend().buffer());
    assert!(text.contains("↓ 36 more"), "{text}");
}

/// A notice wider than the screen takes a second row, the key hints after its end: cut, a
/// pick-back's lost its last words at 80 columns (newuser60).
#[test]
fn a_long_notice_is_read_whole_on_two_rows() {
    let mut s = ready((80, 24));
    let text = "restored 18,940 messages (batch 20261207-101344-0509): picked back as real mail, \
                the plan and the report keep them; p leaves them";
    crate::tui::state::notice(&mut s, text.to_string(), false);
    let t = render(&s);
    let row = |y: u16| -> String {
        (0..80)
            .map(|x| t.backend().buffer()[(x, y)].symbol())
            .collect()
    };
    assert!(
        row(22).starts_with("restored 18,940 messages"),
        "{}",
        row(22)
    );
    assert!(row(23).contains("p leaves them"), "{}", row(23));
    assert!(row(23).contains("Enter open"), "{}", row(23));
    // A short one keeps one row.
    crate::tui::state::notice(&mut s, "yanked 3".to_string(), false);
    let t = render(&s);
    let last: String = (0..80)
        .map(|x| t.backend().buffer()[(x, 23)].symbol())
        .collect();
    assert!(last.starts_with("yanked 3  "), "{last}");
}
