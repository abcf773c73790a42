//! What the UI draws from a snapshot: its clusters by a key, the records a query selects, and
//! every message order; pure functions of the snapshot, run on the worker thread. And the few
//! messages of a restore it shows, read from the yank area.

use std::sync::atomic::AtomicU64;

use rustc_hash::FxHashMap;

use crate::actions::Restored;
use crate::analysis::cluster::Cluster;
use crate::analysis::key::ClusterKey;
use crate::analysis::rank::{Verdict, OF_QUEUE};
use crate::query::{select_with, Query, QueryContext};
use crate::tui::ops::Ops;
use crate::tui::state::{Clustering, Order, Orders, Selection, Snapshot};

/// The largest clusters of a clustering whose reasons are written with it (every culprit's and
/// suspect's are too); the others' are written when the operator selects one ([`explain`]).
pub const REASONS_WRITTEN: usize = 256;

/// Group a snapshot's records by `key`, with each record's cluster index: the snapshot's own
/// analysis ([`Snapshot::basis`], its logs too), so the TUI ranks exactly as `qtriage top`.
/// The members move into `cluster_of` (see [`Clustering::clusters`]).
pub fn clustering(s: &Snapshot, key: ClusterKey) -> Clustering {
    let basis = s.basis();
    let (records, strings) = (&s.records, &s.strings);
    let mut clusters = basis.clusters_explaining(records, strings, &s.logs, key, REASONS_WRITTEN);
    let mut cluster_of = vec![0u32; s.records.len()];
    for (ci, c) in clusters.iter_mut().enumerate() {
        for m in std::mem::take(&mut c.members) {
            if let Some(slot) = cluster_of.get_mut(m as usize) {
                *slot = ci as u32;
            }
        }
    }
    Clustering {
        generation: s.generation,
        key,
        clusters,
        cluster_of,
    }
}

/// [`clustering`] by `key` while it holds a culprit, else by the key of the ranking's first
/// cluster when it is a culprit or a suspect: a flood without SMTP AUTH (an open relay's IPs, a
/// PHP script) opened on one `(none)` cluster of auth-user, the operator's run found; a shared
/// host's plugin run, which the ranking holds as a suspect of uid 48 above every login, opened
/// on the logins, with no word of it in sight (newuser56). Until the operator picks a key.
pub fn opening_clustering(s: &Snapshot, key: ClusterKey) -> Clustering {
    let is_culprit =
        |c: &crate::analysis::cluster::Cluster| Verdict::of(c.score) == Verdict::Culprit;
    let first = clustering(s, key);
    if first.clusters.iter().any(is_culprit) {
        return first;
    }
    let top = s.basis().top(&s.records, &s.strings, &s.logs, 1, OF_QUEUE);
    let worth = |c: &&crate::analysis::cluster::Cluster| {
        c.key != key && Verdict::of(c.score) != Verdict::Legitimate
    };
    match top.first().filter(worth) {
        Some(c) => {
            // Not two clusterings of a million records at once.
            drop(first);
            clustering(s, c.key)
        }
        None => first,
    }
}

/// The reasons of `cluster` (one of a clustering of `s`, with its members), which its
/// clustering did not write ([`REASONS_WRITTEN`]).
pub fn explain(s: &Snapshot, mut cluster: Cluster) -> Vec<String> {
    s.basis()
        .explain(&s.records, &s.strings, &s.logs, &mut cluster);
    cluster.reasons
}

/// The records of a snapshot that `query` matches, as a bit set; `restored:` is answered from
/// the yank area of `ops`. When a restore journal there cannot be read, a query that asks is
/// refused (the words say why), as the CLI refuses it: `restored:no` would select the picks.
pub fn selection(ops: &Ops, s: &Snapshot, query: &Query) -> Result<Selection, String> {
    let basis = s.basis();
    let restored = match query.needs_restored() {
        true => Restored::in_queue(&ops.queue, &ops.yank_dir)
            .map_err(|e| crate::actions::restored::unknown_words(&e))?,
        false => Restored::default(),
    };
    let ctx = QueryContext {
        queue: &ops.queue,
        strings: &s.strings,
        now: basis.ctx.now,
        restored: &restored,
    };
    let counter = AtomicU64::new(0);
    let tables = Some(basis.tables());
    let picked = select_with(query, &ctx, &s.records, Some(&counter), tables);
    let mut bits = vec![0u64; s.records.len().div_ceil(64)];
    for &i in &picked {
        if let Some(w) = bits.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    Ok(Selection {
        generation: s.generation,
        query: query.clone(),
        bits,
        count: picked.len(),
    })
}

/// Every record index in each message order (queue, age, size, sender); the queue order, and
/// any other that comes out the same, kept as its length ([`Order::of`]).
pub fn orders(s: &Snapshot) -> Orders {
    let rec = |i: u32| &s.records[i as usize];
    let all = || (0..s.records.len() as u32).collect::<Vec<u32>>();
    let mut age = all();
    age.sort_by_cached_key(|&i| (rec(i).queued(), rec(i).id));
    let mut size = all();
    size.sort_by_cached_key(|&i| (std::cmp::Reverse(rec(i).size), rec(i).id));
    // Resolve each distinct sender once, then order rows by the sender's rank.
    let mut distinct: Vec<_> = s.records.iter().filter_map(|r| r.sender).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let mut named: Vec<_> = distinct
        .into_iter()
        .map(|x| (s.strings.resolve(x), x))
        .collect();
    named.sort();
    let rank: FxHashMap<_, usize> = named
        .iter()
        .enumerate()
        .map(|(n, (_, x))| (*x, n))
        .collect();
    let mut sender = all();
    sender.sort_by_cached_key(|&i| (rec(i).sender.and_then(|x| rank.get(&x).copied()), rec(i).id));
    Orders {
        by: [
            Order::Records(s.records.len() as u32),
            Order::of(age),
            Order::of(size),
            Order::of(sender),
        ],
    }
}

/// Messages of a restore its confirmation shows.
const RESTORE_SAMPLE: usize = 3;
/// Characters of a sender or subject a confirmation shows: a few rows at most, so the counts
/// under it stay on the popup's first page.
pub const SHOWN_CHARS: usize = 120;

/// A restore's first messages as `<sender>  subject`, as `qtriage restore`'s dry run shows them
/// (sanitized, each cut at [`SHOWN_CHARS`]; `-` for no subject), read from the yank area for
/// them alone.
pub fn restore_sample(plan: &crate::actions::Plan) -> Vec<String> {
    let strings = crate::queue::Interner::new();
    let text = |sym: Option<crate::queue::Sym>, none: &str| match sym {
        Some(s) => crate::sanitize::clipped(
            crate::sanitize::sanitize_bytes(&strings.resolve(s)),
            SHOWN_CHARS,
        ),
        None => none.to_string(),
    };
    (crate::actions::restore::sample_records(plan, RESTORE_SAMPLE, &strings).iter())
        .map(|r| format!("<{}>  {}", text(r.sender, ""), text(r.headers.subject, "-")))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::tui::state::MessageSort;
    use crate::tui::testdata::analysis;

    #[test]
    fn orders_keep_the_records_own_order_as_its_length() {
        let a = analysis(30, 7, false);
        let s = &a.snapshot;
        let o = orders(s);
        assert!(matches!(o.get(MessageSort::Queue), Order::Records(37)));
        let size: Vec<u32> = o.get(MessageSort::Size).iter().collect();
        let mut want: Vec<u32> = (0..37).collect();
        want.sort_by_key(|&i| {
            (
                std::cmp::Reverse(s.records[i as usize].size),
                s.records[i as usize].id,
            )
        });
        assert_eq!(size, want);
        // The header pass knows no sender: its sender order is the records' own.
        let records = s.records.iter().cloned().map(|mut r| {
            r.sender = None;
            r
        });
        let heads = Snapshot::new(
            2,
            Arc::clone(&s.strings),
            records.collect(),
            Default::default(),
        );
        assert!(matches!(
            orders(&heads).get(MessageSort::Sender),
            Order::Records(37)
        ));
    }
}
