//! gen-queue: write a realistic flood queue (the sample queue, or a big one for benchmarks).
//!
//! ```text
//! cargo run --release --example gen-queue -- DIR --messages N --seed S [--split 23] [--now UNIX] [--mix NAME] [--smtpd-log LOGDIR] [--maillog FILE] [--vpopmail VPDIR]
//! cargo run --release --example gen-queue -- --sample sample-queues/flood
//! ```
//! The mix is `qtriage::fixture::flood` (see sample-queues/README.md). An existing DIR is replaced
//! only when it is empty or holds the marker file this tool writes; anything else is refused.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use anyhow::{bail, Context};
use clap::Parser;
use qtriage::fixture::flood::{
    log_only_lines, write_flood_with_groups, write_maillog, write_vpopmail, FloodGroup, FloodSpec,
    Mix,
};
use qtriage::fixture::QueueBuilder;
use qtriage::logs::fixture::MultilogDir;
use qtriage::queue::MessageId;

/// `println!` that does not panic when stdout is closed (`gen-queue ... | head`): what it says
/// is a summary, and the queue is written whether or not anyone reads it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The file that marks a directory as a queue gen-queue wrote (and may replace).
const MARKER: &str = ".qtriage-generated";

#[derive(Debug, Parser)]
#[command(about = "Write a realistic qmail flood queue with the qtriage fixture builder")]
struct Args {
    /// Queue directory to write (replaced if gen-queue wrote it before).
    #[arg(required_unless_present = "sample")]
    dir: Option<PathBuf>,
    /// Write the README's sample queue (3,000 messages, fixed seed, births before now) to DIR.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dir", "messages", "seed"])]
    sample: Option<PathBuf>,
    /// Number of messages.
    #[arg(long, default_value_t = 100_000)]
    messages: usize,
    /// RNG seed: the same seed writes the same messages.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// conf-split.
    #[arg(long, default_value_t = 23)]
    split: u32,
    /// "Now" in unix seconds (births are placed before it); default: the current time.
    #[arg(long)]
    now: Option<i64>,
    /// The mix (docs/analysis.md): reference, auth-heavy, php-heavy, backscatter-heavy,
    /// real-mail, todo-only, log-only-auth, botnet-login, weak-accounts, list-host, shared-php,
    /// shared-ips, ring-shapes, bulk-verp, agency-forward, agency-verp, crm-bounce,
    /// srs-shell, campus, hosting-bulk, php-smtp, plugin-heavy, busy-host, stolen-login,
    /// open-relay, open-relay-own (their server's domain: run qtriage with --local-domain);
    /// php-smtp's
    /// variants php-smtp-display, php-smtp-rotate, php-smtp-plain, php-smtp-slow, php-smtp-quiet.
    #[arg(long, default_value = "reference", conflicts_with = "sample")]
    mix: String,
    /// Also write qmail-smtpd's log (a multilog directory, its `current`) naming the AUTH user
    /// of every message whose Received line does not (the `log-only-auth` mix's `test`): a
    /// CHKUSER line a second before each, as `qtriage --log DIR` reads it.
    #[arg(long, value_name = "DIR")]
    smtpd_log: Option<PathBuf>,
    /// Also write a mail log (syslog's `maillog`, stamps in this machine's zone) of vpopmail's
    /// vchkpw lines for every AUTH login of the queue, for `qtriage --log FILE logins`: each
    /// login that sent spam is guessed first (a harvesting IP fails on five role accounts and
    /// twelve times on the login, then gets in), then logs in from each IP it sent from; a real
    /// login logs in from its IPs (one mistypes its password twice); a stolen one (campus) logs in
    /// without failing.
    #[arg(long, value_name = "FILE")]
    maillog: Option<PathBuf>,
    /// Also write a vpopmail directory (`DIR/domains/<domain>/vpasswd`) with an account for each
    /// AUTH login of the queue, for `qtriage accounts --vpopmail DIR`: a login that sent spam has
    /// its own name as password, a real one a long password; plus `postmaster` and `archive`
    /// (no password) when the queue has no such login.
    #[arg(long, value_name = "DIR")]
    vpopmail: Option<PathBuf>,
    /// Also write the ground truth by message: one `ID GROUP` line a message (the id as
    /// `qtriage list --json` names it), for measuring a plan's query against the groups.
    #[arg(long, value_name = "FILE")]
    groups: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-queue: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let now = match args.now {
        Some(t) => t,
        None => SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)?
            .as_secs() as i64,
    };
    let (dir, spec) = match &args.sample {
        Some(dir) => (dir.clone(), FloodSpec::sample(now)),
        None => {
            let dir = args.dir.clone().context("a queue directory is required")?;
            let mix = Mix::from_name(&args.mix).context("unknown --mix")?;
            (
                dir,
                FloodSpec::new(args.messages, args.seed, now).with_mix(mix),
            )
        }
    };
    clear(&dir)?;
    let start = Instant::now();
    let queue = QueueBuilder::new(&dir)
        .split(args.split)
        .create()
        .with_context(|| format!("creating the queue tree at {}", dir.display()))?;
    // A partial marker first: an interrupted run is replaced next time, never mistaken for whole
    // (the benchmark reuses a queue whose marker names its size and seed).
    std::fs::write(dir.join(MARKER), "gen-queue partial\n")?;
    let (truth, groups) = write_flood_with_groups(&queue, &spec)
        .with_context(|| format!("writing messages into {}", dir.display()))?;
    let marker = format!(
        "gen-queue messages={} seed={} now={}\n",
        spec.messages, spec.seed, spec.now
    );
    std::fs::write(dir.join(MARKER), marker)?;
    if let Some(path) = &args.groups {
        let mut text = String::with_capacity(groups.len() * 24);
        for (id, g) in &groups {
            text.push_str(&format!("{id} {}\n", g.name()));
        }
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(log) = &args.smtpd_log {
        let n = write_smtpd_log(&dir, args.split, &groups, log)?;
        say!(
            "wrote {n} CHKUSER lines to {}",
            log.join("current").display()
        );
    }
    if let Some(log) = &args.maillog {
        let tz = jiff::tz::TimeZone::system();
        let w = write_maillog(&dir, args.split, &groups, log, &tz)
            .with_context(|| format!("writing the mail log {}", log.display()))?;
        say!(
            "wrote {} vchkpw lines to {}: {} real logins, {} stolen, {} guessed ({})",
            w.lines,
            log.display(),
            w.real_logins,
            w.stolen,
            w.guessed.len(),
            w.guessed.join(", ")
        );
    }
    if let Some(vp) = &args.vpopmail {
        // vpasswd's home directories are absolute, as vpopmail writes them.
        let vp = &std::path::absolute(vp)?;
        let (n, weak) = write_vpopmail(&dir, args.split, &groups, vp)
            .with_context(|| format!("writing the vpopmail directory {}", vp.display()))?;
        say!(
            "wrote {n} vpopmail accounts ({weak} of them sent spam, with a guessable password) to {}",
            vp.display()
        );
    }
    let secs = start.elapsed().as_secs_f64();
    say!(
        "wrote {} messages to {} in {secs:.1} s ({:.0} messages/s)",
        truth.total(),
        dir.display(),
        truth.total() as f64 / secs.max(1e-9)
    );
    // Its control files would be the host's, beside a queue the user named: said, not written.
    if let Some(locals) = spec.mix.locals() {
        say!(
            "this mix's server receives mail for {locals}: run qtriage with --local-domain \
             {locals} (or write ../control/locals beside the queue)"
        );
    }
    // The groups this mix wrote: the others (most of the 40 for any one mix) are noise.
    for g in FloodGroup::ALL {
        let t = truth.group(g);
        if t.messages == 0 {
            continue;
        }
        say!(
            "  {:<20} {:>8} messages {:>9} recipients {:>6} bouncing",
            g.name(),
            t.messages,
            t.recipients,
            t.bouncing
        );
    }
    Ok(())
}

/// Make `dir` absent or empty, refusing to touch anything gen-queue did not write.
fn clear(dir: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("checking {}", dir.display())),
    };
    if !meta.is_dir() {
        bail!(
            "{} exists and is not a directory; remove it or choose another path",
            dir.display()
        );
    }
    let empty = std::fs::read_dir(dir)?.next().is_none();
    if empty {
        return Ok(());
    }
    if !dir.join(MARKER).is_file() {
        bail!(
            "{} exists and was not written by gen-queue (no {MARKER}); refusing to replace it",
            dir.display()
        );
    }
    // remove_dir_all does not follow symlinks inside the tree.
    std::fs::remove_dir_all(dir).with_context(|| format!("removing the old {}", dir.display()))
}

/// Write `log/current` (a multilog directory) with one CHKUSER line per message of the
/// `auth-log-only` group, read back from the queue just written.
fn write_smtpd_log(
    dir: &Path,
    split: u32,
    groups: &[(MessageId, FloodGroup)],
    log: &Path,
) -> anyhow::Result<usize> {
    let lines = log_only_lines(dir, split, groups)?;
    let multilog = MultilogDir::create(log)
        .with_context(|| format!("creating the log directory {}", log.display()))?;
    multilog.current(&lines)?;
    Ok(lines.len())
}
