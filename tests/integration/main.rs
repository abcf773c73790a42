//! The integration test binary: one module per area (ripgrep's layout).

mod cli_read;
mod cli_stat;
mod scan;
mod tmux;
mod util;
