//! Tokens to the query AST: `or` of `and`s of (possibly negated) terms and groups.
//!
//! Grammar (precedence `not` > `and` > `or`; juxtaposition is `and`):
//! ```text
//! query   := or?
//! or      := and ("or" and)*
//! and     := unary (("and")? unary)*
//! unary   := ("not" | "!") unary | "(" or ")" | term
//! ```
//! Every error carries the span of the token at fault and says what was expected there.
//! Nesting is bounded by [`MAX_DEPTH`], terms by [`MAX_TERMS`] and text by [`MAX_QUERY_LEN`].

use std::ops::Range;

use super::lexer::{tokenize, Token, TokenKind};
use super::term::{build, Term};
use super::QueryError;

/// The longest query text accepted, in bytes.
pub const MAX_QUERY_LEN: usize = 16 * 1024;
/// The deepest nesting of parentheses and `not`.
pub const MAX_DEPTH: usize = 64;
/// The most terms in one query (each may compile a regex).
pub const MAX_TERMS: usize = 256;

/// A query expression. `And` never directly holds an `And`, nor `Or` an `Or` (they are
/// flattened), and neither holds fewer than two items, so equal meaning written with different
/// grouping parses to one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    /// All must match.
    And(Vec<Expr>),
    /// Any must match.
    Or(Vec<Expr>),
    /// Must not match.
    Not(Box<Expr>),
    /// One predicate.
    Term(Term),
}

impl Expr {
    fn and(items: Vec<Expr>) -> Expr {
        Expr::joined(items, true)
    }
    fn or(items: Vec<Expr>) -> Expr {
        Expr::joined(items, false)
    }
    fn joined(items: Vec<Expr>, is_and: bool) -> Expr {
        let mut flat = Vec::with_capacity(items.len());
        for e in items {
            match e {
                Expr::And(inner) if is_and => flat.extend(inner),
                Expr::Or(inner) if !is_and => flat.extend(inner),
                e => flat.push(e),
            }
        }
        match (flat.len(), is_and) {
            (1, _) => flat.pop().unwrap_or(Expr::And(Vec::new())),
            (_, true) => Expr::And(flat),
            (_, false) => Expr::Or(flat),
        }
    }

    /// Write as canonical query text.
    pub fn write(&self, out: &mut String) {
        self.write_with(out, false, &mut |t, _, out| t.write(out));
    }

    /// Write as canonical query text, each term by `term` (given whether it is under a `not`).
    pub fn write_with(&self, out: &mut String, negated: bool, term: &mut WriteTerm<'_>) {
        match self {
            Expr::Term(t) => term(t, negated, out),
            Expr::Not(e) => {
                out.push_str("not ");
                let group = |e: &Expr| matches!(e, Expr::And(_) | Expr::Or(_));
                e.write_grouped(out, group, true, term);
            }
            Expr::And(items) => {
                let group = |e: &Expr| matches!(e, Expr::Or(_));
                Expr::write_list(out, items, " ", group, negated, term)
            }
            Expr::Or(items) => Expr::write_list(out, items, " or ", |_| false, negated, term),
        }
    }

    fn write_list(
        out: &mut String,
        items: &[Expr],
        sep: &str,
        group: fn(&Expr) -> bool,
        negated: bool,
        term: &mut WriteTerm<'_>,
    ) {
        for (i, e) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            e.write_grouped(out, group, negated, term);
        }
    }

    fn write_grouped(
        &self,
        out: &mut String,
        group: fn(&Expr) -> bool,
        negated: bool,
        term: &mut WriteTerm<'_>,
    ) {
        if group(self) {
            out.push('(');
            self.write_with(out, negated, term);
            out.push(')');
        } else {
            self.write_with(out, negated, term);
        }
    }

    /// Visit every term.
    pub fn terms(&self, f: &mut dyn FnMut(&Term)) {
        match self {
            Expr::Term(t) => f(t),
            Expr::Not(e) => e.terms(f),
            Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| e.terms(f)),
        }
    }
}

/// How [`Expr::write_with`] writes a term: the term, whether it is under a `not`, the text.
pub(crate) type WriteTerm<'a> = dyn FnMut(&Term, bool, &mut String) + 'a;

fn err(span: Range<usize>, message: impl Into<String>) -> QueryError {
    QueryError {
        span,
        message: message.into(),
    }
}

fn describe(kind: &TokenKind) -> &'static str {
    match kind {
        TokenKind::LParen => "'('",
        TokenKind::RParen => "')'",
        TokenKind::Not => "'not'",
        TokenKind::And => "'and'",
        TokenKind::Or => "'or'",
        TokenKind::Bare(_) | TokenKind::Term(_) => "a term",
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    terms: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&TokenKind> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&TokenKind::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(Expr::or(items))
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(TokenKind::And) => self.pos += 1,
                Some(
                    TokenKind::Term(_) | TokenKind::Bare(_) | TokenKind::LParen | TokenKind::Not,
                ) => {}
                _ => break,
            }
            items.push(self.unary()?);
        }
        Ok(Expr::and(items))
    }

    fn enter(&mut self, span: &Range<usize>) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                span.clone(),
                format!("too deeply nested: at most {MAX_DEPTH} levels of ( ) and not"),
            ));
        }
        Ok(())
    }

    /// A missing term: say what it was expected after.
    fn missing(&self, at: Option<&Token>) -> QueryError {
        let prev = self.pos.checked_sub(1).and_then(|i| self.tokens.get(i));
        let after = prev.map_or(String::new(), |p| format!(" after {}", describe(&p.kind)));
        match at {
            None => err(
                self.end..self.end,
                format!("expected a term{after}, found the end of the query"),
            ),
            Some(t)
                if t.kind == TokenKind::RParen
                    && prev.is_some_and(|p| p.kind == TokenKind::LParen) =>
            {
                err(t.span.clone(), "expected a term inside ( )")
            }
            Some(t) => err(
                t.span.clone(),
                format!("expected a term{after}, found {}", describe(&t.kind)),
            ),
        }
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let Some(tok) = self.tokens.get(self.pos).cloned() else {
            return Err(self.missing(None));
        };
        match tok.kind {
            TokenKind::Not => {
                self.pos += 1;
                self.enter(&tok.span)?;
                let e = self.unary()?;
                self.depth -= 1;
                Ok(Expr::Not(Box::new(e)))
            }
            TokenKind::LParen => {
                self.pos += 1;
                self.enter(&tok.span)?;
                let e = self.or()?;
                if self.peek() != Some(&TokenKind::RParen) {
                    return Err(err(tok.span, "expected ')' to close this '('"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(e)
            }
            TokenKind::RParen | TokenKind::And | TokenKind::Or => Err(self.missing(Some(&tok))),
            TokenKind::Bare(word) => {
                if word.eq_ignore_ascii_case("bouncing") {
                    self.pos += 1;
                    return self.count(Term::Bouncing(true), &tok.span);
                }
                if word.eq_ignore_ascii_case("restored") {
                    self.pos += 1;
                    return self.count(Term::Restored(true), &tok.span);
                }
                if word.eq_ignore_ascii_case("reply-elsewhere") {
                    self.pos += 1;
                    return self.count(Term::ReplyElsewhere(true), &tok.span);
                }
                // A number is an id pasted from qmail-qread or `list` (newuser59).
                let hint = match word.bytes().all(|b| b.is_ascii_digit()) {
                    true => format!("for the message with that id write id:{word}"),
                    false => format!("to search the whole message write text:{word}"),
                };
                Err(err(
                    tok.span,
                    format!(
                        "expected field:value, found the bare word {} ({hint})",
                        crate::sanitize::quoted(&word)
                    ),
                ))
            }
            TokenKind::Term(t) => {
                self.pos += 1;
                self.count(build(&t)?, &tok.span)
            }
        }
    }

    fn count(&mut self, term: Term, span: &Range<usize>) -> Result<Expr, QueryError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(err(
                span.clone(),
                format!("too many terms: at most {MAX_TERMS}"),
            ));
        }
        Ok(Expr::Term(term))
    }
}

/// Parse query text; `None` for an empty query.
pub(crate) fn parse(text: &str) -> Result<Option<Expr>, QueryError> {
    if text.len() > MAX_QUERY_LEN {
        return Err(err(
            MAX_QUERY_LEN..text.len(),
            format!("query too long: at most {MAX_QUERY_LEN} bytes"),
        ));
    }
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        terms: 0,
        end: text.len(),
    };
    let e = p.or()?;
    if let Some(t) = p.tokens.get(p.pos) {
        return Err(err(
            t.span.clone(),
            "unexpected ')': there is no '(' to close",
        ));
    }
    Ok(Some(e))
}
