//! Marks that outlive the messages they were made on are dropped when new records arrive;
//! `x` clears them all.
//!
//! Another terminal's yank, a delivery or a purge takes marked messages out of the queue; kept,
//! the marks were counted in the header and offered to the next `y` (newuser51: `marked 9,544`
//! after a rescan, `nothing to do for 9,544 marked messages`). And qmail gives a deleted
//! message's inode, its id, to new mail: a mark kept by id across a rescan would land on a
//! message nobody picked, which the yank's own check (`actions::Seen`) would then take as the
//! one planned. So a mark survives new records only on the same message: the same id, the
//! same mess size, and the same birth time when both sets of records read the envelopes.

use rustc_hash::FxHashMap;

use crate::queue::{MessageId, MessageRecord};
use crate::tui::state::{notice, Analysis, AppState, Popup};

/// Drop the marks of messages `new` does not hold, or holds as another message than the
/// records shown until now did; say how many went.
pub(super) fn keep_present(state: &mut AppState, new: &Analysis) {
    if state.marks.ids.is_empty() {
        return;
    }
    let marked = |records: &[MessageRecord]| -> FxHashMap<MessageId, (u32, i64)> {
        (records.iter())
            .filter(|r| state.marks.ids.contains(&r.id))
            .map(|r| (r.id, (r.size, r.queued())))
            .collect()
    };
    let now = marked(&new.snapshot.records);
    // A header pass' birth time is its Received line's, an envelope pass' the info file's:
    // compared only when both read the envelopes.
    let old = state.data.as_ref().map(|d| {
        let times = !d.envelopes_pending && !new.envelopes_pending;
        (marked(&d.snapshot.records), times)
    });
    let before = state.marks.ids.len();
    state.marks.ids.retain(|id| {
        let Some(&(size, born)) = now.get(id) else {
            return false;
        };
        match &old {
            Some((was, times)) => was
                .get(id)
                .is_none_or(|&(s, b)| s == size && (!times || b == born)),
            None => true,
        }
    });
    let gone = before - state.marks.ids.len();
    // During this TUI's own action its records come back without what it moved, before it
    // says what it did: its own words, not these.
    let own_action = matches!(state.popup, Popup::Running { .. });
    if gone > 0 && !own_action {
        let what = crate::size::counted(gone as u64, "marked message", "marked messages");
        let text = format!(
            "{what} left the queue since marked (yanked, delivered or removed elsewhere): unmarked"
        );
        notice(state, text, false);
    }
}

/// `x`: forget every mark, saying how many.
pub(super) fn clear(state: &mut AppState) {
    // How many: an Alt chord arrives as Esc then the key, and `x` is one keystroke away from
    // a big marking (newuser51 lost 37,980 marks that way without noticing).
    let n = state.marks.ids.len();
    state.marks.ids.clear();
    let text = match n {
        0 => "nothing was marked".to_string(),
        n => format!(
            "{} cleared",
            crate::size::counted(n as u64, "mark", "marks")
        ),
    };
    notice(state, text, false);
}
