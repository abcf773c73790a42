//! The accounts view's data: the vpopmail accounts at risk, as the worker found them.
//!
//! Rows hold sanitized names, rule names and advice only: the accounts check never hands out a
//! password or a hash, and nothing here could carry one.

use super::ListPos;

/// One account at risk, ready to draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// The login, sanitized.
    pub account: String,
    /// The domain, sanitized.
    pub domain: String,
    /// The rules that matched, comma-separated (`password-is-login,role-account,culprit-top`).
    pub rules: String,
    /// The last login: `2026-11-23 10:55 82.128.32.42`, or `-`.
    pub last_auth: String,
    /// What to do.
    pub advice: String,
    /// `top` or the logs name it as a culprit.
    pub culprit: bool,
}

/// What one accounts check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountsListing {
    /// Accounts at risk, culprits first.
    pub rows: Vec<AccountRow>,
    /// `3 of 12 accounts in 2 domains at risk; 40 hash attempts`.
    pub summary: String,
    /// Why the check could not run (no vpopmail directory, ...), sanitized.
    pub error: Option<String>,
}

/// The accounts view.
#[derive(Debug, Clone, Default)]
pub struct AccountsView {
    /// The last check (`None`: being checked).
    pub listing: Option<AccountsListing>,
    /// Position.
    pub pos: ListPos,
}

impl AccountsView {
    /// Rows in the view.
    pub fn len(&self) -> usize {
        self.listing.as_ref().map_or(0, |l| l.rows.len())
    }

    /// No rows (not checked yet, or nothing at risk).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
