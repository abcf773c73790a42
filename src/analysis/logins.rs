//! What an auth-user cluster's logins add to its reasons: the spellings of its account that
//! the messages logged in with, and vpopmail's last login when it came from the cluster's IPs.
//!
//! Both run after the ranking wrote its reasons ([`super::Basis`]); an account is
//! [`super::account::account`]'s.

use rustc_hash::FxHashMap;

use super::context::AnalysisContext;
use super::key::ClusterKey;
use super::types::Cluster;
use crate::accounts::lastauth::LastAuth;
use crate::queue::{Interner, MessageRecord, Sym};
use crate::size::thousands;

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
/// A cluster whose reasons are not written yet ([`super::Basis::clusters_explaining`]) gets
/// none: [`super::Basis::explain`] notes them with its reasons.
pub fn note_forms(clusters: &mut [Cluster], records: &[MessageRecord], strings: &Interner) {
    for c in clusters.iter_mut().filter(|c| !c.reasons.is_empty()) {
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
            shown.push(format!("{} more", thousands(f.len() - FORMS_SHOWN)));
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
    // As in `note_forms`, a cluster without reasons yet is noted when they are written.
    for c in clusters.iter_mut().filter(|c| !c.reasons.is_empty()) {
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
