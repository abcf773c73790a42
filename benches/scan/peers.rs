//! The peers the bench measures qtriage against: the real qmail's `qmail-qread` and
//! `qmail-qstat`, built from `../shared/real-qmail/` into `target/real-qmail`, and what a child
//! process (or its own children) cost in CPU time and memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The real qmail's prefix: compiled into its programs, so fixed (`qmail-qread` chdirs to it,
/// then to `queue`).
pub fn prefix() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/real-qmail")
}

/// notqmail's build script, when the shared material is there.
fn build_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-qmail/build.sh")
}

/// Build the real qmail once (kept and reused) and point `PREFIX/queue` at `queue` with a
/// symlink (the installed, empty queue is kept as `PREFIX/queue.installed`); checks that the
/// link leads to the same directory. Returns the prefix, or why qmail-qread cannot be run.
pub fn prepare(queue: &Path) -> Result<PathBuf, String> {
    let prefix = prefix();
    if !prefix.join("bin/qmail-qread").is_file() {
        let script = build_script();
        if !script.is_file() {
            return Err(format!("{} not found", script.display()));
        }
        println!("building the real qmail into {} ...", prefix.display());
        let out = Command::new("sh")
            .arg(&script)
            .arg(&prefix)
            .output()
            .map_err(|e| format!("{}: {e}", script.display()))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("build.sh failed: {}", err.trim()));
        }
    }
    let target = queue
        .canonicalize()
        .map_err(|e| format!("{}: {e}", queue.display()))?;
    let link = prefix.join("queue");
    let io = |e: std::io::Error| format!("{}: {e}", link.display());
    match std::fs::symlink_metadata(&link) {
        Ok(m) if m.file_type().is_symlink() => {
            if link.canonicalize().ok().as_deref() != Some(target.as_path()) {
                std::fs::remove_file(&link).map_err(io)?;
                std::os::unix::fs::symlink(&target, &link).map_err(io)?;
            }
        }
        Ok(_) => {
            std::fs::rename(&link, prefix.join("queue.installed")).map_err(io)?;
            std::os::unix::fs::symlink(&target, &link).map_err(io)?;
        }
        Err(_) => std::os::unix::fs::symlink(&target, &link).map_err(io)?,
    }
    if link.canonicalize().map_err(io)? != target {
        return Err(format!(
            "{} does not lead to {}",
            link.display(),
            target.display()
        ));
    }
    Ok(prefix)
}

/// The built qmail-qread, when [`prepare`] made it.
pub fn qmail_qread() -> Option<PathBuf> {
    let bin = prefix().join("bin/qmail-qread");
    bin.is_file().then_some(bin)
}

/// The qmail-qstat script: `QTRIAGE_QMAIL_QSTAT`, else the built one, else
/// `/var/qmail/bin/qmail-qstat`.
pub fn qmail_qstat_script() -> Option<PathBuf> {
    let path = match std::env::var_os("QTRIAGE_QMAIL_QSTAT") {
        Some(p) => PathBuf::from(p),
        None if prefix().join("bin/qmail-qstat").is_file() => prefix().join("bin/qmail-qstat"),
        None => "/var/qmail/bin/qmail-qstat".into(),
    };
    path.is_file().then_some(path)
}

/// GNU time, which reports a program's own peak RSS.
const GNU_TIME: &str = "/usr/bin/time";

/// Where [`peer`] leaves the peak RSS GNU time measured.
fn peak_file() -> PathBuf {
    std::env::temp_dir().join(format!("qtriage-bench-peak-{}", std::process::id()))
}

/// `program` run under GNU time when it is installed: a program's `ru_maxrss` as its spawner
/// sees it also counts the spawner's own memory at the fork (the kernel keeps the larger), so
/// the bench child's 3.5 MiB would hide qmail-qread's 1 MiB; GNU time is smaller than both.
fn peer(program: &Path) -> Command {
    if Path::new(GNU_TIME).is_file() {
        let mut c = Command::new(GNU_TIME);
        c.args(["-f", "%M", "-o"]).arg(peak_file()).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// The peak RSS (KiB) GNU time measured for the last [`peer`] run, if it ran under it.
pub fn peer_peak_kb() -> Option<u64> {
    let text = std::fs::read_to_string(peak_file()).ok()?;
    let _ = std::fs::remove_file(peak_file());
    text.lines().last()?.trim().parse().ok()
}

/// Run qmail-qread (it reads `PREFIX/queue`, the bench queue) with its output to /dev/null;
/// 1 when it succeeded.
pub fn run_qmail_qread() -> u64 {
    let Some(bin) = qmail_qread() else { return 0 };
    let status = peer(&bin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    u64::from(status.is_ok_and(|s| s.success()))
}

/// Run the qmail-qstat script on `queue`: its compiled-in queue path (every word up to and
/// including `/queue`) is replaced by `queue`, the rest runs as written. Returns the first
/// number it prints (messages in queue).
pub fn run_qmail_qstat(queue: &Path) -> u64 {
    let Some(script) = qmail_qstat_script() else {
        return 0;
    };
    let text = std::fs::read_to_string(script).unwrap_or_default();
    let q = queue.to_string_lossy();
    let rewritten: String = text
        .split_inclusive(char::is_whitespace)
        .map(|word| match word.find("/queue") {
            Some(i) if word.starts_with('/') => format!("{q}{}", &word[i + "/queue".len()..]),
            _ => word.to_string(),
        })
        .collect();
    let out = peer(Path::new("/bin/sh"))
        .args(["-c", &rewritten])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .next()
        .and_then(|l| l.rsplit(' ').next()?.trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time and peak memory, from `getrusage`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// User CPU seconds.
    pub user: f64,
    /// System CPU seconds.
    pub sys: f64,
    /// Peak resident set, KiB (of the largest waited-for child, for children).
    pub maxrss_kb: u64,
}

/// This process's usage (`children` false) or that of its waited-for children.
pub fn usage(children: bool) -> Usage {
    let who = if children {
        libc::RUSAGE_CHILDREN
    } else {
        libc::RUSAGE_SELF
    };
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the rusage it is pointed at, which is valid, aligned and
    // zero-initialised (so initialised even if the call failed).
    let ru = unsafe {
        libc::getrusage(who, ru.as_mut_ptr());
        ru.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Usage {
        user: secs(ru.ru_utime),
        sys: secs(ru.ru_stime),
        maxrss_kb: ru.ru_maxrss.max(0) as u64,
    }
}

/// The load average now (1, 5, 15 minutes), as /proc/loadavg says.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
