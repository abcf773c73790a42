//! The part of a culprit's mail addressed only to this server's own mailboxes: left as likely
//! real, and named.
//!
//! A culprit is convicted for what it relays out; what it wrote only to mailboxes this server
//! delivers itself is often the real mail of the place the spammer abused. mix62 (session 62,
//! queues built through the real qmail by a helper who never read this code): a hacked site's
//! `contact.php` abused by header injection, 1,200 messages to 30-80 remote recipients each,
//! and `cluster:script=contact.php` took the 62 real enquiries of six sites' forms with it,
//! each to its site's own mailbox here; a guessed scanner login sending as a colleague, and the
//! scanner's own 8 scans to the office's mailboxes were taken. None of the spam was local only.
//! So a culprit's messages whose every recipient is local are left when they are a small part
//! of its mail (`plan` names them, with the query that lists them); a culprit most of whose
//! mail is local (inbound spam to this server's users, a colleague's stolen password phishing
//! the office) is taken whole, as before.

use super::context::AnalysisContext;
use super::signals::remote_count;
use super::types::Cluster;
use crate::queue::{Interner, MessageRecord};

/// The local-only part is at most one message in this many of the culprit's: a culprit mostly
/// writing to this server's own users is taken whole.
pub const SHARE_DIVISOR: usize = 5;

/// The query term that keeps a culprit's messages with a remote recipient.
pub const REMOTE_TERM: &str = "remote-rcpts:>0";

/// The term that lists what is left: messages with no remote recipient.
pub const LOCAL_TERM: &str = "remote-rcpts:0";

/// A culprit's messages with recipients, none of them remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOnly {
    /// Indices into the records, ascending.
    pub members: Vec<u32>,
}

impl LocalOnly {
    /// Is record `i` one of them?
    pub fn holds(&self, i: u32) -> bool {
        self.members.binary_search(&i).is_ok()
    }
}

/// The local-only part of culprit `c`, of its members `counted` says to judge (the ones not
/// already left for another reason), when there is one and it is at most a
/// [`SHARE_DIVISOR`]th of them. `ctx` says which domains are this server's, as the analysis
/// judged them (with the domains the queue itself delivers locally).
pub fn local_only(
    c: &Cluster,
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
    counted: impl Fn(u32) -> bool,
) -> Option<LocalOnly> {
    let mut whole = 0;
    let mut members = Vec::new();
    for &i in c.members.iter().filter(|&&i| counted(i)) {
        let Some(r) = records.get(i as usize) else {
            continue;
        };
        whole += 1;
        if !r.recipients.is_empty() && remote_count(r, strings, ctx) == 0 {
            members.push(i);
        }
    }
    if members.is_empty() || members.len() * SHARE_DIVISOR > whole {
        return None;
    }
    members.sort_unstable();
    Some(LocalOnly { members })
}

/// What of a culprit's mail is left as likely real: its owner's, and what it wrote only to
/// this server's own mailboxes. `plan` and `report` leave the same.
#[derive(Debug, Clone, Copy, Default)]
pub struct Left<'a> {
    /// A stolen login's owner's mail ([`super::owner`]).
    pub owner: Option<&'a super::owner::OwnerMail>,
    /// Its local-only part.
    pub local: Option<&'a LocalOnly>,
}

impl Left<'_> {
    /// Is record `i` left?
    pub fn holds(&self, i: u32) -> bool {
        self.owner.is_some_and(|o| o.holds(i)) || self.local.is_some_and(|l| l.holds(i))
    }
}

#[cfg(test)]
#[path = "local_only_tests.rs"]
mod tests;
