//! The integration test binary: one module per area (ripgrep's layout).

mod cli_read;
mod cli_stat;
mod flood;
mod scan;
mod util;
