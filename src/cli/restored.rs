//! The messages the operator picked back from the queue's yank area, as every command reads
//! them ([`Restored::in_queue`]), and what a command says when it cannot.

use crate::actions::{self, Restored};
use crate::query::Query;
use crate::queue::Queue;

/// The messages of `queue` the operator picked back from its default yank area
/// ([`Restored::in_queue`]): the one `plan`, `list` and `report` read, whatever `--yank-dir`
/// an action is given, so `yank --yank-dir D "$(qtriage plan --query)"` leaves what the plan
/// left (a pick from another area is no verdict: `actions::RestoreSelection::Picked`). A
/// restore journal that cannot be read is an error: without it the plan would take that mail
/// again.
pub fn restored_in(queue: &Queue) -> anyhow::Result<Restored> {
    Restored::in_queue(queue, &actions::default_yank_dir(queue.root()))
        .map_err(|e| anyhow::anyhow!(actions::restored::unknown_words(&e)))
}

/// The messages the operator picked back from the queue's yank area, read only when `query`
/// asks (`restored:`); an error when a restore journal cannot be read.
pub fn restored_for(query: &Query, queue: &Queue) -> anyhow::Result<Restored> {
    Ok(match query.needs_restored() {
        true => restored_in(queue)?,
        false => Restored::default(),
    })
}
