//! The rules that mark an account as at risk, and the check that applies them to every account.
//!
//! A rule is reported by name only. The clear-text password (read, or found by hashing a
//! candidate) lives in memory for the comparison and is never put in a result.

use rayon::prelude::*;

use super::hashcheck::{self, HashTry, Scheme};
use super::vpasswd::{Account, Source};

mod words;
#[cfg(test)]
use words::common_list;
use words::{candidates, clear_rules};

/// Shorter than this many characters is `password-short`.
pub const MIN_PASSWORD_LEN: usize = 8;

/// The shipped list of common passwords, most frequent first (see the file's header).
pub const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

/// Role names that should be aliases to a person, not accounts anyone logs in to.
pub const ROLE_NAMES: &[&str] = &[
    "test",
    "sales",
    "info",
    "admin",
    "administrator",
    "postmaster",
    "webmaster",
    "hostmaster",
    "support",
    "office",
    "contact",
    "abuse",
    "noreply",
    "no-reply",
    "root",
    "mail",
    "marketing",
    "billing",
    "help",
    "jobs",
    "newsletter",
    "enquiries",
    "service",
    "orders",
    "security",
    "hr",
    "guest",
    "user",
    "demo",
    "temp",
];

/// Why an account is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The password is the login (case ignored): `test`/`test`.
    PasswordIsLogin,
    /// The password is the domain, the domain without its TLD, or its first label.
    PasswordIsDomain,
    /// The password is empty (or there is no password at all).
    PasswordEmpty,
    /// The password is shorter than [`MIN_PASSWORD_LEN`].
    PasswordShort,
    /// The password is in the shipped common-password list (case ignored).
    PasswordCommon,
    /// One of the password rules above, not saying which: the report's name for them (it is
    /// sent to third parties, and `password-is-login` says the password). Never matched.
    #[serde(rename = "weak-password")]
    PasswordWeak,
    /// A role name (`postmaster`, `sales`, ...) that is a real login account.
    RoleAccount,
    /// Named as a culprit by `top` (the AUTH user of the spam).
    CulpritTop,
    /// Named as a culprit by the login log.
    CulpritLog,
}

impl Rule {
    /// The name in output.
    pub fn name(self) -> &'static str {
        match self {
            Rule::PasswordIsLogin => "password-is-login",
            Rule::PasswordIsDomain => "password-is-domain",
            Rule::PasswordEmpty => "password-empty",
            Rule::PasswordShort => "password-short",
            Rule::PasswordCommon => "password-common",
            Rule::PasswordWeak => "weak-password",
            Rule::RoleAccount => "role-account",
            Rule::CulpritTop => "culprit-top",
            Rule::CulpritLog => "culprit-log",
        }
    }

    /// A rule about the password itself.
    pub fn is_password_rule(self) -> bool {
        matches!(
            self,
            Rule::PasswordIsLogin
                | Rule::PasswordIsDomain
                | Rule::PasswordEmpty
                | Rule::PasswordShort
                | Rule::PasswordCommon
                | Rule::PasswordWeak
        )
    }
}

/// How far the password could be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordCheck {
    /// The clear-text password was read and checked against every rule.
    ClearText,
    /// Only a hash exists; login, domain and the whole common list were hashed and compared
    /// (or one of them matched).
    Hash,
    /// Only a hash exists; the attempt cap stopped before every candidate was tried.
    HashCapped,
    /// Only a hash exists and it was not tried: the run's cap was used up, or the scheme is
    /// costlier than the limits.
    HashSkipped,
    /// Only a hash exists and its scheme is not one we can check (or it is locked/damaged).
    UnknownScheme,
}

/// Inputs of a check besides the accounts.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// AUTH users `top` names as culprits (`test` or `test@example.com`).
    pub culprits_top: Vec<String>,
    /// The logins of a subject `top` names as sent through many stolen logins (credential
    /// stuffing): `culprit-top` too, but hashed after the role accounts (their passwords were
    /// stolen, not guessed: a thousand of them spent the report's budget before `sales@`).
    pub culprits_stuffed: Vec<String>,
    /// Logins the login log names as culprits.
    pub culprits_log: Vec<String>,
    /// Total hash attempts in the run.
    pub max_hash_attempts: usize,
    /// Hash attempts per account.
    pub max_hash_attempts_per_account: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            culprits_top: Vec::new(),
            culprits_stuffed: Vec::new(),
            culprits_log: Vec::new(),
            max_hash_attempts: hashcheck::MAX_HASH_ATTEMPTS_PER_RUN,
            max_hash_attempts_per_account: hashcheck::MAX_HASH_ATTEMPTS_PER_ACCOUNT,
        }
    }
}

fn bytes_as_text<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    use serde::ser::SerializeMap;
    match std::str::from_utf8(b) {
        Ok(t) => s.serialize_str(t),
        Err(_) => {
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(
                "bytes",
                &base64::engine::general_purpose::STANDARD.encode(b),
            )?;
            m.end()
        }
    }
}

/// The verdict on one account: what matched and what to do. Holds no password and no hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountRisk {
    /// The login, exact bytes (JSON: a string, or `{"bytes": base64}` when not UTF-8).
    #[serde(serialize_with = "bytes_as_text")]
    pub account: Box<[u8]>,
    /// The domain, exact bytes (same encoding).
    #[serde(serialize_with = "bytes_as_text")]
    pub domain: Box<[u8]>,
    /// Rules matched, in [`Rule`] order; empty when the account looks fine.
    pub rules: Vec<Rule>,
    /// The login is a role name.
    pub role: bool,
    /// `top` or the login log named it.
    pub culprit: bool,
    /// How far the password could be checked.
    pub password_check: PasswordCheck,
    /// Where the account was read from.
    pub source: Source,
    /// What to do, in the operator's words; empty when nothing matched.
    pub advice: String,
    /// The IP of the last login, from vpopmail's `lastauth` (null when there is none).
    pub last_auth_ip: Option<String>,
    /// The time of the last login (`lastauth`'s mtime), RFC 3339 UTC (null when none).
    pub last_auth: Option<String>,
}

impl AccountRisk {
    /// Does any rule match?
    pub fn is_at_risk(&self) -> bool {
        !self.rules.is_empty()
    }

    /// The last login as the faces show it: `2026-11-23 10:55 82.128.32.42` (UTC, the IP
    /// sanitized: it is file bytes), `-` without one.
    pub fn last_auth_text(&self) -> String {
        match (&self.last_auth, &self.last_auth_ip) {
            (Some(at), Some(ip)) => {
                let when = at.get(..16).unwrap_or(at).replacen('T', " ", 1);
                format!("{when} {}", crate::sanitize::sanitize_str(ip))
            }
            _ => "-".into(),
        }
    }
}

/// The result of checking every account.
#[derive(Debug, Clone, Default)]
pub struct AccountsCheck {
    /// One verdict per account, in the input order.
    pub risks: Vec<AccountRisk>,
    /// Hash computations done.
    pub hash_attempts: usize,
    /// The run's hash cap was reached: some accounts were checked partly or not at all.
    pub run_cap_hit: bool,
}

impl AccountsCheck {
    /// The accounts with at least one rule.
    pub fn at_risk(&self) -> impl Iterator<Item = &AccountRisk> {
        self.risks.iter().filter(|r| r.is_at_risk())
    }
}

fn is_named(account: &Account, names: &[String]) -> bool {
    names.iter().any(|n| {
        let n = n.as_bytes();
        match n.iter().position(|&b| b == b'@') {
            Some(at) => {
                n[..at].eq_ignore_ascii_case(&account.login)
                    && n[at + 1..].eq_ignore_ascii_case(&account.domain)
            }
            None => n.eq_ignore_ascii_case(&account.login),
        }
    })
}

fn is_role(login: &[u8]) -> bool {
    ROLE_NAMES
        .iter()
        .any(|r| r.as_bytes().eq_ignore_ascii_case(login))
}

/// Advice in the operator's words for a set of rules; `stuffed` when the only culprit naming
/// the account is a credential-stuffing run (`analysis::stuffed_logins`).
pub fn advice(rules: &[Rule], login: &[u8], stuffed: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    let culprit = rules
        .iter()
        .any(|r| matches!(r, Rule::CulpritTop | Rule::CulpritLog));
    if culprit && stuffed {
        // A stuffing run's IPs are a botnet's, each used a few times: blocking them stops
        // nothing, and the password came from outside, so its owner must hear of it.
        parts.push(
            "change the password now and tell its owner: it was stolen and used from a botnet's many IPs (credential stuffing), which blocking does not stop"
                .into(),
        );
    } else if culprit && !rules.contains(&Rule::CulpritTop) {
        // The login log alone names it (a guessed password, a harvester's success): no spam
        // of the queue was seen sent with it (review52: "the spam was sent with it" of one).
        parts.push(
            "change the password now: the login log shows it guessed or taken (no queued spam names it yet); block the client IPs that logged in if they are few (from many, a botnet's, blocking does not stop it)"
                .into(),
        );
    } else if culprit {
        // Blocking helps against a few IPs; against botnet-login's 601 it stops nothing, and
        // the count is not known here (newuser58).
        parts.push(
            "change the password now (the spam was sent with it) and block the client IPs that used it if they are few (from many, a botnet's, blocking does not stop it)"
                .into(),
        );
    } else if rules.iter().any(|r| r.is_password_rule()) {
        parts.push("change the password: it is guessable".into());
    }
    if rules.contains(&Rule::RoleAccount) {
        if login.eq_ignore_ascii_case(b"postmaster") || login.eq_ignore_ascii_case(b"abuse") {
            parts.push("keep the address but make it an alias (valias or .qmail forward) to a person's mailbox".into());
        } else {
            parts.push(
                "make it an alias (valias or .qmail forward) to a person's mailbox, or remove it"
                    .into(),
            );
        }
    }
    parts.join("; ")
}

/// What hashing found for one account.
struct HashVerdict {
    check: PasswordCheck,
    rules: Vec<Rule>,
    attempts: usize,
}

fn hash_verdict(account: &Account, allowance: usize) -> HashVerdict {
    let cands = candidates(account);
    let refs: Vec<&[u8]> = cands.iter().map(Vec::as_slice).collect();
    let mut rules = Vec::new();
    let tried = hashcheck::try_candidates(account.secret.hash(), &refs, allowance);
    let (check, attempts) = match tried {
        HashTry::Found(i) => {
            if let Some(pass) = refs.get(i) {
                clear_rules(pass, account, &mut rules);
            }
            (PasswordCheck::Hash, i + 1)
        }
        HashTry::NoneMatched => (PasswordCheck::Hash, refs.len()),
        HashTry::Capped if allowance == 0 => (PasswordCheck::HashSkipped, 0),
        HashTry::Capped => (PasswordCheck::HashCapped, allowance),
    };
    HashVerdict {
        check,
        rules,
        attempts,
    }
}

/// The hash work of a run: per account its scheme and allowance, and whether the run's cap cut
/// any allowance short.
struct HashPlan {
    per_account: Vec<(usize, Option<Scheme>)>,
    run_cap_hit: bool,
}

/// Plan the hash work: accounts in priority order (culprits, then role accounts, then the rest)
/// each get an allowance from the run's budget. Deterministic, so the checks can run in parallel
/// and still give the same answer every time.
fn plan_allowances(accounts: &[Account], opts: &CheckOptions, culprit: &[bool]) -> HashPlan {
    let mut per_account: Vec<(usize, Option<Scheme>)> = accounts
        .iter()
        .map(|a| {
            (
                0,
                if a.secret.has_clear() {
                    None
                } else {
                    hashcheck::scheme(a.secret.hash())
                },
            )
        })
        .collect();
    let mut order: Vec<usize> = (0..accounts.len()).collect();
    order.sort_by_key(|&i| (!culprit[i], !is_role(&accounts[i].login), i));
    let mut left = opts.max_hash_attempts;
    let mut run_cap_hit = false;
    for i in order {
        let candidates = candidates(&accounts[i]).len();
        if let (slot, Some(s)) = &mut per_account[i] {
            if !s.is_too_costly() {
                let per = opts.max_hash_attempts_per_account;
                let wanted = hashcheck::allowance(*s, candidates, per, usize::MAX);
                *slot = hashcheck::allowance(*s, candidates, per, left);
                run_cap_hit |= *slot < wanted;
                left -= *slot;
            }
        }
    }
    HashPlan {
        per_account,
        run_cap_hit,
    }
}

/// Who names an account as a culprit.
#[derive(Debug, Clone, Copy, Default)]
struct Named {
    top: bool,
    log: bool,
    /// Named only by a credential-stuffing run, not as a culprit of its own.
    stuffed: bool,
}

/// The verdict on one account, and the hash attempts it cost.
fn verdict(a: &Account, named: Named, plan: (usize, Option<Scheme>)) -> (AccountRisk, usize) {
    let mut rules = Vec::new();
    let (check, attempts) = match (a.secret.clear(), plan) {
        (Some(pass), _) => {
            clear_rules(pass, a, &mut rules);
            (PasswordCheck::ClearText, 0)
        }
        (None, (_, None)) => (PasswordCheck::UnknownScheme, 0),
        (None, (_, Some(s))) if s.is_too_costly() => (PasswordCheck::HashSkipped, 0),
        (None, (allowance, Some(_))) => {
            let v = hash_verdict(a, allowance);
            rules = v.rules;
            (v.check, v.attempts)
        }
    };
    let role = is_role(&a.login);
    for (yes, rule) in [
        (role, Rule::RoleAccount),
        (named.top, Rule::CulpritTop),
        (named.log, Rule::CulpritLog),
    ] {
        if yes {
            rules.push(rule);
        }
    }
    rules.sort();
    rules.dedup();
    let risk = AccountRisk {
        account: a.login.clone(),
        domain: a.domain.clone(),
        advice: advice(&rules, &a.login, named.stuffed),
        rules,
        role,
        culprit: named.top || named.log,
        password_check: check,
        source: a.source,
        last_auth_ip: a.last_auth.as_ref().map(|l| l.ip.clone()),
        last_auth: a
            .last_auth
            .as_ref()
            .map(|l| crate::queue::date::rfc3339(l.at)),
    };
    (risk, attempts)
}

/// Check every account against every rule.
pub fn check(accounts: &[Account], opts: &CheckOptions) -> AccountsCheck {
    let named: Vec<Named> = accounts
        .iter()
        .map(|a| {
            let own = is_named(a, &opts.culprits_top);
            let log = is_named(a, &opts.culprits_log);
            let stuffed = is_named(a, &opts.culprits_stuffed);
            Named {
                top: own || stuffed,
                log,
                stuffed: stuffed && !own && !log,
            }
        })
        .collect();
    // Hashed first: the culprits that sent the spam themselves, not a stuffing run's logins.
    let culprit: Vec<bool> = named
        .iter()
        .map(|n| n.log || (n.top && !n.stuffed))
        .collect();
    let plan = plan_allowances(accounts, opts, &culprit);
    let verdicts: Vec<(AccountRisk, usize)> = accounts
        .par_iter()
        .enumerate()
        .map(|(i, a)| verdict(a, named[i], plan.per_account[i]))
        .collect();
    let hash_attempts = verdicts.iter().map(|v| v.1).sum();
    AccountsCheck {
        risks: verdicts.into_iter().map(|v| v.0).collect(),
        hash_attempts,
        run_cap_hit: plan.run_cap_hit,
    }
}

#[cfg(test)]
mod tests;
