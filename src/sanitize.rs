//! Turn attacker-controlled bytes into text that is safe to put on a terminal.
//!
//! Every byte that came out of a message, an envelope or a file name passes through here before a
//! person sees it, in the TUI and in every text output of the CLI, wherever stdout goes: a pipe
//! into `head`, `grep`, `tee` or `less -R`, or a file `cat`ed later, reaches a terminal too (the
//! exact bytes are what `--json` is for). The rules:
//! printable ASCII and printable Unicode pass; C0/C1 controls, DEL, ESC and Unicode bidi and other
//! format characters become visible escapes (`\e`, `\x7f`, `\u{202e}`); bytes that are not UTF-8
//! become `\xNN`. Nothing that could move the cursor, set a title, clear the screen, open a
//! hyperlink or reorder text survives.

use std::borrow::Cow;

/// True when `c` must not reach a terminal as itself.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_format_char(c)
}

/// Unicode characters that reorder or hide text (bidi overrides, zero-width, BOM, ...).
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{061C}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{E0000}'..='\u{E007F}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\x1b' => out.push_str("\\e"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// JSON text (as serde_json writes it) with every character that must not reach a terminal
/// written as a `\uXXXX` escape: serde_json escapes only C0 controls, and `qtriage list --json`
/// on a terminal then printed DEL, C1 controls (`\u009b` is an 8-bit CSI) and bidi overrides as
/// themselves. The escape is the same string to every JSON reader, so the exact bytes are kept.
/// Only DEL and what is not ASCII is rewritten: outside strings JSON text is ASCII, so each
/// such character is inside a string, while a pretty printer's own newlines are not.
pub fn json_for_terminals(json: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c >= '\u{7f}' && needs_escape(c);
    if !json.bytes().any(|b| b >= 0x7f) || !json.chars().any(unsafe_char) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` in double quotes, sanitized, its own quotes escaped: how a message quotes what the
/// operator or an attacker typed (a query, an id). Rust's `{:?}` wrote `\u{1b}` where every
/// other output writes `\e` (hostile50).
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", sanitize_str(s).replace('"', "\\\""))
}

/// Sanitize a `str`: borrows when nothing needs escaping (the common case).
pub fn sanitize_str(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Sanitized text cut to `max_chars` characters and `…`: a shown line of a message-derived
/// value stays a line (walk66: a 5,000-character subject filled a confirmation twice over).
pub fn clipped(s: Cow<'_, str>, max_chars: usize) -> String {
    match s.char_indices().nth(max_chars) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.into_owned(),
    }
}

/// Sanitize arbitrary bytes: valid UTF-8 runs as in [`sanitize_str`], invalid bytes as `\xNN`.
pub fn sanitize_bytes(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => sanitize_str(s),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len() + 8);
            for chunk in bytes.utf8_chunks() {
                out.push_str(&sanitize_str(chunk.valid()));
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            Cow::Owned(out)
        }
    }
}

/// `bytes` as text with only what is not UTF-8 escaped (`\xNN`), controls left for
/// [`sanitize_str`]: a value that is still to be sanitized, or matched, shows its bytes rather
/// than `U+FFFD`.
pub fn invalid_bytes_escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Sanitize a path as [`sanitize_bytes`] does its bytes: the queue and yank-area paths the
/// CLI prints come from the operator's arguments, which can hold anything a file name can.
pub fn sanitize_path(path: &std::path::Path) -> Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    sanitize_bytes(path.as_os_str().as_bytes())
}

/// qmail-qread's own filter: every byte outside 32..=126 printed as `_`.
pub fn qmail_printable(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bytes.iter().all(|b| (32..=126).contains(b)) {
        return Cow::Borrowed(bytes);
    }
    Cow::Owned(
        bytes
            .iter()
            .map(|&b| if (32..=126).contains(&b) { b } else { b'_' })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quoted as every other output escapes (`\e`, not Rust's `\u{1b}`), its quotes escaped.
    #[test]
    fn quoted_escapes_as_the_rest_of_the_output() {
        assert_eq!(quoted("auth:test"), "\"auth:test\"");
        assert_eq!(quoted("a\x1b]0;x\x07\"b"), "\"a\\e]0;x\\x07\\\"b\"");
        assert_eq!(quoted("p\u{202e}q"), "\"p\\u{202e}q\"");
    }

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            sanitize_str("Dispute Transaction"),
            Cow::Borrowed(_)
        ));
    }

    /// JSON keeps the exact string and shows a terminal none of DEL, C1, bidi or tag
    /// characters (one beyond the BMP is a surrogate pair).
    #[test]
    fn json_escapes_what_a_terminal_would_obey() {
        let value = "a\u{7f}b\u{9b}31m\u{202e}exe.pdf\u{e0041}é";
        let json = serde_json::to_string(value).expect("json");
        let safe = json_for_terminals(&json);
        assert_eq!(safe, "\"a\\u007fb\\u009b31m\\u202eexe.pdf\\udb40\\udc41é\"");
        assert_eq!(serde_json::from_str::<String>(&safe).expect("parse"), value);
        assert!(matches!(
            json_for_terminals("{\"a\":\"é\"}"),
            Cow::Borrowed(_)
        ));
        // Pretty JSON keeps its own newlines and indents (the review: `report --format json`
        // with an `é` in it wrote `{\u000a  "now"`, which no reader parses).
        let pretty =
            serde_json::to_string_pretty(&serde_json::json!({"s": "é\u{9b}\n"})).expect("json");
        let safe = json_for_terminals(&pretty);
        assert_eq!(safe, "{\n  \"s\": \"é\\u009b\\n\"\n}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("parses");
        assert_eq!(back["s"], "é\u{9b}\n");
    }

    #[test]
    fn clear_screen_is_made_visible() {
        assert_eq!(sanitize_str("evil\x1b[2J@spam"), "evil\\e[2J@spam");
    }

    #[test]
    fn osc_set_title_and_bel_are_made_visible() {
        assert_eq!(sanitize_str("\x1b]0;owned\x07x"), "\\e]0;owned\\x07x");
    }

    #[test]
    fn c1_controls_are_escaped() {
        assert_eq!(sanitize_str("a\u{9b}2Jb"), "a\\x9b2Jb");
    }

    #[test]
    fn bidi_override_is_escaped() {
        assert_eq!(sanitize_str("pay\u{202e}lapyap"), "pay\\u{202e}lapyap");
    }

    #[test]
    fn invalid_utf8_becomes_hex() {
        assert_eq!(sanitize_bytes(b"ab\xffc\xe2\x82"), "ab\\xffc\\xe2\\x82");
    }

    #[test]
    fn wide_characters_pass() {
        assert_eq!(sanitize_str("件名 テスト"), "件名 テスト");
    }

    #[test]
    fn qmail_filter_matches_qmail_qread() {
        assert_eq!(
            &*qmail_printable(b"evil\x1b[2J@spam.example"),
            b"evil_[2J@spam.example"
        );
        assert_eq!(&*qmail_printable("é".as_bytes()), b"__");
    }
}
