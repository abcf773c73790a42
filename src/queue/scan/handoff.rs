//! Jobs done by worker threads and their results taken in the order the jobs were queued, a
//! bounded number ahead of the taker, with every waiting thread asleep (never spinning).
//!
//! `read` streams qmail-qread's listing this way. A rayon pool, handed one chunk at a time,
//! left its sixteen workers spinning (`sched_yield`) at the end of every chunk while the next was
//! handed over: 48,000 `sched_yield` calls at 100,000 messages (issue 22). Here a worker with
//! nothing to do waits on a condition variable, and the producer queues the next jobs while
//! the last ones are read, so the workers never wait for a chunk boundary.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// The hand-off between one producer (queues jobs), workers (do them) and one taker (takes
/// their results in queue order).
pub(super) struct Handoff<J, R> {
    state: Mutex<State<J, R>>,
    /// Workers wait here for a job, or for room ahead of the taker.
    for_job: Condvar,
    /// The taker waits here for the next result.
    for_result: Condvar,
    /// The producer waits here for the queued jobs to be claimed.
    for_drain: Condvar,
    /// Results (done or in progress) a worker may be ahead of the taker: the bound on the
    /// memory results take.
    window: usize,
}

struct State<J, R> {
    /// Jobs queued and not claimed yet; the front one is job number `claimed`.
    queued: VecDeque<J>,
    /// Jobs claimed so far.
    claimed: u64,
    /// Results handed to the taker so far.
    taken: u64,
    /// The results of jobs `taken..claimed`, `None` while the job is being done.
    ready: VecDeque<Option<R>>,
    /// Results the taker is done with, for workers to fill again (their buffers reused).
    spare: Vec<R>,
    /// The producer queues no more jobs.
    closed: bool,
    /// Everyone stops: the taker went away, or a thread panicked.
    stopped: bool,
    /// Threads waiting on each condition variable, so that nobody is woken in vain (each wake
    /// is a system call).
    idle_workers: usize,
    taker_waits: bool,
    producer_waits: bool,
}

impl<J, R> Handoff<J, R> {
    /// A hand-off letting workers be at most `window` (at least 1) results ahead of the taker.
    pub(super) fn new(window: usize) -> Handoff<J, R> {
        Handoff {
            state: Mutex::new(State {
                queued: VecDeque::new(),
                claimed: 0,
                taken: 0,
                ready: VecDeque::new(),
                spare: Vec::new(),
                closed: false,
                stopped: false,
                idle_workers: 0,
                taker_waits: false,
                producer_waits: false,
            }),
            for_job: Condvar::new(),
            for_result: Condvar::new(),
            for_drain: Condvar::new(),
            window: window.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<J, R>> {
        // Nothing panics while holding the lock; a poisoned lock is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queue `jobs` (the producer's side). False when everyone has stopped.
    pub(super) fn push(&self, jobs: impl IntoIterator<Item = J>) -> bool {
        let mut s = self.lock();
        if s.stopped {
            return false;
        }
        s.queued.extend(jobs);
        if s.idle_workers > 0 {
            self.for_job.notify_all();
        }
        true
    }

    /// Wait until every queued job has been claimed by a worker (the producer's side, so that
    /// what it queues next is not held long before it is read). False when everyone stopped.
    pub(super) fn drained(&self) -> bool {
        let mut s = self.lock();
        while !s.queued.is_empty() && !s.stopped {
            s.producer_waits = true;
            s = self
                .for_drain
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
        }
        s.producer_waits = false;
        !s.stopped
    }

    /// No more jobs will be queued.
    pub(super) fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        self.wake_all(&s);
    }

    /// Everyone stops: queued jobs are dropped, workers and the producer return, the taker
    /// takes nothing more.
    pub(super) fn stop(&self) {
        let mut s = self.lock();
        s.stopped = true;
        s.queued.clear();
        self.wake_all(&s);
    }

    fn wake_all(&self, s: &State<J, R>) {
        if s.idle_workers > 0 {
            self.for_job.notify_all();
        }
        if s.taker_waits {
            self.for_result.notify_all();
        }
        if s.producer_waits {
            self.for_drain.notify_all();
        }
    }

    /// A worker's loop: claim jobs and do them with `work` (given a spare result to reuse, when
    /// there is one) until the producer is done and no job is left, or everyone stops.
    pub(super) fn work(&self, mut work: impl FnMut(J, Option<R>) -> R) {
        let _stop_if_panicking = StopOnPanic(self);
        let mut s = self.lock();
        loop {
            if s.stopped || (s.closed && s.queued.is_empty()) {
                return;
            }
            let room = s.ready.len() < self.window;
            let claimed = if room { s.queued.pop_front() } else { None };
            let Some(job) = claimed else {
                s.idle_workers += 1;
                s = self.for_job.wait(s).unwrap_or_else(PoisonError::into_inner);
                s.idle_workers -= 1;
                continue;
            };
            let number = s.claimed;
            s.claimed += 1;
            s.ready.push_back(None);
            if s.queued.is_empty() && s.producer_waits {
                self.for_drain.notify_one();
            }
            if s.queued.is_empty() && s.closed && s.idle_workers > 0 {
                // The last job: the workers waiting for one are done.
                self.for_job.notify_all();
            }
            let spare = s.spare.pop();
            drop(s);
            let result = work(job, spare);
            s = self.lock();
            if s.stopped {
                return;
            }
            let at = (number - s.taken) as usize;
            s.ready[at] = Some(result);
            if at == 0 && s.taker_waits {
                self.for_result.notify_one();
            }
        }
    }

    /// The taker's side: the next result in queue order, handing back `done` (a result
    /// already used) for a worker to reuse; `None` once every job's result has been taken,
    /// or everyone stopped.
    pub(super) fn next(&self, done: Option<R>) -> Option<R> {
        let mut s = self.lock();
        if let Some(r) = done {
            if s.spare.len() < self.window {
                s.spare.push(r);
            }
        }
        loop {
            if s.stopped {
                return None;
            }
            if let Some(Some(_)) = s.ready.front() {
                let r = s.ready.pop_front().flatten();
                s.taken += 1;
                if s.idle_workers > 0 && !s.queued.is_empty() {
                    // Room ahead again for a worker held back by the window.
                    self.for_job.notify_one();
                }
                return r;
            }
            if s.closed && s.queued.is_empty() && s.ready.is_empty() {
                return None;
            }
            s.taker_waits = true;
            s = self
                .for_result
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
            s.taker_waits = false;
        }
    }
}

/// Stops the hand-off when the thread holding it unwinds, so that no other thread waits for
/// a job or result that will never come (the scope then re-raises the panic).
pub(super) struct StopOnPanic<'a, J, R>(pub(super) &'a Handoff<J, R>);

impl<J, R> Drop for StopOnPanic<'_, J, R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

#[cfg(test)]
mod tests;
