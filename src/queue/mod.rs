//! Queue: an opened qmail queue directory (its root, conf-split and todo layout).
#![deny(clippy::unwrap_used)]

pub mod check;
pub mod count;
pub mod date;
pub mod envelope;
pub mod error;
pub mod header_fields;
pub mod headers;
pub mod intern;
pub(crate) mod last_syms;
pub mod layout;
pub mod listing;
pub mod origin;
pub mod problems;
pub mod read;
pub mod received;
pub mod recipient_reader;
pub mod recipients;
pub mod record;
pub mod scan;

use std::path::{Path, PathBuf};

use error::{Error, NotAQueue, Result};

pub use intern::{Interner, Strings, Sym};
pub use layout::{Layout, Parts, Subdir, DEFAULT_SPLIT};
pub use recipient_reader::{recipients_of, RecipientReader};
pub use recipients::{Channel, Recipient, RecipientDomain, RecipientList, RecipientSummary};
pub use record::{
    AuthSource, HeaderFields, MessageId, MessageRecord, MessageState, Origin, OriginKind, Problem,
    ProblemKind, Problems,
};
pub use scan::{
    scan, scan_envelopes, scan_headers, Progress, ProgressSnapshot, Scan, ScanOptions, ScanReport,
};

/// How to open a queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueOptions {
    /// conf-split; detected from `mess/` when `None`.
    pub split: Option<u32>,
}

/// An opened qmail queue directory.
#[derive(Debug, Clone)]
pub struct Queue {
    root: PathBuf,
    layout: Layout,
}

impl Queue {
    /// Open the queue at `root`, detecting conf-split and the big-todo layout.
    ///
    /// A relative `root` is made absolute here, once, against the current directory: the
    /// watcher compares it with file events, whose paths are absolute, and a relative root
    /// matched none of them (issue 19: `--queue queue watch` counted nothing). Symbolic links
    /// in it are kept, not resolved, so it names the queue the way the operator did.
    pub fn open(root: impl AsRef<Path>, opts: QueueOptions) -> Result<Queue> {
        let given = root.as_ref();
        let root = std::path::absolute(given).map_err(|e| Error::io(given, e))?;
        let meta = std::fs::metadata(&root).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotAQueue {
                path: root.clone(),
                reason: NotAQueue::Missing,
            },
            _ => Error::io(&root, e),
        })?;
        if !meta.is_dir() {
            return Err(Error::NotAQueue {
                path: root,
                reason: NotAQueue::NotADirectory,
            });
        }
        // Every read below opens paths under the root, refusing a link only as the last
        // component: a subdirectory that is itself a link is refused here, once.
        for subdir in Subdir::ALL {
            let linked = std::fs::symlink_metadata(root.join(subdir.name()))
                .is_ok_and(|m| m.file_type().is_symlink());
            if linked {
                return Err(Error::NotAQueue {
                    path: root,
                    reason: NotAQueue::LinkedSubdir(subdir.name()),
                });
            }
        }
        let mess = root.join("mess");
        match std::fs::metadata(&mess) {
            Ok(m) if m.is_dir() => {}
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                // A queue the user may not enter (qmail's is 0750 qmailq) is not "no mess/".
                return Err(Error::io(&mess, e));
            }
            _ => {
                return Err(Error::NotAQueue {
                    path: root,
                    reason: NotAQueue::NoMessDir,
                })
            }
        }
        let split = match opts.split {
            Some(s) if (1..=MAX_SPLIT).contains(&s) => {
                // A wrong --split reads a part of each message where qmail keeps it and yanks
                // the rest as pieces (an operator's run: `--split 17` on a split-23 queue
                // yanked bounce/, todo/ and intd/ files of messages left queued, exit 0).
                match detect_split(&root)? {
                    (found, true) if found != s => {
                        return Err(Error::SplitMismatch {
                            path: root,
                            given: s,
                            found,
                        })
                    }
                    _ => s,
                }
            }
            Some(s) => return Err(Error::InvalidSplit(s)),
            None => detect_split(&root)?.0,
        };
        // qmHandle's test: the big-todo patch makes todo/0 a directory.
        let big_todo = root.join("todo").join("0").is_dir();
        Ok(Queue {
            root,
            layout: Layout { split, big_todo },
        })
    }

    /// The queue directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Its layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Absolute path of `subdir`'s file for `id`.
    pub fn path(&self, subdir: Subdir, id: MessageId) -> PathBuf {
        self.root.join(self.layout.rel_path(subdir, id))
    }
}

/// conf-split, from the numbered entries of the four always-split directories: one more than
/// the highest number that at least two of `mess/`, `info/`, `local/` and `remote/` hold
/// (qmail creates `0` to `split - 1` in each), regular files left out.
///
/// Counting `mess/`'s numbered directories alone (until 2026-12-03) took a missing or
/// symlinked `mess/7` for a split of 22: every message then looked misfiled, and `check`
/// advised moving each one where qmail (still at 23) would never find it. A number in two
/// directories (as a directory, a link or anything but a regular file) survives one damaged
/// directory, and a stray numbered entry in one directory does not raise the split. A queue with fewer than two of
/// the four (a fragment) falls back to counting `mess/`'s numbered directories.
///
/// Also whether the queue says so itself (two of the four directories agree): only then does a
/// `--split` that differs contradict it.
fn detect_split(root: &Path) -> Result<(u32, bool)> {
    let mess = root.join("mess");
    let numbered = |dir: &Path| -> std::io::Result<Vec<(u32, bool)>> {
        Ok(std::fs::read_dir(dir)?
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name();
                let n = name
                    .to_str()
                    .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|s| s.parse::<u32>().ok())
                    .filter(|&n| n < MAX_SPLIT)?;
                let kind = entry.file_type().ok()?;
                // A numbered regular file is a message out of place (`mess/4711` put back by
                // hand), not a split directory; a link or anything else where a split
                // directory belongs still says the number is one.
                (!kind.is_file()).then_some((n, kind.is_dir()))
            })
            .collect())
    };
    let in_mess = numbered(&mess).map_err(|e| Error::io(&mess, e))?;
    let others: Vec<Vec<(u32, bool)>> = [Subdir::Info, Subdir::Local, Subdir::Remote]
        .iter()
        .filter_map(|s| numbered(&root.join(s.name())).ok())
        .filter(|names| !names.is_empty())
        .collect();
    if others.is_empty() {
        let dirs = in_mess.iter().filter(|(_, is_dir)| *is_dir).count() as u32;
        return Ok((if dirs == 0 { DEFAULT_SPLIT } else { dirs }, false));
    }
    let mut seen: std::collections::HashMap<u32, u8> = std::collections::HashMap::new();
    for names in std::iter::once(&in_mess).chain(&others) {
        let distinct: std::collections::HashSet<u32> = names.iter().map(|(n, _)| *n).collect();
        for n in distinct {
            *seen.entry(n).or_default() += 1;
        }
    }
    let found = seen
        .into_iter()
        .filter(|&(_, dirs)| dirs >= 2)
        .map(|(n, _)| n + 1)
        .max();
    Ok((found.unwrap_or(DEFAULT_SPLIT), found.is_some()))
}

/// The largest conf-split qtriage takes (`--split`, or detected, or from a journal).
pub const MAX_SPLIT: u32 = 65535;
