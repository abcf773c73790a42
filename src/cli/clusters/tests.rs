//! Unit tests of `crate::cli::clusters`.
use super::*;
use crate::analysis::analyse;
use crate::fixture::record::record;
use crate::queue::OriginKind;

fn analysis(key: ClusterKey, subject: &[u8], helo: &[u8]) -> Analysis {
    let strings = Arc::new(Interner::new());
    let mut rec = record(7);
    rec.set_queued(1_795_428_000);
    rec.size = 10;
    rec.sender = Some(strings.intern(b"evil\x1b]0;owned\x07@spam.example"));
    rec.origin.kind = OriginKind::Smtp;
    rec.origin.helo = Some(strings.intern(helo));
    rec.headers.subject = Some(strings.intern(subject));
    let ctx = AnalysisContext {
        now: 1_795_428_100,
        ..Default::default()
    };
    analyse(AnalysisInput {
        records: vec![rec],
        strings,
        ctx,
        key,
        top_limit: 10,
        want: Want::Both,
    })
}

fn table(a: &Analysis) -> String {
    let mut out = Vec::new();
    write_table(&mut out, a, &a.clusters).expect("write to Vec");
    String::from_utf8(out).expect("utf-8 table")
}

#[test]
fn escape_sequences_in_values_are_made_visible_wherever_output_goes() {
    let a = analysis(ClusterKey::Subject, b"hi \x1b[2J there", b"x");
    let t = table(&a);
    assert!(!t.contains('\x1b'), "{t:?}");
    assert!(t.contains("hi \\e[#J there"), "{t:?}");
    let a = analysis(ClusterKey::Helo, b"s", b"helo\x1b[31mred");
    // There is one text output, the same on a terminal and through a pipe: a pipe into `less
    // -R` or a file `cat`ed later reaches a terminal too.
    let t = table(&a);
    assert!(t.contains("helo\\e[31mred") && !t.contains('\x1b'), "{t:?}");
}

#[test]
fn sender_pattern_table_shows_the_query_and_sanitizes_it() {
    let a = analysis(ClusterKey::SenderPattern, b"s", b"h");
    let t = table(&a);
    let mut lines = t.lines();
    let head = lines.next().expect("header line");
    assert!(
        head.starts_with("MESSAGES  SHARE  RCPTS  BYTES  PER-MIN  SCORE  VERDICT  SENDER-PATTERN"),
        "{head}"
    );
    assert!(head.ends_with("QUERY"), "{head}");
    let row = lines.next().expect("one row");
    assert!(
        row.contains("cluster:sender-pattern=\"evil\\u{1b}]0;owned\\u{7}@spam.example\""),
        "{row}"
    );
    assert!(!t.contains('\x07') && !t.contains('\x1b'));
}

#[test]
fn queries_quote_what_needs_quoting() {
    let a = analysis(ClusterKey::Subject, b"Invoice 42 \"now\"", b"h");
    assert_eq!(
        cluster_query(&a.clusters[0], &a.strings),
        "cluster:subject=\"Invoice # \\\"now\\\"\""
    );
    let a = analysis(ClusterKey::AuthUser, b"s", b"h");
    assert_eq!(
        cluster_query(&a.clusters[0], &a.strings),
        "cluster:auth-user=(none)"
    );
    let a = analysis(ClusterKey::Origin, b"s", b"h");
    assert_eq!(
        cluster_query(&a.clusters[0], &a.strings),
        "cluster:origin=smtp"
    );
}

#[test]
fn json_keeps_exact_bytes() {
    let a = analysis(ClusterKey::Helo, b"s", b"helo\x1b[31m\xff");
    let mut out = Vec::new();
    write_line(&mut out, &ClusterJson::new(&a.clusters[0], &a.strings)).expect("write");
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(b"helo\x1b[31m\xff");
    assert_eq!(v["value"]["bytes"], serde_json::Value::String(b64));
    assert_eq!(v["first_queued"], "2026-11-23T10:00:00Z");
}
