//! Raw baselines for the scan benchmark: what the machine costs before qtriage adds anything.
//!
//! - A: a minimal parallel walk of `mess/<n>/` that opens every mess file and reads 4 KiB.
//! - B: A plus opening and reading each message's `info/`, `remote/` and `local/` files.
//! - A in the scan's order: the system calls of the header pass without its parsing (every
//!   directory listed first, then each mess file opened and read in (bucket, id) order), to
//!   tell what the scan's order costs from what its parsing costs. (Until 2026-12-03 the header
//!   pass also `fstat`ed every mess file, and so did this baseline.)
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

/// The header pass' system calls without its work: list every split directory of mess/ and
/// the unsplit todo/ and intd/, then open each mess file in (bucket, id) order, as the scan
/// does (`O_NONBLOCK`, one read of up to 8 KiB); returns the mess files read.
pub fn walk_scan_order(root: &Path, split: u32) -> u64 {
    for unsplit in ["todo", "intd"] {
        if let Some(fd) = open_dir(&root.join(unsplit)) {
            std::hint::black_box(list_ids(&fd).len());
        }
    }
    let dirs: Vec<Option<OwnedFd>> = (0..split)
        .map(|n| open_dir(&root.join("mess").join(n.to_string())))
        .collect();
    let listed: Vec<Vec<u64>> = dirs
        .par_iter()
        .map(|d| {
            let mut ids = d.as_ref().map(list_ids).unwrap_or_default();
            ids.sort_unstable();
            ids
        })
        .collect();
    let files: Vec<(u32, u64)> = listed
        .iter()
        .enumerate()
        .flat_map(|(n, ids)| ids.iter().map(move |&id| (n as u32, id)))
        .collect();
    drop(listed);
    files
        .par_iter()
        .with_min_len(64)
        .map_init(
            || vec![0u8; 2 * READ],
            |buf, &(n, id)| {
                let Some(dir) = &dirs[n as usize] else {
                    return 0;
                };
                let mut name = [0u8; 24];
                let len = {
                    use std::io::Write;
                    let mut w = &mut name[..];
                    let _ = write!(w, "{id}");
                    24 - w.len()
                };
                let Ok(name) = CStr::from_bytes_with_nul(&name[..=len]) else {
                    return 0;
                };
                let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
                match rustix::fs::openat(dir.as_fd(), name, flags, Mode::empty()) {
                    Ok(fd) => {
                        let _ = rustix::io::read(&fd, &mut buf[..]);
                        1
                    }
                    Err(_) => 0,
                }
            },
        )
        .sum()
}

/// The ids named in one directory.
fn list_ids(dir: &OwnedFd) -> Vec<u64> {
    let Ok(mut d) = Dir::read_from(dir) else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    while let Some(Ok(entry)) = d.read() {
        let id = std::str::from_utf8(entry.file_name().to_bytes())
            .ok()
            .and_then(|s| s.parse::<u64>().ok());
        ids.extend(id);
    }
    ids
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
