//! Scan benchmark (issue 9): qtriage against raw baselines on one generated flood queue.
//!
//! ```text
//! cargo bench --bench scan                          # 100,000 messages
//! cargo bench --bench scan -- --messages 1000000    # 1,000,000 messages
//! ```
//! Options: `--messages N`, `--seed S`, `--queue DIR` (default `target/bench-queues/flood-N`),
//! `--runs R` (rounds of measured warm runs, every phase once a round, backwards every other round;
//! median reported, pairs judged by the median of their per-round ratios),
//! `--no-cold`, `--only a,b,...` (only these phases, by the names in the table; `noop` always
//! runs; no warm-up pass of B).
//!
//! The peers are the real qmail's programs: the bench builds notqmail from
//! `../shared/real-qmail/` into `target/real-qmail` once (kept and reused) and points
//! `target/real-qmail/queue` at the bench queue with a symlink, since `qmail-qread` reads the
//! queue of its compiled-in prefix; it says so in one line when it cannot, and those rows are
//! "not measured". `qmail-qstat` is qmail's script run on the same queue (`QTRIAGE_QMAIL_QSTAT=PATH`,
//! else the built one, else `/var/qmail/bin/qmail-qstat`). After the phases it prints the
//! issue's pairs: each command against its peer in the same run, wall and CPU (user + system)
//! ratios and peak memory, with the load average, since CPU time is what a loaded machine
//! leaves comparable.
//!
//! Every phase runs in a fresh child process (this binary re-executed with `--phase`), so its
//! peak resident memory (`VmHWM`) and its storage reads (`/proc/self/io` `read_bytes`) are its
//! own. Warm figures come after a warm-up run of every phase, each measured run within seconds
//! of another phase that read the same files, because the machine evicts page cache that is
//! idle for ~30 s; cold figures come after `echo 3 > /proc/sys/vm/drop_caches` (the output says
//! when that is not permitted).

#[path = "scan/baselines.rs"]
mod baselines;
#[path = "scan/pairs.rs"]
mod pairs;
#[path = "scan/peers.rs"]
mod peers;
#[path = "scan/phases.rs"]
mod phases;

use std::path::{Path, PathBuf};
use std::process::Command;

use phases::{Measured, Phase};

struct Opts {
    messages: usize,
    seed: u64,
    queue: Option<PathBuf>,
    runs: usize,
    cold: bool,
    phase: Option<String>,
    threads: usize,
    only: Option<Vec<String>>,
}

impl Opts {
    /// Whether `phase` is to be measured (`--only`).
    fn wants(&self, phase: Phase) -> bool {
        phase == Phase::Noop
            || self
                .only
                .as_ref()
                .is_none_or(|o| o.iter().any(|n| n == phase.name()))
    }
}

/// What `--help` prints (the module's documentation says more).
const USAGE: &str = "\
usage: cargo bench --bench scan -- [--messages N] [--seed S] [--queue DIR] [--runs R]
                                   [--no-cold] [--only PHASE,...] [--threads T]
       (child) --phase NAME --queue DIR [--threads T]
Runs every phase warm (and cold unless --no-cold) on a generated flood of N messages
(default 100,000; queue target/bench-queues/flood-N) and prints qtriage against its peers.";

fn parse_args() -> Opts {
    let mut o = Opts {
        messages: 100_000,
        seed: 1,
        queue: None,
        runs: 4,
        cold: true,
        phase: None,
        threads: 2,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_default();
        match a.as_str() {
            "--messages" => o.messages = val().parse().unwrap_or(o.messages),
            "--seed" => o.seed = val().parse().unwrap_or(o.seed),
            "--queue" => o.queue = Some(PathBuf::from(val())),
            "--runs" => o.runs = val().parse().unwrap_or(o.runs).max(1),
            "--no-cold" => o.cold = false,
            "--only" => o.only = Some(val().split(',').map(str::to_string).collect()),
            "--phase" => o.phase = Some(val()),
            "--threads" => o.threads = val().parse().unwrap_or(o.threads).max(1),
            // The whole bench takes a quarter of an hour: `--help` must not start it.
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            _ => {} // cargo passes --bench; anything else is ignored
        }
    }
    o
}

fn main() {
    let o = parse_args();
    let queue = o.queue.clone().unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("target/bench-queues/flood-{}", o.messages))
    });
    if let Some(name) = &o.phase {
        let Some(phase) = Phase::from_name(name) else {
            eprintln!("scan bench: unknown phase {name}");
            std::process::exit(2);
        };
        phases::child(phase, &queue, o.threads);
        return;
    }
    if let Err(e) = phases::ensure_queue(&queue, o.messages, o.seed) {
        eprintln!("scan bench: {e}");
        std::process::exit(2);
    }
    println!(
        "queue {} ({} messages, seed {}, {}), {} cpus, load average {}",
        queue.display(),
        o.messages,
        o.seed,
        phases::queue_age(&queue),
        cpus(),
        peers::load_average()
    );
    match peers::prepare(&queue) {
        Ok(prefix) => println!(
            "real qmail: notqmail in {} (from ../shared/real-qmail/), its queue -> {}",
            prefix.display(),
            queue.display()
        ),
        Err(e) => println!("real qmail: not measured ({e})"),
    }
    let (warm, rounds) = warm_runs(&queue, &o);
    print_table("warm", &warm, o.messages);
    pairs::print("warm", &warm, &rounds, o.messages);
    if o.cold {
        match cold_runs(&queue, &o) {
            Ok(cold) => {
                print_table("cold", &cold, o.messages);
                pairs::print("cold", &cold, &[], o.messages);
            }
            Err(e) => println!("\ncold: not measured: cannot drop the page cache ({e})"),
        }
    }
    println!("\nload average at the end {}", peers::load_average());
    println!(
        "\n`top` is `qtriage top --json` (the CLI code, output to a sink): scan, attribution, the sender"
    );
    println!("table, per-record facts and the culprit ranking over nine keys.");
    println!(
        "`rank-headers`: scan without envelopes, one analysis basis, scored clusters by auth-user,"
    );
    println!("origin-ip, uid, subject.");
    println!("`A-scan-order`: A's files in the header pass' order (all listed first).");
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn run_child(queue: &Path, phase: Phase, threads: usize) -> Measured {
    let exe = std::env::current_exe().expect("the bench binary knows its own path");
    let out = Command::new(exe)
        .args([
            "--phase",
            phase.name(),
            "--threads",
            &threads.to_string(),
            "--queue",
        ])
        .arg(queue)
        .output()
        .expect("re-executing the bench binary");
    let text = String::from_utf8_lossy(&out.stdout);
    Measured::parse(&text).unwrap_or_else(|| {
        panic!(
            "phase {} failed: {}{}",
            phase.name(),
            text,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Warm: one pass over everything, a warm-up run of every phase, then `runs` rounds, each
/// running every phase once ([`phases::WARM`]'s order, backwards every other round); each
/// phase's median run is reported, and every run is kept for the pairs' per-round ratios.
/// Rounds rather than one phase's runs back to back, so that a phase and the baseline it is
/// compared with are measured seconds apart, not a quarter of an hour: on a shared machine its
/// speed drifts.
fn warm_runs(queue: &Path, o: &Opts) -> (Vec<(Phase, usize, Measured)>, Vec<pairs::Rounds>) {
    if o.only.is_none() {
        run_child(queue, Phase::WalkB, 2);
    }
    let wanted: Vec<(Phase, usize)> = phases::WARM
        .iter()
        .copied()
        .filter(|&(phase, _)| phase.available() && o.wants(phase))
        .collect();
    for &(phase, threads) in &wanted {
        run_child(queue, phase, threads);
    }
    let mut runs: Vec<Vec<Measured>> = vec![Vec::with_capacity(o.runs); wanted.len()];
    for round in 0..o.runs {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..wanted.len()).collect()
        } else {
            (0..wanted.len()).rev().collect()
        };
        for i in order {
            let (phase, threads) = wanted[i];
            runs[i].push(run_child(queue, phase, threads));
        }
    }
    let rounds = wanted
        .iter()
        .zip(&runs)
        .map(|(&(phase, _), runs)| pairs::Rounds {
            phase,
            runs: runs.clone(),
        })
        .collect();
    let medians = wanted
        .into_iter()
        .zip(runs)
        .map(|((phase, threads), mut runs)| {
            runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
            (phase, threads, runs[runs.len() / 2])
        })
        .collect();
    (medians, rounds)
}

fn drop_caches() -> std::io::Result<()> {
    rustix::fs::sync();
    std::fs::write("/proc/sys/vm/drop_caches", "3\n")
}

fn cold_runs(queue: &Path, o: &Opts) -> std::io::Result<Vec<(Phase, usize, Measured)>> {
    let mut out = Vec::new();
    for &(phase, threads) in phases::COLD {
        if !phase.available() || !o.wants(phase) {
            continue;
        }
        drop_caches()?;
        out.push((phase, threads, run_child(queue, phase, threads)));
    }
    Ok(out)
}

fn print_table(label: &str, rows: &[(Phase, usize, Measured)], messages: usize) {
    let find = |p: Phase| {
        rows.iter()
            .filter(|r| r.0 == p)
            .map(|r| r.2.secs)
            .reduce(f64::min)
    };
    let base_rss = rows
        .iter()
        .find(|r| r.0 == Phase::Noop)
        .map_or(0, |r| r.2.hwm_kb);
    println!("\n{label} ({messages} messages)");
    println!(
        "{:<14} {:>3} {:>8} {:>9} {:>7} {:>11} {:>18} {:>9} {:>10} {:>9}",
        "phase",
        "thr",
        "items",
        "seconds",
        "CPU s",
        "messages/s",
        "ratio",
        "RSS MiB",
        "RSS B/msg",
        "read MiB"
    );
    for (phase, threads, m) in rows {
        let ratio = phase
            .baseline()
            .and_then(|b| Some((b, find(b)?)))
            .map_or(String::new(), |(b, s)| {
                format!("{:.2}x {}", m.secs / s, b.name())
            });
        let per_msg = (m.hwm_kb.saturating_sub(base_rss) * 1024) as f64 / messages.max(1) as f64;
        println!(
            "{:<14} {:>3} {:>8} {:>9.3} {:>7.3} {:>11.0} {:>18} {:>9.1} {:>10.0} {:>9.1}",
            phase.name(),
            threads,
            m.items,
            m.secs,
            m.user + m.sys,
            messages as f64 / m.secs.max(1e-9),
            ratio,
            m.hwm_kb as f64 / 1024.0,
            per_msg,
            m.read_bytes as f64 / (1024.0 * 1024.0)
        );
    }
    println!(
        "(CPU s is user + system; ratio is the phase's median run over its baseline's, not the \
         pairs' per-round judge below; RSS B/msg is the phase's peak RSS minus the noop process's, \
         per message; qmail-qread and qmail-qstat are other programs: their own peak RSS, no read \
         MiB)"
    );
}
