//! qtriage: triage a flooded qmail queue: read it, attribute and cluster its messages, act safely.
//!
//! The core (`queue`, `analysis`, ...) knows nothing of terminals; the CLI (`cli`) and the TUI
//! (`tui`, behind the default `tui` feature) are two faces over it.

// Two `unsafe` blocks in all: `cli::memory`'s mallopt calls, allowed where they stand.
#![deny(unsafe_code)]

pub mod accounts;
pub mod actions;
pub mod analysis;
pub mod cli;
pub mod fixture;
pub mod inspect;
pub mod query;
pub mod queue;
pub mod report;
pub mod sanitize;
pub mod size;
pub mod text;
#[cfg(feature = "tui")]
pub mod tui;
pub mod watch;

pub use queue::error::{Error, Result};
pub mod logs;
