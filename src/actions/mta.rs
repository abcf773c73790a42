//! `mta stop` / `mta start`: run the operator's configured command and wait for the lock to change.
//!
//! The config file (default `/etc/qtriage.conf`, or `$QTRIAGE_CONFIG`) is plain `key = value`
//! lines; `#` starts a comment. Keys: `mta_stop` and `mta_start` (a shell command line, run with
//! `sh -c`), `mta_wait` (seconds to wait for the sendmutex to change, default 30). Examples:
//! `mta_stop = svc -d /service/qmail-send` (daemontools), `qmailctl stop`,
//! `/etc/init.d/qmail stop`, `systemctl stop qmail`.

use std::path::Path;
use std::time::{Duration, Instant};

use super::error::ActionError;
use super::lock::{mta_status, MtaStatus};

/// The default config path.
pub const DEFAULT_CONFIG: &str = "/etc/qtriage.conf";
/// How long to wait for qmail-send to stop or start when `mta_wait` is not set.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);
/// The most config lines read.
const MAX_CONFIG_LINES: usize = 10_000;

/// The MTA part of the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaConfig {
    /// Command that stops qmail-send.
    pub stop: Option<String>,
    /// Command that starts qmail-send.
    pub start: Option<String>,
    /// How long to wait for the lock to change.
    pub wait: Duration,
}

impl Default for MtaConfig {
    fn default() -> Self {
        MtaConfig {
            stop: None,
            start: None,
            wait: DEFAULT_WAIT,
        }
    }
}

impl MtaConfig {
    /// Read the config at `path`; a missing file is the empty config.
    pub fn load(path: &Path) -> Result<MtaConfig, ActionError> {
        match std::fs::read_to_string(path) {
            Ok(text) => MtaConfig::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(MtaConfig::default()),
            Err(e) => Err(ActionError::io(path, e)),
        }
    }

    /// Parse config text (`path` is for error messages). Unknown keys are errors, so a typo
    /// does not silently leave a command unset.
    pub fn parse(text: &str, path: &Path) -> Result<MtaConfig, ActionError> {
        let mut c = MtaConfig::default();
        for (n, raw) in text.lines().enumerate().take(MAX_CONFIG_LINES) {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || ActionError::Config {
                path: path.to_path_buf(),
                line: n + 1,
            };
            let (k, v) = line.split_once('=').ok_or_else(bad)?;
            let v = unquote(v.trim()).to_string();
            match k.trim() {
                "mta_stop" => c.stop = Some(v),
                "mta_start" => c.start = Some(v),
                "mta_wait" => c.wait = Duration::from_secs(v.parse().map_err(|_| bad())?),
                _ => return Err(bad()),
            }
        }
        Ok(c)
    }
}

/// A value with one pair of double quotes around it, and none inside, without them
/// (`"svc -d /service/qmail-send"`); anything else as written: the quotes of
/// `kill -TERM "$(cat pid)"` are the shell's (e2e52: its closing quote was stripped).
fn unquote(v: &str) -> &str {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => inner,
        _ => v,
    }
}

/// How long `run_and_wait` still watches the lock after the command failed: an init script
/// may exit non-zero having stopped it anyway, but a command that did nothing must not keep
/// the operator waiting `mta_wait` seconds (e2e52: 30 s after `sh` had exited 2 at once).
pub const FAILED_COMMAND_WAIT: Duration = Duration::from_secs(2);

/// What `run_and_wait` saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtaChange {
    /// The command's exit status (None if killed by a signal).
    pub exit: Option<i32>,
    /// The state at the end.
    pub status: MtaStatus,
    /// The lock reached the wanted state before the deadline.
    pub reached: bool,
    /// How long it watched the lock after the command.
    pub waited: Duration,
}

/// Run `command` with `sh -c`, then poll the sendmutex until qmail-send is running (`want_running`)
/// or not, for at most `wait` ([`FAILED_COMMAND_WAIT`] when the command failed).
pub fn run_and_wait(
    queue_root: &Path,
    command: &str,
    want_running: bool,
    wait: Duration,
) -> Result<MtaChange, ActionError> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .status()
        .map_err(|e| ActionError::io("sh", e))?;
    let wait = if status.success() {
        wait
    } else {
        wait.min(FAILED_COMMAND_WAIT)
    };
    let start = Instant::now();
    loop {
        let s = mta_status(queue_root)?;
        if s.is_send_running == want_running || start.elapsed() >= wait {
            let reached = s.is_send_running == want_running;
            return Ok(MtaChange {
                exit: status.code(),
                status: s,
                reached,
                waited: start.elapsed(),
            });
        }
        // Poll interval: qmail-send needs a moment to finish deliveries after TERM.
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_refuses_typos() {
        let p = Path::new("t.conf");
        let c = MtaConfig::parse(
            "# qmail\nmta_stop = svc -d /service/qmail-send\nmta_wait=5\n",
            p,
        )
        .expect("valid");
        assert_eq!(c.stop.as_deref(), Some("svc -d /service/qmail-send"));
        assert_eq!(c.start, None);
        assert_eq!(c.wait, Duration::from_secs(5));
        assert!(MtaConfig::parse("mta_stp = x\n", p).is_err());
        // One pair of quotes around the value goes; the shell's own quotes stay (e2e52).
        for (line, want) in [
            (
                "mta_stop = \"svc -d /service/qmail-send\"",
                "svc -d /service/qmail-send",
            ),
            (
                "mta_stop = kill -TERM \"$(cat /run/send.pid)\"",
                "kill -TERM \"$(cat /run/send.pid)\"",
            ),
            ("mta_stop = \"a\" \"b\"", "\"a\" \"b\""),
            ("mta_stop = \"", "\""),
        ] {
            let c = MtaConfig::parse(line, p).expect("valid");
            assert_eq!(c.stop.as_deref(), Some(want), "{line}");
        }
        assert!(MtaConfig::parse("mta_stop\n", p).is_err());
    }
}
