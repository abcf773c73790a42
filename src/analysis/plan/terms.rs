//! The query terms a plan writes for a cluster's value: safe on a terminal, pasted back they
//! select exactly that value.

use crate::analysis::key::ClusterKey;

/// `cluster:KEY=VALUE` (or another qualified field): the value double-quoted (with `\"`, `\\`,
/// and the wildcards `\*` and `\?` escaped, controls and bidi characters as `\u{HEX}`) unless it
/// is made only of letters, digits and `._@-+/:=%,#[]` and does not start with `-`, so glob and
/// comparison characters are always literal; `(none)` for no value.
pub fn term(field: &str, key: ClusterKey, value: Option<&[u8]>) -> String {
    let Some(bytes) = value else {
        return format!("{field}:{}=(none)", key.name());
    };
    value_term(&format!("{field}:{}=", key.name()), bytes)
}

/// `prefix` (`sender-domain:`, `cluster:subject=`) and `bytes` as [`term`] writes a value.
pub(super) fn value_term(prefix: &str, bytes: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return byte_term(prefix, bytes);
    };
    let plain = !text.is_empty()
        && !text.starts_with('-')
        && text
            .chars()
            .all(|ch| ch.is_alphanumeric() || "._@-+/:=%,#[]".contains(ch));
    if plain {
        return format!("{prefix}{text}");
    }
    let mut q = format!("{prefix}\"");
    for ch in text.chars() {
        // `*` and `?` are wildcards inside quotes too: a subject template `*` (one random
        // word) made `cluster:subject="*"`, which selects the whole queue.
        if matches!(ch, '"' | '\\' | '*' | '?') {
            q.push('\\');
        }
        // A control or bidi character as `\u{HEX}`: safe on a terminal, read back as itself.
        crate::query::push_char(&mut q, ch);
    }
    q.push('"');
    q
}

/// A value that is not UTF-8 as an anchored regex of its exact bytes, each byte that is not
/// UTF-8 as `(?-u:\xHH)`: as text it would be U+FFFD, which names no byte, and the query would
/// select another value differing in that byte too (review51: two senders' mail).
fn byte_term(prefix: &str, bytes: &[u8]) -> String {
    let source = format!("^{}$", crate::query::byte_pattern(bytes));
    let mut q = prefix.to_string();
    crate::query::write_regex(&mut q, &source, "");
    q
}
