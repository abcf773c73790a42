//! The yanked messages a query selects: what `qtriage restore QUERY` and the TUI's pick-back
//! put back as real mail, judged as the queue's messages are.

use std::collections::HashSet;

use super::{select_with, Query, QueryContext};
use crate::actions::area::YankedView;
use crate::actions::{self, ActionError, Restored};
use crate::analysis::context::AnalysisContext;
use crate::queue::{Interner, MessageRecord, Queue};

/// The messages in `yank_dir` that `query` selects, as their records (headers read: who sent
/// them and what about, to judge what to pick back), read where they lie. `ctx` values the
/// `cluster:` terms as the plan was judged (its default domain names bare logins). Only a query
/// that reads message files (`body:`, `header:`) or envelope files (`rcpt:`) goes through the
/// hard-link view, whose links change the files' ctime ("yanked at"); the others read the
/// yank area as it is.
pub fn select_yanked(
    query: &Query,
    queue: &Queue,
    yank_dir: &std::path::Path,
    strings: &Interner,
    (ctx, now): (&AnalysisContext, i64),
) -> Result<Vec<MessageRecord>, ActionError> {
    let picked = |qctx: &QueryContext<'_>, records: Vec<MessageRecord>| {
        let tables = query
            .needs_tables()
            .then(|| crate::analysis::Tables::of(&records, strings, ctx));
        let chosen = select_with(
            query,
            qctx,
            &records,
            None,
            tables.as_ref().map(|t| t.borrow()),
        );
        let keep: HashSet<usize> = chosen.into_iter().collect();
        (records.into_iter().enumerate())
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, r)| r)
            .collect()
    };
    let scan_error =
        |e: crate::Error| ActionError::io(yank_dir, std::io::Error::other(e.to_string()));
    // Yanked messages, not the queue's: none was restored.
    let restored = Restored::none();
    if query.needs_files() || query.needs_envelopes() {
        let view = YankedView::build(yank_dir, &actions::list_yanked(yank_dir)?)?;
        let (vq, s) = view.scan(strings).map_err(scan_error)?;
        let qctx = QueryContext {
            queue: &vq,
            strings,
            now,
            restored,
        };
        return Ok(picked(&qctx, s.records));
    }
    let records = crate::queue::scan::scan_yank_area(yank_dir, strings)
        .map_err(|e| ActionError::io(yank_dir, e))?;
    // No file is read for this query: the context's queue is never touched.
    let qctx = QueryContext {
        queue,
        strings,
        now,
        restored,
    };
    Ok(picked(&qctx, records))
}
