//! The benchmark's phases, run one per child process, and the queue they run on.

use std::io;
use std::path::Path;
use std::time::{Instant, SystemTime};

use qtriage::analysis::cluster::AnalysisContext;
use qtriage::analysis::evidence::LogFacts;
use qtriage::analysis::key::ClusterKey;
use qtriage::analysis::Basis;
use qtriage::cli::{Args, Command};
use qtriage::fixture::flood::{write_flood, FloodSpec};
use qtriage::fixture::QueueBuilder;
use qtriage::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions};

use super::{baselines, peers};

/// One measured thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Start, do nothing: the process's own resident memory.
    Noop,
    /// Baseline C: find-like count of files.
    CountC,
    /// Baseline A: open every mess file, read 4 KiB.
    WalkA,
    /// Baseline B: A plus info/ and local|remote/.
    WalkB,
    /// A in the header pass' order: every directory listed first (not a
    /// baseline of a goal; it splits the header ranking's excess over A into the scan's order
    /// and system calls and its parsing).
    WalkAScanOrder,
    /// `qtriage stat` (in process, output to a sink).
    Stat,
    /// qmail's own `qmail-qstat` shell script on the same queue (`QTRIAGE_QMAIL_QSTAT`, else
    /// the built real qmail's, else `/var/qmail/bin/qmail-qstat`; skipped when none exists).
    QmailQstat,
    /// The real `qmail-qread` (built from `../shared/real-qmail/`), output to /dev/null.
    QmailQread,
    /// The reader alone: headers and envelopes.
    Scan,
    /// `qtriage read` (in process, output to a sink): envelopes, no headers.
    Read,
    /// `qtriage top --json` (in process, output to a sink).
    Top,
    /// `qtriage list --count` (in process, output to a sink).
    ListCount,
    /// The TUI's session headless (no terminal, no drawing) until its scan and analysis are
    /// ready: the analysis worker's memory.
    TuiWorker,
    /// The same, then the clusters grouped by every key in turn, as `c` cycles them: the
    /// clusterings of keys with about one value a message (a forged flood's senders).
    TuiKeys,
    /// The first ranking that needs only mess headers: scan without envelopes, one analysis
    /// basis, and the clusters by auth-user, origin-ip, uid, subject.
    RankHeaders,
}

/// Warm phases with their rayon thread counts, in the order a round runs them (every other round
/// runs them backwards). Each goal's pair is adjacent (A and the header ranking, B and `top`,
/// qmail-qread and `read`, qmail-qstat and `stat`), so the two runs a round's ratio compares are
/// seconds apart, and each of the two runs first in alternate rounds. Each of a pair follows
/// the same kind of phase in every round: A and the header ranking one that reads no envelope
/// file, B and `top` one that reads them all (`list --count`, `scan`). So neither B nor `top`
/// is the first to read the envelope files after the mess-only phases (tens of seconds at a
/// million messages; the machine evicts page cache idle for ~30 s), and what following a full
/// reader costs (B measured about 3 % slower after one at a million messages) both pay.
pub const WARM: &[(Phase, usize)] = &[
    (Phase::Noop, 2),
    (Phase::CountC, 1),
    (Phase::WalkAScanOrder, 2),
    (Phase::WalkA, 2),
    (Phase::RankHeaders, 2),
    (Phase::QmailQstat, 1),
    (Phase::Stat, 2),
    (Phase::ListCount, 2),
    (Phase::WalkB, 2),
    (Phase::Top, 2),
    (Phase::Scan, 2),
    (Phase::QmailQread, 1),
    (Phase::Read, 2),
    (Phase::TuiWorker, 2),
    (Phase::TuiKeys, 2),
];

/// Cold phases: the baselines also with many reads in flight (the best cold baseline).
pub const COLD: &[(Phase, usize)] = &[
    (Phase::Noop, 2),
    (Phase::CountC, 1),
    (Phase::WalkA, 2),
    (Phase::WalkA, 32),
    (Phase::WalkB, 2),
    (Phase::WalkB, 32),
    (Phase::QmailQstat, 1),
    (Phase::Stat, 2),
    (Phase::Scan, 2),
    (Phase::QmailQread, 1),
    (Phase::Read, 2),
    (Phase::Top, 2),
    (Phase::RankHeaders, 2),
];

const ALL: [Phase; 15] = [
    Phase::Noop,
    Phase::CountC,
    Phase::WalkA,
    Phase::WalkAScanOrder,
    Phase::WalkB,
    Phase::QmailQstat,
    Phase::Stat,
    Phase::Scan,
    Phase::QmailQread,
    Phase::Read,
    Phase::Top,
    Phase::RankHeaders,
    Phase::ListCount,
    Phase::TuiWorker,
    Phase::TuiKeys,
];

impl Phase {
    /// The name on the command line and in the table.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Noop => "noop",
            Phase::CountC => "C-count",
            Phase::WalkA => "A-mess",
            Phase::WalkAScanOrder => "A-scan-order",
            Phase::WalkB => "B-mess+env",
            Phase::Stat => "stat",
            Phase::QmailQstat => "qmail-qstat",
            Phase::Scan => "scan",
            Phase::QmailQread => "qmail-qread",
            Phase::Read => "read",
            Phase::Top => "top",
            Phase::RankHeaders => "rank-headers",
            Phase::ListCount => "list-count",
            Phase::TuiWorker => "tui-worker",
            Phase::TuiKeys => "tui-keys",
        }
    }

    /// The phase named `s`.
    pub fn from_name(s: &str) -> Option<Phase> {
        ALL.into_iter().find(|p| p.name() == s)
    }

    /// Whether the phase can run here (the peers may be missing).
    pub fn available(self) -> bool {
        match self {
            Phase::QmailQstat => peers::qmail_qstat_script().is_some(),
            Phase::QmailQread => peers::qmail_qread().is_some(),
            _ => true,
        }
    }

    /// The baseline the targets compare this phase with.
    pub fn baseline(self) -> Option<Phase> {
        match self {
            Phase::Stat => Some(Phase::QmailQstat),
            Phase::QmailQstat => Some(Phase::CountC),
            Phase::Read => Some(Phase::QmailQread),
            Phase::QmailQread | Phase::Scan | Phase::Top => Some(Phase::WalkB),
            Phase::RankHeaders => Some(Phase::WalkA),
            Phase::WalkB | Phase::WalkAScanOrder => Some(Phase::WalkA),
            _ => None,
        }
    }
}

/// What a child reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    /// Wall time of the phase.
    pub secs: f64,
    /// Items it handled (messages, files), as a sanity check.
    pub items: u64,
    /// Peak resident set, KiB.
    pub hwm_kb: u64,
    /// Bytes the phase caused to be read from storage (0 for another program's).
    pub read_bytes: u64,
    /// User CPU seconds.
    pub user: f64,
    /// System CPU seconds.
    pub sys: f64,
}

impl Measured {
    /// Parse the child's `RESULT` line.
    pub fn parse(text: &str) -> Option<Measured> {
        let line = text.lines().find(|l| l.starts_with("RESULT "))?;
        let v: Vec<&str> = line.split_whitespace().skip(1).collect();
        Some(Measured {
            secs: v.first()?.parse().ok()?,
            items: v.get(1)?.parse().ok()?,
            hwm_kb: v.get(2)?.parse().ok()?,
            read_bytes: v.get(3)?.parse().ok()?,
            user: v.get(4)?.parse().ok()?,
            sys: v.get(5)?.parse().ok()?,
        })
    }
}

fn proc_field(file: &str, name: &str) -> u64 {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Run one phase in this (child) process and print its `RESULT` line.
pub fn child(phase: Phase, queue: &Path, threads: usize) {
    // As the qtriage binary does first thing in main.
    qtriage::cli::memory::limit_malloc_arenas();
    qtriage::cli::memory::hand_back_large_blocks();
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global();
    let read_before = proc_field("/proc/self/io", "read_bytes:");
    let cpu_before = peers::usage(false);
    let start = Instant::now();
    let items = run_phase(phase, queue);
    let secs = start.elapsed().as_secs_f64();
    let (hwm, read, cpu) = if matches!(phase, Phase::QmailQread | Phase::QmailQstat) {
        // Another program: its own usage, as the kernel accounted it when it was waited for.
        let theirs = peers::usage(true);
        let peak = peers::peer_peak_kb().unwrap_or(theirs.maxrss_kb);
        (peak, 0, theirs)
    } else {
        let ours = peers::usage(false);
        let cpu = peers::Usage {
            user: ours.user - cpu_before.user,
            sys: ours.sys - cpu_before.sys,
            maxrss_kb: 0,
        };
        let read = proc_field("/proc/self/io", "read_bytes:").saturating_sub(read_before);
        (proc_field("/proc/self/status", "VmHWM:"), read, cpu)
    };
    println!(
        "RESULT {secs:.6} {items} {hwm} {read} {:.6} {:.6}",
        cpu.user, cpu.sys
    );
}

fn cli(queue: &Path, command: &[&str]) -> u64 {
    use clap::Parser;
    let q = queue.to_string_lossy();
    let args = Args::parse_from(["qtriage", "--queue", &q].iter().chain(command));
    let mut sink = io::sink();
    let result = match &args.command {
        Some(Command::Stat(a)) => qtriage::cli::stat::run(&args.global, a, &mut sink),
        Some(Command::Read(a)) => qtriage::cli::read::run(&args.global, a, &mut sink),
        Some(Command::Top(a)) => qtriage::cli::top::run(&args.global, a, &mut sink),
        Some(Command::List(a)) => qtriage::cli::list::run(&args.global, a, &mut sink),
        _ => return 0,
    };
    u64::from(result.is_ok())
}

fn run_phase(phase: Phase, queue: &Path) -> u64 {
    let split = Queue::open(queue, QueueOptions::default()).map_or(23, |q| q.layout().split);
    match phase {
        Phase::Noop => 0,
        Phase::CountC => baselines::count_files(queue, 0),
        Phase::WalkA => baselines::walk(queue, split, false),
        Phase::WalkB => baselines::walk(queue, split, true),
        Phase::WalkAScanOrder => baselines::walk_scan_order(queue, split),
        Phase::Stat => cli(queue, &["stat"]),
        Phase::QmailQstat => peers::run_qmail_qstat(queue),
        Phase::QmailQread => peers::run_qmail_qread(),
        Phase::Read => cli(queue, &["read"]),
        Phase::Scan => reader(queue, ScanOptions::default(), &[]),
        Phase::Top => cli(queue, &["top", "--json"]),
        Phase::ListCount => cli(queue, &["list", "--count"]),
        Phase::TuiWorker => tui_worker(queue, false),
        Phase::TuiKeys => tui_worker(queue, true),
        Phase::RankHeaders => reader(
            queue,
            ScanOptions {
                headers: true,
                envelopes: false,
            },
            &[
                ClusterKey::AuthUser,
                ClusterKey::OriginIp,
                ClusterKey::Uid,
                ClusterKey::Subject,
            ],
        ),
    }
}

/// The TUI's session without a terminal, pumped until its scan and analysis are ready and its
/// watcher's first figures are in, then (`every_key`) grouped by each key in turn; returns the
/// messages it holds.
#[cfg(feature = "tui")]
fn tui_worker(queue: &Path, every_key: bool) -> u64 {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use qtriage::tui::event::Event;
    use qtriage::tui::state::ScanPhase;
    use qtriage::tui::{unix_now, Session, TuiOptions};
    let Ok(q) = Queue::open(queue, QueueOptions::default()) else {
        return 0;
    };
    let Ok(mut session) = Session::start(q, unix_now(), false, &TuiOptions::default()) else {
        return 0;
    };
    let deadline = Instant::now() + std::time::Duration::from_secs(1800);
    while session.state.status.phase != ScanPhase::Ready && Instant::now() < deadline {
        session.pump(std::time::Duration::from_millis(20));
    }
    // Then the watcher the worker starts: its model and listing are part of the TUI's peak.
    let live = |s: &Session| {
        s.state.status.watch.queue_size.is_some() || s.state.status.watch.failed.is_some()
    };
    while !live(&session) && Instant::now() < deadline {
        session.pump(std::time::Duration::from_millis(20));
    }
    let shown = |s: &Session| s.state.data.as_ref().map(|d| d.clustering.key);
    for _ in 0..ClusterKey::ALL.len() * usize::from(every_key) {
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        session.apply(Event::Key(c));
        while shown(&session) != session.state.clusters.key && Instant::now() < deadline {
            session.pump(std::time::Duration::from_millis(20));
        }
    }
    session
        .state
        .data
        .as_ref()
        .map_or(0, |d| d.snapshot.records.len() as u64)
}

#[cfg(not(feature = "tui"))]
fn tui_worker(_: &Path, _: bool) -> u64 {
    0
}

fn reader(queue: &Path, opts: ScanOptions, keys: &[ClusterKey]) -> u64 {
    let Ok(q) = Queue::open(queue, QueueOptions::default()) else {
        return 0;
    };
    let strings = Interner::new();
    let Ok(s) = scan(&q, &strings, opts, &Progress::default()) else {
        return 0;
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let ctx = AnalysisContext {
        now,
        ..Default::default()
    };
    // One analysis basis for every key, as the TUI's header pass builds one for its snapshot
    // and clusters each key the operator picks from it (`cluster()` builds one a call: the
    // phase measured four).
    // None for the scan alone: its phase measures the scan, not an analysis.
    let basis = (!keys.is_empty()).then(|| Basis::new(&s.records, &strings, &ctx));
    let logs = LogFacts::default();
    let clustered: usize = basis.as_ref().map_or(0, |basis| {
        keys.iter()
            .map(|k| basis.clusters(&s.records, &strings, &logs, *k).len())
            .sum()
    });
    std::hint::black_box(clustered);
    s.records.len() as u64
}

/// How long ago the queue was generated, in words: the ranking's last-hour rate (10 points) goes
/// once its messages are an hour old, and with it which key the TUI opens on and its memory
/// (333 against 266 MiB at a million messages, issue 22's seventeenth pass).
pub fn queue_age(dir: &Path) -> String {
    let marker = std::fs::read_to_string(dir.join(".qtriage-generated")).unwrap_or_default();
    let born = marker
        .split_whitespace()
        .find_map(|w| w.strip_prefix("now="))
        .and_then(|n| n.parse::<i64>().ok());
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    match born {
        Some(b) => format!("generated {:.1} h ago", (now - b) as f64 / 3600.0),
        None => "generated at an unknown time".to_string(),
    }
}

/// Generate the queue unless a queue of this size and seed is already there.
pub fn ensure_queue(dir: &Path, messages: usize, seed: u64) -> io::Result<()> {
    let marker = dir.join(".qtriage-generated");
    let want = format!("gen-queue messages={messages} seed={seed} ");
    match std::fs::read_to_string(&marker) {
        Ok(m) if m.starts_with(&want) => return Ok(()),
        Ok(_) => std::fs::remove_dir_all(dir)?,
        Err(_) if dir.exists() => {
            return Err(io::Error::other(format!(
                "{} exists and was not generated here",
                dir.display()
            )))
        }
        Err(_) => {}
    }
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let start = Instant::now();
    let queue = QueueBuilder::new(dir).split(23).create()?;
    // A partial marker first: an interrupted generation is replaced, never reused.
    std::fs::write(&marker, "gen-queue partial\n")?;
    let truth = write_flood(&queue, &FloodSpec::new(messages, seed, now))?;
    std::fs::write(&marker, format!("{want}now={now}\n"))?;
    println!(
        "generated {} messages in {:.1} s",
        truth.total(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
