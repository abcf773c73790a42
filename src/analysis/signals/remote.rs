//! How many of a message's recipients qmail-send delivers elsewhere, before and after it has
//! split them.

use crate::analysis::context::AnalysisContext;
use crate::analysis::patterns::is_local_domain;
use crate::queue::{Channel, Interner, MessageRecord};

/// Recipients of `r` qmail-send delivers elsewhere: those it put in `remote/`, and, not yet
/// preprocessed, those not at a domain of [`AnalysisContext::mailbox_domains`] (as qmail-send
/// will split them: by control/locals and virtualdomains alone). What `remote-rcpts:` counts
/// and the plan's local-only part is judged by; unlike [`remote_count`] it never depends on
/// what the queue holds, so a plan and a later yank agree.
pub fn remote_mailbox_count(r: &MessageRecord, strings: &Interner, ctx: &AnalysisContext) -> u32 {
    remote_besides(r, strings, &ctx.mailbox_domains)
}

/// Remote recipients of `r` (its todo recipients not at one of our domains before qmail-send
/// has split them).
pub(crate) fn remote_count(r: &MessageRecord, strings: &Interner, ctx: &AnalysisContext) -> u32 {
    remote_besides(r, strings, &ctx.local_domains)
}

/// `r`'s recipients in `remote/`, and those not yet split whose domain is none of `ours`.
fn remote_besides(r: &MessageRecord, strings: &Interner, ours: &[String]) -> u32 {
    if r.recipients.count(Channel::Todo) == 0 {
        return r.recipients.count(Channel::Remote);
    }
    let todo_remote: u32 = (r.recipients.domains(strings).iter())
        .filter(|rd| rd.channel == Channel::Todo)
        .filter(|rd| {
            rd.domain
                .is_none_or(|d| !strings.with(d, |d| is_local_domain(d, ours)))
        })
        .map(|rd| rd.todo_count)
        .fold(0, u32::saturating_add);
    r.recipients
        .count(Channel::Remote)
        .saturating_add(todo_remote)
}

/// Of a message with remote recipients ([`remote_count`]): is one of them at none of this
/// server's domains ([`AnalysisContext::local_domains`], rcpthosts included)? That is what
/// qmail-smtpd relays: mail to an rcpthosts domain it accepts from anyone, and a backup MX's
/// for its partner sits in `remote/` once split without being relayed (mix64's Q2: 2,051 of a
/// partner's inbound messages taken as an open relay's). Without local domains, yes.
pub(crate) fn relays(r: &MessageRecord, strings: &Interner, ctx: &AnalysisContext) -> bool {
    if ctx.local_domains.is_empty() {
        return true;
    }
    (r.recipients.domains(strings).iter())
        .filter(|rd| rd.channel != Channel::Local)
        .any(|rd| {
            rd.domain
                .is_none_or(|d| !strings.with(d, |d| is_local_domain(d, &ctx.local_domains)))
        })
}
