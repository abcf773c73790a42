//! yank / restore / yanked / purge / expire / remove_compat on real fixture queues.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use qtriage::actions::{self, ExecuteOptions, RemoveMode, RemoveOptions};
use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{MessageId, Queue, QueueOptions, Subdir};

use crate::tree::{walk, Place};
use crate::util::{assert_exit, TestQueue};

fn spam(i: u32) -> MessageSpec {
    MessageSpec::new()
        .sender(format!("x{i}@spam.example"))
        .remote(format!("victim{i}@example.net"))
        .remote("other@example.org")
        .received_from("82.128.32.42")
        .auth("test")
        .subject("cheap stuff")
}

fn legit(i: u32) -> MessageSpec {
    MessageSpec::new()
        .sender(format!("alice{i}@example.com"))
        .local("bob@example.com")
        .received_from("192.0.2.7")
}

/// A queue with `n` spam (auth test, mixed states) and `n` legitimate messages.
fn mixed(n: u32) -> (TestQueue, Vec<MessageId>, Vec<MessageId>) {
    let t = TestQueue::new(23);
    let states = [
        FixtureState::InDelivery,
        FixtureState::Queued,
        FixtureState::Preprocessing,
        FixtureState::Done,
    ];
    let spam_ids = (0..n)
        .map(|i| {
            let mut s = spam(i).state(states[i as usize % states.len()]);
            if i % 5 == 0 {
                s = s.bouncing(b"<a@b>:\nno such user\n\n");
            }
            t.add(s)
        })
        .collect();
    let legit_ids = (0..n).map(|i| t.add(legit(i))).collect();
    (t, spam_ids, legit_ids)
}

fn yank_dir(t: &TestQueue) -> std::path::PathBuf {
    t.root().join("yanked")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn batch_of(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.contains(" in batch "))
        .unwrap_or_else(|| panic!("no batch in {out}"));
    line.rsplit(' ').next().expect("batch id").to_string()
}

#[test]
fn dry_run_shows_counts_clusters_sample_and_command_and_moves_nothing() {
    let (t, spam_ids, _) = mixed(8);
    let before = walk(t.root(), &yank_dir(&t), false);
    let out = t.stdout(&["yank", "auth:test"]);
    assert!(
        out.contains("would yank 8 messages (12 recipients"),
        "{out}"
    );
    // Grouped by the key the query tests, with what the yank leaves of each value.
    assert!(
        out.contains(
            "clusters hit (auth-user): 1 value\n         8  test  (0 left in the queue)\n"
        ),
        "{out}"
    );
    assert!(!out.contains("clusters hit (origin-ip)"), "{out}");
    assert!(out.contains(&format!("#{}", spam_ids[0])), "{out}");
    assert!(out.contains("qmail-send: stopped"), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with(
            "apply with: env -u QTRIAGE_LOGS -u QTRIAGE_NOW -u QTRIAGE_VPOPMAIL qtriage --queue "
        ) && l.ends_with(" yank auth:test --apply")),
        "{out}"
    );
    assert_eq!(walk(t.root(), &yank_dir(&t), false), before);
    assert!(!yank_dir(&t).exists(), "a dry run creates nothing");
}

#[test]
fn no_match_exits_1() {
    let (t, _, _) = mixed(2);
    assert_exit(&t.run(&["yank", "auth:nobody"]), 1);
}

#[test]
fn yank_moves_every_file_with_qmail_remove_names_and_restore_gives_the_tree_back() {
    let (t, spam_ids, legit_ids) = mixed(12);
    let original = walk(t.root(), &yank_dir(&t), true);
    let out = t.run(&["yank", "auth:test", "--apply"]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("yanked 12 messages ("), "{text}");
    let batch = batch_of(&text);
    assert!(
        text.contains(&format!(
            "undo with: qtriage --queue {} restore --batch {batch} --apply",
            t.root().display()
        )),
        "{text}"
    );
    let after = walk(t.root(), &yank_dir(&t), true);
    after.assert_same_messages(&original);
    let places = after.places();
    assert!(spam_ids.iter().all(|id| places[&id.0] == Place::Yank));
    assert!(legit_ids.iter().all(|id| places[&id.0] == Place::Queue));
    // Every file, qmail-remove's naming: <id>.<subdir>, and todo/intd still one inode.
    for id in &spam_ids {
        for ((sub, _), f) in &after.files[&id.0] {
            assert_eq!(f.rel, Path::new("yanked").join(format!("{}.{sub}", id.0)));
        }
        let mess = &after.files[&id.0][&("mess".to_string(), Place::Yank)];
        assert_eq!(
            mess.ino, id.0,
            "the mess file keeps its inode, so the id stays reserved"
        );
    }
    assert!(after
        .files
        .values()
        .any(|f| f.contains_key(&("bounce".to_string(), Place::Yank))));
    assert!(after
        .files
        .values()
        .any(|f| f.contains_key(&("todo".to_string(), Place::Yank))));

    // The dry run's sample names the mail a batch puts back, not only its ids (the yank
    // area's sample read, nothing else).
    let out = t.run(&["restore", "--batch", &batch]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let sample: Vec<&str> = text.lines().filter(|l| l.starts_with("  #")).collect();
    assert!(!sample.is_empty(), "{text}");
    for line in sample {
        assert!(line.contains("@spam.example>  cheap stuff"), "{text}");
    }
    let out = t.run(&["restore", "--batch", &batch, "--apply"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("restored 12 messages"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        walk(t.root(), &yank_dir(&t), true),
        original,
        "restore gives back names, bytes, inodes"
    );
}

#[test]
fn yanked_lists_batches_and_qmail_remove_yanks_and_restore_all_takes_both_back() {
    let (t, spam_ids, legit_ids) = mixed(3);
    let original = walk(t.root(), &yank_dir(&t), true);
    let out = t.stdout(&["yank", "auth:test", "--apply"]);
    let batch = batch_of(&out);
    // What qmail-remove -r does: rename every file of the id to yanked/<id>.<subdir>.
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    let by_hand = legit_ids[0];
    for s in Subdir::ALL {
        let p = q.path(s, by_hand);
        if p.exists() {
            std::fs::rename(&p, yank_dir(&t).join(format!("{}.{}", by_hand.0, s.name())))
                .expect("rename");
        }
    }
    let json = t.stdout(&["yanked", "--json"]);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let b = &lines[0];
    assert_eq!(b["type"], "batch");
    assert_eq!(b["batch"], batch.as_str());
    assert_eq!(b["direction"], "yank");
    assert_eq!(b["state"], "done");
    assert_eq!(b["query"], "auth:test");
    assert_eq!(b["messages"], 3);
    assert_eq!(b["in_yank_area"], 3);
    assert_eq!(b["verdict"], false, "a yank is no pick-back");
    let msgs: Vec<&serde_json::Value> = lines.iter().filter(|l| l["type"] == "message").collect();
    assert_eq!(msgs.len(), 4);
    let hand = msgs
        .iter()
        .find(|m| m["id"] == by_hand.0)
        .expect("qmail-remove yank listed");
    assert_eq!(hand["batch"], serde_json::Value::Null);
    assert_eq!(hand["files"], serde_json::json!(["mess", "info", "local"]));
    let one = msgs
        .iter()
        .find(|m| m["id"] == spam_ids[0].0)
        .expect("listed");
    assert_eq!(one["batch"], batch.as_str());
    let text = t.stdout(&["yanked"]);
    assert!(
        text.contains("4 yanked messages in") && text.contains("(1 without a batch"),
        "{text}"
    );
    assert_eq!(text.lines().filter(|l| l.starts_with("  #")).count(), 4);
    // `--batches`: the batch lines and the count, not a line a message (a flood's yank is
    // thousands of them before the batch id an operator looks for).
    let short = t.stdout(&["yanked", "--batches"]);
    assert_eq!(short.lines().count(), 2, "{short}");
    assert!(short
        .lines()
        .next()
        .is_some_and(|l| l.starts_with(&format!("batch {batch} "))));
    assert!(short.contains("4 yanked messages in"), "{short}");
    let json = t.stdout(&["yanked", "--batches", "--json"]);
    assert_eq!(json.lines().count(), 1, "{json}");
    assert!(json.contains("\"type\":\"batch\""), "{json}");

    let out = t.run(&["restore", "--all", "--apply"]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("restored 4 messages"),
        "{}",
        stdout(&out)
    );
    assert_eq!(walk(t.root(), &yank_dir(&t), true), original);
    // The yank's line counts what it left in the yank area; the restore's does not.
    let text = t.stdout(&["yanked"]);
    let line = |dir: &str| {
        text.lines()
            .find(|l| l.contains(&format!("  {dir}  ")))
            .map(str::to_owned)
    };
    let yank = line("yank").expect("the yank's line");
    assert!(yank.contains("in the yank area, 0 failed)"), "{text}");
    let restore = line("restore").expect("the restore's line");
    assert!(restore.contains(" messages (0 failed)"), "{text}");
}

#[test]
fn restore_by_query_picks_from_the_yank_area() {
    let t = TestQueue::new(7);
    let a = t.add(spam(1).auth("alice"));
    let b = t.add(spam(2).auth("bob"));
    t.stdout(&["yank", "origin:smtp-auth", "--apply"]);
    let out = t.stdout(&["restore", "auth:alice", "--apply"]);
    assert!(out.contains("restored 1 message ("), "{out}");
    let places = walk(t.root(), &yank_dir(&t), false).places();
    assert_eq!((places[&a.0], places[&b.0]), (Place::Queue, Place::Yank));
}

#[test]
fn restore_by_a_recipient_other_than_the_first_reads_the_yanked_envelopes() {
    // The records keep only the first recipient: `rcpt:` on another one reads the envelope
    // files, and those of a yanked message are in the yank area, not in the queue.
    let t = TestQueue::new(7);
    let a = t.add(spam(1).remote("only-a@example.org"));
    let b = t.add(spam(2));
    t.stdout(&["yank", "origin:smtp-auth", "--apply"]);
    let out = t.stdout(&["restore", "rcpt:only-a@example.org", "--apply"]);
    assert!(out.contains("restored 1 message ("), "{out}");
    let places = walk(t.root(), &yank_dir(&t), false).places();
    assert_eq!((places[&a.0], places[&b.0]), (Place::Queue, Place::Yank));
}

#[test]
fn restore_refuses_a_message_whose_target_exists_and_restores_the_rest() {
    let (t, spam_ids, _) = mixed(4);
    t.stdout(&["yank", "auth:test", "--apply"]);
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    // Someone put an info file back by hand: restoring would overwrite it.
    let victim = spam_ids[0];
    let target = q.path(Subdir::Info, victim);
    std::fs::copy(yank_dir(&t).join(format!("{}.info", victim.0)), &target).expect("copy");
    let dry = t.stdout(&["restore", "--all"]);
    assert!(
        dry.contains(&format!(
            "refused #{}: target exists: {}",
            victim.0,
            target.display()
        )),
        "{dry}"
    );
    let out = t.run(&["restore", "--all", "--apply"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("restored 3 messages"),
        "{}",
        stdout(&out)
    );
    let tree = walk(t.root(), &yank_dir(&t), false);
    assert_eq!(
        tree.split_ids(),
        vec![victim.0],
        "only the conflicting message is left as it was"
    );
    assert!(
        yank_dir(&t).join(format!("{}.mess", victim.0)).exists(),
        "its yanked files are untouched"
    );
}

#[test]
fn journal_enospc_moves_nothing_failpoint() {
    let (t, _, _) = mixed(3);
    let before = walk(t.root(), &yank_dir(&t), false);
    let out = t
        .command()
        .args(["yank", "auth:test", "--apply"])
        .env("QTRIAGE_FAILPOINT", "yank:journal-enospc")
        .output()
        .expect("run");
    assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No space left on device"),
        "{out:?}"
    );
    assert_eq!(walk(t.root(), &yank_dir(&t), false), before);
    assert_eq!(
        std::fs::read_dir(yank_dir(&t).join(".journal"))
            .expect("dir")
            .count(),
        1,
        "only the lock file"
    );
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct TinyFs(tempfile::TempDir);

impl Drop for TinyFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .status();
    }
}

#[test]
fn journal_enospc_moves_nothing_real_full_filesystem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(dir.path())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!(
            "skipped: cannot mount a tmpfs here (journal_enospc_moves_nothing_failpoint covers it)"
        );
        return;
    }
    let fs = TinyFs(dir);
    let root = fs.0.path().join("queue");
    let q = qtriage::fixture::QueueBuilder::new(&root)
        .split(3)
        .create()
        .expect("queue");
    for i in 0..5 {
        q.add(&spam(i)).expect("add");
    }
    std::fs::create_dir_all(root.join("yanked/.journal")).expect("mkdir");
    // Fill the filesystem to the last byte.
    let mut filler = std::fs::File::create(fs.0.path().join("filler")).expect("filler");
    let chunk = vec![0u8; 4096];
    while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
    let before = walk(&root, &root.join("yanked"), true);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(&root)
        .args(["yank", "auth:test", "--apply"])
        .output()
        .expect("run");
    assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No space left on device"),
        "{out:?}"
    );
    assert_eq!(
        walk(&root, &root.join("yanked"), true),
        before,
        "nothing moved"
    );
}

/// chattr +i on a directory for one test (root on ext4 only), undone when dropped.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(p: &Path) -> Option<Immutable> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(p)
            .stderr(std::process::Stdio::null())
            .status();
        ok.is_ok_and(|s| s.success())
            .then(|| Immutable(p.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn permission_error_mid_batch_leaves_those_messages_whole_in_the_queue() {
    let (t, spam_ids, _) = mixed(10);
    let original = walk(t.root(), &yank_dir(&t), true);
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    // Renames out of one remote/ bucket fail with EPERM: its messages' mess is already moved
    // when the remote file fails, so they must be rolled back whole.
    let stuck = spam_ids
        .iter()
        .copied()
        .find(|id| q.path(Subdir::Remote, *id).exists())
        .expect("in delivery");
    let bucket = q
        .path(Subdir::Remote, stuck)
        .parent()
        .expect("dir")
        .to_path_buf();
    let Some(guard) = Immutable::set(&bucket) else {
        println!("skipped: chattr +i not supported here");
        return;
    };
    let out = t.run(&["yank", "auth:test", "--apply"]);
    drop(guard);
    assert_exit(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("failed #{}: ", stuck.0))
            && text.contains("Operation not permitted"),
        "{text}"
    );
    let tree = walk(t.root(), &yank_dir(&t), true);
    tree.assert_same_messages(&original);
    let places = tree.places();
    assert_eq!(places[&stuck.0], Place::Queue, "rolled back whole");
    assert!(
        spam_ids
            .iter()
            .filter(|id| places[&id.0] == Place::Yank)
            .count()
            >= 1
    );
    // The batch is done; the failed message is recorded and not retried by recovery.
    assert!(t.stdout(&["recover"]).contains("nothing to recover"));
}

#[test]
fn permission_error_without_root_refuses_before_moving() {
    let (t, _, _) = mixed(2);
    let before = walk(t.root(), &yank_dir(&t), false);
    // Let an unprivileged user reach the queue (tempdirs are 0700).
    let mut p = t.root().to_path_buf();
    while let Some(parent) = p.parent() {
        let _ = std::process::Command::new("chmod")
            .arg("o+rx")
            .arg(&p)
            .status();
        if parent == Path::new("/") || parent == std::env::temp_dir() {
            break;
        }
        p = parent.to_path_buf();
    }
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(env!("CARGO_BIN_EXE_qtriage"))
        .arg("--queue")
        .arg(t.root())
        .args(["yank", "auth:test", "--apply"])
        .output();
    let Ok(out) = out else {
        println!("skipped: setpriv not available");
        return;
    };
    if nix_euid() != 0 {
        println!("skipped: not root, cannot switch user");
        return;
    }
    assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Permission denied"),
        "{out:?}"
    );
    assert_eq!(walk(t.root(), &yank_dir(&t), false), before);
}

fn nix_euid() -> u32 {
    std::fs::metadata("/proc/self").map_or(1, |m| m.uid())
}

#[test]
fn purge_deletes_only_from_the_yank_area() {
    let (t, spam_ids, legit_ids) = mixed(4);
    let batch = batch_of(&t.stdout(&["yank", "auth:test", "--apply"]));
    assert_exit(&t.run(&["purge", "--apply"]), 2); // a selection is required
    let dry = t.stdout(&["purge", "--batch", &batch]);
    assert!(dry.contains("would delete 4 yanked messages"), "{dry}");
    assert_eq!(walk(t.root(), &yank_dir(&t), false).files.len(), 8);
    let out = t.stdout(&["purge", "--batch", &batch, "--apply"]);
    assert!(out.contains("purged 4 messages"), "{out}");
    let tree = walk(t.root(), &yank_dir(&t), false);
    assert!(spam_ids.iter().all(|id| !tree.files.contains_key(&id.0)));
    assert!(legit_ids
        .iter()
        .all(|id| tree.places()[&id.0] == Place::Queue));
    assert_exit(&t.run(&["purge", "--older-than", "1d", "--apply"]), 1);
}

#[test]
fn expire_sets_info_mtime_back_and_restore_batch_undoes_it() {
    let t = TestQueue::new(5);
    let now = actions::plan::unix_now();
    let id = t.add(spam(1).born(now - 100));
    let queued = t.add(spam(2).state(FixtureState::Queued));
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    let info = q.path(Subdir::Info, id);
    let out = t.run(&["expire", "auth:test", "--apply"]);
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("backscatter"));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("refused #{}: no info file", queued.0)),
        "{text}"
    );
    // Expire sets `its now - lifetime - 1`; its clock may be a few seconds past ours under load.
    let after = actions::plan::unix_now();
    let mtime = std::fs::metadata(&info).expect("info").mtime();
    assert!(mtime < after - 604_800, "expired: {mtime}");
    let batch = batch_of(&text);
    t.stdout(&["restore", "--batch", &batch, "--apply"]);
    assert_eq!(std::fs::metadata(&info).expect("info").mtime(), now - 100);
}

#[test]
fn remove_compat_prints_qmail_remove_lines_and_deletes_through_the_journal() {
    let (t, spam_ids, _) = mixed(2);
    let q = Queue::open(t.root(), QueueOptions::default()).expect("queue");
    let opts = RemoveOptions {
        mode: RemoveMode::Yank,
        yank_dir: yank_dir(&t),
        pattern: "cheap".into(),
        execute: ExecuteOptions {
            now: 1,
            ..Default::default()
        },
    };
    let mut out = Vec::new();
    let o = actions::remove_compat(&q, &spam_ids[..1], &opts, &mut out).expect("remove");
    let text = String::from_utf8(out).expect("utf-8");
    let mess = q.path(Subdir::Mess, spam_ids[0]);
    let first = format!(
        "moved {} to {}/{}.mess",
        mess.display(),
        yank_dir(&t).display(),
        spam_ids[0].0
    );
    assert_eq!(text.lines().next(), Some(first.as_str()), "{text}");
    assert_eq!(o.batch.expect("batch").messages, 1);

    let opts = RemoveOptions {
        mode: RemoveMode::Delete,
        ..opts
    };
    let mut out = Vec::new();
    actions::remove_compat(&q, &spam_ids[1..], &opts, &mut out).expect("remove");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.contains("moved ") && text.contains("deleted "),
        "{text}"
    );
    let tree = walk(t.root(), &yank_dir(&t), false);
    assert!(!tree.files.contains_key(&spam_ids[1].0), "deleted");
    assert_eq!(tree.places()[&spam_ids[0].0], Place::Yank);
}
