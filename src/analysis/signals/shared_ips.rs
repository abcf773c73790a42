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
const SHARED_BY: usize = 3;

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

/// One login run: client IP, HELO, login (the raw spelling, then the account).
type Login = (Sym, Option<Sym>, Sym);

impl SharedIps {
    /// Count the accounts of each IP and client, a login's spellings being one account
    /// ([`crate::analysis::account`], as the `auth-user` key counts them).
    pub(super) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
    ) -> SharedIps {
        // A flood's messages come in runs of one login from one client: one entry a run. The
        // entries go into a vector reserved to size and sorted, not a hash set: 12 bytes each,
        // where a million botnet IPs would cost a set three times that at its peak (issue 22's
        // 200 bytes a message).
        let auth = |r: &MessageRecord| match (r.origin.kind, r.origin.ip, r.origin.auth_user) {
            (OriginKind::SmtpAuth, Some(ip), Some(login)) => Some((ip, r.origin.helo, login)),
            _ => None,
        };
        let mut runs = 0;
        let mut last = None;
        for login in records.iter().filter_map(auth) {
            runs += usize::from(last.replace(login) != Some(login));
        }
        let mut account = KeyExtractor::new(ClusterKey::AuthUser, strings).with_context(ctx);
        let mut logins: Vec<Login> = Vec::with_capacity(runs);
        let mut last = None;
        for r in records {
            let Some(login) = auth(r) else { continue };
            if last.replace(login) == Some(login) {
                continue;
            }
            if let Some(KeyValue::Text(a)) = account.value(r) {
                logins.push((login.0, login.1, a));
            }
        }
        logins.sort_unstable();
        logins.dedup();
        let mut accounts: HashMap<Sym, u32> = HashMap::default();
        let mut clients: HashSet<(Sym, Option<Sym>)> = HashSet::default();
        let mut of_ip: Vec<Sym> = Vec::new();
        for ip_run in logins.chunk_by(|a, b| a.0 == b.0) {
            of_ip.clear();
            of_ip.extend(ip_run.iter().map(|&(_, _, a)| a));
            of_ip.sort_unstable();
            of_ip.dedup();
            let ip = ip_run[0].0;
            if of_ip.len() < SHARED_BY || strings.with(ip, is_internal_ip) {
                continue;
            }
            accounts.insert(ip, of_ip.len() as u32);
            // Sorted by HELO within the IP, each account once a HELO.
            for client in ip_run.chunk_by(|a, b| a.1 == b.1) {
                if client.len() >= SHARED_BY {
                    clients.insert((ip, client[0].1));
                }
            }
        }
        SharedIps { accounts, clients }
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
