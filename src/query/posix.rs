//! POSIX regular expressions, as glibc's regcomp reads them in the C locale, translated to the
//! `regex` crate, for `qtriage remove -p` (qmail-remove compatibility, docs/qmail-format.md §6).
//!
//! Basic (BRE, the default): `\(` `\)` group, `\{m,n\}` repeat, `*` repeats except at the start
//! of an expression (where it is literal), `^` anchors only at the start and `$` only at the end
//! (of the pattern or of a group or alternative), and bare `( ) { } + ? |` are literals. The GNU
//! extensions `\| \+ \?` are operators, as in glibc. Extended (ERE, `-e`): the operators are
//! bare. In both, `[...]` is a POSIX bracket expression (backslash is literal inside, `]` first
//! is literal, `[:alpha:]` classes), `.` matches any byte including newline (no REG_NEWLINE),
//! and back-references (`\1`) are refused because the `regex` crate (linear time) has none.
//! Every literal byte is written as `\xHH`, so the pattern is matched as bytes, as in C.

use regex::bytes::{Regex, RegexBuilder};

use super::value::{REGEX_DFA_LIMIT, REGEX_SIZE_LIMIT};

/// Which POSIX syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Basic regular expressions (regcomp without REG_EXTENDED).
    Basic,
    /// Extended regular expressions (REG_EXTENDED).
    Extended,
}

/// A POSIX pattern that cannot be translated or compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid pattern at byte {offset}: {message}")]
pub struct PosixError {
    /// Byte offset in the pattern.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// glibc's RE_DUP_MAX: the largest count in an interval.
pub const RE_DUP_MAX: u32 = 0x7fff;

const CLASSES: [&str; 12] = [
    "alpha", "digit", "alnum", "upper", "lower", "space", "blank", "punct", "print", "graph",
    "cntrl", "xdigit",
];

fn fail(offset: usize, message: impl Into<String>) -> PosixError {
    PosixError {
        offset,
        message: message.into(),
    }
}

struct Translator<'a> {
    pat: &'a [u8],
    i: usize,
    out: String,
    flavor: Flavor,
    depth: usize,
    /// No atom yet in this expression: `*` is literal, `^` is an anchor (BRE).
    at_start: bool,
    /// Where the last atom starts in `out`, to group it when a second repetition follows.
    atom: Option<usize>,
    /// The last thing written was a repetition operator.
    repeated: bool,
}

fn lit(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() {
        out.push(b as char);
    } else {
        out.push_str(&format!("\\x{b:02X}"));
    }
}

impl Translator<'_> {
    fn atom(&mut self, text: &str) {
        self.atom = Some(self.out.len());
        self.out.push_str(text);
        self.at_start = false;
        self.repeated = false;
    }

    fn literal(&mut self, b: u8) {
        self.atom = Some(self.out.len());
        lit(&mut self.out, b);
        self.at_start = false;
        self.repeated = false;
    }

    /// A repetition operator; literal when there is nothing to repeat.
    fn repeat(&mut self, op: &str, b: u8) {
        let Some(start) = self.atom.filter(|_| !self.at_start) else {
            return self.literal(b);
        };
        if self.repeated {
            // `a**` and `a*\{2\}`: glibc repeats the repetition; the regex crate wants a group.
            self.out.insert_str(start, "(?:");
            self.out.push(')');
        }
        self.out.push_str(op);
        self.repeated = true;
    }

    fn open(&mut self) {
        self.out.push('(');
        self.depth += 1;
        self.at_start = true;
        self.atom = None;
        self.repeated = false;
    }

    fn close(&mut self, at: usize) -> Result<(), PosixError> {
        if self.depth == 0 {
            return match self.flavor {
                Flavor::Basic => Err(fail(at, "unmatched \\)")),
                Flavor::Extended => {
                    self.literal(b')');
                    Ok(())
                }
            };
        }
        self.depth -= 1;
        // The group as a whole is the atom a following repetition applies to.
        let start = find_group_start(&self.out);
        self.out.push(')');
        self.atom = start;
        self.at_start = false;
        self.repeated = false;
        Ok(())
    }

    fn alternate(&mut self) {
        self.out.push('|');
        self.at_start = true;
        self.atom = None;
        self.repeated = false;
    }

    /// `m`, `m,` or `m,n` then the closing brace (`\}` in BRE); `None` when not an interval.
    fn interval(&mut self) -> Option<String> {
        let rest = &self.pat[self.i..];
        let close: &[u8] = if self.flavor == Flavor::Basic {
            b"\\}"
        } else {
            b"}"
        };
        let end = rest.windows(close.len()).position(|w| w == close)?;
        let body = std::str::from_utf8(&rest[..end]).ok()?;
        let (m, n) = match body.split_once(',') {
            Some((m, n)) => (m, Some(n)),
            None => (body, None),
        };
        let num = |s: &str| -> Option<u32> {
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let m = num(m)?;
        let n = match n {
            None => Some(m),
            Some("") => None,
            Some(n) => Some(num(n)?),
        };
        if m > RE_DUP_MAX || n.is_some_and(|n| n > RE_DUP_MAX || n < m) {
            return None;
        }
        self.i += end + close.len();
        Some(match n {
            Some(n) if n == m => format!("{{{m}}}"),
            Some(n) => format!("{{{m},{n}}}"),
            None => format!("{{{m},}}"),
        })
    }

    fn escape(&mut self, at: usize) -> Result<(), PosixError> {
        let Some(&c) = self.pat.get(self.i) else {
            return Err(fail(at, "trailing backslash"));
        };
        self.i += 1;
        let basic = self.flavor == Flavor::Basic;
        match c {
            b'(' if basic => self.open(),
            b')' if basic => self.close(at)?,
            b'|' if basic => self.alternate(),
            b'+' if basic => self.repeat("+", c),
            b'?' if basic => self.repeat("?", c),
            b'{' if basic => match self.interval().filter(|_| !self.at_start && self.atom.is_some()) {
                Some(rep) => self.repeat(&rep, c),
                None => return Err(fail(at, "invalid \\{ \\} interval: expected \\{m\\}, \\{m,\\} or \\{m,n\\} after an atom")),
            },
            b'1'..=b'9' => return Err(fail(at, "back-references (\\1 to \\9) are not supported")),
            b'<' => self.atom("\\b{start}"),
            b'>' => self.atom("\\b{end}"),
            b'b' => self.atom("\\b"),
            b'B' => self.atom("\\B"),
            b'w' => self.atom("\\w"),
            b'W' => self.atom("\\W"),
            b's' => self.atom("\\s"),
            b'S' => self.atom("\\S"),
            b'`' => self.atom("\\A"),
            b'\'' => self.atom("\\z"),
            c => self.literal(c),
        }
        Ok(())
    }

    /// Is the `$` at `at` an anchor? In BRE only at the end of the pattern, a group or an
    /// alternative; in ERE always.
    fn dollar_anchors(&self, at: usize) -> bool {
        let rest = &self.pat[at + 1..];
        self.flavor == Flavor::Extended
            || rest.is_empty()
            || rest.starts_with(b"\\)")
            || rest.starts_with(b"\\|")
    }

    fn step(&mut self) -> Result<(), PosixError> {
        let at = self.i;
        let c = self.pat[at];
        self.i += 1;
        let ere = self.flavor == Flavor::Extended;
        match c {
            b'\\' => self.escape(at)?,
            b'[' => {
                let class = bracket(self.pat, &mut self.i, at)?;
                self.atom(&class);
            }
            b'.' => self.atom("."),
            b'*' => self.repeat("*", c),
            b'+' | b'?' if ere => self.repeat(if c == b'+' { "+" } else { "?" }, c),
            b'{' if ere && !self.at_start && self.atom.is_some() => match self.interval() {
                Some(rep) => self.repeat(&rep, c),
                None => self.literal(c),
            },
            b'(' if ere => self.open(),
            b')' if ere => self.close(at)?,
            b'|' if ere => self.alternate(),
            b'^' if ere || self.at_start => {
                self.out.push('^');
                // `^*` : the star is literal in BRE, as at the start.
                self.atom = None;
            }
            b'$' if self.dollar_anchors(at) => {
                self.out.push('$');
                self.atom = None;
            }
            c => self.literal(c),
        }
        Ok(())
    }
}

/// The index in `out` of the `(` that the `)` about to be written closes.
fn find_group_start(out: &str) -> Option<usize> {
    // Written parentheses are only ours: literals are `\xHH`, classes hold no bare parens
    // (their bytes are `\xHH` too), so counting bare parens from the end is exact.
    let bytes = out.as_bytes();
    let mut depth = 0usize;
    for i in (0..bytes.len()).rev() {
        let escaped = i > 0 && bytes[i - 1] == b'\\';
        match bytes[i] {
            b')' if !escaped => depth += 1,
            b'(' if !escaped => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    None
}

/// A bracket expression starting after `[` at `open`; advances `i` past the closing `]`.
fn bracket(pat: &[u8], i: &mut usize, open: usize) -> Result<String, PosixError> {
    let mut out = String::from("[");
    if pat.get(*i) == Some(&b'^') {
        out.push('^');
        *i += 1;
    }
    let mut first = true;
    loop {
        let Some(&c) = pat.get(*i) else {
            return Err(fail(open, "unmatched [: expected a closing ]"));
        };
        if c == b']' && !first {
            *i += 1;
            break;
        }
        first = false;
        if c == b'[' && matches!(pat.get(*i + 1), Some(b':' | b'=' | b'.')) {
            bracket_special(pat, i, &mut out)?;
            continue;
        }
        *i += 1;
        let range_end = match (pat.get(*i), pat.get(*i + 1)) {
            (Some(b'-'), Some(&d)) if d != b']' => Some(d),
            _ => None,
        };
        lit_class(&mut out, c);
        if let Some(d) = range_end {
            if d < c {
                return Err(fail(
                    *i - 1,
                    "invalid range in a bracket expression: the end is before the start",
                ));
            }
            *i += 2;
            out.push('-');
            lit_class(&mut out, d);
        }
    }
    out.push(']');
    Ok(out)
}

/// `[:class:]`, `[=c=]` or `[.c.]` at `i` inside a bracket expression; advances past it.
fn bracket_special(pat: &[u8], i: &mut usize, out: &mut String) -> Result<(), PosixError> {
    let kind = pat[*i + 1];
    let body_start = *i + 2;
    let end = pat[body_start..]
        .windows(2)
        .position(|w| w[0] == kind && w[1] == b']')
        .ok_or_else(|| {
            fail(
                *i,
                "unterminated [: :], [= =] or [. .] in a bracket expression",
            )
        })?;
    let body = &pat[body_start..body_start + end];
    *i = body_start + end + 2;
    if kind == b':' {
        let name = std::str::from_utf8(body).unwrap_or("");
        if !CLASSES.contains(&name) {
            return Err(fail(
                body_start,
                format!("unknown character class [:{name}:]"),
            ));
        }
        out.push_str(&format!("[:{name}:]"));
        return Ok(());
    }
    match body {
        [b] => {
            lit_class(out, *b);
            Ok(())
        }
        _ => Err(fail(
            body_start,
            "multi-character collating elements are not supported",
        )),
    }
}

fn lit_class(out: &mut String, b: u8) {
    out.push_str(&format!("\\x{b:02X}"));
}

/// Translate a POSIX pattern into `regex` crate syntax (bytes, no Unicode).
pub fn translate(pattern: &[u8], flavor: Flavor) -> Result<String, PosixError> {
    let mut t = Translator {
        pat: pattern,
        i: 0,
        out: String::with_capacity(pattern.len() * 4),
        flavor,
        depth: 0,
        at_start: true,
        atom: None,
        repeated: false,
    };
    while t.i < pattern.len() {
        t.step()?;
    }
    if t.depth > 0 {
        let what = if flavor == Flavor::Basic { "\\(" } else { "(" };
        return Err(fail(
            pattern.len(),
            format!("unmatched {what}: expected a closing one"),
        ));
    }
    Ok(t.out)
}

/// Compile a POSIX pattern for matching bytes the way regexec does (any byte, `.` matches a
/// newline, `^`/`$` only at the ends of the text); `ci` is REG_ICASE (ASCII, the C locale).
pub fn compile(pattern: &[u8], flavor: Flavor, ci: bool) -> Result<Regex, PosixError> {
    let re = translate(pattern, flavor)?;
    RegexBuilder::new(&re)
        .unicode(false)
        .dot_matches_new_line(true)
        .case_insensitive(ci)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
        .map_err(|e| {
            let text = e.to_string();
            let reason = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            fail(
                0,
                format!(
                    "{} (translated to {re})",
                    reason.trim_start_matches("error: ")
                ),
            )
        })
}

#[cfg(test)]
mod tests;
