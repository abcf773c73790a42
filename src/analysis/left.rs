//! The parts of a culprit's mail left as likely real: what it wrote only to this server's own
//! mailboxes, a stolen account's mail that does not divert replies, and a guessed account's or
//! a hacked site's mail written as its own domain.
//!
//! **Local only.** A culprit is convicted for what it relays out; what it wrote only to
//! mailboxes this server delivers itself is often the real mail of the place the spammer
//! abused. mix62 (session 62, queues built through the real qmail by a helper who never read
//! this code): a hacked site's `contact.php` abused by header injection, 1,200 messages to
//! 30-80 remote recipients each, and `cluster:script=contact.php` took the 62 real enquiries of
//! six sites' forms with it, each to its site's own mailbox here; a guessed scanner login
//! sending as a colleague, and the scanner's own 8 scans to the office's mailboxes were taken.
//! None of the spam was local only. So a culprit's messages whose every recipient is local are
//! left when they are a small part of its mail (`plan` names them, with the query that lists
//! them); a culprit most of whose mail is local (inbound spam to this server's users, a
//! colleague's stolen password phishing the office) is taken whole, as before.
//!
//! **Replies kept.** A hijacked account's spam sends its replies elsewhere (Reply-To at a
//! freemail domain: the fraud wants the answers); its owner, writing from the same webmail and
//! the same IP, does not. mix62's queue A: 900 spam through Roundcube on 127.0.0.1, every one
//! diverting replies, and 40 of the owner's own messages, none; `plan` took 31 of hers (the
//! other 9 were local only). So of an AUTH-user culprit whose mail mostly diverts replies, the
//! messages that do not are left when they are a small part of it.
//!
//! **Its own domain kept.** A guessed login's spam writes as other domains' senders (the
//! ranking's "senders not their own"); its owner writes as the login's own domain. walk65
//! (session 65, a helper acting as a new operator on a real qmail under a live flood):
//! `support@example.com`'s owner wrote 60 messages as itself, from the office (which other
//! logins use too: left as the owner's), from home and from a phone; the plan took the 22 from
//! home and the phone, and `sales@`'s 28 likewise. So of an AUTH-user culprit whose mail
//! mostly writes as other domains, the messages as the login's own domain are left when they
//! are a small part of it and on no subject template the rest use. The same of a uid whose
//! passwd home names a web site (`/var/www/vhosts/DOMAIN`), by From: mix65's hacked WordPress
//! sent its phishing From banks and its own password resets From the site.

use super::context::AnalysisContext;
use super::key::ClusterKey;
use super::patterns::Templates;
use super::signals::remote_mailbox_count;
use super::types::Cluster;
use crate::queue::{Interner, MessageRecord, Sym};
use rustc_hash::FxHashSet as HashSet;

/// The local-only part is at most one message in this many of the culprit's: a culprit mostly
/// writing to this server's own users is taken whole.
pub const SHARE_DIVISOR: usize = 5;

/// The query term that keeps a culprit's messages with a remote recipient.
pub const REMOTE_TERM: &str = "remote-rcpts:>0";

/// The term that lists what is left: messages with no remote recipient.
pub const LOCAL_TERM: &str = "remote-rcpts:0";

/// A part of a culprit's messages: with recipients, none of them remote; or, of an account,
/// not diverting replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Indices into the records, ascending.
    pub members: Vec<u32>,
}

impl Part {
    /// Is record `i` one of them?
    pub fn holds(&self, i: u32) -> bool {
        self.members.binary_search(&i).is_ok()
    }
}

/// The local-only part of culprit `c`, of its members `counted` says to judge (the ones not
/// already left for another reason), when there is one and it is at most a
/// [`SHARE_DIVISOR`]th of them. A recipient not yet preprocessed is local when its domain is
/// one of `ctx`'s mailbox domains (control/locals, virtualdomains): never by what the queue
/// holds, which deliveries change between a plan and its yank (review62: six enquiries left
/// by a plan were taken by the next yank once the queue's local deliveries were gone).
pub fn local_only(
    c: &Cluster,
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
    counted: impl Fn(u32) -> bool,
) -> Option<Part> {
    small_part(c, records, counted, |r| {
        !r.recipients.is_empty() && remote_mailbox_count(r, strings, ctx) == 0
    })
}

/// The part of account culprit `c` (an AUTH user) whose messages do not send replies to
/// another domain, of its members `counted` says to judge, when the rest do, it is at most a
/// [`SHARE_DIVISOR`]th of them, and none of it is on a subject template the diverting ones
/// use: then it is the hijacker's too, and the account is taken whole (review62: a hijacker
/// writing a fifth of its fraud without Reply-To had it left as "its owner's own mail"). Not
/// left message by message, so the culprit's term stays `reply-elsewhere:yes` and selects
/// exactly what the plan takes.
pub fn undiverted(
    c: &Cluster,
    records: &[MessageRecord],
    strings: &Interner,
    counted: impl Fn(u32) -> bool,
) -> Option<Part> {
    if c.key != ClusterKey::AuthUser {
        return None;
    }
    let part = small_part(c, records, &counted, |r| !r.headers.reply_elsewhere)?;
    let alike = shares_a_template(&part, c, records, strings, |i| {
        counted(i)
            && records
                .get(i as usize)
                .is_some_and(|r| r.headers.reply_elsewhere)
    });
    (!alike).then_some(part)
}

/// Whose own domain a culprit's mail is written as, and where that is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnDomain {
    /// An AUTH login's domain, in the envelope sender (exactly).
    Sender(String),
    /// The web site a uid's passwd home names, without its `www.`, in From (it or below it):
    /// PHP-FPM's envelope sender is `anonymous@HOST` for every site.
    From(String),
}

impl OwnDomain {
    /// The domain, lowercased.
    pub fn domain(&self) -> &str {
        match self {
            OwnDomain::Sender(d) | OwnDomain::From(d) => d,
        }
    }

    /// Is `r` written as it? (Compared in place: asked twice of each of a culprit's
    /// members, a million for a flood's login.)
    fn holds(&self, r: &MessageRecord, strings: &Interner) -> bool {
        let at = |addr: Option<Sym>, test: &dyn Fn(&[u8]) -> bool| {
            addr.is_some_and(|s| {
                strings.with(s, |a| {
                    (a.iter().rposition(|&b| b == b'@')).is_some_and(|at| test(&a[at + 1..]))
                })
            })
        };
        match self {
            OwnDomain::Sender(d) => at(r.sender, &|a| a.eq_ignore_ascii_case(d.as_bytes())),
            OwnDomain::From(d) => at(r.headers.from, &|a| {
                let d = d.as_bytes();
                let n = a.len().saturating_sub(d.len());
                a[n..].eq_ignore_ascii_case(d) && (n == 0 || (n > 1 && a[n - 1] == b'.'))
            }),
        }
    }
}

/// Whose own domain `c`'s mail would be written as: an AUTH login's, or the site its uid runs
/// (`ctx`'s passwd homes).
fn own_of(c: &Cluster, strings: &Interner, ctx: &AnalysisContext) -> Option<OwnDomain> {
    let value = c.value?.text(strings);
    match c.key {
        ClusterKey::AuthUser => {
            let domain = value.rsplit_once('@')?.1.to_ascii_lowercase();
            (!domain.is_empty()).then_some(OwnDomain::Sender(domain))
        }
        ClusterKey::Uid => {
            let site = ctx.site_domains.get(&value.parse::<u32>().ok()?)?;
            let bare = site.strip_prefix("www.").unwrap_or(site);
            Some(OwnDomain::From(bare.to_string()))
        }
        _ => None,
    }
}

/// The part of account or site culprit `c` written as its own domain ([`OwnDomain`]), of its
/// members `counted` says to judge, when it is at most a [`SHARE_DIVISOR`]th of them and none
/// of it is on a subject template the rest use (spam written partly as the login's own
/// address is its spam, taken whole).
pub fn own_domain(
    c: &Cluster,
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
    counted: impl Fn(u32) -> bool,
) -> Option<(Part, OwnDomain)> {
    let of = own_of(c, strings, ctx)?;
    let own = |r: &MessageRecord| of.holds(r, strings);
    let part = small_part(c, records, &counted, own)?;
    let alike = shares_a_template(&part, c, records, strings, |i| {
        counted(i) && records.get(i as usize).is_some_and(|r| !own(r))
    });
    (!alike).then_some((part, of))
}

/// Is a message of `c` that `rest` names on a subject template of `part`'s messages?
fn shares_a_template(
    part: &Part,
    c: &Cluster,
    records: &[MessageRecord],
    strings: &Interner,
    rest: impl Fn(u32) -> bool,
) -> bool {
    // Only once there is a part (most culprits have none): the templates of its few messages,
    // then the rest's subjects read until one is on them, each distinct one once.
    let mut templates = Templates::new(strings);
    let own: HashSet<Vec<u8>> = (part.members.iter())
        .filter_map(|&i| records.get(i as usize))
        .filter_map(|r| templates.of(r.headers.subject))
        .collect();
    (c.members.iter().filter(|&&i| rest(i)))
        .filter_map(|&i| records.get(i as usize))
        .any(|r| {
            templates
                .of(r.headers.subject)
                .is_some_and(|t| own.contains(&t))
        })
}

/// The members of `c` that `counted` judges and `inside` takes, when there are some and they
/// are at most a [`SHARE_DIVISOR`]th of those judged.
fn small_part(
    c: &Cluster,
    records: &[MessageRecord],
    counted: impl Fn(u32) -> bool,
    inside: impl Fn(&MessageRecord) -> bool,
) -> Option<Part> {
    let mut whole = 0;
    let mut members = Vec::new();
    for &i in c.members.iter().filter(|&&i| counted(i)) {
        let Some(r) = records.get(i as usize) else {
            continue;
        };
        whole += 1;
        if inside(r) {
            members.push(i);
        }
    }
    if members.is_empty() || members.len() * SHARE_DIVISOR > whole {
        return None;
    }
    members.sort_unstable();
    Some(Part { members })
}

/// The query term that keeps an account's messages diverting replies.
pub const DIVERTED_TERM: &str = "reply-elsewhere:yes";

/// A culprit's parts left beyond its owner's mail, each judged on what the parts before it
/// left: the local-only part, an account's messages that keep their replies, then its
/// messages as its own domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts {
    /// Its local-only part.
    pub local: Option<Part>,
    /// An account's messages not diverting replies.
    pub undiverted: Option<Part>,
    /// An account's messages as its own domain (the domain, lowercased), the rest of its
    /// mail as other domains'.
    pub own_domain: Option<(Part, OwnDomain)>,
}

impl Parts {
    /// The parts of culprit `c` beyond its `owner`'s mail, `ctx` saying which domains are this
    /// server's as the analysis judged them. `plan` and `report` both ask this.
    pub fn of(
        c: &Cluster,
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
        owner: Option<&super::owner::OwnerMail>,
    ) -> Parts {
        let owners = |i: u32| owner.is_some_and(|o| o.holds(i));
        let local = local_only(c, records, strings, ctx, |i| !owners(i));
        let locals = |i: u32| local.as_ref().is_some_and(|l| l.holds(i));
        let undiverted = undiverted(c, records, strings, |i| !owners(i) && !locals(i));
        let kept = |i: u32| undiverted.as_ref().is_some_and(|l| l.holds(i));
        let own_domain = own_domain(c, records, strings, ctx, |i| {
            !owners(i) && !locals(i) && !kept(i)
        });
        Parts {
            local,
            undiverted,
            own_domain,
        }
    }

    /// All that is left of the culprit, with its `owner`'s mail.
    pub fn left<'a>(&'a self, owner: Option<&'a super::owner::OwnerMail>) -> Left<'a> {
        Left {
            owner,
            local: self.local.as_ref(),
            undiverted: self.undiverted.as_ref(),
            own_domain: self.own_domain.as_ref().map(|(p, _)| p),
        }
    }
}

/// What of a culprit's mail is left as likely real: its owner's, what it wrote only to this
/// server's own mailboxes, and an account's mail that keeps its replies. `plan` and `report`
/// leave the same.
#[derive(Debug, Clone, Copy, Default)]
pub struct Left<'a> {
    /// A stolen login's owner's mail ([`super::owner`]).
    pub owner: Option<&'a super::owner::OwnerMail>,
    /// Its local-only part.
    pub local: Option<&'a Part>,
    /// An account's messages not diverting replies.
    pub undiverted: Option<&'a Part>,
    /// An account's messages as its own domain.
    pub own_domain: Option<&'a Part>,
}

impl Left<'_> {
    /// Is record `i` left?
    pub fn holds(&self, i: u32) -> bool {
        self.owner.is_some_and(|o| o.holds(i))
            || self.local.is_some_and(|l| l.holds(i))
            || self.undiverted.is_some_and(|l| l.holds(i))
            || self.own_domain.is_some_and(|l| l.holds(i))
    }
}

#[cfg(test)]
#[path = "left_tests.rs"]
mod tests;
