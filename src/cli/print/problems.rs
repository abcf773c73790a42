//! Warnings about what a scan could not list, on stderr.

use crate::queue::ScanReport;
use crate::sanitize::sanitize_str;

/// At most this many unlisted directories are named one by one (a hostile tree could have many).
pub const MAX_DIR_WARNINGS: usize = 32;

/// Warn on stderr about queue directories the scan could not list (missing, a symlink — never
/// followed — or unreadable): their messages are missing from everything the command prints.
pub fn warn_unlisted_dirs(report: &ScanReport) {
    for (path, why) in report.unreadable_dirs.iter().take(MAX_DIR_WARNINGS) {
        let path = path.to_string_lossy();
        warnln!(
            "qtriage: warning: {}: not listed ({}); messages in it are not shown",
            sanitize_str(&path),
            sanitize_str(why)
        );
    }
    let more = report
        .unreadable_dirs
        .len()
        .saturating_sub(MAX_DIR_WARNINGS);
    if more > 0 {
        warnln!("qtriage: warning: {more} more queue directories not listed");
    }
}
