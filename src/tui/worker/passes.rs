//! The worker's scan: the mess headers' pass shown at once, then the envelopes' pass merged in,
//! each on a thread of its own reporting its progress.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::{WorkerState, LET_GO_WAIT, PROGRESS_EVERY};
use crate::analysis::evidence::LogFacts;
use crate::queue::{scan_envelopes, scan_headers, Interner, Progress, Queue, Scan};
use crate::tui::event::{Event, Report};
use crate::tui::state::Snapshot;

/// A scan pass running on its own thread.
struct Pass {
    result: Receiver<crate::Result<Scan>>,
    progress: Arc<Progress>,
    start: Instant,
}

impl WorkerState {
    /// Scan in two passes: the mess headers first, shown at once (the ranking by AUTH user, IP,
    /// uid, script and subject needs nothing else, and it is there in well under half the
    /// time), then the envelopes merged in and shown again.
    pub(super) fn scan(&mut self) {
        self.scanning = true;
        self.scan_passes();
        self.scanning = false;
        if self.yank_area_shown {
            self.list_yank_area();
        }
        self.idle();
    }

    /// [`Self::scan`]'s two passes; failures are reported as `Report::ScanFailed`.
    fn scan_passes(&mut self) {
        let strings = Arc::new(Interner::new());
        let heads = self
            .start_pass(Arc::clone(&strings), scan_headers)
            .and_then(|pass| self.finish_pass(pass));
        let Some(heads) = heads else { return };
        let began = heads.report.started;
        self.unlisted_dirs = heads.report.unreadable_dirs.len();
        // Shown at once: the context is cheap (control files, passwd); logs come later.
        let light = self.after.light_context();
        let first = self.new_snapshot(
            Arc::clone(&strings),
            heads.records,
            Default::default(),
            &light,
        );
        // Shown before the envelope pass starts: run alongside it, the clustering came later
        // (measured: 0.51-0.63 s instead of 0.39-0.44 s at 100,000) and the pass no sooner.
        self.show(Arc::clone(&first), true, false);
        // Its views are sent; the envelope pass is the peak and asks it for nothing.
        first.let_basis_go();
        // The envelope pass borrows the shown records (not a copy of a million).
        let shown = Arc::downgrade(&first);
        let pass = self.start_pass(Arc::clone(&strings), move |q, st, pr| {
            scan_envelopes(q, st, &first.records, began, pr)
        });
        let Some(mut s) = pass.and_then(|pass| self.finish_pass(pass)) else {
            return;
        };
        self.unlisted_dirs = s.report.unreadable_dirs.len();
        self.let_go(shown);
        // The one way into the analysis, as `top` takes it: control files, passwd, lastauth,
        // logs, now. As `top --log` does: messages whose headers name no AUTH user get the one
        // their logs name, so the clusters show it.
        let setup = self.after.load_setup();
        let ctx = match &setup {
            Ok(s) => s.ctx.clone(),
            Err(_) => self.after.context(self.after.now()),
        };
        let logs = match &setup {
            Ok(setup) => setup.apply_logs(&mut s.records, &strings),
            Err(note) => {
                self.emit(Event::Worker(Report::Error(note.clone())));
                LogFacts::default()
            }
        };
        self.publish(strings, s.records, Arc::new(logs), &ctx);
    }

    /// Let the header pass' snapshot go before the envelope pass' analysis is built: at a
    /// million messages its records are 120 MB, and with them, the new records and two analyses
    /// alive at once the TUI peaked at 398.5 MiB. The UI drops its copy when told
    /// ([`Report::Analysing`]); this waits for that, a little (a UI that does not answer in
    /// time costs memory, not correctness).
    fn let_go(&mut self, shown: Weak<Snapshot>) {
        self.snapshot = None;
        self.emit(Event::Worker(Report::Analysing));
        let deadline = Instant::now() + LET_GO_WAIT;
        while shown.strong_count() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Start one scan pass on a thread of its own; `None` (reported) when it cannot start.
    fn start_pass(
        &mut self,
        strings: Arc<Interner>,
        pass: impl FnOnce(&Queue, &Interner, &Progress) -> crate::Result<Scan> + Send + 'static,
    ) -> Option<Pass> {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = mpsc::channel();
        let (q, pr) = (self.ops.queue.clone(), Arc::clone(&progress));
        let spawned = std::thread::Builder::new()
            .name("qtriage-scan".into())
            .spawn(move || {
                let _ = tx.send(pass(&q, &strings, &pr));
            });
        match spawned {
            Ok(_) => Some(Pass {
                result: rx,
                progress,
                start: Instant::now(),
            }),
            Err(e) => {
                self.emit(Event::Worker(Report::ScanFailed(format!(
                    "cannot start the scan: {e}"
                ))));
                None
            }
        }
    }

    /// Report a started pass' progress until it ends; `None` (reported) when it failed.
    fn finish_pass(&mut self, pass: Pass) -> Option<Scan> {
        let Pass {
            result,
            progress,
            start,
        } = pass;
        let result = loop {
            match result.recv_timeout(PROGRESS_EVERY) {
                Ok(r) => break r,
                Err(RecvTimeoutError::Timeout) => {
                    let ms = start.elapsed().as_millis() as u64;
                    self.emit(Event::Worker(Report::Scan(progress.snapshot(), ms)));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.emit(Event::Worker(Report::ScanFailed(
                        "the scan stopped unexpectedly".into(),
                    )));
                    return None;
                }
            }
        };
        self.emit(Event::Worker(Report::Scan(
            progress.snapshot(),
            start.elapsed().as_millis() as u64,
        )));
        match result {
            Ok(s) => Some(s),
            Err(e) => {
                self.emit(Event::Worker(Report::ScanFailed(format!(
                    "scan failed: {e}"
                ))));
                None
            }
        }
    }
}
