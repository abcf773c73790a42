//! `logins --json`: one line per account, per IP and per log source (docs/cli.md "logins").

use crate::logs::guessing::{AccountSummary, IpSummary};
use crate::logs::SourceReport;

/// An account line (`"type":"account"`).
#[derive(serde::Serialize)]
pub struct AccountJson<'a> {
    /// Always `account`.
    pub r#type: &'static str,
    /// The account's figures.
    #[serde(flatten)]
    pub account: &'a AccountSummary,
    /// Its first failed login, RFC 3339 UTC.
    pub first_failure_at: Option<String>,
    /// Its first successful login, RFC 3339 UTC.
    pub first_success_at: Option<String>,
    /// The success that ended its guessing run, RFC 3339 UTC.
    pub guessed_success_at: Option<String>,
}

/// An IP line (`"type":"ip"`).
#[derive(serde::Serialize)]
pub struct IpJson<'a> {
    /// Always `ip`.
    pub r#type: &'static str,
    /// The IP's figures.
    #[serde(flatten)]
    pub ip: &'a IpSummary,
    /// Start of its burst of attempts, RFC 3339 UTC.
    pub burst_start_at: Option<String>,
}

/// A log source line (`"type":"source"`).
#[derive(serde::Serialize)]
pub struct SourceJson<'a> {
    /// Always `source`.
    pub r#type: &'static str,
    /// What was read from the source.
    #[serde(flatten)]
    pub source: &'a SourceReport,
}
