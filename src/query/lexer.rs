//! Tokens of the query language, each with the byte span it came from.
//!
//! The lexer knows the shape of a term (`field:value`, `header:NAME:value`,
//! `cluster:KEY=value`) because where a value ends depends on it: a value may be quoted
//! (`"Dispute Transaction"`), escaped (`\*`), or a regex (`/dispute/i`) that holds spaces and
//! parentheses. Everything after the lexer works on tokens and never re-reads the text.

use std::ops::Range;

use super::QueryError;
use crate::sanitize::needs_escape;

/// A field's qualifier (`NAME` of `header:NAME`, `KEY` of `cluster:KEY`) and its span.
type Qualifier = (String, Range<usize>);

/// One piece of a plain (non-regex) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Unit {
    /// A literal character (quoted, escaped or plain).
    Lit(char),
    /// An unescaped `*`: any run of characters.
    Star,
    /// An unescaped `?`: any one character.
    Any,
}

/// A value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ValueTok {
    /// Literal characters and glob wildcards.
    Plain(Vec<Unit>),
    /// `/source/flags`; `\/` in the text is `/` in `source`, other escapes are kept for the regex.
    Regex {
        /// The regex source.
        source: String,
        /// The letters after the closing `/`.
        flags: String,
        /// Where the flags are, for errors about them.
        flags_span: Range<usize>,
    },
}

/// A `field:value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TermTok {
    /// The field name, lowercased.
    pub field: String,
    /// Where the field name is.
    pub field_span: Range<usize>,
    /// `header:NAME` or `cluster:KEY` (the part before the second `:` or the `=`).
    pub qualifier: Option<(String, Range<usize>)>,
    /// The value; `None` only for `header:NAME` with no value.
    pub value: Option<ValueTok>,
    /// Where the value is (empty at its position when absent).
    pub value_span: Range<usize>,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `not` or `!`
    Not,
    /// `and`
    And,
    /// `or`
    Or,
    /// A word without a colon (only `bouncing`, `restored` and `reply-elsewhere` mean
    /// something alone).
    Bare(String),
    /// A term.
    Term(TermTok),
}

/// A token and its byte span in the query text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Range<usize>,
}

/// Fields whose name is followed by a qualifier before the value.
const QUALIFIED: [(&str, char); 3] = [("header", ':'), ("cluster", '='), ("bounce-of", '=')];

/// The text `qtriage clusters` prints for a missing value.
pub(super) const NONE: &str = "(none)";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn ends_value(c: char) -> bool {
    c.is_whitespace() || c == '(' || c == ')'
}

fn err(span: Range<usize>, message: impl Into<String>) -> QueryError {
    QueryError {
        span,
        message: message.into(),
    }
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) -> Range<usize> {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.bump();
        }
        start..self.pos
    }

    fn token(&mut self) -> Result<Option<Token>, QueryError> {
        self.eat_while(char::is_whitespace);
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        let simple = match c {
            '(' => Some(TokenKind::LParen),
            ')' => Some(TokenKind::RParen),
            '!' => Some(TokenKind::Not),
            _ => None,
        };
        if let Some(kind) = simple {
            self.bump();
            return Ok(Some(Token {
                kind,
                span: start..self.pos,
            }));
        }
        let name = self.eat_while(is_name_char);
        let word = self.text[name.clone()].to_ascii_lowercase();
        match self.peek() {
            Some(':') if !word.is_empty() => {
                self.bump();
                let term = self.term(word, name)?;
                Ok(Some(Token {
                    kind: TokenKind::Term(term),
                    span: start..self.pos,
                }))
            }
            _ if !word.is_empty() && self.peek().is_none_or(ends_value) => {
                let kind = match word.as_str() {
                    "and" => TokenKind::And,
                    "or" => TokenKind::Or,
                    "not" => TokenKind::Not,
                    _ => TokenKind::Bare(self.text[name.clone()].to_string()),
                };
                Ok(Some(Token { kind, span: name }))
            }
            _ => {
                let end = self.pos + self.peek().map_or(0, char::len_utf8);
                let found = &self.text[self.pos..end];
                // `#5710141`, an id as qmail-qread prints it (newuser59).
                let digits = self.text[end..]
                    .split(|c: char| c.is_whitespace() || c == ')')
                    .next()
                    .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
                let hint = match (found, digits) {
                    ("#", Some(id)) => format!(" (for the message with that id write id:{id})"),
                    _ => String::new(),
                };
                Err(err(
                    start..end.max(start + 1).min(self.text.len()),
                    format!(
                        "expected field:value, found {}{hint}",
                        crate::sanitize::quoted(found)
                    ),
                ))
            }
        }
    }

    /// After `field:`: the qualifier (for header/cluster) and the value.
    fn term(&mut self, field: String, field_span: Range<usize>) -> Result<TermTok, QueryError> {
        let (qualifier, has_value) = self.qualifier(&field)?;
        let vstart = self.pos;
        let value = if !has_value {
            // `header:NAME` alone: the message has that header.
            None
        } else if let Some(v) = self.none_literal() {
            Some(v)
        } else if self.peek().is_none_or(ends_value) {
            return Err(err(
                vstart..vstart + 1,
                format!("expected a value after {field}: (use \"\" for an empty value)"),
            ));
        } else if self.peek() == Some('/') {
            Some(self.regex()?)
        } else {
            Some(self.plain()?)
        };
        Ok(TermTok {
            field,
            field_span,
            qualifier,
            value,
            value_span: vstart..self.pos,
        })
    }

    /// `header:NAME` / `cluster:KEY` and the separator after it; the bool says whether a value
    /// follows (only `header:NAME` may stand alone).
    fn qualifier(&mut self, field: &str) -> Result<(Option<Qualifier>, bool), QueryError> {
        let Some((_, sep)) = QUALIFIED.iter().find(|(f, _)| *f == field) else {
            return Ok((None, true));
        };
        let sep = *sep;
        let q = self.eat_while(|c| c != sep && c != ':' && !ends_value(c));
        let name = self.text[q.clone()].to_string();
        if name.is_empty() {
            let what = if sep == '=' {
                format!("a cluster key ({field}:KEY=VALUE)")
            } else {
                "a header name (header:NAME:VALUE)".to_string()
            };
            return Err(err(
                q.start..q.start + 1,
                format!("expected {what} after {field}:"),
            ));
        }
        if self.peek() == Some(sep) {
            self.bump();
            return Ok((Some((name, q)), true));
        }
        if sep == ':' && self.peek().is_none_or(ends_value) {
            return Ok((Some((name, q)), false));
        }
        Err(err(
            q.end..q.end + 1,
            format!("expected '{sep}' after {field}:{name}"),
        ))
    }

    /// `(none)` is how `qtriage clusters` shows a missing value; let it be pasted bare.
    fn none_literal(&mut self) -> Option<ValueTok> {
        let rest = &self.text[self.pos..];
        let after = rest.strip_prefix(NONE)?;
        if !after.chars().next().is_none_or(ends_value) {
            return None;
        }
        self.pos += NONE.len();
        Some(ValueTok::Plain(NONE.chars().map(Unit::Lit).collect()))
    }

    fn regex(&mut self) -> Result<ValueTok, QueryError> {
        let start = self.pos;
        self.bump();
        let mut source = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(err(
                        start..self.pos,
                        "unterminated regex: expected a closing /",
                    ))
                }
                Some('/') => break,
                Some('\\') => match self.bump() {
                    Some('/') => source.push('/'),
                    Some(c) => {
                        source.push('\\');
                        source.push(c);
                    }
                    None => {
                        return Err(err(
                            start..self.pos,
                            "unterminated regex: expected a closing /",
                        ))
                    }
                },
                Some(c) => source.push(c),
            }
        }
        let flags_span = self.eat_while(|c| c.is_ascii_alphabetic());
        let flags = self.text[flags_span.clone()].to_string();
        if let Some(c) = self.peek().filter(|c| !ends_value(*c)) {
            let at = self.pos;
            return Err(err(
                at..at + c.len_utf8(),
                format!(
                    "expected a space or ')' after the regex, found {}",
                    crate::sanitize::quoted(c.encode_utf8(&mut [0; 4]))
                ),
            ));
        }
        Ok(ValueTok::Regex {
            source,
            flags,
            flags_span,
        })
    }

    fn plain(&mut self) -> Result<ValueTok, QueryError> {
        let mut units = Vec::new();
        while let Some(c) = self.peek() {
            if ends_value(c) {
                break;
            }
            let at = self.pos;
            self.bump();
            match c {
                '"' => self.quoted(at, &mut units)?,
                '\\' => units.push(Unit::Lit(self.escaped(at)?)),
                '*' => units.push(Unit::Star),
                '?' => units.push(Unit::Any),
                c => units.push(Unit::Lit(c)),
            }
        }
        Ok(ValueTok::Plain(units))
    }

    /// The character a backslash at `at` gives: the next one, literally, except `\u{HEX}`,
    /// the character with that code point. qtriage writes a control, bidi or other invisible
    /// character of a value that way in the queries it prints (`plan --query`, `top`), so that
    /// text stays safe on a terminal and still selects the value it was made from.
    fn escaped(&mut self, at: usize) -> Result<char, QueryError> {
        let c = self
            .bump()
            .ok_or_else(|| err(at..self.pos, "expected a character after \\"))?;
        if c != 'u' || self.peek() != Some('{') {
            return Ok(c);
        }
        let rest = &self.text[self.pos + 1..];
        let digits = rest.find('}').map(|end| &rest[..end]);
        let named = digits
            .filter(|d| (1..=6).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .and_then(char::from_u32);
        match (named, digits) {
            (Some(ch), Some(d)) => {
                // `{`, the digits, `}`.
                self.pos += d.len() + 2;
                Ok(ch)
            }
            _ => Err(err(
                at..self.pos + 1,
                "expected \\u{HEX}: 1 to 6 hex digits naming a character, then }",
            )),
        }
    }

    /// The rest of a `"..."` section: spaces and parentheses are literal; `\` still escapes
    /// and `*`/`?` are still wildcards.
    fn quoted(&mut self, open: usize, units: &mut Vec<Unit>) -> Result<(), QueryError> {
        loop {
            let at = self.pos;
            match self.bump() {
                None => {
                    return Err(err(
                        open..self.pos,
                        "unterminated quote: expected a closing \"",
                    ))
                }
                Some('"') => return Ok(()),
                Some('\\') => units.push(Unit::Lit(self.escaped(at)?)),
                Some('*') => units.push(Unit::Star),
                Some('?') => units.push(Unit::Any),
                Some(c) => units.push(Unit::Lit(c)),
            }
        }
    }
}

/// Split query text into tokens.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut lexer = Lexer { text, pos: 0 };
    let mut out = Vec::new();
    while let Some(t) = lexer.token()? {
        out.push(t);
    }
    Ok(out)
}

/// Write a plain value so [`tokenize`] reads back the same units.
pub(crate) fn write_plain(out: &mut String, units: &[Unit]) {
    let quote = units.is_empty()
        || units
            .iter()
            .any(|u| matches!(u, Unit::Lit(c) if ends_value(*c) || *c == '"'));
    if quote {
        out.push('"');
    }
    for (i, u) in units.iter().enumerate() {
        match u {
            Unit::Star => out.push('*'),
            Unit::Any => out.push('?'),
            Unit::Lit(c @ ('\\' | '"' | '*' | '?')) => {
                out.push('\\');
                out.push(*c);
            }
            // A leading `/` would start a regex; inside quotes it cannot.
            Unit::Lit('/') if i == 0 && !quote => out.push_str("\\/"),
            Unit::Lit(c) => push_char(out, *c),
        }
    }
    if quote {
        out.push('"');
    }
}

/// Push `c` as query text: itself, or `\u{HEX}` when it must not reach a terminal as itself
/// ([`needs_escape`]: controls, bidi and other format characters), which [`tokenize`] reads
/// back as `c`.
pub(crate) fn push_char(out: &mut String, c: char) {
    if needs_escape(c) {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// A regex matching exactly `bytes`: its UTF-8 escaped, each byte that is not UTF-8 as
/// `(?-u:\xHH)`.
pub(crate) fn byte_pattern(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut source = String::new();
    for chunk in bytes.utf8_chunks() {
        source.push_str(&regex::escape(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(source, "(?-u:\\x{b:02X})");
        }
    }
    source
}

/// Write a regex value so [`tokenize`] reads back the same source and flags, except that a
/// control or bidi character is written as the regex escape `\x{HEX}`, which matches the same
/// character and is safe on a terminal.
pub(crate) fn write_regex(out: &mut String, source: &str, flags: &str) {
    out.push('/');
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push('\\');
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '/' => out.push_str("\\/"),
            c if needs_escape(c) => out.push_str(&format!("\\x{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('/');
    out.push_str(flags);
}
