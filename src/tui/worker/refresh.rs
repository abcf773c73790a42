//! The records after an action: yanked ones dropped, restored and expired ones read again,
//! with the AUTH users the logs name, and the queue analysed anew.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use rustc_hash::FxHashSet;

use super::{Event, Report, Snapshot, WorkerState};
use crate::actions::Direction;
use crate::queue::{scan, MessageId, MessageRecord};

impl WorkerState {
    /// The records after an action: yanked ones dropped, restored and expired ones read again.
    pub(super) fn refresh_after(&mut self, direction: Direction, ids: &[MessageId]) {
        let Some(old) = self.snapshot.clone() else {
            return;
        };
        if direction == Direction::Purge || ids.is_empty() {
            return;
        }
        let strings = Arc::clone(&old.strings);
        let mut logs = Arc::clone(&old.logs);
        let changed: FxHashSet<_> = ids.iter().copied().collect();
        let mut records: Vec<MessageRecord> = old
            .records
            .iter()
            .filter(|r| !changed.contains(&r.id))
            .cloned()
            .collect();
        // Reading 45,000 restored messages again and analysing the queue take seconds after
        // the gauge is full: the Running box says so (a full gauge that stays reads as hung).
        let started = Instant::now();
        if direction != Direction::Yank {
            let queue = &self.ops.queue;
            let (read, failed) = self.step("reading them again", started, |p| {
                p.total.store(ids.len() as u64, Ordering::Relaxed);
                let (mut read, mut failed) = (Vec::new(), Vec::new());
                for id in ids {
                    p.done.fetch_add(1, Ordering::Relaxed);
                    match scan::read_one(queue, &strings, *id) {
                        Ok(r) => read.push(r),
                        Err(e) => failed.push(format!("message #{id}: read again: {e}")),
                    }
                }
                (read, failed)
            });
            // The AUTH users the logs name, as the scan gave them: without them an undo put
            // `test`'s restored messages under `(none)` and the next plan by sender patterns
            // (newuser50). Read from the logs again: a batch yanked before this session was
            // never correlated here.
            records.extend(read);
            // Over all the records, whose others keep the users they carry: whether this
            // server's AUTH patch marks logins is judged on the queue, not on the batch put
            // back (review50b: an undone batch of relayed mail alone was pinned on a login).
            if self.after.logs_given() {
                match self.after.apply_logs(&mut records, &strings) {
                    Ok(found) => {
                        let mut merged = (*logs).clone();
                        merged.absorb_attributed(found);
                        logs = Arc::new(merged);
                    }
                    Err(e) => self.emit(Event::Worker(Report::Error(e))),
                }
            }
            for e in failed {
                self.emit(Event::Worker(Report::Error(e)));
            }
            // Back in queue order (split directory, then id), as a scan lists them: an undo
            // once put the restored messages at the end of "sort queue".
            let layout = self.ops.queue.layout();
            records.sort_by_key(|r| (layout.bucket(r.id), r.id));
        }
        // The same context as before the action (its now too: rates stay comparable).
        let ctx = crate::analysis::cluster::AnalysisContext {
            now: self.after.now(),
            ..old.basis().ctx.clone()
        };
        self.generation += 1;
        let (generation, unlisted) = (self.generation, self.unlisted_dirs);
        let snap = self.step("analysing the queue", started, move |_| {
            let mut snap = Snapshot::analysed(generation, strings, records, logs, &ctx);
            snap.unlisted_dirs = unlisted;
            Arc::new(snap)
        });
        self.show(snap, false, true);
    }
}
