//! A hacked site's phishing handed to qmail-smtpd on 127.0.0.1 without a login, in every shape
//! the generator makes (`php-smtp` and its variants, `Mix::VARIANTS`), beside the real mail a
//! contact form, a shop, a webmail and Mailman hand over there: `plan` names it as held, not
//! taken, by a cluster whose query selects exactly the phishing, and takes no real message.

use std::collections::{HashMap, HashSet};

use qtriage::analysis::rank::{HELD_INSIDE, HELD_TEMPLATE};
use qtriage::fixture::flood::{write_flood_with_groups, FloodGroup, FloodSpec, Mix};
use qtriage::queue::MessageId;

use crate::util::{assert_exit, TestQueue};

const NOW: i64 = 1_796_590_417;

/// `qtriage ARGS --json` at NOW: its JSON lines.
fn json_lines(t: &TestQueue, args: &[&str]) -> Vec<serde_json::Value> {
    let out = (t.command().env("QTRIAGE_NOW", NOW.to_string()))
        .args(args)
        .output()
        .expect("run");
    assert_exit(&out, 0);
    (String::from_utf8_lossy(&out.stdout).lines())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn ids(lines: &[serde_json::Value]) -> HashSet<u64> {
    lines.iter().filter_map(|m| m["id"].as_u64()).collect()
}

#[test]
fn the_sites_phishing_in_every_shape_is_held_by_a_query_that_is_exactly_it() {
    for mix in std::iter::once(Mix::PhpSmtp).chain(Mix::VARIANTS) {
        let t = TestQueue::new(23);
        let spec = FloodSpec::new(2_000, 5, NOW).with_mix(mix);
        let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood");
        let group: HashMap<MessageId, FloodGroup> = groups.into_iter().collect();
        let of = |g: fn(FloodGroup) -> bool| -> HashSet<u64> {
            (group.iter())
                .filter(|(_, &k)| g(k))
                .map(|(id, _)| id.0)
                .collect()
        };
        let name = mix.name();
        let phishing = of(|g| g.name().starts_with("php-smtp"));
        let real = of(FloodGroup::is_real);
        assert!(phishing.len() >= 300 && real.len() >= 1_000, "{name}");

        let plan = &json_lines(&t, &["plan", "--json"])[0];
        let top = json_lines(&t, &["top", "--json", "--limit", "100"]);
        let held = (top.iter()).find(|c| {
            (c["reasons"].as_array().into_iter().flatten())
                .filter_map(|r| r.as_str())
                .any(|r| r.starts_with(HELD_INSIDE) || r.starts_with(HELD_TEMPLATE))
        });
        let held = held.unwrap_or_else(|| panic!("{name}: nothing held: {top:#?}"));
        assert_eq!(held["verdict"], "suspect", "{name}: {held:#}");
        let named = (plan["held_loud"].as_array().into_iter().flatten())
            .any(|h| h["by"] == held["by"] && h["value"] == held["value"]);
        assert!(named, "{name}: {:#}", plan["held_loud"]);
        let query = held["query"].as_str().expect("its query");
        assert_eq!(
            ids(&json_lines(&t, &["list", "--json", query])),
            phishing,
            "{name}"
        );

        let taken = ids(&json_lines(
            &t,
            &["list", "--json", plan["query"].as_str().expect("q")],
        ));
        assert!(taken.is_disjoint(&real), "{name}: real mail taken");
        assert!(taken.is_disjoint(&phishing), "{name}: held, yet taken");
    }
}
