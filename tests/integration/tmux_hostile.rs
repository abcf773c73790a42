//! Issue 10 on a real terminal: commands over the hostile queue run inside tmux, their stdout the
//! terminal itself or a pipe into `cat` (issue 19: `| head`, `| less -R`, `> file; cat file` end
//! on a terminal as surely), then `capture-pane` proves no sequence from a message reached the
//! terminal: the title is unchanged, the screen was not cleared, no clipboard buffer was set, no
//! escape is left in the cells, and the sequences are there as visible text.
//!
//! Runs in the one tmux harness (`tmux_harness.rs`). Skipped, with a message, when tmux is not
//! installed (`.ci/run` installs it). A new face is
//! one more [`TerminalCase`] run through [`assert_terminal_clean`], as the TUI's is.

use std::path::{Path, PathBuf};

use qtriage::fixture::hostile::{HOSTILE_NOW, LOCAL_DOMAIN, TERMINAL_DOMAIN};
use qtriage::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions};

use crate::hostile_harness::{hostile, PASSWD_CANARY};
use crate::tmux_harness::{quote, Tmux};

/// What a pane looked like once its command ended.
pub struct Screen {
    /// History and screen as text, wrapped lines joined (`capture-pane -p -J -S -`).
    pub text: String,
    /// The visible screen only (`capture-pane -p -J`).
    pub visible: String,
    /// History and screen with the cells' escape sequences (`capture-pane -p -e -S -`).
    pub with_escapes: String,
    /// `#{pane_title}` after the run.
    pub title: String,
    /// The command's exit status.
    pub status: i32,
}

/// One command to run on the terminal and what it must show.
pub struct TerminalCase {
    /// Name for failure messages.
    pub name: &'static str,
    /// qtriage's arguments after `--queue DIR`.
    pub args: Vec<String>,
    /// Keys to send once the screen shows a text: `(wait for, keys)` pairs, in order (the TUI
    /// needs `q` to quit; one-shot commands need none).
    pub keys: Vec<(String, String)>,
    /// Texts that must be on the terminal (the visible forms of the sequences).
    pub must_show: Vec<String>,
    /// The expected exit status.
    pub status: i32,
}

/// Run `script` in its own pane, send `keys` when their texts show, wait for it to end.
fn run(tmux: &Tmux, name: &str, script: &str, keys: &[(String, String)]) -> Screen {
    tmux.open(name, script);
    for (wait_for, k) in keys {
        tmux.wait(name, wait_for, &|t| {
            t.capture(name, &[]).contains(wait_for.as_str())
        });
        if !k.is_empty() {
            tmux.send_keys(name, k);
        }
    }
    // Wait for the script's last line, not for the pane to die: tmux may mark a pane dead
    // before it has read all of its output.
    tmux.wait(name, "exit", &|t| {
        exit_status(&t.capture(name, &["-J", "-S", "-"])).is_some()
    });
    let text = tmux.capture(name, &["-J", "-S", "-"]);
    Screen {
        status: exit_status(&text).unwrap_or(-1),
        text,
        visible: tmux.capture(name, &["-J"]),
        with_escapes: tmux.capture(name, &["-e", "-S", "-"]),
        title: tmux.display(name, "#{pane_title}"),
    }
}

/// The status in the script's last line, `AFTER-MARK <status> END`, once it is on the screen.
fn exit_status(screen: &str) -> Option<i32> {
    screen.lines().find_map(|l| {
        l.strip_prefix("AFTER-MARK ")?
            .strip_suffix(" END")?
            .parse()
            .ok()
    })
}

/// The script of one case: a mark line, qtriage over the hostile queue, its status.
fn script(queue: &Path, args: &[String]) -> String {
    let bin = quote(env!("CARGO_BIN_EXE_qtriage"));
    let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
    format!(
        "unset QTRIAGE_QUEUE QTRIAGE_LOGS\nexport QTRIAGE_NOW={HOSTILE_NOW} \
         QTRIAGE_VPOPMAIL=/nonexistent\nprintf 'BEFORE-%s\\n' MARK\n\
         {bin} --queue {} {}\nstatus=$?\nprintf 'AFTER-%s %s END\\n' MARK \"$status\"\nexec cat\n",
        quote(&queue.to_string_lossy()),
        args.join(" ")
    )
}

/// The script of a case whose output goes through a pipe into `cat` on its way to the terminal,
/// as `qtriage list | head` does; the status is qtriage's, kept in a file (sh has no pipefail).
fn script_piped(queue: &Path, args: &[String]) -> String {
    let bin = quote(env!("CARGO_BIN_EXE_qtriage"));
    let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
    format!(
        "unset QTRIAGE_QUEUE QTRIAGE_LOGS\nexport QTRIAGE_NOW={HOSTILE_NOW} \
         QTRIAGE_VPOPMAIL=/nonexistent\nst=$(mktemp)\nprintf 'BEFORE-%s\\n' MARK\n\
         ( {bin} --queue {} {}; echo $? >\"$st\" ) | cat\nstatus=$(cat \"$st\")\n\
         printf 'AFTER-%s %s END\\n' MARK \"$status\"\nexec cat\n",
        quote(&queue.to_string_lossy()),
        args.join(" ")
    )
}

/// Run `case` on the terminal and assert nothing from the queue acted on it.
pub fn assert_terminal_clean(tmux: &Tmux, default_title: &str, case: &TerminalCase) -> Screen {
    let root: PathBuf = hostile().root.clone();
    let s = run(tmux, case.name, &script(&root, &case.args), &case.keys);
    assert_screen_clean(tmux, default_title, case.name, case, s)
}

/// Run `case` with its output piped through `cat` and assert nothing from the queue acted on
/// the terminal.
pub fn assert_piped_clean(tmux: &Tmux, default_title: &str, case: &TerminalCase) -> Screen {
    let root: PathBuf = hostile().root.clone();
    let name = format!("{}-piped", case.name);
    let s = run(tmux, &name, &script_piped(&root, &case.args), &case.keys);
    assert_screen_clean(tmux, default_title, &name, case, s)
}

/// What a run left on the terminal: its status, the title, the buffers, the screen, the cells.
fn assert_screen_clean(
    tmux: &Tmux,
    default_title: &str,
    n: &str,
    case: &TerminalCase,
    s: Screen,
) -> Screen {
    assert_eq!(s.status, case.status, "{n}: exit status\n{}", s.text);
    assert!(
        s.text.contains("AFTER-MARK"),
        "{n}: did not finish:\n{}",
        s.text
    );
    assert_eq!(s.title, default_title, "{n}: the pane title changed");
    assert_eq!(
        tmux.buffers(),
        "",
        "{n}: a clipboard (OSC 52) buffer was set"
    );
    assert!(
        s.text.contains("BEFORE-MARK"),
        "{n}: the screen was cleared:\n{}",
        s.text
    );
    // qtriage styles nothing, so any escape left in the cells came from a message.
    assert!(
        !s.with_escapes.contains('\x1b'),
        "{n}: an escape sequence reached the terminal: {:?}",
        s.with_escapes
            .lines()
            .find(|l| l.contains('\x1b'))
            .unwrap_or_default()
    );
    assert!(
        !s.text.contains(PASSWD_CANARY),
        "{n}: /etc/passwd on screen"
    );
    for want in &case.must_show {
        assert!(
            s.text.contains(want.as_str()),
            "{n}: {want:?} not shown:\n{}",
            s.text
        );
    }
    s
}

/// Prove each detector can fire in this tmux: raw sequences do change the title, clear the
/// screen and set a buffer. Returns the default pane title.
fn control(tmux: &Tmux) -> String {
    let default_title = tmux.display("idle", "#{pane_title}");
    let raw = "printf 'BEFORE-%s\\n' MARK\nprintf '\\033]2;pwned\\007\\033]52;c;Y2FuYXJ5\\007'\n\
               printf '\\033[2J'\nprintf 'AFTER-%s 0 END\\n' MARK\nexec cat\n";
    let s = run(tmux, "control", raw, &[]);
    assert_eq!(s.title, "pwned", "control: tmux ignores OSC 2 titles here");
    assert!(
        !s.text.contains("BEFORE-MARK"),
        "control: tmux did not clear:\n{}",
        s.text
    );
    assert!(!tmux.buffers().is_empty(), "control: OSC 52 made no buffer");
    tmux.ok(&["delete-buffer"]);
    tmux.ok(&["kill-session", "-t", "control"]);
    default_title
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// The visible forms of the cases, as `list`/`clusters` show them.
fn visible(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            let c = hostile().case(n).unwrap_or_else(|| panic!("case {n}"));
            c.visible
                .unwrap_or_else(|| panic!("{n} has no visible form"))
                .to_string()
        })
        .collect()
}

/// The one-shot commands and what each must show.
fn cli_cases() -> Vec<TerminalCase> {
    let terminal_cases: Vec<&str> = hostile()
        .cases
        .iter()
        .filter(|c| c.visible.is_some())
        .filter(|c| !matches!(c.name, "escape-in-helo" | "escape-in-from"))
        .map(|c| c.name)
        .collect();
    let local = format!("--local-domain={LOCAL_DOMAIN}");
    vec![
        TerminalCase {
            name: "list-terminal-cases",
            args: args(&["list", &format!("rcpt-domain:{TERMINAL_DOMAIN}")]),
            keys: vec![],
            must_show: visible(&terminal_cases),
            status: 0,
        },
        TerminalCase {
            name: "read",
            args: args(&["read"]),
            keys: vec![],
            must_show: vec![format!("<evil_[2J@{TERMINAL_DOMAIN}>")],
            status: 0,
        },
        TerminalCase {
            name: "top",
            args: args(&["top", "--limit", "3", &local]),
            keys: vec![],
            must_show: vec!["auth-user test".into()],
            status: 0,
        },
        TerminalCase {
            name: "clusters-subject",
            args: args(&["clusters", "--by", "subject", &local]),
            keys: vec![],
            // Subject templates mask digit runs before the value is sanitized.
            must_show: args(&[
                "\\e[#J\\e[#J\\e[H",
                "\\e]#;;http://evil.example/",
                "\\u{202e}",
            ]),
            status: 0,
        },
        TerminalCase {
            name: "clusters-helo",
            args: args(&["clusters", "--by", "helo"]),
            keys: vec![],
            must_show: visible(&["escape-in-helo"]),
            status: 0,
        },
        TerminalCase {
            name: "clusters-from",
            args: args(&["clusters", "--by", "from"]),
            keys: vec![],
            must_show: visible(&["escape-in-from"]),
            status: 0,
        },
    ]
}

#[test]
fn hostile_queue_on_a_real_terminal() {
    if !Tmux::available() {
        return;
    }
    let tmux = Tmux::server();
    let title = control(&tmux);
    let cases = cli_cases();
    for case in &cases {
        assert_terminal_clean(&tmux, &title, case);
    }
    // The list of terminal cases fits on one screen: the mark printed before it is still on
    // the visible screen, not only in history.
    let s = assert_terminal_clean(
        &tmux,
        &title,
        &TerminalCase {
            name: "list-visible",
            ..cases.into_iter().next().expect("first case")
        },
    );
    assert!(s.visible.contains("BEFORE-MARK"), "{}", s.visible);
}

#[test]
fn hostile_output_piped_through_cat_keeps_the_terminal_clean() {
    if !Tmux::available() {
        return;
    }
    let tmux = Tmux::server();
    let title = control(&tmux);
    let mut cases = cli_cases();
    cases.push(TerminalCase {
        name: "list-all",
        args: args(&["list"]),
        keys: vec![],
        must_show: vec![],
        status: 0,
    });
    for case in &cases {
        assert_piped_clean(&tmux, &title, case);
    }
}

#[test]
fn tui_over_the_hostile_queue_keeps_the_terminal_clean() {
    if !Tmux::available() {
        return;
    }
    let tmux = Tmux::server();
    let title = tmux.display("idle", "#{pane_title}");
    // The TUI's clusters view must show the hostile AUTH login's visible form (so it rendered
    // the hostile values, sanitized) before `q` quits it.
    let login = visible(&["escape-in-auth-user"]).remove(0);
    assert_terminal_clean(
        &tmux,
        &title,
        &TerminalCase {
            name: "tui",
            args: vec![],
            keys: vec![
                ("Clusters by auth-user".into(), String::new()),
                (login, "q".into()),
            ],
            must_show: vec![],
            status: 0,
        },
    );
}

#[test]
fn every_list_line_reaches_the_terminal_exactly_as_sanitized() {
    if !Tmux::available() {
        return;
    }
    let tmux = Tmux::server();
    let title = tmux.display("idle", "#{pane_title}");
    let s = assert_terminal_clean(
        &tmux,
        &title,
        &TerminalCase {
            name: "list-all",
            args: args(&["list"]),
            keys: vec![],
            must_show: vec![],
            status: 0,
        },
    );
    let q = Queue::open(&hostile().root, QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let scanned = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    for r in &scanned.records {
        let want = qtriage::cli::list::line(r, &strings);
        assert!(
            s.text.contains(want.trim_end()),
            "#{}: line missing or altered on the terminal: {want:?}",
            r.id
        );
    }
}
