//! The real-qmail kit: build notqmail once per run, hand it to one test at a time, drive it.
//!
//! qmail compiles its home (conf-qmail) and its users' uids into every binary, so one build
//! serves every test: [`RealQmail::acquire`] builds it on first use (a [`OnceLock`]), then
//! serialises the tests on a mutex and empties the queue and the alias Maildir for each.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::util::{deadline, poll};

/// How long the queue must stay unchanged to count as settled: qmail-send logs `end msg`
/// before it removes the files, and marks recipients done without a line.
const QUIET: Duration = Duration::from_millis(500);

/// conf-split of the kit's build (build.sh).
pub const SPLIT: u32 = 23;

/// The built qmail; `None` when it cannot be built here (the reason was printed).
static KIT: OnceLock<Option<Kit>> = OnceLock::new();
/// One test at a time owns the queue, qmail-send and the Maildir.
static TURN: Mutex<()> = Mutex::new(());

/// A built qmail home.
#[derive(Debug)]
pub struct Kit {
    /// The prefix (conf-qmail).
    pub prefix: PathBuf,
    /// The alias user's Maildir, where postmaster@example.com lands.
    pub maildir: PathBuf,
}

/// A test's turn with the kit: the queue is empty when it starts.
pub struct RealQmail {
    pub kit: &'static Kit,
    _turn: MutexGuard<'static, ()>,
}

impl RealQmail {
    /// The kit, built if needed, with the queue emptied; `None` (after printing why) when the
    /// kit, root, cc or make is missing.
    pub fn acquire(test: &str) -> Option<RealQmail> {
        let kit = KIT.get_or_init(Kit::build).as_ref();
        let Some(kit) = kit else {
            println!("{test}: skipped (see the first real_qmail line)");
            return None;
        };
        // A failed test leaves a poisoned mutex; the queue is reset below anyway.
        let turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
        let q = RealQmail { kit, _turn: turn };
        q.reset();
        Some(q)
    }

    /// The queue directory.
    pub fn queue(&self) -> PathBuf {
        self.kit.prefix.join("queue")
    }

    /// A program of the kit.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.kit.prefix.join("bin").join(name)
    }

    /// Empty the queue (every message file, the yank area) and the Maildir.
    pub fn reset(&self) {
        let q = self.queue();
        for dir in ["mess", "info", "local", "remote"] {
            for n in 0..SPLIT {
                empty_dir(&q.join(dir).join(n.to_string()));
            }
        }
        for dir in ["todo", "intd", "bounce", "pid"] {
            empty_dir(&q.join(dir));
        }
        let _ = std::fs::remove_dir_all(q.join("yanked"));
        for dir in ["new", "cur", "tmp"] {
            empty_dir(&self.kit.maildir.join(dir));
        }
    }

    /// qtriage on this queue.
    pub fn qtriage(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_qtriage"));
        c.arg("--queue")
            .arg(self.queue())
            .env_remove("QTRIAGE_QUEUE")
            .env_remove("QTRIAGE_FAILPOINT")
            .env_remove("QTRIAGE_CONFIG");
        c
    }

    /// Run qtriage with `args`, expecting exit `code`; its stdout.
    #[track_caller]
    pub fn run(&self, args: &[&str], code: i32) -> String {
        let out = self.qtriage().args(args).output().expect("run qtriage");
        crate::util::assert_exit(&out, code);
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Run a kit program (as root) and return its stdout, asserting success.
    #[track_caller]
    pub fn real(&self, name: &str) -> String {
        let out = Command::new(self.bin(name)).output().expect("run qmail");
        assert!(out.status.success(), "{name}: {out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// `qtriage stat` and `read` print what qmail-qstat and qmail-qread print (qmail-qread
    /// lists in directory order, qtriage in queue order: each message's block is compared).
    #[track_caller]
    pub fn assert_like_qmail(&self, when: &str) {
        assert_eq!(
            self.run(&["stat"], 0),
            self.real("qmail-qstat"),
            "stat {when}"
        );
        let ours = blocks(&self.run(&["read"], 0));
        let theirs = blocks(&self.real("qmail-qread"));
        assert_eq!(ours, theirs, "read {when}");
    }

    /// The queue once qmail-send has stopped changing it (the same for half a second: it
    /// logs `end msg` before it removes the files, and marks recipients done without a line).
    #[track_caller]
    pub fn settled(&self) -> crate::tree::Tree {
        let yank = self.queue().join("yanked");
        // A walk that met a file qmail-send removed between listing and reading it is a queue
        // still changing, not an error (it failed a test now and then).
        let mut last = crate::tree::try_walk(&self.queue(), &yank, true);
        let mut walked = Instant::now();
        // Walk once per QUIET, not once per poll: a walk reads every file.
        poll(|| {
            if walked.elapsed() < QUIET {
                return None;
            }
            let now = crate::tree::try_walk(&self.queue(), &yank, true);
            walked = Instant::now();
            if now.is_some() && now == last {
                return now;
            }
            last = now;
            None
        })
        .expect("the queue kept changing")
    }

    /// Queue a message through the real qmail-queue as `uid`:`gid`, with the envelope on fd 1.
    pub fn queue_as(&self, uid: u32, gid: u32, message: &[u8], from: &str, to: &[&str]) {
        let (envelope_in, mut envelope) = crate::util::pipe();
        let mut child = Command::new(self.bin("qmail-queue"))
            .uid(uid)
            .gid(gid)
            .stdin(Stdio::piped())
            .stdout(envelope_in)
            .spawn()
            .expect("qmail-queue");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(message)
            .expect("message");
        envelope.write_all(&envelope_bytes(from, to)).expect("env");
        drop(envelope);
        assert!(child.wait().expect("wait").success(), "qmail-queue failed");
    }

    /// Run a kit program as `uid`:`gid` with `stdin` and `env`, asserting success.
    pub fn feed(
        &self,
        prog: &str,
        ids: (u32, u32),
        args: &[&str],
        env: &[(&str, &str)],
        stdin: &[u8],
    ) -> Output {
        let mut child = Command::new(self.bin(prog))
            .args(args)
            .uid(ids.0)
            .gid(ids.1)
            .current_dir("/")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect(prog);
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin)
            .expect("stdin");
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success(), "{prog}: {out:?}");
        out
    }

    /// Start qmail-send as an init script does (`qmail-start ./Maildir/ cat`, from `/`), logging
    /// to a new file; returns once it logged its first line (its signal handlers are set).
    pub fn start_send(&self, log: &Path) -> Send {
        let file = std::fs::File::create(log).expect("log");
        let child = Command::new(self.bin("qmail-start"))
            .args(["./Maildir/", "cat"])
            .current_dir("/")
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.kit.prefix.join("bin").display()),
            )
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup"))
            .stderr(file)
            .spawn()
            .expect("qmail-start");
        let send = Send {
            child,
            log: log.to_path_buf(),
        };
        send.wait_log("its first status line", |l| l.contains("status: local"));
        send
    }
}

/// A running qmail-send (qmail-start execs it: the child's pid is qmail-send's). Dropping it
/// sends TERM to that pid only and waits for it to exit, also when the test failed.
pub struct Send {
    child: Child,
    log: PathBuf,
}

impl Send {
    /// qmail-send's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `kill -ALRM PID`: retry every message now.
    pub fn alarm(&self) {
        signal(self.pid(), "ALRM");
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Poll the log until `done` holds for its text, or fail after [`deadline`].
    #[track_caller]
    pub fn wait_log(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        poll(|| Some(self.log()).filter(|text| done(text))).unwrap_or_else(|| {
            panic!(
                "qmail-send did not log {what} within {:?}:\n{}",
                deadline(),
                self.log()
            )
        })
    }

    /// TERM it and wait until it exited (its lock is free then); the full log.
    pub fn stop(mut self) -> String {
        self.terminate();
        self.log()
    }

    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        signal(self.pid(), "TERM");
        poll(|| (!matches!(self.child.try_wait(), Ok(None))).then_some(()));
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Send {
    fn drop(&mut self) {
        self.terminate();
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -{sig} {pid}");
}

/// qmail-queue's envelope: `F` sender, `T` recipients, each NUL-terminated, then a NUL.
pub fn envelope_bytes(from: &str, to: &[&str]) -> Vec<u8> {
    let mut e = format!("F{from}\0").into_bytes();
    for t in to {
        e.extend_from_slice(format!("T{t}\0").as_bytes());
    }
    e.push(0);
    e
}

/// qmail-qread's output cut into one block per message (its line and its recipient lines),
/// sorted.
fn blocks(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        match out.last_mut() {
            Some(b) if line.starts_with('\t') => b.push_str(line),
            _ => out.push(line.to_string()),
        }
    }
    out.sort();
    out
}

fn empty_dir(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            let _ = std::fs::remove_dir_all(&p);
        } else {
            let _ = std::fs::remove_file(&p);
        }
    }
}

/// A user's uid and gid, from `getent passwd`.
pub fn ids_of(user: &str) -> (u32, u32) {
    let out = Command::new("getent")
        .args(["passwd", user])
        .output()
        .expect("getent");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let f: Vec<&str> = line.trim().split(':').collect();
    assert!(f.len() >= 6, "no passwd entry for {user}: {line:?}");
    (f[2].parse().expect("uid"), f[3].parse().expect("gid"))
}

fn home_of(user: &str) -> PathBuf {
    let out = Command::new("getent")
        .args(["passwd", user])
        .output()
        .expect("getent");
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    PathBuf::from(line.trim().split(':').nth(5).unwrap_or_default())
}

impl Kit {
    /// Build the kit, or say in one line why not.
    fn build() -> Option<Kit> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-qmail/build.sh");
        let why = if !script.is_file() {
            Some(format!("no kit at {}", script.display()))
        } else if !is_root() {
            Some("not root (qmail installs files owned by its users)".to_string())
        } else if !has("cc") || !has("make") {
            Some("cc or make missing".to_string())
        } else {
            None
        };
        if let Some(why) = why {
            println!("real_qmail: not run: {why}; see README.md, \"Run the tests\"");
            return None;
        }
        let top = std::env::temp_dir().join(format!("qtriage-real-qmail-{}", std::process::id()));
        remove_stale_builds();
        std::fs::create_dir_all(&top).expect("kit dir");
        // qmaild, uid 48 and the others must reach PREFIX/bin and the queue through it.
        std::fs::set_permissions(&top, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let prefix = top.join("qmail");
        let out = Command::new("sh")
            .arg(&script)
            .arg(&prefix)
            .output()
            .expect("build.sh");
        assert!(out.status.success(), "build.sh failed: {out:?}");
        let maildir = alias_maildir(&prefix);
        Some(Kit { prefix, maildir })
    }
}

/// The alias user's `./Maildir/`, where `.qmail-postmaster` delivers. Its home is its passwd
/// entry: the first build on a machine creates the user with `PREFIX/alias`; a later build (a
/// later run) finds it with an older prefix, so the Maildir and `.qmail-*` files are made there
/// when missing (never overwritten).
fn alias_maildir(prefix: &Path) -> PathBuf {
    let home = home_of("alias");
    if home == prefix.join("alias") {
        return home.join("Maildir");
    }
    let (uid, gid) = ids_of("alias");
    for d in ["new", "cur", "tmp"] {
        let dir = home.join("Maildir").join(d);
        std::fs::create_dir_all(&dir).expect("alias Maildir");
    }
    for n in ["postmaster", "root", "mailer-daemon"] {
        let f = home.join(format!(".qmail-{n}"));
        if !f.exists() {
            std::fs::write(&f, "./Maildir/\n").expect(".qmail");
        }
    }
    let ok = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(home.join("Maildir"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "chown alias Maildir");
    // qmail-local refuses a home that is world- or group-writable, or not reachable.
    let _ = std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755));
    home.join("Maildir")
}

/// Builds of runs that have ended (their pid is gone) are removed.
fn remove_stale_builds() {
    let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("qtriage-real-qmail-") else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

fn has(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}
