//! Bounded, no-follow read of one queue file: the single way the core opens message files.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use rustix::buffer::spare_capacity;
use rustix::fs::{FileType, Mode, OFlags};
use rustix::path::Arg;

use super::headers::{header_end, FIRST_READ};
use super::{MessageId, Queue, Subdir};

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

/// Open `name` below `dir` for reading: never through a link, never blocking on a FIFO.
/// `name` as rustix takes it: a scan gives a `&CStr` it built with its NUL, which `openat`
/// takes as it is, where a `&str` is copied to add one.
fn open_no_follow(dir: BorrowedFd<'_>, name: impl Arg) -> Result<rustix::fd::OwnedFd, ReadFailure> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// What [`read_head_at`] learnt about the file besides its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its size in bytes: known when the read reached the end of the file, or from `fstat`.
    pub size: Option<u64>,
    /// Its mtime, when the file was `fstat`ed.
    pub mtime: Option<i64>,
}

/// [`read_at`] without the `fstat` when the file shows itself to be a small regular file: the
/// read returned fewer bytes than asked for, which for a regular file is its end, so the bytes
/// read are its size.
///
/// Most queue files are a few hundred bytes and their mtime is not needed (only info/'s is the
/// birth time), so this saves one of the four system calls per file that a scan of a million
/// messages makes three million times. The file is still `fstat`ed, and refused when it is not
/// a regular file, whenever the read says nothing certain: it was empty (a FIFO without a
/// writer reads as empty), or the read stopped before the end (the cap was reached, a device,
/// a long header). Use it only for a file the directory listing typed as regular (`d_type`): a
/// FIFO with a writer also returns a short read. What remains is a race: a file renamed over
/// by a FIFO between the listing and the open, which takes write access to the queue.
pub fn read_head_at(
    dir: BorrowedFd<'_>,
    name: impl Arg,
    cap: usize,
    stop: Stop,
    buf: &mut Vec<u8>,
) -> Result<Head, ReadFailure> {
    buf.clear();
    let fd = open_no_follow(dir, name)?;
    let mut read = 0usize;
    let mut at_end = false;
    let mut chunk = FIRST_READ.min(cap.max(1));
    while buf.len() < cap {
        let old = buf.len();
        let want = chunk.min(cap - old);
        // Into the spare capacity (no zeroing of what the kernel is about to fill), sized to
        // this read: a buffer that once grew for a 16 MiB envelope must not make a header read
        // ask for 16 MiB.
        buf.reserve_exact(want);
        if buf.capacity() > old + want {
            buf.shrink_to(old + want);
        }
        let asked = buf.capacity() - old;
        match rustix::io::read(&fd, spare_capacity(buf)) {
            Ok(0) => {
                at_end = true;
                break;
            }
            Ok(n) => {
                read += n;
                at_end = n < asked;
            }
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => {
                buf.truncate(old);
                return Err(e.into());
            }
        }
        if buf.len() > cap {
            // The spare capacity may exceed the cap: what is past it was read, not kept.
            buf.truncate(cap);
            at_end = false;
        }
        let stopped = match stop {
            Stop::Cap => false,
            // At the end, the header's end is not looked for in vain.
            Stop::HeaderEnd => !at_end && header_end(buf).is_some(),
            Stop::Nul => match buf[old..].iter().position(|&b| b == 0) {
                Some(nul) => {
                    buf.truncate(old + nul);
                    true
                }
                None => false,
            },
        };
        if at_end || stopped {
            break;
        }
        chunk = chunk.saturating_mul(2);
    }
    if at_end && read > 0 {
        return Ok(Head {
            size: Some(read as u64),
            mtime: None,
        });
    }
    let st = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(ReadFailure::NotRegularFile);
    }
    Ok(Head {
        size: Some(st.st_size.max(0) as u64),
        mtime: Some(st.st_mtime),
    })
}

/// Read the file `name` below `dir` into `buf` (cleared first), at most `cap` bytes, stopping
/// early as `stop` says.
///
/// With [`read_head_at`], the only way queue files are opened for reading (both through
/// `open_no_follow`): `O_NOFOLLOW` (a symlink is never followed), `O_NONBLOCK` (a FIFO cannot
/// hang the reader), regular files only, and reads bounded by `cap` whatever the file's size.
pub fn read_at(
    dir: BorrowedFd<'_>,
    name: impl Arg,
    cap: usize,
    stop: Stop,
    buf: &mut Vec<u8>,
) -> Result<FileStat, ReadFailure> {
    buf.clear();
    let fd = open_no_follow(dir, name)?;
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
            // All that is wanted is read: the header's end is not looked for in vain (a scan's
            // header pass reads most mess files whole in one read).
            Stop::HeaderEnd if buf.len() >= want => {}
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

/// Why one message's file could not be read by [`read_message_file`]: the message, the path
/// refused and why.
#[derive(Debug, thiserror::Error)]
pub enum MessageFileError {
    /// A directory on the way from the queue root to the file is a symbolic link (or not a
    /// directory at all): never followed, wherever in the path it is.
    #[error("message #{id}: {}: not a directory of the queue (a symbolic link is not followed)", dir.display())]
    LinkedDirectory {
        /// The message.
        id: MessageId,
        /// The directory refused.
        dir: PathBuf,
    },
    /// A directory on the way could not be opened (missing, permission...).
    #[error("message #{id}: {}: {source}", dir.display())]
    Directory {
        /// The message.
        id: MessageId,
        /// The directory that failed.
        dir: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The file itself was refused or failed (see [`ReadFailure`]).
    #[error("message #{id}: {}: {source}", path.display())]
    File {
        /// The message.
        id: MessageId,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ReadFailure,
    },
}

/// Open the directory that holds `subdir`'s file of message `id`, one path component at a time
/// from the queue root, each with `O_NOFOLLOW|O_DIRECTORY`: a symbolic link anywhere below the
/// root (`mess -> /elsewhere` as surely as `mess/7 -> /elsewhere`) is refused. `O_NOFOLLOW` on a
/// whole path only refuses a link in its last component. The root itself is opened as the
/// operator named it (`/var/qmail/queue` is often a link to a bigger disk).
pub fn open_message_dir(
    queue: &Queue,
    subdir: Subdir,
    id: MessageId,
) -> Result<OwnedFd, MessageFileError> {
    let root = queue.root();
    let dir_error = |dir: PathBuf, e: rustix::io::Errno| match e {
        rustix::io::Errno::LOOP | rustix::io::Errno::NOTDIR | rustix::io::Errno::MLINK => {
            MessageFileError::LinkedDirectory { id, dir }
        }
        e => MessageFileError::Directory {
            id,
            dir,
            source: e.into(),
        },
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut fd = rustix::fs::open(root, flags, Mode::empty())
        .map_err(|e| dir_error(root.to_path_buf(), e))?;
    let mut dir = root.to_path_buf();
    for part in queue.layout().dir_of(subdir, id).iter() {
        dir.push(part);
        fd = rustix::fs::openat(&fd, part, flags | OFlags::NOFOLLOW, Mode::empty())
            .map_err(|e| dir_error(dir.clone(), e))?;
    }
    Ok(fd)
}

/// Read `subdir`'s file of message `id` into `buf` (cleared first), at most `cap` bytes,
/// stopping early as `stop` says: [`read_at`] below the directory [`open_message_dir`] opens,
/// so no symbolic link is followed anywhere in the queue. For a reader of one message at a time
/// (the TUI's inspector); a scan keeps its directories open instead.
pub fn read_message_file(
    queue: &Queue,
    subdir: Subdir,
    id: MessageId,
    cap: usize,
    stop: Stop,
    buf: &mut Vec<u8>,
) -> Result<FileStat, MessageFileError> {
    buf.clear();
    let dir = open_message_dir(queue, subdir, id)?;
    // A `&str`: rustix copies it to the stack, where a `String` goes through `CString::new`.
    read_at(dir.as_fd(), id.0.to_string().as_str(), cap, stop, buf).map_err(|source| {
        MessageFileError::File {
            id,
            path: queue.path(subdir, id),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    fn dir_with(files: &[(&str, &[u8])]) -> (tempfile::TempDir, std::fs::File) {
        let d = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in files {
            std::fs::write(d.path().join(name), bytes).expect("write");
        }
        let fd = std::fs::File::open(d.path()).expect("open dir");
        (d, fd)
    }

    #[test]
    fn a_small_file_is_read_whole_without_fstat() {
        let (_d, dir) = dir_with(&[("7", b"Subject: hi\n\nbody\n")]);
        let mut buf = Vec::new();
        let head = read_head_at(dir.as_fd(), "7", 64, Stop::Cap, &mut buf).expect("read");
        assert_eq!(buf, b"Subject: hi\n\nbody\n");
        assert_eq!(
            head,
            Head {
                size: Some(18),
                mtime: None
            }
        );
        // Stopping at the header's end still knows the size when the first read saw the end.
        let head = read_head_at(dir.as_fd(), "7", 64, Stop::HeaderEnd, &mut buf).expect("read");
        assert_eq!(head.size, Some(18));
    }

    #[test]
    fn a_read_asks_for_its_chunk_not_the_buffer_s_capacity() {
        let mut mess = b"Subject: hi\n\n".to_vec();
        mess.resize(20_000, b'x');
        let (_d, dir) = dir_with(&[("6", &mess)]);
        // A buffer grown once for a long envelope.
        let mut buf = Vec::with_capacity(1 << 20);
        let head =
            read_head_at(dir.as_fd(), "6", 1 << 16, Stop::HeaderEnd, &mut buf).expect("read");
        assert_eq!(buf.len(), FIRST_READ, "one first read of FIRST_READ bytes");
        assert_eq!(head.size, Some(20_000), "not at the end: statted");
    }

    #[test]
    fn a_file_past_the_cap_is_cut_and_statted() {
        let big = vec![b'x'; 10_000];
        let (_d, dir) = dir_with(&[("8", &big)]);
        let mut buf = Vec::with_capacity(20_000);
        let head = read_head_at(dir.as_fd(), "8", 100, Stop::Cap, &mut buf).expect("read");
        assert_eq!(buf.len(), 100);
        assert_eq!(head.size, Some(10_000));
        assert!(head.mtime.is_some());
    }

    #[test]
    fn an_empty_file_is_statted_and_a_fifo_refused() {
        let (d, dir) = dir_with(&[("9", b"")]);
        let mut buf = Vec::new();
        let head = read_head_at(dir.as_fd(), "9", 64, Stop::Cap, &mut buf).expect("read");
        assert_eq!(head.size, Some(0));
        assert!(head.mtime.is_some());
        rustix::fs::mknodat(
            dir.as_fd(),
            "10",
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .expect("mkfifo");
        assert!(d.path().join("10").exists());
        let err = read_head_at(dir.as_fd(), "10", 64, Stop::Cap, &mut buf)
            .expect_err("a FIFO is refused");
        assert!(matches!(err, ReadFailure::NotRegularFile), "{err:?}");
        std::os::unix::fs::symlink(d.path().join("9"), d.path().join("11")).expect("symlink");
        let err = read_head_at(dir.as_fd(), "11", 64, Stop::Cap, &mut buf)
            .expect_err("a link is not followed");
        assert!(matches!(err, ReadFailure::Symlink), "{err:?}");
    }
}
