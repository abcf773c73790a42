//! `qtriage check`: findings, exit codes, JSON, and that it never changes the queue (issue 20).

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::Subdir;
use serde_json::Value;

use crate::util::{assert_exit, TestQueue};

/// Everything about every entry below `root` that check could change, read without touching
/// atimes (O_NOATIME): kind, size, mode, owner, inode, mtime and atime to the nanosecond, bytes.
type Fact = (u32, u64, u32, u64, [i64; 4], Vec<u8>);

fn snapshot(root: &Path) -> BTreeMap<PathBuf, Fact> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).follow_links(false) {
        let e = e.expect("walk");
        let md = e.path().symlink_metadata().expect("lstat");
        let bytes = if md.file_type().is_file() {
            let mut b = Vec::new();
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOATIME)
                .open(e.path())
                .and_then(|mut f| f.read_to_end(&mut b))
                .expect("read");
            b
        } else if md.file_type().is_symlink() {
            std::fs::read_link(e.path())
                .expect("readlink")
                .into_os_string()
                .into_encoded_bytes()
        } else {
            Vec::new()
        };
        let times = if md.is_dir() {
            [0, 0, 0, 0] // listing a directory may set its atime; its entries are compared
        } else if md.file_type().is_symlink()
            || e.path().to_string_lossy().contains("/yanked/.journal/")
        {
            // readlink above moves a link's atime; the journal is read by check (qmail never
            // looks at it). Message files keep their atimes: qmail-clean judges mess by it.
            [md.mtime(), md.mtime_nsec(), 0, 0]
        } else {
            [md.mtime(), md.mtime_nsec(), md.atime(), md.atime_nsec()]
        };
        out.insert(
            e.path().to_path_buf(),
            (md.mode(), md.len(), md.uid(), md.ino(), times, bytes),
        );
    }
    out
}

/// A passwd file naming qmailq and qmails as the user running the tests.
fn passwd(t: &TestQueue) -> String {
    let uid = std::fs::metadata(t.root()).expect("queue").uid();
    let path = t.root().join("../passwd");
    std::fs::write(
        &path,
        format!("qmailq:x:{uid}:0::/:/bin/false\nqmails:x:{uid}:0::/:/bin/false\n"),
    )
    .expect("passwd");
    path.to_str().expect("utf-8").to_string()
}

fn spec() -> MessageSpec {
    MessageSpec::new()
        .remote("a@example.net")
        .received_from("192.0.2.7")
}

#[test]
fn a_healthy_queue_checks_clean_with_exit_0() {
    let t = TestQueue::new(23);
    for s in [
        FixtureState::Queued,
        FixtureState::InDelivery,
        FixtureState::Done,
    ] {
        t.add(spec().state(s));
    }
    let pw = passwd(&t);
    let out = t.run(&["check", "--passwd", &pw]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("0 findings in "), "{text}");
    assert!(!text.contains("yank area"), "none yet: {text}");
    // The yank area checked is said (newuser53 took its silence as not looked at).
    t.stdout(&["yank", "id:*", "--apply"]);
    let text = t.stdout(&["check", "--passwd", &pw]);
    let (yank_line, last) = text.trim_end().split_once('\n').expect("two lines");
    assert!(
        yank_line.ends_with(
            "/yanked: 1 journaled batch checked, 3 messages in it (qtriage yanked lists them)"
        ),
        "{text}"
    );
    assert!(
        last.starts_with("0 findings in "),
        "the count stays last: {text}"
    );
    t.stdout(&["restore", "--all", "--apply"]);
    let out = t.run(&["check", "--passwd", &pw, "--json"]);
    assert_exit(&out, 0);
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["findings"], Value::Array(vec![]));
    assert_eq!(
        (j["messages"].as_u64(), j["notes"].as_array().map(Vec::len)),
        (Some(3), Some(0))
    );
    // The yank and the restore are two journaled batches; the area holds nothing now.
    let area = &j["yank_area"];
    assert!(
        area["dir"].as_str().expect("dir").ends_with("/yanked"),
        "{j}"
    );
    assert_eq!(
        (area["batches"].as_u64(), area["messages"].as_u64()),
        (Some(2), Some(0))
    );
}

#[test]
fn check_finds_each_problem_names_files_and_repairs_and_changes_nothing() {
    let t = TestQueue::new(23);
    for i in 0..4 {
        t.add(
            spec()
                .sender(format!("x{i}@spam.example"))
                .state(FixtureState::InDelivery),
        );
    }
    let misplaced = t.add(spec().state(FixtureState::InDelivery));
    t.q.misplace(Subdir::Remote, misplaced).expect("misplace");
    let moded = t.add(spec().state(FixtureState::InDelivery));
    t.q.chmod(Subdir::Info, moded, 0o640).expect("chmod");
    let link = t.add(spec().state(FixtureState::InDelivery));
    t.q.symlink(Subdir::Remote, link, "/etc/passwd")
        .expect("symlink");
    let no_mess = t.add(spec().state(FixtureState::InfoWithoutMess));
    // An interrupted yank: killed after its second rename.
    let out = t
        .command()
        .args(["yank", "sender:x*@spam.example", "--apply"])
        .env("QTRIAGE_FAILPOINT", "yank:after-rename:2")
        .output()
        .expect("run");
    assert!(out.status.code().is_none(), "the failpoint aborts the yank");

    let before = snapshot(t.root());
    let pw = passwd(&t);
    let out = t.run(&["check", "--passwd", &pw]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let out = t.run(&["check", "--passwd", &pw, "--json"]);
    assert_exit(&out, 1);
    let after = snapshot(t.root());
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert!(changed.is_empty(), "check changed {changed:?}");

    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let found: Vec<(String, Option<u64>)> = j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().expect("kind").to_string(),
                f["id"].as_u64(),
            )
        })
        .collect();
    for (kind, id) in [
        ("wrong-subdir", Some(misplaced.0)),
        ("mode", Some(moded.0)),
        ("symlink", Some(link.0)),
        ("envelope-without-mess", Some(no_mess.0)),
        ("unfinished-batch", None),
    ] {
        assert!(
            found.contains(&(kind.to_string(), id)),
            "{kind} {id:?} not in {found:?}"
        );
    }
    let batch = j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "unfinished-batch")
        .expect("batch finding");
    assert_eq!(batch["repair"], "with qmail-send stopped: qtriage recover");
    assert!(batch["files"][0]
        .as_str()
        .expect("file")
        .contains("yanked/"));
    assert!(
        text.contains(&format!("mode #{moded}: mode 0640, qmail's is 0600")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "  repair: chmod 0600 {}",
            t.q.path(Subdir::Info, moded).display()
        )),
        "{text}"
    );
    assert!(
        !text.contains("owner #"),
        "the passwd names the test user: {text}"
    );
    // The last line counts each kind, the fewest first: one unfinished batch is not lost
    // under thousands of findings of another kind.
    let last = text.lines().last().expect("a last line");
    assert!(
        last.contains(" files): ") && last.contains("unfinished-batch 1"),
        "{last}"
    );
}

#[test]
fn owners_are_skipped_with_a_note_without_qmail_users() {
    let t = TestQueue::new(23);
    t.add(spec().state(FixtureState::InDelivery));
    let pw = t.root().join("../empty-passwd");
    std::fs::write(&pw, "root:x:0:0::/root:/bin/sh\n").expect("passwd");
    let out = t.run(&["check", "--passwd", pw.to_str().expect("utf-8"), "--json"]);
    assert_exit(&out, 0);
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let note = j["notes"][0].as_str().expect("note");
    assert!(note.starts_with("owners not checked: no qmailq"), "{note}");
}
