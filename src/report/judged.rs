//! What the operator yanked as spam that no culprit accounts for, described apart from the
//! culprits: when, how much, what on this server sent it, and what to fix.
//!
//! On a shared web host the ranking holds a hacked plugin's flood as a suspect (a busy shop
//! writes alike), so the operator yanks it by a query of their own. The report then said "Spam
//! messages: 0" and "Culprits: none found" to a blacklist reader (newuser56). This is their
//! verdict, not the ranking's: counted and named in its own section, never among the culprits,
//! their origin IPs or their counts (review49: a mistaken yank of inbound mail put other
//! providers' servers among a delisting request's spam origins). So it names what on this
//! server sent the mail (scripts, uids, AUTH logins), not the SMTP clients it came from; and a
//! From address only when many of the messages carry it (a spam run's forged sender), never the
//! one or two of a person's mail yanked by mistake.

use serde::Serialize;

use super::build::{timeline, top_values};
use super::fixes::{culprit_fixes, CulpritFix};
use super::{
    opt_time, shorten, Beyond, Counted, Culprit, MAX_LISTED, MAX_SUBJECT_CHARS, MAX_SUBJECT_SAMPLES,
};
use crate::analysis::cluster::AnalysisContext;
use crate::analysis::key::ClusterKey;
use crate::queue::{Interner, MessageRecord};

/// Fewest messages a From address is written on to be named: a spam run's forged sender is on
/// hundreds; a person's mail yanked by mistake is on a few.
pub const FROM_NAMED_AT: u64 = 10;

/// A script or login gets a fix when it sent at least this share of the judged messages (one
/// in `FIX_SHARE`): the run's own, not a stray contact form the query also took.
const FIX_SHARE: u64 = 10;

/// The operator's yanks no culprit accounts for, bounces aside.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OperatorJudged {
    /// Messages.
    pub messages: u64,
    /// Their envelope recipients.
    pub recipients: u64,
    /// Birth time of the oldest (RFC 3339 in JSON).
    #[serde(serialize_with = "opt_time")]
    pub first_queued: Option<i64>,
    /// Birth time of the newest.
    #[serde(serialize_with = "opt_time")]
    pub last_queued: Option<i64>,
    /// Most of them queued in one calendar minute.
    pub peak_per_minute: u64,
    /// Start of that minute.
    #[serde(serialize_with = "opt_time")]
    pub peak_minute: Option<i64>,
    /// The PHP scripts that sent them, largest first.
    pub scripts: Vec<Counted>,
    /// The scripts beyond the listed ones.
    pub scripts_more: Beyond,
    /// The local uids that queued them (as `top` names them), largest first.
    pub uids: Vec<Counted>,
    /// The AUTH logins that sent them, largest first.
    pub auth_users: Vec<Counted>,
    /// The From addresses written on [`FROM_NAMED_AT`] of them or more, largest first.
    pub from: Vec<Counted>,
    /// Sanitized subject templates (digits and random tokens masked).
    pub subjects: Vec<Counted>,
}

/// Describe `members` (indices of `records`: the operator's yanks no culprit accounts for),
/// logins and uids named as `top` names them in `ctx`; `None` when there are none.
pub fn judged(
    records: &[MessageRecord],
    members: &[usize],
    strings: &Interner,
    ctx: &AnalysisContext,
) -> Option<OperatorJudged> {
    if members.is_empty() {
        return None;
    }
    let t = timeline(records, members, records.len());
    let top = |key, limit| top_values(records, members, key, strings, ctx, limit);
    let (scripts, scripts_more) = top(ClusterKey::Script, MAX_LISTED);
    let (mut subjects, _) = top(ClusterKey::Subject, MAX_SUBJECT_SAMPLES);
    for s in &mut subjects {
        s.value = shorten(&s.value, MAX_SUBJECT_CHARS);
    }
    let (mut from, _) = top(ClusterKey::From, MAX_LISTED);
    from.retain(|f| f.messages >= FROM_NAMED_AT);
    Some(OperatorJudged {
        messages: t.spam_messages,
        recipients: (members.iter())
            .filter_map(|&i| records.get(i))
            .map(|r| r.recipients.len() as u64)
            .sum(),
        first_queued: t.first_spam_queued,
        last_queued: t.last_spam_queued,
        peak_per_minute: t.peak_per_minute,
        peak_minute: t.peak_minute,
        scripts,
        scripts_more,
        uids: top(ClusterKey::Uid, MAX_LISTED).0,
        auth_users: top(ClusterKey::AuthUser, MAX_LISTED).0,
        from,
        subjects,
    })
}

impl OperatorJudged {
    /// What to fix for what sent a share of them ([`FIX_SHARE`]): a script's and a login's fix
    /// as a culprit's, and a uid's only when neither names what sent them (qmail-smtpd's mail
    /// has the uid it ran as, which is no sender to fix).
    pub fn fixes(&self) -> Vec<CulpritFix> {
        let enough = |c: &&Counted| c.messages.saturating_mul(FIX_SHARE) >= self.messages;
        let as_culprit = |kind: ClusterKey| {
            move |c: &Counted| Culprit {
                kind,
                value: c.value.clone(),
                messages: c.messages,
                recipients: 0,
                yanked: c.messages,
                reasons: Vec::new(),
                accounts: Vec::new(),
            }
        };
        let mut senders: Vec<Culprit> = (self.scripts.iter().filter(enough))
            .map(as_culprit(ClusterKey::Script))
            .chain((self.auth_users.iter().filter(enough)).map(as_culprit(ClusterKey::AuthUser)))
            .collect();
        if senders.is_empty() {
            senders.extend((self.uids.iter().filter(enough)).map(as_culprit(ClusterKey::Uid)));
        }
        culprit_fixes(&senders)
    }
}

#[cfg(test)]
mod tests;
