//! The table: each qtriage command against its peer measured in the same run, with the
//! goal it is held to and whether this run met it.
//!
//! A ratio is judged round by round when the run kept every round ([`Rounds`]): in each round
//! the command and its peer ran one after the other, and the median of those paired ratios is
//! the verdict's. The ratio of the two medians compares runs that may be a minute apart, and on
//! this kind of shared machine the speed drifts by as much as the distance to a goal within
//! that minute (1,000,000 messages, tenth pass: in one whole bench `top` took 2.7 s longer than
//! the reader alone, in the next 0.09 s; docs/performance.md).

use super::phases::{Measured, Phase};

/// One line of the table: a qtriage phase, the peer it is compared with, and its goal.
struct Pair {
    ours: Phase,
    label: &'static str,
    peer: Option<Phase>,
    goal: &'static str,
    /// Wall ratio (ours / peer) at most this.
    max_wall: Option<f64>,
    /// CPU ratio (ours / peer) at most this.
    max_cpu: Option<f64>,
    /// Peak RSS at most this many MiB (the goals are in MB: 20 MB and 300 MB are
    /// 19.07 and 286.10 MiB; judged in the unit the goal was set in, not the kinder one).
    max_mib: Option<f64>,
    /// Peak RSS above an idle process at most this many bytes a message, judged from
    /// [`PER_MSG_FROM`] messages on.
    max_per_msg: Option<f64>,
}

/// The queue size the issue set the bytes-a-message goal at. Below it the figure is mostly
/// what any run holds whatever the queue (the reading threads' stacks and buffers, the
/// interner's tables): `top` peaked at 255-263 B a message at 100,000 messages while it held
/// 184 B a message at 1,000,000, so a small queue would judge the fixed part, not the growth.
const PER_MSG_FROM: usize = 1_000_000;

/// 20 MB and 300 MB in MiB.
const MB_20: f64 = 20.0e6 / 1_048_576.0;
const MB_300: f64 = 300.0e6 / 1_048_576.0;

const PAIRS: &[Pair] = &[
    Pair {
        ours: Phase::Read,
        label: "read",
        peer: Some(Phase::QmailQread),
        goal: "1.8x faster (<= 0.56x), CPU <= 1x, <= 20 MB",
        max_wall: Some(1.0 / 1.8),
        max_cpu: Some(1.0),
        max_mib: Some(MB_20),
        max_per_msg: None,
    },
    Pair {
        ours: Phase::Top,
        label: "top --json",
        peer: Some(Phase::WalkB),
        goal: "<= 1.3x, <= 200 B/msg at 1M",
        max_wall: Some(1.3),
        max_cpu: None,
        max_mib: None,
        max_per_msg: Some(200.0),
    },
    Pair {
        ours: Phase::RankHeaders,
        label: "header ranking",
        peer: Some(Phase::WalkA),
        goal: "<= 1.5x",
        max_wall: Some(1.5),
        max_cpu: None,
        max_mib: None,
        max_per_msg: None,
    },
    Pair {
        ours: Phase::Stat,
        label: "stat",
        peer: Some(Phase::QmailQstat),
        goal: "<= 1.2x",
        max_wall: Some(1.2),
        max_cpu: None,
        max_mib: None,
        max_per_msg: None,
    },
    Pair {
        ours: Phase::ListCount,
        label: "list --count",
        peer: None,
        goal: "<= 20 MB",
        max_wall: None,
        max_cpu: None,
        max_mib: Some(MB_20),
        max_per_msg: None,
    },
    Pair {
        ours: Phase::TuiWorker,
        label: "TUI worker",
        peer: None,
        goal: "< 300 MB (286.1 MiB)",
        max_wall: None,
        max_cpu: None,
        max_mib: Some(MB_300),
        max_per_msg: None,
    },
    Pair {
        ours: Phase::TuiKeys,
        label: "TUI every key",
        peer: None,
        goal: "< 300 MB (286.1 MiB)",
        max_wall: None,
        max_cpu: None,
        max_mib: Some(MB_300),
        max_per_msg: None,
    },
];

/// Every measured run of one phase, in round order (warm runs).
pub struct Rounds {
    /// The phase.
    pub phase: Phase,
    /// Its run in each round.
    pub runs: Vec<Measured>,
}

/// The median of `values` (the upper one of an even count); `None` when empty.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Each round's (wall, CPU) ratio of `ours` to `peer`, when both ran in every round.
fn paired(rounds: &[Rounds], ours: Phase, peer: Phase) -> Option<Vec<(f64, f64)>> {
    let runs = |p: Phase| rounds.iter().find(|r| r.phase == p).map(|r| &r.runs);
    let (a, b) = (runs(ours)?, runs(peer)?);
    (a.len() == b.len() && !a.is_empty()).then(|| {
        a.iter()
            .zip(b)
            .map(|(a, b)| {
                (
                    a.secs / b.secs.max(1e-9),
                    (a.user + a.sys) / (b.user + b.sys).max(1e-9),
                )
            })
            .collect()
    })
}

/// The measured run of `phase` (the lowest-thread one when it ran twice, as the cold baselines do).
fn find(rows: &[(Phase, usize, Measured)], phase: Phase) -> Option<Measured> {
    rows.iter()
        .filter(|r| r.0 == phase)
        .min_by_key(|r| r.1)
        .map(|r| r.2)
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Print the pairs of `rows` (one run's phases, each its median run), their ratios judged from
/// `rounds` where it has both phases of a pair.
pub fn print(label: &str, rows: &[(Phase, usize, Measured)], rounds: &[Rounds], messages: usize) {
    let base_kb = find(rows, Phase::Noop).map_or(0, |m| m.hwm_kb);
    println!("\n{label}: qtriage against its peer, same run, same queue ({messages} messages)");
    println!(
        "{:<15} {:>8} {:>7} {:>8}  {:<12} {:>8} {:>7} {:>8}  {:>6} {:>6}  {:<44} verdict",
        "command",
        "wall s",
        "CPU s",
        "peak MiB",
        "peer",
        "wall s",
        "CPU s",
        "peak MiB",
        "wall",
        "CPU",
        "goal"
    );
    for p in PAIRS {
        let Some(ours) = find(rows, p.ours) else {
            continue;
        };
        let peer = p.peer.map(|ph| (ph, find(rows, ph)));
        let (peer_name, peer_cols, ratios) = match peer {
            None => ("", String::new(), None),
            Some((ph, None)) => (ph.name(), format!("{:>26}", "not measured"), None),
            Some((ph, Some(m))) => (
                ph.name(),
                format!(
                    "{:>8.3} {:>7.3} {:>8.1}",
                    m.secs,
                    m.user + m.sys,
                    mib(m.hwm_kb)
                ),
                Some(
                    paired(rounds, p.ours, ph)
                        .and_then(|r| {
                            Some((
                                median(r.iter().map(|x| x.0).collect())?,
                                median(r.iter().map(|x| x.1).collect())?,
                            ))
                        })
                        .unwrap_or((
                            ours.secs / m.secs.max(1e-9),
                            (ours.user + ours.sys) / (m.user + m.sys).max(1e-9),
                        )),
                ),
            ),
        };
        let per_msg = (ours.hwm_kb.saturating_sub(base_kb) * 1024) as f64 / messages.max(1) as f64;
        let mut met = true;
        let mut unknown = false;
        let mut hold = |limit: Option<f64>, value: Option<f64>| match (limit, value) {
            (Some(l), Some(v)) => met &= v <= l,
            (Some(_), None) => unknown = true,
            _ => {}
        };
        hold(p.max_wall, ratios.map(|r| r.0));
        hold(p.max_cpu, ratios.map(|r| r.1));
        hold(p.max_mib, Some(mib(ours.hwm_kb)));
        hold(
            p.max_per_msg.filter(|_| messages >= PER_MSG_FROM),
            Some(per_msg),
        );
        let verdict = match (met, unknown) {
            (false, _) => "missed",
            (true, true) => "not measured",
            (true, false) => "met",
        };
        let ratio_cols = ratios.map_or(format!("{:>6} {:>6}", "", ""), |(w, c)| {
            format!("{w:>5.2}x {c:>5.2}x")
        });
        println!(
            "{:<15} {:>8.3} {:>7.3} {:>8.1}  {:<12} {:<26}  {}  {:<44} {}",
            p.label,
            ours.secs,
            ours.user + ours.sys,
            mib(ours.hwm_kb),
            peer_name,
            peer_cols,
            ratio_cols,
            p.goal,
            verdict
        );
    }
    if rounds.is_empty() {
        println!("(wall and CPU are qtriage's / the peer's; CPU is user + system)");
    } else {
        println!(
            "(wall and CPU are the median over the rounds of qtriage's / the peer's in that round, \
             the upper one of an even count; CPU is user + system; times and memory are each \
             phase's median run)"
        );
        for p in PAIRS {
            let Some(r) = p.peer.and_then(|peer| paired(rounds, p.ours, peer)) else {
                continue;
            };
            let each: Vec<String> = r.iter().map(|(w, c)| format!("{w:.2}x/{c:.2}x")).collect();
            println!("  {:<15} by round (wall/CPU): {}", p.label, each.join(" "));
        }
    }
    if let Some(m) = find(rows, Phase::Top) {
        let per_msg = (m.hwm_kb.saturating_sub(base_kb) * 1024) as f64 / messages.max(1) as f64;
        let judged = if messages >= PER_MSG_FROM {
            ""
        } else {
            "; the 200 B goal is judged from 1,000,000 messages on"
        };
        println!("(`top --json` peaks at {per_msg:.1} B a message above an idle process{judged})");
    }
}
