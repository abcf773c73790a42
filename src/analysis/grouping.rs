//! Group records by a key's value compactly: a few totals per value, members in one array.
//!
//! A flood's forged senders, random HELOs and subjects make hundreds of thousands of clusters
//! of one or two messages per key. Grouped straight into [`Cluster`]s (about 140 bytes each,
//! one member list each, in a hash map and then again in the sorted list) they were most of
//! `top`'s memory beyond the records at a million messages. Here a value is its totals (56
//! bytes) and its members a slice of one array of record indices; a caller makes a [`Cluster`]
//! only of the values it keeps.

use std::cmp::{Ordering, Reverse};
use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::context::AnalysisContext;
use super::key::{ClusterKey, KeyExtractor, KeyValue};
use super::signals::Facts;
use super::types::Cluster;
use crate::queue::{Interner, MessageRecord};

/// One value's totals: what a [`Cluster`] counts, without the members. 40 bytes: a flood's
/// random HELOs and forged senders make hundreds of thousands of values per key, two keys
/// grouped at once (at 56 bytes they were 20 MB more at a million messages).
#[derive(Debug, Clone, Copy)]
struct Totals {
    value: Option<KeyValue>,
    messages: u32,
    /// Messages of the hour before "now": the rate is summed from it ([`per_minute`]).
    last_hour: u32,
    recipients: u64,
    bytes: u64,
    /// The oldest and newest known birth times, in the record's 4 bytes; `last_queued` 0 when
    /// no member's is known (a known one is never 0).
    first_queued: u32,
    last_queued: u32,
}

impl Totals {
    /// No message of `value` yet.
    fn of(value: Option<KeyValue>) -> Totals {
        Totals {
            value,
            messages: 0,
            last_hour: 0,
            recipients: 0,
            bytes: 0,
            first_queued: u32::MAX,
            last_queued: 0,
        }
    }

    /// Count `r`, born in the hour to `now` when after `hour_ago`.
    fn add(&mut self, r: &MessageRecord, hour_ago: i64, now: i64) {
        self.messages += 1;
        if r.queued() > hour_ago && r.queued() <= now {
            self.last_hour += 1;
        }
        self.recipients += r.recipients.len() as u64;
        self.bytes += u64::from(r.size);
        // An unknown birth time (0) would make every such cluster start in 1970.
        if let Some(b) = r.birth() {
            // A record's birth time fits 4 bytes (`MessageRecord::set_queued`).
            let b = u32::try_from(b).unwrap_or(u32::MAX);
            self.first_queued = self.first_queued.min(b);
            self.last_queued = self.last_queued.max(b);
        }
    }

    /// The cluster of these totals, no score yet.
    fn cluster(self, key: ClusterKey, members: Vec<u32>) -> Cluster {
        Cluster {
            key,
            value: self.value,
            members,
            messages: self.messages as usize,
            recipients: self.recipients as usize,
            bytes: self.bytes,
            // 0 (unknown) when no member's birth time is known.
            first_queued: if self.last_queued == 0 {
                0
            } else {
                i64::from(self.first_queued)
            },
            last_queued: i64::from(self.last_queued),
            per_minute: per_minute(self.last_hour),
            score: 0.0,
            reasons: Vec::new(),
        }
    }
}

/// The cluster of `key`'s `value` made of `members` (indices into `records`, which have that
/// value), counted as [`group`] counts one: for one value's cluster without grouping them all.
pub(crate) fn cluster_of_members(
    records: &[MessageRecord],
    ctx: &AnalysisContext,
    (key, value): (ClusterKey, Option<KeyValue>),
    members: Vec<u32>,
) -> Cluster {
    let mut t = Totals::of(value);
    for r in members.iter().filter_map(|&i| records.get(i as usize)) {
        t.add(r, ctx.now - 3600, ctx.now);
    }
    t.cluster(key, members)
}

/// Messages a minute over the hour before "now" for `n` messages in it: 1/60 added per
/// message, as clusters always summed it (the rate's text and the score's rounding depend on
/// the last bit).
fn per_minute(n: u32) -> f64 {
    (0..n).fold(0.0, |sum, _| sum + 1.0 / 60.0)
}

/// The records grouped by one key's value, in no order yet.
pub(crate) struct Grouping {
    totals: Vec<Totals>,
    /// Record indices, value by value (each value's in record order).
    members: Vec<u32>,
    /// Where each value's members start in `members`; one more entry than values.
    starts: Vec<u32>,
}

/// Group `records` by `value(index, record)`. `ctx.now` dates the last hour's rate.
pub(crate) fn group(
    records: &[MessageRecord],
    ctx: &AnalysisContext,
    mut value: impl FnMut(usize, &MessageRecord) -> Option<KeyValue>,
) -> Grouping {
    let hour_ago = ctx.now - 3600;
    let mut index: HashMap<Option<KeyValue>, u32> = HashMap::default();
    let mut totals: Vec<Totals> = Vec::new();
    // Which value each record has: the members are laid out from it once the counts are known.
    let mut value_of: Vec<u32> = Vec::with_capacity(records.len());
    // Records come in queue order, where a flood's messages of one value come in runs: a run
    // costs one lookup, not one a record.
    let mut last: Option<(Option<KeyValue>, u32)> = None;
    for (i, r) in records.iter().enumerate() {
        let v = value(i, r);
        let next = totals.len() as u32;
        let at = match last {
            Some((lv, at)) if lv == v => at,
            _ => *index.entry(v).or_insert(next),
        };
        last = Some((v, at));
        if at == next {
            totals.push(Totals::of(v));
        }
        // `at` is below `totals.len()`: pushed just now or on an earlier record.
        totals[at as usize].add(r, hour_ago, ctx.now);
        value_of.push(at);
    }
    drop(index);
    totals.shrink_to_fit();
    let mut starts = Vec::with_capacity(totals.len() + 1);
    let mut at = 0u32;
    starts.push(0);
    for t in &totals {
        at += t.messages;
        starts.push(at);
    }
    let mut next = starts.clone();
    let mut members = vec![0u32; value_of.len()];
    // Each value's slots are its count from its start, so every slot is filled exactly once.
    for (i, &v) in value_of.iter().enumerate() {
        let slot = &mut next[v as usize];
        members[*slot as usize] = i as u32;
        *slot += 1;
    }
    Grouping {
        totals,
        members,
        starts,
    }
}

/// A cluster value in list order: text values by their bytes.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortText {
    Bytes(Arc<[u8]>),
    Value(KeyValue),
}

impl Grouping {
    /// The value of cluster `c`.
    pub(crate) fn value(&self, c: usize) -> Option<KeyValue> {
        self.totals.get(c).and_then(|t| t.value)
    }

    /// The members of cluster `c` (one of [`Grouping::all`]), in record order.
    pub(crate) fn members(&self, c: usize) -> &[u32] {
        &self.members[self.starts[c] as usize..self.starts[c + 1] as usize]
    }

    /// The clusters in no particular order.
    pub(crate) fn all(&self) -> std::ops::Range<usize> {
        0..self.totals.len()
    }

    /// How clusters `a` and `b` compare in list order ([`Grouping::order`]), without copying
    /// text out: for picking a few of many.
    pub(crate) fn list_order(&self, a: usize, b: usize, strings: &Interner) -> Ordering {
        let (x, y) = (&self.totals[a], &self.totals[b]);
        y.messages
            .cmp(&x.messages)
            .then_with(|| match (x.value, y.value) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                // As [`SortText`].
                (Some(p), Some(q)) => p.cmp_text(&q, strings),
            })
    }

    /// The clusters in list order: largest first, ties by the value's text.
    pub(crate) fn order(&self, strings: &Interner) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.totals.len()).collect();
        // Ties by the value's text, not its symbol: symbols depend on interning order, and the
        // same queue must list the same way every run.
        order.sort_by_cached_key(|&c| {
            let t = &self.totals[c];
            let text = t.value.map(|v| match v {
                KeyValue::Text(s) => SortText::Bytes(strings.resolve(s)),
                other => SortText::Value(other),
            });
            (Reverse(t.messages), text)
        });
        order
    }

    /// Cluster `c` (one of [`Grouping::all`]) of `key`, no score yet; `with_members` false
    /// leaves the member list empty, to be recomputed if ever needed.
    pub(crate) fn cluster(&self, key: ClusterKey, c: usize, with_members: bool) -> Cluster {
        let members = if with_members {
            self.members(c).to_vec()
        } else {
            Vec::new()
        };
        self.totals[c].cluster(key, members)
    }
}

/// Group by the extractor's key, largest first, no scores yet; subject templates and networks
/// are taken from `facts` (no second derivation per message: they are the values those keys
/// compute).
pub(crate) fn group_with_facts(
    records: &[MessageRecord],
    ex: KeyExtractor<'_>,
    ctx: &AnalysisContext,
    facts: &Facts,
) -> Vec<Cluster> {
    let (key, strings) = (ex.key(), ex.strings());
    group_by(records, (key, strings), ctx, value_with_facts(ex, facts))
}

/// The members of the cluster of `value` that [`group_with_facts`] with the same extractor
/// and facts would make: for a cluster whose member list was let go to save memory.
pub(crate) fn members_with_facts(
    records: &[MessageRecord],
    ex: KeyExtractor<'_>,
    facts: &Facts,
    value: Option<KeyValue>,
) -> Vec<u32> {
    let mut value_of = value_with_facts(ex, facts);
    let mut members = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if value_of(i, r) == value {
            members.push(i as u32);
        }
    }
    members
}

/// The members of every cluster of `values` (of the extractor's key) at once, each list as
/// [`members_with_facts`] gives it: one pass over the records for all the clusters of a key that
/// let their lists go, instead of one pass each.
pub(crate) fn members_of_values(
    records: &[MessageRecord],
    ex: KeyExtractor<'_>,
    facts: &Facts,
    values: &[Option<KeyValue>],
) -> HashMap<Option<KeyValue>, Vec<u32>> {
    let mut lists: HashMap<Option<KeyValue>, Vec<u32>> =
        values.iter().map(|v| (*v, Vec::new())).collect();
    let mut value_of = value_with_facts(ex, facts);
    for (i, r) in records.iter().enumerate() {
        if let Some(list) = lists.get_mut(&value_of(i, r)) {
            list.push(i as u32);
        }
    }
    lists
}

/// The value of record `i` for the extractor's key, subject templates and networks taken from
/// `facts`.
pub(crate) fn value_with_facts<'a>(
    mut ex: KeyExtractor<'a>,
    facts: &'a Facts,
) -> impl FnMut(usize, &MessageRecord) -> Option<KeyValue> + 'a {
    let key = ex.key();
    move |i, r| match key {
        ClusterKey::Subject => facts.template(i),
        ClusterKey::OriginNet => facts.net(i),
        _ => ex.value(r),
    }
}

/// Group by precomputed values (`value(index, record)`), largest first; no scores yet.
pub(crate) fn group_by(
    records: &[MessageRecord],
    (key, strings): (ClusterKey, &Interner),
    ctx: &AnalysisContext,
    value: impl FnMut(usize, &MessageRecord) -> Option<KeyValue>,
) -> Vec<Cluster> {
    let g = super::grouping::group(records, ctx, value);
    g.order(strings)
        .into_iter()
        .map(|c| g.cluster(key, c, true))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{MessageId, Parts};

    #[test]
    fn list_order_agrees_with_the_sorted_order_and_members_add_up() {
        let s = Interner::new();
        // Values in many shards, sizes with ties, and records without a value.
        let values: Vec<Option<KeyValue>> = (0..400u32)
            .map(|i| match i % 7 {
                0 => None,
                _ => Some(KeyValue::Text(
                    s.intern(format!("v{}", (i * 31) % 97).as_bytes()),
                )),
            })
            .collect();
        let records: Vec<MessageRecord> = (0..values.len() as u64)
            .map(|i| MessageRecord::listed(MessageId(i), Parts::default()))
            .collect();
        let ctx = AnalysisContext::default();
        let g = group(&records, &ctx, |i, _| values[i]);
        let order = g.order(&s);
        for pair in order.windows(2) {
            assert_eq!(g.list_order(pair[0], pair[1], &s), Ordering::Less);
        }
        let mut by_list_order: Vec<usize> = g.all().rev().collect();
        by_list_order.sort_by(|&a, &b| g.list_order(a, b, &s));
        assert_eq!(by_list_order, order);
        let mut seen = 0;
        for c in g.all() {
            let cluster = g.cluster(ClusterKey::Helo, c, true);
            assert_eq!(cluster.members.len(), cluster.messages);
            assert!(cluster.members.windows(2).all(|w| w[0] < w[1]));
            assert!(cluster
                .members
                .iter()
                .all(|&m| values[m as usize] == cluster.value));
            seen += cluster.messages;
        }
        assert_eq!(seen, records.len());
        assert!(g.cluster(ClusterKey::Helo, 0, false).members.is_empty());
    }

    #[test]
    fn the_rate_is_summed_per_message_as_clusters_always_had_it() {
        let now = 1_795_430_000;
        // 27 messages in the last hour, 3 older: 27 times 1/60 prints 0.4, where 27/60 is 0.5.
        let records: Vec<MessageRecord> = (0..30u64)
            .map(|i| {
                let mut r = MessageRecord::listed(MessageId(i), Parts::default());
                r.set_queued(if i < 27 { now - 60 } else { now - 7200 });
                r
            })
            .collect();
        let ctx = AnalysisContext {
            now,
            ..AnalysisContext::default()
        };
        let g = group(&records, &ctx, |_, _| None);
        let c = g.cluster(ClusterKey::Helo, 0, false);
        let summed = (0..27).fold(0.0, |sum: f64, _| sum + 1.0 / 60.0);
        assert_eq!(c.per_minute.to_bits(), summed.to_bits());
        assert_eq!(format!("{:.1}", c.per_minute), "0.4");
        assert_eq!(
            (c.messages, c.first_queued, c.last_queued),
            (30, now - 7200, now - 60)
        );
    }

    #[test]
    fn totals_stay_compact_and_unknown_births_give_no_dates() {
        assert_eq!(std::mem::size_of::<Totals>(), 40);
        let mut records: Vec<MessageRecord> = (0..3u64)
            .map(|i| MessageRecord::listed(MessageId(i), Parts::default()))
            .collect();
        let ctx = AnalysisContext {
            now: 1_795_430_000,
            ..AnalysisContext::default()
        };
        let g = group(&records, &ctx, |_, _| None);
        let c = g.cluster(ClusterKey::Helo, 0, false);
        assert_eq!((c.first_queued, c.last_queued, c.per_minute), (0, 0, 0.0));
        // The latest time a record holds is a birth time like any other.
        records[1].set_queued(i64::MAX);
        records[2].set_queued(7);
        let c = group(&records, &ctx, |_, _| None).cluster(ClusterKey::Helo, 0, false);
        assert_eq!((c.first_queued, c.last_queued), (7, i64::from(u32::MAX)));
    }
}
