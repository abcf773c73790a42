//! A culprit cluster as the report names it: its value, counts and reasons, and what of it is
//! not counted as spam.

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use super::{value_text, Window};
use crate::analysis::cluster::Cluster;
use crate::analysis::left::Left;
use crate::analysis::rank::ips_phrase;
use crate::queue::date::rfc3339;
use crate::queue::{Interner, MessageRecord, Sym};
use crate::report::Culprit;
use crate::sanitize::sanitize_str;
use crate::size::{counted, thousands};

pub(super) fn culprit_of(
    c: &Cluster,
    window: &Window<'_>,
    strings: &Interner,
    left: Left<'_>,
) -> Option<Culprit> {
    let records = &window.records[..];
    let value = value_text(c.key, c.value.as_ref()?, strings);
    let ips: HashSet<Sym> = c
        .members
        .iter()
        .filter_map(|&i| records.get(i as usize)?.origin.ip)
        .collect();
    // The ranking's reasons quote message-derived values raw; a report is read by people.
    let mut reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| crate::sanitize::sanitize_str(r).into_owned())
        .collect();
    if let Some(summary) = reasons.first_mut() {
        *summary = spam_ips_only(summary, c, records, strings, &left);
    }
    reasons.push(format!(
        "queued {} to {} between {} and {}",
        counted(c.messages as u64, "message", "messages"),
        counted(c.recipients as u64, "recipient", "recipients"),
        rfc3339(c.first_queued),
        rfc3339(c.last_queued)
    ));
    if !ips.is_empty() {
        let ips = counted(
            ips.len() as u64,
            "distinct client IP",
            "distinct client IPs",
        );
        reasons.push(format!("from {ips}"));
    }
    // Its messages count all of them; the spam does not count those picked back (e2e52: 500
    // messages beside an IP table that added up to 498).
    let picked = (c.members.iter())
        .filter(|&&i| window.restored(i as usize))
        .count();
    if picked > 0 {
        reasons.push(format!(
            "{} of them picked back by the operator from the yank area as real mail: not \
             counted as spam",
            thousands(picked as u64)
        ));
    }
    if let Some(o) = left.owner {
        reasons.push(format!(
            "{} of them from {} other logins (none suspected) use too: likely its owner's own \
             mail, not counted as spam",
            thousands(o.members.len() as u64),
            counted(o.ips.len() as u64, "IP", "IPs")
        ));
    }
    if let Some(l) = left.local {
        reasons.push(format!(
            "{} of them each to this server's own mailboxes only: likely real mail of the place \
             it abused, not counted as spam",
            thousands(l.members.len() as u64)
        ));
    }
    if let Some(l) = left.undiverted {
        reasons.push(format!(
            "{} of them sending no replies to another domain as the rest do: likely its owner's \
             own mail, not counted as spam",
            thousands(l.members.len() as u64)
        ));
    }
    if let Some(l) = left.own_domain {
        reasons.push(format!(
            "{} of them each written as its own domain (its login's, or its site's), where the \
             rest write as other domains: likely its owner's own mail, not counted as spam",
            thousands(l.members.len() as u64)
        ));
    }
    // The logins the accounts check marks too (`analysis::stuffed_logins`), sanitized, sorted.
    let mut accounts: Vec<String> =
        crate::analysis::stuffed_logins(std::slice::from_ref(c), records, strings)
            .iter()
            .map(|u| crate::sanitize::sanitize_str(u).into_owned())
            .collect();
    accounts.sort_unstable();
    Some(Culprit {
        accounts,
        kind: c.key,
        value,
        messages: c.messages as u64,
        recipients: c.recipients as u64,
        yanked: c
            .members
            .iter()
            .filter(|&&i| !window.queued(i as usize))
            .count() as u64,
        reasons,
    })
}

/// The ranking's summary with its client IPs those of the mail counted as spam: a report goes
/// to blacklists, and the IPs of what it leaves are real people's (walk65: a guessed login's
/// owner's office and home led its list, as they sent the most of any of its IPs). Those are
/// counted, not named. The summary as it was when it names no IPs.
fn spam_ips_only(
    summary: &str,
    c: &Cluster,
    records: &[MessageRecord],
    strings: &Interner,
    left: &Left<'_>,
) -> String {
    let mut all: FxHashMap<Sym, usize> = FxHashMap::default();
    let mut spam: FxHashMap<Sym, usize> = FxHashMap::default();
    for &i in &c.members {
        let Some(ip) = records.get(i as usize).and_then(|r| r.origin.ip) else {
            continue;
        };
        *all.entry(ip).or_default() += 1;
        if !left.holds(i) {
            *spam.entry(ip).or_default() += 1;
        }
    }
    let before = ips_phrase(c.key, &all, strings);
    let only_left = all.len() - spam.len();
    if only_left == 0 || before.is_empty() {
        return summary.to_string();
    }
    let after = format!(
        "{} besides {} of the mail not counted as spam",
        ips_phrase(c.key, &spam, strings),
        counted(only_left as u64, "IP", "IPs")
    );
    let (before, after) = (sanitize_str(&before), sanitize_str(&after));
    summary.replacen(&*before, &after, 1)
}
