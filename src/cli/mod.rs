//! The command line: clap arguments, and dispatch to one file per subcommand.

/// `warnln!` that never panics: writes one line to stderr with [`stderr_line`]. Defined
/// before the submodules so every one of them can use it.
macro_rules! warnln {
    ($($arg:tt)*) => {
        $crate::cli::stderr_line(format_args!($($arg)*))
    };
}

pub mod accounts;
pub mod act;
pub mod check;
pub mod clusters;
pub mod completions;
pub mod decode_auth;
pub mod exit;
pub mod expire;
pub mod list;
pub mod logins;
pub mod memory;
pub mod mta;
pub mod plan;
pub mod plan_check;
pub mod print;
pub mod purge;
pub mod read;
pub mod recover;
pub mod remove;
pub mod report;
pub mod restore;
pub mod restore_check;
pub mod restored;
pub mod scanning;
pub mod show;
pub mod stat;
pub mod top;
pub mod watch;
pub mod wire;
pub mod yank;
pub mod yanked;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::queue::{Queue, QueueOptions};
use exit::ExitCode;

/// qtriage: find who is flooding a qmail queue, yank the spam, keep the mail.
#[derive(Debug, Parser)]
#[command(name = "qtriage", version, about, long_about = None)]
pub struct Args {
    /// Options every command shares.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command; none opens the TUI on a terminal.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command shares.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// The qmail queue directory.
    #[arg(
        long,
        global = true,
        help_heading = GLOBAL,
        env = "QTRIAGE_QUEUE",
        default_value = DEFAULT_QUEUE
    )]
    pub queue: PathBuf,
    /// conf-split (detected from mess/ info/ local/ remote/ when not given).
    #[arg(long, global = true, help_heading = GLOBAL, value_name = "N")]
    pub split: Option<u32>,
    /// A log file or multilog directory to read for evidence (repeatable; QTRIAGE_LOGS is a
    /// colon-separated list).
    #[arg(long = "log", global = true, help_heading = GLOBAL, env = "QTRIAGE_LOGS", value_delimiter = ':', value_name = "FILE_OR_DIR", value_parser = log_path)]
    pub logs: Vec<PathBuf>,
    /// How wide long text lines may be: stdout's terminal's width, else unbounded (set by
    /// [`run`], not an option: a pipe keeps one line per item).
    #[arg(skip)]
    pub wrap: print::wrap::Wrap,
}

/// The heading of the options every subcommand takes: apart, so that a subcommand's own
/// options are not interleaved with them in its `--help`.
const GLOBAL: &str = "Global options";

/// qmail's queue where `--queue` and QTRIAGE_QUEUE do not say otherwise.
pub const DEFAULT_QUEUE: &str = "/var/qmail/queue";

/// A `--log` value as a path; unlike clap's PathBuf parser it lets an empty entry through
/// (`QTRIAGE_LOGS=a:b:`), which [`GlobalArgs::load_logs`] skips.
fn log_path(s: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(s))
}

impl GlobalArgs {
    /// Open the queue these options name.
    pub fn open_queue(&self) -> crate::Result<Queue> {
        Queue::open(&self.queue, QueueOptions { split: self.split })
    }

    /// Were `--log` paths given (not only empty entries)?
    pub fn has_logs(&self) -> bool {
        !crate::logs::given_paths(&self.logs).is_empty()
    }

    /// Read the `--log` paths; `None` when none were given.
    pub fn load_logs(&self) -> Result<Option<crate::logs::LogEvidence>, crate::logs::LogError> {
        crate::logs::LogEvidence::load_given(&self.logs)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    // In the order of an incident (docs/runbook.md): look at the queue, find the culprit,
    // the evidence beyond it, act, then watch and report; `--help` lists them so.
    /// Count messages like qmail-qstat.
    Stat(stat::StatArgs),
    /// List messages like qmail-qread.
    Read(read::ReadArgs),
    /// Report inconsistencies in the queue and the yank area (read-only, like qmqtool -c).
    Check(check::CheckArgs),
    /// Rank the likely culprits across all keys, with reasons.
    Top(top::TopArgs),
    /// The cleanup: every culprit, one query for `yank`, its counts, what would remain.
    Plan(plan::PlanArgs),
    /// Group messages by one key (auth-user, origin-ip, sender-pattern, ...).
    Clusters(clusters::ClustersArgs),
    /// List the messages a query selects (docs/query.md).
    List(list::ListArgs),
    /// Show messages whole: envelope, Received chain, subject, headers, first body lines.
    Show(show::ShowArgs),
    /// Failed and successful logins per account and IP from the --log files: harvesting,
    /// guessed passwords, accounts used from many networks.
    Logins(logins::LoginsArgs),
    /// Decode AUTH LOGIN / AUTH PLAIN exchanges in an SMTP transcript (FILE or stdin).
    DecodeAuth(decode_auth::DecodeAuthArgs),
    /// vpopmail accounts at risk: guessable passwords, role accounts, culprits.
    Accounts(accounts::AccountsArgs),
    /// Is qmail-send running? `mta stop` / `mta start` run the configured command.
    Mta(mta::MtaArgs),
    /// Move the messages a query selects into the yank area (dry run unless --apply).
    Yank(yank::YankArgs),
    /// Move yanked messages back into the queue (or undo an expire).
    Restore(restore::RestoreArgs),
    /// List the yank area: batches and yanked messages.
    Yanked(yanked::YankedArgs),
    /// Match a regex against every message, like qmail-remove (dry run unless -r).
    Remove(remove::RemoveArgs),
    /// Set info mtimes back past queuelifetime: qmail-send bounces them.
    Expire(expire::ExpireArgs),
    /// Delete yanked messages for good.
    Purge(purge::PurgeArgs),
    /// Complete interrupted yank/restore/purge/expire batches.
    Recover(recover::RecoverArgs),
    /// Watch the queue live: size, growth, and who makes it grow.
    Watch(watch::WatchArgs),
    /// The incident report (markdown or JSON).
    Report(report::ReportArgs),
    /// Open the interactive TUI (also what `qtriage` alone does on a terminal).
    #[cfg(feature = "tui")]
    Tui(TuiArgs),
    /// Print shell completions (bash, zsh or fish) for qtriage.
    Completions(completions::CompletionsArgs),
    /// Print the qtriage(1) man page (roff), or write every page into a directory.
    Manpage(completions::ManpageArgs),
}

/// Arguments of `tui`.
#[cfg(feature = "tui")]
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    /// The vpopmail directory of the accounts view (`a`).
    #[arg(long, value_name = "DIR", env = "QTRIAGE_VPOPMAIL", default_value = crate::accounts::DEFAULT_VPOPMAIL_DIR)]
    pub vpopmail: PathBuf,
    /// Where "write report" (`W`) puts its `qtriage-report-<time>.md`.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub report_dir: PathBuf,
    /// What the server calls its own, as for `top`.
    #[command(flatten)]
    pub context: crate::cli::clusters::ContextArgs,
}

#[cfg(feature = "tui")]
impl TuiArgs {
    /// The TUI options these arguments give (`--log` is added from the global options).
    pub fn options(&self) -> crate::tui::TuiOptions {
        crate::tui::TuiOptions {
            vpopmail: self.vpopmail.clone(),
            report_dir: self.report_dir.clone(),
            logs: Vec::new(),
            context: crate::tui::ContextOptions {
                local_domains: self.context.local_domain.clone(),
                default_domain: self.context.default_domain.clone(),
                passwd: self.context.passwd.clone(),
            },
            now: None,
        }
    }
}

/// The environment variables that stand for options; exported but empty, they mean "unset".
pub const OPTION_ENV: [&str; 4] = [
    "QTRIAGE_QUEUE",
    "QTRIAGE_VPOPMAIL",
    "QTRIAGE_CONFIG",
    "QTRIAGE_LOGS",
];

/// Drop the [`OPTION_ENV`] variables that are set but empty, before clap reads them: clap's
/// path parser rejects an empty value, and because the options are global it reads them again
/// below the subcommand, so `QTRIAGE_QUEUE= qtriage --queue Q stat` failed. An explicit empty
/// `--queue ""` stays an error (it must never mean the live queue). Runs first thing in the
/// single-threaded start of the process.
fn unset_empty_option_env() {
    for name in OPTION_ENV {
        if std::env::var_os(name).is_some_and(|v| v.is_empty()) {
            std::env::remove_var(name);
        }
    }
}

/// Write one line to stderr, ignoring write errors. `warnln!` panics when stderr is a closed
/// pipe or a full device (`2>&1 | head -1`, `2>/dev/full`), which turned the documented exit
/// status (2 for a refusal) into 101; a message that cannot be written is lost, the status is not.
/// The text is made terminal-safe first ([`terminal_safe`]).
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let text = terminal_safe(&args.to_string());
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(text.as_bytes())
        .and_then(|()| err.write_all(b"\n"));
}

/// `text` with every line sanitized ([`crate::sanitize`]), its line breaks kept: an error or
/// warning names paths and arguments the operator did not choose byte by byte (a queue path or
/// log file name with an escape sequence, a bidi override in a mistyped flag), and stderr is a
/// terminal too. Text sanitized already passes unchanged (`\e` is printable).
pub fn terminal_safe(text: &str) -> String {
    text.split('\n')
        .map(crate::sanitize::sanitize_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parse the process arguments and run the command, writing to stdout.
pub fn run() -> anyhow::Result<ExitCode> {
    unset_empty_option_env();
    let mut args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => return Ok(usage_error(&e)),
    };
    args.global.wrap = print::wrap::Wrap::of_stdout();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let code = dispatch(&args, &mut out)?;
    match out.flush() {
        // The command already failed or answered "no": a closed stdout must not turn that
        // into success (main maps a broken pipe to 0).
        Err(_) if code != ExitCode::Success => Ok(code),
        Err(e) => Err(e.into()),
        Ok(()) => Ok(code),
    }
}

/// A clap error as every qtriage error is written: one line on stderr, `qtriage: ...`, exit 2
/// (clap's own is a block: message, tip, usage, "for more information"). `--help` and
/// `--version` are not errors and print as clap prints them.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::Success
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::Error
        }
        _ => {
            stderr_line(format_args!(
                "qtriage: {}",
                usage_error_line(&plain_render(e), subcommand_given().as_deref())
            ));
            ExitCode::Error
        }
    }
}

/// The usage error's text with the user's own bytes kept. clap's plain text drops every escape
/// sequence, the user's included (`--since $'\e[2J'` read as `invalid value ''`); parsed again
/// without clap's styling, every ESC left is the user's, and `stderr_line` makes it visible.
fn plain_render(e: &clap::Error) -> String {
    use clap::CommandFactory;
    let plain = Args::command()
        .styles(clap::builder::Styles::plain())
        .try_get_matches()
        .err();
    match plain {
        Some(p) if p.kind() == e.kind() => p.render().ansi().to_string(),
        _ => e.render().to_string(),
    }
}

/// The subcommand the command line names, if any: the first argument that is one's name (a
/// value error such as `clusters --by nope` renders no usage line to read it from, review59).
fn subcommand_given() -> Option<String> {
    use clap::CommandFactory;
    let cmd = Args::command();
    let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    std::env::args()
        .skip(1)
        .find(|a| names.contains(&a.as_str()))
}

/// clap's rendered error on one line: the message and what it lists (the missing arguments,
/// the possible values), its tips, where to read more; not the usage block.
pub fn usage_error_line(rendered: &str, subcommand: Option<&str>) -> String {
    let mut line = String::new();
    let mut notes = Vec::new();
    let body = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty());
    for l in body {
        if let Some(tip) = l.strip_prefix("tip: ") {
            notes.push(tip);
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(l.strip_prefix("error: ").unwrap_or(l));
        }
    }
    if line.is_empty() {
        line.push_str("bad arguments");
    }
    // The subcommand's own help, whose options the error is about (newuser59: `remove -d5710031`
    // sent a qmHandle user to the list of subcommands).
    let help = match subcommand {
        Some(sub) => format!("see qtriage {sub} --help"),
        None => "see qtriage --help".to_string(),
    };
    notes.push(&help);
    format!("{line} ({})", notes.join("; "))
}

/// Did `err` come from writing to a closed pipe (`qtriage read | head`)? Not an error: ripgrep
/// exits quietly too.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// An error and its causes on one line (`a: b: c`), each cause once: an error whose message
/// already ends with its source's text (`log /x: No such file or directory`) does not repeat it.
pub fn error_line(err: &anyhow::Error) -> String {
    let mut line = err.to_string();
    for cause in err.chain().skip(1) {
        let text = cause.to_string();
        if !line.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
    }
    let denied = err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::PermissionDenied)
    });
    if denied && !rustix::process::geteuid().is_root() {
        line.push_str(
            " (qmail's queue is readable by root and qmail's users only: run qtriage as root)",
        );
    }
    line
}

/// Open the queue and run the TUI with `opts` and the global `--log` files.
#[cfg(feature = "tui")]
fn run_tui(global: &GlobalArgs, opts: crate::tui::TuiOptions) -> anyhow::Result<ExitCode> {
    let queue = global.open_queue()?;
    let logs = crate::logs::given_paths(&global.logs);
    // `QTRIAGE_NOW` is the TUI's fixed "now" (ages, rates, queries), checked as every command
    // checks it: a value that is not unix seconds is an error, not the clock.
    let now = match std::env::var("QTRIAGE_NOW") {
        Ok(v) if !v.trim().is_empty() => Some(clusters::now()?),
        _ => opts.now,
    };
    crate::tui::run(queue, &crate::tui::TuiOptions { logs, now, ..opts })?;
    Ok(ExitCode::Success)
}

fn dispatch(args: &Args, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(Command::Stat(a)) => stat::run(&args.global, a, out),
        Some(Command::Check(a)) => check::run(&args.global, a, out),
        Some(Command::Read(a)) => read::run(&args.global, a, out),
        Some(Command::Accounts(a)) => accounts::run(&args.global, a, out),
        Some(Command::Report(a)) => report::run(&args.global, a, out),
        Some(Command::Logins(a)) => logins::run(&args.global, a, out),
        Some(Command::DecodeAuth(a)) => decode_auth::run(&args.global, a, out),
        Some(Command::Clusters(a)) => clusters::run(&args.global, a, out),
        Some(Command::Top(a)) => top::run(&args.global, a, out),
        Some(Command::Plan(a)) => plan::run(&args.global, a, out),
        Some(Command::List(a)) => list::run(&args.global, a, out),
        Some(Command::Show(a)) => show::run(&args.global, a, out),
        Some(Command::Remove(a)) => remove::run(&args.global, a, out),
        Some(Command::Watch(a)) => watch::run(&args.global, a, out),
        Some(Command::Mta(a)) => mta::run(&args.global, a, out),
        Some(Command::Yank(a)) => yank::run(&args.global, a, out),
        Some(Command::Restore(a)) => restore::run(&args.global, a, out),
        Some(Command::Yanked(a)) => yanked::run(&args.global, a, out),
        Some(Command::Purge(a)) => purge::run(&args.global, a, out),
        Some(Command::Expire(a)) => expire::run(&args.global, a, out),
        Some(Command::Recover(a)) => recover::run(&args.global, a, out),
        Some(Command::Completions(a)) => completions::completions(a, out),
        Some(Command::Manpage(a)) => completions::manpage(a, out),
        #[cfg(feature = "tui")]
        Some(Command::Tui(a)) => run_tui(&args.global, a.options()),
        #[cfg(feature = "tui")]
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            run_tui(&args.global, crate::tui::TuiOptions::default())
        }
        None => {
            use clap::CommandFactory;
            Args::command().print_help()?;
            Ok(ExitCode::Error)
        }
    }
}
