//! The `--json` wire types: serialize-only, one struct per documented JSON object (docs/cli.md),
//! one module per command; building them from the core's types is the printers' job.
//!
//! Strings that came from a message are [`Text`]: a JSON string when the bytes are UTF-8, else
//! an object `{"bytes": "<base64>"}`, so no byte is lost or altered.

pub mod actions;
pub mod check;
pub mod clusters;
pub mod decode_auth;
pub mod logins;
pub mod message;
pub mod mta;
pub mod plan;
pub mod watch;
pub mod yanked;

use base64::Engine;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// Message-derived bytes, serialized exactly.
#[derive(Debug, Clone)]
pub struct Text(pub std::sync::Arc<[u8]>);

impl Text {
    /// A path, exactly: `cd "$(jq -r .yank_dir)"` needs its bytes, and a queue under a
    /// directory whose name is not UTF-8 printed U+FFFD for them (script53).
    pub fn path(path: &std::path::Path) -> Text {
        use std::os::unix::ffi::OsStrExt;
        Text(path.as_os_str().as_bytes().into())
    }
}

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
