//! `mta --json`: qmail-send's state (docs/cli.md "mta").

/// `mta --json`: is qmail-send running, and which process holds its lock.
#[derive(serde::Serialize)]
pub struct StatusJson<'a> {
    /// Is lock/sendmutex held?
    pub running: bool,
    /// The holder's pid, when /proc shows it.
    pub pid: Option<u32>,
    /// The holder's command name.
    pub comm: Option<&'a str>,
}
