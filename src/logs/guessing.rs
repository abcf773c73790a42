//! Password guessing: failed and successful logins per account and per IP, and the patterns of
//! an attack (harvesting bursts, guessed accounts, one account used from many networks).
//!
//! Thresholds (named constants, documented in docs/logs.md):
//! - harvesting: one IP fails on at least [`HARVEST_MIN_ACCOUNTS`] distinct accounts within
//!   [`HARVEST_WINDOW_SECS`];
//! - guessed: an account with at least [`GUESSED_MIN_FAILURES`] failures before its first
//!   success, that success within [`GUESSED_WINDOW_SECS`] of the last failure before it; or,
//!   for an account in use (it had a success before), a burst of at least
//!   [`GUESSED_AGAIN_MIN_FAILURES`] failures within [`GUESS_BURST_SECS`] from one IP since its
//!   last success, then a success from that IP, which never logged into it before, within
//!   [`GUESS_SUCCESS_SECS`] of its last failure;
//! - spread: one account logged into from at least [`SPREAD_MIN_IPS`] IPs or
//!   [`SPREAD_MIN_NETWORKS`] distinct /16 (IPv4) or /48 (IPv6) networks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use super::event::{LogEvent, LoginEvent, LoginOutcome, Service};
use super::LogEvidence;

/// Distinct accounts one IP must fail on within the window to be called harvesting.
pub const HARVEST_MIN_ACCOUNTS: usize = 5;
/// The harvesting window, seconds.
pub const HARVEST_WINDOW_SECS: i64 = 3600;
/// Failures before a first success for an account to be called guessed.
pub const GUESSED_MIN_FAILURES: u64 = 3;
/// Longest gap (seconds) between the last failure and the success for "guessed".
pub const GUESSED_WINDOW_SECS: i64 = 86_400;
/// Failures since an account's last success, from the IP then let in, for "guessed" on an
/// account in use: more than [`GUESSED_MIN_FAILURES`], as its owner mistypes too, but a
/// guesser's run is long (review52: a real mailbox guessed in ten tries was never flagged, as
/// only the failures before its first success ever counted).
pub const GUESSED_AGAIN_MIN_FAILURES: u64 = 10;
/// How close together (seconds) those failures, and the success after them, must come: a
/// guesser tries password after password; a phone with an old password fails once a poll,
/// every few minutes, until its owner types the new one (review52b: a help desk's phone, 12
/// failures five minutes apart from a new mobile IP, was "guessed" and its mail taken).
pub const GUESS_BURST_SECS: i64 = 600;
/// How soon (seconds) after the burst's last failure the success must come: a guesser logs in
/// the moment it has the password; a phone's owner types the new one minutes later (review52c:
/// a phone opening three connections a poll failed 12 times in six minutes, then succeeded six
/// minutes after).
pub const GUESS_SUCCESS_SECS: i64 = 60;
/// Distinct IPs with a successful login that make an account "spread".
pub const SPREAD_MIN_IPS: usize = 5;
/// Distinct networks with a successful login that make an account "spread".
pub const SPREAD_MIN_NETWORKS: usize = 3;

/// One account's logins.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountSummary {
    /// The account as logged.
    pub account: String,
    /// Services seen (`smtp`, `pop3`, `imap`).
    pub services: BTreeSet<Service>,
    /// Failed attempts (wrong password or unknown user).
    pub failures: u64,
    /// Successful logins.
    pub successes: u64,
    /// Distinct IPs with a successful login.
    pub success_ips: usize,
    /// Distinct networks (/16, /48) with a successful login.
    pub success_networks: usize,
    /// First failure, unix seconds.
    pub first_failure: Option<i64>,
    /// First success, unix seconds.
    pub first_success: Option<i64>,
    /// Failures before the first success.
    pub failures_before_success: u64,
    /// The failures ended in a success: the password was probably guessed.
    pub is_guessed: bool,
    /// The success that ended the guessing run, unix seconds: the first success, or a later
    /// one from a new IP after [`GUESSED_AGAIN_MIN_FAILURES`] failures; `None` when not guessed.
    pub guessed_success: Option<i64>,
    /// The failed attempts of that run.
    pub guess_failures: u64,
    /// When that run began (its first failure), unix seconds.
    pub guess_start: Option<i64>,
    /// Logged into from many IPs or networks.
    pub is_spread: bool,
    /// Logged into from an IP that is harvesting ([`IpSummary::is_harvesting`]): whatever its
    /// own failures, a client trying many accounts got into this one.
    pub from_harvesting_ip: bool,
}

/// One client IP's logins.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IpSummary {
    /// The client.
    pub ip: IpAddr,
    /// Failed attempts.
    pub failures: u64,
    /// Successful logins.
    pub successes: u64,
    /// Distinct accounts it failed on.
    pub accounts_failed: usize,
    /// Accounts it logged into.
    pub accounts_succeeded: Vec<String>,
    /// Most distinct accounts failed within one harvesting window.
    pub burst_accounts: usize,
    /// Start of that busiest window, unix seconds.
    pub burst_start: Option<i64>,
    /// `burst_accounts` reached [`HARVEST_MIN_ACCOUNTS`].
    pub is_harvesting: bool,
}

/// The `logins` report: accounts and IPs, most failures first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginSummary {
    /// Per account.
    pub accounts: Vec<AccountSummary>,
    /// Per IP (lines without an IP are counted only per account).
    pub ips: Vec<IpSummary>,
}

/// The network an IP belongs to for the "many networks" test: /16 for IPv4, /48 for IPv6.
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            IpAddr::from([o[0], o[1], 0, 0])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::from([s[0], s[1], s[2], 0, 0, 0, 0, 0])
        }
    }
}

/// Summarize every login line of the evidence (which is sorted by time).
pub fn summarize(evidence: &LogEvidence) -> LoginSummary {
    let logins: Vec<(i64, &LoginEvent)> = evidence
        .entries
        .iter()
        .filter_map(|e| match &e.event {
            LogEvent::Login(l) => Some((e.time, l)),
            _ => None,
        })
        .collect();
    let mut by_account: BTreeMap<&str, Vec<(i64, &LoginEvent)>> = BTreeMap::new();
    let mut by_ip: BTreeMap<IpAddr, Vec<(i64, &LoginEvent)>> = BTreeMap::new();
    for &(t, l) in &logins {
        by_account.entry(&l.user).or_default().push((t, l));
        if let Some(ip) = l.ip {
            by_ip.entry(ip).or_default().push((t, l));
        }
    }
    let mut accounts: Vec<AccountSummary> = by_account
        .into_iter()
        .map(|(a, ls)| account(a, &ls))
        .collect();
    accounts.sort_by(|a, b| {
        b.failures
            .cmp(&a.failures)
            .then(b.successes.cmp(&a.successes))
    });
    let mut ips: Vec<IpSummary> = by_ip
        .into_iter()
        .map(|(ip, ls)| ip_summary(ip, &ls))
        .collect();
    ips.sort_by(|a, b| {
        b.burst_accounts
            .cmp(&a.burst_accounts)
            .then(b.failures.cmp(&a.failures))
    });
    // An account the harvester got into may show few failures of its own (one try each, the
    // right password on the first): the IP's table named it, the account's said `-`.
    let harvested: BTreeSet<&str> = (ips.iter().filter(|i| i.is_harvesting))
        .flat_map(|i| i.accounts_succeeded.iter().map(String::as_str))
        .collect();
    for a in &mut accounts {
        a.from_harvesting_ip = harvested.contains(a.account.as_str());
    }
    LoginSummary { accounts, ips }
}

fn account(name: &str, logins: &[(i64, &LoginEvent)]) -> AccountSummary {
    let mut s = AccountSummary {
        account: name.to_string(),
        ..AccountSummary::default()
    };
    let mut ips = BTreeSet::new();
    let mut nets = BTreeSet::new();
    let mut last_failure = None;
    // The failures since the last success: how many, since when, and when from each IP.
    let (mut run, mut run_start) = (0u64, None);
    let mut run_ips: BTreeMap<IpAddr, Vec<(i64, u64)>> = BTreeMap::new();
    for &(t, l) in logins {
        s.services.insert(l.service);
        if l.outcome == LoginOutcome::Success {
            s.successes += 1;
            let recent = last_failure.is_some_and(|f: i64| t - f <= GUESSED_WINDOW_SECS);
            if s.first_success.is_none() {
                s.first_success = Some(t);
                s.is_guessed = s.failures >= GUESSED_MIN_FAILURES && recent;
                s.failures_before_success = s.failures;
            } else if !s.is_guessed {
                // In use already: its owner's own IPs, not new ones, are where typos happen.
                s.is_guessed = l.ip.is_some_and(|ip| {
                    !ips.contains(&ip) && run_ips.get(&ip).is_some_and(|f| burst(f, t))
                });
            }
            if s.is_guessed && s.guessed_success.is_none() {
                (s.guessed_success, s.guess_failures, s.guess_start) = (Some(t), run, run_start);
            }
            if let Some(ip) = l.ip {
                ips.insert(ip);
                nets.insert(network(ip));
            }
            (run, run_start) = (0, None);
            run_ips.clear();
        } else {
            s.failures += u64::from(l.attempts);
            s.first_failure.get_or_insert(t);
            last_failure = Some(t);
            run += u64::from(l.attempts);
            run_start.get_or_insert(t);
            if let Some(ip) = l.ip {
                run_ips
                    .entry(ip)
                    .or_default()
                    .push((t, u64::from(l.attempts)));
            }
        }
    }
    s.success_ips = ips.len();
    s.success_networks = nets.len();
    s.is_spread = s.success_ips >= SPREAD_MIN_IPS || s.success_networks >= SPREAD_MIN_NETWORKS;
    s
}

/// Do `failures` (time, attempts; in time order) hold [`GUESSED_AGAIN_MIN_FAILURES`] attempts
/// within [`GUESS_BURST_SECS`], the last of them at most [`GUESS_SUCCESS_SECS`] before the
/// success at `t`?
fn burst(failures: &[(i64, u64)], t: i64) -> bool {
    let Some(&(last, _)) = failures.last() else {
        return false;
    };
    let (mut lo, mut sum) = (0, 0u64);
    let mut most = 0u64;
    for &(at, n) in failures {
        sum += n;
        while failures[lo].0 < at - GUESS_BURST_SECS {
            sum -= failures[lo].1;
            lo += 1;
        }
        most = most.max(sum);
    }
    most >= GUESSED_AGAIN_MIN_FAILURES && t - last <= GUESS_SUCCESS_SECS
}

fn ip_summary(ip: IpAddr, logins: &[(i64, &LoginEvent)]) -> IpSummary {
    let mut failed = BTreeSet::new();
    let mut succeeded = BTreeSet::new();
    let (mut failures, mut successes) = (0u64, 0u64);
    let fails: Vec<(i64, &str)> = logins
        .iter()
        .filter(|(_, l)| l.outcome != LoginOutcome::Success)
        .map(|(t, l)| (*t, &*l.user))
        .collect();
    for (_, l) in logins {
        if l.outcome == LoginOutcome::Success {
            successes += 1;
            succeeded.insert(l.user.to_string());
        } else {
            failures += u64::from(l.attempts);
            failed.insert(&*l.user);
        }
    }
    let (burst_accounts, burst_start) = busiest_window(&fails);
    IpSummary {
        ip,
        failures,
        successes,
        accounts_failed: failed.len(),
        accounts_succeeded: succeeded.into_iter().collect(),
        burst_accounts,
        burst_start,
        is_harvesting: burst_accounts >= HARVEST_MIN_ACCOUNTS,
    }
}

/// Most distinct accounts among failures in any [`HARVEST_WINDOW_SECS`] window (two pointers
/// over the time-sorted failures), and the window's start.
fn busiest_window(fails: &[(i64, &str)]) -> (usize, Option<i64>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let (mut lo, mut best, mut start) = (0usize, 0usize, None);
    for &(t, user) in fails {
        *counts.entry(user).or_default() += 1;
        while let Some(&(_, u0)) = fails.get(lo).filter(|(t0, _)| t - t0 > HARVEST_WINDOW_SECS) {
            if let Some(c) = counts.get_mut(u0) {
                *c -= 1;
                if *c == 0 {
                    counts.remove(u0);
                }
            }
            lo += 1;
        }
        if counts.len() > best {
            best = counts.len();
            start = fails.get(lo).map(|f| f.0);
        }
    }
    (best, start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::event::{Daemon, LogEntry, LogRef};

    fn entry(time: i64, user: &str, ip: &str, outcome: LoginOutcome) -> LogEntry {
        LogEntry {
            time,
            at: LogRef { file: 0, line: 1 },
            event: LogEvent::Login(LoginEvent {
                daemon: Daemon::Vchkpw,
                service: Service::Pop3,
                outcome,
                user: user.into(),
                ip: ip.parse().ok(),
                attempts: 1,
            }),
        }
    }

    fn evidence(entries: Vec<LogEntry>) -> LogEvidence {
        LogEvidence {
            entries,
            ..LogEvidence::default()
        }
    }

    #[test]
    fn harvesting_guessed_and_first_success() {
        use LoginOutcome::*;
        let mut e = Vec::new();
        for (i, u) in ["sales", "info", "admin", "office", "test"]
            .iter()
            .enumerate()
        {
            e.push(entry(
                1000 + i as i64 * 10,
                u,
                "82.128.32.42",
                if *u == "test" { Failure } else { UnknownUser },
            ));
        }
        e.push(entry(1100, "test", "82.128.32.42", Failure));
        e.push(entry(1110, "test", "82.128.32.42", Failure));
        e.push(entry(1120, "test", "82.128.32.42", Success));
        e.push(entry(1130, "alice", "198.51.100.7", Success));
        let s = summarize(&evidence(e));
        let ip = s.ips.first().expect("an ip");
        assert_eq!(
            (
                ip.ip.to_string().as_str(),
                ip.is_harvesting,
                ip.burst_accounts,
                ip.burst_start
            ),
            ("82.128.32.42", true, 5, Some(1000))
        );
        assert_eq!(ip.accounts_succeeded, vec!["test".to_string()]);
        let test = s
            .accounts
            .iter()
            .find(|a| a.account == "test")
            .expect("test");
        assert!(test.is_guessed);
        assert_eq!(
            (test.failures_before_success, test.first_success),
            (3, Some(1120))
        );
        let alice = s
            .accounts
            .iter()
            .find(|a| a.account == "alice")
            .expect("alice");
        assert!(!alice.is_guessed && !alice.is_spread);
        assert!(!s
            .ips
            .iter()
            .any(|i| i.ip.to_string() == "198.51.100.7" && i.is_harvesting));
    }

    /// The newuser run's log: twelve accounts failed from one IP, then `office` on its first
    /// try. `office` has no failure of its own, so not `guessed`; the harvester got in.
    #[test]
    fn an_account_a_harvesting_ip_got_into_is_flagged() {
        use LoginOutcome::*;
        let mut e: Vec<LogEntry> = (0..12)
            .map(|i| entry(1000 + i, &format!("u{i}"), "45.95.169.3", UnknownUser))
            .collect();
        e.push(entry(1100, "office", "45.95.169.3", Success));
        e.push(entry(1110, "alice", "198.51.100.7", Success));
        let s = summarize(&evidence(e));
        let flagged: Vec<&str> = (s.accounts.iter())
            .filter(|a| a.from_harvesting_ip)
            .map(|a| a.account.as_str())
            .collect();
        assert_eq!(flagged, ["office"]);
        let office = s.accounts.iter().find(|a| a.account == "office");
        assert!(office.is_some_and(|a| !a.is_guessed && a.failures == 0));
    }

    /// An account in use is guessed by a burst of failures from an IP that never logged into it
    /// before, ended by that IP's success within a minute; its owner's own retries, a short
    /// run, a success from elsewhere, or a phone failing poll after poll are not (review52,
    /// review52b, review52c).
    #[test]
    fn a_mailbox_in_use_is_guessed_only_from_a_new_ip_after_a_long_run() {
        use LoginOutcome::*;
        let case = |fails: i64, from: &str, then: &str| {
            let mut e = vec![entry(0, "real", "80.1.1.1", Success)];
            e.extend((0..fails).map(|n| entry(100 + n, "real", from, Failure)));
            e.push(entry(130, "real", then, Success));
            let s = summarize(&evidence(e));
            let a = s.accounts[0].clone();
            (
                a.is_guessed,
                a.guessed_success,
                a.guess_failures,
                a.guess_start,
            )
        };
        assert_eq!(
            case(10, "7.7.7.7", "7.7.7.7"),
            (true, Some(130), 10, Some(100))
        );
        assert!(!case(9, "7.7.7.7", "7.7.7.7").0, "a short run");
        assert!(!case(12, "80.1.1.1", "80.1.1.1").0, "its owner's own IP");
        assert!(
            !case(12, "7.7.7.7", "8.8.8.8").0,
            "a success from elsewhere"
        );
        // A phone with the old password after a change, failing once a poll from a new mobile
        // IP, five minutes apart, then its owner types the new one (review52b).
        let mut e = vec![entry(0, "real", "80.1.1.1", Success)];
        e.extend((0..12).map(|n| entry(3_900 + n * 300, "real", "176.2.3.4", Failure)));
        e.push(entry(3_900 + 12 * 300 + 300, "real", "176.2.3.4", Success));
        assert!(
            !summarize(&evidence(e)).accounts[0].is_guessed,
            "a phone's polls"
        );
        // Three connections a poll, two minutes apart: 12 failures in six minutes, then its
        // owner's new password six minutes later (review52c).
        let mut e = vec![entry(0, "real", "80.1.1.1", Success)];
        e.extend(
            (0..12).map(|n| entry(3_900 + (n / 3) * 120 + n % 3, "real", "176.9.9.9", Failure)),
        );
        e.push(entry(3_900 + 720, "real", "176.9.9.9", Success));
        assert!(
            !summarize(&evidence(e)).accounts[0].is_guessed,
            "a phone's connections"
        );
        // The first success keeps its rule and its figures.
        let e = vec![
            entry(0, "new", "9.9.9.9", Failure),
            entry(1, "new", "9.9.9.9", Failure),
            entry(2, "new", "9.9.9.9", Failure),
            entry(3, "new", "9.9.9.9", Success),
        ];
        let a = summarize(&evidence(e)).accounts[0].clone();
        assert_eq!(
            (
                a.is_guessed,
                a.guessed_success,
                a.guess_failures,
                a.failures_before_success
            ),
            (true, Some(3), 3, 3)
        );
    }

    #[test]
    fn failures_spread_over_days_are_not_a_burst() {
        let e = (0..6)
            .map(|i| {
                entry(
                    i * 7200,
                    &format!("u{i}"),
                    "203.0.113.5",
                    LoginOutcome::Failure,
                )
            })
            .collect();
        let s = summarize(&evidence(e));
        assert_eq!(
            (s.ips[0].burst_accounts, s.ips[0].is_harvesting),
            (1, false)
        );
    }

    #[test]
    fn one_account_from_many_networks_is_spread() {
        let e = ["1.1.1.1", "2.2.2.2", "3.3.3.3"]
            .iter()
            .enumerate()
            .map(|(i, ip)| entry(i as i64, "test", ip, LoginOutcome::Success))
            .collect();
        let s = summarize(&evidence(e));
        assert_eq!(
            (
                s.accounts[0].success_networks,
                s.accounts[0].is_spread,
                s.accounts[0].is_guessed
            ),
            (3, true, false)
        );
        let e = ["10.1.1.1", "10.1.2.2", "10.1.3.3"]
            .iter()
            .enumerate()
            .map(|(i, ip)| entry(i as i64, "bob", ip, LoginOutcome::Success))
            .collect();
        assert!(!summarize(&evidence(e)).accounts[0].is_spread, "one /16");
    }
}
