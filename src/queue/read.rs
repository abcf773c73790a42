//! Bounded, no-follow read of one queue file: the single way the core opens message files.

use std::io;
use std::os::fd::BorrowedFd;

use rustix::fs::{FileType, Mode, OFlags};

use super::headers::{header_end, FIRST_READ};

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

/// What the file's inode said when it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Its size in bytes.
    pub size: u64,
    /// Its mtime, unix seconds (info/'s is the message's birth time).
    pub mtime: i64,
}

/// Read the file `name` below `dir` into `buf` (cleared first), at most `cap` bytes, stopping
/// early as `stop` says.
///
/// The one place queue files are opened for reading: `O_NOFOLLOW` (a symlink is never
/// followed), `O_NONBLOCK` (a FIFO cannot hang the reader), regular files only, and reads
/// bounded by `cap` whatever the file's size.
pub fn read_at(
    dir: BorrowedFd<'_>,
    name: &str,
    cap: usize,
    stop: Stop,
    buf: &mut Vec<u8>,
) -> Result<FileStat, ReadFailure> {
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
    Ok(FileStat {
        size,
        mtime: st.st_mtime,
    })
}
