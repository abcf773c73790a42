//! How much a typical AUTH login of the queue sends: what one account's volume is held against.

use rustc_hash::FxHashMap as HashMap;

use crate::queue::{MessageRecord, OriginKind, Sym};

/// How much a typical AUTH login of the queue sends: the median over the logins of their
/// messages and of their largest recipient count, how many logins there are and how many
/// messages they sent in all.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AccountNorms {
    pub(crate) logins: usize,
    pub(crate) messages: usize,
    pub(crate) median_messages: usize,
    pub(crate) median_fan_out: u32,
}

impl AccountNorms {
    pub(super) fn of(records: &[MessageRecord]) -> AccountNorms {
        let mut per: HashMap<Sym, (usize, u32)> = HashMap::default();
        for r in records {
            if let (OriginKind::SmtpAuth, Some(u)) = (r.origin.kind, r.origin.auth_user) {
                let e = per.entry(u).or_default();
                e.0 += 1;
                e.1 = e.1.max(r.recipients.len() as u32);
            }
        }
        let median = |mut v: Vec<usize>| {
            v.sort_unstable();
            v.get(v.len() / 2).copied().unwrap_or(0)
        };
        AccountNorms {
            logins: per.len(),
            messages: per.values().map(|p| p.0).sum(),
            median_messages: median(per.values().map(|p| p.0).collect()),
            median_fan_out: median(per.values().map(|p| p.1 as usize).collect()) as u32,
        }
    }
}
