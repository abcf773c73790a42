//! Printers shared by the subcommands: qmail-style text and the --json wire types.

pub mod actions;
pub mod json;
pub mod list_json;
pub mod problems;
pub mod wrap;
