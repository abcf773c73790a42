//! Jobs done by worker threads and their results taken in the order the jobs were queued, a
//! bounded number ahead of the taker, with every waiting thread asleep (never spinning).
//!
//! `read` streams qmail-qread's listing this way. A rayon pool, handed one chunk at a time,
//! left its sixteen workers spinning (`sched_yield`) at the end of every chunk while the next was
//! handed over: 48,000 `sched_yield` calls at 100,000 messages (issue 22). Here a worker with
//! nothing to do sleeps in a channel's receive, and the producer queues the next jobs while
//! the last ones are read, so the workers never wait for a chunk boundary.
//!
//! Made of std's channels: the producer sends each job to the workers with the sending end of
//! a channel for its one result, and the receiving end to the taker, in job order, through a
//! channel whose bound is the window. Each side holds its own end, so a side that goes away
//! (returns or unwinds) is seen by the others: the taker gets `None` once the producer is gone
//! and every result taken, or when the worker doing the job it waits for panicked (workers
//! claim jobs in order, so every earlier job was done); the producer's `push` fails once the
//! taker is gone; workers return once the producer is gone and no job is left, or the taker
//! is gone. `std::thread::scope` then re-raises a panic.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

/// A job, and where its result goes.
type Job<J, R> = (J, SyncSender<R>);

/// A hand-off letting workers be at most `window` (at least 1) results ahead of the taker
/// (done or being done): the producer's, the workers' and the taker's ends.
pub(super) fn handoff<J, R>(window: usize) -> (Producer<J, R>, Workers<J, R>, Taker<J, R>) {
    let window = window.max(1);
    let (jobs, queued) = channel();
    // The taker holds one more: the result it waits for.
    let (order, ordered) = sync_channel(window - 1);
    let shared = Arc::new(Shared {
        queued: Mutex::new(queued),
        spare: Mutex::new(Vec::new()),
        taker_gone: AtomicBool::new(false),
        window,
    });
    let workers = Workers(Arc::clone(&shared));
    let taker = Taker { shared, ordered };
    (Producer { jobs, order }, workers, taker)
}

/// What the workers and the taker share.
struct Shared<J, R> {
    /// Jobs not claimed yet, claimed in queue order.
    queued: Mutex<Receiver<Job<J, R>>>,
    /// Results the taker is done with, for workers to fill again (their buffers reused).
    spare: Mutex<Vec<R>>,
    /// Queued jobs are not done.
    taker_gone: AtomicBool,
    window: usize,
}

/// The producer's end: dropped, no more jobs come.
pub(super) struct Producer<J, R> {
    jobs: Sender<Job<J, R>>,
    order: SyncSender<Receiver<R>>,
}

impl<J, R> Producer<J, R> {
    /// Queue `job`, waiting while the window is full. False once the taker is gone.
    pub(super) fn push(&self, job: J) -> bool {
        let (result, taken) = sync_channel(1);
        self.order.send(taken).is_ok() && self.jobs.send((job, result)).is_ok()
    }
}

/// The workers' end, shared by the worker threads.
pub(super) struct Workers<J, R>(Arc<Shared<J, R>>);

impl<J, R> Workers<J, R> {
    /// A worker's loop: claim jobs and do them with `work` (given a spare result to reuse, when
    /// there is one) until the producer is gone and no job is left, or the taker is gone.
    pub(super) fn work(&self, mut work: impl FnMut(J, Option<R>) -> R) {
        let shared = &*self.0;
        loop {
            let claimed = shared
                .queued
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .recv();
            let Ok((job, result)) = claimed else { return };
            if shared.taker_gone.load(Ordering::Relaxed) {
                return;
            }
            let spare = shared
                .spare
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            // Fails only when the taker is gone.
            let _ = result.send(work(job, spare));
        }
    }
}

/// The taker's end: dropped, everyone stops. Own it in the closure given to
/// `std::thread::scope` (move it in), so that it is dropped if the taker unwinds: borrowed
/// from outside, it outlives the scope's wait for the producer, which waits for room.
pub(super) struct Taker<J, R> {
    shared: Arc<Shared<J, R>>,
    ordered: Receiver<Receiver<R>>,
}

impl<J, R> Taker<J, R> {
    /// The next result in queue order, handing back `done` (a result already used) for a
    /// worker to reuse; `None` once every job's result has been taken, or a worker panicked.
    pub(super) fn next(&mut self, done: Option<R>) -> Option<R> {
        if let Some(r) = done {
            let mut spare = self
                .shared
                .spare
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if spare.len() < self.shared.window {
                spare.push(r);
            }
        }
        self.ordered.recv().ok()?.recv().ok()
    }
}

impl<J, R> Drop for Taker<J, R> {
    fn drop(&mut self) {
        self.shared.taker_gone.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
