//! Tests of the journal: its round trip, a torn tail or head, batch ids, and ENOSPC.

use super::*;

fn header(id: &str) -> BatchHeader {
    BatchHeader {
        version: JOURNAL_VERSION,
        batch: id.into(),
        direction: Direction::Yank,
        query: "auth:test".into(),
        created: 1,
        queue: "/q".into(),
        split: 23,
        big_todo: false,
        undoes: None,
        verdict: false,
    }
}

#[test]
fn round_trip_and_torn_tail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let msgs = vec![JournalMessage {
        id: MessageId(7),
        files: vec![Subdir::Mess, Subdir::Info],
        set_mtime: None,
        old_mtime: None,
        info_inode: Some(12),
        mess: Some(MessStamp(512, 1_700_000_000, 5)),
    }];
    let mut w =
        JournalWriter::create(dir.path(), &header("b1"), &msgs, &Armed::none()).expect("create");
    let path = w.path().to_path_buf();
    w.progress(1).expect("progress");
    // A torn append: half a line with no newline.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(b"{\"type\":\"do"))
        .expect("append");
    let b = load(&path).expect("load");
    assert_eq!(b.state, BatchState::Interrupted);
    assert_eq!(b.messages, msgs);
    assert!(!is_finished(&path).expect("tail"));
    JournalWriter::reopen(&path)
        .expect("reopen")
        .done(1, 0, true)
        .expect("done");
    assert_eq!(load(&path).expect("load").state, BatchState::Done);
    assert!(is_finished(&path).expect("tail"));
}

#[test]
fn a_batch_id_sorts_after_the_batches_of_its_second() {
    let now = 1_795_428_077; // 2026-11-23 10:01:17 UTC
    let name = |id: &str| PathBuf::from(format!("/y/.journal/{id}{JOURNAL_SUFFIX}"));
    let first = new_batch_id(now, &[]);
    assert!(first.starts_with("20261123-100117-"), "{first}");
    assert!(first.as_str() < "20261123-100117-8000", "{first}");
    // Others of this second (one from an older qtriage, whose digits could be any), of
    // another second, and a file that is not a journal.
    let earlier = [
        name("20261123-100117-e3a1"),
        name("20261123-100117-0042"),
        name("20261123-100118-ffff"),
        PathBuf::from("/y/.journal/20261123-100117-fff0.tmp"),
    ];
    let next = new_batch_id(now, &earlier);
    assert_eq!(next, "20261123-100117-e3a2");
    let mut all: Vec<String> = earlier[..3]
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .chain([format!("{next}{JOURNAL_SUFFIX}")])
        .collect();
    all.sort();
    assert_eq!(all[2], format!("{next}{JOURNAL_SUFFIX}"), "{all:?}");
    // Many in one second keep sorting in the order they were made.
    let mut made: Vec<PathBuf> = Vec::new();
    for _ in 0..50 {
        let id = new_batch_id(now, &made);
        if let Some(last) = made.last() {
            assert!(name(&id) > *last, "{id} after {last:?}");
        }
        made.push(name(&id));
    }
}

#[test]
fn enospc_leaves_no_journal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fp = super::super::failpoint::Failpoint::parse("yank:journal-enospc").ok();
    let armed = Armed::new(fp, super::super::failpoint::FailOp::Batch("yank"));
    let err = JournalWriter::create(dir.path(), &header("b2"), &[], &armed).expect_err("enospc");
    assert!(err.to_string().contains("No space left"), "{err}");
    assert!(journal_files(dir.path()).expect("list").is_empty());
}

/// A journal whose first line was never finished (an older qtriage killed while writing it)
/// is no batch; one whose first line is whole but foreign still stops recovery.
#[test]
fn a_torn_first_line_is_told_from_a_foreign_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("b3{JOURNAL_SUFFIX}"));
    for torn in [&b""[..], b"{\"type\":\"batch\",\"vers"] {
        std::fs::write(&path, torn).expect("write");
        let err = load(&path).expect_err("torn");
        assert!(is_torn_header(&err), "{err}");
    }
    std::fs::write(&path, b"{\"type\":\"batch\",\"version\":99}\n").expect("write");
    let err = load(&path).expect_err("foreign");
    assert!(!is_torn_header(&err), "{err}");
    assert!(err.to_string().contains("not a qtriage journal"), "{err}");
}

/// Only a sealed journal gets its name: while it is written it is `<batch>.journal-new`.
#[test]
fn a_journal_is_named_once_sealed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let w = JournalWriter::create(dir.path(), &header("b4"), &[], &Armed::none()).expect("create");
    assert!(w.path().ends_with(format!("b4{JOURNAL_SUFFIX}")));
    assert_eq!(load(w.path()).expect("load").state, BatchState::Interrupted);
    assert!(pending_files(dir.path()).expect("list").is_empty());
    assert_eq!(journal_files(dir.path()).expect("list").len(), 1);
}

/// A header whose split no queue has (0 divided every path by zero: recovery, and so every
/// action, panicked) is not a qtriage journal.
#[test]
fn a_split_no_queue_has_is_a_bad_header() {
    let dir = tempfile::tempdir().expect("temp dir");
    for split in [0, crate::queue::MAX_SPLIT + 1] {
        let h = BatchHeader {
            split,
            ..header(&format!("s{split}"))
        };
        let w = JournalWriter::create(dir.path(), &h, &[], &Armed::none()).expect("create");
        let err = load(w.path()).expect_err("bad split");
        assert!(err.to_string().contains("not a qtriage journal"), "{err}");
    }
}
