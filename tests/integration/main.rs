//! The integration test binary: one module per area (ripgrep's layout).

mod accounts;
mod cli_clusters;
mod cli_read;
mod cli_stat;
mod cli_top;
mod logs;
mod report;
mod scan;
mod util;
