//! The crate's error type: problems with the queue as a whole, each naming the path involved.
//!
//! A bad *message* is not an error: it becomes a record with problems (see
//! [`crate::queue::Problem`]). Only what stops a whole command is an `Error`: the queue cannot be
//! opened, a directory cannot be listed, a lock is held, a journal cannot be written.

use std::io;
use std::path::PathBuf;

use super::record::MessageId;

/// Why a directory is not usable as a qmail queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAQueue {
    /// Nothing is at the path.
    Missing,
    /// The path is not a directory.
    NotADirectory,
    /// There is no `mess/` directory below it.
    NoMessDir,
    /// One of its subdirectories (`mess`, `info`, ...) is a symbolic link: reading through it
    /// would follow a link in the queue, which qtriage never does.
    LinkedSubdir(&'static str),
}

impl std::fmt::Display for NotAQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotAQueue::Missing => f.write_str("no such directory"),
            NotAQueue::NotADirectory => f.write_str("not a directory"),
            NotAQueue::NoMessDir => f.write_str("no mess/ directory in it"),
            NotAQueue::LinkedSubdir(name) => write!(
                f,
                "its {name}/ is a symbolic link, which qtriage does not follow"
            ),
        }
    }
}

/// Errors that stop a command. Every variant names the path (and message id where there is one).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The queue directory is missing or is not shaped like a qmail queue.
    #[error("{path}: not a qmail queue: {reason} (set --queue or QTRIAGE_QUEUE)")]
    NotAQueue {
        /// The directory that was tried.
        path: PathBuf,
        /// What is wrong with it.
        reason: NotAQueue,
    },
    /// An I/O error on a path that is not one message's file (a queue directory, a journal...).
    #[error("{path}: {source}")]
    Io {
        /// The path being read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// An I/O error on one message's file that a command cannot skip over.
    #[error("message #{id}: {path}: {source}")]
    MessageIo {
        /// The message.
        id: MessageId,
        /// Its file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// `--split` contradicts the split directories the queue holds.
    #[error(
        "{path}: --split {given} does not match the queue: its split directories run from 0 to \
         {} (conf-split {found}); leave --split out, or give --split {found}",
        found - 1
    )]
    SplitMismatch {
        /// The queue.
        path: PathBuf,
        /// The split given.
        given: u32,
        /// The split its directories show.
        found: u32,
    },
    /// `--split` was given a value qmail cannot have.
    #[error("invalid conf-split {0}: it must be between 1 and 65535")]
    InvalidSplit(u32),
}

impl Error {
    /// Wrap an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
