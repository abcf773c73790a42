//! AUTH logins as accounts: `test`, `test@example.com` and vpopmail's `test@example.com@IP` are
//! one account when the default domain is example.com.
//!
//! The Received line's remoteinfo (docs/qmail-format.md §4) and the logs spell one login in
//! several ways: bare (`test`, the AUTH patch without vpopmail, or vpopmail's default domain),
//! full (`test@example.com`), and with the client IP appended (`test@example.com@41.203.18.7`,
//! when a line was split at the wrong `@`). The operator has one password to change, so the
//! analysis keys an AUTH-user cluster by the account: the login lowercased (vpopmail
//! lowercases logins), a trailing `@IP` dropped, and the default domain added to a bare name.

use rustc_hash::FxHashMap;

use super::context::AnalysisContext;
use super::key::ClusterKey;
use super::types::Cluster;
use crate::accounts::lastauth::LastAuth;
use crate::queue::{Interner, MessageRecord, Sym};
use crate::size::thousands;

/// Longest login looked at; a longer one is its own account, as written.
pub const MAX_LOGIN: usize = 1024;

/// The account `login` names, given the server's default domain (see the module docs).
pub fn account(login: &[u8], default_domain: Option<&str>) -> Vec<u8> {
    if login.len() > MAX_LOGIN {
        return login.to_vec();
    }
    let mut a = login.trim_ascii().to_ascii_lowercase();
    if let Some(at) = a.iter().rposition(|&b| b == b'@') {
        let tail = std::str::from_utf8(&a[at + 1..]).ok();
        let is_ip = tail.is_some_and(|t| t.parse::<std::net::IpAddr>().is_ok());
        if is_ip && a[..at].contains(&b'@') {
            a.truncate(at);
        }
    }
    match default_domain {
        Some(d) if !d.is_empty() && !a.is_empty() && !a.contains(&b'@') => {
            a.push(b'@');
            a.extend_from_slice(d.trim().to_ascii_lowercase().as_bytes());
            a
        }
        _ => a,
    }
}

/// Most spellings an account's reason names.
pub const FORMS_SHOWN: usize = 4;

/// The spellings an auth-user cluster's messages logged in with, most used first (ties by
/// bytes): `[("test", 608), ("test@example.com", 720)]`.
pub fn forms(c: &Cluster, records: &[MessageRecord], strings: &Interner) -> Vec<(Vec<u8>, usize)> {
    if c.key != ClusterKey::AuthUser || c.value.is_none() {
        return Vec::new();
    }
    let mut counts: FxHashMap<Sym, usize> = FxHashMap::default();
    for r in c.members.iter().filter_map(|&i| records.get(i as usize)) {
        if let Some(u) = r.origin.auth_user {
            *counts.entry(u).or_default() += 1;
        }
    }
    let mut out: Vec<(Vec<u8>, usize)> = counts
        .into_iter()
        .map(|(s, n)| (strings.resolve(s).to_vec(), n))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Add to each auth-user cluster whose messages spelled the login otherwise than the account
/// (or in several ways) the reason `logged in as test (608), test@example.com (720)`, so the
/// operator sees why two spellings are one culprit. Runs after the ranking wrote its reasons.
pub fn note_forms(clusters: &mut [Cluster], records: &[MessageRecord], strings: &Interner) {
    for c in clusters.iter_mut() {
        let f = forms(c, records, strings);
        let value = c.value.map(|v| v.text(strings)).unwrap_or_default();
        if f.is_empty() || (f.len() == 1 && f[0].0 == value.as_bytes()) {
            continue;
        }
        let mut shown: Vec<String> = f
            .iter()
            .take(FORMS_SHOWN)
            .map(|(s, n)| format!("{} ({})", String::from_utf8_lossy(s), thousands(*n)))
            .collect();
        if f.len() > FORMS_SHOWN {
            shown.push(format!("{} more", f.len() - FORMS_SHOWN));
        }
        c.reasons.push(format!("logged in as {}", shown.join(", ")));
    }
}

/// Add to each auth-user cluster whose account vpopmail last saw logging in from one of the
/// cluster's own IPs the reason `last login 10:55 from 82.128.32.42, which sent 1,134 of these
/// messages`: the credentials are in the flood's hands now, not only in the past.
pub fn note_last_login(
    clusters: &mut [Cluster],
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
) {
    if ctx.last_logins.is_empty() {
        return;
    }
    for c in clusters.iter_mut() {
        let (ClusterKey::AuthUser, Some(v)) = (c.key, c.value) else {
            continue;
        };
        let Some(last) = last_login_of(&v.text(strings), ctx) else {
            continue;
        };
        let ip = Some(strings.intern(last.ip.as_bytes()));
        let sent = c
            .members
            .iter()
            .filter_map(|&i| records.get(i as usize))
            .filter(|r| r.origin.ip == ip)
            .count();
        if sent > 0 {
            c.reasons.push(format!(
                "last login {} from {}, which sent {} of these messages",
                clock(last.at, ctx.now),
                last.ip,
                thousands(sent)
            ));
        }
    }
}

/// The account's `lastauth`: by its full name, or by its login when the name has no domain and
/// exactly one account has that login.
fn last_login_of<'a>(account: &str, ctx: &'a AnalysisContext) -> Option<&'a LastAuth> {
    let key = account.to_ascii_lowercase().into_bytes();
    if let Some(l) = ctx.last_logins.get(&key) {
        return Some(l);
    }
    if key.contains(&b'@') {
        return None;
    }
    let mut same = ctx
        .last_logins
        .iter()
        .filter(|(k, _)| k.split(|&b| b == b'@').next() == Some(&key[..]));
    match (same.next(), same.next()) {
        (Some((_, l)), None) => Some(l),
        _ => None,
    }
}

/// `10:55` on the day of `now` (UTC), else `2026-11-22 10:55`.
fn clock(at: i64, now: i64) -> String {
    let (Ok(t), Ok(n)) = (
        jiff::Timestamp::from_second(at),
        jiff::Timestamp::from_second(now),
    ) else {
        return at.to_string();
    };
    let (t, n) = (
        t.to_zoned(jiff::tz::TimeZone::UTC),
        n.to_zoned(jiff::tz::TimeZone::UTC),
    );
    if t.date() == n.date() {
        t.strftime("%H:%M").to_string()
    } else {
        t.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spellings_of_one_login_are_one_account() {
        let d = Some("example.com");
        for form in [
            &b"test"[..],
            b"test@example.com",
            b"test@example.com@86.107.221.138",
            b"Test@Example.COM",
            b" test ",
        ] {
            assert_eq!(account(form, d), b"test@example.com", "{form:?}");
        }
    }

    #[test]
    fn other_domains_and_unknown_defaults_stay_apart() {
        assert_eq!(
            account(b"test@other.example", Some("example.com")),
            b"test@other.example"
        );
        assert_eq!(account(b"test", None), b"test");
        assert_eq!(account(b"test@example.com", None), b"test@example.com");
        // One `@` followed by an IP is a user at an IP literal, not a vpopmail login.
        assert_eq!(account(b"test@1.2.3.4", None), b"test@1.2.3.4");
        assert_eq!(account(b"a@b@not-an-ip", None), b"a@b@not-an-ip");
        assert_eq!(account(b"x@y@::1", None), b"x@y");
        assert_eq!(account(b"", Some("example.com")), b"");
        let long = vec![b'A'; MAX_LOGIN + 1];
        assert_eq!(account(&long, Some("example.com")), long);
    }
}
