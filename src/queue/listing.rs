//! List queue directories without following links: ids, entry kinds, and junk names.
//!
//! Uses `getdents` through rustix so a million entries cost no allocation each, and takes the
//! entry type from the directory itself (`d_type`) so nothing is `stat`ed or followed.

use std::ffi::CStr;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{Dir, FileType, Mode, OFlags, RawDir};
use rustix::io::Errno;

use super::layout::parse_id;
use super::record::MessageId;

/// What a directory entry is, as the directory says (never by following it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file (or a file system that does not report types; opened with care anyway).
    File,
    /// A symbolic link: reported, never followed.
    Symlink,
    /// A directory where a file should be.
    Directory,
    /// A FIFO, socket or device.
    Other,
}

impl EntryKind {
    fn from_type(t: FileType) -> EntryKind {
        match t {
            FileType::RegularFile | FileType::Unknown => EntryKind::File,
            FileType::Symlink => EntryKind::Symlink,
            FileType::Directory => EntryKind::Directory,
            _ => EntryKind::Other,
        }
    }
}

/// One entry of a queue directory whose name is a message id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The id in the name.
    pub id: MessageId,
    /// What it is.
    pub kind: EntryKind,
}

/// The entries of one directory.
#[derive(Debug, Default)]
pub struct Listing {
    /// Entries named by a decimal id.
    pub entries: Vec<Entry>,
    /// Entries whose names are not ids (qmail ignores them), `.` and `..` excluded.
    pub junk: u64,
    /// Id entries the filesystem gave no type for (`DT_UNKNOWN`): listed as files, what they
    /// are is only known once they are opened and `fstat`ed.
    pub untyped: u64,
}

/// Open a directory for listing or `openat`, refusing to follow a symlink to it.
pub fn open_dir(path: &Path) -> std::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty()).map_err(|e| {
        // O_NOFOLLOW|O_DIRECTORY on a link says "Not a directory": say what it is, so a
        // linked split directory is not repaired as a missing one.
        let linked = matches!(e, rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP)
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        match linked {
            true => std::io::Error::other("a symbolic link, not followed"),
            false => e.into(),
        }
    })
}

/// The queue directories (each subdirectory, each split directory) that cannot be opened,
/// with why: a cheap look (one `open` each, nothing listed) for a command that watches
/// instead of reading them all (watch51: `watch` run as a user that could not read info/ said
/// nothing, where `top` warned).
pub fn unopenable_dirs(queue: &super::Queue) -> Vec<(std::path::PathBuf, String)> {
    let layout = queue.layout();
    let mut out = Vec::new();
    for s in super::Subdir::ALL {
        let dir = queue.root().join(s.name());
        let dirs: Vec<std::path::PathBuf> = match layout.is_split(s) {
            true => (0..layout.split).map(|n| dir.join(n.to_string())).collect(),
            false => vec![dir],
        };
        for d in dirs {
            if let Err(e) = open_dir(&d) {
                out.push((d, e.to_string()));
            }
        }
    }
    out
}

fn is_dot(name: &CStr) -> bool {
    matches!(name.to_bytes(), b"." | b"..")
}

/// List one directory; a missing directory is an empty listing (reported by the caller).
pub fn list(path: &Path) -> std::io::Result<Listing> {
    let fd = open_dir(path)?;
    list_fd(fd)
}

/// List an already opened directory.
pub fn list_fd(fd: OwnedFd) -> std::io::Result<Listing> {
    let mut entries = Vec::new();
    let (junk, untyped) = each_entry(fd, &mut |e| entries.push(e))?;
    Ok(Listing {
        entries,
        junk,
        untyped,
    })
}

/// Hand `f` each entry of one directory that [`list`] would list, holding none of them: a
/// caller that keeps only some (`list --count`, one split directory's share of todo/) need not
/// hold a listing of the whole directory. Returns the junk and untyped counts of [`Listing`].
/// On an error some entries may already have been handed over.
pub fn list_each(path: &Path, f: &mut dyn FnMut(Entry)) -> std::io::Result<(u64, u64)> {
    each_entry(open_dir(path)?, f)
}

/// Bytes of directory entries one `getdents` call fills (as glibc's `readdir`): at 3.4 million
/// entries a flood, a few hundred calls a split directory.
const GETDENTS_BUF: usize = 32 * 1024;

fn each_entry(fd: OwnedFd, f: &mut dyn FnMut(Entry)) -> std::io::Result<(u64, u64)> {
    let (mut junk, mut untyped) = (0, 0);
    // `RawDir` hands out names in place: `Dir` copied each into a `CString`, an allocation and
    // a free per entry, the listing's largest user-space cost.
    let mut buf = Vec::with_capacity(GETDENTS_BUF);
    let mut dir = RawDir::new(fd, buf.spare_capacity_mut());
    while let Some(entry) = dir.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(Errno::INTR) => continue,
            // A directory removed while listed ends there, as `Dir` ends it.
            Err(Errno::NOENT) => break,
            Err(e) => return Err(e.into()),
        };
        let name = entry.file_name();
        if is_dot(name) {
            continue;
        }
        match parse_id(name.to_bytes()) {
            Some(id) => {
                let t = entry.file_type();
                untyped += u64::from(t == FileType::Unknown);
                f(Entry {
                    id,
                    kind: EntryKind::from_type(t),
                })
            }
            None => junk += 1,
        }
    }
    Ok((junk, untyped))
}

/// Visit the entries of one directory (not descending), with their kinds, allocating nothing
/// per entry.
pub fn walk_dir(path: &Path, f: &mut dyn FnMut(&[u8], EntryKind)) -> std::io::Result<()> {
    let dir = Dir::new(open_dir(path)?)?;
    for entry in dir {
        let entry = entry?;
        let name = entry.file_name();
        if !is_dot(name) {
            f(name.to_bytes(), EntryKind::from_type(entry.file_type()));
        }
    }
    Ok(())
}
