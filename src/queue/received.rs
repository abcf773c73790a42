//! Parse qmail's Received lines: qmail-queue's `(qmail P invoked ...)` and qmail-smtpd's hop.
//!
//! Shapes from docs/qmail-format.md §4. qmail-smtpd writes its line itself, so for a message
//! `invoked from network` the hop line is trustworthy; whatever a client wrote below it is not
//! read here.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use memchr::{memchr, memchr2, memrchr};

use super::headers::trim;

/// How qmail-queue was invoked, from its own Received line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invoked {
    /// `invoked from network`: qmail-smtpd, qmail-qmtpd or qmail-qmqpd (uid qmaild).
    FromNetwork,
    /// `invoked by uid N`: a local process.
    ByUid(u32),
    /// `invoked by alias`.
    ByAlias,
    /// `invoked for bounce`: qmail-send's own bounce.
    ForBounce,
}

/// qmail-queue's Received line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLine {
    /// qmail-queue's pid (qmail-send logs it as `qp`).
    pub pid: u32,
    /// How it was invoked.
    pub invoked: Invoked,
}

/// Parse the value of `Received: (qmail <pid> invoked <how>); <date>`.
pub fn parse_queue_line(value: &[u8]) -> Option<QueueLine> {
    let v = trim(value);
    let v = v.strip_prefix(b"(qmail ")?;
    let close = memchr(b')', v)?;
    let inner = &v[..close];
    let sp = memchr(b' ', inner)?;
    let pid = decimal_u32(&inner[..sp])?;
    let how = inner[sp + 1..].strip_prefix(b"invoked ")?;
    let invoked = match how {
        b"from network" => Invoked::FromNetwork,
        b"by alias" => Invoked::ByAlias,
        b"for bounce" => Invoked::ForBounce,
        _ => {
            let n = how.strip_prefix(b"by uid ")?;
            Invoked::ByUid(decimal_u32(n)?)
        }
    };
    Some(QueueLine { pid, invoked })
}

/// `s` as `str::parse::<u32>` reads it (an optional `+`, then ASCII digits, at most
/// `u32::MAX`), without the UTF-8 check and the generic parser: read once a message.
fn decimal_u32(s: &[u8]) -> Option<u32> {
    let digits = s.strip_prefix(b"+").unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, &d| {
        if !d.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// When qmail-queue began writing the message, from the date that ends its own Received line
/// (`(qmail P invoked ...); 1 Dec 2026 23:19:35 -0000`), in unix seconds; `None` unless the value
/// has that shape (see [`crate::queue::date::parse_qmail_date`]).
pub fn queue_line_date(value: &[u8]) -> Option<i64> {
    let v = trim(value);
    if !v.starts_with(b"(qmail ") {
        return None;
    }
    let close = memchr(b')', v)?;
    let date = v[close + 1..].strip_prefix(b"; ")?;
    crate::queue::date::parse_qmail_date(date)
}

/// qmail-smtpd's Received line: the SMTP hop into this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SmtpHop<'a> {
    /// `$TCPREMOTEHOST`, or `unknown`.
    pub host: &'a [u8],
    /// The HELO argument when it differed from host.
    pub helo: Option<&'a [u8]>,
    /// The remoteinfo before the last `@`: the AUTH user with the AUTH patches, else ident.
    pub info: Option<&'a [u8]>,
    /// The client IP.
    pub ip: &'a [u8],
    /// `$TCPLOCALHOST` (this server).
    pub local: Option<&'a [u8]>,
    /// The protocol word: `SMTP`, `ESMTPA`, `ESMTPSA`, ...
    pub protocol: Option<&'a [u8]>,
    /// The TLS/AUTH parenthesis after the protocol said `authenticated`.
    pub says_authenticated: bool,
}

impl SmtpHop<'_> {
    /// Does the line itself say the client logged in with SMTP AUTH?
    ///
    /// Strong: a protocol ending in `A` (`ESMTPA`, `SMTPA`), `ESMTPSA`, or `authenticated`.
    /// Also taken: a remoteinfo holding an `@` (vpopmail logins are full addresses, which ident
    /// never gives). A bare `(user@ip)` with plain SMTP is an old AUTH patch or ident: see
    /// [`SmtpHop::is_weak_auth`].
    pub fn is_authenticated(&self) -> bool {
        let proto_auth = self
            .protocol
            .is_some_and(|p| p.eq_ignore_ascii_case(b"ESMTPSA") || p.ends_with(b"A"));
        self.info.is_some() && (proto_auth || self.says_authenticated || self.is_vpopmail_login())
    }

    /// A remoteinfo that is a full address (`test@example.com@41.203.18.7`).
    pub fn is_vpopmail_login(&self) -> bool {
        self.info.is_some_and(|i| i.contains(&b'@'))
    }

    /// A remoteinfo user with no AUTH marker: old AUTH patch, or RFC 1413 ident.
    pub fn is_weak_auth(&self) -> bool {
        self.info.is_some() && !self.is_authenticated()
    }
}

fn take_token(v: &[u8]) -> (&[u8], &[u8]) {
    let end = memchr(b' ', v).unwrap_or(v.len());
    (&v[..end], &v[end..])
}

fn take_paren(v: &[u8]) -> Option<(&[u8], &[u8])> {
    let v = v.strip_prefix(b"(")?;
    let close = memchr(b')', v)?;
    Some((&v[..close], &v[close + 1..]))
}

fn skip_ws(v: &[u8]) -> &[u8] {
    let n = v.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &v[n..]
}

/// Does a hop's protocol word say the client authenticated (RFC 3848: `ESMTPA`, `ESMTPSA`,
/// `LMTPA`, `UTF8SMTPSA`...)? qmail-smtpd with an AUTH patch writes it even where it names no
/// user, so a message can be an account's though no header says whose.
pub fn is_authenticated(protocol: &[u8]) -> bool {
    let p = protocol.to_ascii_uppercase();
    p.ends_with(b"A") && p.windows(4).any(|w| w == b"SMTP" || w == b"LMTP")
}

/// Parse the (unfolded) value of qmail-smtpd's Received line.
pub fn parse_smtp_hop(value: &[u8]) -> Option<SmtpHop<'_>> {
    let v = skip_ws(value).strip_prefix(b"from ")?;
    let (host, mut v) = take_token(v);
    let mut hop = SmtpHop {
        host,
        ..SmtpHop::default()
    };
    v = skip_ws(v);
    if v.starts_with(b"(HELO ") {
        let (inner, rest) = take_paren(v)?;
        hop.helo = Some(&inner[5..]);
        v = skip_ws(rest);
    }
    let (addr, rest) = take_paren(v)?;
    match memrchr(b'@', addr) {
        Some(at) => {
            hop.info = Some(&addr[..at]);
            hop.ip = &addr[at + 1..];
        }
        None => hop.ip = addr,
    }
    v = skip_ws(rest);
    if let Some(rest) = v.strip_prefix(b"by ") {
        let (local, rest) = take_token(rest);
        hop.local = Some(local);
        v = skip_ws(rest);
    }
    if let Some(rest) = v.strip_prefix(b"with ") {
        let end = memchr2(b' ', b';', rest).unwrap_or(rest.len());
        hop.protocol = Some(&rest[..end]);
        if let Some((inner, _)) = take_paren(skip_ws(&rest[end..])) {
            // Built once: a searcher's setup costs more than one short search.
            static AUTHENTICATED: LazyLock<Finder<'static>> =
                LazyLock::new(|| Finder::new(b"authenticated"));
            hop.says_authenticated = AUTHENTICATED.find(inner).is_some();
        }
    }
    Some(hop)
}

#[cfg(test)]
mod tests;
