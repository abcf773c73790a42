//! `read --json` and `list --json`: one message per line.

use serde::Serialize;

use super::Text;

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

/// One message of `list --json`: every field of `read --json`, then `origin`, `subject`, `from`.
#[derive(Debug, Serialize)]
pub struct ListJson {
    /// The `read --json` fields.
    #[serde(flatten)]
    pub message: MessageJson,
    /// Who sent it.
    pub origin: OriginJson,
    /// The decoded Subject, null when absent.
    pub subject: Option<Text>,
    /// The address in the From header, null when absent.
    pub from: Option<Text>,
}

/// The `origin` object of `list --json`.
#[derive(Debug, Serialize)]
pub struct OriginJson {
    /// `smtp-auth`, `smtp`, `local`, `bounce`, `alias` or `unknown`.
    pub kind: &'static str,
    /// SMTP client IP.
    pub ip: Option<Text>,
    /// HELO argument (when it differed from the host name).
    pub helo: Option<Text>,
    /// SMTP AUTH login.
    pub auth_user: Option<Text>,
    /// Where `auth_user` came from: `header` (the Received line) or `log` (`--log`); null
    /// without an AUTH user.
    pub auth_source: Option<&'static str>,
    /// Protocol word of the SMTP Received line (`ESMTPA`...).
    pub protocol: Option<Text>,
    /// Local uid that ran qmail-queue.
    pub uid: Option<u32>,
    /// That uid's name in the passwd the analysis uses (this host's only for this host's
    /// queue, else `--passwd`), null when it names none.
    pub user: Option<String>,
    /// PHP script from X-PHP-Originating-Script.
    pub script: Option<Text>,
}
