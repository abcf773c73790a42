//! Which public client IPs log in as several accounts: a bot working through a list of guessed
//! logins uses each of its IPs for all of them, where a person's IPs are their own.
//!
//! An office's NAT, a webmail host or a household logs in as several accounts too; what the
//! ranking asks beyond this count (every IP of the login shared, two networks at least, no
//! private address, one client: the same HELO for the accounts) is
//! [`crate::analysis::rank`]'s `shared_ip_points`.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::domains::is_internal_ip;
use crate::analysis::context::AnalysisContext;
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// Accounts one IP must log in as before it is shared: two are a couple's home.
const SHARED_BY: u32 = 3;

/// The queue's public client IPs that logged in (SMTP AUTH) as [`SHARED_BY`] accounts or more,
/// with how many, and the clients among them that did: an IP with the name it gave in HELO.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedIps {
    accounts: HashMap<Sym, u32>,
    /// One machine logging in as several accounts. Behind an office's NAT or a firm's lines
    /// each PC names itself, so the IP is shared but none of its clients is; a bot's client
    /// says the same for every login it tries.
    clients: HashSet<(Sym, Option<Sym>)>,
}

impl SharedIps {
    /// Count the accounts of each IP and client, a login's spellings being one account
    /// ([`crate::analysis::account`], as the `auth-user` key counts them).
    pub(super) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
    ) -> SharedIps {
        let mut account = KeyExtractor::new(ClusterKey::AuthUser, strings).with_context(ctx);
        let mut seen: HashSet<(Sym, Option<Sym>, Sym)> = HashSet::default();
        // A flood's messages come in runs of one login from one client: looked up once a run.
        let mut last: Option<(Sym, Option<Sym>, Sym)> = None;
        for r in records {
            let o = &r.origin;
            let (OriginKind::SmtpAuth, Some(ip), Some(login)) = (o.kind, o.ip, o.auth_user) else {
                continue;
            };
            if last == Some((ip, o.helo, login)) {
                continue;
            }
            last = Some((ip, o.helo, login));
            if let Some(KeyValue::Text(a)) = account.value(r) {
                seen.insert((ip, o.helo, a));
            }
        }
        let pairs: HashSet<(Sym, Sym)> = seen.iter().map(|&(ip, _, a)| (ip, a)).collect();
        let mut per_ip: HashMap<Sym, u32> = HashMap::default();
        for (ip, _) in pairs {
            *per_ip.entry(ip).or_default() += 1;
        }
        per_ip.retain(|&ip, &mut n| n >= SHARED_BY && !strings.with(ip, is_internal_ip));
        let mut per_client: HashMap<(Sym, Option<Sym>), u32> = HashMap::default();
        for (ip, helo, _) in seen {
            if per_ip.contains_key(&ip) {
                *per_client.entry((ip, helo)).or_default() += 1;
            }
        }
        let clients = (per_client.into_iter())
            .filter(|&(_, n)| n >= SHARED_BY)
            .map(|(c, _)| c)
            .collect();
        SharedIps {
            accounts: per_ip,
            clients,
        }
    }

    /// How many accounts `ip` logged in as, when it is shared.
    pub(crate) fn accounts(&self, ip: Sym) -> Option<u32> {
        self.accounts.get(&ip).copied()
    }

    /// Did the client at `ip` saying `helo` log in as several accounts?
    pub(crate) fn is_shared_client(&self, ip: Sym, helo: Option<Sym>) -> bool {
        self.clients.contains(&(ip, helo))
    }
}
