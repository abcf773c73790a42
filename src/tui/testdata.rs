//! Test data for `update()` and render tests: a small flood held in memory (no disk, no clock).

use std::sync::Arc;

use super::state::{Analysis, AppState, SendState, Snapshot};
use super::worker::clustering;
use crate::analysis::key::ClusterKey;
use crate::queue::{
    Channel, HeaderFields, Interner, MessageId, MessageRecord, MessageState, Origin, OriginKind,
    Parts, Recipient, Subdir,
};

/// The fixed "now" of every test state.
pub const NOW: i64 = 1_795_000_000;

/// Subjects that try to escape, reorder, widen or break the screen.
pub const HOSTILE_SUBJECTS: [&[u8]; 4] = [
    b"Invoice \x1b[2J\x1b]0;owned\x07 paid",
    "pay\u{202e}lapyap \u{2066}x\u{2069}".as_bytes(),
    "請求書 テスト 件名が長い場合の表示確認".as_bytes(),
    b"Rechnung \xe4\xf6\xfc \xff\xfe end",
];

fn record(strings: &Interner, id: u64, i: usize, spam: bool, hostile: bool) -> MessageRecord {
    let mut parts = Parts::default();
    for s in [Subdir::Mess, Subdir::Info, Subdir::Remote] {
        parts.insert(s);
    }
    let sym = |b: &[u8]| Some(strings.intern(b));
    let (origin, sender, subject) = if spam {
        let o = Origin {
            kind: OriginKind::SmtpAuth,
            ip: sym(b"86.107.221.138"),
            auth_user: sym(b"test"),
            protocol: sym(b"ESMTPA"),
            ..Origin::default()
        };
        let subject: &[u8] = if hostile {
            HOSTILE_SUBJECTS[i % 4]
        } else {
            b"Dispute Transaction"
        };
        (o, format!("x{i}@philadefender.org"), subject.to_vec())
    } else {
        let o = Origin {
            kind: OriginKind::Smtp,
            ip: sym(b"192.0.2.10"),
            ..Origin::default()
        };
        (
            o,
            "alice@example.com".to_string(),
            b"minutes of the meeting".to_vec(),
        )
    };
    let rcpts: Vec<Recipient> = (0..1 + i % 3)
        .map(|n| Recipient {
            address: strings.intern(format!("r{n}.{i}@customer.example").as_bytes()),
            channel: Channel::Remote,
            done: false,
        })
        .collect();
    MessageRecord {
        id: MessageId(id),
        queued: NOW - 60 * (i as i64 % 50),
        size: 1000 + i as u64,
        parts,
        state: MessageState::InDelivery,
        sender: sym(sender.as_bytes()),
        recipients: rcpts.into_boxed_slice(),
        qp: None,
        origin,
        headers: HeaderFields {
            subject: sym(&subject),
            subject_raw: sym(&subject),
            ..HeaderFields::default()
        },
        problems: Box::new([]),
    }
}

/// An analysis of `spam` messages from AUTH user `test` and `ham` from a plain SMTP client.
pub fn analysis(spam: usize, ham: usize, hostile: bool) -> Analysis {
    let strings = Arc::new(Interner::new());
    let mut records = Vec::new();
    for i in 0..spam + ham {
        records.push(record(&strings, 10_000 + i as u64, i, i < spam, hostile));
    }
    let snapshot = Arc::new(Snapshot {
        generation: 1,
        strings,
        records,
    });
    let mut c = clustering(&snapshot, ClusterKey::AuthUser, &[]);
    for cl in &mut c.clusters {
        cl.per_minute = cl.messages as f64 / 60.0;
    }
    let orders = Arc::new(super::worker::orders(&snapshot));
    Analysis {
        snapshot,
        clustering: Arc::new(c),
        selection: None,
        orders,
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
        super::action::Action::Analysed(Box::new(analysis(spam, ham, hostile))),
    );
    s
}
