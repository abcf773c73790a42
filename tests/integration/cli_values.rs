//! How `clusters` writes a value a person reads: the null sender as qmail writes it.

use crate::cli_clusters::{planted, stdout, BOUNCES};

/// A bounce's null sender is written `<>`, as qmail-qread and `list` write it, never as a
/// blank value; JSON keeps the exact (empty) value.
#[test]
fn the_null_sender_cluster_reads_as_qmail_writes_it() {
    let p = planted();
    let text = stdout(&p.t, &["clusters", "--by", "sender"]);
    let row = text
        .lines()
        .find(|l| l.ends_with(" <>"))
        .unwrap_or_else(|| panic!("no <> row:\n{text}"));
    let messages: usize = row
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert_eq!(messages, BOUNCES, "{row}");
    let json = stdout(&p.t, &["clusters", "--by", "sender", "--json"]);
    let exact = format!(r#""value":"","messages":{BOUNCES},"#);
    assert!(json.lines().any(|l| l.contains(&exact)), "{json}");
}

/// Two subjects kept as bytes that read alike lossily (`\xff\xfe` and `\xfe\xff`) are two
/// clusters, each shown `\xNN` as `list` shows it, and each cluster's query selects exactly its
/// own messages (the review: raw template bytes made each query select both, spam and mail).
#[test]
fn a_byte_subject_clusters_and_selects_exactly() {
    let t = crate::util::TestQueue::new(23);
    for (n, subject) in [(30, &b"\xff\xfe promo"[..]), (10, b"\xfe\xff promo")] {
        for i in 0..n {
            t.add(
                qtriage::fixture::MessageSpec::new()
                    .sender(format!("x{i}.{n}@example.org"))
                    .remote(format!("v{i}@example.net"))
                    .subject(subject),
            );
        }
    }
    let text = stdout(&t, &["clusters", "--by", "subject"]);
    assert!(
        text.contains("\\xff\\xfe promo") && text.contains("\\xfe\\xff promo"),
        "{text}"
    );
    let json = stdout(&t, &["clusters", "--by", "subject", "--json"]);
    let mut seen = 0;
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let (Some(q), Some(n)) = (v["query"].as_str(), v["messages"].as_u64()) else {
            continue;
        };
        let count = stdout(&t, &["list", q, "--count"]);
        assert_eq!(count.trim(), n.to_string(), "{q}");
        seen += 1;
    }
    assert_eq!(seen, 2, "{json}");
}

/// Subjects of one random word each make the template `*`: its cluster's query selects those
/// messages, not the whole queue (`*` is a wildcard inside quotes too; the verification run
/// saw `cluster:subject="*"` select 500 of 500).
#[test]
fn a_cluster_of_the_template_star_selects_only_itself() {
    let t = crate::util::TestQueue::new(23);
    for (i, subject) in ["Xk9f2LmQ7zP4wq", "a8F3kLq9ZmT2", "Q7wE4rT1yU8i"]
        .iter()
        .enumerate()
    {
        t.add(
            qtriage::fixture::MessageSpec::new()
                .sender(format!("r{i}@example.org"))
                .remote("v@example.net")
                .subject(*subject),
        );
    }
    for i in 0..20 {
        t.add(
            qtriage::fixture::MessageSpec::new()
                .sender(format!("m{i}@example.org"))
                .remote("v@example.net")
                .subject(format!("minutes of meeting {i}")),
        );
    }
    let json = stdout(&t, &["clusters", "--by", "subject", "--json"]);
    let star = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .find(|v| v["value"] == "*")
        .unwrap_or_else(|| panic!("a `*` template: {json}"));
    assert_eq!(star["messages"], 3, "{star}");
    let q = star["query"].as_str().expect("query");
    assert_eq!(stdout(&t, &["list", q, "--count"]).trim(), "3", "{q}");
}
