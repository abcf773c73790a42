//! The integration test binary: one module per area (ripgrep's layout).

mod accounts;
mod actions;
mod cli_clusters;
mod cli_list;
mod cli_read;
mod cli_remove;
mod cli_stat;
mod cli_top;
mod contract;
mod crash;
mod flood;
mod hostile;
mod hostile_harness;
mod hostile_vanish;
mod incident;
mod lock;
mod log_top;
mod logs;
mod report;
mod scan;
mod tmux;
mod tmux_after;
mod tmux_hostile;
mod tree;
mod util;
mod watch;
