//! The one tmux harness of the tmux tests: a private tmux server, panes running qtriage or a
//! script, captures, keys, and waits that poll a pane with [`crate::util::poll`] up to
//! [`crate::util::deadline`]; there are no fixed sleeps.
//!
//! A test that needs tmux first asks [`Tmux::available`] and skips, with a message, when it is
//! not installed (`.ci/run` installs it).

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{deadline, poll};

/// Columns and rows of every pane.
const WIDTH: u32 = 120;
const HEIGHT: u32 = 40;

/// The pane [`Tmux::start_with`] runs qtriage in, which [`Tmux::screen`] and [`Tmux::keys`] use.
const MAIN: &str = "main";

/// A tmux server of our own (unique socket, own config), killed on drop.
pub struct Tmux {
    socket: String,
    /// Holds the config and the scripts; its name, unique while it exists, names the socket
    /// (a clock reading is not unique: two tests can start in the same tick of a coarse clock).
    dir: tempfile::TempDir,
}

/// Quote `s` for `sh`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

impl Tmux {
    /// Is tmux installed? Says so on stderr when it is not (the caller skips its test).
    pub fn available() -> bool {
        let yes = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !yes {
            eprintln!("skipped: tmux is not installed (.ci/run installs it)");
        }
        yes
    }

    /// Start a server with an idle session (`idle`, running `cat`) that keeps it up between
    /// panes and gives the terminal's default title.
    pub fn server() -> Tmux {
        let dir = tempfile::tempdir().expect("tmux dir");
        // scroll-on-clear off makes an erase really erase (not push the screen into history);
        // set-clipboard on turns OSC 52 into a tmux buffer a test can look for.
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g history-limit 20000\nset -sq set-clipboard on\nset -gwq scroll-on-clear off\n",
        )
        .expect("tmux.conf");
        let unique = dir.path().file_name().map_or_else(
            || std::process::id().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let t = Tmux {
            socket: format!("qtriage-test-{unique}"),
            dir,
        };
        t.ok(&[
            "new-session",
            "-d",
            "-s",
            "idle",
            "-x",
            "80",
            "-y",
            "24",
            "cat",
        ]);
        t
    }

    /// Start qtriage on `queue` in the main pane.
    pub fn start(queue: &Path) -> Tmux {
        Tmux::start_with(queue, "")
    }

    /// Start qtriage on `queue` with `args` (shell words, already quoted) after `--queue`, in
    /// the main pane.
    pub fn start_with(queue: &Path, args: &str) -> Tmux {
        let t = Tmux::server();
        let cmd = format!(
            "{} --queue {} {args}",
            quote(env!("CARGO_BIN_EXE_qtriage")),
            quote(&queue.to_string_lossy())
        );
        t.new_session(MAIN, &["-e", "QTRIAGE_QUEUE="], &cmd);
        t
    }

    /// [`Tmux::start_with`] with `QTRIAGE_NOW` set to `now` in qtriage's environment.
    pub fn start_at(queue: &Path, now: i64, args: &str) -> Tmux {
        let t = Tmux::server();
        let cmd = format!(
            "{} --queue {} {args}",
            quote(env!("CARGO_BIN_EXE_qtriage")),
            quote(&queue.to_string_lossy())
        );
        let now = format!("QTRIAGE_NOW={now}");
        t.new_session(MAIN, &["-e", "QTRIAGE_QUEUE=", "-e", &now], &cmd);
        t
    }

    /// Run the shell script `script` in a new session named `name`.
    pub fn open(&self, name: &str, script: &str) {
        self.open_sized(name, script, (WIDTH, HEIGHT));
    }

    /// [`Tmux::open`] in a terminal of `(columns, rows)`.
    pub fn open_sized(&self, name: &str, script: &str, size: (u32, u32)) {
        let path = self.dir.path().join(format!("{name}.sh"));
        std::fs::write(&path, script).expect("script");
        let sh = format!("sh {}", quote(&path.to_string_lossy()));
        self.new_session_sized(name, &[], &sh, size);
    }

    fn new_session(&self, name: &str, extra: &[&str], cmd: &str) {
        self.new_session_sized(name, extra, cmd, (WIDTH, HEIGHT));
    }

    fn new_session_sized(&self, name: &str, extra: &[&str], cmd: &str, size: (u32, u32)) {
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let mut args = vec!["new-session", "-d", "-s", name, "-x", &w, "-y", &h];
        args.extend_from_slice(extra);
        args.push(cmd);
        self.ok(&args);
    }

    fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"))
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("run tmux")
    }

    /// Run a tmux command on this server; fail the test if it fails; its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args);
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A pane's format value (`#{pane_title}`).
    pub fn display(&self, pane: &str, format: &str) -> String {
        self.ok(&["display", "-p", "-t", pane, format])
            .trim_end_matches('\n')
            .to_string()
    }

    /// `capture-pane -p` of `pane` with `extra` options.
    pub fn capture(&self, pane: &str, extra: &[&str]) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", pane];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// The names of tmux's paste buffers (an OSC 52 that got through makes one).
    pub fn buffers(&self) -> String {
        self.ok(&["list-buffers", "-F", "#{buffer_name}"])
    }

    /// The main pane's visible screen.
    pub fn screen(&self) -> String {
        self.capture(MAIN, &[])
    }

    /// Send `keys` to the main pane.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", MAIN];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status.success(), "send-keys {keys:?}");
    }

    /// Send `keys` (tmux key names) to `pane`.
    pub fn send_keys(&self, pane: &str, keys: &str) {
        self.ok(&["send-keys", "-t", pane, keys]);
    }

    /// Poll until `done(self)` holds; fail at the deadline with `pane`'s screen and state.
    #[track_caller]
    pub fn wait(&self, pane: &str, what: &str, done: &dyn Fn(&Tmux) -> bool) {
        if poll(|| done(self).then_some(())).is_none() {
            let screen = self.capture(pane, &[]);
            let state = self.display(pane, "dead=#{pane_dead}:#{pane_dead_status}");
            panic!(
                "tmux pane {pane} ({state}): no {what} after {:?}:\n{screen}",
                deadline()
            );
        }
    }

    /// Wait until the scan has finished: the lists are shown and the progress line is gone
    /// (while the envelopes are read, the header pass is shown and actions are refused; while
    /// they are analysed, nothing is).
    #[track_caller]
    pub fn wait_scanned(&self) -> String {
        self.wait_until("the scan to finish", |s| {
            s.contains("Messages")
                && !s.contains("scanning:")
                && !s.contains("reading envelopes")
                && !s.contains("analysing ")
        })
    }

    /// Poll the main pane until it contains `text`; fail with the last screen at the deadline.
    #[track_caller]
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |screen| screen.contains(text))
    }

    /// Poll the main pane until it contains every one of `texts` at once: what a test asserts
    /// about a screen must be on the screen it waited for, not on one that may still be half
    /// drawn.
    #[track_caller]
    pub fn wait_for_all(&self, texts: &[&str]) -> String {
        self.wait_until(&texts.join(" + "), |screen| {
            texts.iter().all(|t| screen.contains(t))
        })
    }

    /// Poll the main pane until `ready(screen)` holds on a settled screen; fail at the deadline
    /// saying `what` was awaited.
    ///
    /// A capture can land while tmux is still taking in a frame's bytes: the top rows are new
    /// and the rest are the previous frame's. So the screen is returned only when the next
    /// capture is the same (the frame is whole), or at the deadline if it never settles.
    #[track_caller]
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let mut matched: Option<String> = None;
        let mut last = String::new();
        let settled = poll(|| {
            let screen = self.screen();
            if !ready(&screen) {
                matched = None;
                last = screen;
                return None;
            }
            if matched.as_deref() == Some(screen.as_str()) {
                return Some(screen);
            }
            matched = Some(screen);
            None
        });
        match (settled, matched) {
            (Some(screen), _) | (None, Some(screen)) => screen,
            (None, None) => panic!("timed out waiting for {what:?}; screen:\n{last}"),
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}
