//! Measure the TUI's time to first screen and worst key-to-frame latency while a real scan of a
//! large queue runs, headless (ratatui's TestBackend), driving the same `Session` the terminal
//! loop uses.
//!
//! `cargo run --release --example tui-latency -- [MESSAGES] [QUEUE_DIR]`
//! builds MESSAGES (default 200,000) with the fixture builder in parallel (or reuses QUEUE_DIR
//! when it already holds a queue), then opens the TUI logic on it and presses keys every few
//! milliseconds until the scan has finished and the lists were rebuilt.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use rayon::prelude::*;

use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::{Queue, QueueOptions};
use qtriage::tui::event::Event;
use qtriage::tui::state::ScanPhase;
use qtriage::tui::{unix_now, Session};

fn build(dir: &std::path::Path, n: usize) -> std::io::Result<()> {
    let fq = QueueBuilder::new(dir).split(23).create()?;
    let now = unix_now();
    (0..n).into_par_iter().try_for_each(|i| {
        let spec = match i % 10 {
            0..=6 => MessageSpec::new()
                .sender(format!("u{}@philadefender.org", i % 977))
                .remote(format!("victim{i}@customer.example"))
                .received_from("86.107.221.138")
                .auth("test")
                .subject(format!("Dispute Transaction {i}")),
            7 | 8 => MessageSpec::new()
                .sender("apache@mail.example.com")
                .remote(format!("r{i}@gmail.example"))
                .php_script(48, "wp-content/uploads/mailer.php")
                .subject("Your account"),
            _ => MessageSpec::new()
                .sender(format!("user{}@example.com", i % 50))
                .remote(format!("friend{i}@partner.example"))
                .received_from(&format!("192.0.2.{}", i % 200))
                .auth(&format!("user{}", i % 50))
                .subject("minutes"),
        };
        fq.add(&spec.born(now - (i % 3600) as i64)).map(|_| ())
    })
}

const KEYS: [KeyCode; 8] = [
    KeyCode::Char('j'),
    KeyCode::Char('j'),
    KeyCode::Tab,
    KeyCode::PageDown,
    KeyCode::End,
    KeyCode::Home,
    KeyCode::Char('s'),
    KeyCode::Tab,
];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(Ok(200_000), |s| s.parse())?;
    let dir = args.get(2).map_or_else(
        || std::env::temp_dir().join(format!("qtriage-latency-{n}")),
        Into::into,
    );
    if !dir.join("mess").is_dir() {
        let t = Instant::now();
        build(&dir, n)?;
        println!(
            "built {n} messages in {:.1?} at {}",
            t.elapsed(),
            dir.display()
        );
    }
    let queue = Queue::open(&dir, QueueOptions::default())?;
    let mut term = Terminal::new(TestBackend::new(80, 24))?;

    let start = Instant::now();
    let mut session = Session::start(queue, unix_now(), false);
    session.draw(&mut term)?;
    let first_screen = start.elapsed();

    let tx = session.sender();
    let (mut worst, mut total, mut presses) = (Duration::ZERO, Duration::ZERO, 0u32);
    let mut worst_key = (
        KeyCode::Null,
        session.state.ui.focus,
        session.state.status.phase,
    );
    let (mut worst_scanning, mut scan_done_at) = (Duration::ZERO, None);
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut after_ready = 0;
    while after_ready < 200 && Instant::now() < deadline {
        // Let scan progress and results arrive between presses, as they would between keys.
        session.pump(Duration::from_millis(5));
        let key = KEYS[presses as usize % KEYS.len()];
        let t = Instant::now();
        tx.send(Event::Key(KeyEvent::new(key, KeyModifiers::NONE)))?;
        session.pump(Duration::from_secs(1));
        session.draw(&mut term)?;
        let took = t.elapsed();
        if took > worst {
            worst = took;
            worst_key = (key, session.state.ui.focus, session.state.status.phase);
        }
        total += took;
        presses += 1;
        if session.state.status.phase == ScanPhase::Ready {
            scan_done_at.get_or_insert(start.elapsed());
            after_ready += 1;
        } else {
            worst_scanning = worst_scanning.max(took);
        }
    }
    let records = session
        .state
        .data
        .as_ref()
        .map_or(0, |d| d.snapshot.records.len());
    println!("messages scanned:            {records}");
    println!("time to first screen:        {first_screen:.2?}");
    println!(
        "scan + clustering finished:  {:.2?}",
        scan_done_at.unwrap_or_default()
    );
    println!("key presses measured:        {presses}");
    println!("worst key-to-frame, scanning: {worst_scanning:.2?}");
    println!("worst key-to-frame, overall:  {worst:.2?} (includes applying the finished scan)");
    println!(
        "  worst was key {:?} (focus {:?}, phase {:?})",
        worst_key.0, worst_key.1, worst_key.2
    );
    println!(
        "mean key-to-frame:           {:.2?}",
        total / presses.max(1)
    );
    Ok(())
}
