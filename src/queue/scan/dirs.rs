//! Where a message's files are opened from: its bucket's directory fds, or the yank area.

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
    pub(super) fn name(&self, id: MessageId, subdir: Subdir) -> String {
        match self {
            Files::Queue { .. } => id.0.to_string(),
            Files::YankArea(_) => format!("{}.{}", id.0, subdir.name()),
        }
    }
}
