//! `qtriage logins`: failed and successful logins per account and per IP, from the --log files.

use super::print::json::write_line;
use super::wire::logins::{AccountJson, IpJson, SourceJson};
use std::io::Write;

use super::{exit::ExitCode, GlobalArgs};
use crate::logs::guessing::{summarize, AccountSummary, IpSummary, LoginSummary};
use crate::logs::SourceReport;
use crate::queue::date::rfc3339;
use crate::sanitize::sanitize_bytes;

/// Arguments of `logins`.
#[derive(Debug, clap::Args)]
pub struct LoginsArgs {
    /// One JSON object per line (`type`: `account`, `ip` or `source`) instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// Run `logins`: exit 0 with a report, 1 when the logs hold no login line, 2 without logs.
pub fn run(
    global: &GlobalArgs,
    args: &LoginsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let Some(evidence) = global.load_logs()? else {
        anyhow::bail!("no logs to read: give --log FILE_OR_DIR or set QTRIAGE_LOGS");
    };
    let summary = summarize(&evidence);
    if args.json {
        write_json(out, &summary, &evidence.reports)?;
    } else {
        write_text(out, &summary, &evidence.reports)?;
    }
    Ok(if summary.accounts.is_empty() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}

fn when(t: Option<i64>) -> String {
    t.map_or_else(|| "-".to_string(), rfc3339)
}

fn flags(pairs: &[(bool, &str)]) -> String {
    let f: Vec<&str> = pairs
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
    if f.is_empty() {
        "-".to_string()
    } else {
        f.join(",")
    }
}

/// The two tables and a reading summary; account names sanitized.
pub fn write_text(
    out: &mut dyn Write,
    s: &LoginSummary,
    reports: &[SourceReport],
) -> std::io::Result<()> {
    let total = |f: fn(&SourceReport) -> u64| reports.iter().map(f).sum::<u64>();
    if s.accounts.is_empty() && s.ips.is_empty() {
        // Two empty tables said nothing to an operator who gave the smtpd log (newuser50).
        writeln!(
            out,
            "no login lines (a password's failure or success) in the logs read: CHKUSER and \
             qmail-send lines name the AUTH user of queued messages (qtriage --log DIR top), \
             not logins; give the log vchkpw, dovecot or courier writes to (often \
             /var/log/maillog) for logins"
        )?;
    } else {
        write_accounts(out, &s.accounts)?;
        writeln!(out)?;
        write_ips(out, &s.ips)?;
    }
    // Said only when there is one: the line's five counts are what scripts have parsed.
    let unfinished = match total(|r| r.unfinished) {
        0 => String::new(),
        n => format!(", {n} unfinished (a last line without its newline, not read)"),
    };
    writeln!(
        out,
        "\nread {} files: {} lines, {} recognized, {} unknown, {} without a time, {} cut{unfinished}",
        reports.len(),
        total(|r| r.lines),
        total(|r| r.recognized),
        total(|r| r.unknown),
        total(|r| r.untimed),
        total(|r| r.cut)
    )
}

fn write_accounts(out: &mut dyn Write, accounts: &[AccountSummary]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<32} {:<14} {:>6} {:>6} {:>4} {:>4}  {:<20}  FLAGS",
        "ACCOUNT", "SERVICES", "FAIL", "OK", "IPS", "NETS", "FIRST-SUCCESS"
    )?;
    for a in accounts {
        let services: Vec<&str> = a.services.iter().map(|s| s.name()).collect();
        let name = sanitize_bytes(a.account.as_bytes());
        writeln!(
            out,
            "{:<32} {:<14} {:>6} {:>6} {:>4} {:>4}  {:<20}  {}",
            name,
            services.join(","),
            a.failures,
            a.successes,
            a.success_ips,
            a.success_networks,
            when(a.first_success),
            flags(&[
                (a.is_guessed, "guessed"),
                (a.is_spread, "many-networks"),
                (a.from_harvesting_ip, "harvester-got-in"),
            ])
        )?;
    }
    Ok(())
}

fn write_ips(out: &mut dyn Write, ips: &[IpSummary]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<40} {:>6} {:>6} {:>8} {:>5}  {:<20}  FLAGS",
        "IP", "FAIL", "OK", "ACCOUNTS", "BURST", "BURST-START"
    )?;
    for i in ips {
        let logged: Vec<String> = i
            .accounts_succeeded
            .iter()
            .map(|a| sanitize_bytes(a.as_bytes()).into_owned())
            .collect();
        let into = if logged.is_empty() {
            String::new()
        } else {
            format!("  logged into: {}", logged.join(","))
        };
        writeln!(
            out,
            "{:<40} {:>6} {:>6} {:>8} {:>5}  {:<20}  {}{into}",
            i.ip,
            i.failures,
            i.successes,
            i.accounts_failed,
            i.burst_accounts,
            when(i.burst_start),
            flags(&[(i.is_harvesting, "harvesting")])
        )?;
    }
    Ok(())
}

fn write_json(
    out: &mut dyn Write,
    s: &LoginSummary,
    reports: &[SourceReport],
) -> anyhow::Result<()> {
    for a in &s.accounts {
        let j = AccountJson {
            r#type: "account",
            account: a,
            first_failure_at: a.first_failure.map(rfc3339),
            first_success_at: a.first_success.map(rfc3339),
            guessed_success_at: a.guessed_success.map(rfc3339),
        };
        write_line(out, &j)?;
    }
    for i in &s.ips {
        let j = IpJson {
            r#type: "ip",
            ip: i,
            burst_start_at: i.burst_start.map(rfc3339),
        };
        write_line(out, &j)?;
    }
    for r in reports {
        let j = SourceJson {
            r#type: "source",
            source: r,
        };
        write_line(out, &j)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logs with no login line (the smtpd log's CHKUSER lines) say so, and where logins are.
    #[test]
    fn no_login_lines_are_said_not_shown_as_empty_tables() {
        let mut out = Vec::new();
        write_text(&mut out, &LoginSummary::default(), &[]).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("no login lines"), "{text}");
        assert!(!text.contains("ACCOUNT"), "{text}");
    }

    #[test]
    fn hostile_account_names_do_not_reach_a_terminal_raw() {
        let s = LoginSummary {
            accounts: vec![AccountSummary {
                account: "evil\x1b[2J\x1b]0;pwn\x07".into(),
                failures: 3,
                ..AccountSummary::default()
            }],
            ips: vec![IpSummary {
                ip: "82.128.32.42".parse().expect("ip"),
                failures: 3,
                successes: 1,
                accounts_failed: 1,
                accounts_succeeded: vec!["x\u{202e}y".into()],
                burst_accounts: 1,
                burst_start: Some(0),
                is_harvesting: false,
            }],
        };
        let mut out = Vec::new();
        write_text(&mut out, &s, &[]).expect("write");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            !text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert!(text.contains("evil\\e[2J\\e]0;pwn\\x07"), "{text}");
        assert!(text.contains("logged into: x\\u{202e}y"), "{text}");
    }
}
