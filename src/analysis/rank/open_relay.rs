//! Relaying without a login told apart by its clients: one campaign from many networks, each
//! writing as some other domain or as this server's addresses forged from all over the
//! Internet (an open relay), or a few networks writing as this server's domains (clients
//! tcp.smtp lets relay: an office, a POP-before-SMTP user).

use super::{frac, Scoring, DOMINANT};
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{Bit, Corpus, Signals, SCATTERED_BLOCKS};
use crate::analysis::types::Cluster;
use crate::queue::Sym;
use crate::size::thousands;
use rustc_hash::FxHashMap as HashMap;

/// The conclusion of relaying without a login (`points::origin_points` draws it, this module
/// tells whose clients relay).
pub(super) const RELAY: &str = "relaying without a login: check rcpthosts and tcp.smtp";

/// The signal's last words, by which the report knows a culprit of it (`report/fixes.rs`).
pub const OPEN_RELAY: &str = "an open relay";

/// Networks (/24, /64) relaying one campaign without a login from which the rule letting them
/// relay cannot be an operator's choice: tcp.smtp gives `RELAYCLIENT` to an office, its
/// branches or a customer's range, a few networks.
pub(super) const MANY_RELAY_NETS: usize = 20;

/// The keys a campaign is seen under from many clients: one subject template, one pattern of
/// generated senders. Not a client's keys (one place), nor the origin (all SMTP mail alike),
/// nor the HELO (home routers' clients all say `[192.168.1.100]`).
const CAMPAIGN_KEYS: [ClusterKey; 2] = [ClusterKey::Subject, ClusterKey::SenderPattern];

/// Does a cluster relay (half or more) as this server's domains, more than half of its relayed
/// messages, from fewer than [`MANY_RELAY_NETS`] networks, its subjects many? The operator's
/// own clients: an office or a branch in tcp.smtp, a POP-before-SMTP user at home. Its
/// relaying is then no conclusion: mix64's Q3 office (649 real messages from one IP, as
/// example.com) became a culprit at 41.6 by its share of the queue once the open relay's 3,035
/// were yanked. Still called relaying: an open relay's spam written as this server's domain
/// (from many networks), an office PC relaying spam as other domains, and one campaign (a
/// subject template in 80% of 20+ messages) sent as this server's domain from the Internet,
/// which is no office's everyday mail.
pub(super) fn own_clients(c: &Cluster, s: &Signals) -> bool {
    let campaign = c.key != ClusterKey::Subject
        && s.template
            .is_some_and(|(_, k)| c.messages >= 20 && frac(k, c.messages) >= DOMINANT);
    s.relay_own * 2 > s.relay && s.nets.len() < MANY_RELAY_NETS && !campaign
}

/// [`own_clients`]' words.
pub(super) fn own_words(s: &Signals) -> String {
    format!(
        "relaying without a login as this server's domains from {}: clients tcp.smtp lets \
         relay (an office, a POP-before-SMTP user), not called relaying",
        crate::size::counted(s.nets.len() as u64, "network", "networks")
    )
}

/// Beside the relaying [`origin_points`](super::points::origin_points) found (half of the
/// messages or more), the relay's clients are the Internet's: its hole is tcp.smtp's
/// `RELAYCLIENT` for everyone, a range too wide, or rcpthosts missing, and every campaign
/// through it is spam. POP-before-SMTP users relay from many networks too, but as this
/// server's domains; a backup MX's senders write to rcpthosts domains, which are not remote.
/// mix63's open relay (2,615 spam from 450 IPs, 12 subjects) was 12 suspects at 32-33 without
/// this: relaying alone weighs 20. A subject template relayed as this server's domains earns
/// the same when a third of its relayed messages write as addresses forged from all over the
/// Internet ([`forged_own`]).
pub(super) fn open_relay_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let r = frac(s.relay, c.messages);
    let nets = s.nets.len();
    if !CAMPAIGN_KEYS.contains(&c.key)
        || r < 0.5
        || nets < MANY_RELAY_NETS
        || !sc.whys.iter().any(|(w, _)| *w == RELAY)
    {
        return;
    }
    if s.relay_foreign * 2 > s.relay {
        let words = || {
            format!(
                "relayed without a login from {} networks, as senders at other domains: \
                 {OPEN_RELAY}",
                thousands(nets as u64)
            )
        };
        sc.add(20.0 * r, words, Some(RELAY));
        return;
    }
    if c.key != ClusterKey::Subject {
        return;
    }
    let Some(senders) = forged_own(c, corpus) else {
        return;
    };
    let forged: usize = senders.values().sum();
    if forged * 3 < s.relay {
        return;
    }
    let words = || {
        // The address forged most, the first in text order of those: the same words each run,
        // whatever order the scan interned them in.
        let first = (senders.iter())
            .map(|(&a, &n)| (n, corpus.strings.text(a)))
            .max_by(|x, y| x.0.cmp(&y.0).then_with(|| y.1.cmp(&x.1)))
            .map(|(_, a)| a);
        format!(
            "relayed without a login from {} networks, {} of it as {} of this server's \
             addresses ({}) each relayed from {SCATTERED_BLOCKS} address blocks or more: \
             forged senders, {OPEN_RELAY}",
            thousands(nets as u64),
            thousands(forged as u64),
            thousands(senders.len() as u64),
            match (first, senders.len()) {
                (Some(a), 1) => a,
                (Some(a), n) => format!("{a} and {} more", thousands(n as u64 - 1)),
                (None, _) => String::new(),
            }
        )
    };
    sc.add(20.0 * r, words, Some(RELAY));
}

/// Of `c`'s messages relayed as this server's domains, those written as an address forged
/// from all over the Internet: how many as each address. `None` when one of them came from
/// an IP this server's users log in from: mix64's Q4, an ERP in the office relaying its
/// invoices as `rechnung@example.com` while the relay's bots forged that address under the
/// same subject template; taking the template would take the invoices.
fn forged_own(c: &Cluster, corpus: &Corpus<'_>) -> Option<HashMap<Sym, usize>> {
    let facts = corpus.facts;
    let own = facts.own_senders(corpus.records, corpus.strings);
    let mut senders: HashMap<Sym, usize> = HashMap::default();
    for &i in &c.members {
        let i = i as usize;
        if !facts.has(i, Bit::RelayOwn) {
            continue;
        }
        let r = corpus.records.get(i)?;
        if r.origin.ip.is_some_and(|ip| own.logs_in_from(ip)) {
            return None;
        }
        if let Some(sender) = r.sender.filter(|&a| own.is_scattered(a)) {
            *senders.entry(sender).or_default() += 1;
        }
    }
    Some(senders)
}
