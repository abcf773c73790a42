//! The TUI worker's two scan passes, seen from its event channel: the header pass' records are
//! let go before the envelope pass' analysis is built, so two record sets and two analyses are
//! never alive at once, nor the header pass' analysis while the envelope pass reads (issue 22:
//! the TUI under 300 MB at a million messages); an inspection asked for from the header pass'
//! rows finds its message in the full records.

use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;

use qtriage::analysis::key::ClusterKey;
use qtriage::analysis::setup::SetupOptions;
use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{Queue, QueueOptions};
use qtriage::tui::event::{Effect, Event, Report};
use qtriage::tui::state::Analysis;
use qtriage::tui::worker::{AfterFlood, Worker};

use crate::util::TestQueue;

/// The worker's next report, or fail at the deadline.
fn next(events: &Receiver<Event>) -> Report {
    match events.recv_timeout(crate::util::deadline()) {
        Ok(Event::Worker(r)) => r,
        Ok(other) => panic!("not a report: {other:?}"),
        Err(e) => panic!("no report from the worker: {e}"),
    }
}

/// The next analysis the worker shows, skipping progress and status reports.
fn next_analysis(events: &Receiver<Event>) -> Box<Analysis> {
    loop {
        match next(events) {
            Report::Analysed(a) => return a,
            Report::ScanFailed(e) => panic!("the scan failed: {e}"),
            _ => {}
        }
    }
}

/// A worker over the queue at `root`, reading `logs`, and its event channel.
fn spawn_worker(
    root: &std::path::Path,
    logs: Vec<std::path::PathBuf>,
) -> (Worker, Receiver<Event>) {
    let queue = Queue::open(root, QueueOptions::default()).expect("open");
    let after = AfterFlood {
        yank_dir: qtriage::actions::default_yank_dir(queue.root()),
        vpopmail: root.join("no-vpopmail"),
        report_dir: root.join("no-reports"),
        setup: SetupOptions {
            queue_root: queue.root().to_path_buf(),
            logs,
            ..SetupOptions::default()
        },
        fixed_now: Some(1_700_000_000),
        queue,
    };
    let (tx, events) = mpsc::channel();
    let worker = Worker::spawn(after, ClusterKey::AuthUser, tx).expect("worker");
    (worker, events)
}

/// Ask the worker to plan `request` and wait for the confirmation it builds.
fn planned(
    worker: &Worker,
    events: &Receiver<Event>,
    what: &str,
    request: qtriage::tui::state::PlanRequest,
) -> Box<qtriage::tui::state::Confirm> {
    worker.send(Effect::Plan {
        what: what.into(),
        request,
    });
    loop {
        match next(events) {
            Report::Planned(c) => break c,
            Report::Error(e) => panic!("not planned: {e}"),
            _ => {}
        }
    }
}

#[test]
fn the_header_pass_is_let_go_before_the_envelope_pass_is_analysed() {
    let t = TestQueue::new(7);
    for i in 0..5 {
        let m = MessageSpec::new()
            .state(FixtureState::Queued)
            .received_from("86.107.221.138")
            .auth("test")
            .remote(format!("victim{i}@example.org"));
        t.add(m);
    }
    let (worker, events) = spawn_worker(t.root(), Vec::new());
    worker.send(Effect::Scan);

    let header = next_analysis(&events);
    assert!(header.envelopes_pending, "the header pass comes first");
    let shown = Arc::downgrade(&header.snapshot);
    loop {
        match next(&events) {
            Report::Analysing => break,
            Report::Analysed(_) => panic!("analysed before the header pass was let go"),
            Report::ScanFailed(e) => panic!("the scan failed: {e}"),
            _ => {}
        }
    }
    // While the envelope pass ran, the header pass' snapshot was only drawn: its analysis (the
    // per-record facts) was let go, and is built again only if asked for.
    assert!(!header.snapshot.holds_basis());
    // The UI's copy, dropped when the worker says so.
    drop(header);
    assert_eq!(
        shown.strong_count(),
        0,
        "the worker (or its envelope pass) still holds the header pass' records"
    );
    let full = next_analysis(&events);
    assert!(!full.envelopes_pending);
    assert_eq!(full.snapshot.records.len(), 5);
    assert!(full.snapshot.records.iter().all(|r| r.sender.is_some()));

    // An inspection asked for from an older snapshot's row (a key pressed during the envelope
    // pass is answered from the full records, where indices may have shifted): the message is
    // found by its id, not another shown, nor "no longer listed".
    let id = full.snapshot.records[0].id;
    worker.send(Effect::Inspect { index: 3, id });
    loop {
        match next(&events) {
            Report::Inspected(i) => break assert_eq!(i.id, id),
            Report::Error(e) => panic!("not inspected: {e}"),
            _ => {}
        }
    }
}

/// A yank's Done comes after the yank area read again: the header's `yanked N` once said 0 for a
/// second or two beside the status line's `yanked 44,990 messages`.
#[test]
fn the_yank_area_is_read_again_before_an_action_is_done() {
    use qtriage::tui::state::PlanRequest;
    let t = TestQueue::new(7);
    let ids: Vec<_> = (0..4)
        .map(|i| {
            t.add(
                MessageSpec::new()
                    .received_from("86.107.221.138")
                    .auth("test")
                    .remote(format!("victim{i}@example.org")),
            )
        })
        .collect();
    let (worker, events) = spawn_worker(t.root(), Vec::new());
    worker.send(Effect::Scan);
    while next_analysis(&events).envelopes_pending {}
    let request = PlanRequest::Yank(ids[..2].to_vec());
    let confirm = planned(&worker, &events, "2 marked messages", request);
    worker.send(Effect::Execute(*confirm));
    let mut in_area = None;
    loop {
        match next(&events) {
            Report::YankArea(l) => in_area = Some(l.messages),
            Report::Done(_) => break,
            Report::Error(e) => panic!("not done: {e}"),
            _ => {}
        }
    }
    assert_eq!(in_area, Some(2), "read again before Done");
}

/// The AUTH users of a snapshot's records named `test` (by a header, or by the log).
fn by_test(a: &Analysis) -> usize {
    let s = &a.snapshot;
    (s.records.iter())
        .filter(|r| {
            r.origin
                .auth_user
                .is_some_and(|u| s.strings.text(u) == "test")
        })
        .count()
}

/// Plan and execute `request`, and the outcome's batch once Done; the last analysis shown.
fn act(
    worker: &Worker,
    events: &Receiver<Event>,
    request: qtriage::tui::state::PlanRequest,
) -> (String, Box<Analysis>) {
    let confirm = planned(worker, events, "the test's messages", request);
    worker.send(Effect::Execute(*confirm));
    let mut shown = None;
    loop {
        match next(events) {
            Report::Analysed(a) => shown = Some(a),
            Report::Done(f) => {
                let batch = f.outcome.batch.expect("a batch").batch;
                break (batch, shown.expect("analysed before Done"));
            }
            Report::Error(e) => panic!("not done: {e}"),
            _ => {}
        }
    }
}

/// An undo reads the restored messages again and gives them the AUTH user their log names, as
/// the scan did: they came back under `(none)` and the next plan went by sender patterns
/// (newuser50), until a rescan.
#[test]
fn an_undo_gives_the_restored_messages_the_auth_user_their_log_names() {
    use qtriage::actions::RestoreSelection;
    use qtriage::tui::state::PlanRequest;
    let inc = crate::log_top::incident();
    let (worker, events) = spawn_worker(inc.t.root(), vec![inc.smtpd.clone()]);
    worker.send(Effect::Scan);
    let full = loop {
        let a = next_analysis(&events);
        if !a.envelopes_pending {
            break a;
        }
    };
    let named = by_test(&full);
    assert_eq!(named, 40, "the log names test for every spam message");
    let s = &full.snapshot;
    let ids: Vec<_> = (s.records.iter())
        .filter(|r| r.origin.auth_user.is_some())
        .map(|r| r.id)
        .collect();
    let (batch, yanked) = act(&worker, &events, PlanRequest::Yank(ids));
    assert_eq!(by_test(&yanked), 0);
    // Its confirmation shows what it puts back as mail, not only counts (newuser56).
    let undo = || PlanRequest::Restore(RestoreSelection::Batch(batch.clone()));
    let confirm = planned(&worker, &events, "the undo", undo());
    assert_eq!(confirm.sample.len(), 3, "{:?}", confirm.sample);
    for line in &confirm.sample {
        let (sender, subject) = line.split_once(">  ").expect("<sender>  subject");
        assert!(sender.starts_with('<') && !subject.is_empty(), "{line}");
    }
    let (_, restored) = act(&worker, &events, undo());
    assert_eq!(by_test(&restored), named, "the log's user given back");
    let evidence = &restored.snapshot.logs.attributed;
    assert_eq!(evidence.len(), named, "with its evidence");
}
