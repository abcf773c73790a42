//! Measured run of the watcher: CPU and memory while messages arrive at a steady rate on a big
//! queue.
//!
//! ```text
//! cargo run --release --example watch-load -- [QUEUE_SIZE] [RATE_PER_SEC] [SECS]
//! ```
//! Defaults: 100,000 messages already queued, 1,000 new ones per second for 30 s. The queue is
//! built with the fixture builder in parallel (rayon); the arrivals come from a separate writer
//! process (this example re-executed), so the CPU figures from /proc/self/stat are the
//! watcher's own (notify's thread, the watcher, the model and rates), not the writer's.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use qtriage::analysis::key::ClusterKey;
use qtriage::fixture::{FixtureQueue, FixtureState, MessageSpec, QueueBuilder};
use qtriage::queue::{Layout, Queue, QueueOptions};
use qtriage::watch::{spawn, MonitorConfig, WatchUpdate};
use rayon::prelude::*;

/// Linux reports utime/stime in /proc in USER_HZ ticks, 100 per second on every architecture.
const USER_HZ: f64 = 100.0;

fn spec(i: usize, state: FixtureState) -> MessageSpec {
    let base = MessageSpec::new()
        .state(state)
        .remote(format!("victim{i}@example.org"));
    match i % 4 {
        0 | 1 => base
            .received_from("86.107.221.138")
            .helo("User")
            .auth("test@example.com")
            .sender("test@example.com"),
        2 => base
            .received_from(&format!("41.203.18.{}", i % 200))
            .sender(format!("u{}@spam.example", i % 977)),
        _ => base
            .php_script(48, "wp-content/uploads/mailer.php")
            .sender("apache@mail.example.com"),
    }
}

fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / USER_HZ
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn writer(root: &Path, rate: usize, secs: usize) {
    let q = FixtureQueue::at(
        root,
        Layout {
            split: 23,
            big_todo: false,
        },
    );
    let start = Instant::now();
    for i in 0..rate * secs {
        let due = start + Duration::from_secs_f64(i as f64 / rate as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        q.add(&spec(i, FixtureState::Queued)).expect("add");
    }
    eprintln!(
        "writer: {} messages in {:.1?}",
        rate * secs,
        start.elapsed()
    );
}

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // The measured run takes half a minute and builds a big queue: `--help` must not start it.
    if args.iter().skip(1).any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: cargo run --release --example watch-load -- [QUEUE_SIZE] [RATE_PER_SEC] [SECS]"
        );
        println!("defaults: 100000 messages queued, 1000 new ones a second for 30 s");
        return;
    }
    if args.get(1).map(String::as_str) == Some("--writer") {
        writer(Path::new(&args[2]), arg(3, 1000), arg(4, 30));
        return;
    }
    let (size, rate, secs) = (arg(1, 100_000), arg(2, 1000), arg(3, 30));
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    let q = QueueBuilder::new(dir.path())
        .split(23)
        .create()
        .expect("queue");
    (0..size).into_par_iter().for_each(|i| {
        q.add(&spec(i, FixtureState::InDelivery)).expect("add");
    });
    println!("built a queue of {size} messages in {:.1?}", t.elapsed());

    let queue = Queue::open(dir.path(), QueueOptions::default()).expect("open");
    let (rss0, t) = (status_kb("VmRSS:"), Instant::now());
    let (updates, _handle) = spawn(
        queue,
        MonitorConfig::new(ClusterKey::AuthUser, Duration::from_secs(1)),
    )
    .expect("watch");
    let first: WatchUpdate = updates.recv().expect("update").expect("watch");
    let (cpu_start, rss_start, hwm_start) = (cpu_secs(), status_kb("VmRSS:"), status_kb("VmHWM:"));
    println!(
        "initial scan: {} messages, first update after {:.1?}; RSS {} -> {} kB, HWM {} kB",
        first.queue_size,
        t.elapsed(),
        rss0,
        rss_start,
        hwm_start
    );

    let exe = std::env::current_exe().expect("exe");
    let mut child = Command::new(exe)
        .arg("--writer")
        .arg(dir.path())
        .args([rate.to_string(), secs.to_string()])
        .spawn()
        .expect("writer");
    let load_start = Instant::now();
    let want = (size + rate * secs) as u64;
    let mut last = first;
    let mut peak_in = 0f64;
    let mut modes = std::collections::BTreeSet::new();
    while last.queue_size < want && load_start.elapsed() < Duration::from_secs(secs as u64 + 120) {
        last = updates.recv().expect("update").expect("watch");
        peak_in = peak_in.max(last.in_per_min);
        modes.insert(last.mode.name());
        if last.at_ms / 1000 % 5 == 0 {
            println!(
                "  queue {} in {:.0}/min mode {}",
                last.queue_size,
                last.in_per_min,
                last.mode.name()
            );
        }
    }
    let _ = child.wait();
    let elapsed = load_start.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu_start;
    let (rss, hwm) = (status_kb("VmRSS:"), status_kb("VmHWM:"));
    let arrived = last.queue_size.saturating_sub(size as u64);
    println!(
        "load: {arrived} arrivals seen in {elapsed:.1} s (queue {} of {want}), modes {modes:?}",
        last.queue_size
    );
    println!(
        "watcher CPU: {cpu:.2} s over {elapsed:.1} s = {:.1}% of one core, {:.0} µs per message",
        100.0 * cpu / elapsed,
        1e6 * cpu / arrived.max(1) as f64
    );
    println!(
        "memory: RSS {rss_start} -> {rss} kB (+{} kB, {:.0} bytes per new message), HWM {hwm} kB",
        rss.saturating_sub(rss_start),
        1024.0 * rss.saturating_sub(rss_start) as f64 / arrived.max(1) as f64
    );
    println!("peak inflow reported: {peak_in:.0}/min");
}
