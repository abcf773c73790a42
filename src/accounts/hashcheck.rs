//! Try a few guessable passwords against a crypt(3) hash, with a bounded cost.
//!
//! Where vpopmail keeps only hashes, the only way to know that `test`'s password is `test` is to
//! hash `test` and compare. Every scheme vpopmail writes is covered by `pwhash`: DES crypt,
//! MD5-crypt `$1$`, SHA-256/512-crypt `$5$`/`$6$`, bcrypt `$2a$/$2b$/$2y$`. A hash is checked
//! only when it is well formed by our own strict reading (so no hostile string reaches the
//! crate's parser) and not costlier than [`MAX_SHA_CRYPT_ROUNDS`] / [`MAX_BCRYPT_COST`].

/// Total hash computations in one run; later accounts are reported as not checked.
pub const MAX_HASH_ATTEMPTS_PER_RUN: usize = 20_000;

/// Hash computations for one account (the shipped list plus login and domain fits in it).
pub const MAX_HASH_ATTEMPTS_PER_ACCOUNT: usize = 256;

/// Hash computations for one account whose scheme is slow (bcrypt, or SHA-crypt with more than
/// the default 5000 rounds): only the likeliest candidates are tried.
pub const MAX_SLOW_ATTEMPTS_PER_ACCOUNT: usize = 16;

/// SHA-crypt rounds above which a hash is not checked at all (default is 5000).
pub const MAX_SHA_CRYPT_ROUNDS: u32 = 50_000;

/// bcrypt cost above which a hash is not checked at all.
pub const MAX_BCRYPT_COST: u32 = 12;

/// SHA-crypt's default rounds; more makes a hash "slow".
const SHA_CRYPT_DEFAULT_ROUNDS: u32 = 5000;

/// bcrypt cost from which a hash is "slow".
const SLOW_BCRYPT_COST: u32 = 8;

/// A recognised crypt(3) scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Traditional DES crypt: 2 salt + 11 hash characters.
    Des,
    /// MD5-crypt `$1$`.
    Md5,
    /// SHA-256-crypt `$5$` with its rounds.
    Sha256(u32),
    /// SHA-512-crypt `$6$` with its rounds.
    Sha512(u32),
    /// bcrypt with its cost.
    Bcrypt(u32),
}

impl Scheme {
    /// Too costly to check at all.
    pub fn is_too_costly(self) -> bool {
        match self {
            Scheme::Sha256(r) | Scheme::Sha512(r) => r > MAX_SHA_CRYPT_ROUNDS,
            Scheme::Bcrypt(c) => c > MAX_BCRYPT_COST,
            Scheme::Des | Scheme::Md5 => false,
        }
    }

    /// Slow enough that only [`MAX_SLOW_ATTEMPTS_PER_ACCOUNT`] candidates are tried.
    pub fn is_slow(self) -> bool {
        match self {
            Scheme::Sha256(r) | Scheme::Sha512(r) => r > SHA_CRYPT_DEFAULT_ROUNDS,
            Scheme::Bcrypt(c) => c >= SLOW_BCRYPT_COST,
            Scheme::Des | Scheme::Md5 => false,
        }
    }
}

fn is_crypt64(s: &[u8]) -> bool {
    s.iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'/')
}

/// `salt$checksum` with a salt of at most `max_salt` crypt64 characters and a checksum of
/// exactly `sum_len`.
fn salt_and_sum(rest: &[u8], max_salt: usize, sum_len: usize) -> bool {
    let Some(dollar) = rest.iter().position(|&b| b == b'$') else {
        return false;
    };
    let (salt, sum) = (&rest[..dollar], &rest[dollar + 1..]);
    salt.len() <= max_salt && is_crypt64(salt) && sum.len() == sum_len && is_crypt64(sum)
}

fn sha_crypt(rest: &[u8], sum_len: usize) -> Option<u32> {
    let (rounds, rest) = match rest.strip_prefix(b"rounds=") {
        Some(r) => {
            let dollar = r.iter().position(|&b| b == b'$')?;
            let digits = &r[..dollar];
            if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
            (u32::try_from(n).ok()?.max(1000), &r[dollar + 1..])
        }
        None => (SHA_CRYPT_DEFAULT_ROUNDS, rest),
    };
    salt_and_sum(rest, 16, sum_len).then_some(rounds)
}

/// Recognise a well-formed hash; `None` for anything else (empty, `!`-locked, unknown, damaged).
pub fn scheme(hash: &[u8]) -> Option<Scheme> {
    if let Some(rest) = hash.strip_prefix(b"$1$") {
        return salt_and_sum(rest, 8, 22).then_some(Scheme::Md5);
    }
    if let Some(rest) = hash.strip_prefix(b"$5$") {
        return sha_crypt(rest, 43).map(Scheme::Sha256);
    }
    if let Some(rest) = hash.strip_prefix(b"$6$") {
        return sha_crypt(rest, 86).map(Scheme::Sha512);
    }
    for v in [&b"$2a$"[..], b"$2b$", b"$2y$"] {
        if let Some(rest) = hash.strip_prefix(v) {
            // cost (2 digits) `$` salt (22) checksum (31)
            let ok = rest.len() == 2 + 1 + 53
                && rest[..2].iter().all(u8::is_ascii_digit)
                && rest[2] == b'$'
                && is_crypt64(&rest[3..]);
            if !ok {
                return None;
            }
            let cost = u32::from(rest[0] - b'0') * 10 + u32::from(rest[1] - b'0');
            return (4..=31).contains(&cost).then_some(Scheme::Bcrypt(cost));
        }
    }
    (hash.len() == 13 && is_crypt64(hash)).then_some(Scheme::Des)
}

/// The result of trying candidates against one hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashTry {
    /// Candidate number `n` matched.
    Found(usize),
    /// Every candidate was tried; none matched.
    NoneMatched,
    /// The attempt allowance ran out before every candidate was tried; none of those tried
    /// matched.
    Capped,
}

/// How many attempts one account may use: its candidates, bounded by the per-account cap (the
/// slow cap for slow schemes) and by what is left of the run's budget.
pub fn allowance(scheme: Scheme, candidates: usize, per_account: usize, left: usize) -> usize {
    let cap = if scheme.is_slow() {
        per_account.min(MAX_SLOW_ATTEMPTS_PER_ACCOUNT)
    } else {
        per_account
    };
    candidates.min(cap).min(left)
}

/// Try `candidates` in order against `hash`, at most `allowance` of them.
pub fn try_candidates(hash: &[u8], candidates: &[&[u8]], allowance: usize) -> HashTry {
    let Ok(hash) = std::str::from_utf8(hash) else {
        return HashTry::Capped;
    };
    for (i, c) in candidates.iter().take(allowance).enumerate() {
        if pwhash::unix::verify(c, hash) {
            return HashTry::Found(i);
        }
    }
    if allowance >= candidates.len() {
        HashTry::NoneMatched
    } else {
        HashTry::Capped
    }
}

#[cfg(test)]
#[allow(deprecated)] // fixed-salt hashing of the old schemes, to make test hashes
mod tests {
    use super::*;

    #[test]
    fn schemes_are_recognised_strictly() {
        let md5 = pwhash::md5_crypt::hash_with("$1$saltsalt", "test").expect("md5");
        assert_eq!(scheme(md5.as_bytes()), Some(Scheme::Md5));
        let sha = pwhash::sha512_crypt::hash_with("$6$saltsalt", "test").expect("sha512");
        assert_eq!(scheme(sha.as_bytes()), Some(Scheme::Sha512(5000)));
        let sha = pwhash::sha256_crypt::hash_with("$5$rounds=6000$salt", "test").expect("sha256");
        assert_eq!(scheme(sha.as_bytes()), Some(Scheme::Sha256(6000)));
        let setup = pwhash::bcrypt::BcryptSetup {
            salt: Some("bvIG6Nmid91Mu9RcmmWZfO"),
            cost: Some(4),
            variant: None,
        };
        let bc = pwhash::bcrypt::hash_with(setup, "test").expect("bcrypt");
        assert_eq!(scheme(bc.as_bytes()), Some(Scheme::Bcrypt(4)));
        let des = pwhash::unix_crypt::hash_with("ab", "test").expect("des");
        assert_eq!(scheme(des.as_bytes()), Some(Scheme::Des));
        for bad in [
            &b""[..],
            b"!",
            b"*LK*",
            b"$1$",
            b"$6$rounds=$x$y",
            b"$2y$99$x",
            b"$6$\x1b[2J$x",
            b"$9$abc$def",
        ] {
            assert_eq!(scheme(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn costly_hashes_are_refused() {
        let h = format!("$6$rounds=999999999$salt${}", "a".repeat(86));
        let s = scheme(h.as_bytes()).expect("well formed");
        assert!(s.is_too_costly());
        assert!(Scheme::Bcrypt(13).is_too_costly());
        assert!(Scheme::Bcrypt(10).is_slow() && !Scheme::Bcrypt(10).is_too_costly());
    }

    #[test]
    fn finds_the_matching_candidate_and_respects_the_allowance() {
        let h = pwhash::md5_crypt::hash_with("$1$saltsalt", "12345").expect("md5");
        let cands: Vec<&[u8]> = vec![b"test", b"password", b"12345", b"qwerty"];
        assert_eq!(try_candidates(h.as_bytes(), &cands, 4), HashTry::Found(2));
        assert_eq!(try_candidates(h.as_bytes(), &cands, 2), HashTry::Capped);
        let other: Vec<&[u8]> = vec![b"a", b"b"];
        assert_eq!(
            try_candidates(h.as_bytes(), &other, 5),
            HashTry::NoneMatched
        );
    }

    #[test]
    fn allowance_is_bounded_three_ways() {
        assert_eq!(allowance(Scheme::Md5, 300, 256, 10_000), 256);
        assert_eq!(allowance(Scheme::Md5, 300, 256, 7), 7);
        assert_eq!(
            allowance(Scheme::Bcrypt(10), 300, 256, 10_000),
            MAX_SLOW_ATTEMPTS_PER_ACCOUNT
        );
        assert_eq!(allowance(Scheme::Md5, 20, 256, 10_000), 20);
    }
}
