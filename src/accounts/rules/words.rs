//! The words a password is checked against: the login, the domain's variants, the common list,
//! and what people add to them (digits, punctuation, a capital), in clear text and as hashing
//! candidates.

use super::{Rule, COMMON_PASSWORDS, MIN_PASSWORD_LEN};
use crate::accounts::vpasswd::Account;

fn lower(b: &[u8]) -> Vec<u8> {
    b.to_ascii_lowercase()
}

/// The domain, the domain without its TLD, and its first label, lowercased and without empties.
fn domain_variants(domain: &[u8]) -> Vec<Vec<u8>> {
    let d = lower(domain);
    let mut out = vec![d.clone()];
    if let Some(dot) = d.iter().rposition(|&b| b == b'.') {
        out.push(d[..dot].to_vec());
    }
    if let Some(dot) = d.iter().position(|&b| b == b'.') {
        out.push(d[..dot].to_vec());
    }
    out.retain(|v| !v.is_empty());
    out.dedup();
    out
}

pub(super) fn common_list() -> impl Iterator<Item = &'static [u8]> {
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::as_bytes)
}

/// `p` without the digits and punctuation at its end, when they are a few ([`STEM_TAIL`]):
/// what people add to a word a password policy refused (`sales2024`, `test!`, `qwertz123`,
/// `Summer2024!`), and what a harvester's list adds too. A longer tail is a password of its own
/// (review52b: `monkey.5819.2736.0042` and `love!83;29#71@4%` read as common words).
fn stem(p: &[u8]) -> &[u8] {
    let end = (p.iter())
        .rposition(|b| !(b.is_ascii_digit() || b.is_ascii_punctuation()))
        .map_or(0, |i| i + 1);
    match p.len() - end <= STEM_TAIL {
        true => &p[..end],
        false => p,
    }
}

/// The most digits and punctuation [`stem`] takes off a password's end.
const STEM_TAIL: usize = 5;

/// The password rules that a known clear-text password breaks. The login, the domain and the
/// common words count with digits or punctuation after them too (review52: `sales2024`,
/// `qwertz123` passed).
pub(super) fn clear_rules(pass: &[u8], account: &Account, out: &mut Vec<Rule>) {
    if pass.is_empty() {
        out.push(Rule::PasswordEmpty);
        return;
    }
    let p = lower(pass);
    let words: Vec<&[u8]> = [&p[..], stem(&p)]
        .into_iter()
        .filter(|w| !w.is_empty())
        .collect();
    let login = lower(&account.login);
    if words.contains(&login.as_slice()) {
        out.push(Rule::PasswordIsLogin);
    }
    let domains = domain_variants(&account.domain);
    if words.iter().any(|w| domains.iter().any(|d| d == w)) {
        out.push(Rule::PasswordIsDomain);
    }
    let chars = std::str::from_utf8(pass)
        .map(|s| s.chars().count())
        .unwrap_or(pass.len());
    if chars < MIN_PASSWORD_LEN {
        out.push(Rule::PasswordShort);
    }
    if common_list().any(|c| words.contains(&c)) {
        out.push(Rule::PasswordCommon);
    }
}

/// Common passwords hashed before the login's and the domain's variants.
const COMMON_FIRST: usize = 10;

/// Common words (letters first) also hashed capitalized, the most common first: with them the
/// candidates still fit one account's budget ([`crate::accounts::hashcheck::MAX_HASH_ATTEMPTS_PER_ACCOUNT`]), so
/// `hash` still means every candidate was tried.
const COMMON_CAPITALIZED: usize = 25;

/// What people add to a word for a password policy, likeliest first (hashed candidates).
const SUFFIXES: [&str; 5] = ["1", "123", "!", "12", "1234"];

/// `word` with its first letter in capitals (`Password`), if that changes it.
fn capitalized(word: &[u8]) -> Option<Vec<u8>> {
    let first = *word.first()?;
    first.is_ascii_lowercase().then(|| {
        let mut w = word.to_vec();
        w[0] = first.to_ascii_uppercase();
        w
    })
}

/// Candidates to hash for one account, likeliest first: empty, login, domain variants, the
/// head of the common list ([`COMMON_FIRST`]), the login and domain variants with a suffix
/// ([`SUFFIXES`]) or capitalized, the rest of the common list, then its words capitalized
/// (`Password1`: review52); exact bytes as typed, duplicates removed. The budget cuts the tail
/// (16 for slow schemes: the head of the list is tried before the variants).
pub(super) fn candidates(account: &Account) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![Vec::new(), account.login.to_vec()];
    out.extend(domain_variants(&account.domain));
    let push = |out: &mut Vec<Vec<u8>>, c: Vec<u8>| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    // The login and the domain's first label (`example`): people add digits to a word, not to
    // a domain name.
    let label = domain_variants(&account.domain).pop();
    let own: Vec<Vec<u8>> = std::iter::once(account.login.to_vec())
        .chain(label)
        .collect();
    for c in common_list().take(COMMON_FIRST) {
        push(&mut out, c.to_vec());
    }
    for word in own.iter().filter(|w| !w.is_empty()) {
        for suffix in SUFFIXES {
            push(&mut out, [&word[..], suffix.as_bytes()].concat());
        }
        if let Some(c) = capitalized(word) {
            for suffix in ["", "1", "123"] {
                push(&mut out, [&c[..], suffix.as_bytes()].concat());
            }
        }
    }
    for c in common_list() {
        push(&mut out, c.to_vec());
    }
    for c in common_list()
        .filter_map(capitalized)
        .take(COMMON_CAPITALIZED)
    {
        push(&mut out, c);
    }
    out
}
