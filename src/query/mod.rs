//! Query: the one language for selecting messages, shared by the CLI and the TUI (docs/query.md).
//!
//! `auth:test ip:86.107.221.0/24 or (origin:local script:*mailer.php) not bouncing`: terms
//! `field:value` joined by `and` (implied), `or`, `not`/`!` and parentheses. The text is lexed
//! ([`lexer`]) into tokens with byte spans, parsed ([`parser`]) into an expression of terms
//! ([`term`]) whose values are compiled once ([`value`]), and evaluated ([`eval`]) over records,
//! reading message files ([`files`]) only for `header:`, `body:` and `text:`.
#![deny(clippy::unwrap_used)]

pub mod files;
mod lexer;
mod parser;
pub mod posix;
mod term;
pub mod value;

mod eval;
pub mod yanked;

use std::ops::Range;
use std::sync::atomic::AtomicU64;

use crate::actions::Restored;
use crate::queue::{Interner, MessageRecord, Queue};

pub use eval::{BODY_CAP, TEXT_CAP};
pub(crate) use lexer::{byte_pattern, push_char, write_regex};
pub use parser::{MAX_DEPTH, MAX_QUERY_LEN, MAX_TERMS};
pub use term::FIELDS;

/// A query that failed to parse, with the byte span of the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {})", span.start + 1)]
pub struct QueryError {
    /// Byte range in the query text.
    pub span: Range<usize>,
    /// What was expected.
    pub message: String,
}

/// A parsed query. The empty query selects every message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    expr: Option<parser::Expr>,
}

/// What evaluating a query may need besides the record.
#[derive(Debug, Clone, Copy)]
pub struct QueryContext<'a> {
    /// The queue, for fields that read message files.
    pub queue: &'a Queue,
    /// The interner the records' symbols belong to.
    pub strings: &'a Interner,
    /// "Now", unix seconds, for `age:` (injected so tests are stable).
    pub now: i64,
    /// The messages the operator restored from the yank area, for `restored:`
    /// ([`Restored::none`] for records that are not the queue's).
    pub restored: &'a Restored,
}

impl Query {
    /// Parse query text. Errors carry the span of the offending token and say what was
    /// expected there; [`render_error`] shows them under the text.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        Ok(Query {
            expr: parser::parse(text)?,
        })
    }

    /// True for the empty query (it selects everything).
    pub fn is_empty(&self) -> bool {
        self.expr.is_none()
    }

    /// Does evaluating it read message files (`header:`, `body:`, `text:`)?
    pub fn needs_files(&self) -> bool {
        let mut yes = false;
        if let Some(e) = &self.expr {
            e.terms(&mut |t| yes |= t.needs_file());
        }
        yes
    }

    /// May evaluating it read envelope files (an `rcpt:` term: the records keep only the first
    /// recipient, `queue::RecipientSummary`)?
    pub fn needs_envelopes(&self) -> bool {
        let mut yes = false;
        if let Some(e) = &self.expr {
            e.terms(&mut |t| yes |= matches!(t, term::Term::Rcpt(_)));
        }
        yes
    }

    /// Has it a `restored:` term (whose answer needs the yank area's journals:
    /// [`Restored::in_queue`])?
    pub fn needs_restored(&self) -> bool {
        let mut yes = false;
        if let Some(e) = &self.expr {
            e.terms(&mut |t| yes |= matches!(t, term::Term::Restored(_)));
        }
        yes
    }

    /// Has it a `cluster:`, `bounce-of:` or `remote-rcpts:` term (whose values need an
    /// analysis' tables and context: AUTH logins are keyed by account, and this server's
    /// domains are the context's)?
    pub fn needs_tables(&self) -> bool {
        let mut yes = false;
        if let Some(e) = &self.expr {
            e.terms(&mut |t| yes |= t.needs_tables());
        }
        yes
    }

    /// Has it a term whose values need the tables built from the whole queue: a
    /// `cluster:sender-pattern=` or `bounce-of:sender-pattern=` term (the sender-pattern
    /// table)?
    pub fn needs_queue_tables(&self) -> bool {
        let mut yes = false;
        if let Some(e) = &self.expr {
            e.terms(&mut |t| yes |= t.needs_queue_tables());
        }
        yes
    }

    /// The cluster keys its terms test, each once, in the order they are written
    /// (`auth:test or ip:1.2.3.4` is auth-user, origin-ip).
    pub fn cluster_keys(&self) -> Vec<crate::analysis::key::ClusterKey> {
        let mut keys = Vec::new();
        if let Some(e) = &self.expr {
            e.terms(&mut |t| {
                if let Some(k) = t.cluster_key().filter(|k| !keys.contains(k)) {
                    keys.push(k);
                }
            });
        }
        keys
    }

    /// The cluster keys whose one exact value it states for every message it selects: the
    /// keys of its positive terms at the top (alone, or joined by `and`) with a literal value
    /// (`script:x.php from:a@b.example` is script, from). A term under `not` or in one branch
    /// of an `or` states nothing of every message, nor does a glob or a regex: the report
    /// names only what the operator's selection stated (review57b).
    pub fn stated_keys(&self) -> Vec<crate::analysis::key::ClusterKey> {
        let top: &[parser::Expr] = match &self.expr {
            Some(parser::Expr::And(items)) => items,
            Some(e @ parser::Expr::Term(_)) => std::slice::from_ref(e),
            _ => &[],
        };
        let mut keys = Vec::new();
        for e in top {
            if let parser::Expr::Term(t) = e {
                keys.extend(t.states_key().filter(|k| !keys.contains(k)));
            }
        }
        keys
    }

    /// Its canonical text with the values of the terms under a `not` withheld
    /// (`auth:test not from:(withheld)`), when it has any: what an
    /// operator kept out of a yank is real mail, whose address a report sent to a blacklist
    /// must not carry (review57b). `None` when nothing is withheld: the text stays as typed.
    pub fn withholding_negated(&self) -> Option<String> {
        let expr = self.expr.as_ref()?;
        let (mut text, mut withheld) = (String::new(), false);
        expr.write_with(&mut text, false, &mut |t, negated, out| match t
            .withheld()
            .filter(|_| negated)
        {
            Some(w) => {
                withheld = true;
                out.push_str(&w);
            }
            None => t.write(out),
        });
        withheld.then_some(text)
    }

    /// Does `r` match? Terms that need the message file read it here, only when the record's
    /// own fields cannot decide.
    pub fn matches(&self, ctx: &QueryContext<'_>, r: &MessageRecord) -> bool {
        match &self.expr {
            None => true,
            Some(e) => eval::matches(&eval::Program::new(e), ctx, r),
        }
    }
}

impl std::fmt::Display for Query {
    /// The canonical text: it parses back to an equal query.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        if let Some(e) = &self.expr {
            e.write(&mut out);
        }
        f.write_str(&out)
    }
}

/// Indices of the records `query` selects, in record order.
///
/// Record fields are evaluated in parallel with one cache per term and thread, so a string
/// predicate runs once per distinct interned string, not once per message. Messages the record
/// cannot decide (`header:`, `body:`, `text:`) then have their files read, in parallel.
/// `progress` (if given) is increased by one per record decided, reaching `records.len()`.
pub fn select(
    query: &Query,
    ctx: &QueryContext<'_>,
    records: &[MessageRecord],
    progress: Option<&AtomicU64>,
) -> Vec<usize> {
    select_with(query, ctx, records, progress, None)
}

/// [`select`], with `cluster:` terms valued by an analysis' `tables` (its sender patterns and
/// context: [`crate::analysis::Analysis::tables`], [`crate::analysis::Basis::tables`]), so they
/// select exactly that analysis' clusters. Without, the tables are built from `records` and
/// the queue's control files as an analysis of them would.
pub fn select_with(
    query: &Query,
    ctx: &QueryContext<'_>,
    records: &[MessageRecord],
    progress: Option<&AtomicU64>,
    tables: Option<crate::analysis::KeyTables<'_>>,
) -> Vec<usize> {
    match &query.expr {
        None => {
            if let Some(p) = progress {
                p.fetch_add(records.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
            (0..records.len()).collect()
        }
        Some(e) => eval::select(&eval::Program::new(e), ctx, records, progress, tables),
    }
}

/// Render a query error for a person: the message, then the query text with a caret line under
/// the offending span. The query text is sanitized (it may have been pasted from a message).
pub fn render_error(query_text: &str, err: &QueryError) -> String {
    use crate::sanitize::sanitize_str;
    let clamp = |i: usize| {
        let mut i = i.min(query_text.len());
        while !query_text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (start, end) = (
        clamp(err.span.start),
        clamp(err.span.end).max(clamp(err.span.start)),
    );
    // A query of 16 KiB is echoed around its error only, `…` where cut: one stderr line of
    // 16 KiB hid the caret (the hostile-input audit).
    let byte_after =
        |s: &str, chars: usize| s.char_indices().nth(chars).map_or(s.len(), |(i, _)| i);
    let pre = &query_text[..start];
    let lo = pre
        .char_indices()
        .rev()
        .nth(ERROR_CONTEXT)
        .map_or(0, |(i, _)| i);
    let span_end = start + byte_after(&query_text[start..end], ERROR_CONTEXT);
    let hi = span_end + byte_after(&query_text[span_end..], ERROR_CONTEXT);
    let (open, close) = (
        if lo > 0 { "…" } else { "" },
        if hi < query_text.len() { "…" } else { "" },
    );
    let before = sanitize_str(&query_text[lo..start]);
    let span = sanitize_str(&query_text[start..span_end]);
    let after = sanitize_str(&query_text[span_end..hi]);
    // Terminal columns, not characters: after a wide (CJK) or combining character the caret
    // stood off its place where the TUI's stood right (review51).
    use unicode_width::UnicodeWidthStr;
    format!(
        "invalid query: {}\n  {open}{before}{span}{after}{close}\n  {}{}",
        err.message,
        " ".repeat(open.width() + before.width()),
        "^".repeat(span.width().max(1))
    )
}

/// Characters of a query shown before its error, of the error's span, and after it.
const ERROR_CONTEXT: usize = 60;

#[cfg(test)]
mod tests;
