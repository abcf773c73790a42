//! Measure the TUI's time to first screen and worst key-to-frame latency while a real scan of a
//! large queue runs, headless (ratatui's TestBackend), driving the same `Session` the terminal
//! loop uses.
//!
//! `cargo run --release --example tui-latency -- [MESSAGES] [QUEUE_DIR]`
//! builds MESSAGES (default 200,000) with the fixture builder in parallel (or reuses QUEUE_DIR
//! when it already holds a queue), then opens the TUI logic on it and presses keys every few
//! milliseconds until the scan has finished and the lists were rebuilt, then waits for the
//! watcher's first figures (it lists the queue and reads what changed since the scan), so a
//! peak memory measured around it counts the whole TUI.

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
    let mut session = Session::start(
        queue,
        unix_now(),
        false,
        &qtriage::tui::TuiOptions::default(),
    )?;
    session.draw(&mut term)?;
    let first_screen = start.elapsed();

    let m = press_keys(&mut session, &mut term, start)?;
    // The peak memory includes the watcher: its first figures come after its model is built.
    let deadline = Instant::now() + Duration::from_secs(600);
    let live = |s: &Session| {
        s.state.status.watch.queue_size.is_some() || s.state.status.watch.failed.is_some()
    };
    while !live(&session) && Instant::now() < deadline {
        session.pump(Duration::from_millis(100));
    }
    let live_at = start.elapsed();
    let records = session
        .state
        .data
        .as_ref()
        .map_or(0, |d| d.snapshot.records.len());
    println!("messages scanned:             {records}");
    println!("time to first screen:         {first_screen:.2?}");
    println!(
        "header-pass ranking shown:    {:.2?}",
        m.headers_shown_at.unwrap_or_default()
    );
    println!(
        "scan + clustering finished:   {:.2?}",
        m.scan_done_at.unwrap_or_default()
    );
    println!("watcher's first figures:      {live_at:.2?}");
    println!("key presses measured:         {}", m.presses);
    println!("worst key-to-frame, scanning: {:.2?}", m.worst_scanning);
    println!(
        "worst key-to-frame, overall:  {:.2?} ({})",
        m.worst, m.worst_key
    );
    println!(
        "mean key-to-frame:            {:.2?}",
        m.total / m.presses.max(1)
    );
    Ok(())
}

/// What the key presses measured.
#[derive(Default)]
struct Measured {
    worst: Duration,
    worst_key: String,
    worst_scanning: Duration,
    total: Duration,
    presses: u32,
    /// When the header pass' ranking was first on screen (envelopes still being read).
    headers_shown_at: Option<Duration>,
    scan_done_at: Option<Duration>,
}

/// Press keys every few milliseconds until 200 presses after the scan finished; time each from
/// sending the key to the end of the frame that shows it (results that arrived meanwhile are
/// applied in the same drain, as in the real loop, so their cost counts).
fn press_keys(
    session: &mut Session,
    term: &mut Terminal<TestBackend>,
    start: Instant,
) -> anyhow::Result<Measured> {
    let tx = session.sender();
    let mut m = Measured::default();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut after_ready = 0;
    while after_ready < 200 && Instant::now() < deadline {
        session.pump(Duration::from_millis(5));
        let key = KEYS[m.presses as usize % KEYS.len()];
        let t = Instant::now();
        tx.send(Event::Key(KeyEvent::new(key, KeyModifiers::NONE)))?;
        session.pump(Duration::from_secs(1));
        session.draw(term)?;
        let took = t.elapsed();
        let (focus, phase) = (session.state.ui.focus, session.state.status.phase);
        if took > m.worst {
            m.worst = took;
            m.worst_key = format!("key {key:?}, focus {focus:?}, phase {phase:?}");
        }
        m.total += took;
        m.presses += 1;
        if phase == ScanPhase::Envelopes {
            m.headers_shown_at.get_or_insert(start.elapsed());
        }
        if phase == ScanPhase::Ready {
            m.headers_shown_at.get_or_insert(start.elapsed());
            m.scan_done_at.get_or_insert(start.elapsed());
            after_ready += 1;
        } else {
            m.worst_scanning = m.worst_scanning.max(took);
        }
    }
    Ok(m)
}
