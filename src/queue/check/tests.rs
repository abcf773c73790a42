//! `check`: every finding on fixture queues, and that reading the queue changes nothing.

use super::*;
use crate::fixture::{FixtureState, MessageSpec, QueueBuilder};
use crate::queue::QueueOptions;

const NOW: i64 = 1_795_428_000 + 600;

fn kinds(r: &CheckReport) -> Vec<(&'static str, Option<MessageId>)> {
    r.findings.iter().map(|f| (f.kind.name(), f.id)).collect()
}

fn opts(now: i64) -> CheckOptions {
    CheckOptions { now, owners: None }
}

fn open(root: &Path) -> Queue {
    Queue::open(root, QueueOptions::default()).expect("queue")
}

#[test]
fn a_healthy_queue_has_no_finding() {
    let dir = tempfile::tempdir().expect("tmp");
    let q = QueueBuilder::new(dir.path().join("q"))
        .create()
        .expect("fixture");
    for s in [
        FixtureState::Incoming,
        FixtureState::Queued,
        FixtureState::Preprocessing,
        FixtureState::InDelivery,
        FixtureState::Done,
    ] {
        q.add(&MessageSpec::new().remote("a@example.net").state(s))
            .expect("add");
    }
    let r = check(&open(q.root()), &opts(NOW));
    assert_eq!(kinds(&r), vec![]);
    assert_eq!((r.messages, r.files), (5, 14));
}

#[test]
fn every_kind_is_found_with_its_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let q = QueueBuilder::new(dir.path().join("q"))
        .create()
        .expect("fixture");
    let spec = || MessageSpec::new().remote("a@example.net");
    let misplaced = q.add(&spec().state(FixtureState::InDelivery)).expect("add");
    q.misplace(Subdir::Info, misplaced).expect("misplace");
    let orphan = q.add(&spec().state(FixtureState::OrphanMess)).expect("add");
    let no_mess = q
        .add(&spec().state(FixtureState::InfoWithoutMess))
        .expect("add");
    let no_intd = q.add(&spec().state(FixtureState::Queued)).expect("add");
    q.remove_part(Subdir::Intd, no_intd).expect("remove");
    let link = q.add(&spec().state(FixtureState::InDelivery)).expect("add");
    q.symlink(Subdir::Remote, link, "/etc/passwd")
        .expect("symlink");
    let fifo = q.add(&spec().state(FixtureState::InDelivery)).expect("add");
    q.fifo(Subdir::Remote, fifo).expect("fifo");
    let r = check(&open(q.root()), &opts(NOW + ORPHAN_AGE + 1));
    let got = kinds(&r);
    for want in [
        ("stale-mess", Some(orphan)),
        ("envelope-without-mess", Some(no_mess)),
        ("envelope-without-info", Some(misplaced)),
        ("wrong-subdir", Some(misplaced)),
        ("todo-without-intd", Some(no_intd)),
        ("symlink", Some(link)),
        ("not-a-file", Some(fifo)),
        ("leftover-pid", None),
    ] {
        assert!(got.contains(&want), "{want:?} missing from {got:?}");
    }
    let wrong = r
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::WrongSubdir)
        .expect("wrong-subdir");
    assert!(
        wrong.repair.starts_with("with qmail-send stopped: mv "),
        "{}",
        wrong.repair
    );
    assert_eq!(wrong.files.len(), 1);
    // A young mess without envelope is a message being received, not an orphan.
    let young = check(&open(q.root()), &opts(NOW));
    assert!(!kinds(&young).contains(&("stale-mess", Some(orphan))));
}

#[test]
fn owners_and_modes_are_compared_with_qmails() {
    let dir = tempfile::tempdir().expect("tmp");
    let q = QueueBuilder::new(dir.path().join("q"))
        .create()
        .expect("fixture");
    let id = q
        .add(
            &MessageSpec::new()
                .remote("a@example.net")
                .state(FixtureState::InDelivery),
        )
        .expect("add");
    q.chmod(Subdir::Info, id, 0o644).expect("chmod");
    let me = rustix::process::geteuid().as_raw();
    let mine = CheckOptions {
        now: NOW,
        owners: Some(Owners {
            qmailq: me,
            qmails: me,
        }),
    };
    assert_eq!(
        kinds(&check(&open(q.root()), &mine)),
        vec![("mode", Some(id))]
    );
    let theirs = CheckOptions {
        now: NOW,
        owners: Some(Owners {
            qmailq: me,
            qmails: me + 1,
        }),
    };
    let got = kinds(&check(&open(q.root()), &theirs));
    assert_eq!(
        got.iter().filter(|k| k.0 == "owner").count(),
        2,
        "info and remote: {got:?}"
    );
}
