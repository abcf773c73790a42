//! Accounts: read vpopmail's password files read-only and find the accounts a spammer can use.
//!
//! The seeds all end the same way: the spam was sent with real credentials (`test`/`test`,
//! `test`/`12345`, `sales`, `postmaster`). This module reads every account
//! ([`vpasswd::read_vpopmail`]), applies the rules ([`rules::check`]) and says which rule matched
//! and what to do. It never returns a password or a hash: [`vpasswd::Secret`] is redacted in
//! `Debug` and not serializable, and [`AccountRisk`] holds only names, rule names and advice.
//! The CLI (`qtriage accounts`), the report and the TUI's accounts view all call [`assess`].
#![deny(clippy::unwrap_used)]

pub mod cdb;
pub mod fixture;
pub mod hashcheck;
pub mod lastauth;
pub mod rules;
pub mod vpasswd;

use std::path::{Path, PathBuf};

pub use rules::{check, AccountRisk, AccountsCheck, CheckOptions, PasswordCheck, Rule};
pub use vpasswd::{
    read_vpopmail, Account, ReadWarning, Secret, Source, VpopmailAccounts, DEFAULT_VPOPMAIL_DIR,
};

/// What stops the accounts check as a whole (a bad domain is only a [`ReadWarning`]).
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The directory has no `domains/` below it.
    #[error("{path}: not a vpopmail directory: no domains/ in it (set --vpopmail)")]
    NoDomainsDir {
        /// The vpopmail directory tried.
        path: PathBuf,
    },
    /// `domains/` could not be examined.
    #[error("{path}: {source}")]
    Io {
        /// The path being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// Everything one accounts run found: how much was read and the verdicts.
#[derive(Debug, Default)]
pub struct Assessment {
    /// Accounts read.
    pub accounts: usize,
    /// Domains read.
    pub domains: usize,
    /// Problems met while reading (the list may be incomplete when there are any).
    pub warnings: Vec<ReadWarning>,
    /// The verdicts.
    pub check: AccountsCheck,
}

/// Read the vpopmail tree at `vpopmail` and check every account: the one call the faces need.
pub fn assess(vpopmail: &Path, opts: &CheckOptions) -> Result<Assessment, AccountsError> {
    let read = read_vpopmail(vpopmail)?;
    let check = rules::check(&read.accounts, opts);
    Ok(Assessment {
        accounts: read.accounts.len(),
        domains: read.domains,
        warnings: read.warnings,
        check,
    })
}
