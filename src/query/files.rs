//! Bounded reads of mess/ files that never follow a symbolic link, for `header:`, `body:`,
//! `text:` and `qtriage remove`.
//!
//! Like the scan (`queue/scan.rs`), each file is opened with `openat(O_NOFOLLOW|O_NONBLOCK)`
//! relative to its split directory, which is itself opened with `O_NOFOLLOW|O_DIRECTORY`, so
//! neither a linked file nor a linked directory is followed and a FIFO cannot block. Every read
//! stops at a cap the caller names.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;

use rustix::fs::{FileType, Mode, OFlags};

use crate::queue::headers::{header_end, FIRST_READ};
use crate::queue::listing::open_dir;
use crate::queue::{MessageId, Queue, Subdir};

/// Where a read may stop before its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Read up to the cap.
    Cap,
    /// Stop once the header block has ended (the blank line is in the buffer).
    HeaderEnd,
    /// Stop at the first NUL byte (qmail-remove matches a C string), which is not kept.
    Nul,
}

/// Why a mess file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadFailure {
    /// A symbolic link: never followed.
    #[error("symbolic link, not followed")]
    Symlink,
    /// A FIFO, directory or device.
    #[error("not a regular file")]
    NotRegularFile,
    /// Open or read failed (vanished, permission...).
    #[error("{0}")]
    Io(io::Error),
}

impl From<rustix::io::Errno> for ReadFailure {
    fn from(e: rustix::io::Errno) -> Self {
        match e {
            rustix::io::Errno::LOOP | rustix::io::Errno::MLINK => ReadFailure::Symlink,
            rustix::io::Errno::NXIO | rustix::io::Errno::ISDIR => ReadFailure::NotRegularFile,
            e => ReadFailure::Io(e.into()),
        }
    }
}

/// Read the file `name` below `dir` into `buf` (cleared first), at most `cap` bytes, stopping
/// early as `stop` says. Returns the file's size.
pub fn read_at(
    dir: BorrowedFd<'_>,
    name: &str,
    cap: usize,
    stop: Stop,
    buf: &mut Vec<u8>,
) -> Result<u64, ReadFailure> {
    buf.clear();
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty())?;
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(ReadFailure::NotRegularFile);
    }
    let size = st.st_size.max(0) as u64;
    let want = usize::try_from(size).unwrap_or(usize::MAX).min(cap);
    let mut chunk = FIRST_READ.min(want.max(1));
    while buf.len() < want {
        let old = buf.len();
        buf.resize(old + chunk.min(want - old), 0);
        match rustix::io::read(&fd, &mut buf[old..]) {
            Ok(0) => {
                buf.truncate(old);
                break;
            }
            Ok(n) => buf.truncate(old + n),
            Err(rustix::io::Errno::INTR) => buf.truncate(old),
            Err(e) => {
                buf.truncate(old);
                return Err(e.into());
            }
        }
        match stop {
            Stop::Cap => {}
            Stop::HeaderEnd if header_end(buf).is_some() => break,
            Stop::HeaderEnd => {}
            Stop::Nul => {
                if let Some(nul) = buf[old..].iter().position(|&b| b == 0) {
                    buf.truncate(old + nul);
                    break;
                }
            }
        }
        chunk = chunk.saturating_mul(2);
    }
    Ok(size)
}

/// Reads mess/ files of one queue, keeping each split directory open once it is needed.
/// Shared by the threads of a parallel query.
pub struct MessReader<'a> {
    queue: &'a Queue,
    dirs: Vec<OnceLock<Option<OwnedFd>>>,
}

impl<'a> MessReader<'a> {
    /// A reader for `queue`.
    pub fn new(queue: &'a Queue) -> MessReader<'a> {
        let n = queue.layout().split as usize;
        MessReader {
            queue,
            dirs: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Read message `id`'s mess file into `buf` as [`read_at`] does.
    pub fn read(
        &self,
        id: MessageId,
        cap: usize,
        stop: Stop,
        buf: &mut Vec<u8>,
    ) -> Result<u64, ReadFailure> {
        let layout = self.queue.layout();
        let bucket = layout.bucket(id) as usize;
        let dir = self.dirs.get(bucket).and_then(|slot| {
            slot.get_or_init(|| {
                open_dir(&self.queue.root().join(layout.dir_of(Subdir::Mess, id))).ok()
            })
            .as_ref()
        });
        let Some(dir) = dir else {
            buf.clear();
            return Err(ReadFailure::Io(io::Error::from(io::ErrorKind::NotFound)));
        };
        read_at(dir.as_fd(), &id.0.to_string(), cap, stop, buf)
    }
}
