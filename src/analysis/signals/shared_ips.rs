//! Which public client IPs log in as several accounts: a bot working through a list of guessed
//! logins uses each of its IPs for all of them, where a person's IPs are their own.
//!
//! An office's NAT, a webmail host or a household logs in as several accounts too; what the
//! ranking asks beyond this count (every IP of the login shared, two networks at least, no
//! private address) is [`crate::analysis::rank`]'s `shared_ip_points`.

use rustc_hash::FxHashMap as HashMap;

use super::domains::is_internal_ip;
use crate::analysis::context::AnalysisContext;
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// Accounts one IP must log in as before it is shared: two are a couple's home.
const SHARED_BY: u32 = 3;

/// The queue's public client IPs that logged in (SMTP AUTH) as [`SHARED_BY`] accounts or more,
/// with how many.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedIps {
    accounts: HashMap<Sym, u32>,
}

impl SharedIps {
    /// Count the accounts of each IP, a login's spellings being one account
    /// ([`crate::analysis::account`], as the `auth-user` key counts them).
    pub(super) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
    ) -> SharedIps {
        // A flood's messages come in runs of one login from one IP: one pair a run. The pairs
        // go into a vector reserved to size and sorted, not a hash set: 8 bytes each, where a
        // million botnet IPs would cost a set three times that at its peak (issue 22's 200
        // bytes a message).
        let auth = |r: &MessageRecord| match (r.origin.kind, r.origin.ip, r.origin.auth_user) {
            (OriginKind::SmtpAuth, Some(ip), Some(login)) => Some((ip, login)),
            _ => None,
        };
        let mut runs = 0;
        let mut last = None;
        for pair in records.iter().filter_map(auth) {
            runs += usize::from(last.replace(pair) != Some(pair));
        }
        let mut account = KeyExtractor::new(ClusterKey::AuthUser, strings).with_context(ctx);
        let mut pairs: Vec<(Sym, Sym)> = Vec::with_capacity(runs);
        let mut last = None;
        for r in records {
            let Some(pair) = auth(r) else { continue };
            if last.replace(pair) == Some(pair) {
                continue;
            }
            if let Some(KeyValue::Text(a)) = account.value(r) {
                pairs.push((pair.0, a));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        let mut per_ip: HashMap<Sym, u32> = HashMap::default();
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            if run.len() >= SHARED_BY as usize {
                per_ip.insert(run[0].0, run.len() as u32);
            }
        }
        per_ip.retain(|&ip, _| !strings.with(ip, is_internal_ip));
        SharedIps { accounts: per_ip }
    }

    /// How many accounts `ip` logged in as, when it is shared.
    pub(crate) fn accounts(&self, ip: Sym) -> Option<u32> {
        self.accounts.get(&ip).copied()
    }
}
