//! The watcher on real fixture queues changed by separate writer and remover processes
//! (this test binary re-executed), and `qtriage watch` as a command (issue 8).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use qtriage::analysis::key::{ClusterKey, KeyValue};
use qtriage::fixture::{FixtureQueue, FixtureState, MessageSpec};
use qtriage::queue::listing::list;
use qtriage::queue::{Interner, Layout, MessageId, Queue, QueueOptions, Subdir};
use qtriage::watch::{
    PollReason, QueueDelta, QueueModel, WatchMode, WatchOptions, Watcher, Window,
};

use crate::util::TestQueue;

/// Set in a re-executed child: `add` or `remove`.
const ROLE: &str = "QTRIAGE_WATCH_CHILD";
const ROOT: &str = "QTRIAGE_WATCH_ROOT";
const SPLIT: &str = "QTRIAGE_WATCH_SPLIT";
const COUNT: &str = "QTRIAGE_WATCH_COUNT";

/// Two in three messages from AUTH user test@example.com at 86.107.221.138, the rest from
/// sales at 190.12.44.201; queued the way qmail-queue leaves them (mess, intd, todo).
pub(crate) fn spam(i: usize) -> MessageSpec {
    let base = MessageSpec::new()
        .state(FixtureState::Queued)
        .remote(format!("victim{i}@example.org"));
    if i % 3 == 2 {
        base.received_from("190.12.44.201")
            .auth("sales")
            .sender("sales@example.com")
    } else {
        base.received_from("86.107.221.138")
            .helo("User")
            .auth("test@example.com")
            .sender("test@example.com")
    }
}

/// Not a test of its own: the writer/remover process the other tests start. Returns at once
/// unless the environment says which role to play.
#[test]
fn watch_child_process() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} not set"));
    let split: u32 = var(SPLIT).parse().expect("split");
    let count: usize = var(COUNT).parse().expect("count");
    let q = FixtureQueue::at(
        var(ROOT),
        Layout {
            split,
            big_todo: false,
        },
    );
    match role.as_str() {
        "add" => {
            for i in 0..count {
                q.add(&spam(i)).expect("add");
            }
        }
        "remove" => {
            let ids = mess_ids(q.root(), split);
            assert!(ids.len() >= count, "only {} messages to remove", ids.len());
            for id in ids.into_iter().take(count) {
                // qmail-send's order when a message is done: channel files and info, then
                // qmail-clean's mess and intd/todo.
                for s in [
                    Subdir::Info,
                    Subdir::Local,
                    Subdir::Remote,
                    Subdir::Mess,
                    Subdir::Intd,
                    Subdir::Todo,
                ] {
                    match q.remove_part(s, id) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => panic!("remove {s:?} of {id}: {e}"),
                    }
                }
            }
        }
        other => panic!("unknown role {other}"),
    }
}

fn mess_ids(root: &Path, split: u32) -> Vec<MessageId> {
    let mut ids = Vec::new();
    for n in 0..split {
        ids.extend(
            list(&root.join("mess").join(n.to_string()))
                .expect("list")
                .entries
                .iter()
                .map(|e| e.id),
        );
    }
    ids.sort();
    ids
}

/// Start this test binary as a writer (`add`) or remover (`remove`) of `count` messages.
pub(crate) fn child(role: &str, root: &Path, split: u32, count: usize) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "watch::watch_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env(ROOT, root)
        .env(SPLIT, split.to_string())
        .env(COUNT, count.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("start child")
}

#[track_caller]
pub(crate) fn finish(mut c: Child) {
    let status = c.wait().expect("wait child");
    assert!(status.success(), "child failed: {status}");
}

/// A watcher and the model it feeds, in this process.
struct Live {
    watcher: Watcher,
    model: QueueModel,
    modes: Vec<WatchMode>,
}

impl Live {
    fn start(root: &Path, opts: WatchOptions) -> Live {
        let queue = Queue::open(root, QueueOptions::default()).expect("open");
        let strings = Arc::new(Interner::new());
        let watcher = Watcher::start(queue, Arc::clone(&strings), opts).expect("watcher");
        let model = QueueModel::new(strings, &[ClusterKey::AuthUser, ClusterKey::OriginIp]);
        let mut live = Live {
            watcher,
            model,
            modes: Vec::new(),
        };
        live.until("the initial scan", |m| m.mode().is_some());
        live
    }

    /// Apply deltas until `done` holds, or fail at the deadline showing the state.
    #[track_caller]
    fn until(&mut self, what: &str, done: impl Fn(&QueueModel) -> bool) {
        let deadline = Instant::now() + crate::util::deadline();
        while !done(&self.model) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: queue {} todo {} counts {:?} mode {:?}",
                self.model.queue_size(),
                self.model.todo(),
                self.counts(),
                self.model.mode()
            );
            match self
                .watcher
                .deltas()
                .recv_timeout(Duration::from_millis(50))
            {
                Ok(QueueDelta::Failed(e)) => panic!("watcher failed: {e}"),
                Ok(d) => {
                    self.model.apply(d);
                    if let Some(m) = self.model.mode() {
                        if self.modes.last() != Some(&m) {
                            self.modes.push(m);
                        }
                    }
                }
                Err(_) => {}
            }
        }
    }

    /// (in, out, yanked) over the last 15 minutes.
    fn counts(&self) -> (u64, u64, u64) {
        self.model
            .rates()
            .counts(self.model.last_ms(), Window::FifteenMinutes)
    }

    fn user_counts(&self, user: &str) -> (u64, u64, u64) {
        let v = Some(KeyValue::Text(self.model.strings().intern(user.as_bytes())));
        self.model
            .rates()
            .cluster_counts(0, v, self.model.last_ms(), Window::FifteenMinutes)
    }
}

#[test]
fn a_writer_and_a_remover_are_counted_and_attributed() {
    let t = TestQueue::new(23);
    for i in 0..20 {
        t.add(
            MessageSpec::new()
                .received_from("209.85.220.41")
                .remote(format!("r{i}@example.org")),
        );
    }
    let mut live = Live::start(t.root(), WatchOptions::default());
    assert_eq!(live.model.queue_size(), 20);
    assert_eq!(live.model.mode(), Some(WatchMode::Notify));

    finish(child("add", t.root(), 23, 300));
    live.until("300 arrivals", |m| m.queue_size() == 320 && m.todo() == 300);
    live.until("the rates to catch up", |m| {
        m.rates().counts(m.last_ms(), Window::FifteenMinutes).0 == 300
    });
    assert_eq!(live.counts(), (300, 0, 0));
    assert_eq!(live.user_counts("test@example.com"), (200, 0, 0));
    assert_eq!(live.user_counts("sales"), (100, 0, 0));
    // Every new message was read with its envelope (re-read if its mess came first).
    let arrived: Vec<_> = live
        .model
        .messages()
        .filter(|(_, t)| t.arrived_ms().is_some())
        .collect();
    assert_eq!(arrived.len(), 300);
    for (id, _) in &arrived {
        let r = live
            .model
            .record(*id)
            .unwrap_or_else(|| panic!("{id} unread"));
        assert!(
            r.sender.is_some() && !r.recipients.is_empty(),
            "{id} read without its envelope"
        );
    }
    let rate = live
        .model
        .rates()
        .overall(live.model.last_ms(), Window::OneMinute);
    assert!(rate.in_per_min >= 300.0, "{rate:?}");

    finish(child("remove", t.root(), 23, 150));
    live.until("150 departures", |m| m.queue_size() == 170);
    live.until("the rates to catch up", |m| {
        m.rates().counts(m.last_ms(), Window::FifteenMinutes).1 == 150
    });
    assert_eq!(live.counts(), (300, 150, 0));
    let (_, test_out, _) = live.user_counts("test@example.com");
    let (_, sales_out, _) = live.user_counts("sales");
    let none_out = live
        .model
        .rates()
        .cluster_counts(0, None, live.model.last_ms(), Window::FifteenMinutes)
        .1;
    assert_eq!(test_out + sales_out + none_out, 150);
    assert_eq!(live.modes, vec![WatchMode::Notify]);
}

#[test]
fn a_burst_of_ten_thousand_messages() {
    let t = TestQueue::new(23);
    let mut live = Live::start(t.root(), WatchOptions::default());
    let start = Instant::now();
    finish(child("add", t.root(), 23, 10_000));
    live.until("10,000 arrivals", |m| m.queue_size() == 10_000);
    live.until("10,000 counted in", |m| {
        m.rates().counts(m.last_ms(), Window::FifteenMinutes).0 == 10_000
    });
    eprintln!(
        "burst of 10,000 seen in {:?}, modes {:?}",
        start.elapsed(),
        live.modes
    );
    assert_eq!(live.counts(), (10_000, 0, 0));
    assert_eq!(live.model.todo(), 10_000);
    assert_eq!(
        live.user_counts("test@example.com").0 + live.user_counts("sales").0,
        10_000
    );
    // Whatever happened to the events (an inotify overflow falls back to rescans), every
    // message ends up read and attributed.
    assert_eq!(
        live.model
            .messages()
            .filter(|(id, _)| live.model.record(*id).is_some())
            .count(),
        10_000
    );
}

#[test]
fn lost_events_fall_back_to_rescans_and_say_so() {
    let t = TestQueue::new(7);
    for _ in 0..5 {
        t.add(MessageSpec::new().remote("x@example.org"));
    }
    // A tiny intake that is not drained until resumed: the writer's events overflow it.
    let opts = WatchOptions {
        intake_capacity: 64,
        start_paused: true,
        ..WatchOptions::default()
    };
    let mut live = Live::start(t.root(), opts);
    assert_eq!(live.model.queue_size(), 5);
    finish(child("add", t.root(), 7, 500));
    live.watcher.resume();
    live.until("the fallback", |m| {
        m.mode() == Some(WatchMode::Polling(PollReason::EventsLost))
    });
    live.until("500 arrivals by rescan", |m| m.queue_size() == 505);
    assert_eq!(live.counts(), (500, 0, 0));
    assert_eq!(live.user_counts("test@example.com").0, 334);
    // Once events flow cleanly again, notify is trusted again and still works.
    live.until("notify again", |m| m.mode() == Some(WatchMode::Notify));
    finish(child("remove", t.root(), 7, 100));
    live.until("100 departures", |m| {
        m.queue_size() == 405 && m.rates().counts(m.last_ms(), Window::FifteenMinutes).1 == 100
    });
    assert_eq!(
        live.modes[..2],
        [
            WatchMode::Notify,
            WatchMode::Polling(PollReason::EventsLost)
        ]
    );
}

/// A restore (an undo) grows the queue but is not mail arriving: counted apart from `in`, so
/// it does not look like the flood starting again; by its events, or when polling (and after
/// lost events) by the yank area's listing.
#[test]
fn yanks_count_as_out_and_restores_apart_from_in() {
    yank_and_restore(WatchOptions::default());
    yank_and_restore(WatchOptions {
        force_polling: true,
        ..WatchOptions::default()
    });
}

fn yank_and_restore(opts: WatchOptions) {
    let t = TestQueue::new(5);
    let ids: Vec<_> = (0..5)
        .map(|i| t.add(spam(i).state(FixtureState::InDelivery)))
        .collect();
    let mut live = Live::start(t.root(), opts);
    let yanked = t.root().join("yanked");
    std::fs::create_dir(&yanked).expect("yank area");
    let layout = Layout {
        split: 5,
        big_todo: false,
    };
    // What a yank does: rename(2) every file of the message into the yank area, mess first.
    for id in &ids[..2] {
        for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
            let from = t.root().join(layout.rel_path(s, *id));
            std::fs::rename(from, yanked.join(format!("{id}.{}", s.name()))).expect("yank");
        }
    }
    live.until("two yanks", |m| {
        m.queue_size() == 3 && m.rates().counts(m.last_ms(), Window::FifteenMinutes).1 == 2
    });
    assert_eq!(live.counts(), (0, 2, 2));
    assert!(live.model.get(ids[0]).is_none());
    // A restore puts mess back last.
    let id = ids[0];
    for s in [Subdir::Info, Subdir::Remote, Subdir::Mess] {
        std::fs::rename(
            yanked.join(format!("{id}.{}", s.name())),
            t.root().join(layout.rel_path(s, id)),
        )
        .expect("restore");
    }
    live.until("the restore", |m| m.queue_size() == 4);
    live.until("the restore counted", |m| {
        m.rates()
            .overall(m.last_ms(), Window::FifteenMinutes)
            .restored_per_min
            > 0.0
    });
    // The restore takes back one yank: one message out, none in.
    assert_eq!(live.counts(), (0, 1, 1));
    assert!(live.model.record(id).is_some());
}
