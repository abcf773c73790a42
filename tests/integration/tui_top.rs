//! One analysis, two faces: on the same queue and logs, the TUI's clusters are `qtriage top`'s
//! rows exactly (values, counts, rates, scores, reasons, queries), and its `cluster:` queries
//! select them.

use std::path::Path;
use std::time::{Duration, Instant};

use qtriage::analysis::key::ClusterKey;
use qtriage::cli::clusters::ClusterJson;
use qtriage::query::{Query, QueryContext};
use qtriage::queue::{Queue, QueueOptions};
use qtriage::tui::{Session, TuiOptions};

use crate::log_top::{guessing_log, incident, qtriage, NOW};
use crate::util::assert_exit;

/// Run the TUI headless on `queue` with `logs` until the envelope pass' analysis is shown.
fn tui_session(queue: &Path, logs: &[&Path]) -> Session {
    tui_session_at(queue, logs, NOW)
}

/// [`tui_session`] with the clock at `now`.
fn tui_session_at(queue: &Path, logs: &[&Path], now: i64) -> Session {
    let queue = Queue::open(queue, QueueOptions::default()).expect("open queue");
    let opts = TuiOptions {
        logs: logs.iter().map(|p| p.to_path_buf()).collect(),
        now: Some(now),
        ..TuiOptions::default()
    };
    let mut s = Session::start(queue, now, false, &opts).expect("start the TUI");
    let deadline = Instant::now() + crate::util::deadline();
    while s.state.data.as_ref().is_none_or(|a| a.envelopes_pending) {
        assert!(Instant::now() < deadline, "the TUI's scan did not finish");
        s.pump(Duration::from_millis(100));
    }
    s
}

#[test]
fn the_tui_ranks_the_queue_as_top_does_with_logs() {
    let i = incident();
    let login = guessing_log(i.dir.path());
    let logs = [i.smtpd.as_path(), login.as_path()];
    let out = qtriage(&i.t, &logs, &["top", "--json", "--limit", "100"]);
    assert_exit(&out, 0);
    let top: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    // The account only the logs name, guessed: the TUI without the logs had neither.
    assert_eq!(top[0]["value"], "test", "{top:#?}");
    assert!(top[0]["score"].as_f64().is_some_and(|s| s >= 40.0));

    let session = tui_session(i.t.root(), &logs);
    let data = session.state.data.as_ref().expect("analysed");
    let snap = &data.snapshot;
    // The clusters pane (auth-user, the default key) holds top's first row as it is.
    assert_eq!(data.clustering.key, ClusterKey::AuthUser);
    let shown: Vec<serde_json::Value> = data
        .clustering
        .clusters
        .iter()
        .map(|c| serde_json::to_value(ClusterJson::new(c, &snap.strings)).expect("json"))
        .collect();
    assert!(shown.contains(&top[0]), "{:#?}\nnot in\n{shown:#?}", top[0]);
    let qctx = QueryContext {
        queue: &Queue::open(i.t.root(), QueueOptions::default()).expect("queue"),
        strings: &snap.strings,
        now: NOW,
        restored: qtriage::actions::Restored::none(),
    };
    for row in &top {
        let key = ClusterKey::from_name(row["by"].as_str().expect("by")).expect("key");
        let tui = qtriage::tui::worker::clustering(snap, key);
        let same = tui
            .clusters
            .iter()
            .map(|c| serde_json::to_value(ClusterJson::new(c, &snap.strings)).expect("json"))
            .any(|c| c == *row);
        assert!(same, "top's row is not the TUI's cluster: {row:#?}");
        let q = Query::parse(row["query"].as_str().expect("query")).expect("parses");
        let picked = qtriage::query::select_with(
            &q,
            &qctx,
            &snap.records,
            None,
            Some(snap.basis().tables()),
        );
        assert_eq!(
            Some(picked.len() as u64),
            row["messages"].as_u64(),
            "{row:#?}"
        );
    }
}

/// Message `i` of a PHP mailer's flood: uid 48, forged From, one remote recipient.
fn php_flood(i: i64) -> qtriage::fixture::MessageSpec {
    qtriage::fixture::MessageSpec::new()
        .local_uid(48)
        .header("X-PHP-Originating-Script", b"48:mailer.php")
        .from_header(format!("<x{i}@forged{i}.example>"))
        .remote(format!("victim{i}@example.net"))
}

/// A flood without SMTP AUTH (a PHP script's) opens on the key of `top`'s first culprit, not
/// on one `(none)` cluster of auth-user (the operator's run: "the only cluster is (none)").
#[test]
fn a_flood_without_auth_opens_on_its_culprits_key() {
    let t = crate::util::TestQueue::new(23);
    let born = NOW - 300;
    for i in 0..60 {
        t.add(php_flood(i).born(born + i));
    }
    for i in 0..8 {
        t.add(crate::cli_actions_json::legit(i).born(born));
    }
    let out = qtriage(&t, &[], &["top", "--json", "--limit", "1"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let first: serde_json::Value =
        serde_json::from_str(text.lines().next().expect("a row")).expect("json");
    assert!(first["score"].as_f64().is_some_and(|s| s >= 40.0), "{text}");
    let key = ClusterKey::from_name(first["by"].as_str().expect("by")).expect("key");
    assert_ne!(key, ClusterKey::AuthUser, "{first}");
    let session = tui_session(t.root(), &[]);
    let data = session.state.data.as_ref().expect("analysed");
    assert_eq!(data.clustering.key, key);
    assert_eq!(session.state.clusters.key, Some(key));
}

/// A shared host whose plugin run the ranking holds as a suspect of uid 48, above the logins'
/// suspects, with no culprit anywhere: the TUI opens on uid, where that suspect and its loud
/// voices are, not on auth-user (newuser56).
#[test]
fn with_no_culprit_the_tui_opens_on_the_first_suspects_key() {
    use qtriage::fixture::flood::Mix;
    let (t, m) = crate::plan_mix::measure_seeded(Mix::BusyHost, 2_000, crate::plan_mix::SEED);
    assert!(m.plan.culprits.is_empty(), "{:?}", m.plan.culprits);
    let now = crate::plan_mix::NOW;
    let session = tui_session_at(t.root(), &[], now);
    let data = session.state.data.as_ref().expect("analysed");
    assert_eq!(data.clustering.key, ClusterKey::Uid);
    let first = data.clustering.clusters.first().expect("a cluster");
    assert!(
        (first.reasons.iter()).any(|r| r.contains("class-loader.php")),
        "{:?}",
        first.reasons
    );
}

/// `y` on marks the cleanup plan would not take (real inbound mail beside a script's flood):
/// the confirmation counts them by the plan's own kinds; the flood's marked messages are not.
#[test]
fn a_yank_of_mail_the_plan_keeps_is_counted_in_the_confirmation() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use qtriage::tui::event::Event;
    use qtriage::tui::state::{NotInPlan, Popup};

    let t = crate::util::TestQueue::new(23);
    let born = NOW - 300;
    let flood: Vec<_> = (0..60)
        .map(|i| t.add(php_flood(i).born(born + i)))
        .collect();
    let legit: Vec<_> = (0..8)
        .map(|i| t.add(crate::cli_actions_json::legit(i).born(born)))
        .collect();
    let mut session = tui_session(t.root(), &[]);
    session
        .state
        .marks
        .ids
        .extend(flood[..3].iter().chain(&legit));
    session.apply(Event::Key(KeyEvent::new(
        KeyCode::Char('y'),
        KeyModifiers::NONE,
    )));
    let deadline = Instant::now() + crate::util::deadline();
    while !matches!(session.state.popup, Popup::Confirm(_)) {
        assert!(
            Instant::now() < deadline,
            "no confirmation: {:?}",
            session.state.status
        );
        session.pump(Duration::from_millis(100));
    }
    let Popup::Confirm(c) = &session.state.popup else {
        unreachable!()
    };
    assert_eq!(c.plan.messages.len(), 11);
    let n = c.not_in_plan.as_ref().expect("asked of the cleanup plan");
    assert_eq!(
        *n,
        NotInPlan {
            messages: 8,
            kinds: vec![qtriage::analysis::plan::Remaining {
                messages: 8,
                words: "inbound mail from 1 sender domain to local users".to_string()
            }],
            culprits: 1,
        }
    );
}

/// Press `code` and pump until `until` holds of the popup.
fn press_until(
    session: &mut Session,
    code: crossterm::event::KeyCode,
    until: impl Fn(&qtriage::tui::state::Popup) -> bool,
) {
    use crossterm::event::{KeyEvent, KeyModifiers};
    session.apply(qtriage::tui::event::Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    )));
    let deadline = Instant::now() + crate::util::deadline();
    while !until(&session.state.popup) {
        assert!(
            Instant::now() < deadline,
            "no such popup after {code:?}: {:?}",
            session.state.status
        );
        session.pump(Duration::from_millis(100));
    }
}

/// The cleanup plan a confirmation consults is built once per snapshot: a second `y` (and `p`)
/// on the same records reuse it (it took 4-6 s per keypress at 45,000 marks); a new snapshot
/// (after the yank) builds its own, and so does a change of the yank area (a purge).
#[test]
fn a_second_yank_on_the_same_snapshot_does_not_build_the_cleanup_plan_again() {
    use crossterm::event::KeyCode;
    use qtriage::tui::state::Popup;

    let t = crate::util::TestQueue::new(23);
    let born = NOW - 300;
    let flood: Vec<_> = (0..60)
        .map(|i| t.add(php_flood(i).born(born + i)))
        .collect();
    let legit: Vec<_> = (0..8)
        .map(|i| t.add(crate::cli_actions_json::legit(i).born(born)))
        .collect();
    let mut session = tui_session(t.root(), &[]);
    let snap = std::sync::Arc::clone(&session.state.data.as_ref().expect("analysed").snapshot);
    assert_eq!(snap.cleanup.builds(), 0, "built only when asked for");
    session
        .state
        .marks
        .ids
        .extend(flood[..3].iter().chain(&legit));
    let confirmed = |p: &Popup| matches!(p, Popup::Confirm(_));
    let kept = |s: &Session| match &s.state.popup {
        Popup::Confirm(c) => c.not_in_plan.clone(),
        other => panic!("not a confirmation: {other:?}"),
    };
    press_until(&mut session, KeyCode::Char('y'), confirmed);
    let first = kept(&session);
    assert_eq!(snap.cleanup.builds(), 1);
    press_until(&mut session, KeyCode::Esc, |p| *p == Popup::None);
    press_until(&mut session, KeyCode::Char('y'), confirmed);
    assert_eq!(kept(&session), first, "the same plan's words");
    assert_eq!(snap.cleanup.builds(), 1, "the second y reused the plan");
    press_until(&mut session, KeyCode::Esc, |p| *p == Popup::None);
    press_until(&mut session, KeyCode::Char('p'), |p| {
        matches!(p, Popup::Cleanup(_))
    });
    assert_eq!(snap.cleanup.builds(), 1, "p reused it too");
    press_until(&mut session, KeyCode::Esc, |p| *p == Popup::None);
    // A new snapshot (the records after a yank; qmail-send is stopped here: no lock holder)
    // has a plan of its own, built when asked.
    session.state.marks.ids.clear();
    session.state.marks.ids.extend(&flood[..3]);
    press_until(&mut session, KeyCode::Char('y'), confirmed);
    press_until(&mut session, KeyCode::Enter, |p| *p == Popup::None);
    let after = std::sync::Arc::clone(&session.state.data.as_ref().expect("analysed").snapshot);
    assert!(
        after.generation > snap.generation,
        "{:?}",
        session.state.status
    );
    session.state.marks.ids.extend(&flood[3..6]);
    press_until(&mut session, KeyCode::Char('y'), confirmed);
    assert_eq!((snap.cleanup.builds(), after.cleanup.builds()), (1, 1));
    press_until(&mut session, KeyCode::Esc, |p| *p == Popup::None);
    // Another terminal purges the yank area: the same snapshot, but the plan read the yank
    // area (a yanked culprit's bounces), so it is built again (found by a review).
    let out = t
        .command()
        .args(["purge", "--all", "--apply"])
        .output()
        .expect("run qtriage purge");
    crate::util::assert_exit(&out, 0);
    press_until(&mut session, KeyCode::Char('y'), confirmed);
    assert_eq!(after.cleanup.builds(), 2, "built again after the purge");
}

/// A key with more values than the TUI writes reasons for with its clustering (a sender a
/// message): the last cluster's reasons are written when the operator selects it, exactly as
/// `qtriage clusters` prints them, and drawn in the rows the pane leaves free (the session's
/// list offset is the default 80x24 screen's, so at the 160x30 drawn here End leaves some).
#[test]
fn a_small_clusters_reasons_are_written_when_it_is_selected() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use qtriage::tui::event::Event;

    let t = crate::util::TestQueue::new(29);
    let n = qtriage::tui::worker::REASONS_WRITTEN + 20;
    for i in 0..n {
        t.add(crate::cli_actions_json::legit(i as u32).born(NOW - 300));
    }
    let out = qtriage(
        &t,
        &[],
        &["clusters", "--by", "sender", "--json", "--limit", "1000"],
    );
    assert_exit(&out, 0);
    let printed: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(printed.len(), n);

    let mut session = tui_session(t.root(), &[]);
    let key = |code| Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    let deadline = Instant::now() + crate::util::deadline();
    let shown = |s: &Session| s.state.data.as_ref().map(|d| d.clustering.key);
    while shown(&session) != Some(ClusterKey::Sender) {
        assert!(Instant::now() < deadline, "never grouped by sender");
        if session.state.clusters.key == shown(&session) {
            session.apply(key(KeyCode::Char('c')));
        }
        session.pump(Duration::from_millis(50));
    }
    session.apply(key(KeyCode::End));
    let data = session.state.data.as_ref().expect("analysed");
    let row = session.state.clusters.order.last().copied().expect("rows");
    let last = &data.clustering.clusters[row as usize];
    // Not written with the clustering: the check below is of the reasons written on demand.
    assert!(last.reasons.is_empty(), "{:?}", last.reasons);
    let value = last.value.expect("a sender").text(&data.snapshot.strings);
    while session.state.selected_reasons().is_empty() {
        assert!(Instant::now() < deadline, "the reasons never came");
        session.pump(Duration::from_millis(50));
    }
    let wanted = printed
        .iter()
        .find(|c| c["value"] == value.as_str())
        .expect("the CLI's cluster");
    let got = serde_json::to_value(session.state.selected_reasons()).expect("json");
    assert_eq!(got, wanted["reasons"]);

    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 30)).expect("tty");
    session.draw(&mut term).expect("draw");
    let screen: String = term
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(screen.contains(&format!("│sender {value}: ")), "{screen}");
}

/// A rescan's snapshot is a generation of its own, as the header pass' is: what was asked of
/// the one before (a cluster's reasons, a cleanup plan) and answered late is not taken for
/// its. Both passes' snapshots were numbered 1 after every scan (found by a review).
#[test]
fn a_rescan_is_a_new_generation() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use qtriage::tui::event::Event;

    let t = crate::util::TestQueue::new(23);
    for i in 0..20 {
        t.add(php_flood(i).born(NOW - 300));
    }
    let mut session = tui_session(t.root(), &[]);
    let before = std::sync::Arc::clone(&session.state.data.as_ref().expect("analysed").snapshot);
    session.apply(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::NONE,
    )));
    let deadline = Instant::now() + crate::util::deadline();
    let rescanned = |s: &Session| {
        (s.state.data.as_ref())
            .is_some_and(|a| !a.envelopes_pending && !std::sync::Arc::ptr_eq(&a.snapshot, &before))
    };
    while !rescanned(&session) {
        assert!(Instant::now() < deadline, "the rescan did not finish");
        session.pump(Duration::from_millis(50));
    }
    let after = &session.state.data.as_ref().expect("analysed").snapshot;
    assert!(
        after.generation > before.generation,
        "{} after {}",
        after.generation,
        before.generation
    );
}

/// The opening key (`top`'s first culprit's, no key picked with `c`) stays after an action:
/// once the script's flood is yanked, an open relay's IP is `top`'s first culprit, and the
/// pane switched to origin-ip under the operator, restarting the watcher (the header's
/// `-N/min yanked` of the yank just made went with it).
#[test]
fn the_opening_key_is_kept_after_a_yank() {
    use crossterm::event::KeyCode;
    use qtriage::tui::state::Popup;

    let t = crate::util::TestQueue::new(23);
    let born = NOW - 300;
    let flood: Vec<_> = (0..60)
        .map(|i| t.add(php_flood(i).born(born + i)))
        .collect();
    for i in 0..40 {
        t.add(
            qtriage::fixture::MessageSpec::new()
                .received_from("203.0.113.66")
                .sender(format!("x{i}@relayed{i}.example"))
                .remote(format!("victim{i}@example.net"))
                .header("Subject", b"Cheap meds")
                .born(born + i),
        );
    }
    for i in 0..8 {
        t.add(crate::cli_actions_json::legit(i).born(born));
    }
    let mut session = tui_session(t.root(), &[]);
    let key = |s: &Session| s.state.data.as_ref().map(|d| d.clustering.key);
    assert_eq!(key(&session), Some(ClusterKey::Script), "the opening key");
    let before = session
        .state
        .data
        .as_ref()
        .expect("analysed")
        .snapshot
        .generation;
    session.state.marks.ids.extend(&flood);
    press_until(&mut session, KeyCode::Char('y'), |p| {
        matches!(p, Popup::Confirm(_))
    });
    press_until(&mut session, KeyCode::Enter, |p| *p == Popup::None);
    let deadline = Instant::now() + crate::util::deadline();
    while session
        .state
        .data
        .as_ref()
        .expect("analysed")
        .snapshot
        .generation
        == before
    {
        assert!(Instant::now() < deadline, "{:?}", session.state.status);
        session.pump(Duration::from_millis(100));
    }
    let data = session.state.data.as_ref().expect("analysed");
    assert_eq!(data.snapshot.records.len(), 48, "the flood was yanked");
    // The relay is now what `top` puts first: the pane would have gone to its key.
    let top = data.snapshot.basis().top(
        &data.snapshot.records,
        &data.snapshot.strings,
        &data.snapshot.logs,
        1,
        qtriage::analysis::rank::OF_QUEUE,
    );
    assert_eq!(top.first().map(|c| c.key), Some(ClusterKey::OriginIp));
    assert_eq!(key(&session), Some(ClusterKey::Script));
    assert_eq!(session.state.clusters.key, Some(ClusterKey::Script));
}
