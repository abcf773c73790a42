//! The messages the operator picked back from the queue's yank area, as every command reads
//! them ([`Restored::in_queue`]), and what a command says when it cannot.

use crate::actions::{self, Restored};
use crate::query::Query;
use std::io::Write;

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

/// Of the messages `plan` (a yank's or an expire's) acts on, those the operator picked back as
/// real mail, for its dry run to warn of, from `read` when the selection read them already;
/// `None` when a restore journal cannot be read (said on stderr: a dry run goes on).
pub fn picked_back_in(
    queue: &Queue,
    plan: &actions::Plan,
    read: Option<&Restored>,
) -> Option<usize> {
    if let Some(r) = read {
        return Some(plan.messages.iter().filter(|m| r.contains(m.id)).count());
    }
    match restored_in(queue) {
        Ok(r) => Some(plan.messages.iter().filter(|m| r.contains(m.id)).count()),
        Err(e) => {
            let e = crate::sanitize::sanitize_str(&e.to_string()).into_owned();
            warnln!("qtriage: warning: {e}");
            None
        }
    }
}

/// The dry run's warning that `n` of the messages it acts on were picked back as real mail
/// (nothing when none was); `then` says what acting on them does.
pub fn print_picked_back(out: &mut dyn Write, n: Option<usize>, then: &str) -> std::io::Result<()> {
    let Some(n) = n.filter(|n| *n > 0) else {
        return Ok(());
    };
    let n = crate::size::counted(n as u64, "of these was", "of these were");
    writeln!(
        out,
        "careful: {n} picked back from the yank area as real mail (qtriage list restored:yes \
         lists them); {then}"
    )
}

/// What yanking picked-back mail does.
pub const YANKING_PICKS: &str = "yanking them takes that verdict back";

/// What expiring picked-back mail does: the verdict stands (its mess file is not touched), but
/// qmail-send bounces it.
pub const EXPIRING_PICKS: &str = "expiring them has qmail-send bounce them (they stay picked back)";
