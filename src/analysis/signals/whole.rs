//! What a part of a queue (`--where`) is judged with of the whole queue: its norms, its
//! campaign messages and its size.
//!
//! A part alone would judge its clusters by itself: of `--where auth:ben`, ben is the median
//! login and 100% of the part, each of a ring's IPs logs in as one account, and every message
//! of a pattern is ben's. So a real user was a culprit and a ring lost its shared IPs.

use super::campaigns::CampaignMessages;
use super::{AccountNorms, ScriptNorms, SharedIps};
use crate::analysis::context::AnalysisContext;
use crate::analysis::patterns::SenderPatterns;
use crate::queue::{Interner, MessageRecord};

/// How much the queue's logins and scripts send, and which IPs log in as several accounts:
/// what one cluster is held against.
#[derive(Debug, Clone, Default)]
pub(super) struct Norms {
    pub(super) accounts: AccountNorms,
    pub(super) scripts: ScriptNorms,
    pub(super) shared_ips: SharedIps,
}

impl Norms {
    pub(super) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
    ) -> Norms {
        let ((accounts, scripts), shared_ips) = rayon::join(
            || (AccountNorms::of(records), ScriptNorms::of(records, strings)),
            || SharedIps::of(records, strings, ctx),
        );
        Norms {
            accounts,
            scripts,
            shared_ips,
        }
    }
}

/// The whole queue's facts a part of it is judged with ([`super::Facts::of_part`]).
#[derive(Debug, Clone, Default)]
pub struct QueueFacts {
    pub(super) norms: Norms,
    pub(super) campaigns: CampaignMessages,
    pub(super) messages: usize,
}

impl QueueFacts {
    /// Of `records`, a whole queue, with its own sender patterns `table` and context `ctx`.
    pub fn of(
        records: &[MessageRecord],
        strings: &Interner,
        table: &SenderPatterns,
        ctx: &AnalysisContext,
    ) -> QueueFacts {
        let (norms, campaigns) = rayon::join(
            || Norms::of(records, strings, ctx),
            || CampaignMessages::of(records, strings, table, ctx),
        );
        QueueFacts {
            norms,
            campaigns,
            messages: records.len(),
        }
    }
}
