//! `decode-auth --json`: every AUTH exchange of an SMTP transcript.

use serde::Serialize;

use super::Text;

/// One AUTH exchange of `decode-auth --json`.
#[derive(Debug, Serialize)]
pub struct AuthExchangeJson {
    /// Line of the `AUTH` command (1-based).
    pub line: usize,
    /// `LOGIN` or `PLAIN`.
    pub mechanism: Option<&'static str>,
    /// The decoded user name, exact bytes; null when not seen.
    pub user: Option<Text>,
    /// A password was sent.
    pub password_seen: bool,
    /// The decoded password with `--show-passwords`, else null.
    pub password: Option<Text>,
    /// The server's final reply code; null when not seen.
    pub reply: Option<u16>,
    /// 2xx: true, 4xx/5xx: false, null when no reply was seen.
    pub success: Option<bool>,
}

/// `decode-auth --json`: every exchange found.
#[derive(Debug, Serialize)]
pub struct DecodeAuthJson {
    /// The exchanges, in transcript order.
    pub exchanges: Vec<AuthExchangeJson>,
}
