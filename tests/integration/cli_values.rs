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
