//! Terms: one `field:value` predicate each, built from a term token, and written back as text.

use std::net::IpAddr;
use std::ops::Range;

use super::lexer::{TermTok, Unit, ValueTok};
use super::value::{Cmp, MatchMode, Matcher, Quantity};
use super::QueryError;
use crate::analysis::key::ClusterKey;
use crate::queue::{MessageState, OriginKind, ProblemKind};

/// Every field, in the order help texts list them.
pub const FIELDS: [&str; 27] = [
    "id",
    "ip",
    "auth",
    "uid",
    "script",
    "helo",
    "origin",
    "sender",
    "from",
    "sender-domain",
    "rcpt",
    "rcpt-domain",
    "subject",
    "header",
    "body",
    "text",
    "state",
    "bouncing",
    "reply-elsewhere",
    "restored",
    "problem",
    "age",
    "size",
    "rcpts",
    "remote-rcpts",
    "cluster",
    "bounce-of",
];

/// An IP term: a network, or a glob/regex over the address text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IpMatch {
    /// `ip:86.107.221.0/24` (a single address has the full prefix).
    Net {
        /// The network address (host bits cleared).
        addr: IpAddr,
        /// Prefix length.
        prefix: u8,
    },
    /// `ip:86.107.*` or `ip:/^86\./`.
    Text(Matcher),
}

/// One predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    Id(Matcher),
    Ip(IpMatch),
    Auth(Matcher),
    Uid(Matcher),
    Script(Matcher),
    Helo(Matcher),
    Origin(OriginKind),
    Sender(Matcher),
    From(Matcher),
    SenderDomain(Matcher),
    Rcpt(Matcher),
    RcptDomain(Matcher),
    Subject(Matcher),
    /// `header:NAME` (present) or `header:NAME:VALUE`; NAME is lowercased.
    Header {
        name: String,
        value: Option<Matcher>,
    },
    Body(Matcher),
    Text(Matcher),
    State(MessageState),
    Bouncing(bool),
    /// `reply-elsewhere`: its Reply-To is at another organisation's domain than its From
    /// (a record field: `HeaderFields::reply_elsewhere`).
    ReplyElsewhere(bool),
    /// `restored:yes`: the operator restored it from the yank area ([`crate::actions::Restored`]).
    Restored(bool),
    /// `problem:any` is `None`.
    Problem(Option<ProblemKind>),
    Age(Cmp),
    Size(Cmp),
    Rcpts(Cmp),
    /// `remote-rcpts:>0`: envelope recipients qmail-send delivers elsewhere
    /// (`analysis::signals::remote_mailbox_count`, under the tables' context: control/locals
    /// and virtualdomains).
    RemoteRcpts(Cmp),
    Cluster {
        key: ClusterKey,
        value: Matcher,
    },
    /// `bounce-of:KEY=VALUE`: a bounce whose quoted copy has that cluster value
    /// ([`crate::analysis::backscatter`]); reads the file.
    BounceOf {
        key: ClusterKey,
        value: Matcher,
    },
}

const EXACT: MatchMode = MatchMode {
    fold: false,
    search: false,
};
const FOLD: MatchMode = MatchMode {
    fold: true,
    search: false,
};
const SEARCH: MatchMode = MatchMode {
    fold: false,
    search: true,
};

fn err(span: Range<usize>, message: impl Into<String>) -> QueryError {
    QueryError {
        span,
        message: message.into(),
    }
}

fn one_of<T: Copy>(
    all: &[T],
    name: impl Fn(T) -> &'static str,
    v: &ValueTok,
    extra: &[&str],
) -> Result<T, String> {
    let text = match v {
        ValueTok::Plain(u) if u.iter().all(|u| matches!(u, Unit::Lit(_))) => u
            .iter()
            .filter_map(|u| if let Unit::Lit(c) = u { Some(*c) } else { None })
            .collect::<String>(),
        _ => String::new(),
    };
    if let Some(t) = all.iter().find(|t| name(**t).eq_ignore_ascii_case(&text)) {
        return Ok(*t);
    }
    let names: Vec<&str> = all
        .iter()
        .map(|t| name(*t))
        .chain(extra.iter().copied())
        .collect();
    Err(format!("expected one of {}", names.join(", ")))
}

/// How each string field compares values: addresses and domains fold case; `body:` and
/// `text:` search anywhere; the rest match the whole value exactly.
fn string_mode(field: &str) -> Option<MatchMode> {
    match field {
        "id" | "uid" | "script" | "subject" | "header" | "cluster" | "bounce-of" => Some(EXACT),
        "auth" | "helo" | "sender" | "from" | "sender-domain" | "rcpt" | "rcpt-domain" => {
            Some(FOLD)
        }
        "body" | "text" => Some(SEARCH),
        _ => None,
    }
}

fn matcher(v: &ValueTok, mode: MatchMode, vspan: &Range<usize>) -> Result<Matcher, QueryError> {
    Matcher::from_token(v, mode).map_err(|(msg, in_flags)| match v {
        ValueTok::Regex { flags_span, .. } if in_flags => err(flags_span.clone(), msg),
        _ => err(vspan.clone(), msg),
    })
}

/// Build the term a token names.
pub(crate) fn build(t: &TermTok) -> Result<Term, QueryError> {
    let (qualifier, qspan) = t.qualifier.clone().unwrap_or_default();
    let Some(v) = &t.value else {
        return Ok(Term::Header {
            name: qualifier.to_ascii_lowercase(),
            value: None,
        });
    };
    if let Some(mode) = string_mode(&t.field) {
        // `id:#5710141`: the id as qmail-qread prints it, `#` and all (newuser59).
        let unhashed = match v {
            ValueTok::Plain(units) if t.field == "id" && units.first() == Some(&Unit::Lit('#')) => {
                Some(ValueTok::Plain(units[1..].to_vec()))
            }
            _ => None,
        };
        let v = unhashed.as_ref().unwrap_or(v);
        let m = match null_sender(v).filter(|_| t.field == "sender") {
            Some(m) => m,
            None => matcher(v, mode, &t.value_span)?,
        };
        return match t.field.as_str() {
            "cluster" => Ok(Term::Cluster {
                key: cluster_key(&qualifier, qspan)?,
                value: m,
            }),
            "bounce-of" => Ok(Term::BounceOf {
                key: bounce_key(&qualifier, qspan)?,
                value: m,
            }),
            "header" => Ok(Term::Header {
                name: qualifier.to_ascii_lowercase(),
                value: Some(m),
            }),
            f => Ok(string_term(f, m)),
        };
    }
    let at = |msg: String| err(t.value_span.clone(), msg);
    Ok(match t.field.as_str() {
        "ip" => Term::Ip(ip(v, t.value_span.clone())?),
        "origin" => Term::Origin(one_of(&OriginKind::ALL, OriginKind::name, v, &[]).map_err(at)?),
        "state" => Term::State(one_of(&MessageState::ALL, MessageState::name, v, &[]).map_err(at)?),
        "reply-elsewhere" => Term::ReplyElsewhere(
            one_of(&[true, false], |b| if b { "yes" } else { "no" }, v, &[]).map_err(at)?,
        ),
        "bouncing" => Term::Bouncing(
            one_of(&[true, false], |b| if b { "yes" } else { "no" }, v, &[]).map_err(at)?,
        ),
        "restored" => Term::Restored(
            one_of(&[true, false], |b| if b { "yes" } else { "no" }, v, &[]).map_err(at)?,
        ),
        "problem" => Term::Problem(problem(v).map_err(at)?),
        "age" => Term::Age(Cmp::parse(v, Quantity::Duration).map_err(at)?),
        "size" => Term::Size(Cmp::parse(v, Quantity::Size).map_err(at)?),
        "rcpts" => Term::Rcpts(Cmp::parse(v, Quantity::Count).map_err(at)?),
        "remote-rcpts" => Term::RemoteRcpts(Cmp::parse(v, Quantity::Count).map_err(at)?),
        other => {
            let expected = FIELDS.join(", ");
            let msg = format!("unknown field {other:?}: expected one of {expected}");
            return Err(err(t.field_span.clone(), msg));
        }
    })
}

/// The term of a string field other than `header:` and `cluster:`.
fn string_term(field: &str, m: Matcher) -> Term {
    match field {
        "id" => Term::Id(m),
        "uid" => Term::Uid(m),
        "script" => Term::Script(m),
        "subject" => Term::Subject(m),
        "auth" => Term::Auth(m),
        "helo" => Term::Helo(m),
        "sender" => Term::Sender(m),
        "from" => Term::From(m),
        "sender-domain" => Term::SenderDomain(m),
        "rcpt" => Term::Rcpt(m),
        "rcpt-domain" => Term::RcptDomain(m),
        "body" => Term::Body(m),
        _ => Term::Text(m),
    }
}

fn cluster_key(name: &str, span: Range<usize>) -> Result<ClusterKey, QueryError> {
    ClusterKey::from_name(&name.to_ascii_lowercase()).ok_or_else(|| {
        let names: Vec<&str> = ClusterKey::ALL.iter().map(|k| k.name()).collect();
        let msg = format!(
            "unknown cluster key {name:?}: expected one of {}",
            names.join(", ")
        );
        err(span, msg)
    })
}

/// The key of `bounce-of:KEY=`: one a quoted copy decides (its headers, its Return-Path).
fn bounce_key(name: &str, span: Range<usize>) -> Result<ClusterKey, QueryError> {
    let keys = crate::analysis::backscatter::KEYS;
    match ClusterKey::from_name(&name.to_ascii_lowercase()) {
        Some(k) if keys.contains(&k) => Ok(k),
        _ => {
            let names: Vec<&str> = keys.iter().map(|k| k.name()).collect();
            let msg = format!(
                "unknown bounce-of key {name:?}: expected one of {}",
                names.join(", ")
            );
            Err(err(span, msg))
        }
    }
}

/// `sender:<>` is the null sender, the same as `sender:""`.
fn null_sender(v: &ValueTok) -> Option<Matcher> {
    match v {
        ValueTok::Plain(u) if u[..] == [Unit::Lit('<'), Unit::Lit('>')] => {
            Matcher::plain(Vec::new(), FOLD).ok()
        }
        _ => None,
    }
}

fn problem(v: &ValueTok) -> Result<Option<ProblemKind>, String> {
    const ALL: [ProblemKind; 11] = ProblemKind::ALL;
    if matches!(v, ValueTok::Plain(u) if u[..] == [Unit::Lit('a'), Unit::Lit('n'), Unit::Lit('y')])
    {
        return Ok(None);
    }
    one_of(&ALL, ProblemKind::name, v, &["any"]).map(Some)
}

fn ip(v: &ValueTok, span: Range<usize>) -> Result<IpMatch, QueryError> {
    let expected = "expected an IP address or network like 86.107.221.138 or 86.107.221.0/24 \
                    (or a glob like 86.107.* or a /regex/)";
    let units = match v {
        ValueTok::Plain(u) if u.iter().all(|u| matches!(u, Unit::Lit(_))) => u,
        _ => {
            return Matcher::from_token(v, FOLD)
                .map(IpMatch::Text)
                .map_err(|(m, _)| err(span, m))
        }
    };
    let text: String = units
        .iter()
        .filter_map(|u| if let Unit::Lit(c) = u { Some(*c) } else { None })
        .collect();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text.as_str(), None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| err(span.clone(), expected))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
            err(
                span.clone(),
                format!("expected a prefix length from 0 to {max} after /"),
            )
        })?,
    };
    Ok(IpMatch::Net {
        addr: mask(addr, prefix),
        prefix,
    })
}

/// Clear the host bits of `addr`.
pub(crate) fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

impl Term {
    /// Does its value need an analysis' tables and context ([`super::Query::needs_tables`])?
    pub fn needs_tables(&self) -> bool {
        match self {
            Term::Cluster { .. } | Term::BounceOf { .. } | Term::RemoteRcpts(_) => true,
            // A login with its domain may be a bare login's under the default domain: the
            // clusters' spelling of it is the tables' (a bare `auth:test` needs none, so
            // `list --count` still streams).
            Term::Auth(m) => m.names_a_domain(),
            _ => false,
        }
    }

    /// Does its value need the tables of the whole queue ([`super::Query::needs_queue_tables`])?
    pub fn needs_queue_tables(&self) -> bool {
        match self {
            Term::Cluster { key, .. } | Term::BounceOf { key, .. } => {
                *key == crate::analysis::key::ClusterKey::SenderPattern
            }
            _ => false,
        }
    }

    /// Does evaluating it read the message file?
    pub fn needs_file(&self) -> bool {
        matches!(
            self,
            Term::Header { .. } | Term::Body(_) | Term::Text(_) | Term::BounceOf { .. }
        )
    }

    /// This term as a document sent outside shows it under a `not`: its field with the value
    /// withheld (`from:(withheld)`), for what an operator keeps out of a yank is real mail, a
    /// person's address or subject; `None` for a term naming no one (`age:>1h`, `origin:smtp`).
    pub fn withheld(&self) -> Option<String> {
        match self {
            Term::Age(_)
            | Term::Size(_)
            | Term::Rcpts(_)
            | Term::RemoteRcpts(_)
            | Term::Origin(_)
            | Term::State(_)
            | Term::Bouncing(_)
            | Term::ReplyElsewhere(_)
            | Term::Restored(_)
            | Term::Problem(_)
            | Term::Id(_)
            | Term::Header { value: None, .. } => return None,
            _ => {}
        }
        let mut text = String::new();
        self.write(&mut text);
        let cut = match self {
            Term::Cluster { .. } | Term::BounceOf { .. } => text.find('='),
            // `header:NAME:VALUE`: the header's name names no one.
            Term::Header { .. } => text.match_indices(':').nth(1).map(|(i, _)| i),
            _ => text.find(':'),
        }?;
        text.truncate(cut + 1);
        text.push_str("(withheld)");
        Some(text)
    }

    /// The cluster key whose one exact value this term states (`script:x.php`,
    /// `cluster:uid=48`), if any: not a glob, a regex or `(none)`.
    pub fn states_key(&self) -> Option<ClusterKey> {
        let m = match self {
            // One address, not a network.
            Term::Ip(IpMatch::Net { addr, prefix }) => {
                let full = if addr.is_ipv4() { 32 } else { 128 };
                return (*prefix == full).then_some(ClusterKey::OriginIp);
            }
            Term::Ip(IpMatch::Text(m)) => m,
            Term::Auth(m)
            | Term::Uid(m)
            | Term::Script(m)
            | Term::Helo(m)
            | Term::Sender(m)
            | Term::From(m)
            | Term::SenderDomain(m)
            | Term::RcptDomain(m)
            | Term::Subject(m)
            | Term::Cluster { value: m, .. } => m,
            _ => return None,
        };
        m.is_exact().then(|| self.cluster_key()).flatten()
    }

    /// The cluster key whose values this term tests (`auth:` the AUTH user, `cluster:KEY=` its
    /// key), if any: what a dry run groups the selection by.
    pub fn cluster_key(&self) -> Option<ClusterKey> {
        Some(match self {
            Term::Ip(_) => ClusterKey::OriginIp,
            Term::Auth(_) => ClusterKey::AuthUser,
            Term::Uid(_) => ClusterKey::Uid,
            Term::Script(_) => ClusterKey::Script,
            Term::Helo(_) => ClusterKey::Helo,
            Term::Origin(_) => ClusterKey::Origin,
            Term::Sender(_) => ClusterKey::Sender,
            Term::From(_) => ClusterKey::From,
            Term::SenderDomain(_) => ClusterKey::SenderDomain,
            Term::RcptDomain(_) => ClusterKey::RcptDomain,
            Term::Subject(_) => ClusterKey::Subject,
            Term::Cluster { key, .. } => *key,
            _ => return None,
        })
    }

    /// Write the term as query text.
    pub fn write(&self, out: &mut String) {
        let (field, m): (&str, Option<&Matcher>) = match self {
            Term::Id(m) => ("id", Some(m)),
            Term::Auth(m) => ("auth", Some(m)),
            Term::Uid(m) => ("uid", Some(m)),
            Term::Script(m) => ("script", Some(m)),
            Term::Helo(m) => ("helo", Some(m)),
            Term::Sender(m) => ("sender", Some(m)),
            Term::From(m) => ("from", Some(m)),
            Term::SenderDomain(m) => ("sender-domain", Some(m)),
            Term::Rcpt(m) => ("rcpt", Some(m)),
            Term::RcptDomain(m) => ("rcpt-domain", Some(m)),
            Term::Subject(m) => ("subject", Some(m)),
            Term::Body(m) => ("body", Some(m)),
            Term::Text(m) => ("text", Some(m)),
            _ => ("", None),
        };
        if let Some(m) = m {
            out.push_str(field);
            out.push(':');
            m.write(out);
            return;
        }
        self.write_other(out);
    }

    fn write_other(&self, out: &mut String) {
        match self {
            Term::Ip(IpMatch::Net { addr, prefix }) => {
                let full = if addr.is_ipv4() { 32 } else { 128 };
                out.push_str(&format!("ip:{addr}"));
                if *prefix != full {
                    out.push_str(&format!("/{prefix}"));
                }
            }
            Term::Ip(IpMatch::Text(m)) => {
                out.push_str("ip:");
                m.write(out);
            }
            Term::Origin(k) => out.push_str(&format!("origin:{}", k.name())),
            Term::State(s) => out.push_str(&format!("state:{}", s.name())),
            Term::Bouncing(b) => out.push_str(if *b { "bouncing:yes" } else { "bouncing:no" }),
            Term::ReplyElsewhere(b) => out.push_str(match b {
                true => "reply-elsewhere:yes",
                false => "reply-elsewhere:no",
            }),
            Term::Restored(b) => out.push_str(if *b { "restored:yes" } else { "restored:no" }),
            Term::Problem(p) => out.push_str(&format!("problem:{}", p.map_or("any", |p| p.name()))),
            Term::Age(c) => write_cmp(out, "age", *c, Quantity::Duration),
            Term::Size(c) => write_cmp(out, "size", *c, Quantity::Size),
            Term::Rcpts(c) => write_cmp(out, "rcpts", *c, Quantity::Count),
            Term::RemoteRcpts(c) => write_cmp(out, "remote-rcpts", *c, Quantity::Count),
            Term::Header { name, value } => {
                out.push_str("header:");
                out.push_str(name);
                if let Some(m) = value {
                    out.push(':');
                    m.write(out);
                }
            }
            Term::Cluster { key, value } => {
                out.push_str(&format!("cluster:{}=", key.name()));
                value.write(out);
            }
            Term::BounceOf { key, value } => {
                out.push_str(&format!("bounce-of:{}=", key.name()));
                value.write(out);
            }
            _ => {}
        }
    }
}

fn write_cmp(out: &mut String, field: &str, c: Cmp, q: Quantity) {
    out.push_str(field);
    out.push(':');
    c.write(out, q);
}
