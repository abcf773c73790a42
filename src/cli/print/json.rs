//! --json wire types: serialize-only, one struct per documented JSON object (docs/cli.md).
//!
//! Strings that came from a message are [`Text`]: a JSON string when the bytes are UTF-8, else
//! an object `{"bytes": "<base64>"}`, so no byte is lost or altered.

use base64::Engine;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::queue::date::rfc3339;
use crate::queue::{Interner, MessageRecord, Problem, RecipientList, Sym};

/// Message-derived bytes, serialized exactly.
#[derive(Debug, Clone)]
pub struct Text(pub std::sync::Arc<[u8]>);

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(&self.0) {
            Ok(t) => s.serialize_str(t),
            Err(_) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(
                    "bytes",
                    &base64::engine::general_purpose::STANDARD.encode(&self.0),
                )?;
                m.end()
            }
        }
    }
}

/// Resolve an optional symbol to wire text.
pub fn text(strings: &Interner, sym: Option<Sym>) -> Option<Text> {
    sym.map(|s| Text(strings.resolve(s)))
}

/// One recipient of `read --json`.
#[derive(Debug, Serialize)]
pub struct RecipientJson {
    /// The address.
    pub address: Text,
    /// `local`, `remote` or `todo`.
    pub channel: &'static str,
    /// A `D` record.
    pub done: bool,
}

/// One problem.
#[derive(Debug, Serialize)]
pub struct ProblemJson {
    /// The kind (`symlink`, `truncated-envelope`, ...).
    pub kind: &'static str,
    /// The file (`mess`, `info`, ...).
    pub part: &'static str,
}

impl From<&Problem> for ProblemJson {
    fn from(p: &Problem) -> Self {
        ProblemJson {
            kind: p.kind.name(),
            part: p.part.name(),
        }
    }
}

/// One message of `read --json`.
#[derive(Debug, Serialize)]
pub struct MessageJson {
    /// The id.
    pub id: u64,
    /// Birth time, RFC 3339 UTC; null when unknown.
    pub queued: Option<String>,
    /// Size of the mess file.
    pub size: u64,
    /// Envelope sender (`""` is `<>`), null when unknown.
    pub sender: Option<Text>,
    /// Recipients.
    pub recipients: Vec<RecipientJson>,
    /// Life-cycle state.
    pub state: &'static str,
    /// bounce/ exists.
    pub bouncing: bool,
    /// Problems found.
    pub problems: Vec<ProblemJson>,
}

impl MessageJson {
    /// Build from a record.
    /// Build from a record and its recipients (read from its envelope files:
    /// [`crate::queue::RecipientReader`]).
    pub fn new(r: &MessageRecord, rcpts: &RecipientList, strings: &Interner) -> MessageJson {
        MessageJson {
            id: r.id.0,
            queued: r.birth().map(rfc3339),
            size: r.size,
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

/// Write one JSON value and a newline.
pub fn write_line<W: std::io::Write + ?Sized, T: Serialize>(
    out: &mut W,
    v: &T,
) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, v)?;
    out.write_all(b"\n")
}
