//! Raw baselines for the scan benchmark: what the machine costs before qtriage adds anything.
//!
//! - A: a minimal parallel walk of `mess/<n>/` that opens every mess file and reads 4 KiB.
//! - B: A plus opening and reading each message's `info/`, `remote/` and `local/` files.
//! - C: a `find`-like count of every entry below the queue (one thread, as find is).

use std::ffi::CStr;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rayon::prelude::*;
use rustix::fs::{Dir, FileType, Mode, OFlags};

/// How many bytes of each file the baselines read.
const READ: usize = 4096;
/// How deep C descends (qmail's tree is two levels).
const MAX_DEPTH: usize = 8;

fn open_dir(path: &Path) -> Option<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::open(path, flags, Mode::empty()).ok()
}

/// Open `name` below `dir` and read up to 4 KiB; false when it does not exist.
fn read_at(dir: &OwnedFd, name: &CStr, buf: &mut [u8; READ]) -> bool {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(dir.as_fd(), name, flags, Mode::empty()) {
        Ok(fd) => {
            let _ = rustix::io::read(&fd, &mut buf[..]);
            true
        }
        Err(_) => false,
    }
}

/// A (and B when `envelopes`): returns the number of mess files read.
pub fn walk(root: &Path, split: u32, envelopes: bool) -> u64 {
    (0..split)
        .into_par_iter()
        .map(|n| {
            let sub = |s: &str| open_dir(&root.join(s).join(n.to_string()));
            let Some(mess) = sub("mess") else { return 0 };
            let others: Vec<OwnedFd> = if envelopes {
                ["info", "remote", "local"]
                    .iter()
                    .filter_map(|s| sub(s))
                    .collect()
            } else {
                Vec::new()
            };
            let Ok(mut dir) = Dir::read_from(&mess) else {
                return 0;
            };
            let mut buf = [0u8; READ];
            let mut count = 0;
            while let Some(Ok(entry)) = dir.read() {
                let name = entry.file_name();
                if name.to_bytes().starts_with(b".") {
                    continue;
                }
                count += u64::from(read_at(&mess, name, &mut buf));
                for d in &others {
                    read_at(d, name, &mut buf);
                }
            }
            count
        })
        .sum()
}

/// C: count every entry below `path` (files and directories), one thread.
pub fn count_files(path: &Path, depth: usize) -> u64 {
    let Some(fd) = open_dir(path) else { return 0 };
    let Ok(dir) = Dir::new(fd) else { return 0 };
    let mut n = 0;
    for entry in dir.flatten() {
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." {
            continue;
        }
        n += 1;
        if entry.file_type() == FileType::Directory && depth < MAX_DEPTH {
            use std::os::unix::ffi::OsStrExt;
            n += count_files(&path.join(std::ffi::OsStr::from_bytes(name)), depth + 1);
        }
    }
    n
}
