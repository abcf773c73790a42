//! TestQueue: a fixture queue in a temp dir plus a runner for the real qtriage binary, and the
//! one deadline and poll helper every waiting test uses.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

use qtriage::fixture::{FixtureQueue, MessageSpec, QueueBuilder};
use qtriage::queue::MessageId;

/// A fixture queue that is removed when dropped.
pub struct TestQueue {
    _dir: tempfile::TempDir,
    pub q: FixtureQueue,
}

impl TestQueue {
    /// An empty queue with conf-split `split`.
    pub fn new(split: u32) -> TestQueue {
        Self::with(QueueBuilder::new("").split(split))
    }

    /// An empty queue from a configured builder (its root is replaced by a temp dir).
    pub fn with(builder: QueueBuilder) -> TestQueue {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("queue");
        let q = builder.at(&root).create().expect("fixture queue");
        TestQueue { _dir: dir, q }
    }

    /// Add a message.
    pub fn add(&self, spec: MessageSpec) -> MessageId {
        self.q.add(&spec).expect("fixture message")
    }

    /// The queue directory.
    pub fn root(&self) -> &Path {
        self.q.root()
    }

    /// Run qtriage with `--queue` set to this queue ([`TestQueue::command`]).
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run qtriage")
    }

    /// A qtriage command with `--queue` set to this queue, to add env, stdin or arguments;
    /// none of the developer's `QTRIAGE_*` variables reaches it (a `QTRIAGE_VPOPMAIL` or
    /// `QTRIAGE_NOW` in the shell changed what tests saw, style53): a test sets what it needs.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_qtriage"));
        c.arg("--queue").arg(self.root());
        for var in QTRIAGE_VARIABLES {
            c.env_remove(var);
        }
        c
    }

    /// Write qmail's control files `(name, text)` beside the queue (`../control/`), where a
    /// host's are and qtriage reads them.
    pub fn control(&self, files: &[(&str, &str)]) {
        let dir = self.root().parent().expect("home").join("control");
        std::fs::create_dir_all(&dir).expect("control");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("control file");
        }
    }

    /// Run qtriage at `now` (`QTRIAGE_NOW`, unix seconds).
    pub fn run_at(&self, now: &str, args: &[&str]) -> Output {
        let mut c = self.command();
        c.args(args).env("QTRIAGE_NOW", now);
        c.output().expect("run qtriage")
    }

    /// Run and return stdout, asserting exit status 0.
    #[track_caller]
    pub fn stdout(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_exit(&out, 0);
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }
}

/// `n` users' own mail out around a test's culprit: `user{u}@example.com` logged in from its own
/// IP (198.51.100.10 on), one partner each, born when `born` says.
pub fn add_users(t: &TestQueue, n: usize, mut born: impl FnMut() -> i64) {
    for u in 0..n {
        let login = format!("user{u}@example.com");
        t.add(
            MessageSpec::new()
                .born(born())
                .received_from(&format!("198.51.100.{}", 10 + u))
                .auth(&login)
                .sender(&login)
                .subject(format!("Re: offer {u}"))
                .remote(format!("partner{u}@firm{u}.example.org")),
        );
    }
}

/// Spawn `cmd` (a qtriage action with a `pause-after-rename` failpoint, stdin and stderr piped
/// here) and return once it says it paused, holding its locks: the child, and its stderr, kept
/// open so it may go on writing.
pub fn spawn_paused(cmd: &mut Command) -> (Child, std::io::BufReader<std::process::ChildStderr>) {
    let mut child = (cmd.stdin(Stdio::piped()).stderr(Stdio::piped()))
        .spawn()
        .expect("spawn");
    let mut err = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    while !line.contains("failpoint paused") {
        line.clear();
        assert!(
            err.read_line(&mut line).expect("read") > 0,
            "qtriage ended before pausing"
        );
    }
    (child, err)
}

/// Every environment variable qtriage reads (docs/cli.md's table).
pub const QTRIAGE_VARIABLES: [&str; 6] = [
    "QTRIAGE_QUEUE",
    "QTRIAGE_NOW",
    "QTRIAGE_LOGS",
    "QTRIAGE_VPOPMAIL",
    "QTRIAGE_CONFIG",
    "QTRIAGE_FAILPOINT",
];

pub use qtriage::fixture::people::{alice_mail, login_spam};

/// Assert an exit code, showing stderr on mismatch.
#[track_caller]
pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr:\n{}\nstdout:\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Compare text with a line diff on mismatch.
#[track_caller]
pub fn assert_text(got: &str, want: &str) {
    if got != want {
        let mut diff = String::new();
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            if g != w {
                diff.push_str(&format!("line {}:\n  got:  {g:?}\n  want: {w:?}\n", i + 1));
            }
        }
        panic!("output differs\n{diff}--- got ---\n{got}--- want ---\n{want}");
    }
}

/// `flock -n -o sendmutex -c 'echo locked; read x'`, once it printed "locked". Killed on drop.
pub struct FakeSend {
    child: Child,
    _stdin: ChildStdin,
}

impl FakeSend {
    /// Hold `t`'s lock/sendmutex as a running qmail-send does; `None` if flock is missing.
    pub fn start(t: &TestQueue) -> Option<FakeSend> {
        // -o: only flock itself holds the lock (not the shell), like qmail-send's single process.
        let mut child = Command::new("flock")
            .args(["-n", "-o"])
            .arg(t.root().join("lock/sendmutex"))
            .args(["-c", "echo locked; read x"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdin = child.stdin.take()?;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take()?)
            .read_line(&mut line)
            .ok()?;
        assert_eq!(line.trim(), "locked");
        Some(FakeSend {
            child,
            _stdin: stdin,
        })
    }

    /// The pid of the process holding the lock (flock itself, with `-o`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for FakeSend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pipe: (read end, write end), for handing one end to a child (std::io::pipe is newer than
/// the MSRV).
pub fn pipe() -> (std::fs::File, std::fs::File) {
    let (r, w) = rustix::pipe::pipe().expect("pipe");
    (std::fs::File::from(r), std::fs::File::from(w))
}

/// How long a test waits for anything (a pane's text, a child's exit, a watcher's event, a
/// log line) before it fails. Long, because it only bounds a failure: a passing test waits for
/// its event, never for this.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// [`DEADLINE`], or `QTRIAGE_TEST_PATIENCE` seconds when set; doubled when `CI` is set (shared,
/// slower machines).
pub fn deadline() -> Duration {
    let base = std::env::var("QTRIAGE_TEST_PATIENCE")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(DEADLINE, Duration::from_secs);
    if std::env::var_os("CI").is_some() {
        base * 2
    } else {
        base
    }
}

/// The pause between two checks of a poll: it paces the loop so it does not spin on a busy
/// machine; it is not a wait for anything (the checks usually cost a process round trip).
const POLL_PACE: Duration = Duration::from_millis(20);

/// Check until `check` gives a value, or [`deadline`] has passed: `None` then, for the caller to
/// fail saying what it waited for and what it saw last.
pub fn poll<T>(mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + deadline();
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::park_timeout(POLL_PACE);
    }
}
