//! The parts of a culprit's mail left as likely real (docs/analysis.md, "The plan"): what it
//! wrote only to this server's own mailboxes (mix62's hacked `contact.php`, abused by header
//! injection, took with it the enquiries every site's form of that name sends to its site's
//! mailbox here: 62 real messages), and a hijacked account's mail that keeps its replies (mix62:
//! 31 of the owner's own webmail messages taken with 900 diverting replies to freemail), and a
//! guessed account's mail as its own domain (walk65: 22 of `support@`'s own, from home and a
//! phone, taken with the spam it relayed as other domains).

use std::process::Output;

use qtriage::fixture::MessageSpec;
use serde_json::Value;

use crate::util::{add_users, assert_exit, TestQueue};

const BORN: i64 = 1_795_428_000; // 2026-11-23 10:00:00 UTC
const NOW: &str = "1795460000";
/// `sales@`'s owner's home, which no other login uses.
const HOME: &str = "93.128.163.197";
const SITES: [&str; 6] = [
    "greenbakery.example",
    "hilltown-dental.example",
    "parkerjoinery.example",
    "rotary-hilltown.example",
    "smith-law.example",
    "example.com",
];

/// Uid 1003's `contact.php` abused: 120 messages From a parcel service, to 30 harvested
/// addresses each (half not yet preprocessed); six sites' forms, each `contact.php` under the
/// web server's uid 48 (mod_php), 2 enquiries each to the site's own mailbox (one
/// preprocessed, one in todo/); 40 users' own mail out.
fn queue() -> TestQueue {
    queue_with(|_| 48)
}

/// [`queue`], site `k`'s form run as `uid(k)`.
fn queue_with(uid: impl Fn(u32) -> u32) -> TestQueue {
    let t = TestQueue::new(23);
    let locals = SITES.join("\n") + "\n";
    t.control(&[("locals", &locals), ("rcpthosts", &locals)]);
    let mut at = BORN;
    let mut born = || {
        at += 61;
        at
    };
    for n in 0..120 {
        let mut s = MessageSpec::new()
            .born(born())
            .php_script(1003, "contact.php")
            .sender("greenbakery@mail.example.com")
            .from_header("\"Parcel Service\" <track@parcel-notice.example.net>")
            .subject(format!("Your parcel {n} is waiting"));
        for k in 0..30 {
            s = s.remote(format!("buyer{n}x{k}@mail{k}.example.net"));
        }
        if n % 2 == 0 {
            s = s.state(qtriage::fixture::FixtureState::Queued);
        }
        t.add(s);
    }
    for (k, site) in SITES.iter().enumerate() {
        for n in 0..2 {
            let s = MessageSpec::new()
                .born(born())
                .php_script(uid(k as u32), "contact.php")
                .sender(format!("web{k}@mail.example.com"))
                .subject(format!("Contact form: enquiry {n}"))
                .local(format!("info@{site}"));
            t.add(match n {
                0 => s,
                _ => s.state(qtriage::fixture::FixtureState::Queued),
            });
        }
    }
    add_users(&t, 40, born);
    t
}

/// `qtriage ARGS` on `t` at [`NOW`].
fn run(t: &TestQueue, args: &[&str]) -> Output {
    t.run_at(NOW, args)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn count(t: &TestQueue, query: &str) -> String {
    let out = run(t, &["list", "--count", query]);
    assert_exit(&out, 0);
    stdout(&out).trim().to_string()
}

/// Each site's form under its own uid (suexec, PHP-FPM): `contact.php` is six sites' name,
/// held (`rank/sites.rs`), and the abused site's uid is the culprit, its own 2 enquiries left.
#[test]
fn a_form_name_of_many_sites_is_taken_by_the_abused_sites_uid() {
    let t = queue_with(|k| 1001 + k);
    let out = run(&t, &["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_str(&stdout(&out)).expect("plan json");
    let culprits = plan["culprits"].as_array().expect("culprits");
    assert_eq!(culprits.len(), 1, "{plan}");
    assert_eq!(culprits[0]["by"], "uid", "{plan}");
    assert_eq!(culprits[0]["value"], "1003", "{plan}");
    assert_eq!(culprits[0]["local_left"]["messages"], 2, "{plan}");
    let query = plan["query"].as_str().expect("query");
    assert_eq!(count(&t, query), "120");
}

#[test]
fn the_plan_leaves_a_culprits_mail_to_this_servers_own_mailboxes() {
    let t = queue();
    let out = run(&t, &["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_str(&stdout(&out)).expect("plan json");
    let culprit = &plan["culprits"][0];
    assert_eq!(culprit["by"], "script", "{plan}");
    assert_eq!(culprit["value"], "contact.php", "{plan}");
    assert_eq!(culprit["messages"], 120, "{plan}");
    assert_eq!(
        culprit["query"],
        "(cluster:script=contact.php and remote-rcpts:>0)"
    );
    let left = &culprit["local_left"];
    assert_eq!(left["messages"], 12, "{plan}");
    assert_eq!(
        left["query"],
        "cluster:script=contact.php and remote-rcpts:0"
    );
    // What the plan counts is what its query selects, and the named query lists the forms'.
    let query = plan["query"].as_str().expect("query");
    assert_eq!(count(&t, query), "120", "{query}");
    assert_eq!(count(&t, left["query"].as_str().expect("a query")), "12");
    let text = stdout(&run(&t, &["plan"]));
    assert!(
        text.contains("not taken: 12 of its messages, each to this server's own mailboxes only"),
        "{text}"
    );
    // Within --where, what is left is listed within it too (review62: the query listed the
    // whole queue's).
    let w = [
        "plan",
        "--json",
        "--where",
        "not subject:\"Contact form: enquiry 0\"",
    ];
    let part: Value = serde_json::from_slice(&run(&t, &w).stdout).expect("plan json");
    let left = &part["culprits"][0]["local_left"];
    assert_eq!(left["messages"], 6, "{part}");
    assert_eq!(count(&t, left["query"].as_str().expect("a query")), "6");
    // The report counts the 120 as spam, not the forms' 12.
    let report = stdout(&run(&t, &["report"]));
    assert!(report.contains("120 of 172 messages"), "{report}");
    assert!(
        report.contains("12 of them each to this server's own mailboxes only"),
        "{report}"
    );
}

/// `margaret@example.com`'s webmail login hijacked: 120 messages through 127.0.0.1 to 8-12
/// harvested addresses, replies diverted to a freemail address; she writes 10 of her own from
/// the same webmail, to one or two partners, replies to herself; 40 others' mail.
fn hijacked() -> TestQueue {
    let t = TestQueue::new(23);
    let mut at = BORN;
    let mut born = || {
        at += 61;
        at
    };
    let webmail = |login: &str, at: i64| {
        MessageSpec::new()
            .born(at)
            .received_from("127.0.0.1")
            .helo("webmail.example.com")
            .auth(login)
            .sender(login)
            .from_header(format!("<{login}>"))
    };
    for n in 0..120 {
        let mut s = webmail("margaret@example.com", born())
            .header("Reply-To", "Accounts <accounts.payments@outlook.example>")
            .subject(format!("Outstanding invoice INV-{n}: payment due"));
        for k in 0..8 + n % 5 {
            s = s.remote(format!("buyer{n}x{k}@mail{k}.example.net"));
        }
        t.add(s);
    }
    for n in 0..10 {
        let mut s = webmail("margaret@example.com", born()).subject(format!("Re: offer {n}"));
        for k in 0..1 + n % 2 {
            s = s.remote(format!("partner{k}@firm{n}.example.org"));
        }
        t.add(s);
    }
    for u in 0..40 {
        let login = format!("user{u}@example.com");
        t.add(
            webmail(&login, born())
                .subject(format!("Re: lunch {u}"))
                .remote(format!("friend{u}@mail.example.org")),
        );
    }
    t
}

#[test]
fn the_plan_leaves_a_hijacked_accounts_mail_that_keeps_its_replies() {
    let t = hijacked();
    let out = run(&t, &["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_str(&stdout(&out)).expect("plan json");
    let culprit = &plan["culprits"][0];
    assert_eq!(culprit["value"], "margaret@example.com", "{plan}");
    assert_eq!(culprit["messages"], 120, "{plan}");
    let left = &culprit["undiverted_left"];
    assert_eq!(left["messages"], 10, "{plan}");
    assert_eq!(
        left["query"],
        "cluster:auth-user=margaret@example.com and reply-elsewhere:no"
    );
    let query = plan["query"].as_str().expect("query");
    assert_eq!(count(&t, query), "120", "{query}");
    assert_eq!(count(&t, left["query"].as_str().expect("a query")), "10");
    let report = stdout(&run(&t, &["report"]));
    assert!(report.contains("120 of 170 messages"), "{report}");
}

/// `sales@example.com` guessed: 200 messages from 200 botnet IPs, each as another domain, to 10
/// harvested addresses; its owner writes 20 as herself from home (an IP no other login uses,
/// so not her shared IPs' mail) to a customer each; 40 others' mail.
fn guessed() -> TestQueue {
    let t = TestQueue::new(23);
    t.control(&[("locals", "example.com\n"), ("rcpthosts", "example.com\n")]);
    let mut at = BORN;
    let mut born = || {
        at += 61;
        at
    };
    let login = |ip: &str, sender: &str, at: i64| {
        MessageSpec::new()
            .born(at)
            .received_from(ip)
            .auth("sales@example.com")
            .sender(sender)
            .from_header(format!("<{sender}>"))
    };
    for n in 0..200u32 {
        let ip = format!("{}.{}.{}.9", 31 + n % 150, 20 + n / 150, n % 200);
        let sender = format!("offers{n}@deals{}.example.net", n % 7);
        let mut s = login(&ip, &sender, born()).subject(format!("Cheap watches {n}: 80% off"));
        for k in 0..10 {
            s = s.remote(format!("buyer{n}x{k}@mail{k}.example.net"));
        }
        t.add(s);
    }
    for n in 0..20 {
        let s = login(HOME, "sales@example.com", born())
            .subject(format!("Re: your order {}", 4410 + n * 7))
            .remote(format!("purchasing@customer{n}.example.org"));
        t.add(s);
    }
    add_users(&t, 40, born);
    t
}

/// Her home mail as her own domain is left; the report counts the 200 as spam, says why the 20
/// are not, and names no IP of hers (its summary named her home first: the most messages of
/// any of the login's IPs).
#[test]
fn the_plan_and_report_leave_a_guessed_accounts_mail_as_its_own_domain() {
    let t = guessed();
    let out = run(&t, &["plan", "--json"]);
    assert_exit(&out, 0);
    let plan: Value = serde_json::from_str(&stdout(&out)).expect("plan json");
    let culprit = &plan["culprits"][0];
    assert_eq!(culprit["value"], "sales@example.com", "{plan}");
    assert_eq!(culprit["own_domain_left"]["messages"], 20, "{plan}");
    let query = plan["query"].as_str().expect("query");
    assert_eq!(count(&t, query), "200", "{query}");
    let left = culprit["own_domain_left"]["query"]
        .as_str()
        .expect("a query");
    assert_eq!(count(&t, left), "20", "{left}");
    let report = stdout(&run(&t, &["report"]));
    assert!(report.contains("200 of 260 messages"), "{report}");
    assert!(
        report.contains("20 of them each written as its own domain"),
        "{report}"
    );
    assert!(!report.contains(HOME), "{report}");
    assert!(
        report.contains(" besides 1 IP of the mail not counted as spam"),
        "{report}"
    );
}
