//! Read a message's whole recipient list back from its envelope files, for what shows or matches
//! every address (`read`, `list --json`, the inspector, `rcpt:`); the record keeps only a
//! [`RecipientSummary`](super::recipients::RecipientSummary).

use std::os::fd::{AsFd, OwnedFd};
use std::sync::OnceLock;

use super::envelope::{parse_channel, parse_todo};
use super::listing::open_dir;
use super::read::{read_at, Stop};
use super::recipients::{Channel, RecipientList, ENVELOPE_CAP};
use super::{MessageRecord, Queue, Subdir};

/// Parse the envelope file bytes `buf` of `subdir` into `list`.
pub(crate) fn parse_into(list: &mut RecipientList, subdir: Subdir, buf: &[u8]) {
    match subdir {
        Subdir::Local | Subdir::Remote => {
            let channel = if subdir == Subdir::Local {
                Channel::Local
            } else {
                Channel::Remote
            };
            for (a, done) in parse_channel(buf).0 {
                list.push(a, channel, done);
            }
        }
        Subdir::Todo | Subdir::Intd => {
            for a in parse_todo(buf).0.recipients {
                list.push(a, Channel::Todo, false);
            }
        }
        _ => {}
    }
}

/// The envelope files a record's recipients come from: local/ and remote/ when it has either,
/// else todo/ (or intd/ without todo/), as the scan reads them.
fn recipient_files(r: &MessageRecord) -> smallvec::SmallVec<[Subdir; 2]> {
    let p = r.parts;
    if p.has(Subdir::Local) || p.has(Subdir::Remote) {
        [Subdir::Local, Subdir::Remote]
            .into_iter()
            .filter(|s| p.has(*s))
            .collect()
    } else if p.has(Subdir::Todo) {
        smallvec::smallvec![Subdir::Todo]
    } else if p.has(Subdir::Intd) {
        smallvec::smallvec![Subdir::Intd]
    } else {
        smallvec::SmallVec::new()
    }
}

/// Reads messages' recipient lists from one queue's envelope files, keeping each directory open
/// once it is needed; shared by the threads of a parallel query.
pub struct RecipientReader<'a> {
    queue: &'a Queue,
    /// One slot per (subdirectory, split directory).
    dirs: Vec<OnceLock<Option<OwnedFd>>>,
}

impl<'a> RecipientReader<'a> {
    /// A reader for `queue`.
    pub fn new(queue: &'a Queue) -> RecipientReader<'a> {
        let n = Subdir::ALL.len() * queue.layout().split as usize;
        RecipientReader {
            queue,
            dirs: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// `r`'s recipients as its envelope files hold them now (`buf` is scratch space). A file
    /// that cannot be read (gone since the scan, a link, unreadable) adds none, as in the scan.
    pub fn read(&self, r: &MessageRecord, buf: &mut Vec<u8>) -> RecipientList {
        let mut list = RecipientList::default();
        for subdir in recipient_files(r) {
            if self.read_file(subdir, r, buf) {
                parse_into(&mut list, subdir, buf);
            }
        }
        list
    }

    /// Read `r`'s file in `subdir` into `buf`; false when it cannot be read.
    fn read_file(&self, subdir: Subdir, r: &MessageRecord, buf: &mut Vec<u8>) -> bool {
        let layout = self.queue.layout();
        let slot = Subdir::ALL.iter().position(|s| *s == subdir).unwrap_or(0)
            * layout.split as usize
            + layout.bucket(r.id) as usize;
        let dir = self.dirs.get(slot).and_then(|d| {
            d.get_or_init(|| open_dir(&self.queue.root().join(layout.dir_of(subdir, r.id))).ok())
                .as_ref()
        });
        let Some(dir) = dir else {
            return false;
        };
        read_at(
            dir.as_fd(),
            r.id.0.to_string().as_str(),
            ENVELOPE_CAP,
            Stop::Cap,
            buf,
        )
        .is_ok()
    }
}

/// `r`'s recipients read from `queue`'s envelope files now: what showing one message needs.
pub fn recipients_of(queue: &Queue, r: &MessageRecord) -> RecipientList {
    RecipientReader::new(queue).read(r, &mut Vec::new())
}
