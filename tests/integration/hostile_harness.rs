//! The harness of the hostile-queue tests (issue 10): THE hostile queue, written once per test
//! binary run, and a runner that gives every qtriage child a deadline and checks it exits
//! cleanly without showing anything from outside the queue.

use crate::util::{deadline, poll};
use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;

use qtriage::fixture::hostile::{self, HostileTruth, HOSTILE_NOW};

/// A line of /etc/passwd: if it shows up in any output, a link out of the queue was followed.
pub const PASSWD_CANARY: &str = "root:x:0:0";

/// The hostile queue, written once per test binary run (the 10 MB header is not cheap). It lives
/// in `CARGO_TARGET_TMPDIR/hostile-<pid>`; directories left by earlier runs are removed.
pub fn hostile() -> &'static HostileTruth {
    static QUEUE: OnceLock<HostileTruth> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale(base);
        let dir = base.join(format!("hostile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("hostile dir");
        hostile::build(&dir).expect("hostile queue").1
    })
}

/// Remove `hostile-<pid>` directories of test processes that are gone.
fn remove_stale(base: &Path) {
    let Ok(rd) = std::fs::read_dir(base) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("hostile-") else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// A finished child run.
pub struct Run {
    /// What was run, for failure messages.
    pub label: String,
    /// How it ended.
    pub status: ExitStatus,
    /// Its stdout.
    pub stdout: Vec<u8>,
    /// Its stderr.
    pub stderr: Vec<u8>,
}

impl Run {
    /// stdout as (lossy) text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// stderr as (lossy) text.
    pub fn err(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// Run qtriage over the hostile queue with `args`, killing it and failing the test if it is
/// still running at the deadline (a FIFO opened for reading would block forever).
pub fn qtriage(args: &[&str]) -> Run {
    let t = hostile();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qtriage"));
    cmd.arg("--queue").arg(&t.root).args(args);
    run_with_deadline(cmd, &args.join(" "))
}

/// Run `cmd` (stdin closed, output captured) with [`deadline`].
pub fn run_with_deadline(mut cmd: Command, label: &str) -> Run {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("QTRIAGE_QUEUE")
        .env_remove("QTRIAGE_LOGS")
        .env("QTRIAGE_NOW", HOSTILE_NOW.to_string())
        .env("QTRIAGE_VPOPMAIL", "/nonexistent/vpopmail");
    let mut child = cmd.spawn().expect("spawn qtriage");
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let Some(status) = poll(|| child.try_wait().expect("try_wait")) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "qtriage {label}: still running after {:?}: it hangs",
            deadline()
        );
    };
    Run {
        label: label.to_string(),
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// The checks every run must pass: an exit code in `codes` (not a signal), no panic, and nothing
/// from /etc/passwd in the output.
#[track_caller]
pub fn assert_clean(run: &Run, codes: &[i32]) {
    let code = run.status.code();
    assert!(
        code.is_some_and(|c| codes.contains(&c)),
        "qtriage {}: exit {:?} (signal {:?}), want one of {codes:?}\nstderr:\n{}",
        run.label,
        code,
        std::os::unix::process::ExitStatusExt::signal(&run.status),
        run.err()
    );
    let err = run.err();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "qtriage {}: panicked:\n{err}",
        run.label
    );
    for (what, bytes) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(
            !contains(bytes, PASSWD_CANARY.as_bytes()),
            "qtriage {}: /etc/passwd content in {what}: a link out of the queue was followed",
            run.label
        );
        // Text and `--json` alike reach a terminal: JSON escapes what text shows as `\x9b`.
        // A byte that is not UTF-8 (a lone 0x9b is an 8-bit CSI to some terminals) too.
        for chunk in bytes.utf8_chunks() {
            let raw = chunk
                .valid()
                .chars()
                .find(|&c| c != '\n' && c != '\t' && qtriage::sanitize::needs_escape(c));
            assert!(
                raw.is_none() && chunk.invalid().is_empty(),
                "qtriage {}: raw {raw:?} {:x?} in {what}: it reaches the terminal",
                run.label,
                chunk.invalid()
            );
        }
    }
}

/// Byte-string search.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Run and check with [`assert_clean`].
#[track_caller]
pub fn run_clean(args: &[&str], codes: &[i32]) -> Run {
    let run = qtriage(args);
    assert_clean(&run, codes);
    run
}
