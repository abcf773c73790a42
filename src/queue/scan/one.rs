//! Reading one message again, by id, outside a scan (the inspector, lazy queries, after actions).

use std::io;

use super::super::layout::Subdir;
use super::super::listing::EntryKind;
use super::super::{Interner, MessageId, MessageRecord, Queue};
use super::{lend, read_bufs, read_message, BucketDirs, Files, Found, ReadCtx, ScanOptions};

/// Read one message afresh (the inspector and lazy queries use this).
pub fn read_one(queue: &Queue, strings: &Interner, id: MessageId) -> io::Result<MessageRecord> {
    let layout = queue.layout();
    let bucket = layout.bucket(id);
    let mut group = Vec::new();
    for subdir in Subdir::ALL {
        let path = queue.root().join(layout.rel_path(subdir, id));
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let ft = meta.file_type();
            let kind = if ft.is_symlink() {
                EntryKind::Symlink
            } else if ft.is_file() {
                EntryKind::File
            } else if ft.is_dir() {
                EntryKind::Directory
            } else {
                EntryKind::Other
            };
            let dir = if layout.is_split(subdir) {
                bucket
            } else {
                u32::MAX
            };
            group.push(Found {
                id,
                subdir,
                kind,
                dir,
            });
        }
    }
    if group.is_empty() {
        return Err(io::Error::from(io::ErrorKind::NotFound));
    }
    let dirs = BucketDirs::open(queue, bucket);
    let ctx = ReadCtx {
        files: Files::Queue { queue, dirs: &dirs },
        strings,
        opts: ScanOptions::default(),
        first_pass: None,
        // One message, listed by symlink_metadata: no d_type to trust.
        types_known: false,
        bucket,
    };
    read_message(&ctx, &group, lend(&mut read_bufs(strings)))
        .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
}
