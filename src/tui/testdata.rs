//! Test data for `update()` and render tests: a small flood held in memory (no disk, no clock).

use std::sync::Arc;

use super::event::Effect;
use super::state::{
    Analysis, AppState, BatchRow, Confirm, PlanRequest, SendState, Snapshot, YankListing,
};
use super::worker::clustering;
use crate::actions::{BatchState, Direction, MtaStatus, Plan, PlannedMessage, RestoreSelection};
use crate::analysis::key::ClusterKey;
use crate::fixture::record::{record, with_recipients};
use crate::queue::{
    Channel, Interner, Layout, MessageId, MessageRecord, Origin, OriginKind, Parts, Subdir,
};
use crate::watch::{ClusterRate, Rate, WatchMode, WatchUpdate, Window};

/// The fixed "now" of every test state.
pub const NOW: i64 = 1_795_000_000;

/// Subjects that try to escape, reorder, widen or break the screen.
pub const HOSTILE_SUBJECTS: [&[u8]; 4] = [
    b"Invoice \x1b[2J\x1b]0;owned\x07 paid",
    "pay\u{202e}lapyap \u{2066}x\u{2069}".as_bytes(),
    "請求書 テスト 件名が長い場合の表示確認".as_bytes(),
    b"Rechnung \xe4\xf6\xfc \xff\xfe end",
];

fn message(strings: &Interner, id: u64, i: usize, spam: bool, hostile: bool) -> MessageRecord {
    let mut parts = Parts::default();
    for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
        parts.insert(s);
    }
    let sym = |b: &[u8]| Some(strings.intern(b));
    let (origin, sender, subject) = if spam {
        let mut o = Origin::default();
        (o.kind, o.ip) = (OriginKind::SmtpAuth, sym(b"86.107.221.138"));
        (o.auth_user, o.protocol) = (sym(b"test"), sym(b"ESMTPA"));
        let subject: &[u8] = if hostile {
            HOSTILE_SUBJECTS[i % 4]
        } else {
            b"Dispute Transaction"
        };
        (o, format!("x{i}@philadefender.org"), subject.to_vec())
    } else {
        let mut o = Origin::default();
        (o.kind, o.ip) = (OriginKind::Smtp, sym(b"192.0.2.10"));
        (
            o,
            "alice@example.com".to_string(),
            b"minutes of the meeting".to_vec(),
        )
    };
    let mut r = record(id);
    r.set_queued(NOW - 60 * (i as i64 % 50));
    r.size = 1000 + i as u32;
    r.parts = parts;
    r.sender = sym(sender.as_bytes());
    let rcpts: Vec<String> = (0..1 + i % 3)
        .map(|n| format!("r{n}.{i}@customer.example"))
        .collect();
    with_recipients(&mut r, strings, Channel::Remote, &rcpts);
    r.origin = origin;
    r.headers.subject = sym(&subject);
    r.headers.subject_raw = sym(&subject);
    r
}

/// An analysis of `spam` messages from AUTH user `test` and `ham` from a plain SMTP client.
pub fn analysis(spam: usize, ham: usize, hostile: bool) -> Analysis {
    let strings = Arc::new(Interner::new());
    let mut records = Vec::new();
    for i in 0..spam + ham {
        records.push(message(&strings, 10_000 + i as u64, i, i < spam, hostile));
    }
    // The server's own domain, so the spam's senders are known to be forged (a ranking does
    // not call a sender a suspect for its share of the queue alone).
    let ctx = crate::analysis::cluster::AnalysisContext {
        local_domains: vec!["example.com".to_string()],
        ..Default::default()
    };
    let snapshot = Arc::new(Snapshot::analysed(
        1,
        strings,
        records,
        Default::default(),
        &ctx,
    ));
    let mut c = clustering(&snapshot, ClusterKey::AuthUser);
    for cl in &mut c.clusters {
        cl.per_minute = cl.messages as f64 / 60.0;
    }
    let orders = Arc::new(super::worker::orders(&snapshot));
    Analysis {
        snapshot,
        clustering: Arc::new(c),
        selection: None,
        orders,
        envelopes_pending: false,
    }
}

/// A ready state at `size` with `spam` + `ham` messages.
pub fn state(size: (u16, u16), spam: usize, ham: usize, hostile: bool) -> AppState {
    let mut s = AppState::new(std::path::Path::new("/var/qmail/queue"), NOW, true);
    s.ui.size = size;
    s.status.send = SendState::Stopped;
    s.clusters.key = Some(ClusterKey::AuthUser);
    super::action::update(
        &mut s,
        super::action::Action::Worker(crate::tui::event::Report::Analysed(Box::new(analysis(
            spam, ham, hostile,
        )))),
    );
    s
}

/// An `actions::Plan` of `direction` over `records`, built as the worker's `plan_yank` /
/// `plan_expire` would build it but without the disk: qmail-send's state is given.
pub fn plan_of<'r>(
    direction: Direction,
    records: impl IntoIterator<Item = &'r MessageRecord>,
    send_running: bool,
) -> Plan {
    let messages = records
        .into_iter()
        .map(|r| PlannedMessage {
            id: r.id,
            files: if direction == Direction::Expire {
                Vec::new()
            } else {
                r.parts.iter().collect()
            },
            recipients: r.recipients.len() as u32,
            bytes: u64::from(r.size),
            set_mtime: (direction == Direction::Expire).then_some(NOW - 604_801),
            old_mtime: (direction == Direction::Expire).then_some(r.queued()),
            info_inode: None,
            seen: None,
        })
        .collect();
    Plan {
        direction,
        queue_root: "/var/qmail/queue".into(),
        layout: Layout {
            split: 23,
            big_todo: false,
        },
        yank_dir: "/var/qmail/queue/yanked".into(),
        query: "tui: test".into(),
        undoes: None,
        verdict: false,
        messages,
        refused: Vec::new(),
        mta: Some(MtaStatus {
            is_send_running: send_running,
            holder: None,
        }),
    }
}

/// What the worker would answer to `effect` (an `Effect::Plan`) on `state`'s records.
pub fn answer(state: &AppState, effect: &Effect, send_running: bool) -> Confirm {
    let Effect::Plan { what, request } = effect else {
        panic!("expected a plan request, got {effect:?}");
    };
    let records = state
        .data
        .as_ref()
        .map_or(&[][..], |d| &d.snapshot.records[..]);
    let pick = |ids: &[MessageId]| -> Vec<&MessageRecord> {
        records.iter().filter(|r| ids.contains(&r.id)).collect()
    };
    let plan = match request {
        PlanRequest::Yank(ids) => plan_of(Direction::Yank, pick(ids), send_running),
        PlanRequest::Expire(ids) => plan_of(Direction::Expire, pick(ids), send_running),
        PlanRequest::Restore(RestoreSelection::Batch(b)) => Plan {
            undoes: Some(b.clone()),
            ..plan_of(Direction::Restore, records.iter().take(3), send_running)
        },
        PlanRequest::Restore(_) => {
            plan_of(Direction::Restore, records.iter().take(3), send_running)
        }
        PlanRequest::Purge(_) => plan_of(Direction::Purge, records.iter().take(3), send_running),
    };
    Confirm {
        what: what.clone(),
        plan: Arc::new(plan),
        clusters_hit: None,
        not_in_plan: None,
        still_picked: None,
        picks_unknown: None,
        pick_warning: None,
        sample: Vec::new(),
        force: false,
    }
}

/// A yank confirmation of messages `ids` (for key and view tests that need any popup).
pub fn confirm_yank(ids: &[u64]) -> Confirm {
    let s = state((80, 24), 3, 2, false);
    let records = s.data.as_ref().map_or(&[][..], |d| &d.snapshot.records[..]);
    let plan = plan_of(
        Direction::Yank,
        records.iter().filter(|r| ids.contains(&r.id.0)),
        false,
    );
    let n = plan.messages.len();
    Confirm {
        what: format!("{n} marked messages"),
        plan: Arc::new(plan),
        not_in_plan: None,
        still_picked: None,
        picks_unknown: None,
        pick_warning: None,
        sample: Vec::new(),
        clusters_hit: Some(crate::tui::state::ClustersHit {
            count: 1,
            largest: vec![("test".into(), n)],
        }),
        force: false,
    }
}

/// A yank-area listing: two yank batches (one partly restored), an expire batch, and two
/// messages qmail-remove yanked.
pub fn listing() -> YankListing {
    let row = |batch: &str, direction, ago: i64, messages, here| BatchRow {
        batch: batch.into(),
        direction,
        state: BatchState::Done,
        running: false,
        query: format!("tui: {messages} marked messages of auth-user test"),
        created: NOW - ago,
        messages,
        failed: 0,
        in_yank_area: here,
        verdict: false,
    };
    YankListing {
        batches: vec![
            row("20261119-080000-0a1b", Direction::Yank, 3600, 120, 100),
            row("20261119-083000-77ff", Direction::Expire, 1800, 4, 0),
            row("20261119-085500-c0de", Direction::Yank, 300, 30, 30),
        ],
        messages: 132,
        bytes: 132 * 1200,
        orphans: vec![MessageId(501), MessageId(502)],
    }
}

/// A watcher update: the queue at `queue_size`, growing 12/min, `test` growing 11/min (and the
/// same for its origin IP, under origin-ip).
pub fn watch_update(queue_size: u64, mode: WatchMode) -> WatchUpdate {
    let rate = |g: f64| Rate {
        in_per_min: g,
        out_per_min: 0.0,
        yanked_per_min: 0.0,
        restored_per_min: 0.0,
    };
    let cluster = |key, value: &str, g| ClusterRate {
        key,
        value: Arc::from(value.as_bytes()),
        rate: rate(g),
        queued: None,
    };
    WatchUpdate {
        at_ms: NOW * 1000,
        queue_size,
        todo: 0,
        in_per_min: 14.0,
        out_per_min: 2.0,
        yanked_per_min: 0.0,
        restored_per_min: 0.0,
        windows: Window::ALL.map(|w| (w, rate(12.0))),
        counts_15m: (14, 2, 0),
        last_minute: crate::watch::LastMinute::default(),
        yank_area_moves: 0,
        history: vec![queue_size],
        clusters: vec![
            cluster(ClusterKey::AuthUser, "test", 11.0),
            cluster(ClusterKey::OriginIp, "86.107.221.138", 11.0),
        ],
        still_arriving: vec![],
        mode,
        watched_ms: 15 * 60_000,
    }
}
