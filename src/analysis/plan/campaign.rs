//! The backscatter of a spam campaign that no culprit in the queue sent: this server's own
//! bounces to remote addresses whose quoted copies share one subject template and came from
//! many IPs without a login (a botnet's spam to local users that do not exist, bounced to its
//! forged senders).
//!
//! The spam itself has left the queue (qmail-send bounced it), so no cluster of it is ranked;
//! its bounces are all that is left of it, and they are what floods the remote queue. A real
//! correspondent's mistyped address bounces too, but real people's subjects differ and a list
//! server sends from one place: one template quoted by [`MIN_BOUNCES`] bounces from
//! [`MIN_IPS`] IPs, bounced to senders at [`MIN_DOMAINS`] domains none of which holds half, is a
//! campaign. A real bulk sender on a provider's many IPs bounces to its own return-path domain:
//! its bounces are its bounce handling, not backscatter. Remote servers' bounces to local users
//! are not this server's backscatter and never make a campaign (`remain.rs` names them); the
//! query says so too (`origin:bounce`), so it takes exactly what was counted.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{term, PlanCulprit, PlanInput};
use crate::analysis::backscatter::quoted_value;
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::signals::remote_count;
use crate::queue::{OriginKind, Sym};

/// Bounces quoting one template from which it is a campaign.
pub const MIN_BOUNCES: usize = 20;
/// Distinct client IPs of the quoted copies from which it is a campaign, not one sender's.
pub const MIN_IPS: usize = 10;
/// Distinct domains of the bounced (forged) senders from which it is a campaign: forged senders
/// are scattered, a bulk sender's return paths share its domain.
pub const MIN_DOMAINS: usize = 5;

/// A campaign: its template, its bounces to remote addresses, the copies' client IPs.
struct Campaign {
    template: KeyValue,
    bounces: usize,
    ips: HashSet<Sym>,
    /// The bounced senders' domains, with how many bounces went to each.
    domains: HashMap<Sym, usize>,
}

impl Campaign {
    /// Scattered forged senders, not one sender's return paths.
    fn scattered(&self) -> bool {
        let largest = self.domains.values().copied().max().unwrap_or(0);
        self.domains.len() >= MIN_DOMAINS && largest * 2 <= self.bounces
    }
}

/// Take the bounces of every campaign (those not taken yet), each as a culprit of its own
/// whose query is `bounce-of:subject=TEMPLATE`, within `room` (terms, bytes) of the plan's
/// query; returns how many campaigns were left out for lack of room.
pub(super) fn take(
    input: &PlanInput<'_>,
    room: (usize, usize),
    culprits: &mut Vec<PlanCulprit>,
    taken: &mut [bool],
) -> usize {
    let strings = input.strings;
    let values: Vec<Option<KeyValue>> = (input.quoted.iter())
        .map(|(_, q)| quoted_value(q, ClusterKey::Subject, strings, Some(input.tables)))
        .collect();
    let mut by: HashMap<KeyValue, Campaign> = HashMap::default();
    for ((i, q), v) in input.quoted.iter().zip(&values) {
        let (Some(v), Some(r)) = (v, input.records.get(*i as usize)) else {
            continue;
        };
        // qmail-send's own bounce ("invoked for bounce": no client IP) to a remote address,
        // of mail that came from the network without a login.
        let ours = r.origin.kind == OriginKind::Bounce
            && r.origin.ip.is_none()
            && remote_count(r, strings, input.tables.ctx) > 0;
        let copy = &q.attribution.origin;
        let Some(ip) = copy.ip.filter(|_| ours && copy.kind == OriginKind::Smtp) else {
            continue;
        };
        if taken.get(*i as usize) != Some(&false) {
            continue;
        }
        let c = by.entry(*v).or_insert_with(|| Campaign {
            template: *v,
            bounces: 0,
            ips: HashSet::default(),
            domains: HashMap::default(),
        });
        c.bounces += 1;
        c.ips.insert(ip);
        let remote = r.recipients.domains(strings);
        for d in remote
            .into_iter()
            .filter(|d| d.channel == crate::queue::Channel::Remote)
        {
            if let Some(d) = d.domain {
                *c.domains.entry(d).or_default() += 1;
            }
        }
    }
    let mut campaigns: Vec<Campaign> = by
        .into_values()
        .filter(|c| c.bounces >= MIN_BOUNCES && c.ips.len() >= MIN_IPS && c.scattered())
        .collect();
    campaigns.sort_by(|a, b| {
        (b.bounces.cmp(&a.bounces)).then_with(|| {
            let text = |c: &Campaign| c.template.text(strings);
            text(a).cmp(&text(b))
        })
    });
    let (mut terms, mut bytes) = room;
    let mut left_out = 0;
    for c in campaigns {
        let quoting = c
            .template
            .with_bytes(strings, |b| term("bounce-of", ClusterKey::Subject, Some(b)));
        // Only this server's own bounces: a remote server's bounce to a local user quoting the
        // same spam is a delivery to a local mailbox.
        let query = format!("({quoting} and origin:bounce)");
        if terms == 0 || bytes < query.len() + 4 {
            left_out += 1;
            continue;
        }
        (terms, bytes) = (terms - 1, bytes - query.len() - 4);
        // Every bounce the term selects: the query takes exactly what is counted.
        let mut n = 0;
        for ((i, _), v) in input.quoted.iter().zip(&values) {
            let ours = (input.records.get(*i as usize))
                .is_some_and(|r| r.origin.kind == OriginKind::Bounce);
            let slot = taken.get_mut(*i as usize);
            if ours && *v == Some(c.template) && slot.as_deref() == Some(&false) {
                if let Some(s) = slot {
                    *s = true;
                }
                n += 1;
            }
        }
        let share = n as f64 / input.records.len().max(1) as f64;
        let score = ((20.0 + 10.0 + 15.0 + 30.0 * share).min(100.0) * 10.0).round() / 10.0;
        culprits.push(PlanCulprit {
            key: ClusterKey::Subject,
            value: c.template.shown(ClusterKey::Subject, strings),
            value_bytes: c.template.bytes(strings),
            score,
            messages: 0,
            counted_above: 0,
            backscatter: n,
            from_log: 0,
            reason: format!(
                "backscatter: bounces of spam to forged senders: {} of this server's bounces to \
                 remote addresses at {} domains quote one subject, their copies sent from {} IPs \
                 without a login",
                crate::size::thousands(c.bounces),
                crate::size::thousands(c.domains.len()),
                crate::size::thousands(c.ips.len())
            ),
            query,
            owner_left: None,
            local_left: None,
            undiverted_left: None,
            own_domain_left: None,
        });
    }
    left_out
}
