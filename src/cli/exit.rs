//! ExitCode: the documented exit statuses of every command (docs/cli.md "Exit codes").

/// How qtriage exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The command did what was asked.
    Success,
    /// The command ran, and the answer is "no" (nothing matched, an alert fired, something
    /// was refused for a message).
    NoMatch,
    /// An error: bad arguments, unreadable queue, lock held, I/O failure.
    Error,
}

impl From<ExitCode> for i32 {
    fn from(c: ExitCode) -> i32 {
        match c {
            ExitCode::Success => 0,
            ExitCode::NoMatch => 1,
            ExitCode::Error => 2,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> std::process::ExitCode {
        std::process::ExitCode::from(i32::from(c) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ripgrep_like() {
        assert_eq!(i32::from(ExitCode::Success), 0);
        assert_eq!(i32::from(ExitCode::NoMatch), 1);
        assert_eq!(i32::from(ExitCode::Error), 2);
    }
}
