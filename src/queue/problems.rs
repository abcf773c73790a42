//! The one-line summary of the problems a scan found, for the faces that do not list messages
//! (`clusters`, `top`, `report`, the TUI's report), and what a plan could not read.

use std::collections::BTreeMap;

use super::MessageRecord;
use crate::size::thousands;

/// `27 of 80 messages have problems (not-regular-file 4, symlink 5, ...); qtriage list
/// problem:any lists them`, or `None` when no message has one. `clusters`, `top` and `report`
/// analyse such messages with what could be read; this says that they exist.
pub fn summary(records: &[MessageRecord]) -> Option<String> {
    summary_of(records, "messages")
}

/// The report's note: [`summary`] over the queue's records alone, saying so. The report counts
/// its culprits over the queue and the yank area; this counts the whole queue, culprits or
/// not, and none of the `yanked` messages of the yank area (`list problem:any` does not list
/// them).
pub fn queue_summary(records: &[MessageRecord], yanked: usize) -> Option<String> {
    let base = if yanked == 0 {
        "messages in the whole queue (not only the culprits')"
    } else {
        "messages in the whole queue (not only the culprits'; not the yank area's)"
    };
    summary_of(records, base)
}

/// `N of M <what> have problems (...)`.
fn summary_of(records: &[MessageRecord], what: &str) -> Option<String> {
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut messages = 0;
    for r in records.iter().filter(|r| !r.problems.is_empty()) {
        messages += 1;
        // Messages of each kind, as the line counts messages: not files (a message whose
        // info and remote files are both unreadable is one unreadable message).
        let mut mine: Vec<&'static str> = r.problems.iter().map(|p| p.kind.name()).collect();
        mine.sort_unstable();
        mine.dedup();
        for kind in mine {
            *kinds.entry(kind).or_default() += 1;
        }
    }
    if messages == 0 {
        return None;
    }
    let kinds: Vec<String> = (kinds.iter())
        .map(|(k, n)| format!("{k} {}", thousands(*n as u64)))
        .collect();
    // Grouped as every other count (script53: `3 of 5000 messages` beside `5,000 messages`).
    Some(format!(
        "{} of {} {what} have problems ({}); `qtriage list problem:any` lists them",
        thousands(messages as u64),
        thousands(records.len() as u64),
        kinds.join(", ")
    ))
}

/// What a scan could not read, for a plan: it is made without what those hold, so it is not to
/// be applied as it is (`qtriage plan` exits 2; the TUI's plan marks nothing).
pub struct Unread {
    /// Messages with a file that could not be read (`unreadable`).
    pub messages: usize,
    /// Queue directories not listed.
    pub dirs: usize,
}

impl Unread {
    /// What `records` (a scan that could not list `dirs` directories) could not read.
    pub fn of(records: &[MessageRecord], dirs: usize) -> Unread {
        Unread {
            messages: records.iter().filter(|r| unreadable(r)).count(),
            dirs,
        }
    }

    /// Nothing unread.
    pub fn is_none(&self) -> bool {
        self.messages == 0 && self.dirs == 0
    }

    /// `incomplete: 19,400 of 20,000 messages could not be read whole: this plan leaves out
    /// ...`, or `None`.
    pub fn words(&self, messages: usize) -> Option<String> {
        self.words_of(
            messages,
            "this plan leaves out what they hold, so it is no plan to apply",
        )
    }

    /// [`Unread::words`] saying what it means for `what`'s output: `this ranking leaves out
    /// what they hold`. `top` run without root ranked a `helo User` cluster first, exit 0, the
    /// unread files said only by a note on stderr (script53).
    pub fn words_of(&self, messages: usize, what: &str) -> Option<String> {
        if self.is_none() {
            return None;
        }
        let mut parts = Vec::new();
        if self.messages > 0 {
            parts.push(format!(
                "{} of {} could not be read whole",
                crate::size::thousands(self.messages),
                crate::size::counted(messages as u64, "message", "messages")
            ));
        }
        if self.dirs > 0 {
            parts.push(crate::size::counted(
                self.dirs as u64,
                "queue directory was not listed",
                "queue directories were not listed",
            ));
        }
        // Root reads every file qmail wrote; what root cannot read is damage, not permission.
        let why = match rustix::process::geteuid().is_root() {
            false => {
                "qmail's own files are readable by root and its users only: run qtriage as root"
            }
            true => "qtriage check says what is wrong with them",
        };
        Some(format!(
            "incomplete: {}: {what} ({why})",
            parts.join(" and ")
        ))
    }
}

/// A message with a file that could not be read (permission, I/O error).
fn unreadable(r: &MessageRecord) -> bool {
    (r.problems.iter()).any(|p| p.kind == super::ProblemKind::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{Problem, ProblemKind, Subdir};

    fn record(id: u64, problems: &[(ProblemKind, Subdir)]) -> MessageRecord {
        let mut r = crate::fixture::record::record(id);
        r.problems = problems
            .iter()
            .map(|&(kind, part)| Problem { kind, part })
            .collect();
        r
    }

    #[test]
    fn counts_messages_and_kinds() {
        let rs = [
            record(1, &[]),
            record(2, &[(ProblemKind::Symlink, Subdir::Mess)]),
            record(
                3,
                &[
                    (ProblemKind::Symlink, Subdir::Info),
                    (ProblemKind::Vanished, Subdir::Remote),
                ],
            ),
        ];
        assert_eq!(
            summary(&rs).as_deref(),
            Some(
                "2 of 3 messages have problems (symlink 2, vanished 1); \
                 `qtriage list problem:any` lists them"
            )
        );
        assert_eq!(summary(&rs[..1]), None);
        // Two unreadable files of one message: one unreadable message.
        let both = [record(
            4,
            &[
                (ProblemKind::Unreadable, Subdir::Info),
                (ProblemKind::Unreadable, Subdir::Remote),
            ],
        )];
        assert_eq!(
            summary(&both).as_deref(),
            Some("1 of 1 messages have problems (unreadable 1); `qtriage list problem:any` lists them")
        );
    }

    /// The report's note says what it counts: the whole queue, not the culprits' clusters, nor
    /// the yank area the report reads too.
    #[test]
    fn the_reports_note_names_its_base() {
        let rs = [
            record(1, &[]),
            record(2, &[(ProblemKind::Symlink, Subdir::Mess)]),
        ];
        assert_eq!(
            queue_summary(&rs, 0).as_deref(),
            Some(
                "1 of 2 messages in the whole queue (not only the culprits') have problems \
                 (symlink 1); `qtriage list problem:any` lists them"
            )
        );
        assert_eq!(
            queue_summary(&rs, 5).as_deref(),
            Some(
                "1 of 2 messages in the whole queue (not only the culprits'; not the yank \
                 area's) have problems (symlink 1); `qtriage list problem:any` lists them"
            )
        );
        assert_eq!(queue_summary(&rs[..1], 5), None);
    }
}
