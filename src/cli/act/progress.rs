//! An action's progress on the terminal: the words after its bar (what it does before its
//! first message moves, then the rate and the time left, counted from the first move), and
//! `recover`'s count, whose total is known only from the journals it reads.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::size::thousands;

/// What the bar says until a message has moved ([`crate::actions::BEFORE_THE_FIRST_MOVE`]).
/// Short, so that the bar's line fits 80 columns even at a million messages (a wider line wraps
/// and every redraw leaves a line behind).
pub const PREPARING: &str = crate::actions::BEFORE_THE_FIRST_MOVE;

/// The note after `done` of `total` messages. `moving` is the count and the time since the
/// first tick that saw a move: the rate is measured from there, not from the bar's start,
/// because indicatif's own `{per_sec}`/`{eta}` averaged the preparation's idle seconds in
/// (`18m` left of an 18-second yank) and printed the rate to four decimals.
pub fn note(done: u64, total: u64, moving: Option<(u64, Duration)>) -> String {
    let Some((from, elapsed)) = moving else {
        return PREPARING.to_string();
    };
    // Under a second of moves says too little about the rate to promise a time.
    if elapsed < Duration::from_secs(1) || done <= from {
        return "moving…".to_string();
    }
    let rate = (done - from) as f64 / elapsed.as_secs_f64();
    let left = total.saturating_sub(done) as f64 / rate;
    format!(
        "{}/s, {} left",
        thousands(rate.round() as u64),
        time_left(left)
    )
}

/// `8s`, `2m`: whole seconds up to a minute and a half, then minutes rounded up.
fn time_left(secs: f64) -> String {
    let secs = secs.ceil() as u64;
    match secs {
        s if s < 90 => format!("{s}s"),
        s => format!("{}m", s.div_ceil(60)),
    }
}

/// Run `work` with its count of messages shown on stderr when that is a terminal, as
/// `{spinner} LABEL: N messages, 12s`: a recovery of 93,000 messages said nothing for 31 s.
pub fn counting<T: Send>(label: &str, work: impl FnOnce(&AtomicU64) -> T + Send) -> T {
    let count = AtomicU64::new(0);
    if !std::io::stderr().is_terminal() {
        return work(&count);
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}: {human_pos} messages, {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(label.to_string());
    let result = std::thread::scope(|s| {
        let worker = s.spawn(|| work(&count));
        while !worker.is_finished() {
            bar.set_position(count.load(Ordering::Relaxed));
            bar.tick();
            std::thread::sleep(Duration::from_millis(100));
        }
        worker.join()
    });
    bar.finish_and_clear();
    result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn before_the_first_move_it_says_what_it_does_not_a_rate() {
        assert_eq!(note(0, 75_960, None), PREPARING);
    }

    #[test]
    fn the_rate_counts_from_the_first_move_not_from_the_start() {
        // The measured yank: 7 s of preparation, then 75,960 messages in about 18 s. Seen
        // 2 s after the first tick with moves (512 then), 8,960 moved: 4,224/s, 16 s left,
        // where the bar said `68.9613/s 18m`.
        let n = note(8_960, 75_960, Some((512, Duration::from_secs(2))));
        assert_eq!(n, "4,224/s, 16s left");
    }

    #[test]
    fn a_long_run_counts_minutes_and_a_short_look_promises_nothing() {
        assert_eq!(
            note(1_000, 200_000, Some((0, Duration::from_secs(10)))),
            "100/s, 34m left"
        );
        assert_eq!(
            note(900, 75_960, Some((512, Duration::from_millis(300)))),
            "moving…"
        );
    }
}
