//! The undo an applied action names (`undo with:`, JSON `undo_command`) restores from the same
//! queue and yank area however the options were spelt (`-qDIR`, `-q=DIR`, `--queue=DIR`,
//! `-s=N`, `-yDIR`, QTRIAGE_QUEUE, relative paths), pasted from another directory.

use std::path::Path;
use std::process::{Command, Output};

use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::{MessageId, Subdir};

use crate::util::{assert_exit, TestQueue};

const SPLIT: u32 = 7;

/// A queue of one spam message and one real one, born an hour ago by the clock (so that
/// `expire` moves them back whatever today's date is).
fn seed() -> (TestQueue, MessageId, MessageId) {
    let t = TestQueue::with(QueueBuilder::new("").split(SPLIT));
    let born = qtriage::actions::plan::unix_now() - 3600;
    let spam = t.add(
        MessageSpec::new()
            .born(born)
            .sender("x@spam.example")
            .remote("victim@example.net")
            .auth("test")
            .subject("cheap stuff"),
    );
    let real = t.add(
        MessageSpec::new()
            .born(born)
            .sender("alice@example.com")
            .local("bob@example.com")
            .subject("lunch"),
    );
    (t, spam, real)
}

/// qtriage run in `cwd` with exactly `args` (no `--queue` added, QTRIAGE_QUEUE unset unless
/// `env_queue`).
fn run_in(cwd: &Path, args: &[&str], env_queue: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    c.args(args)
        .current_dir(cwd)
        .env_remove("QTRIAGE_QUEUE")
        .env_remove("QTRIAGE_FAILPOINT");
    if let Some(q) = env_queue {
        c.env("QTRIAGE_QUEUE", q);
    }
    c.output().expect("run qtriage")
}

/// Paste `undo` into a shell in `/`, with no QTRIAGE_QUEUE: what an operator does with the
/// line from another terminal.
fn paste(undo: &str) -> Output {
    let rest = undo
        .strip_prefix("qtriage ")
        .unwrap_or_else(|| panic!("not a qtriage command: {undo}"));
    Command::new("sh")
        .arg("-c")
        .arg(format!("\"$QTRIAGE_BIN\" {rest}"))
        .env("QTRIAGE_BIN", env!("CARGO_BIN_EXE_qtriage"))
        .env_remove("QTRIAGE_QUEUE")
        .env_remove("QTRIAGE_FAILPOINT")
        .current_dir("/")
        .output()
        .expect("run sh")
}

/// The `undo with:` line of an applied yank or expire's text.
fn undo_line(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("undo with: "))
        .unwrap_or_else(|| panic!("no undo line: {text}"))
        .to_string()
}

/// Pasted, `undo` puts `spam` back into the queue from the yank area `pile`.
#[track_caller]
fn assert_undoes(t: &TestQueue, spam: MessageId, real: MessageId, undo: &str, pile: &Path) {
    assert!(!t.q.path(Subdir::Mess, spam).exists(), "yanked: {undo}");
    assert!(pile.join(format!("{spam}.mess")).exists(), "into {pile:?}");
    let out = paste(undo);
    assert_exit(&out, 0);
    assert!(t.q.path(Subdir::Mess, spam).exists(), "restored by {undo}");
    assert!(t.q.path(Subdir::Mess, real).exists());
}

#[test]
fn remove_short_option_spellings_give_an_undo_that_restores() {
    let spellings: [&[&str]; 6] = [
        &["-q", "queue", "-s", "7", "-y", "pile"],
        &["-qqueue", "-s7", "-ypile"],
        &["-q=queue", "-s=7", "-y=pile"],
        &["-q=queue", "-y=pile"],
        &["-qqueue", "-ypile"],
        &["-qqueue"],
    ];
    for given in spellings {
        let (t, spam, real) = seed();
        let parent = t.root().parent().expect("temp dir");
        let mut args = vec![
            "--queue",
            "/nonexistent",
            "remove",
            "-p",
            "cheap stuff",
            "-r",
        ];
        args.extend_from_slice(given);
        args.push("--json");
        let out = run_in(parent, &args, None);
        assert_exit(&out, 0);
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let undo = j["undo_command"]
            .as_str()
            .expect("undo_command")
            .to_string();
        let pile = match given.iter().any(|a| a.contains("pile")) {
            true => t.root().join("pile"),
            false => t.root().join("yanked"),
        };
        assert_undoes(&t, spam, real, &undo, &pile);
    }
}

#[test]
fn yank_and_expire_long_spellings_and_the_environment_give_an_undo_that_restores() {
    let spellings: [(&[&str], bool); 4] = [
        (
            &["--queue=queue", "--split=7", "yank", "--yank-dir=pile"],
            false,
        ),
        (&["yank", "--queue=queue", "--yank-dir", "pile"], false),
        (&["--queue", "queue", "yank"], false),
        (&["yank", "--yank-dir=pile"], true),
    ];
    for (given, from_env) in spellings {
        let (t, spam, real) = seed();
        let parent = t.root().parent().expect("temp dir");
        let mut args = given.to_vec();
        args.extend(["auth:test", "--apply"]);
        let env = from_env.then(|| Path::new("queue"));
        let out = run_in(parent, &args, env);
        assert_exit(&out, 0);
        let pile = match given.iter().any(|a| a.contains("pile")) {
            true => t.root().join("pile"),
            false => t.root().join("yanked"),
        };
        assert_undoes(&t, spam, real, &undo_line(&out), &pile);
    }
}

#[test]
fn expire_names_an_undo_that_restores_the_birth_time() {
    let (t, spam, _) = seed();
    let parent = t.root().parent().expect("temp dir");
    let info = t.q.path(Subdir::Info, spam);
    let born = std::fs::metadata(&info).and_then(|m| m.modified());
    let out = run_in(
        parent,
        &[
            "--queue=queue",
            "expire",
            "--yank-dir=pile",
            "auth:test",
            "--apply",
        ],
        None,
    );
    assert_exit(&out, 0);
    assert_ne!(
        std::fs::metadata(&info).and_then(|m| m.modified()).ok(),
        born.as_ref().ok().copied()
    );
    let undo = undo_line(&out);
    assert_exit(&paste(&undo), 0);
    assert_eq!(
        std::fs::metadata(&info).and_then(|m| m.modified()).ok(),
        born.ok(),
        "{undo}"
    );
}
