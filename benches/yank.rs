//! Yank throughput on 100,000 messages against a plain rename loop of the same files, same run.
//!
//! `cargo bench --bench yank` (set QTRIAGE_BENCH_MESSAGES to change the size). Prints both
//! rates and the ratio qtriage / plain. The plain loop renames exactly the files qtriage moves,
//! with no journal, no fsync, no lock; the difference is the price of crash safety.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use rayon::prelude::*;

use qtriage::actions::{self, ExecuteOptions, PlanOptions};
use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions, Subdir};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::var("QTRIAGE_BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("queue");
    let fq = QueueBuilder::new(&root).split(23).create()?;
    let t = Instant::now();
    (0..n).into_par_iter().try_for_each(|i| {
        let spec = MessageSpec::new()
            .sender(format!("x{i}@spam.example"))
            .remote(format!("v{i}@example.net"))
            .received_from("82.128.32.42")
            .auth("test");
        fq.add(&spec).map(|_| ())
    })?;
    println!("built {n} messages in {:.1?}", t.elapsed());
    let queue = Queue::open(&root, QueueOptions::default())?;
    let strings = Interner::new();
    let s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )?;
    let yank_dir = root.join("yanked");
    let popts = PlanOptions {
        yank_dir: yank_dir.clone(),
        query: "auth:test".into(),
    };
    let plan = actions::plan_yank(&queue, &s.records, &popts);
    let files: usize = plan.messages.iter().map(|m| m.files.len()).sum();
    std::fs::create_dir_all(&yank_dir)?;

    // Plain loop: the same renames, no journal, no fsync, no lock.
    let t = Instant::now();
    for m in &plan.messages {
        for sub in &m.files {
            std::fs::rename(
                queue.path(*sub, m.id),
                yank_dir.join(format!("{}.{}", m.id, sub.name())),
            )?;
        }
    }
    let plain = t.elapsed();
    for m in &plan.messages {
        for sub in &m.files {
            std::fs::rename(
                yank_dir.join(format!("{}.{}", m.id, sub.name())),
                queue.path(*sub, m.id),
            )?;
        }
    }

    let opts = ExecuteOptions {
        now: actions::plan::unix_now(),
        ..Default::default()
    };
    let t = Instant::now();
    let outcome = actions::execute(&plan, &opts, &AtomicU64::new(0))?;
    let ours = t.elapsed();
    let moved = outcome.batch.as_ref().map_or(0, |b| b.files);
    assert_eq!(moved as usize, files, "qtriage moved every file");
    assert!(!Path::new(&queue.path(Subdir::Mess, plan.messages[0].id)).exists());

    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!("files per message: {:.2}", files as f64 / n as f64);
    println!(
        "plain rename loop: {plain:.2?} ({:.0} messages/s)",
        rate(plain)
    );
    println!(
        "qtriage yank:      {ours:.2?} ({:.0} messages/s, journal + fsync + locks)",
        rate(ours)
    );
    println!(
        "ratio qtriage/plain: {:.2}",
        ours.as_secs_f64() / plain.as_secs_f64()
    );
    Ok(())
}
