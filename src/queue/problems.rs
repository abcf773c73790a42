//! The one-line summary of the problems a scan found, for the faces that do not list messages
//! (`clusters`, `top`, `report`, the TUI's report).

use std::collections::BTreeMap;

use super::MessageRecord;

/// `27 of 80 messages have problems (not-regular-file 4, symlink 5, ...); qtriage list
/// problem:any lists them`, or `None` when no message has one. `clusters`, `top` and `report`
/// analyse such messages with what could be read; this says that they exist.
pub fn summary(records: &[MessageRecord]) -> Option<String> {
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
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    Some(format!(
        "{messages} of {} messages have problems ({}); `qtriage list problem:any` lists them",
        records.len(),
        kinds.join(", ")
    ))
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
}
