//! Evaluation on a real fixture queue: selection, laziness, memoization and progress.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fixture::{FixtureQueue, MessageSpec, QueueBuilder};
use crate::query::{select, Query, QueryContext};
use crate::queue::{
    scan, Interner, MessageId, MessageRecord, Progress, Queue, QueueOptions, ScanOptions, Subdir,
};

const NOW: i64 = 1_795_428_000 + 3 * 3600;

struct Fixture {
    _dir: tempfile::TempDir,
    q: FixtureQueue,
    ids: Vec<MessageId>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let q = QueueBuilder::new(dir.path().join("queue"))
        .split(7)
        .create()
        .expect("queue");
    let born = 1_795_428_000;
    let specs = [
        MessageSpec::new()
            .born(born)
            .received_from("86.107.221.138")
            .helo("User")
            .auth("test")
            .sender("kbradford@philadefender.org")
            .remote("peter@Customer.Example.org")
            .from_header("\"PayPal\" <support@PayPal.Inc.com>")
            .subject("Dispute Transaction")
            .body("Please verify your account.\n"),
        MessageSpec::new()
            .born(born + 2 * 3600)
            .received_from("2001:db8::5")
            .sender("alice@example.com")
            .remote("a@x.example")
            .remote("b@x.example")
            .subject("=?UTF-8?Q?Caf=C3=A9?=")
            .body("lunch?\n"),
        MessageSpec::new()
            .born(born + 3600)
            .php_script(48, "/var/www/html/mailer.php")
            .sender("apache@mail.example.com")
            .remote("victim@remote.example")
            .header("X-Mailer", "PHPMailer 6.0")
            .body(b"visible\0hidden paypal\n".as_slice()),
    ];
    let ids = specs.iter().map(|s| q.add(s).expect("add")).collect();
    Fixture { _dir: dir, q, ids }
}

fn run(f: &Fixture, text: &str) -> Vec<MessageId> {
    run_with(f, text, crate::actions::Restored::none())
}

/// [`run`], with `restored` as the messages the operator picked back.
fn run_with(f: &Fixture, text: &str, restored: &crate::actions::Restored) -> Vec<MessageId> {
    let queue = Queue::open(f.q.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    let ctx = QueryContext {
        queue: &queue,
        strings: &strings,
        now: NOW,
        restored,
    };
    let q = Query::parse(text).expect("parses");
    let progress = AtomicU64::new(0);
    let picked = select(&q, &ctx, &s.records, Some(&progress));
    assert_eq!(
        progress.load(Ordering::Relaxed),
        s.records.len() as u64,
        "progress reaches the total"
    );
    // `matches` agrees with `select` record by record.
    let one: Vec<usize> = (0..s.records.len())
        .filter(|&i| q.matches(&ctx, &s.records[i]))
        .collect();
    assert_eq!(one, picked, "{text}");
    let mut ids: Vec<MessageId> = picked.iter().map(|&i| s.records[i].id).collect();
    ids.sort();
    ids
}

fn ids(f: &Fixture, which: &[usize]) -> Vec<MessageId> {
    let mut v: Vec<MessageId> = which.iter().map(|&i| f.ids[i]).collect();
    v.sort();
    v
}

#[test]
fn record_fields_select_exactly() {
    let f = fixture();
    let cases: [(&str, &[usize]); 16] = [
        ("", &[0, 1, 2]),
        ("auth:TEST", &[0]),
        ("ip:86.107.221.0/24", &[0]),
        ("ip:2001:db8::/32", &[1]),
        ("ip:86.107.*", &[0]),
        ("origin:local script:*mailer.php", &[2]),
        ("sender:*@PHILADEFENDER.org", &[0]),
        ("rcpt-domain:customer.example.org", &[0]),
        ("rcpts:>1", &[1]),
        ("subject:/dispute/i", &[0]),
        ("subject:Café", &[1]),
        ("age:>2h", &[0]),
        ("age:<=1h", &[1]),
        ("not origin:smtp-auth", &[1, 2]),
        ("auth:test or uid:48", &[0, 2]),
        ("cluster:sender-domain=philadefender.org", &[0]),
    ];
    for (q, want) in cases {
        assert_eq!(run(&f, q), ids(&f, want), "{q}");
    }
}

#[test]
fn file_fields_read_the_message() {
    let f = fixture();
    assert_eq!(run(&f, "header:x-mailer:PHPMailer*"), ids(&f, &[2]));
    assert_eq!(run(&f, "header:X-MAILER"), ids(&f, &[2]));
    assert_eq!(run(&f, "body:verify"), ids(&f, &[0]));
    // body: reads past a NUL; text: stops at it, as qmail-remove does.
    assert_eq!(run(&f, "body:hidden"), ids(&f, &[2]));
    assert_eq!(run(&f, "text:hidden"), ids(&f, &[]));
    assert_eq!(run(&f, "text:/paypal/i"), ids(&f, &[0]));
    assert_eq!(run(&f, "not body:verify"), ids(&f, &[1, 2]));
    assert_eq!(run(&f, "auth:test body:verify or uid:48"), ids(&f, &[0, 2]));
}

#[test]
fn record_only_queries_never_need_the_files() {
    let f = fixture();
    // With every mess file gone, record-only queries still decide from the scanned records.
    let queue = Queue::open(f.q.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    for id in &f.ids {
        f.q.remove_part(Subdir::Mess, *id).expect("rm");
    }
    let ctx = QueryContext {
        queue: &queue,
        strings: &strings,
        now: NOW,
        restored: crate::actions::Restored::none(),
    };
    let sel = |t: &str| select(&Query::parse(t).expect("parses"), &ctx, &s.records, None);
    assert_eq!(sel("subject:/dispute/i").len(), 1);
    assert_eq!(
        sel("body:verify").len(),
        0,
        "a vanished file matches no file term"
    );
    // A record term that decides `and` spares the file term.
    assert_eq!(sel("uid:48 or body:nothing").len(), 1);
}

#[test]
fn a_symlinked_mess_file_is_not_followed() {
    let f = fixture();
    let outside = f._dir.path().join("outside");
    std::fs::write(&outside, "Subject: x\n\nverify\n").expect("write");
    let queue = Queue::open(f.q.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    f.q.symlink(Subdir::Mess, f.ids[1], &outside)
        .expect("symlink");
    let ctx = QueryContext {
        queue: &queue,
        strings: &strings,
        now: NOW,
        restored: crate::actions::Restored::none(),
    };
    let picked = select(
        &Query::parse("body:verify").expect("parses"),
        &ctx,
        &s.records,
        None,
    );
    let got: Vec<MessageId> = picked.iter().map(|&i| s.records[i].id).collect();
    assert_eq!(got, vec![f.ids[0]]);
}

#[test]
fn many_records_sharing_few_senders_select_correctly() {
    // 200,000 records sharing 3 senders (the memoized path); prints the time for the report.
    let dir = tempfile::tempdir().expect("temp dir");
    QueueBuilder::new(dir.path())
        .split(3)
        .create()
        .expect("queue");
    let queue = Queue::open(dir.path(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let senders = [
        strings.intern(b"a@x.example"),
        strings.intern(b"b@y.example"),
        strings.intern(b"c@x.example"),
    ];
    let records: Vec<MessageRecord> = (0..200_000u64)
        .map(|n| {
            let mut r = crate::fixture::record::record(n + 1);
            r.size = (n % 5000) as u32;
            r.sender = Some(senders[(n % 3) as usize]);
            r
        })
        .collect();
    let ctx = QueryContext {
        queue: &queue,
        strings: &strings,
        now: 0,
        restored: crate::actions::Restored::none(),
    };
    let q = Query::parse("sender-domain:/^x\\./ size:<1k").expect("parses");
    let start = std::time::Instant::now();
    let picked = select(&q, &ctx, &records, None);
    let elapsed = start.elapsed();
    let want = records
        .iter()
        .filter(|r| r.sender != Some(senders[1]) && r.size < 1024)
        .count();
    assert_eq!(picked.len(), want);
    eprintln!("select over {} records: {elapsed:?}", records.len());
}

/// `restored` selects what the context says the operator restored, and only that; with no
/// yank area (`Restored::none`) nothing is.
#[test]
fn restored_selects_the_contexts_restored_messages() {
    let f = fixture();
    let restored = crate::actions::Restored::from_ids(vec![f.ids[2], f.ids[0], f.ids[2]]);
    let picked = |text: &str| run_with(&f, text, &restored);
    assert_eq!(picked("restored"), ids(&f, &[0, 2]));
    assert_eq!(picked("restored:yes"), ids(&f, &[0, 2]));
    let rest: Vec<usize> = (0..f.ids.len()).filter(|i| ![0, 2].contains(i)).collect();
    assert_eq!(picked("not restored"), ids(&f, &rest));
    assert_eq!(picked("restored:no"), ids(&f, &rest));
    assert!(run(&f, "restored").is_empty());
}

/// A glob matches values holding bytes that are not UTF-8 (an 8-bit sender, a raw subject): it
/// selected none of them, and `not sender:*` all of them (hostile50); a UTF-8 value is still
/// matched by characters.
#[test]
fn globs_match_bytes_that_are_not_utf8() {
    let dir = tempfile::tempdir().expect("temp dir");
    let q = QueueBuilder::new(dir.path().join("queue"))
        .split(7)
        .create()
        .expect("queue");
    let raw = MessageSpec::new()
        .received_from("192.0.2.9")
        .sender(b"x\xe9y@flood.example".as_slice())
        .remote("a@x.example")
        .subject(b"S1 \xff\xfe caf\xc3\xa9".as_slice());
    let plain = MessageSpec::new()
        .received_from("192.0.2.10")
        .sender("bob@other.example")
        .remote("b@x.example")
        .subject("S2 hello café");
    let added = vec![q.add(&raw).expect("add"), q.add(&plain).expect("add")];
    let f = Fixture {
        _dir: dir,
        q,
        ids: added,
    };
    assert_eq!(run(&f, "sender:*@flood.example"), ids(&f, &[0]));
    assert_eq!(run(&f, "sender:x?y@flood.example"), ids(&f, &[0]));
    assert_eq!(run(&f, "not sender:*"), ids(&f, &[]));
    assert_eq!(run(&f, "subject:\"S1 *\""), ids(&f, &[0]));
    assert_eq!(run(&f, "subject:\"S1 ?? caf?\""), ids(&f, &[0]));
    assert_eq!(run(&f, "subject:\"*hello caf?\""), ids(&f, &[1]));
    // A value that is UTF-8 is matched by characters: `?` is one, never half of `é`
    // (review50b).
    assert_eq!(run(&f, "subject:\"*hello caf??\""), ids(&f, &[]));
}
