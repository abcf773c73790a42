//! A subject sent through many stolen logins (credential stuffing) names the logins in the
//! report's fixes: no other culprit line names them, and their passwords are what to change.

use std::collections::{BTreeSet, HashMap};

use qtriage::accounts::fixture::{FixtureAccount, Store, VpopmailTree};
use qtriage::fixture::flood::{write_flood_with_groups, FloodGroup, FloodSpec, Mix};
use qtriage::fixture::QueueBuilder;
use qtriage::queue::MessageId;
use serde_json::Value;

use crate::util::{assert_exit, TestQueue};

/// The flood's clock (its births lie before it).
const NOW: i64 = 1_796_170_849;

/// The campus mix at 2,000 messages, and each message's group.
fn campus() -> (TestQueue, Vec<(MessageId, FloodGroup)>) {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    let spec = FloodSpec::new(2_000, 1, NOW).with_mix(Mix::Campus);
    let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood written");
    (t, groups)
}

/// qtriage's stdout on `t` at the flood's clock; it must exit 0.
fn run(t: &TestQueue, args: &[&str]) -> String {
    let out = (t.command().args(args).env("QTRIAGE_NOW", NOW.to_string()))
        .output()
        .expect("run qtriage");
    assert_exit(&out, 0);
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn a_stuffing_culprits_fix_names_every_login_that_sent_it() {
    let (t, groups) = campus();
    let stolen: HashMap<MessageId, FloodGroup> = groups
        .into_iter()
        .filter(|(_, g)| *g == FloodGroup::Stuffing)
        .collect();
    let run = |args: &[&str]| run(&t, args);
    // The logins of the stolen accounts' messages, as `list` names them.
    let mut logins = BTreeSet::new();
    for line in run(&["list", "auth:*", "--json"]).lines() {
        let j: Value = serde_json::from_str(line).expect("one object a line");
        let id = MessageId(j["id"].as_u64().expect("id"));
        if stolen.contains_key(&id) {
            let user = j["origin"]["auth_user"].as_str().expect("auth user");
            logins.insert(user.to_string());
        }
    }
    assert!(logins.len() >= 20, "{logins:?}");

    let r: Value = serde_json::from_str(&run(&["report", "--format", "json"])).expect("json");
    let fixes = r["culprit_fixes"].as_array().expect("culprit_fixes");
    let fix = (fixes.iter())
        .find(|f| f["kind"] == "subject")
        .unwrap_or_else(|| panic!("no subject fix: {fixes:#?}"));
    assert!(
        fix["advice"]
            .as_str()
            .is_some_and(|a| a.contains("credential stuffing")),
        "{fix:#}"
    );
    let named: BTreeSet<String> = (fix["accounts"].as_array().expect("accounts").iter())
        .map(|a| a.as_str().expect("text").to_string())
        .collect();
    assert_eq!(named, logins);
    assert!(
        fixes
            .iter()
            .filter(|f| f["kind"] != "subject")
            .all(|f| f["accounts"] == Value::Array(vec![])),
        "{fixes:#?}"
    );

    let md = run(&["report"]);
    let first = logins.iter().next().expect("a login");
    let line = format!("  - {} accounts: `{first}`, ", logins.len());
    assert!(md.contains(&line), "{md}");

    // The accounts check marks a stolen login as top's culprit, as it marks a culprit login.
    let dir = tempfile::tempdir().expect("temp dir");
    let tree = VpopmailTree::create(dir.path().join("vp")).expect("tree");
    let (local, domain) = first.split_once('@').expect("user@domain");
    let account = FixtureAccount::clear(local, "Zx9$plmQ-wert");
    (tree.add_domain(domain.as_bytes(), Store::Text, &[account])).expect("domain");
    let root = tree.root().to_str().expect("utf-8 temp path");
    let out = (t.command())
        .args(["accounts", "--json", "--vpopmail", root])
        .env("QTRIAGE_NOW", NOW.to_string())
        .output()
        .expect("run qtriage");
    assert_exit(&out, 1);
    let j: Value = serde_json::from_slice(&out.stdout).expect("one account");
    assert_eq!(j["rules"], serde_json::json!(["culprit-top"]), "{j:#}");
}

/// The clusters the ranking holds as suspects are counted by kind in the report's notes, never
/// named: on a campus they are real users (an office behind one NAT, a person on three lines),
/// and the report goes to a blacklist (review52: two customers' addresses in its notes).
#[test]
fn the_report_counts_suspects_without_naming_them() {
    let (t, _) = campus();
    let run = |args: &[&str]| run(&t, args);
    let suspects: Vec<(String, String)> = (run(&["top", "--json"]).lines())
        .map(|l| serde_json::from_str::<Value>(l).expect("one object a line"))
        .filter(|j| j["verdict"] == "suspect")
        .map(|j| {
            (
                j["by"].as_str().unwrap_or("").to_string(),
                j["value"].to_string(),
            )
        })
        .collect();
    let users: Vec<&str> = (suspects.iter())
        .filter(|(by, _)| by == "auth-user")
        .map(|(_, v)| v.trim_matches('"'))
        .collect();
    assert!(
        !users.is_empty(),
        "the mix has suspect logins: {suspects:?}"
    );
    for md in [run(&["report"]), run(&["report", "--format", "json"])] {
        let note = (md.lines())
            .find(|l| l.contains("top also holds clusters as suspects"))
            .unwrap_or_else(|| panic!("no suspects note: {md}"));
        assert!(
            note.contains(&format!("{} auth-user", users.len())),
            "{note}"
        );
        for user in &users {
            assert!(!md.contains(user), "{user} named: {note}");
        }
    }
}
