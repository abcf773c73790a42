//! A backdoor's mail from code run by `eval()` (PHP names it `FILE(LINE) : eval()'d code`) is
//! a culprit of its own, while its site's newsletter under the same uid is not taken (mix62:
//! 820 phishing messages held with the site's 6,000-message newsletter, nothing taken).

use std::process::Output;

use qtriage::fixture::MessageSpec;
use serde_json::Value;

use crate::util::{add_users, assert_exit, TestQueue};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
const NOW: &str = "1795460000";
const EVAL: &str = "class-wp-page-cache.php(14) : eval()'d code";
const BANKS: [&str; 4] = [
    "secure-paypa1.example",
    "chase-verify.example",
    "wellsfargo-alert.example",
    "amazon-billing.example",
];

/// uid 1003's site: its newsletter (300, as the site, one subscriber each) and a backdoor's
/// phishing (60, From four banks' look-alikes); two other sites' forms and shops; 40 users.
fn queue() -> TestQueue {
    let t = TestQueue::new(23);
    let locals = "example.com\ngreenbakery.example\nparker.example\nsmith.example\n";
    t.control(&[("locals", locals), ("rcpthosts", locals)]);
    let mut at = BORN;
    let mut born = || {
        at += 37;
        at
    };
    let script = |uid: u32, name: &str, at: i64| {
        MessageSpec::new()
            .born(at)
            .php_script(uid, name)
            .sender(format!("site{uid}@mail.example.com"))
    };
    for n in 0..300 {
        t.add(
            script(1003, "newsletter.php", born())
                .from_header("\"Green Bakery\" <news@greenbakery.example>")
                .subject("Our December offers")
                .remote(format!("subscriber{n}@mail{}.example.net", n % 40)),
        );
    }
    for n in 0..60 {
        let bank = BANKS[n % BANKS.len()];
        t.add(
            script(1003, EVAL, born())
                .from_header(format!("\"Security\" <alert@{bank}>"))
                .subject(format!("Account notice {n}"))
                .remote(format!("victim{n}@mail{}.example.org", n % 13)),
        );
    }
    for (uid, name, site) in [
        (1001, "contact.php", "parker.example"),
        (1002, "order.php", "smith.example"),
    ] {
        for n in 0..12 {
            t.add(
                script(uid, name, born())
                    .from_header(format!("<info@{site}>"))
                    .subject(format!("Your order {n}"))
                    .remote(format!("customer{n}@mail.example.org")),
            );
        }
    }
    add_users(&t, 40, born);
    t
}

fn run(t: &TestQueue, args: &[&str]) -> Output {
    t.run_at(NOW, args)
}

#[test]
fn a_backdoors_evald_code_is_taken_and_its_sites_newsletter_is_not() {
    let t = queue();
    let out = run(&t, &["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_slice(&out.stdout).expect("plan json");
    assert_eq!(plan["culprits"][0]["by"], "script", "{plan}");
    assert_eq!(plan["culprits"][0]["value"], EVAL, "{plan}");
    assert_eq!(plan["messages"], 60, "{plan}");
    let query = plan["query"].as_str().expect("query");
    let count = run(&t, &["list", "--count", query]);
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "60");
    let top = String::from_utf8_lossy(&run(&t, &["top"]).stdout).into_owned();
    assert!(
        top.contains("PHP code a backdoor runs (eval()'d code, or a script in an upload"),
        "{top}"
    );
}
