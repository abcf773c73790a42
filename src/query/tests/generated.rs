//! How much of what the property tests generate parses: their round trips are only as strong
//! as that share.

use super::*;

/// The control-character round trip above is only as strong as the share of its texts that
/// parse.
#[test]
fn generated_control_texts_mostly_parse() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = "(subject:|script:|auth:|cluster:helo=)[a-z\\\\u{}0-9\u{1b}\u{7}\u{9b}\u{202e}\u{2066}]{1,30}";
    let texts: Vec<String> = (0..400)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map(|t| t.current())
                .unwrap_or_default()
        })
        .collect();
    let parsed = texts.iter().filter(|t| Query::parse(t).is_ok()).count();
    let with_control = texts
        .iter()
        .filter(|t| Query::parse(t).is_ok() && t.chars().any(crate::sanitize::needs_escape))
        .count();
    assert!(parsed > 200, "only {parsed} of 400 parse");
    assert!(
        with_control > 100,
        "only {with_control} of 400 parse and hold a control"
    );
}

#[test]
fn generated_queries_mostly_parse() {
    // The round-trip property is only as strong as the share of generated texts that parse.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = query();
    let parsed = (0..400)
        .filter(|_| {
            let text = strategy
                .new_tree(&mut runner)
                .map(|t| t.current())
                .unwrap_or_default();
            Query::parse(&text).is_ok()
        })
        .count();
    assert!(parsed > 200, "only {parsed} of 400 generated queries parse");
}
