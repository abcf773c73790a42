//! Parser tests: every field, operator, precedence rule, quoting form and error message; the
//! print-then-parse property; evaluation on a fixture queue.

use proptest::prelude::*;

use super::parser::Expr;
use super::*;

/// The tree as an s-expression, terms in canonical text: shows grouping the display hides.
fn shape(q: &Query) -> String {
    fn go(e: &Expr) -> String {
        match e {
            Expr::Term(t) => {
                let mut s = String::new();
                t.write(&mut s);
                s
            }
            Expr::Not(e) => format!("(not {})", go(e)),
            Expr::And(items) => format!(
                "(and {})",
                items.iter().map(go).collect::<Vec<_>>().join(" ")
            ),
            Expr::Or(items) => format!(
                "(or {})",
                items.iter().map(go).collect::<Vec<_>>().join(" ")
            ),
        }
    }
    q.expr.as_ref().map_or(String::new(), go)
}

#[track_caller]
fn parse(text: &str) -> Query {
    Query::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}\n{}", render_error(text, &e)))
}

#[track_caller]
fn canon(text: &str) -> String {
    parse(text).to_string()
}

#[track_caller]
fn error(text: &str) -> QueryError {
    match Query::parse(text) {
        Ok(q) => panic!("{text:?} parsed as {q}"),
        Err(e) => e,
    }
}

#[test]
fn empty_query_is_empty() {
    for t in ["", "   ", "\t\n"] {
        let q = parse(t);
        assert!(q.is_empty());
        assert_eq!(q.to_string(), "");
    }
    assert!(!parse("auth:test").is_empty());
}

#[test]
fn every_field_parses_and_prints_canonically() {
    let cases = [
        ("id:10016337", "id:10016337"),
        ("ip:86.107.221.138", "ip:86.107.221.138"),
        ("ip:86.107.221.138/24", "ip:86.107.221.0/24"),
        ("ip:2001:db8::1/64", "ip:2001:db8::/64"),
        ("ip:86.107.*", "ip:86.107.*"),
        ("auth:test", "auth:test"),
        ("uid:48", "uid:48"),
        ("script:*mailer.php", "script:*mailer.php"),
        ("helo:User", "helo:User"),
        ("origin:smtp-auth", "origin:smtp-auth"),
        ("ORIGIN:Local", "origin:local"),
        ("sender:*@philadefender.org", "sender:*@philadefender.org"),
        ("sender:<>", "sender:\"\""),
        ("from:support@PayPal.Inc.com", "from:support@PayPal.Inc.com"),
        (
            "sender-domain:philadefender.org",
            "sender-domain:philadefender.org",
        ),
        (
            "rcpt:peter@customer.example.org",
            "rcpt:peter@customer.example.org",
        ),
        (
            "rcpt-domain:customer.example.org",
            "rcpt-domain:customer.example.org",
        ),
        ("subject:/dispute/i", "subject:/dispute/i"),
        ("header:X-Mailer:*Outlook*", "header:x-mailer:*Outlook*"),
        (
            "header:X-PHP-Originating-Script",
            "header:x-php-originating-script",
        ),
        ("body:viagra", "body:viagra"),
        ("text:/paypal/i", "text:/paypal/i"),
        ("state:in-delivery", "state:in-delivery"),
        ("bouncing", "bouncing:yes"),
        ("bouncing:no", "bouncing:no"),
        ("reply-elsewhere", "reply-elsewhere:yes"),
        ("Reply-Elsewhere:no", "reply-elsewhere:no"),
        ("restored", "restored:yes"),
        ("RESTORED:no", "restored:no"),
        ("problem:any", "problem:any"),
        ("problem:symlink", "problem:symlink"),
        ("age:>2h", "age:>2h"),
        ("age:<30m", "age:<30m"),
        ("age:>=90s", "age:>=90s"),
        ("age:>7200", "age:>2h"),
        ("size:<5k", "size:<5k"),
        ("size:>=1M", "size:>=1M"),
        ("size:1500", "size:1500"),
        ("rcpts:>10", "rcpts:>10"),
        ("rcpts:<=1", "rcpts:<=1"),
        ("remote-rcpts:>0", "remote-rcpts:>0"),
        ("Remote-Rcpts:0", "remote-rcpts:0"),
        ("cluster:auth-user=test", "cluster:auth-user=test"),
        (
            "cluster:sender-pattern=\"<lower 5-9>@philadefender.org\"",
            "cluster:sender-pattern=\"<lower 5-9>@philadefender.org\"",
        ),
        ("cluster:origin-net=(none)", "cluster:origin-net=\"(none)\""),
        ("bounce-of:auth-user=test", "bounce-of:auth-user=test"),
        (
            "BOUNCE-OF:script=\"a b.php\"",
            "bounce-of:script=\"a b.php\"",
        ),
        ("subject:(x)", ""),
    ];
    for (text, want) in cases {
        if want.is_empty() {
            // `(` in an unquoted value ends it: the parser must say so, not guess.
            assert!(Query::parse(text).is_err(), "{text}");
            continue;
        }
        assert_eq!(canon(text), want, "{text}");
    }
    // Every documented field is covered above.
    for f in FIELDS {
        assert!(
            cases
                .iter()
                .any(|(t, _)| t.to_ascii_lowercase().starts_with(f)),
            "{f} untested"
        );
    }
}

#[test]
fn implicit_and_explicit_and_are_the_same() {
    assert_eq!(
        parse("auth:test ip:1.2.3.4"),
        parse("auth:test and ip:1.2.3.4")
    );
    assert_eq!(
        parse("auth:test AND ip:1.2.3.4"),
        parse("auth:test ip:1.2.3.4")
    );
    assert_eq!(
        shape(&parse("id:1 uid:2 size:3")),
        "(and id:1 uid:2 size:3)"
    );
}

#[test]
fn precedence_is_not_and_or() {
    assert_eq!(
        shape(&parse("auth:a or auth:b auth:c")),
        "(or auth:a (and auth:b auth:c))"
    );
    assert_eq!(
        shape(&parse("auth:a auth:b or auth:c")),
        "(or (and auth:a auth:b) auth:c)"
    );
    assert_eq!(
        shape(&parse("not auth:a auth:b")),
        "(and (not auth:a) auth:b)"
    );
    assert_eq!(
        shape(&parse("!auth:a or auth:b")),
        "(or (not auth:a) auth:b)"
    );
    assert_eq!(
        shape(&parse("not (auth:a or auth:b)")),
        "(not (or auth:a auth:b))"
    );
    assert_eq!(
        shape(&parse("(auth:a or auth:b) auth:c")),
        "(and (or auth:a auth:b) auth:c)"
    );
    assert_eq!(shape(&parse("not not auth:a")), "(not (not auth:a))");
}

#[test]
fn grouping_of_the_same_operator_flattens() {
    assert_eq!(
        shape(&parse("auth:a (auth:b auth:c)")),
        "(and auth:a auth:b auth:c)"
    );
    assert_eq!(
        shape(&parse("auth:a or (auth:b or auth:c)")),
        "(or auth:a auth:b auth:c)"
    );
    assert_eq!(shape(&parse("((auth:a))")), "auth:a");
}

#[test]
fn display_adds_parentheses_only_where_needed() {
    assert_eq!(
        canon("(auth:a or auth:b) auth:c"),
        "(auth:a or auth:b) auth:c"
    );
    assert_eq!(
        canon("auth:a and auth:b or auth:c"),
        "auth:a auth:b or auth:c"
    );
    assert_eq!(canon("!(auth:a auth:b)"), "not (auth:a auth:b)");
    assert_eq!(canon("! auth:a"), "not auth:a");
}

#[test]
fn quoting_and_escapes() {
    assert_eq!(
        canon("subject:\"Dispute Transaction\""),
        "subject:\"Dispute Transaction\""
    );
    assert_eq!(
        parse("subject:\"Dispute Transaction\""),
        parse("subject:Dispute\\ Transaction")
    );
    assert_eq!(
        parse("subject:Dis\"pute Trans\"action"),
        parse("subject:\"Dispute Transaction\"")
    );
    assert_eq!(
        canon("subject:\"say \\\"hi\\\"\""),
        "subject:\"say \\\"hi\\\"\""
    );
    assert_eq!(canon("subject:a\\*b"), "subject:a\\*b");
    assert_ne!(parse("subject:a\\*b"), parse("subject:a*b"));
    assert_eq!(canon("subject:\"(x)\""), "subject:\"(x)\"");
    assert_eq!(
        canon("script:\"/var/www/x.php\""),
        "script:\\/var/www/x.php"
    );
    assert_eq!(canon("subject:\"\""), "subject:\"\"");
    assert_eq!(canon("subject:/a\\/b (c)/"), "subject:/a\\/b (c)/");
    assert_eq!(canon("subject:/\\d+ dollars/i"), "subject:/\\d+ dollars/i");
    assert_eq!(
        canon("subject:\"and\" or subject:not"),
        "subject:and or subject:not"
    );
}

/// `\u{HEX}` names a character: how printed queries carry controls and bidi characters, so
/// they are safe on a terminal and read back as the value. `\u` without `{` is still `u`.
#[test]
fn code_point_escapes() {
    assert_eq!(parse("subject:a\\u{202e}b"), parse("subject:a\u{202e}b"));
    assert_eq!(
        parse("subject:\"a \\u{1B}\""),
        parse("subject:\"a \u{1b}\"")
    );
    assert_eq!(
        canon("subject:a\u{1b}]0;x\u{7}"),
        "subject:a\\u{1b}]0;x\\u{7}"
    );
    assert_eq!(canon("subject:\"a \u{2066}\""), "subject:\"a \\u{2066}\"");
    // In a regex, the regex engine's own escape: it matches the same character.
    assert_eq!(canon("subject:/a\u{1b}b/i"), "subject:/a\\x{1b}b/i");
    assert_eq!(canon("subject:/a\\x{1b}b/i"), "subject:/a\\x{1b}b/i");
    assert_eq!(parse("subject:\\u"), parse("subject:u"));
    assert_eq!(parse("subject:\\ux"), parse("subject:ux"));
    assert_eq!(canon("subject:\\u{41}"), "subject:A");
    for bad in [
        "subject:\\u{}",
        "subject:\\u{zz}",
        "subject:\\u{110000}",
        "subject:\\u{d800}",
        "subject:\\u{1234567}",
        "subject:\\u{12",
    ] {
        assert_error(bad, 8..11, "expected \\u{HEX}");
    }
}

#[track_caller]
fn assert_error(text: &str, span: std::ops::Range<usize>, needle: &str) {
    let e = error(text);
    assert!(
        e.message.contains(needle),
        "{text:?}: {:?} lacks {needle:?}",
        e.message
    );
    assert_eq!(e.span, span, "{text:?}: {}", e.message);
}

#[test]
fn errors_have_spans_and_say_what_was_expected() {
    assert_error(
        "sendr:x",
        0..5,
        "unknown field \"sendr\": expected one of id, ip",
    );
    assert_error(
        "auth:test dispute",
        10..17,
        "expected field:value, found the bare word \"dispute\"",
    );
    // An id pasted from qmail-qread or `list` is pointed at `id:` (newuser59).
    assert_error(
        "5710141",
        0..7,
        "found the bare word \"5710141\" (for the message with that id write id:5710141)",
    );
    assert_error(
        "#5710141",
        0..1,
        "found \"#\" (for the message with that id write id:5710141)",
    );
    assert_error("auth:x or #x", 10..11, "found \"#\"");
    assert!(!error("auth:x or #x").message.contains("id:"));
    assert!(!error("auth:test dispute").message.contains("id:"));
    assert_error("auth:", 5..6, "expected a value after auth:");
    assert_error("auth: test", 5..6, "expected a value after auth:");
    assert_error(
        "auth:test or",
        12..12,
        "expected a term after 'or', found the end",
    );
    assert_error("and auth:test", 0..3, "expected a term, found 'and'");
    assert_error(
        "auth:a or or auth:b",
        10..12,
        "expected a term after 'or', found 'or'",
    );
    assert_error("not", 3..3, "expected a term after 'not'");
    assert_error("(auth:test", 0..1, "expected ')' to close this '('");
    assert_error("auth:test)", 9..10, "unexpected ')'");
    assert_error("()", 1..2, "expected a term inside ( )");
    assert_error("subject:\"Dispute", 8..16, "unterminated quote");
    assert_error("subject:/dispute", 8..16, "unterminated regex");
    assert_error("subject:/dispute/x", 17..18, "unknown regex flag 'x'");
    assert_error("subject:/dispute/ix", 17..19, "unknown regex flag 'x'");
    assert_error("subject:/(/", 8..11, "invalid regex");
    assert_error("subject:/a/b", 11..12, "unknown regex flag 'b'");
    assert_error(
        "subject:/a/\"b\"",
        11..12,
        "expected a space or ')' after the regex",
    );
    assert_error("subject:a\\", 9..10, "expected a character after \\");
    assert_error(
        "origin:smtpauth",
        7..15,
        "expected one of smtp-auth, smtp, local, bounce, alias, unknown",
    );
    assert_error("state:stuck", 6..11, "expected one of incoming, queued");
    assert_error("bouncing:maybe", 9..14, "expected one of yes, no");
    assert_error("problem:bad", 8..11, "expected one of truncated-envelope");
    assert_error("problem:bad", 8..11, "any");
    assert_error("age:>2y", 4..7, "expected a duration like >2h");
    assert_error("size:big", 5..8, "expected a size like <5k");
    assert_error("rcpts:>ten", 6..10, "expected a number like >10");
    assert_error("size:>99999999999999999999", 5..26, "expected a size");
    assert_error("age:>99999999999999999w", 4..23, "number too large");
    assert_error("ip:86.107.221.0/33", 3..18, "prefix length from 0 to 32");
    assert_error("ip:not-an-ip", 3..12, "expected an IP address or network");
    assert_error(
        "cluster:by=x",
        8..10,
        "unknown cluster key \"by\": expected one of auth-user",
    );
    assert_error(
        "cluster:auth-user",
        17..18,
        "expected '=' after cluster:auth-user",
    );
    assert_error("cluster:=x", 8..9, "expected a cluster key");
    assert_error("header::x", 7..8, "expected a header name");
    assert_error("auth:test = x", 10..11, "expected field:value, found \"=\"");
}

#[test]
fn limits_are_errors_not_crashes() {
    let deep = format!(
        "{}auth:x{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert!(error(&deep).message.contains("too deeply nested"));
    let nots = format!("{}auth:x", "!".repeat(MAX_DEPTH + 1));
    assert!(error(&nots).message.contains("too deeply nested"));
    let many = vec!["uid:1"; MAX_TERMS + 1].join(" ");
    assert!(error(&many).message.contains("too many terms"));
    let long = format!("subject:{}", "x".repeat(MAX_QUERY_LEN));
    assert!(error(&long).message.contains("too long"));
    let ok = format!("{}auth:x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert!(Query::parse(&ok).is_ok());
}

#[test]
fn needs_files_only_for_header_body_text() {
    assert!(!parse("auth:test ip:1.2.3.4/8 subject:/x/ cluster:uid=48").needs_files());
    for q in [
        "header:x-mailer",
        "body:x",
        "not text:/x/",
        "auth:a or (header:to:*@x uid:1)",
    ] {
        assert!(parse(q).needs_files(), "{q}");
    }
}

#[test]
fn cluster_keys_are_the_keys_the_terms_test() {
    use crate::analysis::key::ClusterKey::*;
    assert_eq!(parse("uid:48").cluster_keys(), [Uid]);
    assert_eq!(
        parse("auth:a or (ip:1.2.3.0/24 not auth:b) cluster:script=x age:<1h").cluster_keys(),
        [AuthUser, OriginIp, Script]
    );
    assert!(parse("age:<30m size:>1k").cluster_keys().is_empty());
    assert!(parse("").cluster_keys().is_empty());
}

// ---- print, then parse again -------------------------------------------------------------

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9@._*?-]{1,12}",
        "[a-z ()*?\"\\\\/]{0,10}"
            .prop_map(|s| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))),
        "[a-z.*+ ()\\\\/]{1,8}"
            .prop_map(|s| format!("/{}/", s.replace('\\', "\\\\").replace('/', "\\/"))),
        "[a-z.]{1,6}".prop_map(|s| format!("/{s}/i")),
        "[a-z\\\\*?]{1,6}",
    ]
}

fn term() -> impl Strategy<Value = String> {
    let text_fields = prop::sample::select(vec![
        "id",
        "auth",
        "uid",
        "script",
        "helo",
        "sender",
        "from",
        "sender-domain",
        "rcpt",
        "rcpt-domain",
        "subject",
        "body",
        "text",
        "header:X-Mailer",
        "header:to",
        "cluster:sender-pattern",
        "ip",
    ]);
    prop_oneof![
        (text_fields, value()).prop_map(|(f, v)| {
            let sep = if f.starts_with("cluster") { '=' } else { ':' };
            format!("{f}{sep}{v}")
        }),
        (
            "[<>]?=?",
            0u64..100_000,
            prop::sample::select(vec!["", "s", "m", "h", "d", "w"])
        )
            .prop_map(|(op, n, u)| format!("age:{op}{n}{u}")),
        (
            "[<>]?=?",
            0u64..100_000,
            prop::sample::select(vec!["", "k", "M", "G"])
        )
            .prop_map(|(op, n, u)| format!("size:{op}{n}{u}")),
        ("[<>]?=?", 0u64..1000).prop_map(|(op, n)| format!("rcpts:{op}{n}")),
        (0u8..=255, 0u8..=255, 0u8..=32).prop_map(|(a, b, p)| format!("ip:{a}.{b}.7.9/{p}")),
        prop::sample::select(vec![
            "origin:local",
            "state:queued",
            "bouncing",
            "bouncing:no",
            "restored:no",
            "problem:any",
            "problem:vanished",
            "header:x-php-originating-script",
            "ip:2001:db8::1/48",
            "sender:<>",
        ])
        .prop_map(String::from),
    ]
}

fn query() -> impl Strategy<Value = String> {
    term().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} or {b}")),
            inner.clone().prop_map(|a| format!("not {a}")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

fn assert_round_trip(text: &str) -> Result<(), TestCaseError> {
    if let Ok(q) = Query::parse(text) {
        let printed = q.to_string();
        let again =
            Query::parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed:?}: {e}")))?;
        prop_assert_eq!(&again, &q, "printed as {:?}", printed);
        prop_assert_eq!(again.to_string(), printed);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_queries_parse_back_to_themselves(text in query()) {
        assert_round_trip(&text)?;
    }

    #[test]
    fn any_text_parses_or_fails_cleanly(text in "\\PC{0,40}") {
        assert_round_trip(&text)?;
    }

    #[test]
    fn text_with_controls_and_escapes_parses_back_to_itself(
        text in "(subject:|script:|auth:|cluster:helo=)[a-z\\\\u{}0-9\u{1b}\u{7}\u{9b}\u{202e}\u{2066}]{1,30}"
    ) {
        assert_round_trip(&text)?;
        if let Ok(q) = Query::parse(&text) {
            prop_assert!(!q.to_string().chars().any(crate::sanitize::needs_escape));
        }
    }

    #[test]
    fn error_spans_lie_inside_the_text(text in "[a-z:\"/\\\\()! <>=*]{0,30}") {
        if let Err(e) = Query::parse(&text) {
            prop_assert!(e.span.start <= text.len() && e.span.start <= e.span.end, "{:?} {:?}", text, e);
            let _ = render_error(&text, &e);
        }
    }
}

mod eval_tests;
mod generated;
mod render;
mod withheld;
