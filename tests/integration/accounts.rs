//! `qtriage accounts` on fixture vpopmail trees: every rule, cdb and hashed layouts, hostile
//! bytes, caps, exit codes, and that no password or hash ever reaches the output (issue 12).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use qtriage::accounts::fixture::{FixtureAccount, HashScheme, Store, VpopmailTree};

use crate::util::assert_exit;

/// The `accounts --json` object, restated from docs/cli.md so a renamed field fails here.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountJson {
    account: serde_json::Value,
    domain: serde_json::Value,
    rules: Vec<String>,
    role: bool,
    culprit: bool,
    password_check: String,
    source: String,
    advice: String,
    last_auth_ip: Option<String>,
    last_auth: Option<String>,
}

/// A fixture tree and every secret written into it.
pub struct Tree {
    _dir: tempfile::TempDir,
    pub tree: VpopmailTree,
    pub secrets: Vec<Vec<u8>>,
}

fn add(t: &mut Tree, below: &[u8], store: Store, accounts: Vec<FixtureAccount>) {
    t.secrets.extend(accounts.iter().flat_map(|a| a.secrets()));
    t.tree
        .add_domain(below, store, &accounts)
        .expect("fixture domain");
}

/// Three domains: clear text (`example.com`), hashes only below a hashed directory
/// (`0/example.org`), and cdb only (`example.net`), with hostile bytes in names and gecos.
pub fn seed_tree() -> Tree {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = VpopmailTree::create(dir.path().join("vpopmail")).expect("tree");
    let mut t = Tree {
        _dir: dir,
        tree,
        secrets: Vec::new(),
    };
    add(
        &mut t,
        b"example.com",
        Store::Text,
        vec![
            FixtureAccount::clear("test", "test"),
            FixtureAccount::clear("sales", "sales"),
            FixtureAccount::clear("postmaster", "Kq8#vLm2!pZr"),
            FixtureAccount::clear("jane", "Zx9$plmQ-wert"),
            FixtureAccount::clear("bob", ""),
            FixtureAccount::clear("carol", "12345"),
            FixtureAccount::clear("dave", "example"),
            FixtureAccount::clear("erin", "Password1"),
            FixtureAccount::clear("frank", "Tz4$q"),
            FixtureAccount::clear("mallory", "qwerty")
                .login(b"mal\x1b[2J\x1b]0;owned\x07")
                .gecos(b"\x1b[31mred\xff\xfe"),
            FixtureAccount::clear("binary", "123456").login(b"bin\xffary"),
            FixtureAccount::raw(b"brokenline"),
            FixtureAccount::raw(b":nologin:1:0"),
        ],
    );
    add(
        &mut t,
        b"0/example.org",
        Store::Text,
        vec![
            FixtureAccount::hashed("test", HashScheme::Sha512, "12345"),
            FixtureAccount::hashed("info", HashScheme::Md5, "Rr5&long-enough"),
            FixtureAccount::hashed("alice", HashScheme::Bcrypt, "alice"),
            FixtureAccount::hashed("eve", HashScheme::Des, "qwerty"),
            FixtureAccount::hashed("zed", HashScheme::Sha256, "example"),
            FixtureAccount::hashed("strong", HashScheme::Sha512, "Gg3*not-guessable"),
            FixtureAccount::with_hash("locked", "!$1$x$y"),
        ],
    );
    add(
        &mut t,
        b"example.net",
        Store::Cdb,
        vec![
            FixtureAccount::clear("sales", "sales"),
            FixtureAccount::hashed("webmaster", HashScheme::Md5, "webmaster"),
            FixtureAccount::clear("tom", "a-very-long-passphrase-7"),
        ],
    );
    t
}

fn qtriage(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .args(args)
        .env_remove("QTRIAGE_VPOPMAIL")
        .env_remove("QTRIAGE_QUEUE")
        .output()
        .expect("run qtriage")
}

fn accounts(root: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "accounts",
        "--vpopmail",
        root.to_str().expect("utf-8 temp path"),
    ];
    args.extend_from_slice(extra);
    qtriage(&args)
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => format!("bytes:{}", other["bytes"].as_str().expect("bytes object")),
    }
}

fn parse(out: &Output) -> BTreeMap<(String, String), AccountJson> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8 json")
        .lines()
        .map(|l| {
            let a: AccountJson = serde_json::from_str(l).expect("accounts json line");
            ((text_of(&a.domain), text_of(&a.account)), a)
        })
        .collect()
}

/// Assert no fixture secret appears in `bytes`. A password equal to a name the output shows
/// anyway (login `test`, domain label `example`) cannot be told apart and is skipped.
#[track_caller]
pub fn assert_no_secret(bytes: &[u8], secrets: &[Vec<u8>], shown_names: &[&[u8]]) {
    for s in secrets {
        if shown_names
            .iter()
            .any(|n| n.windows(s.len()).any(|w| w == s.as_slice()))
        {
            continue;
        }
        assert!(
            !bytes.windows(s.len()).any(|w| w == s.as_slice()),
            "secret {:?} leaked into output:\n{}",
            String::from_utf8_lossy(s),
            String::from_utf8_lossy(bytes)
        );
    }
}

const SHOWN: &[&[u8]] = &[b"test", b"sales", b"webmaster", b"alice", b"example.com"];

#[test]
fn every_rule_on_every_layout() {
    let t = seed_tree();
    let out = accounts(
        t.tree.root(),
        &[
            "--json",
            "--all",
            "--culprit",
            "test@example.com",
            "--log-culprit",
            "jane",
        ],
    );
    assert_exit(&out, 1);
    let got = parse(&out);
    // The seed tree has no lastauth files: no last login is made up.
    assert!(got
        .values()
        .all(|a| a.last_auth.is_none() && a.last_auth_ip.is_none()));
    let rules = |d: &str, a: &str| -> Vec<String> {
        got.get(&(d.to_string(), a.to_string()))
            .unwrap_or_else(|| panic!("{a}@{d} missing"))
            .rules
            .clone()
    };
    let com = "example.com";
    assert_eq!(
        rules(com, "test"),
        [
            "password-is-login",
            "password-short",
            "password-common",
            "role-account",
            "culprit-top"
        ]
    );
    assert_eq!(
        rules(com, "sales"),
        [
            "password-is-login",
            "password-short",
            "password-common",
            "role-account"
        ]
    );
    assert_eq!(rules(com, "postmaster"), ["role-account"]);
    assert_eq!(rules(com, "jane"), ["culprit-log"]);
    assert_eq!(rules(com, "bob"), ["password-empty"]);
    assert_eq!(rules(com, "carol"), ["password-short", "password-common"]);
    assert_eq!(rules(com, "dave"), ["password-is-domain", "password-short"]);
    assert_eq!(rules(com, "erin"), ["password-common"]);
    assert_eq!(rules(com, "frank"), ["password-short"]);
    let org = "example.org";
    assert_eq!(
        rules(org, "test"),
        ["password-short", "password-common", "role-account"]
    );
    assert_eq!(rules(org, "info"), ["role-account"]);
    assert_eq!(rules(org, "alice"), ["password-is-login", "password-short"]);
    assert_eq!(rules(org, "eve"), ["password-short", "password-common"]);
    assert_eq!(rules(org, "zed"), ["password-is-domain", "password-short"]);
    assert!(rules(org, "strong").is_empty());
    let net = "example.net";
    assert_eq!(
        rules(net, "sales"),
        [
            "password-is-login",
            "password-short",
            "password-common",
            "role-account"
        ]
    );
    assert_eq!(
        rules(net, "webmaster"),
        ["password-is-login", "password-common", "role-account"]
    );
    assert!(rules(net, "tom").is_empty());

    let get = |d: &str, a: &str| &got[&(d.to_string(), a.to_string())];
    assert_eq!(get(org, "test").password_check, "hash");
    assert_eq!(get(org, "locked").password_check, "unknown-scheme");
    assert_eq!(get(com, "test").password_check, "clear-text");
    assert_eq!(get(net, "tom").source, "cdb");
    assert!(get(com, "test").culprit && get(com, "test").role);
    assert!(
        !get(org, "test").culprit,
        "test@example.com names only that domain's test"
    );
    assert!(get(com, "test").advice.contains("change the password"));
    assert!(get(com, "postmaster").advice.contains("alias"));
    // A line with fewer than seven fields is no account, as vpopmail's own reader has it (not
    // one "without a password"): 11 + 7 + 3 accounts.
    assert!(!got.contains_key(&(com.to_string(), "brokenline".to_string())));
    assert_eq!(got.len(), 21);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("skipped 2 lines with fewer than 7 fields"),
        "{err}"
    );
}

#[test]
fn hostile_names_are_exact_in_json_and_safe_in_text() {
    let t = seed_tree();
    let json = accounts(t.tree.root(), &["--json"]);
    let got = parse(&json);
    // Invalid UTF-8 comes back as base64 bytes, exact.
    assert!(
        got.keys().any(|(_, a)| a == "bytes:Ymlu/2FyeQ=="),
        "{:?}",
        got.keys()
    );
    assert!(got.keys().any(|(_, a)| a == "mal\x1b[2J\x1b]0;owned\x07"));
    let text = accounts(t.tree.root(), &[]);
    assert_exit(&text, 1);
    assert!(
        !text.stdout.contains(&0x1b) && !text.stdout.contains(&0x07),
        "raw escape in table"
    );
    let s = String::from_utf8(text.stdout).expect("table is UTF-8");
    assert!(s.contains("mal\\e[2J\\e]0;owned\\x07"), "{s}");
    assert!(s.contains("bin\\xffary"), "{s}");
    // The gecos is never shown at all, not even sanitized.
    assert!(!s.contains("[31m"), "{s}");
}

#[test]
fn no_password_or_hash_in_any_output() {
    let t = seed_tree();
    assert!(
        t.secrets.len() > 30,
        "the fixture wrote {} secrets",
        t.secrets.len()
    );
    for extra in [
        &[][..],
        &["--all"],
        &["--json"],
        &["--json", "--all"],
        &["--all", "--max-hash-attempts", "5"],
    ] {
        let out = accounts(t.tree.root(), extra);
        assert_no_secret(&out.stdout, &t.secrets, SHOWN);
        assert_no_secret(&out.stderr, &t.secrets, SHOWN);
    }
}

#[test]
fn hash_cap_is_reported() {
    let t = seed_tree();
    let out = accounts(t.tree.root(), &["--all", "--max-hash-attempts", "5"]);
    assert_exit(&out, 1);
    let s = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        s.contains("not fully checked: the run's cap of 5 hash attempts was reached"),
        "{s}"
    );
    let json = parse(&accounts(
        t.tree.root(),
        &["--json", "--all", "--max-hash-attempts", "5"],
    ));
    let skipped = json
        .values()
        .filter(|a| a.password_check == "hash-skipped" || a.password_check == "hash-capped")
        .count();
    assert!(skipped >= 4, "{skipped}");
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = VpopmailTree::create(dir.path().join("vp")).expect("tree");
    tree.add_domain(
        b"example.com",
        Store::Text,
        &[FixtureAccount::clear("jane", "Zx9$plmQ-wert")],
    )
    .expect("domain");
    let out = accounts(tree.root(), &[]);
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 of 1 account in 1 domain at risk"));
    let out = accounts(&dir.path().join("nowhere"), &[]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a vpopmail directory"));
    // A tree with no account checked nothing: not "0 of 0 at risk", exit 0 (newuser50).
    let empty = VpopmailTree::create(dir.path().join("empty")).expect("tree");
    let out = accounts(empty.root(), &["--no-queue"]);
    assert_exit(&out, 2);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("no account found in its domains/: nothing was checked"),
        "{said}"
    );
}

/// After the yank the flood's login is still `top`'s culprit for the accounts check: the yank
/// area is ranked with the queue, as in `report`, so a re-run keeps `culprit-top` and its advice.
#[test]
fn the_culprit_stays_a_culprit_after_its_spam_is_yanked() {
    let t = crate::util::TestQueue::new(23);
    let now = 1_795_430_000;
    qtriage::fixture::flood::write_flood(
        &t.q,
        &qtriage::fixture::flood::FloodSpec::new(600, 3, now),
    )
    .expect("flood");
    let tree = seed_tree();
    let root = tree
        .tree
        .root()
        .to_str()
        .expect("utf-8 temp path")
        .to_string();
    let culprit_rules = || {
        let out = t
            .command()
            .args(["accounts", "--json", "--vpopmail", &root])
            .env("QTRIAGE_NOW", now.to_string())
            .output()
            .expect("run");
        let got = parse(&out);
        let test = got
            .get(&("example.com".to_string(), "test".to_string()))
            .expect("test@example.com listed");
        test.rules.clone()
    };
    assert!(culprit_rules().iter().any(|r| r == "culprit-top"));
    let yank = t
        .command()
        .args(["yank", "auth:test or auth:test@example.com", "--apply"])
        .env("QTRIAGE_NOW", now.to_string())
        .output()
        .expect("yank");
    assert_exit(&yank, 0);
    let rules = culprit_rules();
    assert!(rules.iter().any(|r| r == "culprit-top"), "{rules:?}");
}

/// `gen-queue --vpopmail` (newuser58: no vpopmail directory to practise `accounts` on): the
/// weak-accounts mix's guessed logins are the culprits, with their own names as passwords; the
/// real users' accounts are not at risk; the added `postmaster` and `archive` are, and no
/// culprit's.
#[test]
fn a_generated_floods_vpopmail_directory_makes_its_guessed_logins_the_culprits() {
    use qtriage::fixture::flood::{write_flood_with_groups, FloodSpec, Mix, WEAK_ACCOUNTS};
    let t = crate::util::TestQueue::with(qtriage::fixture::QueueBuilder::new("").split(23));
    let spec = FloodSpec::new(600, 3, crate::plan_mix::NOW).with_mix(Mix::WeakAccounts);
    let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood written");
    let dir = tempfile::tempdir().expect("temp dir");
    let vp = dir.path().join("vpopmail");
    let (written, weak) =
        qtriage::fixture::flood::write_vpopmail(t.root(), 23, &groups, &vp).expect("written");
    let vp = vp.to_str().expect("utf-8 path");
    let out = qtriage(&[
        "--queue",
        t.root().to_str().expect("utf-8"),
        "accounts",
        "--vpopmail",
        vp,
        "--json",
    ]);
    let found = parse(&out);
    // Only the accounts at risk are listed: the guessed ones, postmaster and archive.
    assert_eq!(found.len(), WEAK_ACCOUNTS.len() + 2, "{found:#?}");
    assert!(
        written > found.len() + 10,
        "real users' accounts written: {written}"
    );
    let culprits: Vec<String> = (found.iter())
        .filter(|(_, a)| a.culprit)
        .map(|((domain, account), _)| format!("{account}@{domain}"))
        .collect();
    let mut guessed: Vec<String> = WEAK_ACCOUNTS.iter().map(|a| a.to_string()).collect();
    guessed.sort();
    assert_eq!(culprits, guessed);
    assert_eq!(weak, WEAK_ACCOUNTS.len());
    for ((_, account), a) in found.iter().filter(|(_, a)| !a.culprit) {
        let rule = match account.as_str() {
            "postmaster" => "role-account",
            "archive" => "password-empty",
            _ => panic!("{account} at risk: {:?}", a.rules),
        };
        assert_eq!(a.rules, [rule], "{account}");
    }
}
