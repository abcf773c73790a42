//! Unit tests of `crate::accounts::rules`.
use super::*;
use crate::accounts::fixture::{crypt, HashScheme};
use crate::accounts::vpasswd::{parse_line, Secret};

fn clear(login: &str, domain: &str, pass: &str) -> Account {
    let hash = crypt(HashScheme::Md5, pass).expect("hash");
    let line = format!("{login}:{hash}:1:0:g:/d:NOQUOTA:{pass}");
    parse_line(line.as_bytes(), domain.as_bytes(), Source::Vpasswd).expect("account")
}

fn hashed(login: &str, domain: &str, scheme: HashScheme, pass: &str) -> Account {
    Account {
        login: login.as_bytes().into(),
        domain: domain.as_bytes().into(),
        gecos: Box::new([]),
        source: Source::Vpasswd,
        secret: Secret::new(crypt(scheme, pass).expect("hash").as_bytes(), None),
        dir: Box::new([]),
        last_auth: None,
    }
}

fn rules_of(a: Account, opts: &CheckOptions) -> (Vec<Rule>, PasswordCheck) {
    let c = check(&[a], opts);
    let r = &c.risks[0];
    (r.rules.clone(), r.password_check)
}

#[test]
fn clear_text_rules() {
    let o = CheckOptions::default();
    let (r, how) = rules_of(clear("jane", "example.com", "jane"), &o);
    assert_eq!(
        (r, how),
        (
            vec![Rule::PasswordIsLogin, Rule::PasswordShort],
            PasswordCheck::ClearText
        )
    );
    assert_eq!(
        rules_of(clear("jane", "example.com", "Example.com"), &o).0,
        vec![Rule::PasswordIsDomain]
    );
    assert_eq!(
        rules_of(clear("jane", "example.com", "example"), &o).0,
        vec![Rule::PasswordIsDomain, Rule::PasswordShort]
    );
    assert_eq!(
        rules_of(clear("jane", "example.com", ""), &o).0,
        vec![Rule::PasswordEmpty]
    );
    assert_eq!(
        rules_of(clear("jane", "example.com", "Xy7#q"), &o).0,
        vec![Rule::PasswordShort]
    );
    assert_eq!(
        rules_of(clear("jane", "example.com", "Password"), &o).0,
        vec![Rule::PasswordCommon]
    );
    assert_eq!(
        rules_of(clear("jane", "example.com", "12345"), &o).0,
        vec![Rule::PasswordShort, Rule::PasswordCommon]
    );
    assert!(
        rules_of(clear("jane", "example.com", "correct horse battery"), &o)
            .0
            .is_empty()
    );
}

#[test]
fn the_seed_accounts() {
    let o = CheckOptions {
        culprits_top: vec!["test".into()],
        ..Default::default()
    };
    let (r, _) = rules_of(clear("test", "example.com", "test"), &o);
    assert_eq!(
        r,
        vec![
            Rule::PasswordIsLogin,
            Rule::PasswordShort,
            Rule::PasswordCommon,
            Rule::RoleAccount,
            Rule::CulpritTop
        ]
    );
    let (r, _) = rules_of(clear("test", "example.com", "12345"), &o);
    assert!(r.contains(&Rule::PasswordCommon) && r.contains(&Rule::CulpritTop));
}

#[test]
fn role_and_culprit_rules() {
    let o = CheckOptions {
        culprits_top: vec!["sales@example.com".into()],
        culprits_log: vec!["Jane".into()],
        ..Default::default()
    };
    let strong = "t4k3-a-l0ng-0ne!";
    let (r, _) = rules_of(clear("postmaster", "example.com", strong), &o);
    assert_eq!(r, vec![Rule::RoleAccount]);
    let (r, _) = rules_of(clear("sales", "example.com", strong), &o);
    assert_eq!(r, vec![Rule::RoleAccount, Rule::CulpritTop]);
    // A domain-qualified culprit names only that domain's account.
    let (r, _) = rules_of(clear("sales", "example.org", strong), &o);
    assert_eq!(r, vec![Rule::RoleAccount]);
    let (r, _) = rules_of(clear("jane", "example.org", strong), &o);
    assert_eq!(r, vec![Rule::CulpritLog]);
}

#[test]
fn hashes_of_every_scheme_are_checked() {
    let o = CheckOptions::default();
    for scheme in [
        HashScheme::Des,
        HashScheme::Md5,
        HashScheme::Sha256,
        HashScheme::Sha512,
        HashScheme::Bcrypt,
    ] {
        let (r, how) = rules_of(hashed("jane", "example.com", scheme, "jane"), &o);
        assert_eq!(how, PasswordCheck::Hash, "{scheme:?}");
        assert_eq!(
            r,
            vec![Rule::PasswordIsLogin, Rule::PasswordShort],
            "{scheme:?}"
        );
    }
    let (r, _) = rules_of(hashed("jane", "example.com", HashScheme::Md5, "qwerty"), &o);
    assert_eq!(r, vec![Rule::PasswordShort, Rule::PasswordCommon]);
    let (r, _) = rules_of(
        hashed("jane", "example.com", HashScheme::Md5, "example"),
        &o,
    );
    assert_eq!(r, vec![Rule::PasswordIsDomain, Rule::PasswordShort]);
    let (r, _) = rules_of(hashed("jane", "example.com", HashScheme::Md5, ""), &o);
    assert_eq!(r, vec![Rule::PasswordEmpty]);
    let (r, how) = rules_of(
        hashed("jane", "example.com", HashScheme::Md5, "not in any list 7"),
        &o,
    );
    assert_eq!((r, how), (vec![], PasswordCheck::Hash));
}

#[test]
fn caps_are_reported() {
    let few = CheckOptions {
        max_hash_attempts_per_account: 3,
        ..Default::default()
    };
    let (r, how) = rules_of(
        hashed("jane", "example.com", HashScheme::Md5, "qwerty"),
        &few,
    );
    assert_eq!((r, how), (vec![], PasswordCheck::HashCapped));
    let accounts = vec![
        hashed("a", "example.com", HashScheme::Md5, "x-strong-1"),
        hashed("test", "example.com", HashScheme::Md5, "test"),
    ];
    // One run budget of 2: the role account `test` goes first and is found at attempt 2.
    let tight = CheckOptions {
        max_hash_attempts: 2,
        ..Default::default()
    };
    let c = check(&accounts, &tight);
    assert!(c.run_cap_hit);
    assert_eq!(c.risks[1].password_check, PasswordCheck::Hash);
    assert!(c.risks[1].rules.contains(&Rule::PasswordIsLogin));
    assert_eq!(c.risks[0].password_check, PasswordCheck::HashSkipped);
    assert_eq!(c.hash_attempts, 2);
}

/// A stuffing run's logins are `culprit-top` but hashed after the role accounts: a thousand
/// of them spent the report's budget before the login that sent spam itself (review50b).
#[test]
fn stuffed_logins_are_culprits_hashed_after_the_role_accounts() {
    let accounts = vec![
        hashed("anna", "example.com", HashScheme::Md5, "anna"),
        hashed("test", "example.com", HashScheme::Md5, "test"),
    ];
    let tight = CheckOptions {
        culprits_stuffed: vec!["anna@example.com".into()],
        max_hash_attempts: 2,
        ..Default::default()
    };
    let c = check(&accounts, &tight);
    assert!(
        c.risks[0].rules.contains(&Rule::CulpritTop),
        "{:?}",
        c.risks[0]
    );
    assert_eq!(c.risks[1].password_check, PasswordCheck::Hash);
    assert!(c.risks[1].rules.contains(&Rule::PasswordIsLogin));
    assert_eq!(c.risks[0].password_check, PasswordCheck::HashSkipped);
    // Named by top itself, the same login is hashed first.
    let direct = CheckOptions {
        culprits_top: vec!["anna@example.com".into()],
        max_hash_attempts: 2,
        ..Default::default()
    };
    let c = check(&accounts, &direct);
    assert_eq!(c.risks[0].password_check, PasswordCheck::Hash);
    assert_eq!(c.risks[1].password_check, PasswordCheck::HashSkipped);
}

#[test]
fn unknown_and_costly_hashes_are_not_tried() {
    let o = CheckOptions::default();
    let mut a = hashed("jane", "example.com", HashScheme::Md5, "x");
    a.secret = Secret::new(b"!locked", None);
    assert_eq!(rules_of(a.clone(), &o).1, PasswordCheck::UnknownScheme);
    let costly = format!("$6$rounds=999999999$salt${}", "a".repeat(86));
    a.secret = Secret::new(costly.as_bytes(), None);
    assert_eq!(rules_of(a, &o).1, PasswordCheck::HashSkipped);
}

#[test]
fn common_list_is_shipped_and_big_enough() {
    let n = common_list().count();
    assert!((150..=300).contains(&n), "{n}");
    assert!(common_list().any(|c| c == b"123456") && common_list().any(|c| c == b"test"));
    assert!(common_list().all(|c| c == c.to_ascii_lowercase().as_slice()));
}

#[test]
fn advice_names_what_to_do() {
    assert!(advice(&[Rule::PasswordIsLogin], b"jane", false).contains("change the password"));
    assert!(advice(&[Rule::RoleAccount], b"sales", false).contains("alias"));
    assert!(advice(&[Rule::CulpritTop], b"jane", false).contains("block the client"));
    // Named by the login log only: no spam was seen sent with it (review52).
    let log = advice(&[Rule::CulpritLog], b"jane", false);
    assert!(
        log.contains("login log shows it guessed") && !log.contains("spam was sent"),
        "{log}"
    );
    assert_eq!(advice(&[], b"jane", false), "");
}

#[test]
fn a_stuffed_login_is_told_to_its_owner_not_blocked_by_ip() {
    let stuffed = advice(&[Rule::CulpritTop], b"jane", true);
    assert!(stuffed.contains("tell its owner"), "{stuffed}");
    assert!(!stuffed.contains("block the client"), "{stuffed}");
    let o = CheckOptions {
        culprits_stuffed: vec!["jane@example.com".into()],
        culprits_top: vec!["test@example.com".into()],
        ..CheckOptions::default()
    };
    let accounts = [
        clear("jane", "example.com", "Long-and-Unguessable-9"),
        clear("test", "example.com", "Long-and-Unguessable-9"),
    ];
    let found = check(&accounts, &o);
    assert!(
        found.risks[0].advice.contains("tell its owner"),
        "{:?}",
        found.risks[0]
    );
    assert!(found.risks[0].rules.contains(&Rule::CulpritTop));
    assert!(
        found.risks[1].advice.contains("block the client"),
        "{:?}",
        found.risks[1]
    );
}

/// The login, the domain and the common words count with digits or punctuation after them,
/// and a common word capitalized, in clear text and hashed (review52: `sales2024`,
/// `qwertz123`, a hashed `Password1` and `ivan123` all passed).
#[test]
fn words_with_digits_after_them_are_still_the_words() {
    let o = CheckOptions::default();
    for (login, pass, want) in [
        ("ivan", "ivan2024", vec![Rule::PasswordIsLogin]),
        (
            "jane",
            "test!",
            vec![Rule::PasswordShort, Rule::PasswordCommon],
        ),
        ("jane", "qwertz123", vec![Rule::PasswordCommon]),
        ("jane", "Example2024", vec![Rule::PasswordIsDomain]),
        ("jane", "Summer2024!", vec![Rule::PasswordCommon]),
    ] {
        assert_eq!(
            rules_of(clear(login, "example.com", pass), &o).0,
            want,
            "{pass}"
        );
    }
    // A word of its own with digits is not the login's; a long tail is no policy's suffix
    // (review52b).
    for strong in [
        "janeway-77-orbit",
        "monkey.5819.2736.0042",
        "love!83;29#71@4%",
        "example.73!920$17#5",
    ] {
        let rules = rules_of(clear("jane", "example.com", strong), &o).0;
        assert!(rules.is_empty(), "{strong}: {rules:?}");
    }
    for (login, pass, want) in [
        ("ivan", "ivan1234", vec![Rule::PasswordIsLogin]),
        ("erin", "Password1", vec![Rule::PasswordCommon]),
        ("erin", "Example1", vec![Rule::PasswordIsDomain]),
    ] {
        let a = hashed(login, "example.com", HashScheme::Md5, pass);
        assert_eq!(rules_of(a, &o), (want, PasswordCheck::Hash), "{pass}");
    }
}

/// Every candidate fits one account's budget: `hash` says the whole list was tried, `hash-capped`
/// only that a budget cut it.
#[test]
fn the_candidates_fit_one_accounts_budget() {
    let a = hashed(
        "a-long-login",
        "some-domain.example.co",
        HashScheme::Md5,
        "x",
    );
    let n = candidates(&a).len();
    assert!(
        n <= crate::accounts::hashcheck::MAX_HASH_ATTEMPTS_PER_ACCOUNT,
        "{n}"
    );
}
