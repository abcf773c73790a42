//! The part of a stolen login's mail that is likely its owner's own: what it sent from IPs that
//! logins nobody suspects use too.
//!
//! A guessed or phished login keeps its owner. mix61 (session 61, a queue built through the real
//! qmail): `xenia.lopez@example.com`'s password used all day from 150 botnet IPs, one recipient
//! a message, while she mailed on from home and her phone; `plan` took her 50 real messages with
//! the 1,000 spam, and the report listed her home IP first among the spam's origins. The botnet's
//! IPs logged in as no one else; her home IP was her family's too, and her carrier's pool IPs
//! were used by 8-15 other customers. So: of a culprit login seen from many places, the messages
//! from IPs that a login the ranking does not suspect also used are its owner's, when they are a
//! small part of its mail. A botnet working several guessed logins through the same proxies
//! shares its IPs between suspects only, and a login whose mail comes mostly from shared IPs (an
//! office PC sending with a colleague's password) is not split: it is taken whole, as before.
//!
//! A neighbour is a login that logged in (`with ESMTPA`, not an ident reply a bot's own identd
//! writes) and queued two messages or more: review61 made bots "share" their IPs with a
//! one-message login each, or an ident name, and a sixth of the spam was left. What a bot
//! controlling its logins can still do is bounded by the fifth, and the plan names what it
//! leaves.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::key::{ClusterKey, KeyExtractor, KeyValue};
use super::rank::Verdict;
use super::types::Cluster;
use crate::queue::{Interner, MessageRecord, Sym};

/// Distinct client IPs from which a login counts as used from many places (a botnet's, not a
/// person's home, office and phone).
pub const MIN_PLACES: usize = 10;
/// The owner's part is at most one message in this many of the login's: a login most of whose
/// mail comes from shared IPs is one a shared machine abuses, and is taken whole.
pub const SHARE_DIVISOR: usize = 5;
/// Shared IPs past which no part is set apart: a query naming more would not stay readable.
pub const MAX_IPS: usize = 64;

/// The messages of a culprit login sent from IPs logins nobody suspects use too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerMail {
    /// The shared IPs with the login's messages from each, most first (then by the IP's text).
    pub ips: Vec<(Sym, usize)>,
    /// Indices of those messages into the records, ascending.
    pub members: Vec<u32>,
}

impl OwnerMail {
    /// Is record `i` one of them?
    pub fn holds(&self, i: u32) -> bool {
        self.members.binary_search(&i).is_ok()
    }

    /// The query term that leaves them out: `ip:/^(91\.73\.158\.184|100\.64\.3\.7)$/`, each
    /// IP's exact bytes (a byte that is not UTF-8 as `(?-u:\xFF)`: as U+FFFD it matched no
    /// byte, and the yank took what the plan left, review61).
    pub fn ip_term(&self, strings: &Interner) -> String {
        self.term_of("ip:", strings)
    }

    /// The term that leaves out the bounces quoting them: `bounce-of:origin-ip=/^(...)$/`
    /// (review61: the plan left her mail and took its bounces).
    pub fn bounce_term(&self, strings: &Interner) -> String {
        self.term_of("bounce-of:origin-ip=", strings)
    }

    /// `field` and the IPs as one anchored regex.
    fn term_of(&self, field: &str, strings: &Interner) -> String {
        let ips: Vec<String> = (self.ips.iter())
            .map(|&(ip, _)| crate::query::byte_pattern(&strings.resolve(ip)))
            .collect();
        let mut term = String::from(field);
        crate::query::write_regex(&mut term, &format!("^({})$", ips.join("|")), "");
        term
    }

    /// Does it name `ip`?
    pub fn names(&self, ip: Sym) -> bool {
        self.ips.iter().any(|&(x, _)| x == ip)
    }
}

/// For each culprit login of `ranking` (by its index there), the part of its mail that is its
/// owner's, when there is one. `logins` extracts the auth-user key as the ranking did.
pub fn owners_mail(
    ranking: &[Cluster],
    records: &[MessageRecord],
    mut logins: KeyExtractor<'_>,
) -> HashMap<usize, OwnerMail> {
    let suspected: HashSet<KeyValue> = (ranking.iter())
        .filter(|c| c.key == ClusterKey::AuthUser)
        .filter(|c| matches!(c.verdict(), Verdict::Culprit | Verdict::Suspect))
        .filter_map(|c| c.value)
        .collect();
    // Each many-place culprit login's messages by IP: the cheap test before any pass.
    let mut candidates: Vec<(usize, HashMap<Sym, Vec<u32>>)> = Vec::new();
    for (at, c) in ranking.iter().enumerate() {
        if c.key != ClusterKey::AuthUser || c.verdict() != Verdict::Culprit || c.value.is_none() {
            continue;
        }
        let mut by_ip: HashMap<Sym, Vec<u32>> = HashMap::default();
        for &i in &c.members {
            if let Some(ip) = records.get(i as usize).and_then(|r| r.origin.ip) {
                by_ip.entry(ip).or_default().push(i);
            }
        }
        if by_ip.len() >= MIN_PLACES {
            candidates.push((at, by_ip));
        }
    }
    if candidates.is_empty() {
        return HashMap::default();
    }
    let wanted: HashSet<Sym> = (candidates.iter())
        .flat_map(|(_, by_ip)| by_ip.keys().copied())
        .collect();
    let strings = logins.strings();
    // One pass: the unsuspected logins on those IPs, and every login's messages.
    let mut on_ip: HashMap<Sym, Vec<KeyValue>> = HashMap::default();
    let mut sent: HashMap<KeyValue, usize> = HashMap::default();
    // A queue's protocol words are a handful: each judged once, not once a message.
    let mut authenticated: HashMap<Sym, bool> = HashMap::default();
    for r in records {
        let logged_in = r.origin.protocol.is_some_and(|p| {
            *(authenticated.entry(p))
                .or_insert_with(|| strings.with(p, crate::queue::received::is_authenticated))
        });
        if r.origin.auth_user.is_none() || !logged_in {
            continue;
        }
        let Some(login) = logins.value(r) else {
            continue;
        };
        *sent.entry(login).or_default() += 1;
        if let Some(ip) = r.origin.ip.filter(|ip| wanted.contains(ip)) {
            if !suspected.contains(&login) {
                on_ip.entry(ip).or_default().push(login);
            }
        }
    }
    let shared: HashSet<Sym> = (on_ip.into_iter())
        .filter(|(_, users)| users.iter().any(|u| sent.get(u).is_some_and(|&n| n >= 2)))
        .map(|(ip, _)| ip)
        .collect();
    let mut out = HashMap::default();
    for (at, by_ip) in candidates {
        let alike = spam_alike(&by_ip, &shared, records, strings);
        let mut ips: Vec<(Sym, usize)> = (by_ip.iter())
            .filter(|(ip, _)| shared.contains(*ip) && !alike.contains(*ip))
            .map(|(&ip, members)| (ip, members.len()))
            .collect();
        let part: usize = ips.iter().map(|&(_, n)| n).sum();
        let whole = ranking[at].members.len();
        if part == 0 || part * SHARE_DIVISOR > whole || ips.len() > MAX_IPS {
            continue;
        }
        ips.sort_by_cached_key(|&(ip, n)| (std::cmp::Reverse(n), strings.text(ip)));
        let mut members: Vec<u32> = (ips.iter())
            .flat_map(|(ip, _)| by_ip[ip].iter().copied())
            .collect();
        members.sort_unstable();
        out.insert(at, OwnerMail { ips, members });
    }
    out
}

/// Of a login's `shared` IPs, those half or more of whose messages are on a subject template
/// of its mail from its other IPs: the spammer's own use of an address a carrier's pool also
/// gives strangers, not its owner's (mix66's Q4: a mobile proxy service's spam from Telekom
/// CGNAT addresses three sales reps held in the same hours, 38 messages left as the owner's,
/// whose own mail came from the office only). Messages without a subject are on no template.
fn spam_alike(
    by_ip: &HashMap<Sym, Vec<u32>>,
    shared: &HashSet<Sym>,
    records: &[MessageRecord],
    strings: &Interner,
) -> HashSet<Sym> {
    let mut templates = super::patterns::Templates::new(strings);
    let mut template =
        |i: u32| templates.of(records.get(i as usize).and_then(|r| r.headers.subject));
    let mine: Vec<Sym> = by_ip
        .keys()
        .filter(|ip| shared.contains(*ip))
        .copied()
        .collect();
    if mine.is_empty() {
        return HashSet::default();
    }
    let rest: HashSet<Vec<u8>> = (by_ip.iter())
        .filter(|(ip, _)| !shared.contains(*ip))
        .flat_map(|(_, members)| members.iter().copied())
        .filter_map(&mut template)
        .collect();
    (mine.into_iter())
        .filter(|ip| {
            let members = &by_ip[ip];
            let alike = (members.iter().copied())
                .filter(|&i| template(i).is_some_and(|t| rest.contains(&t)))
                .count();
            2 * alike >= members.len()
        })
        .collect()
}

#[cfg(test)]
#[path = "owner_tests.rs"]
mod tests;
