//! Log evidence in the analysis: the AUTH user the logs name for a message whose headers name
//! none, and what the login logs say about an account (guessed password, harvesting IP).
//!
//! A face that has logs (`--log`) calls [`from_logs`] on the scanned records before it selects
//! and analyses them, so queries, clusters and `top` all see the user, then hands the returned
//! [`LogFacts`] to [`super::analyse_with_logs`]. The record carries only a one-byte marker
//! ([`AuthSource::Log`]); the evidence text stays here, keyed by message id, so a million
//! records stay small. Ranking ([`super::rank`]) turns the facts into reasons.

use crate::size::thousands;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::types::Cluster;
use crate::logs::correlate::{attribute, clock};
use crate::logs::event::{LogEvent, LogRef, LoginOutcome};
use crate::logs::guessing::{summarize, HARVEST_WINDOW_SECS};
use crate::logs::{LogAttribution, LogEvidence};
use crate::queue::{AuthSource, Interner, MessageId, MessageRecord, OriginKind};

/// Most AUTH users a cluster's log-provenance reasons name.
pub const PROVENANCE_USERS_SHOWN: usize = 3;
/// Most IPs a "password guessed" reason names.
const GUESS_IPS_SHOWN: usize = 3;

/// What a login log says about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFinding {
    /// The account's failures ended in a success ([`crate::logs::guessing`]'s "guessed").
    Guessed {
        /// The account as logged.
        account: String,
        /// Failed attempts of the guessing run.
        failures: u64,
        /// Those failures per client IP, most first.
        ips: Vec<(IpAddr, u64)>,
        /// The success that ended the run, unix seconds.
        success: i64,
        /// It was the account's first success (else a later one, from an IP new to it).
        is_first: bool,
    },
    /// The account was logged into from an IP that was harvesting (failing on many accounts).
    HarvestingIp {
        /// The account as logged.
        account: String,
        /// The harvesting client.
        ip: IpAddr,
        /// Most distinct accounts it failed on within the harvesting window.
        burst_accounts: usize,
        /// Its first successful login to the account, unix seconds.
        success: i64,
    },
}

impl LoginFinding {
    /// The account as logged.
    pub fn account(&self) -> &str {
        match self {
            LoginFinding::Guessed { account, .. } | LoginFinding::HarvestingIp { account, .. } => {
                account
            }
        }
    }

    /// The reason's words; the account is named only when it is not written as `user` is.
    pub fn words(&self, user: &str) -> String {
        let of = if self.account() == user {
            String::new()
        } else {
            format!(" (as {})", self.account())
        };
        match self {
            LoginFinding::Guessed {
                failures,
                ips,
                success,
                is_first,
                ..
            } => {
                let from = match ips.as_slice() {
                    [] => String::new(),
                    [(ip, _)] => format!(" from {ip}"),
                    more => {
                        let list: Vec<String> = more
                            .iter()
                            .take(GUESS_IPS_SHOWN)
                            .map(|(ip, n)| format!("{ip} {n}"))
                            .collect();
                        format!(" from {} IPs ({})", more.len(), list.join(", "))
                    }
                };
                let which = if *is_first {
                    "first success"
                } else {
                    "a success from an IP new to the account"
                };
                format!(
                    "password guessed{of}: {failures} failures{from} before {which} at {}",
                    clock(*success)
                )
            }
            LoginFinding::HarvestingIp {
                ip,
                burst_accounts,
                success,
                ..
            } => format!(
                "logged into{of} at {} from harvesting IP {ip} (failed on {burst_accounts} \
                 accounts within {} minutes)",
                clock(*success),
                HARVEST_WINDOW_SECS / 60
            ),
        }
    }
}

/// What the logs add to an analysis: per-message evidence and per-account login findings.
#[derive(Debug, Clone, Default)]
pub struct LogFacts {
    /// Messages whose AUTH user came from a log ([`AuthSource::Log`]), with the evidence.
    pub attributed: HashMap<MessageId, LogAttribution>,
    /// Login findings by the account's lower-cased local part (see [`LogFacts::findings`]).
    logins: HashMap<String, Vec<LoginFinding>>,
}

/// `test@example.com` → `test`, lower-cased: the part a login and an AUTH user share even when
/// one of them omits vpopmail's default domain.
fn local_part(account: &str) -> String {
    account
        .split('@')
        .next()
        .unwrap_or(account)
        .to_ascii_lowercase()
}

/// Same account: equal ignoring case, or equal local parts when one side has no domain.
fn same_account(logged: &str, user: &str) -> bool {
    logged.eq_ignore_ascii_case(user)
        || (logged.contains('@') != user.contains('@') && local_part(logged) == local_part(user))
}

impl LogFacts {
    /// Login findings about the AUTH user `user`.
    pub fn findings<'a>(&'a self, user: &'a str) -> impl Iterator<Item = &'a LoginFinding> + 'a {
        self.logins
            .get(&local_part(user))
            .into_iter()
            .flatten()
            .filter(move |f| same_account(f.account(), user))
    }

    /// Add `other`'s per-message attributions (records read later, such as the yank area's,
    /// correlated with the same logs); the login findings are the same logs' and stay.
    pub fn absorb_attributed(&mut self, other: LogFacts) {
        self.attributed.extend(other.attributed);
    }

    /// Every account the login log shows as taken over (a guessed password, or a login from a
    /// harvesting IP), as logged, sorted: the accounts check's culprits from the log.
    pub fn culprit_logins(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .logins
            .values()
            .flatten()
            .map(|f| f.account().to_string())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Reasons naming the AUTH users that came from logs for `c`'s messages, with the earliest
    /// evidence line of each: `AUTH user test (from log: CHKUSER line at 2026-11-23T09:59:50Z
    /// (/var/log/qmail/smtpd/current:3)): 40 of 40 messages, 3 log lines`.
    pub fn provenance(&self, c: &Cluster, records: &[MessageRecord]) -> Vec<String> {
        if self.attributed.is_empty() {
            return Vec::new();
        }
        let members = c
            .members
            .iter()
            .filter_map(|&i| records.get(i as usize))
            .filter(|r| r.origin.auth_source == AuthSource::Log)
            .filter_map(|r| self.attributed.get(&r.id));
        user_lines(members, c.messages)
    }

    /// One line per AUTH user the logs named for the messages `ids` (a report's window, its
    /// culprits' logins), most messages first (see [`user_lines`]).
    pub fn summary_lines(&self, ids: impl Iterator<Item = MessageId>, total: usize) -> Vec<String> {
        user_lines(ids.filter_map(|id| self.attributed.get(&id)), total)
    }
}

/// One line per AUTH user (most messages first, at most [`PROVENANCE_USERS_SHOWN`]) with its
/// earliest evidence line and how many distinct log lines name it.
fn user_lines<'a>(attrs: impl Iterator<Item = &'a LogAttribution>, total: usize) -> Vec<String> {
    // user → (messages, earliest attribution, lines)
    let mut by_user: BTreeMap<&str, (usize, &LogAttribution, Vec<LogRef>)> = BTreeMap::new();
    for a in attrs {
        let e = by_user.entry(&a.auth_user).or_insert((0, a, Vec::new()));
        e.0 += 1;
        if (a.time, a.at) < (e.1.time, e.1.at) {
            e.1 = a;
        }
        e.2.push(a.at);
    }
    let mut users: Vec<_> = by_user.into_iter().collect();
    users.sort_by_key(|u| std::cmp::Reverse(u.1 .0));
    users
        .into_iter()
        .take(PROVENANCE_USERS_SHOWN)
        .map(|(user, (n, first, mut lines))| {
            lines.sort_unstable();
            lines.dedup();
            let plural = if lines.len() == 1 { "" } else { "s" };
            format!(
                "AUTH user {user} ({}): {} of {} messages, {} log line{plural}",
                first.evidence,
                thousands(n as u64),
                thousands(total as u64),
                thousands(lines.len() as u64)
            )
        })
        .collect()
}

/// [`from_logs`] when logs were read; empty facts, records untouched, when none were.
pub fn from_any_logs(
    records: &mut [MessageRecord],
    strings: &Interner,
    evidence: Option<&LogEvidence>,
) -> LogFacts {
    match evidence {
        Some(ev) => from_logs(records, strings, ev),
        None => LogFacts::default(),
    }
}

/// Correlate `records` with `evidence` ([`crate::logs::correlate::attribute`]), give each
/// message whose headers name no AUTH user the user its logs name ([`attribute_from_logs`]),
/// and summarize the login lines.
pub fn from_logs(
    records: &mut [MessageRecord],
    strings: &Interner,
    evidence: &LogEvidence,
) -> LogFacts {
    let found = attribute(records, strings, evidence);
    LogFacts {
        attributed: attribute_from_logs(records, strings, found),
        logins: login_findings(evidence),
    }
}

/// Set `origin.auth_user` (interned), `origin.kind = SmtpAuth` and
/// `origin.auth_source = Log` on each record in `found` that has no AUTH user yet; returns the
/// attributions that were applied (a header's user always wins over a log's).
pub fn attribute_from_logs(
    records: &mut [MessageRecord],
    strings: &Interner,
    mut found: HashMap<MessageId, LogAttribution>,
) -> HashMap<MessageId, LogAttribution> {
    let mut applied = HashMap::with_capacity(found.len());
    for r in records.iter_mut().filter(|r| r.origin.auth_user.is_none()) {
        let Some(a) = found.remove(&r.id) else {
            continue;
        };
        if a.auth_user.is_empty() {
            continue;
        }
        r.origin.auth_user = Some(strings.intern(a.auth_user.as_bytes()));
        r.origin.kind = OriginKind::SmtpAuth;
        r.origin.auth_source = AuthSource::Log;
        applied.insert(r.id, a);
    }
    applied
}

/// Guessed accounts and accounts entered from harvesting IPs, by local part. One pass over the
/// login lines after [`summarize`], so the cost does not grow with the number of findings.
fn login_findings(evidence: &LogEvidence) -> HashMap<String, Vec<LoginFinding>> {
    let summary = summarize(evidence);
    // Per guessed account: its run's failures, start, end, and whether it ended in the first
    // success.
    let guessed: HashMap<&str, Run> = summary
        .accounts
        .iter()
        .filter(|a| a.is_guessed)
        .filter_map(|a| {
            let success = a.guessed_success?;
            let run = Run {
                failures: a.guess_failures,
                start: a.guess_start.unwrap_or(i64::MIN),
                success,
                is_first: a.first_success == Some(success),
            };
            Some((a.account.as_str(), run))
        })
        .collect();
    let harvesting: HashMap<IpAddr, usize> = summary
        .ips
        .iter()
        .filter(|i| i.is_harvesting && !i.accounts_succeeded.is_empty())
        .map(|i| (i.ip, i.burst_accounts))
        .collect();
    let mut tally = Tally::new(evidence, &guessed, &harvesting);
    let mut found = Vec::new();
    for (&account, run) in &guessed {
        let mut ips: Vec<(IpAddr, u64)> = tally
            .fail_ips
            .remove(account)
            .unwrap_or_default()
            .into_iter()
            .collect();
        ips.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        found.push(LoginFinding::Guessed {
            account: account.to_string(),
            failures: run.failures,
            ips,
            success: run.success,
            is_first: run.is_first,
        });
    }
    for ((account, ip), success) in tally.harvested {
        found.push(LoginFinding::HarvestingIp {
            account: account.to_string(),
            ip,
            burst_accounts: harvesting.get(&ip).copied().unwrap_or_default(),
            success,
        });
    }
    let mut out: HashMap<String, Vec<LoginFinding>> = HashMap::new();
    for f in found {
        out.entry(local_part(f.account())).or_default().push(f);
    }
    // Guessed before harvesting for one account (pushed first; the sort is stable).
    for list in out.values_mut() {
        list.sort_by(|a, b| a.account().cmp(b.account()));
    }
    out
}

/// A guessed account's guessing run.
struct Run {
    failures: u64,
    /// Its first failure, unix seconds.
    start: i64,
    /// The success that ended it.
    success: i64,
    is_first: bool,
}

/// What one pass over the login lines collects for the findings.
struct Tally<'a> {
    /// Per guessed account: failed attempts of its guessing run, per client IP.
    fail_ips: HashMap<&'a str, HashMap<IpAddr, u64>>,
    /// Per (account, harvesting IP): the first successful login.
    harvested: BTreeMap<(&'a str, IpAddr), i64>,
}

impl<'a> Tally<'a> {
    fn new(
        evidence: &'a LogEvidence,
        guessed: &HashMap<&str, Run>,
        harvesting: &HashMap<IpAddr, usize>,
    ) -> Tally<'a> {
        let mut t = Tally {
            fail_ips: HashMap::new(),
            harvested: BTreeMap::new(),
        };
        for e in &evidence.entries {
            let LogEvent::Login(l) = &e.event else {
                continue;
            };
            let Some(ip) = l.ip else { continue };
            if l.outcome == LoginOutcome::Success {
                if harvesting.contains_key(&ip) {
                    t.harvested.entry((&l.user, ip)).or_insert(e.time);
                }
            } else if let Some(run) = guessed.get(&*l.user) {
                if (run.start..=run.success).contains(&e.time) {
                    let n = t
                        .fail_ips
                        .entry(&l.user)
                        .or_default()
                        .entry(ip)
                        .or_default();
                    *n += u64::from(l.attempts);
                }
            }
        }
        t
    }
}

#[cfg(test)]
mod tests;
