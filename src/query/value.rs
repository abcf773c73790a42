//! Values of terms: string matchers (exact, glob, regex) and numeric comparisons (`>2h`, `<5k`).
//!
//! Every string matcher is compiled once at parse time. Regexes use the `regex` crate, whose
//! matching time is linear in the input, with [`REGEX_SIZE_LIMIT`] bounding the compiled size,
//! so a hostile or careless pattern can neither hang nor exhaust memory.

use regex::bytes::{Regex, RegexBuilder};

use super::lexer::{write_plain, write_regex, Unit, ValueTok, NONE};

/// The most memory one compiled regex may use (the `regex` crate's `size_limit`).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// The most memory one regex's lazy DFA may use.
pub const REGEX_DFA_LIMIT: usize = 4 << 20;

/// How a matcher compares a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MatchMode {
    /// Case-insensitive exact and glob matching (addresses and domains).
    pub fold: bool,
    /// Search anywhere in the value instead of matching all of it (`body:`, `text:`).
    pub search: bool,
}

/// A value as the operator wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// Literal characters and glob wildcards; exact when there are no wildcards.
    Plain(Vec<Unit>),
    /// A regex and its `i` flag.
    Regex {
        /// The source.
        source: String,
        /// `/.../i`.
        ci: bool,
    },
}

#[derive(Debug, Clone)]
enum Compiled {
    /// Exact bytes (lowercased when folding).
    Exact(Vec<u8>),
    /// Searches and regexes.
    Regex(Regex),
    /// Globs: `text` for a value that is UTF-8 (by characters), `bytes` for one that is not.
    Glob { text: Regex, bytes: Regex },
}

/// A compiled string value.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pattern: Pattern,
    mode: MatchMode,
    compiled: Compiled,
}

impl Matcher {
    /// Does the value name an `@`: a login written with its domain, which a bare login under
    /// the default domain may be too (`auth:`).
    pub(crate) fn names_a_domain(&self) -> bool {
        match &self.pattern {
            Pattern::Plain(units) => units.contains(&super::lexer::Unit::Lit('@')),
            Pattern::Regex { source, .. } => source.contains('@'),
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern && self.mode == other.mode
    }
}
impl Eq for Matcher {}

fn build(pattern: &str, ci: bool) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .case_insensitive(ci)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(n) => {
                format!("pattern too big: it compiles to more than {n} bytes (fewer wildcards or repeats)")
            }
            e => {
                // The regex crate's message is several lines with its own caret; keep the reason.
                let text = e.to_string();
                let last = text
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                format!(
                    "invalid regex: {}",
                    last.trim().trim_start_matches("error: ")
                )
            }
        })
}

impl Matcher {
    /// Compile a plain value.
    pub fn plain(units: Vec<Unit>, mode: MatchMode) -> Result<Matcher, String> {
        let wild = units.iter().any(|u| !matches!(u, Unit::Lit(_)));
        let compiled = if !wild && !mode.search {
            let s: String = units
                .iter()
                .filter_map(|u| if let Unit::Lit(c) = u { Some(*c) } else { None })
                .collect();
            let bytes = if mode.fold {
                s.to_lowercase().into_bytes()
            } else {
                s.into_bytes()
            };
            Compiled::Exact(bytes)
        } else {
            // Two: a value that is UTF-8 is matched by characters (`?` one of them, as
            // docs/query.md says), one that is not by bytes, which the first never matched:
            // `sender:*@flood.example` selected none of 60 senders holding a raw Latin-1 byte,
            // and `not sender:*` all of them (hostile50), an attacker's way out of a query;
            // a byte-wise `?` in one regex for both took half a `é` (review50b).
            let glob = |star: &str, any: &str| {
                let mut re = String::from("(?s)");
                if !mode.search {
                    re.push_str("\\A(?:");
                }
                for u in &units {
                    match u {
                        Unit::Lit(c) => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                        Unit::Star => re.push_str(star),
                        Unit::Any => re.push_str(any),
                    }
                }
                if !mode.search {
                    re.push_str(")\\z");
                }
                build(&re, mode.fold)
            };
            Compiled::Glob {
                text: glob(".*", ".")?,
                bytes: glob("(?-u:.)*", r"(?:.|(?-u:[\x80-\xff]))")?,
            }
        };
        Ok(Matcher {
            pattern: Pattern::Plain(units),
            mode,
            compiled,
        })
    }

    /// Compile a regex value; `flags` may hold only `i`.
    pub fn regex(source: String, ci: bool, mode: MatchMode) -> Result<Matcher, String> {
        let compiled = Compiled::Regex(build(&source, ci)?);
        Ok(Matcher {
            pattern: Pattern::Regex { source, ci },
            mode,
            compiled,
        })
    }

    /// Compile a value token; errors say what was wrong (the caller adds the span).
    pub fn from_token(v: &ValueTok, mode: MatchMode) -> Result<Matcher, (String, bool)> {
        match v {
            ValueTok::Plain(units) => Matcher::plain(units.clone(), mode).map_err(|e| (e, false)),
            ValueTok::Regex { source, flags, .. } => {
                if let Some(bad) = flags.chars().find(|c| *c != 'i') {
                    return Err((
                        format!("unknown regex flag {bad:?}: expected i (case-insensitive)"),
                        true,
                    ));
                }
                Matcher::regex(source.clone(), !flags.is_empty(), mode).map_err(|e| (e, false))
            }
        }
    }

    /// Is it one exact value (no wildcard, regex or search), other than `(none)`: a value the
    /// operator stated, not a pattern many values match?
    pub fn is_exact(&self) -> bool {
        matches!(&self.compiled, Compiled::Exact(_)) && !self.matches_missing()
    }

    /// Does a message without the value match? Only `(none)` itself, the text `qtriage
    /// clusters` shows for it: a glob or a regex matches values, never their absence, as for
    /// every other field (`cluster:script=*` took a whole queue, real mail and all, where
    /// `script:*` took the script's 300 messages).
    pub fn matches_missing(&self) -> bool {
        matches!(&self.compiled, Compiled::Exact(want) if want.as_slice() == NONE.as_bytes())
    }

    /// Does `value` match?
    pub fn is_match(&self, value: &[u8]) -> bool {
        match &self.compiled {
            Compiled::Exact(want) if self.mode.fold => {
                want.eq_ignore_ascii_case(value) || {
                    // Non-ASCII case folding is rare in addresses; only then pay for it. Only
                    // text folds: a lossy conversion would make every byte that is not UTF-8
                    // U+FFFD, and one value match another's (review51).
                    !value.is_ascii()
                        && std::str::from_utf8(value)
                            .is_ok_and(|v| v.to_lowercase().as_bytes() == want)
                }
            }
            Compiled::Exact(want) => want == value,
            Compiled::Regex(re) => re.is_match(value),
            Compiled::Glob { text, bytes } => match std::str::from_utf8(value) {
                Ok(_) => text.is_match(value),
                Err(_) => bytes.is_match(value),
            },
        }
    }

    /// Write the value as query text.
    pub fn write(&self, out: &mut String) {
        match &self.pattern {
            Pattern::Plain(units) => write_plain(out, units),
            Pattern::Regex { source, ci } => write_regex(out, source, if *ci { "i" } else { "" }),
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=` or no operator.
    Eq,
}

/// What a number counts, which decides its units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantity {
    /// Seconds: `s m h d w`.
    Duration,
    /// Bytes: `k M G` (powers of 1024).
    Size,
    /// A plain count.
    Count,
}

impl Quantity {
    fn units(self) -> &'static [(&'static str, u64)] {
        match self {
            Quantity::Duration => &[
                ("w", 604_800),
                ("d", 86_400),
                ("h", 3_600),
                ("m", 60),
                ("s", 1),
            ],
            Quantity::Size => &[("G", 1 << 30), ("M", 1 << 20), ("k", 1 << 10)],
            Quantity::Count => &[],
        }
    }

    fn example(self) -> &'static str {
        match self {
            Quantity::Duration => "a duration like >2h, <30m or >=1d (units s m h d w)",
            Quantity::Size => "a size like <5k, >=1M or 2048 (units k M G, powers of 1024)",
            Quantity::Count => "a number like >10, <=3 or 1",
        }
    }
}

/// A numeric comparison (`>2h` is `Gt 7200`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cmp {
    /// The operator.
    pub op: CmpOp,
    /// The right-hand side in base units (seconds, bytes, count).
    pub value: u64,
}

impl Cmp {
    /// Parse `>=1M` and the like from a plain value.
    pub fn parse(v: &ValueTok, q: Quantity) -> Result<Cmp, String> {
        let expected = || format!("expected {}", q.example());
        let ValueTok::Plain(units) = v else {
            return Err(expected());
        };
        let mut text = String::new();
        for u in units {
            let Unit::Lit(c) = u else {
                return Err(expected());
            };
            text.push(*c);
        }
        let (op, rest) = [
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
            ("=", CmpOp::Eq),
        ]
        .iter()
        .find_map(|(p, op)| text.strip_prefix(p).map(|r| (*op, r)))
        .unwrap_or((CmpOp::Eq, text.as_str()));
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (num, suffix) = rest.split_at(digits);
        let n: u64 = num.parse().map_err(|_| expected())?;
        let mult = match suffix {
            "" => 1,
            s => q
                .units()
                .iter()
                .find(|(u, _)| *u == s || (q == Quantity::Size && u.eq_ignore_ascii_case(s)))
                .map(|(_, m)| *m)
                .ok_or_else(expected)?,
        };
        let value = n
            .checked_mul(mult)
            .ok_or_else(|| format!("number too large: {text}"))?;
        Ok(Cmp { op, value })
    }

    /// Does `x` satisfy the comparison?
    pub fn holds(self, x: u64) -> bool {
        match self.op {
            CmpOp::Lt => x < self.value,
            CmpOp::Le => x <= self.value,
            CmpOp::Gt => x > self.value,
            CmpOp::Ge => x >= self.value,
            CmpOp::Eq => x == self.value,
        }
    }

    /// Write as query text in the largest unit that divides the value exactly.
    pub fn write(self, out: &mut String, q: Quantity) {
        out.push_str(match self.op {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "",
        });
        let unit = q
            .units()
            .iter()
            .find(|(_, m)| self.value != 0 && self.value.is_multiple_of(*m));
        match unit {
            Some((u, m)) => out.push_str(&format!("{}{u}", self.value / m)),
            None => out.push_str(&self.value.to_string()),
        }
    }
}
