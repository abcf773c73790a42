//! How a query error is shown to a person: the caret under its span, in a long query too.

use super::error;
use crate::query::render_error;

#[test]
fn render_error_points_a_caret_at_the_span() {
    let text = "auth:test sendr:x";
    let e = error(text);
    assert_eq!(
        render_error(text, &e),
        "invalid query: unknown field \"sendr\": expected one of id, ip, auth, uid, script, helo, origin, sender, from, sender-domain, rcpt, rcpt-domain, subject, header, body, text, state, bouncing, reply-elsewhere, restored, problem, age, size, rcpts, remote-rcpts, cluster, bounce-of\n  auth:test sendr:x\n            ^^^^^"
    );
    // At the end of the text the caret sits just after it; escapes in the text shift it.
    let text = "subject:\u{1b}x or";
    let r = render_error(text, &error(text));
    assert!(r.ends_with("  subject:\\ex or\n                ^"), "{r}");
    // A long query is shown around its error, `…` where cut, the caret still under it.
    let text = format!(
        "subject:{} sendr:x subject:{}",
        "a".repeat(900),
        "b".repeat(900)
    );
    let r = render_error(&text, &error(&text));
    let lines: Vec<&str> = r.lines().collect();
    assert!(
        lines[1].starts_with("  …") && lines[1].ends_with('…'),
        "{r}"
    );
    assert!(lines[1].chars().count() < 200, "{r}");
    let at = lines[2].find('^').expect("caret");
    let under: String = lines[1].chars().skip(at).take(5).collect();
    assert_eq!(under, "sendr", "{r}");
}

/// The caret counts terminal columns: a CJK character is two, a combining accent none
/// (review51: two columns left of the span after `中文`, one right after `e\u{301}`).
#[test]
fn the_caret_counts_columns_not_characters() {
    for (text, before) in [
        ("subject:中文 sendr:x", "subject:中文 "),
        ("subject:e\u{301}e sendr:x", "subject:e\u{301}e "),
    ] {
        let r = render_error(text, &error(text));
        let caret = r.lines().nth(2).expect("caret line");
        let cols = unicode_width::UnicodeWidthStr::width(before);
        assert_eq!(caret, format!("  {}^^^^^", " ".repeat(cols)), "{r}");
    }
}
