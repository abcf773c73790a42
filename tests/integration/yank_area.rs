//! The yank area itself: where it may lie (on the queue's filesystem) and which of its names
//! are yanked messages.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use qtriage::fixture::MessageSpec;
use qtriage::queue::Subdir;

use crate::tree::walk;
use crate::util::{assert_exit, TestQueue};

fn spam(i: u32) -> MessageSpec {
    MessageSpec::new()
        .sender(format!("x{i}@spam.example"))
        .remote(format!("victim{i}@example.net"))
        .received_from("82.128.32.42")
        .auth("test")
        .subject("cheap stuff")
}

/// A temp dir in /dev/shm (tmpfs) when that is another filesystem than `t`'s queue.
fn other_filesystem(t: &TestQueue) -> Option<tempfile::TempDir> {
    let d = tempfile::tempdir_in("/dev/shm").ok()?;
    let dev = |p: &Path| std::fs::metadata(p).expect("metadata").dev();
    (dev(d.path()) != dev(t.root())).then_some(d)
}

/// docs/cli.md "Actions": a `--yank-dir` on another filesystem is refused, exit 2. The dry run
/// said nothing of it (a full plan and an `apply with:` line, exit 0), and `--apply` refused
/// only after creating `DIR/.journal`. Now every action refuses it with the same line, judging
/// a directory still to be created by its nearest existing ancestor, and creates nothing.
#[test]
fn yank_area_on_another_filesystem_is_refused() {
    let t = TestQueue::new(5);
    t.add(spam(1));
    t.add(spam(2));
    let Some(other) = other_filesystem(&t) else {
        println!("skipped: /dev/shm is missing or on the queue's filesystem");
        return;
    };
    let before = walk(t.root(), &t.root().join("yanked"), false);
    let existing = other.path().to_path_buf();
    let missing = other.path().join("qy/deeper");
    for dir in [&existing, &missing] {
        let d = dir.to_str().expect("utf-8");
        let want = format!(
            "qtriage: the yank area {d} is on another filesystem than the queue {}: rename(2) \
             cannot move messages there; choose a --yank-dir on the queue's filesystem",
            t.root().display()
        );
        let actions: [&[&str]; 10] = [
            &["yank", "auth:test"],
            &["yank", "auth:test", "--json"],
            &["yank", "auth:test", "--apply"],
            &["expire", "auth:test"],
            &["expire", "auth:test", "--apply"],
            &["restore", "--all"],
            &["restore", "--all", "--apply"],
            &["purge", "--all"],
            &["purge", "--all", "--apply"],
            &["yank", "--ids", "/dev/null", "--apply"],
        ];
        let mut runs: Vec<Vec<&str>> = actions
            .iter()
            .map(|a| [*a, &["--yank-dir", d]].concat())
            .collect();
        let remove: [&[&str]; 5] = [
            &["-r"],
            &["-d"],
            &["-X", "100"],
            &["-r", "-p", "nomatch"],
            &["--json"],
        ];
        for flags in remove {
            runs.push([&["remove"], flags, &["-y", d]].concat());
        }
        for args in runs {
            let out = t.run(&args);
            assert_exit(&out, 2);
            let err = String::from_utf8_lossy(&out.stderr);
            // `remove`'s own errors start with its name, as qmail-remove's do.
            let want = match args[0] {
                "remove" => want.replacen("qtriage:", "qtriage remove:", 1),
                _ => want.clone(),
            };
            assert_eq!(err.lines().last(), Some(want.as_str()), "{args:?}: {err}");
            assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
            assert_eq!(
                std::fs::read_dir(other.path()).expect("dir").count(),
                0,
                "{args:?} created something in {d}"
            );
        }
    }
    assert_eq!(walk(t.root(), &t.root().join("yanked"), false), before);
}

/// `0042.mess` was read as message 42, but restore and purge move `42.mess`: they reported the
/// message done with 0 files and left its files where they were. A yank name whose id has a
/// leading zero is no yanked message: `yanked`, restore and purge pass it by, and it stays.
#[test]
fn a_yank_name_with_a_leading_zero_is_no_message() {
    let t = TestQueue::new(5);
    let kept = t.add(spam(1));
    let renamed = t.add(spam(2));
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let area = t.q.yank_area();
    let planted: Vec<_> = Subdir::ALL
        .into_iter()
        .filter(|s| area.path(*s, renamed).exists())
        .map(|s| {
            let name = format!("00{}.{}", renamed.0, s.name());
            area.rename(s, renamed, name.as_bytes()).expect("rename")
        })
        .collect();
    assert!(planted.len() >= 2, "{planted:?}");
    let json = |out: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).expect("one JSON object")
    };
    let out = t.run(&["yanked", "--json"]);
    assert_exit(&out, 0);
    let listed: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .filter(|j: &serde_json::Value| j["type"] == "message")
        .collect();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], kept.0);
    let out = t.run(&["purge", "--all", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(json(&out)["messages"], 1, "only {kept} is a yanked message");
    let out = t.run(&["restore", "--all", "--apply", "--json"]);
    assert_exit(&out, 0);
    let j = json(&out);
    assert_eq!(j["done"], serde_json::json!([kept.0]), "{j}");
    assert!(t.q.path(Subdir::Mess, kept).exists());
    let out = t.run(&["purge", "--all", "--apply"]);
    assert_exit(&out, 1);
    for p in &planted {
        assert!(p.exists(), "{} was left where it was", p.display());
    }
}

/// A `--yank-dir` that is a symbolic link to a missing directory was refused only by
/// `--apply`, with `File exists (os error 17)` (crash49): every action says what it is, the
/// dry run too, and creates nothing.
#[test]
fn a_yank_area_linked_to_nowhere_is_refused_plainly() {
    let t = TestQueue::new(5);
    t.add(spam(1));
    let link = t.root().join("../ylink");
    let nowhere = t.root().join("../nowhere");
    std::os::unix::fs::symlink(&nowhere, &link).expect("link");
    let before = walk(t.root(), &t.root().join("yanked"), false);
    let d = link.to_str().expect("utf-8");
    let want = format!(
        "qtriage: {d}: a symbolic link to {}, which does not exist: create that directory, or \
         give another --yank-dir",
        nowhere.display()
    );
    for args in [
        &["yank", "auth:test"][..],
        &["yank", "auth:test", "--apply"],
        &["expire", "auth:test"],
        &["restore", "--all", "--apply"],
    ] {
        let out = t.run(&[args, &["--yank-dir", d]].concat());
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().last(), Some(want.as_str()), "{args:?}: {err}");
        assert!(!nowhere.exists(), "{args:?} created it");
    }
    assert_eq!(
        walk(t.root(), &t.root().join("yanked"), false),
        before,
        "nothing moved"
    );
}

/// A yank area that is a link to a directory on the queue's filesystem is the directory it
/// leads to, for every command: `yank` filled it and `yanked` listed it, but `list --yanked`
/// and `restore QUERY` refused it with "a symbolic link, not followed" (hostile50).
#[test]
fn a_yank_area_linked_to_a_directory_is_that_directory_for_every_command() {
    let t = TestQueue::new(5);
    let ids: Vec<_> = (1..=3).map(|i| t.add(spam(i)).0).collect();
    let area = t.root().join("../area");
    std::fs::create_dir(&area).expect("area");
    let link = t.root().join("../ylink");
    std::os::unix::fs::symlink(&area, &link).expect("link");
    let d = link.to_str().expect("utf-8");
    assert_exit(
        &t.run(&["yank", "auth:test", "--apply", "--yank-dir", d]),
        0,
    );
    let listed = t.run(&["list", "--yanked", "--count", "--yank-dir", d]);
    assert_exit(&listed, 0);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        ids.len().to_string()
    );
    let out = t.run(&["restore", "auth:test", "--apply", "--yank-dir", d]);
    assert_exit(&out, 0);
    let names: Vec<String> = (std::fs::read_dir(&area).expect("area"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "journal")
        .collect();
    assert!(names.is_empty(), "all restored: {names:?}");
}

/// `yank auth:test` into the yank area `d`, dry run and `--apply`, each refused (exit 2) with
/// `want` in its error.
fn assert_yank_refused(t: &TestQueue, d: &str, want: &str) {
    for args in [
        &["yank", "auth:test"][..],
        &["yank", "auth:test", "--apply"],
    ] {
        let out = t.run(&[args, &["--yank-dir", d]].concat());
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?} {d}: {err}");
    }
}

/// A yank area inside qmail's own directories is refused, by the dry run too, and nothing
/// moves: in `pid/` qmail-clean deletes every file 36 hours old (safety62: a yank kept there
/// was gone after qmail-send's next cleanups); the default `<queue>/yanked` is fine.
#[test]
fn a_yank_area_inside_qmails_directories_is_refused() {
    let t = TestQueue::new(5);
    t.add(spam(1));
    let before = walk(t.root(), &t.root().join("yanked"), false);
    for (dir, place) in [
        ("pid", "inside the queue's pid/"),
        ("mess/0", "inside the queue's mess/"),
        ("lock", "inside the queue's lock/"),
        (".", "the queue directory"),
    ] {
        let d = t.root().join(dir);
        let d = d.to_str().expect("utf-8");
        let want = format!("the yank area {d} is {place}, which qmail reads");
        assert_yank_refused(&t, d, &want);
    }
    assert_eq!(
        walk(t.root(), &t.root().join("yanked"), false),
        before,
        "nothing moved"
    );
    assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    // A yank area made there before is rescued, not refused (review62): restore from it.
    let old = t.root().join("pid/old-yank");
    std::fs::rename(t.root().join("yanked"), &old).expect("the old area");
    let d = old.to_str().expect("utf-8");
    assert_exit(&t.run(&["restore", "--all", "--yank-dir", d]), 0);
    let out = t.stdout(&["restore", "--all", "--apply", "--yank-dir", d]);
    assert!(out.starts_with("restored 1 message"), "{out}");
}

/// A bind mount of `dir`'s source at `at`, unmounted when dropped (even when the test fails).
struct BindMount(std::path::PathBuf);

impl BindMount {
    /// `None` where mounting is not permitted (not root, or no mount namespace rights).
    fn new(dir: &Path, at: &Path) -> Option<BindMount> {
        std::fs::create_dir_all(at).expect("mount point");
        let ok = std::process::Command::new("mount")
            .arg("--bind")
            .args([dir, at])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| BindMount(at.to_path_buf()))
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A yank area on a bind mount of the queue's filesystem has the queue's `st_dev`, yet
/// rename(2) between two mounts fails (EXDEV): refused by the dry run and `--apply` alike, by
/// mount id, nothing moved (safety63: it passed, and every message was reported split). A bind
/// mount of `pid/` is refused the same way.
#[test]
fn a_yank_area_on_another_mount_of_the_queues_filesystem_is_refused() {
    let t = TestQueue::new(5);
    t.add(spam(1));
    let home = t.root().parent().expect("home");
    std::fs::create_dir(home.join("area")).expect("area");
    let Some(view) = BindMount::new(&home.join("area"), &home.join("area-view")) else {
        println!("skipped: mount --bind is not permitted here");
        return;
    };
    let pid = BindMount::new(&t.root().join("pid"), &home.join("pid-view")).expect("mount");
    let before = walk(t.root(), &t.root().join("yanked"), false);
    for area in [view.0.clone(), view.0.join("new"), pid.0.clone()] {
        let d = area.to_str().expect("utf-8");
        let want = format!("the yank area {d} is on another mount than the queue");
        assert_yank_refused(&t, d, &want);
    }
    assert_eq!(
        walk(t.root(), &t.root().join("yanked"), false),
        before,
        "nothing moved"
    );
    // The same directory by its own path is fine.
    let d = home.join("area");
    let out = t.run(&[
        "yank",
        "auth:test",
        "--apply",
        "--yank-dir",
        d.to_str().expect("utf-8"),
    ]);
    assert_exit(&out, 0);
}

/// Four spam messages, and a yank of them into the yank area `<queue>/y1` killed after five
/// renames: the second message is half-moved.
fn killed_in_another_area() -> (
    TestQueue,
    Vec<qtriage::queue::MessageId>,
    std::path::PathBuf,
) {
    let t = TestQueue::new(5);
    let ids: Vec<_> = (0..4).map(|i| t.add(spam(i))).collect();
    let area = t.root().join("y1");
    let out = t
        .command()
        .args(["yank", "auth:test", "--apply", "--yank-dir"])
        .arg(&area)
        .env("QTRIAGE_FAILPOINT", "yank:after-rename:5")
        .output()
        .expect("yank");
    assert!(out.status.code().is_none(), "aborted: {out:?}");
    (t, ids, area)
}

/// A yank into another yank area killed mid-batch: `check` and `recover` without `--yank-dir`
/// find it (safety62: `recover` said `nothing to recover`, and the operator would restart
/// qmail-send on the half-moved batch).
#[test]
fn recover_and_check_find_a_batch_killed_in_another_yank_area() {
    let (t, ids, area) = killed_in_another_area();
    let d = area.to_str().expect("utf-8");
    let check = t.run(&["check"]);
    assert_exit(&check, 1);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(text.contains("unfinished-batch"), "{text}");
    let out = t.stdout(&["recover"]);
    assert!(out.contains(&format!("in the yank area {d}:")), "{out}");
    assert!(out.contains("completed batch"), "{out}");
    let tree = walk(t.root(), &area, false);
    assert!(tree.split_ids().is_empty(), "{tree:?}");
    assert!(ids
        .iter()
        .all(|id| tree.places()[&id.0] == crate::tree::Place::Yank));
    assert_eq!(t.stdout(&["recover"]).trim(), "nothing to recover");
    // An area replaced since by a file is no area: check and recover go on (review62: every
    // check exited 2 on it).
    assert_exit(&t.run(&["restore", "--all", "--apply", "--yank-dir", d]), 0);
    std::fs::remove_dir_all(&area).expect("remove the area");
    std::fs::write(&area, b"not a yank area\n").expect("a file in its place");
    let check = t.run(&["check"]);
    assert_ne!(check.status.code(), Some(2), "{check:?}");
    let gone = format!("the yank area {d}, which an action on this queue used, is no longer there");
    assert!(
        String::from_utf8_lossy(&check.stdout).contains(&gone),
        "{check:?}"
    );
    let out = t.run(&["recover"]);
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "nothing to recover"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&gone),
        "{out:?}"
    );
}

/// A yank into another area killed mid-batch, then a yank into the default area: the second
/// first completes the killed batch (recheck62: it moved the queued half of the message the
/// killed one was moving, and the split ended with qmail-send deleting its mess).
#[test]
fn an_action_in_another_yank_area_first_completes_a_killed_batch() {
    let (t, ids, area) = killed_in_another_area();
    let out = t.run(&["yank", "auth:test", "--apply"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("recovered interrupted batch"), "{err}");
    let tree = walk(t.root(), &area, false);
    assert!(tree.split_ids().is_empty(), "{tree:?}");
    assert!(ids
        .iter()
        .all(|id| tree.places()[&id.0] == crate::tree::Place::Yank));
}

/// A message qmail-send finished between a killed yank and its recovery (none of its files
/// left on either side) is counted as gone, not as moved (recheck62: `recover` counted it
/// moved, and the operator would look for it in the yank area).
#[test]
fn recover_counts_a_message_gone_from_both_sides_apart() {
    let (t, ids, _area) = killed_in_another_area();
    // One the killed batch had not reached, its mess still queued (the batch's order is not
    // `ids`' order: CI's inodes ran the other way).
    let untouched = *(ids.iter().rev())
        .find(|&&id| t.q.path(Subdir::Mess, id).exists())
        .expect("a message the kill left whole in the queue");
    for part in Subdir::ALL {
        match t.q.remove_part(part, untouched) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => panic!("{e}"),
            _ => {}
        }
    }
    let out = t.run(&["recover", "--json"]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let batch = &json["completed"][0];
    assert_eq!(batch["messages"], 3, "{json}");
    assert_eq!(batch["gone"], serde_json::json!([untouched.0]), "{json}");
}
