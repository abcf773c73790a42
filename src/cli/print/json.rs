//! Build the `read --json` objects from records and write JSON lines; the wire types
//! themselves are in [`crate::cli::wire`].

use serde::Serialize;

pub use crate::cli::wire::message::{MessageJson, ProblemJson, RecipientJson};
pub use crate::cli::wire::Text;
use crate::queue::date::rfc3339;
use crate::queue::{Interner, MessageRecord, Problem, RecipientList, Sym};

/// Resolve an optional symbol to wire text.
pub fn text(strings: &Interner, sym: Option<Sym>) -> Option<Text> {
    sym.map(|s| Text(strings.resolve(s)))
}

impl From<&Problem> for ProblemJson {
    fn from(p: &Problem) -> Self {
        ProblemJson {
            kind: p.kind.name(),
            part: p.part.name(),
        }
    }
}

impl MessageJson {
    /// Build from a record.
    /// Build from a record and its recipients (read from its envelope files:
    /// [`crate::queue::RecipientReader`]).
    pub fn new(r: &MessageRecord, rcpts: &RecipientList, strings: &Interner) -> MessageJson {
        MessageJson {
            id: r.id.0,
            queued: r.birth().map(rfc3339),
            size: u64::from(r.size),
            sender: text(strings, r.sender),
            recipients: rcpts
                .iter()
                .map(|rc| RecipientJson {
                    address: Text(std::sync::Arc::from(rc.address)),
                    channel: rc.channel.name(),
                    done: rc.done,
                })
                .collect(),
            state: r.state.name(),
            bouncing: r.is_bouncing(),
            problems: r.problems.iter().map(ProblemJson::from).collect(),
        }
    }
}

/// Write one JSON value and a newline, safe for a terminal
/// ([`crate::sanitize::json_for_terminals`]).
pub fn write_line<W: std::io::Write + ?Sized, T: Serialize>(
    out: &mut W,
    v: &T,
) -> std::io::Result<()> {
    let json = serde_json::to_string(v)?;
    out.write_all(crate::sanitize::json_for_terminals(&json).as_bytes())?;
    out.write_all(b"\n")
}
