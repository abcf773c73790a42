//! The reader on real fixture queues: states, problems, attribution, hostile layout.

use qtriage::fixture::{FixtureState, MessageSpec, QueueBuilder};
use qtriage::queue::{
    scan, scan_envelopes, scan_headers, Interner, MessageState, OriginKind, Problem, ProblemKind,
    Progress, Queue, QueueOptions, ScanOptions, Subdir,
};

use crate::util::TestQueue;

fn scan_all(t: &TestQueue) -> (qtriage::queue::Scan, Interner) {
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    (s, strings)
}

#[test]
fn every_state_is_recognised() {
    let t = TestQueue::new(23);
    let cases = [
        (FixtureState::Incoming, MessageState::Incoming),
        (FixtureState::Queued, MessageState::Queued),
        (FixtureState::Preprocessing, MessageState::Preprocessing),
        (FixtureState::InDelivery, MessageState::InDelivery),
        (FixtureState::Done, MessageState::Done),
        (FixtureState::OrphanMess, MessageState::OrphanMess),
        (FixtureState::InfoWithoutMess, MessageState::InfoWithoutMess),
        (FixtureState::TodoWithoutMess, MessageState::TodoWithoutMess),
        (FixtureState::OrphanEnvelope, MessageState::OrphanEnvelope),
    ];
    let ids: Vec<_> = cases
        .iter()
        .map(|(fs, _)| t.add(MessageSpec::new().state(*fs).remote("x@y.example")))
        .collect();
    let (s, _) = scan_all(&t);
    assert_eq!(s.records.len(), cases.len());
    for (id, (_, want)) in ids.iter().zip(cases) {
        let r = s.records.iter().find(|r| r.id == *id).expect("record");
        assert_eq!(r.state, want, "{id}");
        assert!(r.problems.is_empty(), "{id}: {:?}", r.problems);
    }
}

#[test]
fn split_is_detected_from_mess() {
    let t = TestQueue::with(QueueBuilder::new("").split(7));
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    assert_eq!(q.layout().split, 7);
    assert!(!q.layout().big_todo);
    let t = TestQueue::with(QueueBuilder::new("").split(5).big_todo(true));
    assert!(
        Queue::open(t.root(), QueueOptions::default())
            .expect("open")
            .layout()
            .big_todo
    );
}

/// One damaged split directory does not change the split: a missing or symlinked `mess/7`
/// once made it 22, every message looked misfiled, and `check` advised moving each one where
/// qmail would never find it. A stray numbered directory does not raise it either.
#[test]
fn split_survives_a_missing_or_linked_mess_directory_and_a_stray_number() {
    let outside = tempfile::tempdir().expect("outside dir");
    type Damage<'a> = &'a dyn Fn(&TestQueue);
    let damage: [(&str, Damage); 4] = [
        ("mess/7 missing", &|t| {
            std::fs::remove_dir_all(t.root().join("mess/7")).expect("remove mess/7")
        }),
        ("mess/7 a symlink", &|t| {
            t.q.symlink_split_dir(Subdir::Mess, 7, outside.path())
                .expect("symlink mess/7")
        }),
        ("a stray mess/100", &|t| {
            std::fs::create_dir(t.root().join("mess/100")).expect("mkdir mess/100")
        }),
        (
            "a message file put back flat as mess/4711 and info/4711",
            &|t| {
                for d in ["mess", "info"] {
                    std::fs::write(t.root().join(d).join("4711"), b"x").expect("flat file");
                }
            },
        ),
    ];
    for (what, damage) in damage {
        let t = TestQueue::new(23);
        let ids: Vec<_> = (0..30)
            .map(|i| t.add(MessageSpec::new().remote(format!("r{i}@x.example"))))
            .collect();
        damage(&t);
        let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
        assert_eq!(q.layout().split, 23, "{what}");
        let out = t.run(&["check"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("wrong-subdir"), "{what}: {text}");
        // Every message outside the damaged bucket is still read.
        let listed = String::from_utf8_lossy(&t.run(&["read"]).stdout).into_owned();
        for id in ids.iter().filter(|id| id.0 % 23 != 7) {
            assert!(
                listed.contains(&format!("#{id} ")),
                "{what}: #{id} not read"
            );
        }
    }
}

#[test]
fn attribution_of_the_three_auth_shapes_and_a_php_script() {
    let t = TestQueue::new(23);
    let a = t.add(
        MessageSpec::new()
            .received_from("86.107.221.138")
            .helo("User")
            .auth("test")
            .remote("x@y.example"),
    );
    let b = t.add(
        MessageSpec::new()
            .received_from("41.203.18.7")
            .auth_with("test@example.com", "SMTP")
            .remote("x@y.example"),
    );
    let c = t.add(
        MessageSpec::new()
            .received_from("190.12.44.201")
            .auth_with(
                "sales",
                "ESMTPSA (TLS_AES_256_GCM_SHA384 encrypted, authenticated)",
            )
            .remote("x@y.example"),
    );
    let d = t.add(
        MessageSpec::new()
            .php_script(48, "wp-content/uploads/mailer.php")
            .sender("apache@mail.example.com")
            .remote("x@y.example"),
    );
    let e = t.add(
        MessageSpec::new()
            .received_from("209.85.220.41")
            .helo("mx3.remote.example")
            .local("alice@example.com"),
    );
    let (s, st) = scan_all(&t);
    let get = |id| s.records.iter().find(|r| r.id == id).expect("record");
    let text = |sym: Option<qtriage::queue::Sym>| sym.map(|s| st.text(s));
    assert_eq!(get(a).origin.kind, OriginKind::SmtpAuth);
    assert_eq!(text(get(a).origin.auth_user).as_deref(), Some("test"));
    assert_eq!(text(get(a).origin.helo).as_deref(), Some("User"));
    assert_eq!(
        text(get(b).origin.auth_user).as_deref(),
        Some("test@example.com")
    );
    assert_eq!(text(get(b).origin.ip).as_deref(), Some("41.203.18.7"));
    assert_eq!(get(c).origin.kind, OriginKind::SmtpAuth);
    assert_eq!(text(get(c).origin.protocol).as_deref(), Some("ESMTPSA"));
    assert_eq!(get(d).origin.kind, OriginKind::Local);
    assert_eq!(get(d).origin.uid(), Some(48));
    assert_eq!(
        text(get(d).origin.script).as_deref(),
        Some("wp-content/uploads/mailer.php")
    );
    assert_eq!(get(e).origin.kind, OriginKind::Smtp);
    assert_eq!(text(get(e).origin.ip).as_deref(), Some("209.85.220.41"));
}

#[test]
fn hostile_layout_is_reported_never_followed() {
    let t = TestQueue::new(23);
    let link = t.add(MessageSpec::new().remote("x@y.example"));
    t.q.symlink(Subdir::Mess, link, "/etc/passwd")
        .expect("symlink");
    let misplaced = t.add(MessageSpec::new().remote("x@y.example"));
    t.q.misplace(Subdir::Info, misplaced).expect("misplace");
    let fifo = t.add(MessageSpec::new().remote("x@y.example"));
    let fifo_path = t.q.path(Subdir::Remote, fifo);
    std::fs::remove_file(&fifo_path).expect("rm");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo_path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("mkfifo");
    let huge = t.add(
        MessageSpec::new()
            .remote("x@y.example")
            .header_size(200_000),
    );
    let trunc = t.add(
        MessageSpec::new()
            .remote("x@y.example")
            .truncate_envelope(Subdir::Info),
    );
    std::fs::write(t.root().join("mess/3/not-an-id"), b"junk").expect("junk");
    let (s, _) = scan_all(&t);
    let problems = |id| {
        s.records
            .iter()
            .find(|r| r.id == id)
            .expect("record")
            .problems
            .to_vec()
    };
    assert_eq!(
        problems(link),
        vec![Problem {
            kind: ProblemKind::Symlink,
            part: Subdir::Mess
        }]
    );
    assert_eq!(
        problems(misplaced),
        vec![Problem {
            kind: ProblemKind::WrongSubdir,
            part: Subdir::Info
        }]
    );
    assert_eq!(
        problems(fifo),
        vec![Problem {
            kind: ProblemKind::NotRegularFile,
            part: Subdir::Remote
        }]
    );
    assert_eq!(
        problems(huge),
        vec![Problem {
            kind: ProblemKind::HeaderTooLong,
            part: Subdir::Mess
        }]
    );
    assert_eq!(
        problems(trunc),
        vec![Problem {
            kind: ProblemKind::TruncatedEnvelope,
            part: Subdir::Info
        }]
    );
    assert_eq!(s.report.junk_names, 1);
    // The misplaced info is still read: the sender is known.
    assert!(s
        .records
        .iter()
        .find(|r| r.id == misplaced)
        .expect("r")
        .sender
        .is_some());
}

#[test]
fn progress_counts_every_message() {
    let t = TestQueue::new(5);
    for i in 0..50 {
        t.add(MessageSpec::new().remote(format!("r{i}@x.example")));
    }
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let progress = Progress::default();
    let s = scan(&q, &Interner::new(), ScanOptions::default(), &progress).expect("scan");
    let p = progress.snapshot();
    assert_eq!((p.listed, p.read, p.done), (50, 50, true));
    assert_eq!(s.records.len(), 50);
}

#[test]
fn a_split_directory_that_is_a_symlink_is_warned_about_not_followed() {
    let t = TestQueue::new(3);
    for i in 0..12 {
        t.add(MessageSpec::new().remote(format!("r{i}@x.example")));
    }
    let outside = tempfile::tempdir().expect("outside dir");
    t.q.symlink_split_dir(Subdir::Info, 1, outside.path())
        .expect("symlink dir");
    for args in [
        &["list"][..],
        &["read"],
        &["clusters", "--by", "origin-ip"],
        &["top"],
    ] {
        let out = t.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("info/1: not listed (a symbolic link, not followed)")
                && err.contains("messages in it are not shown"),
            "{args:?}: {err}"
        );
        // `read`'s listing lacks their messages: exit 2, as qmail-qread stops at a directory
        // it cannot open; the others list the rest and say so.
        let most = if args == ["read"] { 2 } else { 1 };
        assert!(
            out.status.code().is_some_and(|c| c <= most),
            "{args:?}: {err}"
        );
        assert_eq!(
            out.status.code() == Some(2),
            args == ["read"],
            "{args:?}: {err}"
        );
    }
    for json in [false, true] {
        let args: &[&str] = if json {
            &["read", "--json"]
        } else {
            &["read", "--sort", "id"]
        };
        assert_eq!(t.run(args).status.code(), Some(2), "{args:?}");
    }
    // `check` says what it is and that qmail, unlike qtriage, follows it.
    let text = String::from_utf8_lossy(&t.run(&["check"]).stdout).into_owned();
    assert!(
        text.contains("cannot be listed: a symbolic link, not followed")
            && text.contains("qmail follows the link, qtriage does not"),
        "{text}"
    );
    // A directory `read` does not print from leaves its listing whole, as qmail-qread's
    // (review59: exit 2 for an unreadable mess/4 or bounce/ with the same lines).
    let t = TestQueue::new(3);
    for i in 0..12 {
        t.add(MessageSpec::new().remote(format!("r{i}@x.example")));
    }
    t.q.symlink_split_dir(Subdir::Mess, 1, outside.path())
        .expect("symlink dir");
    // The full scan (`--json`, `--sort`) lists every directory, so it meets mess/1 each time.
    for args in [&["read", "--json"][..], &["read", "--sort", "id"]] {
        let out = t.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("mess/1: not listed"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// The TUI's envelope pass after the header pass `heads`.
fn envelope_pass(
    q: &Queue,
    strings: &Interner,
    heads: &qtriage::queue::Scan,
) -> qtriage::queue::Scan {
    scan_envelopes(
        q,
        strings,
        &heads.records,
        heads.report.started,
        &Progress::default(),
    )
    .expect("envelope pass")
}

/// A full scan of `root`, and the same queue read in the TUI's two passes (headers, then
/// envelopes merged in): the records must be the same, message by message.
fn assert_two_passes_equal_one_scan(root: &std::path::Path) -> usize {
    let q = Queue::open(root, QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let full = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    let heads = scan_headers(&q, &strings, &Progress::default()).expect("header pass");
    assert!(
        heads
            .records
            .iter()
            .all(|r| r.recipients.is_empty() && r.sender.is_none()),
        "the header pass reads no envelope"
    );
    let both = envelope_pass(&q, &strings, &heads);
    assert_eq!(both.records.len(), full.records.len(), "{}", root.display());
    for (two, one) in both.records.iter().zip(&full.records) {
        assert_eq!(two, one, "message {} of {}", one.id, root.display());
    }
    full.records.len()
}

#[test]
fn headers_then_envelopes_equal_one_full_scan() {
    use qtriage::fixture::flood::{write_flood, FloodSpec};
    // The flood mix: every origin, bounces, todo/ and intd/ messages, odd charsets.
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    write_flood(&t.q, &FloodSpec::new(3_000, 7, 1_795_435_200)).expect("flood written");
    assert_eq!(assert_two_passes_equal_one_scan(t.root()), 3_000);
    // Every life-cycle state, with and without a mess file or an info file.
    let t = TestQueue::new(23);
    for state in [
        FixtureState::Incoming,
        FixtureState::Queued,
        FixtureState::Preprocessing,
        FixtureState::InDelivery,
        FixtureState::Done,
        FixtureState::OrphanMess,
        FixtureState::InfoWithoutMess,
        FixtureState::TodoWithoutMess,
        FixtureState::OrphanEnvelope,
    ] {
        t.add(
            MessageSpec::new()
                .state(state)
                .sender("")
                .remote("x@y.example")
                // qmail-send lagging: the birth time and qmail-queue's date differ.
                .preprocessed_after(90),
        );
    }
    // info/ unreadable (a link), todo/ younger than mess/: the time is the older of the two.
    let born = 1_700_000_500;
    let id = t.add(
        MessageSpec::new()
            .state(FixtureState::Preprocessing)
            .remote("x@y.example")
            .born(born),
    );
    t.q.symlink(Subdir::Info, id, "/nonexistent").expect("link");
    let mess = std::fs::File::open(t.q.path(Subdir::Mess, id)).expect("mess");
    let older = std::time::UNIX_EPOCH + std::time::Duration::from_secs(born as u64 - 500);
    mess.set_modified(older).expect("mtime");
    assert_eq!(assert_two_passes_equal_one_scan(t.root()), 10);
    let (s, _) = scan_all(&t);
    let r = s.records.iter().find(|r| r.id == id).expect("record");
    assert_eq!(r.queued(), born - 500, "{:?}", r.problems);
    // Links, FIFOs, truncated envelopes, misplaced and doubly listed files, binary headers.
    let hostile = crate::hostile_harness::hostile();
    assert!(assert_two_passes_equal_one_scan(&hostile.root) > hostile.cases.len());
}

/// The header pass takes a message's time from qmail-queue's Received date, not from an fstat
/// of its mess file; the file's mtime only when that line gives none. The envelope pass then
/// takes the mess file's own mtime, so the two passes still give one full scan's birth times.
#[test]
fn the_header_pass_dates_messages_by_qmail_queues_received_line() {
    let set_mtime = |path: std::path::PathBuf, t: i64| {
        let f = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t as u64);
        f.set_modified(at).expect("mtime");
    };
    let t = TestQueue::new(23);
    let born = 1_796_000_000;
    // qmail-queue dated its line at `born`, finished writing the file a second later, and
    // qmail-send has not yet preprocessed it (todo/ a second after that): its birth is the
    // older of todo/'s and mess/'s mtimes.
    let slow = t.add(
        MessageSpec::new()
            .state(FixtureState::Queued)
            .remote("x@y.example")
            .born(born),
    );
    set_mtime(t.q.path(Subdir::Mess, slow), born + 1);
    set_mtime(t.q.path(Subdir::Todo, slow), born + 2);
    // No qmail-queue line at all: the mess file's mtime.
    let undated = t.add(
        MessageSpec::new()
            .raw_mess("Subject: no qmail line\n\nbody\n")
            .remote("x@y.example")
            .born(born + 100),
    );
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let heads = scan_headers(&q, &strings, &Progress::default()).expect("header pass");
    let time_of = |id| {
        heads
            .records
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.queued())
    };
    assert_eq!(
        time_of(slow),
        Some(born),
        "qmail-queue's date, not the mtime"
    );
    assert_eq!(
        time_of(undated),
        Some(born + 100),
        "the mtime without a date"
    );
    let full = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    let slow_full = full.records.iter().find(|r| r.id == slow).expect("record");
    assert_eq!(
        slow_full.queued(),
        born + 1,
        "mess/'s mtime, older than todo/'s"
    );
    assert_eq!(assert_two_passes_equal_one_scan(t.root()), 2);

    // A reused id: the header pass read one message, qmail-send delivered it, and a new message
    // of the same size got its inode an hour later. The envelope pass reads the new file.
    let spec = |subject: &str, at: i64| {
        MessageSpec::new()
            .subject(subject)
            .remote("x@y.example")
            .born(at)
    };
    let t = TestQueue::new(23);
    let id = t.add(spec("first tenant", born));
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let heads = scan_headers(&q, &strings, &Progress::default()).expect("header pass");
    t.q.requeue_as(id, &spec("other tenant", born + 3_600))
        .expect("requeue");
    let size = |id| {
        std::fs::metadata(t.q.path(Subdir::Mess, id))
            .expect("mess")
            .len()
    };
    assert_eq!(u64::from(heads.records[0].size), size(id), "the same size");
    let both = envelope_pass(&q, &strings, &heads);
    let full = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    assert_eq!(both.records, full.records);
    let subject = both.records[0].headers.subject.map(|s| strings.text(s));
    assert_eq!(subject.as_deref(), Some("other tenant"));

    // A new tenant of the same size written within `SETTLED` (2 s) after the old one's
    // qmail-queue date would pass for the old one; the envelope pass takes a header-pass record
    // only for a file written before that pass began, which a reused inode's new file never is.
    // Times relative to now: the test must not depend on today's date.
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64
    };
    let day_ago = now() - 86_400;
    // `None`: born and rewritten now, after the header pass began.
    for (born, after, kept) in [
        (Some(day_ago), -1, false),
        (Some(day_ago), 0, true),
        (Some(day_ago), 2, true),
        (Some(day_ago), 3, false),
        (None, 0, false),
    ] {
        let born = born.unwrap_or_else(now);
        let t = TestQueue::new(23);
        let id = t.add(spec("first tenant", born));
        let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
        let strings = Interner::new();
        let heads = scan_headers(&q, &strings, &Progress::default()).expect("header pass");
        t.q.requeue_as(id, &spec("other tenant", born))
            .expect("requeue");
        let written = if born == day_ago { born + after } else { now() };
        set_mtime(t.q.path(Subdir::Mess, id), written);
        let began = heads.report.started;
        let both = envelope_pass(&q, &strings, &heads);
        let subject = both.records[0].headers.subject.map(|s| strings.text(s));
        let want = if kept { "first tenant" } else { "other tenant" };
        assert_eq!(
            subject.as_deref(),
            Some(want),
            "written {} s after a date {} s before the pass",
            written - born,
            began - born
        );
    }
}

/// The header pass lists mess/, todo/ and intd/ only (docs/architecture.md): its records know
/// whether qmail-queue finished queueing a message (todo/, intd/) but not its info/, local/,
/// remote/ or bounce/ files, which the envelope pass lists; a message without a mess, todo/ or
/// intd/ file has no record until then.
#[test]
fn the_header_pass_lists_no_envelope_directory() {
    use FixtureState as F;
    use MessageState as S;
    let t = TestQueue::new(23);
    let cases = [
        (F::Incoming, Some(S::Incoming)),
        (F::Queued, Some(S::Queued)),
        (F::Preprocessing, Some(S::Queued)),
        (F::InDelivery, Some(S::OrphanMess)),
        (F::Done, Some(S::OrphanMess)),
        (F::OrphanMess, Some(S::OrphanMess)),
        (F::InfoWithoutMess, None),
        (F::TodoWithoutMess, Some(S::TodoWithoutMess)),
        (F::OrphanEnvelope, None),
    ];
    let ids: Vec<_> = cases
        .iter()
        .map(|(state, _)| {
            let spec = MessageSpec::new().state(*state).remote("x@y.example");
            t.add(spec.bouncing("<x@y.example>:\nno.\n\n"))
        })
        .collect();
    let q = Queue::open(t.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let heads = scan_headers(&q, &strings, &Progress::default()).expect("header pass");
    for (id, (state, want)) in ids.iter().zip(cases) {
        let got = heads.records.iter().find(|r| r.id == *id);
        assert_eq!(got.map(|r| r.state), want, "{state:?}");
        if let Some(r) = got {
            let envelope = [Subdir::Info, Subdir::Local, Subdir::Remote, Subdir::Bounce];
            assert!(envelope.iter().all(|s| !r.parts.has(*s)), "{state:?}");
        }
    }
    // The envelope pass lists everything: one full scan's states.
    let both = envelope_pass(&q, &strings, &heads);
    let full = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    assert_eq!(both.records, full.records);
    assert_eq!(full.records.len(), cases.len());
}
