//! `qtriage stat`: qmail-qstat's exact lines and the JSON object.

use qtriage::fixture::{FixtureState, MessageSpec, QueueBuilder};
use qtriage::queue::Subdir;

use crate::util::{assert_exit, assert_text, TestQueue};

#[test]
fn counts_mess_files_and_todo_files_like_qmail_qstat() {
    let t = TestQueue::new(23);
    for i in 0..5 {
        t.add(MessageSpec::new().remote(format!("r{i}@remote.example")));
    }
    for _ in 0..3 {
        t.add(
            MessageSpec::new()
                .state(FixtureState::Queued)
                .remote("x@y.example"),
        );
    }
    t.add(
        MessageSpec::new()
            .local("alice@example.com")
            .bouncing("<a@b>:\nno.\n\n"),
    );
    let out = t.stdout(&["stat"]);
    assert_text(
        &out,
        "messages in queue: 9\nmessages in queue but not yet preprocessed: 3\n",
    );
}

#[test]
fn todo_only_queue_counts_every_message_as_unpreprocessed() {
    let t = TestQueue::new(23);
    for _ in 0..4 {
        t.add(
            MessageSpec::new()
                .state(FixtureState::Queued)
                .remote("x@y.example"),
        );
    }
    assert_text(
        &t.stdout(&["stat"]),
        "messages in queue: 4\nmessages in queue but not yet preprocessed: 4\n",
    );
    assert_text(&t.stdout(&["read"]), "");
}

#[test]
fn big_todo_split_directories_are_not_counted_as_messages() {
    let t = TestQueue::with(QueueBuilder::new("").split(7).big_todo(true));
    for _ in 0..4 {
        t.add(
            MessageSpec::new()
                .state(FixtureState::Queued)
                .remote("x@y.example"),
        );
    }
    t.add(MessageSpec::new().remote("x@y.example"));
    assert_text(
        &t.stdout(&["stat"]),
        "messages in queue: 5\nmessages in queue but not yet preprocessed: 4\n",
    );
}

/// notqmail's qmail-qstat is `find mess/* -type f | wc -l`: regular files at any depth, no link,
/// FIFO or directory, and a name with a newline counts once more per newline (a space does not
/// count twice, as qmail 1.03's `wc -w` did; newuser59 saw 5,004 against the real 5,000).
#[test]
fn regular_files_count_in_lines_like_notqmails_qmail_qstat() {
    let t = TestQueue::new(3);
    let ids: Vec<_> = (0..5)
        .map(|_| t.add(MessageSpec::new().remote("x@y.example")))
        .collect();
    t.q.fifo(Subdir::Mess, ids[0]).expect("fifo");
    t.q.symlink(Subdir::Mess, ids[1], "/etc/passwd")
        .expect("symlink");
    t.q.directory(Subdir::Mess, ids[2]).expect("directory");
    // A regular file inside that directory is found, as `find` descends.
    std::fs::write(t.q.path(Subdir::Mess, ids[2]).join("inside"), b"x").expect("inside");
    t.q.junk(Subdir::Mess, 1, b"junk name").expect("junk file");
    t.q.junk(Subdir::Mess, 2, b"two\nlines").expect("junk file");
    // 2 messages, the file in the directory, "junk name" once, "two\nlines" twice.
    assert_text(
        &t.stdout(&["stat"]),
        "messages in queue: 6\nmessages in queue but not yet preprocessed: 0\n",
    );
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StatJson {
    messages: u64,
    unpreprocessed: u64,
    local: u64,
    remote: u64,
    bouncing: u64,
    problems: u64,
}

#[test]
fn json_has_the_documented_fields() {
    let t = TestQueue::new(23);
    t.add(
        MessageSpec::new()
            .remote("a@b.example")
            .local("c@example.com")
            .bouncing("x"),
    );
    t.add(
        MessageSpec::new()
            .state(FixtureState::Queued)
            .remote("x@y.example"),
    );
    let s: StatJson = serde_json::from_str(&t.stdout(&["stat", "--json"])).expect("stat json");
    assert_eq!(
        (
            s.messages,
            s.unpreprocessed,
            s.local,
            s.remote,
            s.bouncing,
            s.problems
        ),
        (2, 1, 1, 1, 1, 0)
    );
}

#[test]
fn missing_queue_is_exit_2_naming_the_path() {
    let t = TestQueue::new(3);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .args(["--queue", "/nonexistent/queue", "stat"])
        .output()
        .expect("run");
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/queue") && err.contains("not a qmail queue: no such directory"),
        "{err}"
    );
    // A file is there, but not a directory.
    let file = t.root().join("lock/sendmutex");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(&file)
        .arg("stat")
        .output()
        .expect("run");
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a qmail queue: not a directory"), "{err}");
}

/// An exported but empty QTRIAGE_QUEUE is "unset": `--queue` before or after the subcommand
/// wins (it once made every subcommand fail with clap's "a value is required for '--queue'"),
/// while an explicit empty `--queue ""` stays an error.
#[test]
fn empty_queue_env_does_not_break_subcommands() {
    let t = TestQueue::new(3);
    t.add(MessageSpec::new().remote("a@example.net"));
    let root = t.root().to_str().expect("utf-8 temp path");
    for args in [&["--queue", root, "stat"][..], &["stat", "--queue", root]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
            .args(args)
            .env("QTRIAGE_QUEUE", "")
            .output()
            .expect("run");
        assert_exit(&out, 0);
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("messages in queue: 1\n"),
            "{args:?}"
        );
    }
    // An explicit empty --queue is an error, never the live queue.
    for args in [
        &["--queue", "", "stat"][..],
        &["yank", "--queue", "", "auth:test"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
            .args(args)
            .env_remove("QTRIAGE_QUEUE")
            .output()
            .expect("run");
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("a value is required for '--queue"), "{err}");
    }
    // Without --queue the default is named (where this host has no qmail of its own).
    if !std::path::Path::new("/var/qmail/queue").exists() {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
            .arg("stat")
            .env("QTRIAGE_QUEUE", "")
            .output()
            .expect("run");
        assert_exit(&out, 2);
        assert!(String::from_utf8_lossy(&out.stderr).contains("/var/qmail/queue"));
    }
    // The same for the other option variables: an empty QTRIAGE_VPOPMAIL is the default.
    if !std::path::Path::new("/home/vpopmail").exists() {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
            .args(["accounts", "--no-queue"])
            .env("QTRIAGE_VPOPMAIL", "")
            .output()
            .expect("run");
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("/home/vpopmail: not a vpopmail directory"),
            "{err}"
        );
    }
}

#[test]
fn states_adds_the_per_state_counts_that_plain_stat_does_not_list() {
    let t = TestQueue::new(23);
    t.add(MessageSpec::new().remote("r@remote.example"));
    t.add(
        MessageSpec::new()
            .local("alice@example.com")
            .bouncing("<a@b>:\nno.\n\n"),
    );
    t.add(
        MessageSpec::new()
            .state(FixtureState::Queued)
            .remote("x@y.example"),
    );
    let q = qtriage::queue::Queue::open(t.root(), Default::default()).expect("queue");
    let fast = qtriage::queue::count::count_qstat(&q).expect("count");
    assert_eq!((fast.messages, fast.unpreprocessed), (3, 1));
    assert_eq!(
        (fast.local, fast.remote, fast.bouncing),
        (0, 0, 0),
        "only mess/ and todo/ listed"
    );
    assert_text(
        &t.stdout(&["stat", "--states"]),
        "messages in queue: 3\nmessages in queue but not yet preprocessed: 1\n\
         messages with local recipients to deliver: 1\n\
         messages with remote recipients to deliver: 1\nmessages bouncing: 1\nproblem entries: 0\n",
    );
}

/// A queue subdirectory that is a symbolic link is refused when the queue is opened: the reads
/// below refuse a link only as a path's last component, and `mess -> /elsewhere` is in the
/// middle of every message's path.
#[test]
fn a_queue_whose_subdirectory_is_a_link_is_refused_naming_it() {
    let t = TestQueue::new(3);
    t.add(MessageSpec::new().subject("whole"));
    assert_exit(&t.run(&["read"]), 0);
    let elsewhere = tempfile::tempdir().expect("tempdir");
    for n in 0..3 {
        std::fs::create_dir(elsewhere.path().join(n.to_string())).expect("split dir");
    }
    t.q.symlink_subdir(Subdir::Info, elsewhere.path())
        .expect("link info");
    for args in [&["read"][..], &["list"], &["stat"], &["top"]] {
        let out = t.run(args);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("not a qmail queue") && err.contains("its info/ is a symbolic link"),
            "{args:?}: {err}"
        );
    }
}

/// A `--split` the queue's own directories contradict is refused: read with it, a message's
/// files are looked for where qmail does not keep them, and a yank took pieces of messages it
/// left queued (an operator's run: `--split 17` on a split-23 queue, exit 0).
#[test]
fn a_split_the_queue_contradicts_is_refused() {
    let t = TestQueue::new(23);
    for i in 0..30 {
        let spec = MessageSpec::new()
            .sender(format!("s{i}@example.org"))
            .remote("r@example.net")
            .auth("test");
        t.q.add(&spec).expect("fixture message");
    }
    for args in [
        &["--split", "17", "list", "--count"][..],
        &["--split", "17", "yank", "auth:test", "--apply"],
    ] {
        let out = t.run(args);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("--split 17 does not match the queue")
                && err.contains("from 0 to 22 (conf-split 23)"),
            "{err}"
        );
    }
    assert!(!t.root().join("yanked").exists(), "nothing was yanked");
    let out = t.run(&["--split", "23", "list", "--count"]);
    assert_exit(&out, 0);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "30");
}

/// A queue the user may not enter is "Permission denied", with the advice to run as root, not
/// "no mess/ directory in it" (an operator's run as `nobody`).
#[test]
fn a_queue_the_user_may_not_enter_says_so() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let t = TestQueue::new(3);
    t.q.add(&MessageSpec::new()).expect("fixture message");
    let mut cmd = t.command();
    cmd.args(["list", "--count"]);
    if rustix::process::geteuid().is_root() {
        // Root enters any directory: run as nobody, as the operator did.
        std::fs::set_permissions(t.root(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
        cmd.uid(65534).gid(65534);
    } else {
        std::fs::set_permissions(t.root(), std::fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    let out = cmd.output().expect("run");
    std::fs::set_permissions(t.root(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mess: Permission denied") && err.contains("run qtriage as root"),
        "{err}"
    );
    assert!(!err.contains("no mess/"), "{err}");
}
