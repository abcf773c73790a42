//! Unit tests of `crate::query::posix`.
use super::*;

#[track_caller]
fn bre(p: &str, text: &str) -> bool {
    compile(p.as_bytes(), Flavor::Basic, false)
        .expect("compiles")
        .is_match(text.as_bytes())
}

#[track_caller]
fn ere(p: &str, text: &str) -> bool {
    compile(p.as_bytes(), Flavor::Extended, false)
        .expect("compiles")
        .is_match(text.as_bytes())
}

#[test]
fn bre_groups_and_intervals_need_backslashes() {
    assert!(bre(r"\(ab\)\{2\}", "xxababyy"));
    assert!(!bre(r"\(ab\)\{2\}", "xxabyy"));
    assert!(bre(r"a\{2,\}", "caab"));
    assert!(!bre(r"a\{2,3\}b", "cab"));
    assert!(bre(r"a\{2,3\}b", "caaab"));
}

#[test]
fn bre_bare_operators_are_literals() {
    assert!(bre("(ab)", "x(ab)y"));
    assert!(!bre("(ab)", "xaby"));
    assert!(bre("a{2}", "a{2}"));
    assert!(!bre("a{2}", "aa"));
    assert!(bre("a+b", "a+b"));
    assert!(!bre("a+b", "aab"));
    assert!(bre("a?b", "a?b"));
    assert!(!bre("a?b", "b"));
    assert!(bre("a|b", "a|b"));
    assert!(!bre("a|b", "b"));
}

#[test]
fn ere_bare_operators_are_operators() {
    assert!(ere("(ab){2}", "abab"));
    assert!(ere("a+b", "aab"));
    assert!(ere("x?b", "b"));
    assert!(ere("cat|dog", "hotdog"));
    assert!(ere(r"\(ab\)", "(ab)"));
    assert!(!ere(r"\(ab\)", "ab"));
}

#[test]
fn gnu_extensions_in_bre() {
    assert!(bre(r"cat\|dog", "hotdog"));
    assert!(bre(r"a\+b", "aab"));
    assert!(bre(r"\<dispute\>", "a dispute now"));
    assert!(!bre(r"\<dispute\>", "disputed"));
}

#[test]
fn star_at_start_is_literal_in_bre() {
    assert!(bre("*a", "x*a"));
    assert!(!bre("*a", "a"));
    assert!(bre(r"\(*a\)", "*a"));
    assert!(bre("^*a", "*a"));
    assert!(bre("a**", "b"));
}

#[test]
fn anchors_in_bre_only_at_ends() {
    assert!(bre("^From", "From: x"));
    assert!(!bre("^From", "x\nFrom: x"));
    assert!(bre("a^b", "a^b"));
    assert!(bre("a$b", "a$b"));
    assert!(bre("end$", "the end"));
    assert!(!bre("end$", "the end\n"));
    assert!(bre(r"\(x$\)", "ax"));
}

#[test]
fn dot_matches_newline_and_any_byte() {
    assert!(bre("a.b", "a\nb"));
    assert!(compile(b"a.b", Flavor::Basic, false)
        .expect("ok")
        .is_match(b"a\xffb"));
    assert!(compile(b"\xff", Flavor::Basic, false)
        .expect("ok")
        .is_match(b"x\xffy"));
}

#[test]
fn brackets_follow_posix() {
    assert!(bre("[]a]", "]"));
    assert!(bre("[^]a]", "b"));
    assert!(!bre("[^]a]", "]"));
    assert!(bre(r"[\]", "\\"));
    assert!(bre("[a-c]x", "bx"));
    assert!(bre("[[:digit:]][[:alpha:]]", "1a"));
    assert!(bre("[a-]", "-"));
    assert!(bre("[.]", "."));
    assert!(!bre("[.]", "a"));
    assert!(bre("[(|)]", "|"));
}

#[test]
fn case_insensitive_is_ascii() {
    let re = compile(b"paypal", Flavor::Basic, true).expect("ok");
    assert!(re.is_match(b"From: PayPal"));
    assert!(!compile(b"paypal", Flavor::Basic, false)
        .expect("ok")
        .is_match(b"PayPal"));
}

#[test]
fn errors_name_the_offset() {
    let e = compile(br"\(a", Flavor::Basic, false).expect_err("unmatched");
    assert_eq!(e.offset, 3);
    assert!(e.message.contains("unmatched"), "{e}");
    let e = compile(br"a\)", Flavor::Basic, false).expect_err("unmatched");
    assert_eq!(e.offset, 1);
    assert!(compile(br"(a)\1", Flavor::Extended, false)
        .expect_err("backref")
        .message
        .contains("back-references"));
    assert!(compile(b"[abc", Flavor::Basic, false)
        .expect_err("bracket")
        .message
        .contains("unmatched ["));
    assert!(compile(b"[[:nope:]]", Flavor::Basic, false)
        .expect_err("class")
        .message
        .contains("nope"));
    assert!(compile(b"[z-a]", Flavor::Basic, false)
        .expect_err("range")
        .message
        .contains("range"));
    assert!(compile(b"a\\", Flavor::Basic, false)
        .expect_err("trailing")
        .message
        .contains("trailing"));
}

#[test]
fn unmatched_close_paren_is_literal_in_ere() {
    assert!(ere("a)", "a)"));
}

#[test]
fn huge_repetition_is_refused_not_hung() {
    let e = compile(br"\(a\{1000\}\)\{1000\}", Flavor::Basic, false).expect_err("too big");
    assert!(
        e.message.contains("size limit") || e.message.contains("too big"),
        "{e}"
    );
}

#[test]
fn translation_is_plain_regex_crate_syntax() {
    assert_eq!(
        translate(br"\(a.\)*$", Flavor::Basic).expect("ok"),
        "(a.)*$"
    );
    assert_eq!(translate(b"a+", Flavor::Basic).expect("ok"), "a\\x2B");
}
