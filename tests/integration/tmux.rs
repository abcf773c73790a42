//! End-to-end TUI in a real tmux: open, wait for the scan, pick the culprit, inspect, mark the
//! cluster, yank with confirmation, check the disk and the journal, undo, check again (issue 7);
//! the header's live growth (issue 8); a running qmail-send refuses the yank; an Esc run into
//! Enter cancels it; a small cluster's reasons come when the cursor reaches it.
//!
//! Runs in the one tmux harness (`tmux_harness.rs`): waits poll `tmux capture-pane` for expected
//! text up to the one test deadline; there are no fixed sleeps. Skipped, with a message, when
//! tmux is not installed.

use qtriage::fixture::MessageSpec;
use qtriage::queue::{MessageId, Subdir};

use crate::tmux_harness::Tmux;
use crate::util::{FakeSend, TestQueue};

fn in_queue(t: &TestQueue, id: MessageId) -> bool {
    t.q.path(Subdir::Mess, id).exists() && t.q.path(Subdir::Info, id).exists()
}

fn in_yank_area(t: &TestQueue, id: MessageId) -> bool {
    let y = t.root().join("yanked");
    y.join(format!("{id}.mess")).exists() && y.join(format!("{id}.info")).exists()
}

/// Message files in the yank area (the journal directory does not count).
fn yank_area_files(t: &TestQueue) -> usize {
    std::fs::read_dir(t.root().join("yanked")).map_or(0, |rd| {
        rd.filter_map(Result::ok)
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .count()
    })
}

/// 30 spam messages from AUTH user `test`, 3 from `alice`, 4 plain SMTP newsletters.
fn flood() -> (TestQueue, Vec<MessageId>, Vec<MessageId>) {
    let t = TestQueue::new(23);
    let now = qtriage::tui::unix_now();
    let spam = (0..30)
        .map(|i| {
            t.add(
                MessageSpec::new()
                    .sender(format!("x{i}@philadefender.org"))
                    .remote(format!("victim{i}@customer.example"))
                    .received_from("86.107.221.138")
                    .auth("test")
                    .subject("Dispute Transaction \x1b[2J")
                    .born(now - 60 - i),
            )
        })
        .collect();
    let mut legit = Vec::new();
    for i in 0..3 {
        let spec = MessageSpec::new()
            .sender("alice@example.com")
            .remote(format!("bob{i}@partner.example"))
            .received_from("192.0.2.10")
            .auth("alice")
            .subject("minutes")
            .born(now - 600);
        legit.push(t.add(spec));
    }
    for i in 0..4 {
        let spec = MessageSpec::new()
            .sender("news@list.example")
            .local(format!("user{i}@example.com"))
            .received_from("198.51.100.7")
            .subject("newsletter")
            .born(now - 900);
        legit.push(t.add(spec));
    }
    (t, spam, legit)
}

#[test]
fn pick_inspect_mark_yank_and_undo_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, spam, legit) = flood();
    let tm = Tmux::start(t.root());
    tm.wait_for("37 msgs");
    // The watcher's first figure: from here it sees the yank and the undo below (it starts a
    // second after the scan, later on a loaded machine).
    tm.wait_for("+0/min");
    tm.wait_for("Clusters by auth-user");
    tm.wait_scanned();
    // Row 1 is the largest cluster: the AUTH user "test".
    tm.keys(&["j"]);
    tm.wait_for("Messages · cluster · 30");
    tm.keys(&["Enter", "Enter"]);
    let screen = tm.wait_for_all(&[
        "Received (▶",
        "auth test",
        "▶ from unknown",
        "Dispute Transaction \\e[2J",
        "Body (first lines)",
    ]);
    assert!(
        screen.contains("auth test"),
        "envelope shows the AUTH user:\n{screen}"
    );
    assert!(
        screen.contains("▶ from unknown"),
        "origin line highlighted:\n{screen}"
    );
    assert!(
        screen.contains("Dispute Transaction \\e[2J"),
        "subject escaped:\n{screen}"
    );
    // `h` rather than Escape: an ESC byte followed at once by a key reads as Alt+key.
    tm.keys(&["h", "h", "m"]);
    tm.wait_for("marked 30");
    tm.keys(&["y"]);
    let popup = tm.wait_for_all(&[
        "Yank 30 messages to the yank area?",
        "recipients  30",
        "qmail-send  stopped",
    ]);
    assert!(popup.contains("recipients  30"), "{popup}");
    assert!(popup.contains("qmail-send  stopped"), "{popup}");
    tm.keys(&["Enter"]);
    let screen = tm.wait_for("yanked 30 messages (batch ");
    let batch = batch_id(&screen);
    tm.wait_for("│ 7 msgs");
    // Seen by the watcher before the undo (a yank undone within one of its ticks moved nothing):
    // beside the growth (`-30 yanked` in the watch's first minute, `-30/min yanked` after),
    // not in it, since a yank is not delivery.
    let screen = tm.wait_until("the yank beside the growth", |s| {
        (s.lines().next()).is_some_and(|h| h.contains(" -30 yanked") || h.contains("/min yanked"))
    });
    assert_eq!(header_growth(&screen), Some(0), "{screen}");
    for id in &spam {
        assert!(
            !in_queue(&t, *id) && in_yank_area(&t, *id),
            "#{id} not yanked"
        );
    }
    for id in &legit {
        assert!(
            in_queue(&t, *id) && !in_yank_area(&t, *id),
            "#{id} was touched"
        );
    }
    // mess, info and remote for each of the 30 (and the journal directory).
    assert_eq!(yank_area_files(&t), 90);
    // The batch is in the journal, as `qtriage yanked` lists it.
    let listed = yanked_batches(&t);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let b = &listed[0];
    assert_eq!(b["batch"].as_str(), Some(batch.as_str()));
    assert_eq!(b["direction"].as_str(), Some("yank"));
    assert_eq!(b["state"].as_str(), Some("done"));
    assert_eq!(
        (b["messages"].as_u64(), b["in_yank_area"].as_u64()),
        (Some(30), Some(30))
    );

    tm.keys(&["u"]);
    tm.wait_for_all(&[
        "Restore 30 messages to the queue?",
        &format!("chosen      batch {batch}"),
    ]);
    tm.keys(&["Enter"]);
    // An undo, which the next plan judges again (the TUI picks nothing back as real mail).
    tm.wait_for("restored 30 messages (batch ");
    tm.wait_for("an undo, p judges them again");
    tm.wait_for("│ 37 msgs");
    // The watcher tells the undo from mail arriving: beside the growth (`↩N/min`), not in it;
    // and the restore takes back the yank it undoes, so the queue's growth and the culprit's
    // live rate are back to nothing.
    let screen = tm.wait_for(" ↩");
    assert_eq!(header_growth(&screen), Some(0), "{screen}");
    let row = cluster_row(&screen, "test").unwrap_or_else(|| panic!("no test row:\n{screen}"));
    let culprit_grows = row
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('+')?.replace(',', "").parse::<u64>().ok())
        .any(|n| n > 0);
    assert!(!culprit_grows, "the culprit does not grow again:\n{screen}");
    // The restored messages are listed in queue order again, as `list` gives it (an undo once
    // put them at the end of "sort queue").
    let order: Vec<u64> = t
        .stdout(&["list", "--json"])
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?["id"].as_u64())
        .collect();
    let shown: Vec<usize> = screen
        .lines()
        .skip_while(|l| !l.contains("Messages ·"))
        .skip(2)
        .filter_map(|l| {
            l.trim_start_matches(['│', ' '])
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .filter_map(|id: u64| order.iter().position(|&x| x == id))
        .collect();
    assert!(shown.len() >= 5, "{screen}");
    assert!(shown.windows(2).all(|w| w[0] < w[1]), "{shown:?}\n{screen}");
    for id in spam.iter().chain(&legit) {
        assert!(
            in_queue(&t, *id) && !in_yank_area(&t, *id),
            "#{id} not back"
        );
    }
    assert_eq!(yank_area_files(&t), 0);
    let listed = yanked_batches(&t);
    // Listed oldest first, also within one second (batch ids keep the order they were made).
    let directions: Vec<&str> = listed
        .iter()
        .filter_map(|b| b["direction"].as_str())
        .collect();
    assert_eq!(
        directions,
        ["yank", "restore"],
        "the yank, then its restore: {listed:?}"
    );
    tm.keys(&["q"]);
}

/// The batch id in "yanked 30 messages (batch ID)".
fn batch_id(screen: &str) -> String {
    let start = screen.find("(batch ").expect("batch on screen") + "(batch ".len();
    let id: String = screen[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    assert_eq!(id.len(), "20261123-101117-3f2a".len(), "batch id {id:?}");
    id
}

/// The batch lines of `qtriage yanked --json`.
fn yanked_batches(t: &TestQueue) -> Vec<serde_json::Value> {
    t.stdout(&["yanked", "--json"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json line"))
        .filter(|v| v["type"] == "batch")
        .collect()
}

/// The growth figure of the header (`+12/min` → 12), if shown.
fn header_growth(screen: &str) -> Option<i64> {
    let header = screen.lines().next()?;
    let end = header.find("/min")?;
    let start = header[..end].rfind(['+', '-'])?;
    let n: i64 = header[start + 1..end].replace(',', "").parse().ok()?;
    Some(if header[start..].starts_with('-') {
        -n
    } else {
        n
    })
}

/// The clusters pane's row for `value`, if on the screen.
fn cluster_row<'s>(screen: &'s str, value: &str) -> Option<&'s str> {
    let cell = format!(" {value} ");
    screen.lines().find(|l| l.contains(&cell))
}

/// `n` messages of AUTH user `auth` from `ip`, queued while the TUI runs.
fn flood_from(t: &TestQueue, n: usize, auth: &str, ip: &str) {
    for i in 0..n {
        t.add(
            MessageSpec::new()
                .sender(format!("{auth}{i}@philadefender.org"))
                .remote(format!("victim{i}@customer.example"))
                .received_from(ip)
                .auth(auth),
        );
    }
}

#[test]
fn header_shows_the_live_growth_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, _, _) = flood();
    let tm = Tmux::start(t.root());
    tm.wait_for("│ 37 msgs");
    // The watcher's first figure: nothing arrived since it started.
    tm.wait_until("a growth figure", |s| header_growth(s).is_some());
    // A flood while the TUI runs, written the way qmail-queue writes messages.
    flood_from(&t, 20, "test", "86.107.221.138");
    // The watcher reports once a second: an update can come while the 20 are still being
    // written, so wait for the one that has counted them all (and for the rows asserted on).
    let screen = tm.wait_until("+N/min with N > 0, 57 now, and the clusters' rows", |s| {
        header_growth(s).is_some_and(|g| g > 0)
            && s.contains("(57 now)")
            && cluster_row(s, "test").is_some()
            && cluster_row(s, "alice").is_some()
    });
    assert!(
        screen.contains("(57 now)"),
        "the watcher counts the new ones:\n{screen}"
    );
    // The clusters pane shows the culprit's own live rate, and none for the quiet cluster.
    let live = |value: &str| {
        cluster_row(&screen, value)?
            .split_whitespace()
            .find_map(|w| w.strip_prefix('+')?.replace(',', "").parse::<u64>().ok())
    };
    assert!(live("test").is_some_and(|n| n > 0), "test grows:\n{screen}");
    assert_eq!(live("alice"), None, "alice is quiet:\n{screen}");
    tm.keys(&["q"]);
}

/// An account that starts flooding after the scan gets a row from the real watcher, without a
/// rescan: it once showed only in the header's growth (and in `qtriage watch`).
#[test]
fn a_new_flooding_account_gets_a_row_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, _, _) = flood();
    let tm = Tmux::start(t.root());
    tm.wait_for("│ 37 msgs");
    tm.wait_until("a growth figure", |s| header_growth(s).is_some());
    flood_from(&t, 15, "mallory", "198.51.100.9");
    let screen = tm.wait_until("a row for mallory, new since the scan", |s| {
        s.contains("mallory (new since the scan)") && s.contains("(52 now)")
    });
    let row = screen
        .lines()
        .find(|l| l.contains("mallory (new since the scan)"))
        .expect("the row");
    assert!(
        row.split_whitespace().any(|w| w.starts_with('+')),
        "with the watcher's growth:\n{screen}"
    );
    assert!(
        screen.contains(" + 1 new "),
        "counted in the title:\n{screen}"
    );
    tm.keys(&["q"]);
}

#[test]
fn a_running_qmail_send_makes_the_yank_refuse_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, spam, _) = flood();
    let Some(_send) = FakeSend::start(&t) else {
        eprintln!("skipped: flock is not installed");
        return;
    };
    let tm = Tmux::start(t.root());
    tm.wait_for("│ 37 msgs");
    tm.wait_for("qmail-send RUNNING");
    tm.wait_scanned();
    tm.keys(&["j", "m"]);
    tm.wait_for("marked 30");
    tm.keys(&["y"]);
    let popup = tm.wait_for_all(&[
        "Yank 30 messages to the yank area?",
        "qmail-send  RUNNING: refused unless forced (F)",
    ]);
    assert!(
        popup.contains("qmail-send  RUNNING: refused unless forced (F)"),
        "{popup}"
    );
    tm.keys(&["Enter"]);
    let screen = tm.wait_for_all(&["qmail-send is running: refused", "Confirm"]);
    assert!(
        screen.contains("Yank 30 messages"),
        "the popup stays:\n{screen}"
    );
    for id in &spam {
        assert!(in_queue(&t, *id) && !in_yank_area(&t, *id), "#{id} moved");
    }
    assert_eq!(yank_area_files(&t), 0, "nothing was yanked");
    assert!(yanked_batches(&t).is_empty(), "no batch was written");
    tm.keys(&["Escape"]);
    tm.keys(&["q"]);
}

/// Esc and then Enter arriving together (typed quickly over SSH; one `send-keys` here) read as
/// Alt-Enter. That Esc was a cancel: the yank must not run.
#[test]
fn esc_run_into_enter_cancels_the_yank_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, spam, _) = flood();
    let tm = Tmux::start(t.root());
    tm.wait_for("│ 37 msgs");
    tm.wait_scanned();
    tm.keys(&["j", "m"]);
    tm.wait_for("marked 30");
    tm.keys(&["y"]);
    tm.wait_for_all(&["Yank 30 messages to the yank area?", "qmail-send  stopped"]);
    tm.keys(&["Escape", "Enter"]);
    let screen = tm.wait_until("the confirmation gone", |s| {
        !s.contains("Yank 30 messages to the yank area?") && !s.contains("Running")
    });
    assert!(!screen.contains("yanked 30 messages"), "{screen}");
    for id in &spam {
        assert!(in_queue(&t, *id) && !in_yank_area(&t, *id), "#{id} moved");
    }
    assert_eq!(yank_area_files(&t), 0, "nothing was yanked");
    assert!(yanked_batches(&t).is_empty(), "no batch was written");
    tm.keys(&["x", "q"]);
}

#[test]
fn without_a_terminal_qtriage_prints_help_and_tui_refuses() {
    let t = TestQueue::new(7);
    let out = t.run(&[]);
    crate::util::assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Usage: qtriage"),
        "{out:?}"
    );
    let out = t.run(&["tui"]);
    crate::util::assert_exit(&out, 2);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("needs a terminal"),
        "{out:?}"
    );
}

#[test]
fn filter_bar_shows_errors_inline_and_applies_queries_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, _, _) = flood();
    let tm = Tmux::start(t.root());
    tm.wait_for("37 msgs");
    tm.keys(&["/", "bogus:x"]);
    // The keys arrive one by one: wait for the error of the whole text, not of a prefix.
    let screen = tm.wait_for_all(&["/ bogus:x", "unknown field", "  ^^^^^ unknown field"]);
    assert!(screen.contains("/ bogus:x"), "{screen}");
    assert!(
        screen.contains("  ^^^^^ unknown field"),
        "caret under the bad field:\n{screen}"
    );
    tm.keys(&["BSpace"; 7]);
    tm.keys(&["auth:alice", "Enter"]);
    tm.wait_for("query matched 3 messages");
    tm.wait_for("Messages · all ∩ /auth:alice · 3");
    tm.keys(&["?"]);
    tm.wait_for("Keys (any key closes)");
    tm.keys(&["x", "q"]);
}

/// A paste into the filter bar (tmux's `paste-buffer -p`, a bracketed paste) is text: its
/// newline does not apply the query, its `x` does not clear the marks, its `q` does not quit,
/// and a control byte shows escaped (newuser51: the TUI quit on a pasted `quote`).
#[test]
fn a_paste_into_the_filter_bar_is_text_not_keys_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let (t, _, _) = flood();
    let tm = Tmux::start(t.root());
    tm.wait_for("│ 37 msgs");
    tm.wait_scanned();
    tm.keys(&["j", "m"]);
    tm.wait_for("marked 30");
    tm.keys(&["/"]);
    tm.ok(&["set-buffer", "auth:alice\nx q\u{1}"]);
    tm.ok(&["paste-buffer", "-p", "-t", "main"]);
    let screen = tm.wait_for("/ auth:alice x q\\u{1}");
    assert!(screen.contains("marked 30"), "{screen}");
    tm.keys(&["C-u", "auth:alice", "Enter"]);
    tm.wait_for("query matched 3 messages");
    tm.keys(&["x", "q"]);
}

/// A key with more clusters than the TUI writes reasons for with its clustering (a sender a
/// message): the last cluster's reasons come from the worker when the cursor reaches it, on
/// the pane's bottom border of a real terminal.
#[test]
fn a_small_clusters_reasons_come_when_the_cursor_reaches_it_in_tmux() {
    if !Tmux::available() {
        return;
    }
    let t = TestQueue::new(29);
    for i in 0..qtriage::tui::worker::REASONS_WRITTEN + 20 {
        t.add(crate::cli_actions_json::legit(i as u32));
    }
    let tm = Tmux::start(t.root());
    let mut screen = tm.wait_scanned();
    let keys = qtriage::analysis::key::ClusterKey::ALL;
    let sender = qtriage::analysis::key::ClusterKey::Sender.name();
    for next in keys.iter().cycle().skip(1).take(keys.len()) {
        if screen.contains(&format!("Clusters by {sender} ")) {
            break;
        }
        tm.keys(&["c"]);
        let title = format!("Clusters by {} ", next.name());
        screen = tm.wait_until(&title, |s| {
            s.contains(&title) && !s.contains("(grouping by")
        });
    }
    assert!(!screen.contains("why: sender"), "{screen}");
    tm.keys(&["End"]);
    tm.wait_for("why: sender alice");
    tm.keys(&["q"]);
}
