//! The yank area itself: where it may lie (on the queue's filesystem) and which of its names
//! are yanked messages.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use qtriage::fixture::MessageSpec;

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
