//! The scan's count on stderr while a command reads the queue, when stderr is a terminal.
//!
//! `top`, `plan`, `list` and a yank's dry run printed nothing for 6-7 s at 200,000 messages
//! (half a minute at a million): read as hung by an operator under pressure. Pipes, files and
//! scripts see nothing new; the line is cleared before the command's own output.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::queue::{self, Interner, Progress, ProgressSnapshot, Queue, Scan, ScanOptions};
use crate::size::thousands;

/// [`queue::scan`], showing its count on stderr when that is a terminal.
pub fn scan(
    queue: &Queue,
    strings: &Interner,
    opts: ScanOptions,
) -> Result<Scan, queue::error::Error> {
    let progress = Progress::default();
    if !std::io::stderr().is_terminal() {
        return queue::scan(queue, strings, opts, &progress);
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}, {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let finished = AtomicBool::new(false);
    let scanned = std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(Ordering::Acquire) {
                bar.set_message(words(progress.snapshot()));
                bar.tick();
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let scanned = queue::scan(queue, strings, opts, &progress);
        finished.store(true, Ordering::Release);
        scanned
    });
    bar.finish_and_clear();
    scanned
}

/// `reading the queue: 54,467 of 200,000 messages`; before the listing ends, how many it
/// has read (the total is not known yet).
fn words(p: ProgressSnapshot) -> String {
    match p.listed {
        0 => format!("listing the queue: {} messages read", thousands(p.read)),
        listed => format!(
            "reading the queue: {} of {} messages",
            thousands(p.read.min(listed)),
            thousands(listed)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_says_of_how_many_once_the_listing_is_done() {
        let at = |listed, read| ProgressSnapshot {
            listed,
            read,
            done: false,
        };
        assert_eq!(words(at(0, 0)), "listing the queue: 0 messages read");
        assert_eq!(
            words(at(200_000, 54_467)),
            "reading the queue: 54,467 of 200,000 messages"
        );
        // A message read twice (a retry) never shows more than were listed.
        assert_eq!(words(at(10, 11)), "reading the queue: 10 of 10 messages");
    }
}
