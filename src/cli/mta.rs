//! `qtriage mta [stop|start]`: is qmail-send running; optionally stop or start it.

use super::wire::mta::StatusJson;
use std::io::Write;
use std::path::PathBuf;

use super::{exit::ExitCode, GlobalArgs};
use crate::actions::mta::{run_and_wait, MtaConfig, DEFAULT_CONFIG};
use crate::actions::{mta_status, MtaStatus};

/// Arguments of `mta`. Its flags are global to `stop` and `start`, so `qtriage mta stop --config
/// FILE`, the order an operator types, works as `qtriage mta --config FILE stop` does.
#[derive(Debug, clap::Args)]
pub struct MtaArgs {
    /// Print one JSON object: {"running": bool, "pid": n|null, "comm": s|null}.
    #[arg(long, global = true)]
    pub json: bool,
    /// The config file with mta_stop / mta_start.
    #[arg(
        long,
        global = true,
        env = "QTRIAGE_CONFIG",
        default_value = DEFAULT_CONFIG,
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// Stop or start qmail-send with the configured command.
    #[command(subcommand)]
    pub action: Option<MtaAction>,
}

/// `mta stop` / `mta start`.
#[derive(Debug, Clone, Copy, clap::Subcommand)]
pub enum MtaAction {
    /// Run mta_stop and wait (up to mta_wait seconds) until lock/sendmutex is free.
    Stop,
    /// Run mta_start and wait (up to mta_wait seconds) until lock/sendmutex is held.
    Start,
}

fn print_status(out: &mut dyn Write, s: &MtaStatus, json: bool) -> std::io::Result<()> {
    if json {
        let j = StatusJson {
            running: s.is_send_running,
            pid: s.holder.as_ref().map(|h| h.pid),
            comm: s.holder.as_ref().and_then(|h| h.comm.as_deref()),
        };
        return super::print::json::write_line(out, &j);
    }
    match (&s.is_send_running, &s.holder) {
        (true, Some(h)) => match &h.comm {
            Some(comm) => writeln!(
                out,
                "qmail-send: running (pid {} {})",
                h.pid,
                crate::sanitize::sanitize_str(comm)
            ),
            None => writeln!(out, "qmail-send: running ({})", h.describe()),
        },
        (true, None) => writeln!(out, "qmail-send: running"),
        (false, _) => writeln!(out, "qmail-send: stopped"),
    }
}

/// Run `mta`.
pub fn run(global: &GlobalArgs, args: &MtaArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    let Some(action) = args.action else {
        print_status(out, &mta_status(queue.root())?, args.json)?;
        return Ok(ExitCode::Success);
    };
    let config = MtaConfig::load(&args.config)?;
    let (command, want_running, key) = match action {
        MtaAction::Stop => (config.stop.as_deref(), false, "mta_stop"),
        MtaAction::Start => (config.start.as_deref(), true, "mta_start"),
    };
    let Some(command) = command else {
        anyhow::bail!(
            "{key} is not set in {} (see docs/cli.md, `qtriage mta`)",
            args.config.display()
        );
    };
    let change = run_and_wait(queue.root(), command, want_running, config.wait)?;
    print_status(out, &change.status, args.json)?;
    if !change.reached {
        let exit = match change.exit {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        warnln!(
            "qtriage: `{command}` {exit}, and qmail-send is still {} after {}s",
            if want_running { "stopped" } else { "running" },
            (change.waited.as_millis() + 500) / 1000
        );
        return Ok(ExitCode::Error);
    }
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::error::Holder;

    fn shown(comm: Option<&str>) -> String {
        let s = MtaStatus {
            is_send_running: true,
            holder: Some(Holder {
                pid: 1234,
                comm: comm.map(str::to_string),
            }),
        };
        let mut out = Vec::new();
        print_status(&mut out, &s, false).expect("print");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn the_lock_holder_is_named_safely_and_a_gone_one_said_in_words() {
        assert_eq!(
            shown(Some("qmail-send")),
            "qmail-send: running (pid 1234 qmail-send)\n"
        );
        // A process names itself (prctl PR_SET_NAME): its name is text for the terminal.
        assert_eq!(
            shown(Some("x\x1b[2J")),
            "qmail-send: running (pid 1234 x\\e[2J)\n"
        );
        assert_eq!(
            shown(None),
            "qmail-send: running (pid 1234, not visible in /proc)\n"
        );
        // The refusal names the holder the same way.
        let refusal = |comm: Option<&str>| {
            crate::actions::ActionError::SendRunning {
                lock: "/q/lock/sendmutex".into(),
                holder: Some(Holder {
                    pid: 1234,
                    comm: comm.map(str::to_string),
                }),
            }
            .to_string()
        };
        assert!(refusal(Some("x\x1b[2J")).ends_with("locked by pid 1234 (x\\e[2J)"));
        assert!(refusal(None).ends_with("locked by pid 1234, not visible in /proc"));
    }
}
