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

/// Run `jobs` through `workers` threads, the producer pushing them in `pushes` groups (a
/// pause between them); returns what the taker took.
fn run(jobs: &[u64], workers: usize, window: usize, pushes: usize) -> Vec<u64> {
    let (producer, w, mut taker) = handoff::<(usize, u64), (usize, u64)>(window);
    let (w, ahead, taken_so_far) = (&w, AtomicUsize::new(0), AtomicUsize::new(0));
    let mut taken = Vec::new();
    std::thread::scope(|s| {
        s.spawn(move || {
            let numbered: Vec<(usize, u64)> = jobs.iter().copied().enumerate().collect();
            for group in numbered.chunks(jobs.len().div_ceil(pushes).max(1)) {
                for &job in group {
                    assert!(producer.push(job));
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        });
        for _ in 0..workers {
            s.spawn(|| {
                w.work(|(i, v), _spare| {
                    // Results being done or done, this one included, not yet taken.
                    let taken = taken_so_far.load(Ordering::SeqCst);
                    ahead.fetch_max(i + 1 - taken, Ordering::Relaxed);
                    // Uneven work, so later jobs often finish first.
                    std::thread::sleep(Duration::from_micros(v));
                    (i, v)
                })
            });
        }
        let mut done = None;
        while let Some(r) = taker.next(done.take()) {
            assert_eq!(r.0, taken.len(), "results in job order");
            taken.push(r.1);
            taken_so_far.store(taken.len(), Ordering::SeqCst);
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
        let (producer, w, mut taker) = handoff::<u32, Counted<'_>>(window);
        let w = &w;
        std::thread::scope(|s| {
            s.spawn(move || {
                for j in 0..300 {
                    assert!(producer.push(j));
                }
            });
            for _ in 0..workers {
                s.spawn(|| {
                    w.work(|_, spare| {
                        spare.unwrap_or_else(|| {
                            made.fetch_add(1, Ordering::Relaxed);
                            Counted::new(&alive, &most)
                        })
                    })
                });
            }
            let mut done = None;
            let mut n = 0;
            while let Some(r) = taker.next(done.take()) {
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
    let (producer, w, mut taker) = handoff::<u32, u32>(4);
    let (w, done) = (&w, AtomicUsize::new(0));
    std::thread::scope(|s| {
        s.spawn(move || {
            // Pushes until told that the taker is gone.
            let mut i = 0;
            while producer.push(i) {
                i += 1;
            }
        });
        for _ in 0..3 {
            s.spawn(|| {
                w.work(|j, _| {
                    done.fetch_add(1, Ordering::Relaxed);
                    j
                })
            });
        }
        for want in 0..10 {
            assert_eq!(taker.next(None), Some(want));
        }
        drop(taker);
    });
    // The ten taken, the window's four and one being queued at most.
    let done = done.into_inner();
    assert!((10..=15).contains(&done), "{done} done");
}

#[test]
fn a_panicking_worker_stops_everyone_and_the_panic_reaches_the_scope() {
    let (producer, w, mut taker) = handoff::<u32, u32>(4);
    let w = &w;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        std::thread::scope(|s| {
            s.spawn(move || {
                for j in 0..1000 {
                    if !producer.push(j) {
                        break;
                    }
                }
            });
            for _ in 0..2 {
                s.spawn(|| {
                    w.work(|j, _| {
                        assert!(j != 5, "job 5 fails");
                        j
                    })
                });
            }
            let mut taken = 0;
            while taker.next(None).is_some() {
                taken += 1;
            }
            assert_eq!(taken, 5, "every job before the one that failed");
            drop(taker);
        })
    }));
    assert!(outcome.is_err());
}

#[test]
fn a_panicking_producer_or_taker_stops_everyone_and_the_panic_reaches_the_scope() {
    for producer_fails in [true, false] {
        let (producer, w, taker) = handoff::<u32, u32>(2);
        let w = &w;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            std::thread::scope(|s| {
                // Owned here, so that it is dropped (everyone stops) when this unwinds.
                let mut taker = taker;
                s.spawn(move || {
                    for j in 0.. {
                        assert!(!producer_fails || j != 7, "the producer fails");
                        if !producer.push(j) {
                            break;
                        }
                    }
                });
                for _ in 0..3 {
                    s.spawn(|| w.work(|j, _| j));
                }
                let mut want = 0;
                while let Some(j) = taker.next(None) {
                    assert_eq!(j, want);
                    want += 1;
                    assert!(producer_fails || j != 9, "the taker fails");
                }
                assert_eq!(want, 7, "every job queued before the producer failed");
            })
        }));
        assert!(outcome.is_err());
    }
}
