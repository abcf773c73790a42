//! `qtriage list`: every query field selects exactly the expected messages; text, JSON, count,
//! limit, sort and exit codes.

use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::{MessageId, Subdir};

use crate::util::{assert_exit, assert_text, TestQueue};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// The seed incidents and a few ordinary messages; `ids[i]` is message `i`.
struct Seed {
    t: TestQueue,
    ids: Vec<MessageId>,
    /// The clock reading the birth times were set from.
    now: i64,
}

fn seed() -> Seed {
    let t = TestQueue::new(23);
    let now = now();
    let specs = vec![
        // 0: the AUTH-user flood from the seed incident.
        MessageSpec::new()
            .born(now - 3 * 3600)
            .received_from("86.107.221.138")
            .helo("User")
            .auth("test")
            .sender("kbradford@philadefender.org")
            .remote("peter@Customer.Example.org")
            .remote("mary@customer.example.org")
            .remote_done("olga@partner-corp.example")
            .from_header("\"PayPal\"<support@PayPal.Inc.com>")
            .subject("Dispute Transaction")
            .header("X-Mailer", "Microsoft Outlook Express 6.00.2600.0000")
            .body("Please verify your account.\n"),
        // 1: same user and /24, another random sender, encoded subject.
        MessageSpec::new()
            .born(now - 2000)
            .received_from("86.107.221.77")
            .helo("User")
            .auth("test")
            .sender("jw4qpt@philadefender.org")
            .remote("anna@customer.example.org")
            .subject("=?UTF-8?Q?Re:_dispute_?=")
            .body("x\n"),
        // 2: the PHP mailer.
        MessageSpec::new()
            .born(now - 600)
            .php_script(48, "/var/www/html/wp/mailer.php")
            .sender("apache@mail.example.com")
            .remote("victim@remote.example")
            .subject("Cheap pills")
            .body("cheap pills here\n"),
        // 3: ordinary inbound mail, bouncing.
        MessageSpec::new()
            .born(now - 7300)
            .received_from("209.85.220.41")
            .helo("mx3.remote.example")
            .sender("alice@example.com")
            .local("bob@example.com")
            .local_done("nosuchuser@example.com")
            .subject("Lunch")
            .bouncing("<nosuchuser@example.com>:\nSorry. (#5.1.1)\n\n"),
        // 4: a bounce waiting for qmail-send.
        MessageSpec::new()
            .born(now - 60)
            .bounce()
            .state(FixtureState::Queued)
            .remote("kbradford@philadefender.org"),
        // 5: IPv6 client, many recipients.
        (0..12).fold(
            MessageSpec::new()
                .born(now - 5)
                .received_from("2001:db8::7")
                .sender("news@V6.example")
                .subject("Newsletter"),
            |s, i| s.remote(format!("r{i}@list.example")),
        ),
        // 6: alias with a truncated envelope, large body.
        MessageSpec::new()
            .born(now - 100_000)
            .alias()
            .sender("fwd@example.com")
            .remote("z@remote.example")
            .truncate_envelope(Subdir::Remote)
            .body("y".repeat(20_000)),
        // 7: root via sendmail, with a header only it has.
        MessageSpec::new()
            .born(now - 30)
            .local_uid(0)
            .sender("root@mail.example.com")
            .local("postmaster@example.com")
            .header("X-Spam", "yes")
            .subject("cron"),
    ];
    let ids = specs.into_iter().map(|s| t.add(s)).collect();
    Seed { t, ids, now }
}

/// Ids `list --json QUERY` prints, sorted.
fn listed(t: &TestQueue, query: &str) -> Vec<u64> {
    let out = t.run(&["list", "--json", query]);
    let code = out.status.code();
    assert!(
        code == Some(0) || code == Some(1),
        "{query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ids: Vec<u64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["id"]
                .as_u64()
                .expect("id")
        })
        .collect();
    ids.sort();
    assert_eq!(
        code == Some(1),
        ids.is_empty(),
        "{query}: exit 1 exactly when nothing matches"
    );
    ids
}

#[test]
fn each_field_selects_exactly_the_expected_messages() {
    let s = seed();
    let cases: Vec<(String, Vec<usize>)> = vec![
        (format!("id:{}", s.ids[2]), vec![2]),
        // As qmail-qread prints it (newuser59).
        (format!("id:#{}", s.ids[2]), vec![2]),
        ("ip:86.107.221.0/24".into(), vec![0, 1]),
        ("ip:86.107.221.138".into(), vec![0]),
        ("ip:2001:db8::/32".into(), vec![5]),
        ("ip:209.85.*".into(), vec![3]),
        ("auth:test".into(), vec![0, 1]),
        ("auth:TEST".into(), vec![0, 1]),
        ("uid:48".into(), vec![2]),
        ("uid:0".into(), vec![7]),
        ("script:*mailer.php".into(), vec![2]),
        ("origin:local script:*mailer.php".into(), vec![2]),
        ("helo:user".into(), vec![0, 1]),
        ("origin:smtp-auth".into(), vec![0, 1]),
        ("origin:smtp".into(), vec![3, 5]),
        ("origin:local".into(), vec![2, 7]),
        ("origin:bounce".into(), vec![4]),
        ("origin:alias".into(), vec![6]),
        ("sender:*@philadefender.org".into(), vec![0, 1]),
        ("sender:<>".into(), vec![4]),
        ("from:support@paypal.inc.com".into(), vec![0]),
        ("sender-domain:PHILADEFENDER.ORG".into(), vec![0, 1]),
        ("sender-domain:v6.example".into(), vec![5]),
        ("rcpt:peter@customer.example.org".into(), vec![0]),
        ("rcpt:kbradford@*".into(), vec![4]),
        // Not the first recipient: decided after reading the envelope files (the record keeps
        // only the first), done records too.
        ("rcpt:mary@customer.example.org".into(), vec![0]),
        ("rcpt:olga@*".into(), vec![0]),
        ("auth:test rcpt:anna@*".into(), vec![1]),
        ("auth:test !rcpt:mary@*".into(), vec![1]),
        ("rcpt-domain:partner-corp.example".into(), vec![0]),
        ("rcpt-domain:customer.example.org".into(), vec![0, 1]),
        ("subject:/dispute/i".into(), vec![0, 1]),
        ("subject:\"Dispute Transaction\"".into(), vec![0]),
        ("subject:\"Re: dispute\"".into(), vec![1]),
        ("header:x-mailer:*Outlook*".into(), vec![0]),
        ("header:X-Spam".into(), vec![7]),
        ("header:x-php-originating-script:48:*".into(), vec![2]),
        ("body:verify".into(), vec![0]),
        ("text:/paypal/i".into(), vec![0]),
        ("state:queued".into(), vec![4]),
        ("state:in-delivery".into(), vec![0, 1, 2, 3, 5, 6, 7]),
        ("bouncing".into(), vec![3]),
        ("bouncing:no rcpt-domain:example.com".into(), vec![7]),
        ("problem:any".into(), vec![6]),
        ("problem:truncated-envelope".into(), vec![6]),
        ("age:>2h".into(), vec![0, 3, 6]),
        ("age:<30m".into(), vec![2, 4, 5, 7]),
        ("size:>10k".into(), vec![6]),
        ("rcpts:>10".into(), vec![5]),
        ("rcpts:3".into(), vec![0]),
        ("cluster:auth-user=test".into(), vec![0, 1]),
        (
            "cluster:sender-pattern=kbradford@philadefender.org".into(),
            vec![0],
        ),
        ("cluster:origin-net=86.107.221.0/24".into(), vec![0, 1]),
        ("cluster:auth-user=(none) origin:smtp".into(), vec![3, 5]),
        // A glob or regex matches values, never their absence: `(none)` only as itself (the
        // whole queue once matched `cluster:auth-user=*`).
        ("cluster:auth-user=*".into(), vec![0, 1]),
        ("cluster:auth-user=/^/".into(), vec![0, 1]),
        ("not cluster:auth-user=* origin:smtp".into(), vec![3, 5]),
        ("auth:test or uid:48".into(), vec![0, 1, 2]),
        (
            "not origin:smtp-auth not origin:smtp".into(),
            vec![2, 4, 6, 7],
        ),
        ("!(auth:test or origin:local) age:<1h".into(), vec![4, 5]),
        (
            "auth:test and body:verify or header:x-spam".into(),
            vec![0, 7],
        ),
        ("auth:nobody".into(), vec![]),
    ];
    for (query, want) in cases {
        let mut want: Vec<u64> = want.iter().map(|&i| s.ids[i].0).collect();
        want.sort();
        assert_eq!(listed(&s.t, &query), want, "{query}");
    }
}

#[test]
fn empty_query_lists_everything_and_count_counts() {
    let s = seed();
    assert_eq!(listed(&s.t, "").len(), s.ids.len());
    assert_text(&s.t.stdout(&["list", "--count"]), "8\n");
    assert_text(&s.t.stdout(&["list", "--count", "auth:test"]), "2\n");
    // Streamed (no analysis needed), with a term that reads envelopes and one that reads files.
    assert_text(&s.t.stdout(&["list", "--count", "rcpt:mary@*"]), "1\n");
    assert_text(&s.t.stdout(&["list", "--count", "body:verify"]), "1\n");
    assert_text(&s.t.stdout(&["list", "--count", "--limit", "1"]), "1\n");
    // With a cluster: term the whole queue is scanned first: the same counts.
    assert_text(
        &s.t.stdout(&["list", "--count", "cluster:auth-user=test"]),
        "2\n",
    );
    let out = s.t.run(&["list", "--count", "auth:nobody"]);
    assert_exit(&out, 1);
    assert_text(&String::from_utf8_lossy(&out.stdout), "0\n");
}

#[test]
fn words_are_joined_into_one_query() {
    let s = seed();
    assert_text(
        &s.t.stdout(&["list", "--count", "auth:test", "or", "uid:48"]),
        "3\n",
    );
}

#[test]
fn text_line_has_time_id_size_origin_sender_recipients_subject() {
    let s = seed();
    let id = s.ids[0];
    let size = std::fs::metadata(s.t.q.path(Subdir::Mess, id))
        .expect("mess")
        .len();
    let out = s.t.stdout(&["list", &format!("id:{id}")]);
    // The birth time is the info mtime the fixture set (to the second), from the seed's clock
    // reading: a second reading could fall in the next hour.
    let queued = qtriage::queue::date::rfc3339(s.now - 3 * 3600);
    assert!(out.starts_with(&format!("{queued}  #{id}  ")), "{out}");
    let rest = out.split_once("  ").expect("columns").1;
    assert_text(
        rest,
        &format!(
            "#{id}  {size}  smtp-auth:test@86.107.221.138  <kbradford@philadefender.org>  peter@Customer.Example.org +2  Dispute Transaction\n"
        ),
    );
    let local = s.t.stdout(&["list", &format!("id:{}", s.ids[2])]);
    assert!(local.contains("  local:48:/var/www/html/wp/mailer.php  <apache@mail.example.com>  victim@remote.example  Cheap pills\n"), "{local}");
    let bounce = s.t.stdout(&["list", &format!("id:{}", s.ids[4])]);
    assert!(
        bounce.contains("  bounce  <>  kbradford@philadefender.org  -\n"),
        "{bounce}"
    );
}

#[test]
fn limit_and_sort() {
    let s = seed();
    let ids = |args: &[&str]| -> Vec<u64> {
        s.t.stdout(args)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("json")["id"]
                    .as_u64()
                    .expect("id")
            })
            .collect()
    };
    assert_eq!(
        ids(&["list", "--json", "--sort", "age", "--limit", "2"]),
        vec![s.ids[6].0, s.ids[0].0]
    );
    let by_size = ids(&["list", "--json", "--sort", "size", "--limit", "1"]);
    assert_eq!(by_size, vec![s.ids[6].0]);
    let mut sorted = s.ids.iter().map(|i| i.0).collect::<Vec<_>>();
    sorted.sort();
    assert_eq!(ids(&["list", "--json", "--sort", "id"]), sorted);
    // `--limit 0` prints nothing, yet messages matched: exit 0, streamed or not (review51).
    for args in [
        &["list", "--limit", "0"][..],
        &["list", "--count", "--limit", "0"],
        &[
            "list",
            "--count",
            "--limit",
            "0",
            "cluster:origin=smtp-auth",
        ],
    ] {
        let out = s.t.run(args);
        crate::util::assert_exit(&out, 0);
    }
    crate::util::assert_exit(&s.t.run(&["list", "--limit", "0", "id:1"]), 1);
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ListJson {
    id: u64,
    queued: String,
    size: u64,
    sender: serde_json::Value,
    recipients: Vec<serde_json::Value>,
    state: String,
    bouncing: bool,
    problems: Vec<serde_json::Value>,
    origin: OriginJson,
    subject: serde_json::Value,
    from: serde_json::Value,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct OriginJson {
    kind: String,
    ip: serde_json::Value,
    helo: serde_json::Value,
    auth_user: serde_json::Value,
    auth_source: Option<String>,
    protocol: serde_json::Value,
    uid: Option<u32>,
    user: Option<String>,
    script: serde_json::Value,
}

#[test]
fn json_carries_read_fields_plus_origin_subject_from() {
    use serde_json::json;
    let s = seed();
    let parse = |q: String| -> ListJson {
        serde_json::from_str(s.t.stdout(&["list", "--json", &q]).trim()).expect("one object")
    };
    let m = parse(format!("id:{}", s.ids[0]));
    assert_eq!(
        (m.id, m.state.as_str(), m.bouncing),
        (s.ids[0].0, "in-delivery", false)
    );
    assert!(m.queued.ends_with('Z') && m.size > 0 && m.problems.is_empty());
    assert_eq!(m.sender, json!("kbradford@philadefender.org"));
    assert_eq!(m.recipients.len(), 3);
    assert_eq!(
        m.recipients[2],
        json!({"address": "olga@partner-corp.example", "channel": "remote", "done": true})
    );
    assert_eq!(m.subject, json!("Dispute Transaction"));
    assert_eq!(m.from, json!("support@PayPal.Inc.com"));
    let o = &m.origin;
    assert_eq!(
        (o.kind.as_str(), &o.ip, &o.helo, &o.auth_user),
        (
            "smtp-auth",
            &json!("86.107.221.138"),
            &json!("User"),
            &json!("test")
        )
    );
    assert_eq!(
        (&o.protocol, o.uid, &o.user, &o.script),
        (&json!("ESMTPA"), None, &None, &json!(null))
    );
    assert_eq!(o.auth_source.as_deref(), Some("header"));

    let php = parse(format!("id:{}", s.ids[2]));
    assert_eq!(
        (php.origin.kind.as_str(), php.origin.uid),
        ("local", Some(48))
    );
    assert_eq!(php.origin.script, json!("/var/www/html/wp/mailer.php"));
    assert_eq!(php.origin.auth_source, None, "no AUTH user, no source");
    assert_eq!(php.origin.ip, json!(null));

    // A queue that is not this host's is not named through this host's /etc/passwd (issue 17:
    // a copied queue's uid 1005 showed as "qmailq"); `--passwd` gives the queue host's names.
    let root = parse(format!("id:{}", s.ids[7]));
    assert_eq!(root.origin.user, None, "not this host's queue: no name");
    let passwd = s.t.root().parent().expect("parent").join("passwd");
    std::fs::write(&passwd, "toor:x:0:0::/root:/bin/sh\n").expect("passwd");
    let named: ListJson = serde_json::from_str(
        s.t.stdout(&[
            "list",
            "--json",
            "--passwd",
            &passwd.to_string_lossy(),
            &format!("id:{}", s.ids[7]),
        ])
        .trim(),
    )
    .expect("one object");
    assert_eq!(
        named.origin.user.as_deref(),
        Some("toor"),
        "uid 0 from --passwd"
    );
    let bounce = parse(format!("id:{}", s.ids[4]));
    assert_eq!(
        (bounce.sender, bounce.subject, bounce.from),
        (json!(""), json!(null), json!(null))
    );
}

#[test]
fn query_errors_print_a_caret_and_exit_2() {
    let s = seed();
    let out = s.t.run(&["list", "auth:test sendr:x"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("qtriage: invalid query: unknown field \"sendr\": expected one of id, ip,"),
        "{err}"
    );
    assert!(
        err.ends_with("\n  auth:test sendr:x\n            ^^^^^\n"),
        "{err}"
    );
}

#[test]
fn a_bad_queue_is_an_error_not_a_no_match() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .args(["--queue", "/nonexistent/queue", "list", "auth:test"])
        .output()
        .expect("run");
    assert_exit(&out, 2);
}

/// A message whose file cannot be read (a link, here) is selected by no content term and by
/// no `not` of one: a yank by `... and not body:x` must not take what it could not read.
#[test]
fn an_unreadable_message_matches_no_content_term_nor_its_negation() {
    let t = TestQueue::new(23);
    let spec = |body: &str| {
        MessageSpec::new()
            .sender("x@spam.example")
            .remote("v@example.net")
            .body(body)
    };
    let invoice = t.add(spec("your invoice\n"));
    let hello = t.add(spec("hello\n"));
    let linked = t.add(spec("your invoice\n"));
    t.q.symlink(Subdir::Mess, linked, "/etc/passwd")
        .expect("link");
    let selected = |q: &str| {
        let out = t.stdout(&["list", "--json", q]);
        let mut ids: Vec<u64> = out
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["id"].as_u64())
            .map(|id| id.expect("id"))
            .collect();
        ids.sort_unstable();
        ids
    };
    let sorted = |mut v: Vec<MessageId>| {
        v.sort_unstable();
        v.into_iter().map(|i| i.0).collect::<Vec<_>>()
    };
    let sender = "sender:x@spam.example";
    assert_eq!(
        selected(&format!("{sender} and body:invoice")),
        sorted(vec![invoice])
    );
    assert_eq!(
        selected(&format!("{sender} and not body:invoice")),
        sorted(vec![hello])
    );
    assert_eq!(selected(sender), sorted(vec![invoice, hello, linked]));
    let by_problem = format!("{sender} and (not body:invoice or problem:symlink)");
    assert_eq!(selected(&by_problem), sorted(vec![hello, linked]));
}
