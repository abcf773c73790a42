//! The scan's count on stderr while a command reads the queue, when stderr is a terminal.
//!
//! `top`, `plan`, `list` and a yank's dry run printed nothing for 6-7 s at 200,000 messages
//! (half a minute at a million): read as hung by an operator under pressure. Pipes, files and
//! scripts see nothing new; the line is cleared before the command's own output.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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
    let started = Instant::now();
    let mut line = Line::default();
    let mut spinner = SPINNER.iter().cycle();
    ticking(
        |end| {
            let mut err = std::io::stderr().lock();
            // A small queue's scan is over before anything is worth drawing.
            let elapsed = started.elapsed();
            if end {
                line.clear(&mut err);
            } else if elapsed >= QUIET_FOR {
                let (spin, secs) = (spinner.next().unwrap_or(&'-'), elapsed.as_secs());
                let text = format!("{spin} {}, {secs}s", words(progress.snapshot()));
                line.draw(&mut err, &text);
            }
        },
        || queue::scan(queue, strings, opts, &progress),
    )
}

/// `work`'s result, `tick(false)` called on another thread every 100 ms until `work` returns
/// or panics, then `tick(true)` once. The end is noted by a guard's drop: noted after `work`
/// only, a panic in the scan left the ticking thread running and `thread::scope` waiting for
/// it, a count turning forever instead of the panic's message (found by the session's review).
fn ticking<T>(mut tick: impl FnMut(bool) + Send, work: impl FnOnce() -> T) -> T {
    /// Notes the end of the work, however it ends.
    struct Finished<'a>(&'a AtomicBool);
    impl Drop for Finished<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(Ordering::Acquire) {
                tick(false);
                std::thread::sleep(Duration::from_millis(100));
            }
            tick(true);
        });
        let _finished = Finished(&finished);
        work()
    })
}

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

/// How long a scan runs before its count is shown.
const QUIET_FOR: Duration = Duration::from_millis(300);

/// One line on stderr redrawn in place with a carriage return and spaces: no escape
/// sequence, so that what reaches a terminal has no ESC byte at all, ours included (the
/// hostile-bytes tests read a terminal's whole output for one). Never wider than 79 columns,
/// so that it never wraps on an 80-column terminal (a wrapped line cannot be redrawn).
#[derive(Default)]
struct Line {
    /// Characters drawn last.
    width: usize,
}

impl Line {
    fn draw(&mut self, out: &mut impl Write, text: &str) {
        let text: String = text.chars().take(79).collect();
        let width = text.chars().count();
        let pad = self.width.saturating_sub(width);
        let _ = write!(out, "\r{text}{:pad$}", "");
        let _ = out.flush();
        self.width = width;
    }

    fn clear(&mut self, out: &mut impl Write) {
        if self.width == 0 {
            return;
        }
        let _ = write!(out, "\r{:w$}\r", "", w = self.width);
        let _ = out.flush();
        self.width = 0;
    }
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

    /// A panic in the scan reaches the caller: the ticking thread stops with the work.
    #[test]
    #[should_panic(expected = "a scan's bug")]
    fn a_panic_in_the_work_ends_the_ticking() {
        ticking::<()>(|_| {}, || panic!("a scan's bug"));
    }

    #[test]
    fn the_works_result_is_returned_and_the_end_ticked_once() {
        let mut ends = 0;
        assert_eq!(ticking(|end| ends += usize::from(end), || 42), 42);
        assert_eq!(ends, 1);
    }

    #[test]
    fn the_line_is_redrawn_in_place_without_an_escape_and_never_wraps() {
        let mut out = Vec::new();
        let mut line = Line::default();
        line.draw(&mut out, "| listing the queue: 0 messages read, 0s");
        line.draw(&mut out, "/ short");
        line.draw(&mut out, &"x".repeat(200));
        line.clear(&mut out);
        let text = String::from_utf8(out).expect("utf-8");
        let draws: Vec<&str> = text.split('\r').collect();
        assert_eq!(draws[1], "| listing the queue: 0 messages read, 0s");
        // The shorter line covers what the longer one left.
        assert_eq!(draws[2], format!("/ short{}", " ".repeat(33)));
        assert_eq!(draws[3], "x".repeat(79));
        assert_eq!(draws[4], " ".repeat(79));
        assert_eq!(draws[5], "");
        assert!(!text.contains('\x1b'), "{text:?}");
        // Nothing drawn, nothing cleared: a quick scan leaves no byte behind.
        let mut quiet = Vec::new();
        Line::default().clear(&mut quiet);
        assert!(quiet.is_empty());
    }

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
