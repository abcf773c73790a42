//! Correlation: name the AUTH user of queued messages whose headers lack one, from the logs.
//!
//! Three links, in order of strength:
//! 1. qmail-send's `info msg ID: ... qp P` ties a log time to the message: its id and its
//!    qmail-queue pid (`Received: (qmail P invoked ...)`, [`MessageRecord::qp`]) must both match,
//!    and, because ids are inodes and pids are reused, the line's time must lie within
//!    [`QP_LINK_WINDOW_SECS`] of the record's `queued` time (info's mtime, written by the same
//!    qmail-send at the same moment). The linked time becomes the anchor; else `queued` is.
//! 2. CHKUSER lines from the message's client IP, within [`CHKUSER_BEFORE_SECS`] before the
//!    anchor (an SMTP session) and [`CHKUSER_AFTER_SECS`] after it, that carry an auth user.
//!    The best line matches the envelope sender and a recipient too; ties go to the nearest.
//!    A line matching neither (chkuser logs every RCPT with the session's sender) is another
//!    session's, and is never taken: on a NAT's or a webmail's IP it names a user who did not
//!    send the message (review52: a polling mailbox's lines pinned 1,210 messages on it when
//!    the spam sessions' own lines were not in the logs given). For a message whose Received
//!    line says plain SMTP on a server whose AUTH patch marks logins (`ESMTPA` on some message
//!    of the queue), an SMTP AUTH login in step 3 is another session's too (only a POP3/IMAP
//!    one can have let it relay); for one that says it logged in (`ESMTPA`), a POP3/IMAP login
//!    is not its login (only an SMTP AUTH one).
//!    But when the message's own line (sender and recipient, not rejected) carries no auth
//!    user and no line with one matches as well, the session was not authenticated: another
//!    session's user from the same IP is not this message's, and step 3 may name only a
//!    POP3/IMAP login.
//! 3. A login success from the same IP within [`LOGIN_WINDOW_SECS`] before the anchor: an SMTP
//!    AUTH login first, a POP3/IMAP login (POP-before-SMTP relaying) only when there is none.
//!    When several accounts logged in from that IP (webmail, a NAT), only one account's login
//!    within [`SESSION_SECS`] before the anchor names it; otherwise none is named. For
//!    POP-before-SMTP, another account's SMTP AUTH login from the IP counts as another account
//!    (review52: `test` logging in over SMTP in the second `victim`'s client polled, and the
//!    relay was pinned on `victim`).
//!
//! The anchor is when the session ended: qmail-queue's Received date
//! ([`MessageRecord::qmail_queue_time`]), else the qmail-send link's time, else `queued`.

use std::collections::HashMap;
use std::net::IpAddr;

use super::event::{
    ChkVerdict, LogEntry, LogEvent, LogRef, LoginEvent, LoginOutcome, SendEvent, Service,
};
use super::LogEvidence;
use crate::queue::{Interner, MessageId, MessageRecord};

/// How far (seconds) a qmail-send `info msg` line may lie from the record's queued time.
pub const QP_LINK_WINDOW_SECS: i64 = 600;
/// How long before the anchor a CHKUSER line may be (a slow spam session, many RCPTs).
pub const CHKUSER_BEFORE_SECS: i64 = 900;
/// How long after the anchor a CHKUSER line may be (clock skew between two logs).
pub const CHKUSER_AFTER_SECS: i64 = 60;
/// How long before the anchor a login success still explains a message.
pub const LOGIN_WINDOW_SECS: i64 = 1800;
/// How long before its message a session's own login may be when several accounts log in from
/// one IP: an SMTP session authenticates seconds before its DATA ends.
pub const SESSION_SECS: i64 = 60;
/// Most candidate lines looked at for one message.
pub const MAX_CANDIDATES: usize = 10_000;

/// Which kind of line named the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttributionSource {
    /// A qmail-smtpd CHKUSER line with the auth user.
    Chkuser,
    /// An SMTP AUTH login success from the same IP.
    SmtpLogin,
    /// A POP3/IMAP login success from the same IP (POP-before-SMTP).
    PopBeforeSmtp,
}

/// The AUTH user the logs name for one message, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogAttribution {
    /// The account.
    pub auth_user: String,
    /// `from log: CHKUSER line at 2026-11-23T10:42:07Z (/var/log/qmail/smtpd/current:12)`, plus the
    /// qmail-send link when there is one. Times are UTC.
    pub evidence: String,
    /// The client IP of the evidence line.
    pub ip: Option<IpAddr>,
    /// Which kind of line.
    pub source: AttributionSource,
    /// The evidence line's time (unix seconds).
    pub time: i64,
    /// Where it is.
    pub at: LogRef,
    /// The file `at` is in, so the line can be read again to be shown.
    pub file: std::path::PathBuf,
}

/// `YYYY-MM-DDTHH:MM:SSZ` (UTC): a log line's time as the report gives every other time
/// (newuser58: `at 00:04:47`, no date nor zone, beside RFC 3339 times).
pub fn clock(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| format!("@{secs}"))
}

/// Indexes over the evidence built once for all records.
struct Index<'a> {
    evidence: &'a LogEvidence,
    info_by_qp: HashMap<u32, Vec<(i64, u64, LogRef)>>,
    chk_by_ip: HashMap<IpAddr, Vec<&'a LogEntry>>,
    /// CHKUSER lines without an auth user that were not rejections (a message's own line says
    /// whether its session was authenticated).
    plain_by_ip: HashMap<IpAddr, Vec<&'a LogEntry>>,
    login_by_ip: HashMap<IpAddr, Vec<&'a LogEntry>>,
}

impl<'a> Index<'a> {
    fn new(evidence: &'a LogEvidence) -> Index<'a> {
        let mut ix = Index {
            evidence,
            info_by_qp: HashMap::new(),
            chk_by_ip: HashMap::new(),
            plain_by_ip: HashMap::new(),
            login_by_ip: HashMap::new(),
        };
        for e in &evidence.entries {
            match &e.event {
                LogEvent::Send(SendEvent::Info { id, qp, .. }) => {
                    ix.info_by_qp
                        .entry(*qp)
                        .or_default()
                        .push((e.time, *id, e.at));
                }
                LogEvent::Chkuser(c) if c.auth_user.is_some() => {
                    if let Some(ip) = c.ip {
                        ix.chk_by_ip.entry(ip).or_default().push(e);
                    }
                }
                LogEvent::Chkuser(c) if c.verdict != ChkVerdict::Rejected => {
                    if let Some(ip) = c.ip {
                        ix.plain_by_ip.entry(ip).or_default().push(e);
                    }
                }
                LogEvent::Login(l) if l.outcome == LoginOutcome::Success => {
                    if let Some(ip) = l.ip {
                        ix.login_by_ip.entry(ip).or_default().push(e);
                    }
                }
                _ => {}
            }
        }
        ix
    }

    /// The qmail-send `info` line of this very message, if logged.
    fn queue_link(&self, rec: &MessageRecord) -> Option<(i64, LogRef)> {
        let qp = rec.qp?.get();
        self.info_by_qp
            .get(&qp)?
            .iter()
            .filter(|(t, id, _)| *id == rec.id.0 && (t - rec.queued()).abs() <= QP_LINK_WINDOW_SECS)
            .min_by_key(|(t, _, _)| (t - rec.queued()).abs())
            .map(|&(t, _, at)| (t, at))
    }
}

/// Entries of a time-sorted list in `from..=to`.
fn window<'a>(list: &'a [&'a LogEntry], from: i64, to: i64) -> &'a [&'a LogEntry] {
    let lo = list.partition_point(|e| e.time < from);
    let hi = list.partition_point(|e| e.time <= to).max(lo);
    let hi = hi.min(lo.saturating_add(MAX_CANDIDATES));
    list.get(lo..hi).unwrap_or(&[])
}

/// For each message whose headers name no AUTH user, the user its logs name (see the module
/// docs for the rules). Messages the logs say nothing about are absent from the map.
pub fn attribute(
    records: &[MessageRecord],
    strings: &Interner,
    evidence: &LogEvidence,
) -> HashMap<MessageId, LogAttribution> {
    let ix = Index::new(evidence);
    // Does this server's AUTH patch mark a login in the protocol word (`ESMTPA`)? Then a
    // message that says plain SMTP did not log in. Some patches leave it `SMTP` (the Plesk
    // seed's `test` spam), and there it says nothing.
    let marks_logins = records.iter().any(|r| logged_in(r, strings));
    let mut out = HashMap::new();
    for rec in records.iter().filter(|r| r.origin.auth_user.is_none()) {
        if let Some(a) = attribute_one(rec, strings, &ix, marks_logins) {
            out.insert(rec.id, a);
        }
    }
    out
}

/// Does `rec`'s Received line say its client logged in (`ESMTPA`, `ESMTPSA`)?
fn logged_in(rec: &MessageRecord, strings: &Interner) -> bool {
    (rec.origin.protocol).is_some_and(|p| strings.with(p, crate::queue::received::is_authenticated))
}

fn attribute_one(
    rec: &MessageRecord,
    strings: &Interner,
    ix: &Index<'_>,
    marks_logins: bool,
) -> Option<LogAttribution> {
    let ip = rec
        .origin
        .ip
        .and_then(|s| super::recognize::ip(&strings.text(s)))?;
    let link = ix.queue_link(rec);
    // When the session ended: qmail-queue's own date. qmail-send's info line and info's mtime
    // come when it preprocessed the message, minutes later in a flood, and the latest login
    // before that is another session's.
    let anchor = rec
        .qmail_queue_time()
        .or(link.map(|(t, _)| t))
        .unwrap_or(rec.queued());
    // A message that says it did not log in, on a server whose patch says so: a line or an
    // SMTP login of another session from its IP is not its user (a spammer who logs in from
    // an IP may relay from it without a login too: newuser50, review50).
    let unmarked = marks_logins && !logged_in(rec, strings);
    let mut found = match from_chkuser(rec, strings, ix, ip, anchor) {
        Chk::Named(a) => a,
        Chk::Nothing if unmarked => from_login(ix, ip, anchor, Logins::PopBeforeSmtp)?,
        // It says it logged in over SMTP: a POP3/IMAP login is no SMTP AUTH session's.
        Chk::Nothing if logged_in(rec, strings) => from_login(ix, ip, anchor, Logins::SmtpAuth)?,
        Chk::Nothing => from_login(ix, ip, anchor, Logins::Any)?,
        // Its session did not authenticate: an SMTP login from that IP was another session's;
        // only a POP3/IMAP one can have let it relay.
        Chk::Unauthenticated => from_login(ix, ip, anchor, Logins::PopBeforeSmtp)?,
    };
    if let Some((t, at)) = link {
        found.evidence.push_str(&format!(
            "; qmail-send info line for msg {} qp {} at {} ({})",
            rec.id,
            rec.qp.map_or(0, |p| p.get()),
            clock(t),
            ix.evidence.place(at)
        ));
    }
    Some(found)
}

/// What the CHKUSER lines say of one message.
enum Chk {
    /// Its session's AUTH user.
    Named(LogAttribution),
    /// Its own line carries no AUTH user (and none with one matches it as well).
    Unauthenticated,
    /// No line.
    Nothing,
}

fn from_chkuser<'a>(
    rec: &MessageRecord,
    strings: &Interner,
    ix: &'a Index<'a>,
    ip: IpAddr,
    anchor: i64,
) -> Chk {
    let sender = rec.sender.map(|s| strings.text(s));
    // The record keeps its first recipient (not the whole list: issue 22's memory bound), and
    // chkuser logs a line for every RCPT, the first one's among them.
    let rcpts: Vec<String> = rec
        .recipients
        .first()
        .map(|a| strings.text(a))
        .into_iter()
        .collect();
    let best_of = |by_ip: &'a HashMap<IpAddr, Vec<&'a LogEntry>>| {
        best_line(by_ip.get(&ip)?, anchor, sender.as_deref(), &rcpts)
    };
    // A line with neither the message's sender nor its first recipient is another session's
    // from the same IP: a relay without a login by a spammer who also logs in (newuser50: a
    // relayed phish pinned on `test`), or on a shared IP another person (review52).
    let named = best_of(&ix.chk_by_ip).filter(|(score, ..)| *score >= HALF_MATCH);
    let own = |score: u8| score == FULL_MATCH;
    if best_of(&ix.plain_by_ip).is_some_and(|(score, ..)| own(score))
        && !named.as_ref().is_some_and(|(score, ..)| own(*score))
    {
        return Chk::Unauthenticated;
    }
    let Some((_, _, e, c)) = named else {
        return Chk::Nothing;
    };
    Chk::Named(LogAttribution {
        auth_user: c.auth_user.as_deref().unwrap_or_default().to_string(),
        evidence: format!(
            "from log: CHKUSER line at {} ({})",
            clock(e.time),
            ix.evidence.place(e.at)
        ),
        ip: Some(ip),
        source: AttributionSource::Chkuser,
        time: e.time,
        at: e.at,
        file: ix.evidence.file_of(e.at),
    })
}

/// A CHKUSER line's score when both the envelope sender and a recipient match the message.
const FULL_MATCH: u8 = 4;
/// Its score when one of them does: the least that makes a line the message's session's.
const HALF_MATCH: u8 = 2;

/// The best of `list`'s CHKUSER lines near `anchor` for a message from `sender` to `rcpts`:
/// its score (2 for the sender, 2 for a recipient), then the nearest in time.
fn best_line<'a>(
    list: &'a [&'a LogEntry],
    anchor: i64,
    sender: Option<&str>,
    rcpts: &[String],
) -> Option<(
    u8,
    std::cmp::Reverse<i64>,
    &'a LogEntry,
    &'a super::event::ChkuserEvent,
)> {
    window(
        list,
        anchor - CHKUSER_BEFORE_SECS,
        anchor + CHKUSER_AFTER_SECS,
    )
    .iter()
    .filter_map(|e| match &e.event {
        LogEvent::Chkuser(c) => {
            let score = 2 * u8::from(sender == Some(&*c.sender))
                + 2 * u8::from(
                    c.rcpt
                        .as_deref()
                        .is_some_and(|r| rcpts.iter().any(|x| x == r)),
                );
            Some((score, std::cmp::Reverse((e.time - anchor).abs()), *e, c))
        }
        _ => None,
    })
    .max_by_key(|(score, near, _, _)| (*score, *near))
}

/// Which login successes may explain a message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Logins {
    /// An SMTP AUTH login first, else a POP3/IMAP one.
    Any,
    /// POP3/IMAP only (POP-before-SMTP): the message's own session did not authenticate.
    PopBeforeSmtp,
    /// SMTP AUTH only: the message says its session logged in (`ESMTPA`).
    SmtpAuth,
}

fn from_login(ix: &Index<'_>, ip: IpAddr, anchor: i64, which: Logins) -> Option<LogAttribution> {
    let list = ix.login_by_ip.get(&ip)?;
    let lines = window(
        list,
        anchor - LOGIN_WINDOW_SECS,
        anchor + CHKUSER_AFTER_SECS,
    );
    let is_smtp =
        |e: &&LogEntry| matches!(&e.event, LogEvent::Login(l) if l.service == Service::Smtp);
    let smtp: Vec<&LogEntry> = match which {
        Logins::Any | Logins::SmtpAuth => lines.iter().copied().filter(is_smtp).collect(),
        Logins::PopBeforeSmtp => Vec::new(),
    };
    let ((e, l), source) = if smtp.is_empty() && which != Logins::SmtpAuth {
        let pop: Vec<&LogEntry> = lines.iter().copied().filter(|e| !is_smtp(e)).collect();
        // Any account's login from the IP makes it shared, an SMTP AUTH one's included.
        (
            own_login(&pop, lines, anchor)?,
            AttributionSource::PopBeforeSmtp,
        )
    } else {
        (
            own_login(&smtp, &smtp, anchor)?,
            AttributionSource::SmtpLogin,
        )
    };
    let how = match source {
        AttributionSource::PopBeforeSmtp => ", POP-before-SMTP",
        _ => "",
    };
    Some(LogAttribution {
        auth_user: l.user.to_string(),
        evidence: format!(
            "from log: {} {} login success at {} ({}){how}",
            l.daemon.name(),
            l.service.name(),
            clock(e.time),
            ix.evidence.place(e.at)
        ),
        ip: Some(ip),
        source,
        time: e.time,
        at: e.at,
        file: ix.evidence.file_of(e.at),
    })
}

/// The login that explains a message at `anchor`: the latest of `named` (one kind, time
/// order), when every login of `all` (a superset, time order) names its account. When several
/// accounts log in from the IP (webmail, a NAT), only a login within [`SESSION_SECS`] before
/// the message can be its session's, and only if no other account's is: else none is named (a
/// mix's webmail messages were all pinned on whoever logged in last).
fn own_login<'s, 'e>(
    named: &'s [&'e LogEntry],
    all: &'s [&'e LogEntry],
    anchor: i64,
) -> Option<(&'e LogEntry, &'e LoginEvent)> {
    let login = |e: &&'e LogEntry| match &e.event {
        LogEvent::Login(l) => Some((*e, l)),
        _ => None,
    };
    // Only logins up to the session's end: a later one is another session's.
    let upto = |list: &'s [&'e LogEntry]| &list[..list.partition_point(|e| e.time <= anchor)];
    let since =
        |list: &'s [&'e LogEntry], from: i64| &list[list.partition_point(|e| e.time < from)..];
    let (named, all) = (upto(named), upto(all));
    let one_account = |from: i64| {
        let mut users = since(all, from)
            .iter()
            .filter_map(login)
            .map(|(_, l)| &l.user);
        let first = users.next()?;
        if !users.all(|u| u == first) {
            return None;
        }
        (since(named, from).iter().rev())
            .filter_map(login)
            .find(|(_, l)| &l.user == first)
    };
    one_account(i64::MIN).or_else(|| one_account(anchor - SESSION_SECS))
}

#[cfg(test)]
mod tests;
