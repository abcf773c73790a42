//! Bounded reads of mess/ files that never follow a symbolic link, for `header:`, `body:`,
//! `text:` and `qtriage remove`.
//!
//! Like the scan (`queue/scan.rs`), each file is opened with `openat(O_NOFOLLOW|O_NONBLOCK)`
//! relative to its split directory, which is itself opened one component at a time from the
//! queue root with `O_NOFOLLOW|O_DIRECTORY` ([`open_message_dir`]), so neither a linked file nor
//! a linked directory is followed and a FIFO cannot block. Every read
//! stops at a cap the caller names.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::OnceLock;

use crate::queue::read::open_message_dir;
use crate::queue::{MessageId, Queue, Subdir};

pub use crate::queue::read::{read_at, FileStat, ReadFailure, Stop};

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
            slot.get_or_init(|| open_message_dir(self.queue, Subdir::Mess, id).ok())
                .as_ref()
        });
        let Some(dir) = dir else {
            buf.clear();
            return Err(ReadFailure::Io(io::Error::from(io::ErrorKind::NotFound)));
        };
        read_at(dir.as_fd(), id.0.to_string().as_str(), cap, stop, buf).map(|st| st.size)
    }
}

/// The quoted copies of the bounces among `records`, read from `queue`
/// ([`crate::analysis::backscatter::read`]): what `bounce-of:` terms see.
pub fn quoted_bounces(
    queue: &Queue,
    records: &[crate::queue::MessageRecord],
    strings: &crate::queue::Interner,
) -> Vec<(u32, crate::analysis::backscatter::Quoted)> {
    use crate::analysis::backscatter::{read, QUOTE_CAP};
    let reader = MessReader::new(queue);
    read(records, strings, |i| {
        let mut buf = Vec::new();
        let id = records.get(i)?.id;
        reader.read(id, QUOTE_CAP, Stop::Cap, &mut buf).ok()?;
        Some(buf)
    })
}
