//! Which authenticated messages are part of a forged-sender campaign this server sends out.
//!
//! A bot logged in as a guessed account may write as the account itself most of the time and
//! now and then as a generated name at someone else's domain (`<random>@redbullcarwrap.com`).
//! Under half of its messages, that earns nothing as "senders not its own"; yet those few are
//! the campaign's, whose pattern the ranking calls forged. A person does not write as generated
//! names. Mail redirected with its sender kept can look so (many people of a freemail domain),
//! but that pattern's messages go to local users: only a pattern three quarters of whose
//! messages go out is a campaign here.

use rayon::prelude::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::analysis::context::AnalysisContext;
use crate::analysis::patterns::{SenderPatterns, RANDOM};
use crate::queue::{Interner, MessageId, MessageRecord, Sym};

/// The records sent by a login as a campaign's generated sender, as a bit set (125 KB at a
/// million records; nothing when there are none).
#[derive(Debug, Clone, Default)]
pub(crate) struct Campaigns {
    bits: Vec<u64>,
}

impl Campaigns {
    /// The authenticated records whose envelope sender is not the login's own (`foreign`), is a
    /// generated name in `table`, whose message goes out (`remote`), and three quarters of whose
    /// pattern's messages in `records` go out.
    pub(crate) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        table: &SenderPatterns,
        foreign: &[Option<bool>],
        remote: &[u32],
    ) -> Campaigns {
        let goes_out = |i: usize| remote.get(i).is_some_and(|&n| n > 0);
        let generated = |r: &MessageRecord| {
            let sender = r.sender?;
            let p = strings.with(sender, |a| table.pattern(a));
            SenderPatterns::is_generalised(&p).then_some(p)
        };
        // A login sending mostly as others earns "senders not its own" already (`login_points`,
        // by its cluster); its messages are not looked up here, so a flood's million forged
        // senders behind one guessed login cost nothing. By the login as spelled, as the
        // accounts' norms count them: a login spelled two ways may be looked up in part.
        let mostly_foreign = mostly_foreign_logins(records, foreign);
        let candidate = |i: usize, r: &MessageRecord| {
            foreign.get(i) == Some(&Some(true))
                && goes_out(i)
                && r.origin
                    .auth_user
                    .is_some_and(|u| !mostly_foreign.contains(&u))
        };
        // The candidates' patterns (a few), not one per candidate: recomputed below rather than
        // held, a flood's candidates being many.
        let patterns: HashSet<Vec<u8>> = records
            .par_iter()
            .enumerate()
            .filter(|&(i, r)| candidate(i, r))
            .filter_map(|(_, r)| generated(r))
            .collect();
        if patterns.is_empty() {
            return Campaigns::default();
        }
        // Each pattern's messages, and how many go out, over the whole queue: only senders at a
        // domain the patterns name are looked up.
        let domains: HashSet<&[u8]> = patterns.iter().filter_map(|p| pattern_domain(p)).collect();
        let counts = records
            .par_iter()
            .enumerate()
            .filter(|(_, r)| {
                r.sender
                    .is_some_and(|s| strings.with(s, |a| at_one_of(a, &domains)))
            })
            .fold(
                HashMap::<Vec<u8>, (usize, usize)>::default,
                |mut m, (i, r)| {
                    if let Some(p) = generated(r).filter(|p| patterns.contains(p)) {
                        let e = m.entry(p).or_default();
                        e.0 += 1;
                        e.1 += usize::from(goes_out(i));
                    }
                    m
                },
            )
            .reduce(HashMap::default, |mut a, b| {
                for (p, (n, out)) in b {
                    let e = a.entry(p).or_default();
                    e.0 += n;
                    e.1 += out;
                }
                a
            });
        // Three in four: a help desk forwarding each customer's message out, sender kept, sends
        // half of that pattern's messages out; a campaign nearly all.
        let sent_out = |p: &Vec<u8>| counts.get(p).is_some_and(|&(n, out)| 4 * out >= 3 * n);
        let mut bits = vec![0u64; records.len().div_ceil(64)];
        for (i, r) in records.iter().enumerate() {
            if candidate(i, r) && generated(r).is_some_and(|p| sent_out(&p)) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        Campaigns { bits }
    }

    /// Those of `records`, a part of a queue, that `whole` names.
    pub(crate) fn of_part(records: &[MessageRecord], whole: &CampaignMessages) -> Campaigns {
        if whole.ids.is_empty() {
            return Campaigns::default();
        }
        let mut bits = vec![0u64; records.len().div_ceil(64)];
        for (i, r) in records.iter().enumerate() {
            if whole.ids.binary_search(&r.id).is_ok() {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        Campaigns { bits }
    }

    /// Is record `i` a campaign's?
    pub(crate) fn has(&self, i: usize) -> bool {
        self.bits
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}

/// The messages of a whole queue that a login sent as a campaign's generated name, by id:
/// what a part of it (`--where`) is judged with. Whether a pattern's messages go out, and
/// whether a login sends mostly as others, are facts of the whole queue: of `--where
/// auth:anna` every message is hers, and her redirected mail's pattern went out (the rest of
/// it came in to local users).
#[derive(Debug, Clone, Default)]
pub(crate) struct CampaignMessages {
    /// Sorted.
    ids: Vec<MessageId>,
}

impl CampaignMessages {
    /// Those of `records` (a whole queue) by `table` under `ctx`, the queue's own tables.
    pub(crate) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        table: &SenderPatterns,
        ctx: &AnalysisContext,
    ) -> CampaignMessages {
        let (foreign, remote) = rayon::join(
            || super::domains::foreign_column(records, strings, ctx),
            || {
                records
                    .iter()
                    .map(|r| super::remote_count(r, strings, ctx))
                    .collect::<Vec<_>>()
            },
        );
        let campaigns = Campaigns::of(records, strings, table, &foreign, &remote);
        let mut ids: Vec<MessageId> = records
            .iter()
            .enumerate()
            .filter(|&(i, _)| campaigns.has(i))
            .map(|(_, r)| r.id)
            .collect();
        ids.sort_unstable();
        CampaignMessages { ids }
    }
}

/// The logins at least half of whose messages of known domains use sender or From domains not
/// their own.
fn mostly_foreign_logins(records: &[MessageRecord], foreign: &[Option<bool>]) -> HashSet<Sym> {
    let mut per: HashMap<Sym, (usize, usize)> = HashMap::default();
    let mut last: Option<(Sym, &mut (usize, usize))> = None;
    for (r, f) in records.iter().zip(foreign) {
        let (Some(user), Some(f)) = (r.origin.auth_user, f) else {
            continue;
        };
        let e = match last.take() {
            Some((u, e)) if u == user => e,
            _ => per.entry(user).or_default(),
        };
        e.0 += 1;
        e.1 += usize::from(*f);
        last = Some((user, e));
    }
    per.into_iter()
        .filter(|&(_, (known, foreign))| 2 * foreign >= known)
        .map(|(u, _)| u)
        .collect()
}

/// The domain a generalised pattern's senders are at or below: `dom` of `<random>@dom`, `rest`
/// of `local@<random>.rest`.
fn pattern_domain(pattern: &[u8]) -> Option<&[u8]> {
    let at = pattern.iter().rposition(|&b| b == b'@')?;
    let domain = &pattern[at + 1..];
    Some(
        domain
            .strip_prefix(RANDOM)
            .and_then(|d| d.strip_prefix(b"."))
            .unwrap_or(domain),
    )
}

/// Is `addr`'s domain one of `domains` (lowercase, as patterns are) or below one (case
/// aside)? By each of its parent domains in the set, not each pattern's domain in turn: the
/// patterns' domains are attacker-chosen, and a login sending half as itself over a hundred
/// thousand domains made each of a million senders compared with every one of them.
fn at_one_of(addr: &[u8], domains: &HashSet<&[u8]>) -> bool {
    let Some(at) = addr.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let domain = &addr[at + 1..];
    let lower;
    let mut d = if domain.iter().any(u8::is_ascii_uppercase) {
        lower = domain.to_ascii_lowercase();
        &lower[..]
    } else {
        domain
    };
    loop {
        if domains.contains(d) {
            return true;
        }
        match d.iter().position(|&b| b == b'.') {
            Some(dot) => d = &d[dot + 1..],
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patterns_domain_is_where_its_senders_are() {
        assert_eq!(
            pattern_domain(b"<random>@spam.example"),
            Some(&b"spam.example"[..])
        );
        assert_eq!(pattern_domain(b"noreply@<random>.biz"), Some(&b"biz"[..]));
        let set = |d: &'static [u8]| HashSet::from_iter([d]);
        assert!(at_one_of(b"kmiller@Spam.Example", &set(b"spam.example")));
        assert!(at_one_of(b"kmiller@mx.spam.example", &set(b"spam.example")));
        assert!(at_one_of(b"noreply@x7f.biz", &set(b"biz")));
        assert!(!at_one_of(b"kmiller@nospam.example", &set(b"spam.example")));
        assert!(!at_one_of(b"no-at-sign", &set(b"spam.example")));
    }
}
