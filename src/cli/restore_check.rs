//! Before a restore picks messages back as real mail: which of them are culprits' in the
//! ranking of the queue and the yank area together, as `qtriage plan` and `report` judge them.
//!
//! A pick is the operator's verdict that the mail is real: `plan` and `report` leave it from
//! then on. One mistyped query (`restore 'auth:contact@example.com'`, a culprit at 77.6) hid
//! spam from both with no word of it (newuser50b); `yank` warns of the opposite mistake.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use super::clusters::ContextFlags;
use super::GlobalArgs;
use crate::analysis::evidence::from_any_logs;
use crate::analysis::setup::Setup;
use crate::queue::{Interner, MessageId, Queue, ScanOptions};
use crate::report::compose::with_yank_area;

/// Of the messages `picks` (in the yank area), those each culprit of the ranking holds: the
/// culprit's kind and value in words, and how many, most first. Empty when the queue cannot be
/// read (the warning is then not given; the restore itself does not need it).
pub fn culprits_picked(
    global: &GlobalArgs,
    queue: &Queue,
    yank_dir: &Path,
    flags: ContextFlags<'_>,
    picks: &HashSet<MessageId>,
) -> Vec<(String, usize)> {
    let strings = Interner::new();
    let Ok(evidence) = global.load_logs() else {
        return Vec::new();
    };
    let Ok(mut s) = super::scanning::scan(queue, &strings, ScanOptions::default()) else {
        return Vec::new();
    };
    let logs = from_any_logs(&mut s.records, &strings, evidence.as_ref());
    let logs = std::borrow::Cow::Owned(logs);
    let all = with_yank_area(s.records, logs, yank_dir, &strings, |yanked| {
        Ok(from_any_logs(yanked, &strings, evidence.as_ref()))
    });
    let Ok(now) = super::clusters::now() else {
        return Vec::new();
    };
    let ctx = Setup::context(&flags.setup_options(queue.root(), Vec::new(), now)).ctx;
    crate::analysis::plan::picks::culprits_picked_in(
        (&all.records, all.in_queue),
        &strings,
        &ctx,
        &all.logs,
        picks,
    )
}

/// The dry run's warning for `culprits` ([`culprits_picked`]), if any.
pub fn print_warning(out: &mut dyn Write, culprits: &[(String, usize)]) -> std::io::Result<()> {
    match crate::analysis::plan::picks::warning(culprits) {
        Some(w) => writeln!(out, "{w} (restore --batch ID is an undo and picks nothing)"),
        None => Ok(()),
    }
}
