//! The cleanup plan: every culprit, one query that selects all their messages and backscatter,
//! its counts, and what would remain, in the operator's words.
//!
//! Built from a ranking ([`super::rank::top`]: every culprit is in it) and the quoted copies of
//! the queue's bounces ([`super::backscatter`]). A culprit cluster made mostly of bounces (the
//! `origin=bounce` or `<>` sender cluster) is not taken whole: its bounces go with the culprit
//! whose message they quote, and the others stay, so a bounce of real mail is never yanked.

use super::backscatter::{self, quoted_value, Quoted};
use super::key::{ClusterKey, KeyValue};
use super::left::Parts;
use super::rank::{self, Verdict};
use super::types::Cluster;
use super::KeyTables;
use crate::queue::{Interner, MessageRecord};
use crate::size::{counted, human_bytes, thousands};

/// The most terms one plan query holds: the query language takes [`crate::query::MAX_TERMS`],
/// and `--where` adds its own.
pub const MAX_PLAN_TERMS: usize = 224;

/// The most bytes one plan query holds, under [`crate::query::MAX_QUERY_LEN`] with room for
/// `--where`.
pub const MAX_PLAN_BYTES: usize = 14 * 1024;

/// The term a plan's query ends with once the operator has restored messages of the queue.
pub const RESTORED_KEPT: &str = "restored:no";

/// One culprit of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCulprit {
    /// Its key.
    pub key: ClusterKey,
    /// Its value, as `clusters` shows it (unsanitized; bytes that are not UTF-8 replaced; an
    /// empty one as [`ClusterKey::empty_shown`]).
    pub value: String,
    /// Its value's exact bytes (for `--json`, which keeps them).
    pub value_bytes: std::sync::Arc<[u8]>,
    /// Its score.
    pub score: f64,
    /// Messages of the cluster.
    pub messages: usize,
    /// Of those, the ones a culprit listed before it already takes (a login's messages are
    /// also its IP's): the culprits' counts add up to the plan's only without them.
    pub counted_above: usize,
    /// Bounces quoting its messages, taken with it.
    pub backscatter: usize,
    /// Of its messages, those whose AUTH user only the `--log` files named.
    pub from_log: usize,
    /// Its conclusion and strongest signal (`likely a guessed password: one login used from 4
    /// IPs in 4 networks (+25.0)`).
    pub reason: String,
    /// The query terms that select it (`cluster:...`, and `bounce-of:...` for its backscatter).
    pub query: String,
    /// Of a stolen login, the messages left as its owner's own ([`crate::analysis::owner`]).
    pub owner_left: Option<OwnerLeft>,
    /// Its messages left as written only to this server's own mailboxes
    /// ([`crate::analysis::left`]).
    pub local_left: Option<PartLeft>,
    /// Of an account whose mail mostly diverts replies, its messages that do not
    /// ([`crate::analysis::left`]).
    pub undiverted_left: Option<PartLeft>,
    /// Of an account whose mail mostly writes as other domains, its messages as its own
    /// ([`crate::analysis::left`]).
    pub own_domain_left: Option<PartLeft>,
}

impl PlanCulprit {
    /// `1,134 messages + 72 bounces quoting them`, then `; 285 counted above` when a culprit
    /// listed before it takes some of its messages (without those the lines add up to the
    /// plan's count).
    pub fn counts_words(&self) -> String {
        let mut words = counted(self.messages as u64, "message", "messages");
        // newuser58: only `top` said the login came from the log.
        if self.from_log > 0 {
            let n = thousands(self.from_log as u64);
            words.push_str(&format!(", {n} of them named by the log"));
        }
        if self.backscatter > 0 {
            let bounces = counted(self.backscatter as u64, "bounce", "bounces");
            words.push_str(&format!(" + {bounces} quoting them"));
        }
        if self.counted_above > 0 {
            let n = thousands(self.counted_above as u64);
            words.push_str(&format!("; {n} counted above"));
        }
        words
    }
}

/// One kind of what would remain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remaining {
    /// Messages of this kind.
    pub messages: usize,
    /// The kind, in the operator's words (`inbound mail from 6 sender domains to local users`).
    pub words: String,
}

/// The cleanup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// The culprits, as `top` lists them.
    pub culprits: Vec<PlanCulprit>,
    /// One query selecting every planned message (empty when there is no culprit).
    pub query: String,
    /// Indices of the planned messages, ascending.
    pub selected: Vec<u32>,
    /// Envelope recipients of the planned messages.
    pub recipients: usize,
    /// Their mess bytes.
    pub bytes: u64,
    /// Planned messages over all messages.
    pub share: f64,
    /// What would remain, by kind, largest first.
    pub remaining: Vec<Remaining>,
    /// Culprits left out because the query would be too long for the query language: a
    /// second plan after this one's yank takes them.
    pub left_out: usize,
    /// Suspects whose reason names loud script voices, which the plan does not take.
    pub held_loud: Vec<HeldLoud>,
    /// With no culprit, the ranking's strongest other suspects ([`held::NAMED_SUSPECTS`]),
    /// each with its strongest reason: named, never taken.
    pub suspects: Vec<HeldLoud>,
    /// Culprits a yank took part of, whose queued rest the plan does not take.
    pub partly_yanked: Vec<PartlyYanked>,
    /// Culprits of the ranking made mostly of bounces (null-sender mail: qmail-send's, an
    /// autoresponder's) none of which quotes a culprit's message: named, never taken.
    pub bounce_culprits: Vec<HeldLoud>,
}

impl Plan {
    /// Messages the plan takes.
    pub fn messages(&self) -> usize {
        self.selected.len()
    }

    /// Messages that would remain.
    pub fn remaining_messages(&self) -> usize {
        self.remaining.iter().map(|r| r.messages).sum()
    }

    /// `2,694 messages (90% of queue), 30,385 recipients, 2.1 MiB, from 5 culprits`.
    pub fn headline(&self) -> String {
        self.headline_of(rank::OF_QUEUE)
    }

    /// [`Plan::headline`] of a plan made of records that are `of` (the part a `--where`
    /// selected: "of selection").
    pub fn headline_of(&self, of: rank::ShareOf) -> String {
        format!(
            "{} ({} of {}), {}, {}, from {}",
            counted(self.messages() as u64, "message", "messages"),
            rank::percent(self.share),
            of.short,
            counted(self.recipients as u64, "recipient", "recipients"),
            human_bytes(self.bytes),
            counted(self.culprits.len() as u64, "culprit", "culprits"),
        )
    }

    /// `+3 more culprits for a second plan: ...` when some were left out, else `None`.
    pub fn left_out_words(&self) -> Option<String> {
        (self.left_out > 0).then(|| {
            format!(
                "+{} for a second plan: the query language takes {} terms; yank these, then run \
                 plan again",
                counted(self.left_out as u64, "more culprit", "more culprits"),
                crate::query::MAX_TERMS
            )
        })
    }

    /// `7,823 remain: 25 AUTH users ...; inbound mail ...`.
    pub fn remaining_words(&self) -> String {
        let kinds: Vec<String> = self
            .remaining
            .iter()
            .map(|r| format!("{} {}", thousands(r.messages), r.words))
            .collect();
        let n = thousands(self.remaining_messages());
        match kinds.is_empty() {
            true => format!("{n} remain"),
            false => format!("{n} remain: {}", kinds.join("; ")),
        }
    }
}

/// What [`build`] reads.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// All records analysed.
    pub records: &'a [MessageRecord],
    /// Their interner.
    pub strings: &'a Interner,
    /// The ranking's tables: local domains and uid names, the sender-pattern table (a bounce
    /// is attributed to a forged-sender culprit by the pattern of its copy's sender).
    pub tables: KeyTables<'a>,
    /// The ranking (`top`), with member lists.
    pub ranking: &'a [Cluster],
    /// The bounces' quoted copies ([`backscatter::read`]).
    pub quoted: &'a [(u32, Quoted)],
    /// The culprits a yank took ([`yanked::culprits`]; empty when the yank area is): the
    /// bounces quoting their mail are theirs too.
    pub yanked: &'a [YankedCulprit],
    /// Indices of the records the operator restored from the yank area, ascending
    /// (`crate::actions::Restored`): their verdict that the mail is real, never taken, whatever
    /// the ranking says of its cluster.
    pub restored: &'a [u32],
}

impl PlanInput<'_> {
    /// Did the operator restore record `i`?
    pub fn is_restored(&self, i: usize) -> bool {
        self.restored.binary_search(&(i as u32)).is_ok()
    }
}

/// Build the plan of `input`.
pub fn build(input: PlanInput<'_>) -> Plan {
    let PlanInput {
        records, strings, ..
    } = input;
    let mut taken = vec![false; records.len()];
    let mut culprits = Vec::new();
    let mut bounce_terms: Vec<(usize, ClusterKey, KeyValue)> = Vec::new();
    let mut sender_terms: Vec<(ClusterKey, KeyValue)> = Vec::new();
    // Room for the `restored:no` and parentheses the query ends with once mail was picked back.
    let (mut terms, mut bytes, mut left_out) = match input.restored.is_empty() {
        true => (0, 0, 0),
        false => (1, RESTORED_KEPT.len() + 4, 0),
    };
    // Logins whose bounces may be found by their IPs (`log_ips.rs`), once all are taken.
    let mut logins: Vec<(usize, &Cluster)> = Vec::new();
    // Culprits (by index) with their owner's mail left: its bounces are left too.
    let mut owned: Owned<'_> = Default::default();
    // The parts of culprits left as likely real, counted at the end against what every
    // culprit took.
    let mut left_parts = Vec::new();
    // Culprits the operator restored whole, named where the restored mail remains.
    let mut all_restored: Vec<String> = Vec::new();
    // Culprits made of bounces (by index in `culprits`, and the cluster): taken only by what
    // they quote, and named when that is nothing.
    let mut of_bounces: Vec<(usize, &Cluster)> = Vec::new();
    let listed = (input.ranking.iter().enumerate())
        .filter(|(_, c)| c.verdict() == Verdict::Culprit && c.value.is_some());
    let owners = super::owner::owners_mail(
        input.ranking,
        records,
        input.tables.extractor(ClusterKey::AuthUser, strings),
    );
    for (at, c) in listed {
        let Some(value) = c.value else { continue };
        let whole = !is_bounce_cluster(c, records, strings);
        let owner = owners.get(&at).filter(|_| whole);
        let parts = match whole {
            true => Parts::of(c, records, strings, input.tables.ctx, owner),
            false => Parts::default(),
        };
        let left = parts.left(owner);
        let kinds = local::kinds(&parts);
        // Not a message left as likely real, nor one the operator picked back.
        let takes = |i: u32| !input.is_restored(i as usize) && !left.holds(i);
        // The operator restored every message of it: they judged its mail real, and the
        // bounces quoting that mail are real mail's bounces. Nothing of it is taken.
        let restored = match input.restored.is_empty() || !whole {
            true => 0,
            false => (c.members.iter())
                .filter(|&&i| input.is_restored(i as usize))
                .count(),
        };
        if restored > 0 && restored == c.members.len() {
            let n = thousands(restored as u64);
            all_restored.push(format!(
                "{} {} ({n})",
                c.key.name(),
                value.shown(c.key, strings)
            ));
            continue;
        }
        // Its `cluster:` term, and a `bounce-of:` one as long when its key takes bounces.
        let cost = value
            .with_bytes(strings, |b| term("cluster", c.key, Some(b)))
            .len()
            + 4;
        let n = 1 + usize::from(backscatter::ORIGIN_KEYS.contains(&c.key));
        let owner_term = owner.map(|o| o.ip_term(strings));
        // Its term's `and not ip:...`, and its bounce term's `and not bounce-of:origin-ip=...`.
        let (mut n_all, mut extra) = match &owner_term {
            Some(t) => (2 * n, n * (t.len() + 32)),
            None => (n, 0),
        };
        (n_all, extra) = (n_all + kinds.len(), extra + local::term_bytes(&kinds));
        if terms + n_all > MAX_PLAN_TERMS || bytes + n * cost + extra > MAX_PLAN_BYTES {
            left_out += 1;
            continue;
        }
        (terms, bytes) = (terms + n_all, bytes + n * cost + extra);
        let base = || value.with_bytes(strings, |b| term("cluster", c.key, Some(b)));
        let ips = owner_term.as_deref();
        let unrestored =
            |m: &[u32]| (m.iter().filter(|&&i| !input.is_restored(i as usize))).count();
        let mut counted_above = 0;
        let mut took = 0;
        if whole {
            for &i in c.members.iter().filter(|&&i| takes(i)) {
                counted_above += usize::from(taken[i as usize]);
                taken[i as usize] = true;
                took += 1;
            }
        }
        if backscatter::ORIGIN_KEYS.contains(&c.key) {
            bounce_terms.push((culprits.len(), c.key, value));
        } else if whole
            && !value.text(strings).is_empty()
            && backscatter::SENDER_KEYS.contains(&c.key)
        {
            sender_terms.push((c.key, value));
        }
        if whole && c.key == ClusterKey::AuthUser {
            logins.push((culprits.len(), c));
        }
        if let Some(o) = owner {
            owned.insert(culprits.len(), o);
        }
        if !whole {
            of_bounces.push((culprits.len(), c));
        }
        culprits.push(PlanCulprit {
            key: c.key,
            value: value.shown(c.key, strings),
            value_bytes: value.bytes(strings),
            score: c.score,
            messages: took,
            counted_above,
            backscatter: 0,
            from_log: match (whole, c.key) {
                (true, ClusterKey::AuthUser) => (c.members.iter())
                    .filter(|&&i| takes(i))
                    .filter_map(|&i| records.get(i as usize))
                    .filter(|r| r.origin.auth_source == crate::queue::AuthSource::Log)
                    .count(),
                _ => 0,
            },
            reason: strongest_reason(c),
            query: match whole {
                false => String::new(),
                true => local::culprit_term(base(), owner_term.as_deref(), &kinds),
            },
            owner_left: owner.map(|o| OwnerLeft {
                messages: unrestored(&o.members),
                ips: (o.ips.iter())
                    .map(|&(ip, n)| (strings.resolve(ip), n))
                    .collect(),
            }),
            local_left: None,
            undiverted_left: None,
            own_domain_left: None,
        });
        let culprit = culprits.last_mut().expect("just pushed");
        for (at, kind) in kinds.iter().enumerate() {
            let part = local::part(&parts, kind.kind);
            let left = PartLeft {
                kind: kind.kind,
                messages: unrestored(&part.members),
                query: local::left_query(base(), ips, &kinds[..at], *kind),
                taken_elsewhere: 0,
            };
            *local::left_of(culprit, kind.kind) = Some(left);
            let (value, members) = (value.bytes(strings), part.members.clone());
            left_parts.push(local::LeftMembers::new(c.key, value, kind.kind, members));
        }
    }
    for (at, c) in logins {
        for t in log_ips::ip_terms(&input, at, c, &taken) {
            let cost =
                t.2.with_bytes(strings, |b| term("bounce-of", t.1, Some(b)))
                    .len()
                    + 4;
            let known = bounce_terms.iter().any(|b| (b.1, b.2) == (t.1, t.2));
            if known || terms + 1 > MAX_PLAN_TERMS || bytes + cost > MAX_PLAN_BYTES {
                continue;
            }
            (terms, bytes) = (terms + 1, bytes + cost);
            bounce_terms.push(t);
        }
    }
    // A restored bounce is the operator's too: the passes below take only what is not taken.
    for &i in input.restored {
        if let Some(t) = taken.get_mut(i as usize) {
            *t = true;
        }
    }
    attribute_backscatter(&input, (&bounce_terms, &owned), &mut culprits, &mut taken);
    // top lists them as culprits; a plan that dropped them unsaid read `no culprit` beside
    // an autoresponder's 1,516 answers to spam (mix62).
    let bounce_culprits: Vec<HeldLoud> = (of_bounces.iter())
        .filter(|(at, _)| culprits[*at].query.is_empty())
        .map(|(_, c)| held::named(c, strings))
        .collect();
    culprits.retain(|c| !c.query.is_empty());
    let room = (MAX_PLAN_TERMS - terms, MAX_PLAN_BYTES - bytes);
    // By a yanked culprit's origin before by a campaign's subject: the origin is the surer.
    let (room, more) = yanked::take(&input, room, &mut culprits, &mut taken);
    left_out += more + campaign::take(&input, room, &mut culprits, &mut taken);
    for &i in input.restored {
        if let Some(t) = taken.get_mut(i as usize) {
            *t = false;
        }
    }
    let forged = forged::forged_sender_bounces(&input, &sender_terms, &taken);
    let ranking = input.ranking;
    let partly = yanked::partly(&input, &taken, &culprits);
    local::count_taken_elsewhere(&mut culprits, &left_parts, &taken);
    let mut plan = finish(input, culprits, taken);
    plan.partly_yanked = partly;
    plan.bounce_culprits = bounce_culprits;
    plan.left_out = left_out;
    plan.held_loud = held::of(ranking, strings);
    if plan.culprits.is_empty() {
        plan.suspects = held::strongest(ranking, strings, &plan.held_loud);
    }
    if let Some(kind) = forged {
        remain::set_apart(&mut plan.remaining, kind);
    }
    remain::name_restored(&mut plan.remaining, &all_restored);
    plan
}

/// Whether `c` is made mostly of bounces (the `origin=bounce` or `<>` sender cluster): the
/// backscatter of other culprits and of real mail, never a culprit to take whole or to count
/// as spam (the plan and the report both ask this).
pub fn is_bounce_cluster(c: &Cluster, records: &[MessageRecord], strings: &Interner) -> bool {
    let bounces = c
        .members
        .iter()
        .filter(|&&i| {
            records
                .get(i as usize)
                .is_some_and(|r| backscatter::is_bounce(r, strings))
        })
        .count();
    bounces * 2 >= c.messages
}

/// Give each bounce that quotes a culprit's message (and is not taken yet) to that culprit,
/// adding `bounce-of:` to its query when it has any.
fn attribute_backscatter(
    input: &PlanInput<'_>,
    (terms, owned): (&[(usize, ClusterKey, KeyValue)], &Owned<'_>),
    culprits: &mut [PlanCulprit],
    taken: &mut [bool],
) {
    let strings = input.strings;
    let mut used = vec![false; terms.len()];
    for (i, a) in input.quoted {
        let i = *i as usize;
        if taken.get(i) != Some(&false) {
            continue;
        }
        // A bounce of the owner's own mail is real mail's bounce: left with it.
        let owners = |c: &usize| {
            (owned.get(c)).is_some_and(|o| a.attribution.origin.ip.is_some_and(|ip| o.names(ip)))
        };
        let hit = terms.iter().position(|(c, key, v)| {
            quoted_value(a, *key, strings, Some(input.tables)) == Some(*v) && !owners(c)
        });
        if let Some(t) = hit {
            taken[i] = true;
            used[t] = true;
            culprits[terms[t].0].backscatter += 1;
        }
    }
    for (t, (c, key, v)) in terms.iter().enumerate() {
        if used[t] {
            let bounce = v.with_bytes(strings, |b| term("bounce-of", *key, Some(b)));
            let bounce = match owned.get(c) {
                Some(o) => format!("({bounce} and not {})", o.bounce_term(strings)),
                None => bounce,
            };
            let q = &mut culprits[*c].query;
            *q = match q.is_empty() {
                true => bounce,
                false => format!("{q} or {bounce}"),
            };
        }
    }
    // A culprit that bounced nobody else's message but whose bounce-of matched none stays
    // without a query and is dropped by the caller.
}

/// The culprits (by their index in the plan) with their owner's mail left.
type Owned<'a> = rustc_hash::FxHashMap<usize, &'a super::owner::OwnerMail>;

/// Counts, the combined query and what remains.
fn finish(input: PlanInput<'_>, culprits: Vec<PlanCulprit>, taken: Vec<bool>) -> Plan {
    let records = input.records;
    let selected: Vec<u32> = (0..records.len())
        .filter(|&i| taken[i])
        .map(|i| i as u32)
        .collect();
    let recipients = selected
        .iter()
        .map(|&i| records[i as usize].recipients.len())
        .sum();
    let bytes = selected
        .iter()
        .map(|&i| u64::from(records[i as usize].size))
        .sum();
    let mut query = culprits
        .iter()
        .map(|c| c.query.as_str())
        .collect::<Vec<_>>()
        .join(" or ");
    // `yank` selects by the query again: what the operator restored stays out of it too.
    if !query.is_empty() && !input.restored.is_empty() {
        query = format!("({query}) {RESTORED_KEPT}");
    }
    Plan {
        share: selected.len() as f64 / records.len().max(1) as f64,
        culprits,
        query,
        selected,
        recipients,
        bytes,
        remaining: remaining(input, &taken),
        left_out: 0,
        held_loud: Vec::new(),
        suspects: Vec::new(),
        partly_yanked: Vec::new(),
        bounce_culprits: Vec::new(),
    }
}

/// The conclusion of a cluster's summary and its signal with the most points.
pub fn strongest_reason(c: &Cluster) -> String {
    let conclusion = c.reasons.first().map_or("", |s| rank::conclusion_of(s));
    let points = |r: &str| -> Option<f64> {
        let inner = r.strip_suffix(')')?.rsplit("(+").next()?;
        inner.parse().ok()
    };
    let best = c
        .reasons
        .iter()
        .skip(1)
        // A share, a rate, a fan-out or a subject template only weighs the signals.
        .filter(|r| !rank::is_weight(r))
        .filter_map(|r| points(r).map(|p| (p, r)))
        // The first of equal points: signals are listed in the order they are measured.
        .rev()
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, r)) => format!("{conclusion}: {r}"),
        None => conclusion.to_string(),
    }
}

mod campaign;
mod forged;
mod held;
pub use held::HeldLoud;
mod log_ips;
mod not_taken;
mod owner;
pub use owner::OwnerLeft;
mod local;
pub use local::{PartKind, PartLeft};
mod terms;
pub use terms::term;
pub mod picks;
pub mod remain;
mod within;
pub mod yanked;
pub use not_taken::{kept_of, not_in_plan, NotInPlan};
use remain::remaining;
pub use yanked::{PartlyYanked, YankedCulprit};

#[cfg(test)]
mod tests;
