//! `qtriage watch` as a command: its lines, `--json`, `--until-stable` and `--alert` on real
//! fixture queues grown by a writer process (`crate::watch`'s child).

use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

use qtriage::fixture::FixtureState;

use crate::util::{assert_exit, TestQueue};
use crate::watch::{child, finish, spam};

#[test]
fn cli_prints_one_line_per_interval() {
    let t = TestQueue::new(23);
    for i in 0..3 {
        t.add(spam(i).state(FixtureState::InDelivery));
    }
    let out = t.stdout(&["watch", "--interval", "100ms", "--count", "2"]);
    // A watch younger than a minute says its rates span seconds (the first few here).
    let re = regex::Regex::new(
        r"^\d\d:\d\d:\d\d queue 3 \(\+0/min\) todo 0 \| rates over the first \d{1,2}s$",
    )
    .expect("regex");
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines.iter().all(|l| re.is_match(l)), "{out}");
    let polled = t.stdout(&[
        "watch",
        "--interval",
        "100ms",
        "--max-intervals",
        "1",
        "--poll",
    ]);
    assert!(
        polled.ends_with("s | polling: polling requested\n") && polled.contains(" | rates over"),
        "{polled}"
    );
}

/// `watch --json` restated: a renamed field fails here.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct WatchJson {
    time: String,
    queue: u64,
    todo: u64,
    in_per_min: f64,
    out_per_min: f64,
    yanked_per_min: f64,
    restored_per_min: f64,
    growth_per_min: f64,
    windows: Vec<WindowJson>,
    clusters: Vec<ClusterJson>,
    still_arriving: Vec<ClusterJson>,
    mode: String,
    mode_reason: Option<String>,
    watched_secs: u64,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct WindowJson {
    window: String,
    in_per_min: f64,
    out_per_min: f64,
    yanked_per_min: f64,
    restored_per_min: f64,
    growth_per_min: f64,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ClusterJson {
    by: String,
    value: serde_json::Value,
    per_min: f64,
    in_per_min: f64,
    out_per_min: f64,
    yanked_per_min: f64,
    per_min_without_yanks: f64,
}

#[test]
fn cli_json_and_until_stable() {
    let t = TestQueue::new(23);
    t.add(spam(0).state(FixtureState::Queued));
    let out = t.stdout(&[
        "watch",
        "--json",
        "--interval",
        "100ms",
        "--until-stable",
        "300ms",
    ]);
    let objs: Vec<WatchJson> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    // Stable from the first line, so it exits (0, checked by `stdout`) once 300 ms have passed
    // between the first stable line and the current one: at least two lines.
    assert!(objs.len() >= 2, "{out}");
    let o = &objs[0];
    assert_eq!(
        (o.queue, o.todo, o.mode.as_str(), o.mode_reason.as_deref()),
        (1, 1, "notify", None)
    );
    assert_eq!(
        o.windows
            .iter()
            .map(|w| w.window.as_str())
            .collect::<Vec<_>>(),
        ["1m", "5m", "15m"]
    );
    assert!(o.time.ends_with('Z'));
    assert!(o.clusters.is_empty());
    let polled = t.stdout(&[
        "watch",
        "--json",
        "--interval",
        "100ms",
        "--count",
        "1",
        "--poll",
    ]);
    let o: WatchJson = serde_json::from_str(polled.trim()).expect("json");
    assert_eq!(
        (o.mode.as_str(), o.mode_reason.as_deref()),
        ("polling", Some("requested"))
    );
}

/// Start `cmd` (a `watch --json`) with its stdout piped; its lines, and the first as read,
/// which means the initial scan is done and the watch is live.
fn live(cmd: &mut Command) -> (Child, Lines<BufReader<ChildStdout>>, WatchJson) {
    let mut cli = cmd.stdout(Stdio::piped()).spawn().expect("qtriage watch");
    let mut lines = BufReader::new(cli.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("read");
    (cli, lines, serde_json::from_str(&first).expect("json"))
}

/// A `watch --json --alert-above 50` (with `extra` arguments) of `t` while 300 messages
/// arrive: its first line, then its last, after it exited 1 on the alert.
fn alerted(t: &TestQueue, extra: &[&str]) -> (WatchJson, WatchJson) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    cmd.args(["--queue"]).arg(t.root());
    for var in crate::util::QTRIAGE_VARIABLES {
        cmd.env_remove(var);
    }
    // `--count`: a bound instead of a hang: without the alert it ends with 0 after a minute.
    cmd.args([
        "watch",
        "--interval",
        "100ms",
        "--alert-above",
        "50",
        "--json",
    ]);
    cmd.args(["--count", "600"]).args(extra);
    let (mut cli, lines, first) = live(&mut cmd);
    finish(child("add", t.root(), 23, 300));
    // Read to the end before waiting: a child blocked on a full pipe would never exit.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = cli.wait().expect("wait");
    assert_eq!(status.code(), Some(1));
    let last: WatchJson = serde_json::from_str(rest.last().expect("a line")).expect("json");
    (first, last)
}

#[test]
fn cli_alert_exits_1_when_a_flood_starts() {
    let t = TestQueue::new(23);
    let (first, last) = alerted(&t, &[]);
    assert_eq!(first.in_per_min, 0.0);
    assert!(last.in_per_min > 50.0, "{last:?}");
    assert_eq!(last.clusters[0].by, "auth-user");
    assert_eq!(last.clusters[0].value, "test@example.com");
}

/// The clusters are valued as `top` values them with the same flags: a bare login under
/// `--default-domain` is the domain's account (style53: `watch` took no such flag and counted
/// `sales` where `top` said `sales@example.com`).
#[test]
fn cli_values_clusters_with_tops_context_flags() {
    let t = TestQueue::new(23);
    let (_, last) = alerted(&t, &["--default-domain", "example.com"]);
    let values: Vec<&serde_json::Value> = (last.clusters.iter())
        .filter(|c| c.by == "auth-user")
        .map(|c| &c.value)
        .collect();
    assert!(
        values.contains(&&serde_json::json!("sales@example.com")),
        "{values:?}"
    );
    assert!(!values.contains(&&serde_json::json!("sales")), "{values:?}");
    let top = t.stdout(&["top", "--json", "--default-domain", "example.com"]);
    assert!(top.contains("\"sales@example.com\""), "{top}");
}

/// Issue 19: `--queue queue` (relative) once made the watcher blind: fs events carry absolute
/// paths that never matched the relative root, so `--until-stable` said "stable" while mail
/// poured in. Mail arriving must show on a line (and hold off "stable") before the watch ends.
#[test]
fn cli_until_stable_with_a_relative_queue_sees_the_mail_arrive() {
    let t = TestQueue::new(23);
    let (parent, name) = (
        t.root().parent().expect("parent"),
        t.root().file_name().expect("name"),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    cmd.current_dir(parent)
        .arg("--queue")
        .arg(name)
        // Stable for a minute is a bound, not a wait: the test ends when the mail is seen.
        .args([
            "watch",
            "--json",
            "--interval",
            "100ms",
            "--until-stable",
            "60s",
        ]);
    let (mut cli, lines, first) = live(&mut cmd);
    assert_eq!(first.queue, 0);
    finish(child("add", t.root(), 23, 300));
    let seen = lines
        .map_while(Result::ok)
        .map(|l| serde_json::from_str::<WatchJson>(&l).expect("json"))
        .find(|u| u.queue == 300 && u.in_per_min > 0.0);
    // The watch is still running when the mail shows: this process ends it.
    let still_running = cli.try_wait().expect("try_wait").is_none();
    let _ = cli.kill();
    let _ = cli.wait();
    let seen = seen.expect("no line counted the 300 messages before the watch ended");
    assert!(still_running, "the watch ended on its own: {seen:?}");
    assert_eq!(seen.clusters[0].value, "test@example.com");
}

/// walk65: after a yank, the guessed login still sending dropped off `watch`'s line for a
/// minute (its new messages less the many yanked read negative). It is named apart, in
/// `still_arriving`, with its yanks set aside, and not among the growing clusters.
#[test]
fn cli_names_a_cluster_still_arriving_after_its_yank() {
    let t = TestQueue::new(23);
    for i in 0..21 {
        t.add(spam(i));
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    cmd.args(["--queue"]).arg(t.root());
    for var in crate::util::QTRIAGE_VARIABLES {
        cmd.env_remove(var);
    }
    // `--count`: a bound instead of a hang when the line never comes.
    cmd.args(["watch", "--json", "--interval", "100ms", "--count", "600"]);
    let (mut cli, lines, first) = live(&mut cmd);
    assert_eq!(first.queue, 21);
    assert_exit(&t.run(&["yank", "auth:test@example.com", "--apply"]), 0);
    // Two more of test@example.com's (the writer's first two), fewer than its 14 yanked.
    finish(child("add", t.root(), 23, 2));
    let seen = lines
        .map_while(Result::ok)
        .map(|l| serde_json::from_str::<WatchJson>(&l).expect("json"))
        .find(|u| u.queue == 9 && !u.still_arriving.is_empty());
    let _ = cli.kill();
    let _ = cli.wait();
    let u = seen.expect("no line named the login still arriving after its yank");
    let c = &u.still_arriving[0];
    assert_eq!(
        (c.by.as_str(), &c.value),
        ("auth-user", &serde_json::json!("test@example.com"))
    );
    assert!(c.per_min < 0.0, "{u:?}");
    assert!(
        c.per_min_without_yanks > 0.0 && c.yanked_per_min > 0.0,
        "{u:?}"
    );
    assert!(
        !u.clusters
            .iter()
            .any(|k| k.by == c.by && k.value == c.value),
        "{u:?}"
    );
}

#[test]
fn cli_rejects_a_bad_duration() {
    let t = TestQueue::new(23);
    let out = t.run(&["watch", "--interval", "5 parsecs"]);
    assert_exit(&out, 2);
}

/// A queue directory the watcher cannot open (missing, a link it does not follow, or one its
/// user may not read) is said on stderr before the lines, as the commands that read the queue
/// say it (watch51: a watch run as a user that could not read info/ said nothing).
#[test]
fn cli_says_which_queue_directories_it_cannot_watch() {
    let t = TestQueue::new(3);
    t.add(spam(0).state(FixtureState::Queued));
    let outside = tempfile::tempdir().expect("outside dir");
    t.q.symlink_split_dir(qtriage::queue::Subdir::Info, 1, outside.path())
        .expect("symlink info/1");
    std::fs::remove_dir_all(t.root().join("remote/2")).expect("remove remote/2");
    let out = t.run(&["watch", "--interval", "100ms", "--count", "1"]);
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/info/1: not watched (a symbolic link, not followed)"),
        "{err}"
    );
    assert!(err.contains("/remote/2: not watched ("), "{err}");
    assert_eq!(err.matches("not watched").count(), 2, "{err}");
}
