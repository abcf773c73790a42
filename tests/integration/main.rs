//! The integration test binary: one module per area (ripgrep's layout).

mod accounts;
mod cli_read;
mod cli_stat;
mod report;
mod scan;
mod util;
mod logs;
