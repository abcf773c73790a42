//! The integration test binary: one module per area (ripgrep's layout).

mod actions;
mod cli_read;
mod cli_stat;
mod crash;
mod lock;
mod scan;
mod tree;
mod util;
