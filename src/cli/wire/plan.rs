//! `plan --json`: one object (docs/cli.md "plan").

use serde::Serialize;

/// `plan --json`: one object (docs/cli.md "plan").
#[derive(Debug, Serialize)]
pub struct PlanJson {
    /// Messages the query selects.
    pub messages: usize,
    /// Their envelope recipients.
    pub recipients: usize,
    /// Their mess bytes.
    pub bytes: u64,
    /// Messages over the queue's (0-1).
    pub share: f64,
    /// The combined query (empty without culprits).
    pub query: String,
    /// The culprits.
    pub culprits: Vec<PlanCulpritJson>,
    /// Culprits left for a second plan (the query would be too long for the query language).
    pub left_out: usize,
    /// Suspects whose reason names loud script voices, an internal client writing as another
    /// domain, or one template to many addresses through an internal client: not taken, to
    /// look at.
    pub held_loud: Vec<HeldLoudJson>,
    /// With no culprit, the ranking's strongest other suspects (up to 3), each with its
    /// strongest reason: not taken, to look at.
    pub suspects: Vec<HeldLoudJson>,
    /// Culprits (with the yank area) a yank took part of: their queued rest is not taken.
    pub partly_yanked: Vec<PartlyYankedJson>,
    /// Culprits of the ranking made of bounces none of which quotes a culprit's message: not
    /// taken, to look at.
    pub bounce_culprits: Vec<HeldLoudJson>,
    /// Messages that would remain.
    pub remaining: usize,
    /// What would remain, by kind.
    pub remaining_kinds: Vec<RemainingJson>,
    /// Messages with a file that could not be read: the plan is made without what they hold
    /// (exit 2 when this or `unlisted_dirs` is not 0).
    pub unread_messages: usize,
    /// Queue directories that could not be listed.
    pub unlisted_dirs: usize,
}

/// One culprit of `plan --json`.
#[derive(Debug, Serialize)]
pub struct PlanCulpritJson {
    /// The key name.
    pub by: &'static str,
    /// The value, exact bytes (a string, or `{"bytes": base64}` when not UTF-8).
    pub value: super::Text,
    /// Always `culprit`.
    pub verdict: &'static str,
    /// Its score.
    pub score: f64,
    /// Messages of the cluster taken (0 for a cluster of bounces, which go with their cause).
    pub messages: usize,
    /// Of those, the ones a culprit listed before it already takes.
    pub counted_above: usize,
    /// Bounces quoting its messages, taken with it.
    pub backscatter: usize,
    /// Of its messages, those whose AUTH user only the `--log` files named.
    pub from_log: usize,
    /// Its conclusion and strongest signal.
    pub reason: String,
    /// Its part of the query.
    pub query: String,
    /// Of a stolen login seen from many places, its messages from IPs that logins nobody
    /// suspects use too, left as its owner's own mail (`null` otherwise).
    pub owner_left: Option<OwnerLeftJson>,
    /// Its messages each to this server's own mailboxes only, when they are a fifth of its
    /// mail or less: left as likely real (`null` otherwise).
    pub local_left: Option<PartLeftJson>,
    /// Of an account whose mail mostly sends replies to another domain (Reply-To), its
    /// messages that do not, when they are a fifth of its mail or less: left as its owner's
    /// (`null` otherwise).
    pub undiverted_left: Option<PartLeftJson>,
    /// Of an account whose mail mostly writes as other domains' senders, its messages as its
    /// login's own domain, when they are a fifth of its mail or less and on no subject
    /// template the rest use: left as its owner's (`null` otherwise; since session 65).
    pub own_domain_left: Option<PartLeftJson>,
}

/// A part of a culprit's messages `plan` leaves as likely real (`local_left`,
/// `undiverted_left`, `own_domain_left`).
#[derive(Debug, Serialize)]
pub struct PartLeftJson {
    /// Messages left.
    pub messages: usize,
    /// The query that lists them.
    pub query: String,
    /// Of the part, those another culprit of the plan takes (not in `messages`).
    pub taken_elsewhere: usize,
}

/// A culprit login's messages `plan` leaves as its owner's own.
#[derive(Debug, Serialize)]
pub struct OwnerLeftJson {
    /// Messages left.
    pub messages: usize,
    /// The shared IPs, most messages first.
    pub ips: Vec<IpMessagesJson>,
}

/// One IP and the login's messages from it.
#[derive(Debug, Serialize)]
pub struct IpMessagesJson {
    /// The client IP, exact bytes (a string, or `{"bytes": base64}` when not UTF-8).
    pub ip: super::Text,
    /// The login's messages from it.
    pub messages: usize,
}

/// A suspect of `plan --json`'s `held_loud`.
#[derive(Debug, Serialize)]
pub struct HeldLoudJson {
    /// The key name.
    pub by: &'static str,
    /// The value, exact bytes (as a culprit's).
    pub value: super::Text,
    /// `suspect`, or `culprit` for a culprit of bounces.
    pub verdict: &'static str,
    /// Its score.
    pub score: f64,
    /// Its messages.
    pub messages: usize,
    /// The reason naming its loud voices, or why it is held.
    pub reason: String,
}

/// A culprit of `plan --json`'s `partly_yanked`.
#[derive(Debug, Serialize)]
pub struct PartlyYankedJson {
    /// The key name.
    pub by: &'static str,
    /// The value, exact bytes (as a culprit's).
    pub value: super::Text,
    /// Its score in the ranking of the queue and the yank area.
    pub score: f64,
    /// Its messages in the yank area.
    pub yanked: usize,
    /// Its messages still queued, which the plan does not take.
    pub queued: usize,
    /// Its conclusion and strongest signal in that ranking.
    pub reason: String,
    /// The query selecting it.
    pub query: String,
}

/// One kind of what would remain.
#[derive(Debug, Serialize)]
pub struct RemainingJson {
    /// Messages of this kind.
    pub messages: usize,
    /// The kind in words.
    pub kind: String,
}
