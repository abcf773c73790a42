//! QueueModel: the current records keyed by id, kept up to date by applying [`QueueDelta`]s, with
//! the queue and todo counts and the in/out rates those deltas imply.
//!
//! `apply` takes its time from the delta, never from a clock, so a model fed the same deltas
//! always ends in the same state.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::delta::{Change, QueueDelta, WatchMode};
use super::idmap::IdMap;
use super::rates::Rates;
use super::tracker::Flow;
use crate::analysis::cluster::AnalysisContext;
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::analysis::patterns::arrivals::ArrivalPatterns;
use crate::analysis::Tables;
use crate::queue::{AuthSource, Interner, MessageId, MessageRecord, Parts, Subdir};

/// At most this many keys get per-cluster rates (the chosen key and origin-ip).
pub const MAX_KEYS: usize = 2;

/// `Tracked::arrived` of a message found by a reset.
const FOUND: i64 = i64::MIN;

/// One message the model knows.
#[derive(Debug, Clone, Copy)]
pub struct Tracked {
    /// Its files.
    pub parts: Parts,
    /// Its value for each tracked key.
    pub values: [Option<KeyValue>; MAX_KEYS],
    /// When it arrived during this watch (unix ms), or [`FOUND`].
    arrived: i64,
}

/// What the model stores of each message: 20 bytes besides its id, since a monitor's model
/// holds one per message of the whole queue (its record, when the model keeps records, is in
/// a map of its own, and when it arrived, for the few that arrived during the watch, in
/// another).
#[derive(Debug, Clone, Copy)]
struct Slot {
    parts: Parts,
    values: [Option<KeyValue>; MAX_KEYS],
}

impl Tracked {
    /// When it arrived during this watch (unix ms); `None` for messages found by the scan.
    pub fn arrived_ms(&self) -> Option<i64> {
        (self.arrived != FOUND).then_some(self.arrived)
    }
}

/// The live queue.
pub struct QueueModel {
    strings: Arc<Interner>,
    keys: Vec<ClusterKey>,
    /// Each message's files and key values: those a reset found sorted by id, the rest
    /// beside them ([`IdMap`]), about 28 bytes a message instead of a hash map's 80 or so.
    messages: IdMap<Slot>,
    /// When each message that arrived during the watch arrived (unix ms).
    arrivals: FxHashMap<MessageId, i64>,
    /// Each message's record, when the model keeps records.
    records: FxHashMap<MessageId, Box<MessageRecord>>,
    queue_size: u64,
    todo: u64,
    rates: Rates,
    mode: Option<WatchMode>,
    last_ms: i64,
    /// The tables key values are taken with (an analysis' own, or built at each reset).
    tables: Option<Arc<Tables>>,
    /// Build `tables` from each reset's records with this context.
    context: Option<AnalysisContext>,
    /// Keep each message's record (else only its parts and key values).
    keep_records: bool,
    /// Which of `keys` is `sender-pattern`, if one is.
    pattern_slot: Option<usize>,
    /// Domains the arrivals showed generated, beyond `tables` (forged names a flood started
    /// after the scan the tables were made from).
    learned: ArrivalPatterns,
    /// Messages a restore put back while no yank of theirs was counted: a yank of one of them
    /// again is the undo undone, not mail leaving ([`Rates::left`]).
    put_back: FxHashSet<MessageId>,
}

impl QueueModel {
    /// An empty model; `keys` (at most [`MAX_KEYS`]) get per-cluster rates.
    pub fn new(strings: Arc<Interner>, keys: &[ClusterKey]) -> QueueModel {
        let keys: Vec<ClusterKey> = keys.iter().copied().take(MAX_KEYS).collect();
        QueueModel {
            rates: Rates::new(&keys, 0),
            pattern_slot: keys.iter().position(|k| *k == ClusterKey::SenderPattern),
            learned: ArrivalPatterns::default(),
            put_back: FxHashSet::default(),
            strings,
            keys,
            messages: IdMap::default(),
            arrivals: FxHashMap::default(),
            records: FxHashMap::default(),
            queue_size: 0,
            todo: 0,
            mode: None,
            last_ms: 0,
            tables: None,
            context: None,
            keep_records: true,
        }
    }

    /// Keep no records, only each message's files and key values: all the counts and rates
    /// need. A monitor's model ([`crate::watch::spawn`]: `qtriage watch`, the TUI's header)
    /// holds the whole queue, so at a million messages this is the difference between a
    /// second full copy of the records and a few tens of bytes a message.
    pub fn without_records(mut self) -> QueueModel {
        self.keep_records = false;
        self
    }

    /// Take key values with `tables` (an analysis' own) or, when none, with the tables of an
    /// analysis of each reset's records under `context`
    /// ([`crate::analysis::key_tables`]), so the watcher's clusters are the analysis' (accounts,
    /// sender patterns). With neither, values are literal.
    pub fn with_tables(
        mut self,
        tables: Option<Arc<Tables>>,
        context: Option<AnalysisContext>,
    ) -> QueueModel {
        self.tables = tables;
        self.context = context.filter(|_| self.tables.is_none());
        self
    }

    /// The interner the records' strings live in.
    pub fn strings(&self) -> &Arc<Interner> {
        &self.strings
    }

    /// The keys with per-cluster rates.
    pub fn keys(&self) -> &[ClusterKey] {
        &self.keys
    }

    /// Messages with a mess file (qmail-qstat's "messages in queue").
    pub fn queue_size(&self) -> u64 {
        self.queue_size
    }

    /// Messages with a todo file (qmail-qstat's "not yet preprocessed").
    pub fn todo(&self) -> u64 {
        self.todo
    }

    /// How the watcher watches; `None` before the first delta.
    pub fn mode(&self) -> Option<WatchMode> {
        self.mode
    }

    /// The rates.
    pub fn rates(&self) -> &Rates {
        &self.rates
    }

    /// Forget per-cluster rates with nothing in the last 15 minutes.
    pub fn prune_rates(&mut self, now_ms: i64) {
        self.rates.prune(now_ms);
    }

    /// The time of the last delta applied (unix ms).
    pub fn last_ms(&self) -> i64 {
        self.last_ms
    }

    /// The message with `id`.
    pub fn get(&self, id: MessageId) -> Option<Tracked> {
        self.messages.get(id).map(|s| self.tracked(id, s))
    }

    fn tracked(&self, id: MessageId, s: &Slot) -> Tracked {
        Tracked {
            parts: s.parts,
            values: s.values,
            arrived: self.arrivals.get(&id).copied().unwrap_or(FOUND),
        }
    }

    /// Take the message with `id` out of the model.
    fn take(&mut self, id: MessageId) -> Option<Tracked> {
        let s = self.messages.remove(id)?;
        Some(Tracked {
            parts: s.parts,
            values: s.values,
            arrived: self.arrivals.remove(&id).unwrap_or(FOUND),
        })
    }

    /// Put the message with `id` in the model; returns the one it replaces.
    fn put(&mut self, id: MessageId, t: Tracked) -> Option<Tracked> {
        let slot = Slot {
            parts: t.parts,
            values: t.values,
        };
        let arrived = match t.arrived {
            FOUND => self.arrivals.remove(&id),
            at => self.arrivals.insert(id, at),
        };
        self.messages.insert(id, slot).map(|s| Tracked {
            parts: s.parts,
            values: s.values,
            arrived: arrived.unwrap_or(FOUND),
        })
    }

    /// The record of the message with `id`, when the model keeps records and could read it.
    pub fn record(&self, id: MessageId) -> Option<&MessageRecord> {
        self.records.get(&id).map(|r| &**r)
    }

    /// Every message known, in no particular order.
    pub fn messages(&self) -> impl Iterator<Item = (MessageId, Tracked)> + '_ {
        self.messages
            .iter()
            .map(|(id, s)| (id, self.tracked(id, s)))
    }

    /// How many queued messages (with a mess file) hold each of `values` for the key at
    /// `key_index`: one pass over the model for the few values asked about (the growing ones
    /// a face shows), rather than a count kept for every value of a million-message queue.
    pub fn queued_with(
        &self,
        key_index: usize,
        values: &FxHashSet<KeyValue>,
    ) -> FxHashMap<KeyValue, u64> {
        let mut out = FxHashMap::default();
        if values.is_empty() || key_index >= MAX_KEYS {
            return out;
        }
        for (_, s) in self.messages.iter() {
            let Some(v) = s.values[key_index].filter(|v| values.contains(v)) else {
                continue;
            };
            if s.parts.has(Subdir::Mess) {
                *out.entry(v).or_default() += 1;
            }
        }
        out
    }

    fn values(
        &self,
        ex: &mut [KeyExtractor<'_>],
        r: Option<&MessageRecord>,
    ) -> [Option<KeyValue>; MAX_KEYS] {
        let mut out = [None; MAX_KEYS];
        if let Some(r) = r {
            for (slot, ex) in out.iter_mut().zip(ex.iter_mut()) {
                *slot = ex.value(r);
            }
            let learning = self.pattern_slot.filter(|_| !self.learned.is_empty());
            if let (Some(k), Some(sender)) = (learning, r.sender) {
                let learned = self.strings.with(sender, |a| self.learned.pattern(a));
                if let Some(p) = learned {
                    out[k] = Some(KeyValue::Text(self.strings.intern(&p)));
                }
            }
        }
        out
    }

    /// Learn from the arrival of `id` ([`ArrivalPatterns`]); when it shows its sender's domain
    /// generated, the earlier arrivals from there move to the domain's pattern, in the rates
    /// too, so the flood's cluster grows from its first message.
    fn learn(&mut self, (id, at_ms): (MessageId, i64), r: &MessageRecord) {
        let (Some(k), Some(tables), Some(sender)) =
            (self.pattern_slot, self.tables.as_deref(), r.sender)
        else {
            return;
        };
        let addr = self.strings.with(sender, <[u8]>::to_vec);
        let Some(learned) = self.learned.note(
            (id, at_ms),
            &addr,
            &tables.sender_patterns,
            &tables.ctx.local_domains,
        ) else {
            return;
        };
        let to = Some(KeyValue::Text(self.strings.intern(&learned.pattern)));
        for (e, at) in learned.earlier {
            // Still that arrival: one that left is no longer here, and a new message reusing
            // its id (an inode) arrived at another time.
            if self.arrivals.get(&e) != Some(&at) {
                continue;
            }
            let Some(slot) = self.messages.get_mut(e) else {
                continue;
            };
            let from = std::mem::replace(&mut slot.values[k], to);
            self.rates.reattribute(k, at, from, to);
        }
    }

    fn count(&mut self, parts: Parts, sign: i64) {
        let add = |n: &mut u64, yes: bool| {
            if yes {
                *n = n.saturating_add_signed(sign);
            }
        };
        add(&mut self.queue_size, parts.has(Subdir::Mess));
        add(&mut self.todo, parts.has(Subdir::Todo));
    }

    /// Apply one delta.
    pub fn apply(&mut self, delta: QueueDelta) {
        if let Some(ctx) = &self.context {
            let records = match &delta {
                QueueDelta::Reset { records, .. } => Some(&records[..]),
                QueueDelta::Seeded { seed, .. } => Some(seed.records()),
                _ => None,
            };
            if let Some(records) = records {
                self.tables = Some(Arc::new(Tables::of(records, &self.strings, ctx)));
            }
        }
        let strings = Arc::clone(&self.strings);
        let tables = self.tables.clone();
        let mut ex: Vec<KeyExtractor<'_>> = self
            .keys
            .iter()
            .map(|k| match &tables {
                Some(t) => t.borrow().extractor(*k, &strings),
                None => KeyExtractor::new(*k, &strings),
            })
            .collect();
        match delta {
            QueueDelta::Reset {
                at_ms,
                records,
                mode,
            } => {
                self.start_over(at_ms);
                let mut found = Found::with_capacity(records.len());
                for r in records {
                    let values = self.values(&mut ex, Some(&r));
                    found.push(r.id, r.parts, values);
                    if self.keep_records {
                        self.records.insert(r.id, Box::new(r));
                    }
                }
                self.take_found(found);
                self.mode = Some(mode);
                self.last_ms = at_ms;
            }
            QueueDelta::Seeded {
                at_ms,
                seed,
                changes,
                mode,
            } => {
                self.start_over(at_ms);
                let mut found = Found::with_capacity(seed.records().len());
                for r in seed.records() {
                    // Attributed from the logs: the watcher read it again (one of `changes`),
                    // as its own reads see it.
                    let values = match r.origin.auth_source {
                        AuthSource::Log => [None; MAX_KEYS],
                        AuthSource::Header => self.values(&mut ex, Some(r)),
                    };
                    found.push(r.id, r.parts, values);
                    if self.keep_records {
                        self.records.insert(r.id, Box::new(r.clone()));
                    }
                }
                self.take_found(found);
                for c in changes {
                    self.found_changed(&mut ex, c);
                }
                self.mode = Some(mode);
                self.last_ms = at_ms;
            }
            QueueDelta::Batch {
                at_ms,
                changes,
                passes,
                mode,
            } => {
                for c in changes {
                    self.change(&mut ex, at_ms, c);
                }
                let none = [None; MAX_KEYS];
                for _ in 0..passes {
                    self.rates.arrived(at_ms, &none[..self.keys.len()]);
                    self.rates
                        .left(at_ms, &none[..self.keys.len()], false, false);
                }
                self.mode = Some(mode);
                self.last_ms = at_ms;
            }
            QueueDelta::Failed(_) => {}
        }
    }

    /// Forget everything before a reset at `at_ms`.
    fn start_over(&mut self, at_ms: i64) {
        self.messages.clear();
        self.arrivals.clear();
        self.records.clear();
        self.put_back.clear();
        self.learned.clear();
        self.queue_size = 0;
        self.todo = 0;
        self.rates = Rates::new(&self.keys, at_ms);
    }

    /// The messages a reset found, all at once (not arrivals: no rate counts them).
    fn take_found(&mut self, found: Found) {
        self.messages = IdMap::from_found(found.ids, found.slots);
        for (_, s) in self.messages.iter() {
            self.queue_size += u64::from(s.parts.has(Subdir::Mess));
            self.todo += u64::from(s.parts.has(Subdir::Todo));
        }
    }

    /// A message found by a reset (not an arrival: no rate counts it).
    fn found(
        &mut self,
        id: MessageId,
        parts: Parts,
        record: Option<Box<MessageRecord>>,
        values: [Option<KeyValue>; MAX_KEYS],
    ) {
        self.count(parts, 1);
        let t = Tracked {
            parts,
            values,
            arrived: FOUND,
        };
        if let Some(old) = self.put(id, t) {
            self.count(old.parts, -1);
        }
        if let Some(r) = record {
            self.records.insert(id, r);
        }
    }

    /// A seed's message as it is now (`c`), found by a reset like the seed's own.
    fn found_changed(&mut self, ex: &mut [KeyExtractor<'_>], c: Change) {
        let old = self.take(c.id);
        let old_record = self.records.remove(&c.id);
        if let Some(o) = &old {
            self.count(o.parts, -1);
        }
        if c.parts.0 == 0 {
            return;
        }
        let (record, values) = match (c.record, old) {
            (Some(r), _) => {
                let values = self.values(ex, Some(&r));
                (Some(r), values)
            }
            (None, Some(o)) => (old_record.map(|b| *b), o.values),
            (None, None) => (None, [None; MAX_KEYS]),
        };
        let record = record.filter(|_| self.keep_records).map(|mut r| {
            r.parts = c.parts;
            r.state = crate::queue::MessageState::from_parts(c.parts);
            Box::new(r)
        });
        self.found(c.id, c.parts, record, values);
    }

    fn change(&mut self, ex: &mut [KeyExtractor<'_>], at_ms: i64, c: Change) {
        let old = self.take(c.id);
        let old_record = self.records.remove(&c.id);
        if let Some(o) = &old {
            self.count(o.parts, -1);
        }
        self.count(c.parts, 1);
        let nkeys = self.keys.len();
        match c.flow {
            Flow::Left { yanked } | Flow::Replaced { yanked } => {
                let values = old.as_ref().map_or([None; MAX_KEYS], |o| o.values);
                let takes_back = self.put_back.remove(&c.id);
                self.rates.left(at_ms, &values[..nkeys], yanked, takes_back);
            }
            Flow::Passed { yanked } => {
                // Too fast to read: counted, but its cluster is unknown.
                self.rates.arrived(at_ms, &[None; MAX_KEYS][..nkeys]);
                let takes_back = self.put_back.remove(&c.id);
                self.rates
                    .left(at_ms, &[None; MAX_KEYS][..nkeys], yanked, takes_back);
            }
            Flow::Stayed | Flow::Arrived | Flow::Restored => {}
        }
        if c.parts.0 == 0 {
            return;
        }
        let fresh = c.flow.has_arrived() && c.parts.has(Subdir::Mess);
        let (mut t, mut record) = match old {
            Some(o) if !fresh => (o, old_record),
            _ => (
                Tracked {
                    parts: c.parts,
                    values: [None; MAX_KEYS],
                    arrived: FOUND,
                },
                None,
            ),
        };
        t.parts = c.parts;
        if let Some(r) = c.record.as_ref() {
            // New mail read for the first time: a fresh arrival, or one first listed unread.
            let unread = self.pattern_slot.is_some_and(|k| t.values[k].is_none());
            if (fresh && c.flow != Flow::Restored) || (!fresh && t.arrived_ms().is_some() && unread)
            {
                // A re-read arrival keeps its arrival time; a fresh one arrives now.
                let at = t.arrived_ms().filter(|_| !fresh).unwrap_or(at_ms);
                self.learn((c.id, at), r);
            }
            let values = self.values(ex, c.record.as_ref());
            if let Some(at) = t.arrived_ms().filter(|_| !fresh) {
                for (i, (old, new)) in t.values.iter().zip(values.iter()).enumerate().take(nkeys) {
                    self.rates.reattribute(i, at, *old, *new);
                }
            }
            t.values = values;
            record = c.record.filter(|_| self.keep_records).map(Box::new);
        }
        if fresh && c.flow == Flow::Restored {
            // Not new mail: counted apart, and never as its cluster's growth.
            if self.rates.restored(at_ms, &t.values[..nkeys]) {
                self.put_back.insert(c.id);
            }
        } else if fresh {
            t.arrived = at_ms;
            self.rates.arrived(at_ms, &t.values[..nkeys]);
        }
        if let Some(mut r) = record {
            r.parts = c.parts;
            r.state = crate::queue::MessageState::from_parts(c.parts);
            self.records.insert(c.id, r);
        }
        self.put(c.id, t);
    }
}

/// The messages of a reset, in the order found.
struct Found {
    ids: Vec<MessageId>,
    slots: Vec<Slot>,
}

impl Found {
    /// Room for `len` (at once: a million messages would double the vectors a few times).
    fn with_capacity(len: usize) -> Found {
        Found {
            ids: Vec::with_capacity(len),
            slots: Vec::with_capacity(len),
        }
    }

    fn push(&mut self, id: MessageId, parts: Parts, values: [Option<KeyValue>; MAX_KEYS]) {
        self.ids.push(id);
        self.slots.push(Slot { parts, values });
    }
}

#[cfg(test)]
mod tests;
