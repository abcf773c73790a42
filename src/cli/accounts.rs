//! `qtriage accounts`: vpopmail accounts at risk, as a table or one JSON object per account.

use std::io::Write;
use std::path::PathBuf;

use super::{exit::ExitCode, GlobalArgs};
use crate::accounts::hashcheck::{MAX_HASH_ATTEMPTS_PER_ACCOUNT, MAX_HASH_ATTEMPTS_PER_RUN};
use crate::accounts::{
    assess, AccountRisk, Assessment, CheckOptions, PasswordCheck, DEFAULT_VPOPMAIL_DIR,
};
use crate::sanitize::sanitize_bytes;

/// Widest account or domain column in the table; longer names are cut with `~`.
const MAX_COLUMN: usize = 32;

/// Arguments of `accounts`.
#[derive(Debug, clap::Args)]
pub struct AccountsArgs {
    /// The vpopmail directory (its domains/ is read, never written).
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL", default_value = DEFAULT_VPOPMAIL_DIR)]
    pub vpopmail: PathBuf,
    /// One JSON object per account instead of the table.
    #[arg(long)]
    pub json: bool,
    /// List every account, also those no rule matches.
    #[arg(long)]
    pub all: bool,
    /// An AUTH user `top` names as a culprit: `USER` (any domain) or `USER@DOMAIN`. Repeatable.
    #[arg(long = "culprit", value_name = "USER")]
    pub culprits: Vec<String>,
    /// A login the login log names as a culprit (same forms). Repeatable.
    #[arg(long = "log-culprit", value_name = "USER")]
    pub log_culprits: Vec<String>,
    /// Most hash computations in this run (accounts stored only as hashes).
    #[arg(long, value_name = "N", default_value_t = MAX_HASH_ATTEMPTS_PER_RUN)]
    pub max_hash_attempts: usize,
}

impl AccountsArgs {
    /// The check options these arguments give.
    pub fn check_options(&self) -> CheckOptions {
        CheckOptions {
            culprits_top: self.culprits.clone(),
            culprits_log: self.log_culprits.clone(),
            max_hash_attempts: self.max_hash_attempts,
            max_hash_attempts_per_account: MAX_HASH_ATTEMPTS_PER_ACCOUNT,
        }
    }
}

/// A table cell: sanitized (account and domain names are file bytes) and cut to the column.
fn cell(bytes: &[u8]) -> String {
    let s = sanitize_bytes(bytes);
    if s.chars().count() <= MAX_COLUMN {
        return s.into_owned();
    }
    let mut cut: String = s.chars().take(MAX_COLUMN - 1).collect();
    cut.push('~');
    cut
}

fn rules_text(r: &AccountRisk) -> String {
    let names: Vec<&str> = r.rules.iter().map(|x| x.name()).collect();
    if names.is_empty() {
        "-".into()
    } else {
        names.join(",")
    }
}

fn write_table(out: &mut dyn Write, rows: &[&AccountRisk]) -> std::io::Result<()> {
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            [
                cell(&r.account),
                cell(&r.domain),
                rules_text(r),
                r.advice.clone(),
            ]
        })
        .collect();
    let w0 = cells
        .iter()
        .map(|c| c[0].chars().count())
        .max()
        .unwrap_or(0)
        .max(7);
    let w1 = cells
        .iter()
        .map(|c| c[1].chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    let w2 = cells.iter().map(|c| c[2].len()).max().unwrap_or(0).max(5);
    writeln!(
        out,
        "{:w0$}  {:w1$}  {:w2$}  ADVICE",
        "ACCOUNT", "DOMAIN", "RULES"
    )?;
    for c in &cells {
        writeln!(out, "{:w0$}  {:w1$}  {:w2$}  {}", c[0], c[1], c[2], c[3])?;
    }
    Ok(())
}

fn write_summary(out: &mut dyn Write, a: &Assessment, max_hash: usize) -> std::io::Result<()> {
    let at_risk = a.check.at_risk().count();
    writeln!(
        out,
        "{at_risk} of {} accounts in {} domains at risk; {} hash attempts",
        a.accounts, a.domains, a.check.hash_attempts
    )?;
    let partial = a
        .check
        .risks
        .iter()
        .filter(|r| {
            matches!(
                r.password_check,
                PasswordCheck::HashCapped | PasswordCheck::HashSkipped
            )
        })
        .count();
    if partial > 0 {
        let why = if a.check.run_cap_hit {
            format!("the run's cap of {max_hash} hash attempts was reached")
        } else {
            "per-account cap or costly hash scheme".to_string()
        };
        writeln!(
            out,
            "{partial} accounts' passwords were not fully checked: {why}"
        )?;
    }
    Ok(())
}

/// Run `accounts`: exit 1 when any listed account is at risk, 0 when none is.
pub fn run(
    _global: &GlobalArgs,
    args: &AccountsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let a = assess(&args.vpopmail, &args.check_options())?;
    for w in &a.warnings {
        eprintln!(
            "qtriage: warning: {}: {}",
            sanitize_bytes(w.path.as_os_str().as_encoded_bytes()),
            sanitize_bytes(w.reason.as_bytes())
        );
    }
    let rows: Vec<&AccountRisk> = a
        .check
        .risks
        .iter()
        .filter(|r| args.all || r.is_at_risk())
        .collect();
    if args.json {
        for r in &rows {
            super::print::json::write_line(out, r)?;
        }
    } else {
        write_table(out, &rows)?;
        write_summary(out, &a, args.max_hash_attempts)?;
    }
    Ok(if a.check.at_risk().next().is_some() {
        ExitCode::NoMatch
    } else {
        ExitCode::Success
    })
}
