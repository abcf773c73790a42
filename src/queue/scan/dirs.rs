//! Where a message's files are opened from: its bucket's directory fds, or the yank area.

use std::ffi::CStr;
use std::os::fd::OwnedFd;

use super::super::listing::open_dir;
use super::super::{MessageId, Queue, Subdir};
use super::Found;

/// Directory fds of one bucket, so files are opened relative to them.
pub(super) struct BucketDirs {
    split: Vec<(Subdir, u32, Option<OwnedFd>)>,
    unsplit: Vec<(Subdir, Option<OwnedFd>)>,
}

impl BucketDirs {
    pub(super) fn open(queue: &Queue, n: u32) -> BucketDirs {
        let layout = queue.layout();
        let mut split = Vec::new();
        let mut unsplit = Vec::new();
        for s in Subdir::ALL {
            if layout.is_split(s) {
                let p = queue.root().join(s.name()).join(n.to_string());
                split.push((s, n, open_dir(&p).ok()));
            } else {
                unsplit.push((s, open_dir(&queue.root().join(s.name())).ok()));
            }
        }
        BucketDirs { split, unsplit }
    }

    pub(super) fn fd(&self, subdir: Subdir, dir: u32) -> Option<&OwnedFd> {
        if dir == u32::MAX {
            return self.unsplit.iter().find(|u| u.0 == subdir)?.1.as_ref();
        }
        self.split
            .iter()
            .find(|s| s.0 == subdir && s.1 == dir)
            .and_then(|s| s.2.as_ref())
    }
}

/// Where a message's files are opened.
pub(super) enum Files<'a> {
    /// The queue: each bucket's directory fds; files are named `<id>`.
    Queue {
        queue: &'a Queue,
        dirs: &'a BucketDirs,
    },
    /// A yank area: one directory; files are named `<id>.<subdir>` (qmail-remove's names).
    YankArea(&'a OwnedFd),
}

impl Files<'_> {
    /// The directory `f` is in (`other` holds a directory opened for a file found in another
    /// bucket's directory), or `None` when it cannot be opened.
    pub(super) fn dir<'b>(
        &'b self,
        f: &Found,
        other: &'b mut Option<OwnedFd>,
    ) -> Option<&'b OwnedFd> {
        match self {
            Files::YankArea(fd) => Some(*fd),
            Files::Queue { queue, dirs } => match dirs.fd(f.subdir, f.dir) {
                Some(fd) => Some(fd),
                None => {
                    let p = queue.root().join(f.subdir.name()).join(f.dir.to_string());
                    *other = Some(open_dir(&p).ok()?);
                    other.as_ref()
                }
            },
        }
    }

    /// The name of `id`'s file in `subdir`.
    pub(super) fn name(&self, id: MessageId, subdir: Subdir) -> FileName {
        let mut n = FileName::of(id);
        if let Files::YankArea(_) = self {
            n.push(b".");
            n.push(subdir.name().as_bytes());
        }
        n
    }
}

/// A message file's name, built on the stack: a scan names a million files, and a `String`
/// each was an allocation and a free per file read. Always followed by a NUL, so the system
/// calls take it as it is ([`FileName::c_str`]).
pub(super) struct FileName {
    bytes: [u8; FileName::CAP],
    len: usize,
}

impl FileName {
    /// The longest name: 20 digits of a `u64`, a dot and the longest subdirectory name.
    const CAP: usize = 32;

    /// `id` in decimal, as qmail names its files.
    pub(super) fn of(id: MessageId) -> FileName {
        let mut n = FileName {
            bytes: [0; FileName::CAP],
            len: 0,
        };
        n.push(itoa::Buffer::new().format(id.0).as_bytes());
        n
    }

    fn push(&mut self, b: &[u8]) {
        // Subdirectory names are at most 6 bytes: 20 + 1 + 6 always fits, and a NUL after.
        let end = (self.len + b.len()).min(FileName::CAP - 1);
        self.bytes[self.len..end].copy_from_slice(&b[..end - self.len]);
        self.len = end;
    }

    /// The name with its NUL, as `openat` and `statat` take it: made from a `&str` for each
    /// call, a copy and a search for a NUL in it, and before that the `&str` itself, a UTF-8
    /// check, were 1.8 % of `top --json`'s instructions at 100,000 messages (three files a
    /// message).
    pub(super) fn c_str(&self) -> &CStr {
        // The name and its NUL checked, not the whole buffer searched for the first NUL: 54
        // instructions a file against 67 (callgrind, three files a message).
        let with_nul = self.bytes.get(..=self.len).unwrap_or_default();
        CStr::from_bytes_with_nul(with_nul).unwrap_or_default()
    }
}

impl std::ops::Deref for FileName {
    type Target = str;

    fn deref(&self) -> &str {
        // Only ASCII digits, a dot and subdirectory names are ever pushed.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_qmails() {
        assert_eq!(&*FileName::of(MessageId(0)), "0");
        assert_eq!(&*FileName::of(MessageId(302243)), "302243");
        assert_eq!(
            &*FileName::of(MessageId(u64::MAX)),
            u64::MAX.to_string().as_str()
        );
        let mut n = FileName::of(MessageId(u64::MAX));
        n.push(b".");
        n.push(Subdir::Remote.name().as_bytes());
        assert_eq!(&*n, format!("{}.remote", u64::MAX).as_str());
    }

    /// The name the system calls are given is the name, NUL-terminated, for every id and
    /// every yank-area suffix.
    #[test]
    fn c_names_are_the_names() {
        for id in [0, 7, 302243, 10_000_000_000, u64::MAX] {
            let n = FileName::of(MessageId(id));
            assert_eq!(n.c_str().to_bytes(), id.to_string().as_bytes());
            for s in Subdir::ALL {
                let mut n = FileName::of(MessageId(id));
                n.push(b".");
                n.push(s.name().as_bytes());
                let want = format!("{id}.{}", s.name());
                assert_eq!(n.c_str().to_bytes(), want.as_bytes());
                assert_eq!(&*n, want.as_str());
            }
        }
    }
}
