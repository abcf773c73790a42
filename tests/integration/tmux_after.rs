//! Issue 12 in a real terminal: the TUI's accounts view (`a`) marks the flood's AUTH user as a
//! culprit without being told and shows no secret; "write report" (`W`) writes a markdown file
//! whose culprits are the queue's, and never overwrites one.

use qtriage::analysis::key::ClusterKey;
use std::path::{Path, PathBuf};

use qtriage::fixture::flood::{write_flood, FloodSpec};

use crate::accounts::{assert_no_secret, seed_tree};
use crate::tmux_harness::Tmux;
use crate::util::TestQueue;

const SHOWN: &[&[u8]] = &[b"test", b"sales", b"webmaster", b"alice", b"example.com"];

fn reports(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("qtriage-report-"))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn accounts_view_and_write_report_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let t = TestQueue::new(23);
    let now = qtriage::tui::unix_now();
    write_flood(&t.q, &FloodSpec::new(600, 3, now)).expect("flood");
    let tree = seed_tree();
    let out = tempfile::tempdir().expect("report dir");
    let args = format!(
        "tui --vpopmail '{}' --report-dir '{}'",
        tree.tree.root().display(),
        out.path().display()
    );
    let tmux = Tmux::start_with(t.root(), &args);
    tmux.wait_scanned();

    // The accounts view: `test` is a culprit from the queue's ranking; no secret on screen.
    tmux.keys(&["a"]);
    // Every row down to the last domain's: a capture mid-frame would show only the top rows.
    let screen = tmux.wait_until("the accounts listed", |s| {
        s.contains("culprit-top") && s.contains("example.net")
    });
    assert!(screen.contains("Accounts at risk"), "{screen}");
    let test_row = screen
        .lines()
        .find(|l| l.contains("! test ") && l.contains("example.com"))
        .unwrap_or_else(|| panic!("no culprit row for test@example.com:\n{screen}"));
    assert!(test_row.contains("password-is-login"), "{test_row}");
    // Culprits come first: the first row is one.
    let first = screen.lines().nth(2).unwrap_or_default();
    assert!(first.starts_with("│! "), "{screen}");
    assert_no_secret(screen.as_bytes(), &tree.secrets, SHOWN);
    // The hostile login is drawn escaped, not interpreted.
    assert!(screen.contains("mal\\e[2J"), "{screen}");

    // Back, then write the report twice: two files, the second never overwriting the first.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the clusters again", |s| !s.contains("Accounts at risk"));
    tmux.keys(&["W"]);
    tmux.wait_for("report written: ");
    let written = reports(out.path());
    assert_eq!(written.len(), 1);
    let first = written[0]
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .expect("file name");
    tmux.keys(&["W"]);
    // The file exists from its create on, before its bytes are written: it is whole once the
    // TUI says where it went (the first one's notice was replaced by "writing…" on `W`).
    tmux.wait_until("a second report", |_| reports(out.path()).len() == 2);
    let second = reports(out.path())
        .into_iter()
        .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .find(|name| name != &first)
        .expect("the second report");
    tmux.wait_until("the second report written", |s| {
        s.lines()
            .any(|l| l.contains("report written: ") && l.contains(&second) && l.contains(" spam)"))
    });
    for path in reports(out.path()) {
        let md = std::fs::read(&path).expect("report file");
        assert_no_secret(&md, &tree.secrets, SHOWN);
        let md = String::from_utf8(md).expect("utf-8 report");
        assert!(md.starts_with("# Incident report"), "{md}");
        assert!(md.contains("| auth-user | `test` |"), "{md}");
        assert!(md.contains("culprit-top"), "{md}");
        // The notes `qtriage report` gives about what it read: here, the missing control files.
        assert!(md.contains("\n- control files in "), "{md}");
    }
}

/// `--log` in the TUI: the smtpd log names the AUTH user of messages whose headers carry only
/// the client IP, and the auth-user clusters show it (as `top --log` does); without the log
/// auth-user names no one, so the TUI opens on the key of `top`'s first culprit, the IP.
#[test]
fn the_tui_applies_log_evidence_to_its_clusters() {
    if !Tmux::available() {
        return;
    }
    let i = crate::log_top::incident();
    // A row of the clusters pane: message count first, the value last.
    let cluster = |screen: &str, count: &str, value: &str| {
        screen.lines().any(|l| {
            let cells: Vec<&str> = l.trim_matches('│').split_whitespace().collect();
            cells.first() == Some(&count) && cells.last() == Some(&value)
        })
    };
    let without = Tmux::start_with(i.t.root(), "");
    let screen = without.wait_until("40 messages of 82.128.32.42", |s| {
        s.contains("Clusters by origin-ip") && cluster(s, "40", "82.128.32.42")
    });
    assert!(!screen.contains(" test "), "{screen}");
    // Picked with `c` (round the keys from origin-ip back to the first), auth-user shows what
    // the headers say: no one.
    assert_eq!(
        ClusterKey::ALL[..2],
        [ClusterKey::AuthUser, ClusterKey::OriginIp]
    );
    without.keys(&vec!["c"; ClusterKey::ALL.len() - 1]);
    without.wait_until("all 50 messages in (none) of auth-user", |s| {
        s.contains("Clusters by auth-user") && cluster(s, "50", "(none)")
    });
    drop(without);

    let out = tempfile::tempdir().expect("report dir");
    let args = format!(
        "--log '{}' tui --report-dir '{}'",
        i.smtpd.display(),
        out.path().display()
    );
    let with = Tmux::start_with(i.t.root(), &args);
    with.wait_until("40 messages in `test`, 10 in (none)", |s| {
        cluster(s, "40", "test") && cluster(s, "10", "(none)")
    });
    // The report written from the TUI carries the log evidence, as `qtriage --log report`.
    with.keys(&["W"]);
    with.wait_for("report written: ");
    let files = reports(out.path());
    let md = std::fs::read_to_string(&files[0]).expect("report");
    assert!(
        md.contains("AUTH user test (from log: CHKUSER line at")
            && md.contains("the AUTH user of 40 messages comes from the logs"),
        "{md}"
    );
}

/// `QTRIAGE_NOW` is the TUI's "now" for ages as it is the CLI's: messages born three hours
/// before it are `3h` old in the message list, not as old as the clock would make them.
#[test]
fn the_tui_counts_ages_from_qtriage_now() {
    if !Tmux::available() {
        return;
    }
    let t = TestQueue::new(23);
    let now = 1_795_430_000;
    for i in 0..3 {
        t.add(
            qtriage::fixture::MessageSpec::new()
                .born(now - 3 * 3600)
                .sender(format!("s{i}@example.org"))
                .remote("r@example.net"),
        );
    }
    let tm = Tmux::start_at(t.root(), now, "");
    let screen = tm.wait_until("three messages 3h old", |s| {
        s.lines()
            .filter(|l| l.split_whitespace().any(|w| w == "3h"))
            .count()
            == 3
    });
    assert!(
        !screen.contains(" 9d ") && !screen.contains(" 10d "),
        "{screen}"
    );
}

/// Yanked before the TUI started, the flood's spam is in the yank area only: the accounts view
/// still marks its login `culprit-top`, as `qtriage accounts` does after the yank.
#[test]
fn the_accounts_view_keeps_the_culprit_after_the_yank() {
    if !Tmux::available() {
        return;
    }
    let t = TestQueue::new(23);
    let now = qtriage::tui::unix_now();
    write_flood(&t.q, &FloodSpec::new(600, 3, now)).expect("flood");
    let yank = t.run(&["yank", "auth:test or auth:test@example.com", "--apply"]);
    crate::util::assert_exit(&yank, 0);
    let tree = seed_tree();
    let args = format!("tui --vpopmail '{}'", tree.tree.root().display());
    let tmux = Tmux::start_with(t.root(), &args);
    tmux.wait_scanned();
    tmux.keys(&["a"]);
    let screen = tmux.wait_until("the accounts listed", |s| s.contains("example.net"));
    let test_row = screen
        .lines()
        .find(|l| l.contains(" test ") && l.contains("example.com"))
        .unwrap_or_else(|| panic!("no row for test@example.com:\n{screen}"));
    assert!(
        test_row.starts_with("│! ") && test_row.contains("culprit-top"),
        "{screen}"
    );
}

/// A `QTRIAGE_NOW` that is not unix seconds is an error for the TUI as for every command
/// (exit 2, said on stderr), not silently the clock.
#[test]
fn the_tui_refuses_a_qtriage_now_that_is_not_unix_seconds() {
    let t = TestQueue::new(23);
    let out = t
        .command()
        .arg("tui")
        .env("QTRIAGE_NOW", "abc")
        .output()
        .expect("run");
    crate::util::assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("QTRIAGE_NOW=\"abc\" is not unix seconds"),
        "{err}"
    );
}

/// The TUI's cleanup plan of a queue read in part says so first, as `qtriage plan` does, and
/// Enter marks nothing (a split directory that is a symlink is never followed, so never listed).
#[test]
fn the_tuis_plan_of_a_queue_read_in_part_says_so_and_marks_nothing() {
    if !Tmux::available() {
        return;
    }
    let p = crate::cli_clusters::planted();
    let remote3 = p.t.root().join("remote/3");
    std::fs::remove_dir_all(&remote3).expect("remove remote/3");
    let elsewhere = p.t.root().parent().expect("parent").join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("elsewhere");
    std::os::unix::fs::symlink(&elsewhere, &remote3).expect("symlink");
    let tm = Tmux::start_at(p.t.root(), crate::cli_clusters::NOW, "");
    tm.wait_scanned();
    tm.keys(&["p"]);
    tm.wait_for("incomplete: 1 queue directory was not listed");
    tm.keys(&["Enter"]);
    let screen = tm.wait_for("refused: this plan is no plan to apply");
    assert!(screen.contains("marked 0"), "{screen}");
}

/// The header's yank-area count is read again with a rescan (`r`) once shown: another
/// terminal's `qtriage restore` had left it stale until `Y` was opened again (newuser48).
#[test]
fn a_rescan_reads_the_yank_areas_count_again() {
    if !Tmux::available() {
        return;
    }
    let (t, ids, tm) = twelve_yanked();
    tm.wait_until("the yank area's count", |s| header(s).contains("yanked 12"));
    tm.keys(&["h"]);
    let list = t.root().join("../four-ids");
    let four: String = ids[..4].iter().map(|id| format!("{}\n", id.0)).collect();
    std::fs::write(&list, four).expect("ids");
    let list = list.to_str().expect("utf-8").to_string();
    crate::util::assert_exit(&t.run(&["restore", "--ids", &list, "--apply"]), 0);
    tm.keys(&["r"]);
    tm.wait_until("the count read again", |s| header(s).contains("yanked 8"));
}

/// A queue whose 12 messages (`x0@spam.example`...) were yanked by the CLI, and the TUI on it
/// showing the yank area.
fn twelve_yanked() -> (TestQueue, Vec<qtriage::queue::MessageId>, Tmux) {
    let t = TestQueue::new(23);
    let ids: Vec<_> = (0..12)
        .map(|i| {
            t.add(
                qtriage::fixture::MessageSpec::new()
                    .sender(format!("x{i}@spam.example"))
                    .remote(format!("victim{i}@example.net"))
                    .auth("test")
                    .subject("cheap stuff"),
            )
        })
        .collect();
    crate::util::assert_exit(&t.run(&["yank", "auth:test", "--apply"]), 0);
    let tm = Tmux::start(t.root());
    tm.wait_scanned();
    tm.keys(&["Y"]);
    (t, ids, tm)
}

/// The header bar: the screen's first line.
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

/// One yanked message picked back in the TUI by a query (`/` in the yank area), as `qtriage
/// restore QUERY` does: it is back in the queue, the others stay yanked, and the journal keeps
/// the operator's verdict (newuser51: only a whole batch could be put back from the TUI).
#[test]
fn a_query_in_the_yank_area_picks_one_message_back_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, ids, tm) = twelve_yanked();
    tm.wait_until("the yank area", |s| header(s).contains("yanked 12"));
    tm.keys(&["/"]);
    tm.keys(&["-l", "sender:x3@spam.example"]);
    tm.wait_for("pick back from the yank area / sender:x3@spam.example");
    tm.keys(&["Enter"]);
    // The one message is named: which it is, before Enter (newuser52).
    let id = format!("#{}", ids[3]);
    tm.wait_for_all(&["Restore 1 message to the queue?", &id, "<x3@spam.example>"]);
    tm.keys(&["Enter"]);
    tm.wait_for("picked back as real mail, p leaves it");
    let mess = |id: qtriage::queue::MessageId| t.q.path(qtriage::queue::Subdir::Mess, id).exists();
    assert!(mess(ids[3]), "#{} is back", ids[3]);
    assert_eq!(ids.iter().filter(|&&id| mess(id)).count(), 1, "only it");
    let picked = t.run(&["list", "restored:yes", "--count"]);
    assert_eq!(String::from_utf8_lossy(&picked.stdout).trim(), "1");
}
