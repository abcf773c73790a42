//! Warnings about what a scan could not list, on stderr.

use crate::queue::ScanReport;
use crate::sanitize::sanitize_str;

/// At most this many unlisted directories are named one by one (a hostile tree could have many).
pub const MAX_DIR_WARNINGS: usize = 32;

/// Warn on stderr about queue directories the scan could not list (missing, a symlink — never
/// followed — or unreadable): their messages are missing from everything the command prints.
/// Split directories of one queue directory that failed alike are one line (newuser59: 24 lines
/// for an `info/` a user outside qmail's group cannot enter).
pub fn warn_unlisted_dirs(report: &ScanReport) {
    for line in unlisted_lines(&report.unreadable_dirs) {
        warnln!("qtriage: warning: {line}");
    }
}

/// The lines of [`warn_unlisted_dirs`], without the `qtriage: warning: ` they open with.
fn unlisted_lines(dirs: &[(std::path::PathBuf, String)]) -> Vec<String> {
    // Groups of one parent and one reason, in the order each was first met (a full scan meets
    // info/0, local/0, remote/0, info/1, ...: review59).
    let mut runs: Vec<(&std::path::Path, &str, Vec<&std::path::Path>)> = Vec::new();
    for (path, why) in dirs {
        let parent = path.parent().unwrap_or(path);
        match (runs.iter_mut()).find(|(p, w, _)| *p == parent && *w == why.as_str()) {
            Some((_, _, paths)) => paths.push(path),
            None => runs.push((parent, why, vec![path])),
        }
    }
    let shown = |p: &std::path::Path| sanitize_str(&p.to_string_lossy()).into_owned();
    let name = |p: &&std::path::Path| {
        let n = p.file_name().unwrap_or(p.as_os_str());
        sanitize_str(&n.to_string_lossy()).into_owned()
    };
    let mut lines = Vec::new();
    for (parent, why, paths) in runs.iter().take(MAX_DIR_WARNINGS) {
        let why = sanitize_str(why);
        let names: Vec<String> = paths.iter().map(name).collect();
        let split = names.iter().all(|n| n.bytes().all(|b| b.is_ascii_digit()));
        lines.push(match paths.as_slice() {
            [one] => format!(
                "{}: not listed ({why}); messages in it are not shown",
                shown(one)
            ),
            // Split directories are counted; others (`bounce`, `intd` at the queue's root) named.
            many if split => format!(
                "{}: {} of its directories not listed ({why}); messages in them are not shown",
                shown(parent),
                many.len()
            ),
            _ => format!(
                "{}: {} not listed ({why}); messages in them are not shown",
                shown(parent),
                names.join(", ")
            ),
        });
    }
    let more: usize = runs.iter().skip(MAX_DIR_WARNINGS).map(|r| r.2.len()).sum();
    if more > 0 {
        lines.push(format!("{more} more queue directories not listed"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dirs(list: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
        (list.iter())
            .map(|(p, w)| (PathBuf::from(p), w.to_string()))
            .collect()
    }

    #[test]
    fn split_directories_failing_alike_are_one_line() {
        let denied = "Permission denied (os error 13)";
        // As a full scan meets them: interleaved.
        let mut list: Vec<(String, &str)> = vec![("/q/bounce".into(), denied)];
        for n in 0..23 {
            list.push((format!("/q/info/{n}"), denied));
            if n == 4 {
                list.push(("/q/local/4".into(), "a symbolic link, not followed"));
            }
            if n == 5 {
                list.push(("/q/local/5".into(), denied));
            }
        }
        list.push(("/q/intd".into(), denied));
        let list: Vec<(&str, &str)> = list.iter().map(|(p, w)| (p.as_str(), *w)).collect();
        assert_eq!(
            unlisted_lines(&dirs(&list)),
            [
                format!("/q: bounce, intd not listed ({denied}); messages in them are not shown"),
                format!(
                    "/q/info: 23 of its directories not listed ({denied}); messages in them are \
                     not shown"
                ),
                "/q/local/4: not listed (a symbolic link, not followed); messages in it are not \
                 shown"
                    .to_string(),
                format!("/q/local/5: not listed ({denied}); messages in it are not shown"),
            ]
        );
    }

    #[test]
    fn past_the_named_ones_the_rest_is_counted() {
        let list: Vec<String> = (0..40).map(|n| format!("/q/d{n}/x")).collect();
        let list: Vec<(&str, &str)> = list.iter().map(|p| (p.as_str(), "gone")).collect();
        let lines = unlisted_lines(&dirs(&list));
        assert_eq!(lines.len(), MAX_DIR_WARNINGS + 1);
        assert_eq!(
            lines.last().map(String::as_str),
            Some("8 more queue directories not listed")
        );
    }
}
