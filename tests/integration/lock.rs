//! A real process holds lock/sendmutex (as qmail-send does): destructive commands refuse,
//! `--force` acts, and qtriage's own lock keeps a would-be qmail-send out while it acts.

use std::io::Write;
use std::process::{Command, Stdio};

use qtriage::fixture::MessageSpec;

use crate::tree::{walk, Place};
use crate::util::{assert_exit, spawn_paused, FakeSend, TestQueue};

fn would_be_send_starts(t: &TestQueue) -> bool {
    Command::new("flock")
        .arg("-n")
        .arg(t.root().join("lock/sendmutex"))
        .arg("true")
        .status()
        .expect("flock")
        .success()
}

fn queue() -> (TestQueue, Vec<u64>) {
    let t = TestQueue::new(5);
    // Born by the clock, so `expire` has a birth time to move back whatever today's date is.
    let born = qtriage::actions::plan::unix_now() - 600;
    let ids = (0..4)
        .map(|i| {
            t.add(
                MessageSpec::new()
                    .sender(format!("s{i}@x.example"))
                    .remote("v@y.example")
                    .auth("test")
                    .born(born),
            )
            .0
        })
        .collect();
    (t, ids)
}

#[test]
fn every_destructive_command_refuses_while_send_runs_and_force_acts() {
    let (t, ids) = queue();
    // Something to restore and a batch to undo, made while qmail-send was stopped, and a
    // batch undone already.
    let yank = |id: u64| {
        let out = t.stdout(&["yank", &format!("id:{id}"), "--apply"]);
        (out.lines().find_map(|l| l.split(" in batch ").nth(1)))
            .expect("batch")
            .to_string()
    };
    let (batch, undone) = (yank(ids[0]), yank(ids[1]));
    t.stdout(&["restore", "--batch", &undone, "--apply"]);
    let Some(send) = FakeSend::start(&t) else {
        println!("skipped: util-linux flock not available");
        return;
    };
    let status = t.stdout(&["mta"]);
    assert!(status.starts_with("qmail-send: running (pid "), "{status}");
    assert!(
        status.contains("flock"),
        "the holder's comm from /proc: {status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&t.stdout(&["mta", "--json"])).expect("json");
    assert_eq!(json["running"], true);
    assert_eq!(json["pid"], send.pid());

    let before = walk(t.root(), &t.root().join("yanked"), false);
    // Selecting nothing refuses too, as `remove -r` does: exit 1 "no messages match" read as
    // if the way were clear (script53).
    let cmds: [&[&str]; 7] = [
        &["yank", "auth:test", "--apply"],
        &["restore", "--all", "--apply"],
        &["restore", "--batch", &batch, "--apply"],
        &["expire", "auth:test", "--apply"],
        &["yank", "auth:nobody", "--apply"],
        &["expire", "auth:nobody", "--apply"],
        &["restore", "sender:nobody@nowhere.example", "--apply"],
    ];
    for cmd in cmds {
        let out = t.run(cmd);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("qmail-send is running"), "{cmd:?}: {err}");
        assert!(
            err.contains("svc -d /service/qmail-send") && err.contains("qmailctl stop"),
            "{err}"
        );
        assert!(
            err.contains("systemctl stop qmail") && err.contains("/etc/init.d/qmail stop"),
            "{err}"
        );
    }
    assert_eq!(
        walk(t.root(), &t.root().join("yanked"), false),
        before,
        "nothing moved"
    );
    // A batch with nothing left to restore (undone already) is nothing to do, not a refusal:
    // its emptiness does not wait on qmail-send (review53b).
    let gone = t.run(&["restore", "--batch", &undone, "--apply"]);
    assert_exit(&gone, 1);
    assert!(String::from_utf8_lossy(&gone.stdout).starts_with("nothing to restore"));

    let out = t.run(&["yank", "auth:test", "--apply", "--force"]);
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: --force"), "{out:?}");
    assert!(
        err.contains("A moved message may still be delivered"),
        "{err}"
    );
    let places = walk(t.root(), &t.root().join("yanked"), false).places();
    assert!(ids.iter().all(|id| places[id] == Place::Yank));
    // A forced restore warns of what a restore risks, not of the yank's moved messages
    // (walk65 read the yank's words on a restore).
    let out = t.run(&["restore", "--all", "--apply", "--force"]);
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: --force while qmail-send is running: it reads the queue's"),
        "{err}"
    );
    assert!(err.contains("not delivered until it restarts"), "{err}");
    assert!(
        !err.contains("A moved message may still be delivered"),
        "{err}"
    );
    let places = walk(t.root(), &t.root().join("yanked"), false).places();
    assert!(ids.iter().all(|id| places[id] == Place::Queue));
    // Nor an expire, which moves nothing: qmail-send bounces at the next attempt (walk66).
    let out = t.run(&["expire", "auth:test", "--apply", "--force"]);
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("it bounces these at their next attempt"),
        "{err}"
    );
    assert!(
        !err.contains("A moved message may still be delivered"),
        "{err}"
    );
    drop(send);
    assert_eq!(t.stdout(&["mta"]), "qmail-send: stopped\n");
}

#[test]
fn qtriage_holds_sendmutex_while_acting() {
    let (t, _) = queue();
    let (mut child, _err) = spawn_paused(
        t.command()
            .args(["yank", "auth:test", "--apply"])
            .env("QTRIAGE_FAILPOINT", "yank:pause-after-rename:2")
            .stdout(Stdio::piped()),
    );
    assert!(
        !would_be_send_starts(&t),
        "qmail-send could start half-way through a yank"
    );
    let status = t.stdout(&["mta"]);
    assert!(status.contains("qtriage"), "{status}");
    // A batch at work is running, not interrupted: nothing to recover (the crash audit and
    // the operator's run were told to run `recover` on a healthy batch).
    let listed = t.stdout(&["yanked"]);
    assert!(
        listed.contains("  yank     running  ") && !listed.contains("interrupted"),
        "{listed}"
    );
    let check = String::from_utf8_lossy(&t.run(&["check"]).stdout).into_owned();
    assert!(
        check.contains("running now") && !check.contains("half-moved"),
        "{check}"
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"\n")
        .expect("continue");
    let out = child.wait_with_output().expect("wait");
    assert_exit(&out, 0);
    assert!(
        would_be_send_starts(&t),
        "the lock is released after the action"
    );
    assert!(t.stdout(&["yanked"]).contains("  yank     done  "));
}

#[test]
fn mta_stop_runs_the_configured_command_and_waits_for_the_lock() {
    let (t, _) = queue();
    let Some(send) = FakeSend::start(&t) else {
        println!("skipped: util-linux flock not available");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("qtriage.conf");
    let mta = |verb: &str| {
        let mut cmd = t.command();
        cmd.args(["mta", verb]).env("QTRIAGE_CONFIG", &conf);
        cmd.output().expect("run")
    };
    // A refusal names the holder's pid to stop one started by hand (e2e52).
    let out = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("kill -TERM {}", send.pid())), "{err}");
    // A command that fails is said at once, not after mta_wait (e2e52: 30 s after `sh` had
    // exited 2), and the lock is still checked.
    std::fs::write(&conf, "mta_stop = exit 3\nmta_wait = 20\n").expect("conf");
    let out = mta("stop");
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`exit 3` exited with status 3, and qmail-send is still running after 2s"),
        "{err}"
    );
    // The shell's quotes are the command's (e2e52: the closing one was stripped).
    std::fs::write(
        &conf,
        format!(
            "# test\nmta_stop = kill \"{}\"\nmta_wait = 20\n",
            send.pid()
        ),
    )
    .expect("conf");
    let out = mta("stop");
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "qmail-send: stopped\n"
    );
    let out = mta("start");
    assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("mta_start is not set"),
        "{out:?}"
    );
}

/// `mta`'s own flags also after `stop`/`start`, where an operator types them (`qtriage mta stop
/// --config FILE`): they were refused there as unexpected arguments.
#[test]
fn mta_flags_are_taken_after_stop_and_start() {
    let (t, _) = queue();
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("qtriage.conf");
    std::fs::write(&conf, "mta_stop = true\nmta_wait = 1\n").expect("conf");
    let conf = conf.to_str().expect("utf-8 path");
    let out = t
        .command()
        .args(["mta", "stop", "--config", conf, "--json"])
        .env_remove("QTRIAGE_CONFIG")
        .output()
        .expect("run");
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"running\":false,\"pid\":null,\"comm\":null}\n"
    );
    // Before the subcommand, as docs/cli.md writes it, it works as it did.
    let out = t
        .command()
        .args(["mta", "--config", conf, "stop"])
        .env_remove("QTRIAGE_CONFIG")
        .output()
        .expect("run");
    assert_exit(&out, 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "qmail-send: stopped\n"
    );
}

/// A refusal, like a dry run, leaves the queue exactly as it was: no `yanked/`, no
/// `yanked/.journal/`, no lock file appear (they did before qtriage checked sendmutex).
#[test]
fn a_refusal_creates_nothing() {
    let (t, _) = queue();
    let Some(_send) = FakeSend::start(&t) else {
        println!("skipped: util-linux flock not available");
        return;
    };
    let cmds: [&[&str]; 3] = [
        &["yank", "auth:test", "--apply"],
        &["expire", "auth:test", "--apply"],
        &["remove", "-r"],
    ];
    for cmd in cmds {
        let out = t.run(cmd);
        assert_exit(&out, 2);
        assert!(
            !t.root().join("yanked").exists(),
            "{cmd:?} created the yank area while refusing"
        );
    }
}

/// A refusal exits 2 even when its message cannot be written: stderr a pipe nobody reads
/// (`2>&1 | head -1` once head has exited) or a full device (`2>/dev/full`). `eprintln!`
/// panicked there (exit 101).
#[test]
fn a_refusal_exits_2_when_stderr_is_closed_or_full() {
    let (t, _) = queue();
    let Some(_send) = FakeSend::start(&t) else {
        println!("skipped: util-linux flock not available");
        return;
    };
    let (reader, writer) = crate::util::pipe();
    drop(reader); // no reader: every write gets EPIPE, deterministically
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let sinks: [(&str, Stdio); 2] = [("closed pipe", writer.into()), ("/dev/full", full.into())];
    for (what, sink) in sinks {
        let out = t
            .command()
            .args(["yank", "auth:test", "--apply"])
            .stdout(Stdio::null())
            .stderr(sink)
            .output()
            .expect("run qtriage");
        assert_eq!(out.status.code(), Some(2), "stderr to a {what}");
    }
    // `2>&1 | head -1` once head has gone: stdout and stderr the same reader-less pipe.
    let (reader, writer) = crate::util::pipe();
    drop(reader);
    let out = t
        .command()
        .args(["yank", "auth:test", "--apply"])
        .stdout(writer.try_clone().expect("dup"))
        .stderr(writer)
        .output()
        .expect("run qtriage");
    assert_eq!(out.status.code(), Some(2), "2>&1 into a closed pipe");
    // And an error that is not a refusal (an unknown batch) keeps its status too.
    let (reader, writer) = crate::util::pipe();
    drop(reader);
    let out = t
        .command()
        .args(["restore", "--batch", "nosuch", "--apply"])
        .stderr(writer)
        .output()
        .expect("run qtriage");
    assert_eq!(out.status.code(), Some(2));
}

/// A lock whose locker has exited (a process it started holds it): the refusal gives no `kill`
/// line for a pid that may be another process's by now, and says how to find the holder
/// (newuser54: `kill -TERM 11215` for a flock that was gone, its `sleep` holding the lock).
#[test]
fn a_refusal_names_no_pid_to_kill_when_the_locker_has_exited() {
    let (t, _) = queue();
    // The shell opens the lock, flock(1) locks it and exits, and `sleep` keeps it open.
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec 9>>\"$0\" && flock -n 9 && { sleep 600 >/dev/null 2>&1 & echo $!; }")
        .arg(t.root().join("lock/sendmutex"))
        .output();
    let Some(holder) = out.ok().and_then(|o| {
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .parse::<i32>()
            .ok()
    }) else {
        println!("skipped: util-linux flock not available");
        return;
    };
    struct Kill(i32);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = Command::new("kill").arg(self.0.to_string()).status();
        }
    }
    let _holder = Kill(holder);
    let out = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not visible in /proc"), "{err}");
    assert!(!err.contains("kill -TERM"), "{err}");
    assert!(err.contains("has exited (or /proc hides it)"), "{err}");
    assert!(err.contains("fuser -v "), "{err}");
    assert!(err.contains("/lock/sendmutex names that one"), "{err}");
}

/// Two forced actions on one queue with different yank areas: the second is refused while
/// the first acts (safety62: both ran, each took the other's renames for its own, and 11
/// messages were shredded between the two areas); after the first is killed, `recover` of
/// its area leaves every message whole.
#[test]
fn a_forced_action_with_another_yank_area_waits_for_the_one_acting() {
    let (t, ids) = queue();
    let (y1, y2) = (t.root().join("y1"), t.root().join("y2"));
    let (y1, y2) = (y1.to_str().expect("utf-8"), y2.to_str().expect("utf-8"));
    let (mut first, _err) = spawn_paused(
        t.command()
            .args(["yank", "id:*", "--apply", "--force", "--yank-dir", y1])
            .env("QTRIAGE_FAILPOINT", "yank:pause-after-rename:1")
            .stdout(Stdio::null()),
    );
    let second = t.run(&["yank", "id:*", "--apply", "--force", "--yank-dir", y2]);
    assert_exit(&second, 2);
    let text = String::from_utf8_lossy(&second.stderr);
    assert!(
        text.contains(&format!(
            "another qtriage action (or a program that locked the queue directory) is \
             running: {} is locked by pid {}",
            t.root().display(),
            first.id()
        )),
        "{text}"
    );
    first.kill().expect("SIGKILL");
    first.wait().expect("wait");
    assert_exit(&t.run(&["recover", "--yank-dir", y1, "--force"]), 0);
    let tree = walk(t.root(), std::path::Path::new(y1), false);
    assert!(tree.split_ids().is_empty(), "{tree:?}");
    assert!(ids.iter().all(|id| tree.places()[id] == Place::Yank));
}
