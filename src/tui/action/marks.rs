//! Marks that outlive the messages they were made on are dropped when new records arrive;
//! `x` clears them all.
//!
//! Another terminal's yank, a delivery or a purge takes marked messages out of the queue; kept,
//! the marks were counted in the header and offered to the next `y` (newuser51: `marked 9,544`
//! after a rescan, `nothing to do for 9,544 marked messages`). And qmail gives a deleted
//! message's inode, its id, to new mail: a mark kept by id across a rescan would land on a
//! message nobody picked, which the yank's own check (`actions::Seen`) would then take as the
//! one planned. So a mark survives new records only on the same message: the same id, the
//! same mess size, and the same birth time when both records have an info file (what
//! `actions::Seen` compares: before qmail-send preprocesses a message its birth is the todo's
//! mtime, after it the info's, minutes later in a flood; review51b: marks made in todo/ were
//! dropped as gone).

use rustc_hash::FxHashMap;

use crate::queue::{MessageId, MessageRecord, Subdir};
use crate::tui::state::{notice, Analysis, AppState, Popup};

/// What tells a message from another at its id: its mess size, and its birth time when it has
/// an info file.
type Seen = (u32, Option<i64>);

/// Drop the marks of messages `new` does not hold, or holds as another message than the
/// records shown until now did; say how many went.
pub(super) fn keep_present(state: &mut AppState, new: &Analysis) {
    if state.marks.ids.is_empty() {
        return;
    }
    // A header pass lists no info/ (its birth time is the Received line's): an info file is
    // known only from an envelope pass.
    let marked = |records: &[MessageRecord], envelopes: bool| -> FxHashMap<MessageId, Seen> {
        (records.iter())
            .filter(|r| state.marks.ids.contains(&r.id))
            .map(|r| {
                let info = envelopes && r.parts.has(Subdir::Info);
                (r.id, (r.size, info.then(|| r.queued())))
            })
            .collect()
    };
    let now = marked(&new.snapshot.records, !new.envelopes_pending);
    let old = (state.data.as_ref()).map(|d| marked(&d.snapshot.records, !d.envelopes_pending));
    let before = state.marks.ids.len();
    state.marks.ids.retain(|id| {
        let Some(&(size, born)) = now.get(id) else {
            return false;
        };
        let same = |&(s, b): &Seen| s == size && (b.is_none() || born.is_none() || b == born);
        old.as_ref().is_none_or(|was| was.get(id).is_none_or(same))
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
