//! Tests of the hand-off: order, the window's bound, reuse, stopping and panics.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A small deterministic generator (xorshift) for the jobs' varying lengths.
fn lengths(n: usize, seed: u64) -> Vec<u64> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 200
        })
        .collect()
}

/// Run `jobs` through `workers` threads, the producer pushing them in `pushes` groups and
/// waiting for each to be claimed; returns what the taker took.
fn run(jobs: &[u64], workers: usize, window: usize, pushes: usize) -> Vec<u64> {
    let h: Handoff<(usize, u64), (usize, u64)> = Handoff::new(window);
    let ahead = AtomicUsize::new(0);
    let mut taken = Vec::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            let numbered: Vec<(usize, u64)> = jobs.iter().copied().enumerate().collect();
            for group in numbered.chunks(jobs.len().div_ceil(pushes).max(1)) {
                assert!(h.push(group.iter().copied()));
                assert!(h.drained());
            }
            h.close();
        });
        for _ in 0..workers {
            s.spawn(|| {
                h.work(|(i, v), _spare| {
                    // Uneven work, so later jobs often finish first.
                    std::thread::sleep(Duration::from_micros(v));
                    (i, v)
                })
            });
        }
        let mut done = None;
        while let Some(r) = h.next(done.take()) {
            let s = h.lock();
            ahead.fetch_max(s.ready.len(), Ordering::Relaxed);
            drop(s);
            assert_eq!(r.0, taken.len(), "results in job order");
            taken.push(r.1);
            done = Some(r);
        }
    });
    assert!(
        ahead.into_inner() <= window,
        "never more than the window ahead"
    );
    taken
}

#[test]
fn results_come_in_queue_order_whatever_order_the_workers_finish_in() {
    for (n, workers, window, pushes) in [
        (0, 3, 4, 1),
        (1, 1, 1, 1),
        (50, 1, 1, 3),
        (300, 8, 4, 7),
        (300, 16, 64, 1),
        (500, 4, 16, 40),
    ] {
        let jobs = lengths(n, n as u64 + 7);
        assert_eq!(run(&jobs, workers, window, pushes), jobs, "{n} jobs");
    }
}

/// A buffer that counts how many of its kind are alive (the most there ever were is counted
/// where it is made).
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(alive: &'a AtomicUsize, most: &'a AtomicUsize) -> Counted<'a> {
        let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        Counted(alive)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Results handed back are reused: however the threads run, the results alive at once are
/// bounded by the window (done or being done), the one the taker holds and the spares kept.
#[test]
fn spent_results_are_handed_back_to_the_workers() {
    for workers in [1, 3, 8] {
        let window = 2;
        let (alive, most, made) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let h: Handoff<u32, Counted<'_>> = Handoff::new(window);
        std::thread::scope(|s| {
            s.spawn(|| {
                h.push(0..300);
                h.close();
            });
            for _ in 0..workers {
                s.spawn(|| {
                    h.work(|_, spare| {
                        spare.unwrap_or_else(|| {
                            made.fetch_add(1, Ordering::Relaxed);
                            Counted::new(&alive, &most)
                        })
                    })
                });
            }
            let mut done = None;
            let mut n = 0;
            while let Some(r) = h.next(done.take()) {
                n += 1;
                done = Some(r);
            }
            assert_eq!(n, 300);
        });
        let (most, made) = (most.load(Ordering::SeqCst), made.load(Ordering::SeqCst));
        assert!(most <= 2 * window + 1, "{most} alive at once");
        assert!(made < 300, "{made} made for 300 results: none reused");
    }
}

#[test]
fn a_taker_that_stops_early_stops_the_producer_and_the_workers() {
    let h: Handoff<u32, u32> = Handoff::new(4);
    let done = AtomicUsize::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            // Pushes until told that everyone stopped.
            let mut i = 0;
            while h.push([i]) && h.drained() {
                i += 1;
            }
        });
        for _ in 0..3 {
            s.spawn(|| {
                h.work(|j, _| {
                    done.fetch_add(1, Ordering::Relaxed);
                    j
                })
            });
        }
        for want in 0..10 {
            assert_eq!(h.next(None), Some(want));
        }
        h.stop();
        assert_eq!(h.next(None), None);
    });
    assert!(done.into_inner() >= 10);
}

#[test]
fn a_panicking_worker_stops_everyone_and_the_panic_reaches_the_scope() {
    let h: Handoff<u32, u32> = Handoff::new(4);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        std::thread::scope(|s| {
            s.spawn(|| {
                h.push(0..1000);
                h.close();
            });
            for _ in 0..2 {
                s.spawn(|| {
                    h.work(|j, _| {
                        assert!(j != 5, "job 5 fails");
                        j
                    })
                });
            }
            let mut taken = 0;
            while h.next(None).is_some() {
                taken += 1;
            }
            assert!(taken <= 5);
        })
    }));
    assert!(outcome.is_err());
}
