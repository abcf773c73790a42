//! `qtriage accounts`: vpopmail accounts at risk, as a table or one JSON object per account.

use std::io::Write;
use std::path::PathBuf;

use super::{exit::ExitCode, GlobalArgs};
use crate::accounts::hashcheck::{MAX_HASH_ATTEMPTS_PER_ACCOUNT, MAX_HASH_ATTEMPTS_PER_RUN};
use crate::accounts::{
    assess, AccountRisk, Assessment, CheckOptions, PasswordCheck, DEFAULT_VPOPMAIL_DIR,
};
use crate::analysis::evidence::from_any_logs;
use crate::analysis::rank::OF_QUEUE;
use crate::analysis::setup::Setup;
use crate::analysis::{culprit_auth_users, rank_culprits, TOP_LIMIT};
use crate::queue::{Interner, ScanOptions};
use crate::report::compose::with_yank_area;
use crate::sanitize::sanitize_bytes;
use crate::sanitize::sanitize_str;
use crate::size::{counted, thousands};

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
    /// Do not read the queue for `top`'s culprits (only `--culprit` names them).
    #[arg(long)]
    pub no_queue: bool,
    /// What the server calls its own, as for `top`.
    #[command(flatten)]
    pub context: crate::cli::clusters::ContextArgs,
    /// Most hash computations in this run (accounts stored only as hashes).
    #[arg(long, value_name = "N", default_value_t = MAX_HASH_ATTEMPTS_PER_RUN)]
    pub max_hash_attempts: usize,
}

impl AccountsArgs {
    /// The check options these arguments give, plus the culprits found in the queue and logs.
    pub fn check_options(&self, found: NamedCulprits) -> CheckOptions {
        let join = |mut given: Vec<String>, more: Vec<String>| {
            given.extend(more);
            given.sort_unstable();
            given.dedup();
            given
        };
        CheckOptions {
            culprits_top: join(self.culprits.clone(), found.top),
            culprits_stuffed: found.stuffed,
            culprits_log: join(self.log_culprits.clone(), found.log),
            max_hash_attempts: self.max_hash_attempts,
            max_hash_attempts_per_account: MAX_HASH_ATTEMPTS_PER_ACCOUNT,
        }
    }
}

/// Culprits found without being named on the command line.
#[derive(Debug, Default)]
pub struct NamedCulprits {
    /// AUTH users `top` ranks as culprits in the queue.
    pub top: Vec<String>,
    /// The logins of a subject `top` ranks as sent through many stolen logins.
    pub stuffed: Vec<String>,
    /// Logins the `--log` files show taken over (guessed password, harvesting IP).
    pub log: Vec<String>,
}

/// `top`'s AUTH-user culprits (when the queue can be read and `--no-queue` is not given) and
/// the logs' taken-over logins (with `--log`). An unreadable queue is a note, not an error:
/// the accounts check stands on its own.
fn find_culprits(global: &GlobalArgs, args: &AccountsArgs) -> anyhow::Result<NamedCulprits> {
    // Before the scan: a mistyped `--log` is said at once, not after reading the queue.
    let evidence = global.load_logs()?;
    let strings = Interner::new();
    let mut records = Vec::new();
    let mut logs = None;
    let mut root = None;
    // Without a vpopmail tree the check fails anyway: do not scan a large queue for it.
    if !args.no_queue && args.vpopmail.join("domains").is_dir() {
        let scanned = global.open_queue().and_then(|q| {
            let s = super::scanning::scan(&q, &strings, ScanOptions::default())?;
            Ok((q, s))
        });
        match scanned {
            Ok((q, mut s)) => {
                // The yanked spam still names its login, as in `report` (the one merge every
                // face calls): a re-run after the yank must not drop `culprit-top` and its
                // advice.
                let queue_logs = from_any_logs(&mut s.records, &strings, evidence.as_ref());
                let yank_dir = crate::actions::default_yank_dir(q.root());
                let queue_logs = std::borrow::Cow::Owned(queue_logs);
                let all = with_yank_area(s.records, queue_logs, &yank_dir, &strings, |yanked| {
                    Ok(from_any_logs(yanked, &strings, evidence.as_ref()))
                });
                if all.yanked > 0 {
                    warnln!(
                        "qtriage: note: {} in the yank area are ranked with the queue's",
                        crate::size::counted(all.yanked as u64, "message", "messages")
                    );
                }
                for note in &all.unread {
                    warnln!("qtriage: note: {note}");
                }
                records = all.records.into_owned();
                logs = Some(all.logs.into_owned());
                root = Some(q.root().to_path_buf());
            }
            Err(e) => warnln!(
                "qtriage: note: queue not read, culprits only from --culprit: {}",
                sanitize_str(&e.to_string())
            ),
        }
    }
    let logs = logs.unwrap_or_else(|| from_any_logs(&mut records, &strings, evidence.as_ref()));
    let mut found = NamedCulprits {
        log: logs.culprit_logins(),
        ..NamedCulprits::default()
    };
    if let Some(root) = root.filter(|_| !records.is_empty()) {
        let now = super::clusters::now()?;
        let flags = args.context.flags(Some(&args.vpopmail));
        let ctx = Setup::context(&flags.setup_options(&root, Vec::new(), now)).ctx;
        let ranking = rank_culprits(&records, &strings, &ctx, &logs, TOP_LIMIT, OF_QUEUE);
        found.top = culprit_auth_users(&ranking, &strings);
        found.stuffed = crate::analysis::stuffed_logins(&ranking, &records, &strings);
    }
    Ok(found)
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
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                cell(&r.account),
                cell(&r.domain),
                rules_text(r),
                r.last_auth_text(),
                r.advice.clone(),
            ]
        })
        .collect();
    let width = |i: usize, min: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .max()
            .unwrap_or(0)
            .max(min)
    };
    let (w0, w1, w2, w3) = (width(0, 7), width(1, 6), width(2, 5), width(3, 9));
    writeln!(
        out,
        "{:w0$}  {:w1$}  {:w2$}  {:w3$}  ADVICE",
        "ACCOUNT", "DOMAIN", "RULES", "LAST-AUTH"
    )?;
    for c in &cells {
        writeln!(
            out,
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            c[0], c[1], c[2], c[3], c[4]
        )?;
    }
    Ok(())
}

fn write_summary(out: &mut dyn Write, a: &Assessment, max_hash: usize) -> std::io::Result<()> {
    let at_risk = a.check.at_risk().count();
    writeln!(
        out,
        "{} of {} in {} at risk; {}",
        thousands(at_risk as u64),
        counted(a.accounts as u64, "account", "accounts"),
        counted(a.domains as u64, "domain", "domains"),
        counted(
            a.check.hash_attempts as u64,
            "hash attempt",
            "hash attempts"
        )
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
    global: &GlobalArgs,
    args: &AccountsArgs,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let found = find_culprits(global, args)?;
    let a = assess(&args.vpopmail, &args.check_options(found))?;
    // "0 of 0 accounts at risk" and exit 0 read as all clear in the middle of a compromise
    // (newuser50): with no account there was nothing to check.
    if a.accounts == 0 {
        anyhow::bail!(
            "{}: no account found in its domains/: nothing was checked (is it vpopmail's \
             directory? `qtriage plan` names the culprit logins without one)",
            sanitize_bytes(args.vpopmail.as_os_str().as_encoded_bytes())
        );
    }
    for w in &a.warnings {
        warnln!(
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
