//! Query: the one language for selecting messages, shared by the CLI and the TUI.
//!
//! SKELETON: only `field:value` terms ANDed, fields `id sender ip auth origin`, exact and
//! case-insensitive. The full language (docs/query.md) replaces this; the public API below is
//! the contract the CLI, actions, watcher and TUI code against.
#![deny(clippy::unwrap_used)]

use std::ops::Range;
use std::sync::atomic::AtomicU64;

use crate::queue::{Interner, MessageRecord, Queue};

/// A query that failed to parse, with the byte span of the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {})", span.start + 1)]
pub struct QueryError {
    /// Byte range in the query text.
    pub span: Range<usize>,
    /// What was expected.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: String,
    value: String,
}

/// A parsed query. The empty query selects every message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    terms: Vec<Term>,
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
}

const FIELDS: [&str; 5] = ["id", "sender", "ip", "auth", "origin"];

impl Query {
    /// Parse query text.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let mut terms = Vec::new();
        let mut pos = 0;
        for word in text.split(' ') {
            let start = pos;
            pos += word.len() + 1;
            if word.is_empty() {
                continue;
            }
            let Some((field, value)) = word.split_once(':') else {
                return Err(QueryError {
                    span: start..start + word.len(),
                    message: "expected field:value".into(),
                });
            };
            if !FIELDS.contains(&field) {
                return Err(QueryError {
                    span: start..start + field.len(),
                    message: format!("unknown field {field:?}"),
                });
            }
            terms.push(Term {
                field: field.into(),
                value: value.to_ascii_lowercase(),
            });
        }
        Ok(Query { terms })
    }

    /// True for the empty query.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Does evaluating it read message files (`header:`, `body:`, `text:`)?
    pub fn needs_files(&self) -> bool {
        false
    }

    /// Does `r` match? (Fields that read files read them here.)
    pub fn matches(&self, ctx: &QueryContext<'_>, r: &MessageRecord) -> bool {
        let text =
            |s: Option<crate::queue::Sym>| s.map(|s| ctx.strings.text(s).to_ascii_lowercase());
        self.terms.iter().all(|t| match t.field.as_str() {
            "id" => r.id.0.to_string() == t.value,
            "sender" => text(r.sender).as_deref() == Some(t.value.as_str()),
            "ip" => text(r.origin.ip).as_deref() == Some(t.value.as_str()),
            "auth" => text(r.origin.auth_user).as_deref() == Some(t.value.as_str()),
            "origin" => r.origin.kind.name() == t.value,
            _ => false,
        })
    }
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .terms
            .iter()
            .map(|t| format!("{}:{}", t.field, t.value))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

/// Indices of the records `query` selects, in record order. `progress` (if given) counts
/// records evaluated, for fields that read files.
pub fn select(
    query: &Query,
    ctx: &QueryContext<'_>,
    records: &[MessageRecord],
    progress: Option<&AtomicU64>,
) -> Vec<usize> {
    let _ = progress;
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| query.matches(ctx, r))
        .map(|(i, _)| i)
        .collect()
}
