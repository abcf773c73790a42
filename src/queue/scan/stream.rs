//! qmail-qread's walk, streamed: info/ split directory by split directory, read in parallel, in
//! bounded memory, formatted on the reading threads.
//!
//! qmail-qread lists `info/0..split-1` and, for each id, looks at the files named by that id:
//! `mess/` (its size), `info/` (sender, birth time), `local/` and `remote/` (recipients) and
//! `bounce/`. It never looks at `todo/` or `intd/`. This does the same from directory listings
//! (so a file is never opened to learn it is absent), one split directory at a time, reading
//! [`BATCH`] messages a job on worker threads and handing their text over in (split directory,
//! id) order ([`super::handoff`]). A plain message (every file a regular file where its id
//! says) is read straight into its text, without a record or an interner; anything else goes
//! through the scan's `read_message`, so damaged messages read exactly as every other command
//! sees them. The listing runs on its own thread, the next split directory listed while the
//! last batches of one are read; the caller writes the text. At a million messages memory is
//! what [`WINDOW_PER_THREAD`] batches a worker and two split directories' listings take, not
//! the queue.

use std::io;
use std::ops::Range;
use std::os::fd::AsFd;
use std::sync::Arc;

use super::super::envelope::Recipients;
use super::super::headers::FIRST_READ;
use super::super::last_syms::LastSyms;
use super::super::layout::Subdir;
use super::super::listing::{list, Entry, EntryKind};
use super::super::read::{read_at, read_head_at, Stop};
use super::super::recipients::{RecipientList, RecipientMemo};
use super::super::{Interner, MessageId, MessageRecord, Queue};
use super::dirs::FileName;
use super::handoff::{handoff, Producer};
use super::message::ThreadBufs;
use super::{
    read_message_keeping, read_one, BucketDirs, Files, Found, ReadCtx, ScanOptions, ScanReport,
};

/// Messages one job reads and formats into one buffer: a job is claimed and handed over under
/// one lock each, which at 32 messages is about 3,100 times at 100,000 messages.
const BATCH: usize = 32;
/// Batches a worker may be ahead of the writer (with 16 workers, 2,048 messages' text, about
/// 800 KB on a relay flood): room for every worker to keep reading while a slow one holds the
/// writer back.
const WINDOW_PER_THREAD: usize = 4;

/// A plain message as qmail-qread's listing shows it, borrowed from the bytes just read.
#[derive(Debug)]
pub struct QreadMessage<'a> {
    /// Its id.
    pub id: MessageId,
    /// info/'s mtime, the birth time.
    pub queued: i64,
    /// mess/'s size.
    pub size: u64,
    /// info/'s sender (`None`: info/ holds no `F` record).
    pub sender: Option<&'a [u8]>,
    /// A bounce/ file exists.
    pub bouncing: bool,
    /// local/'s recipients.
    pub local: Recipients<'a>,
    /// remote/'s recipients.
    pub remote: Recipients<'a>,
}

/// How the listing's text is made, called on the reading threads.
pub trait QreadFormat: Sync {
    /// Append the text of a plain message.
    fn plain(&self, m: &QreadMessage<'_>, out: &mut Vec<u8>);
    /// Append the text of a message read by the scan's reader (anything not plain).
    fn record(
        &self,
        r: &MessageRecord,
        rcpts: &RecipientList,
        strings: &Interner,
        out: &mut Vec<u8>,
    );
}

/// One split directory's listing of a subdirectory, sorted by id for lookups; `typed` when the
/// filesystem gave every entry's type.
#[derive(Default)]
struct Sorted(Vec<Entry>, bool);

impl Sorted {
    fn of(entries: Vec<Entry>, typed: bool) -> Sorted {
        let mut v = entries;
        v.sort_unstable_by_key(|e| e.id);
        Sorted(v, typed)
    }

    fn get(&self, id: MessageId) -> Option<EntryKind> {
        let i = self.0.partition_point(|e| e.id < id);
        self.0.get(i).filter(|e| e.id == id).map(|e| e.kind)
    }

    /// [`Self::get`] for ids looked up in ascending order, `cursor` where the last lookup
    /// left off: a few steps on from it, not a search of the whole listing. A batch's ids
    /// ascend (info/'s listing is sorted), and the four searches of a split directory's
    /// listings (4,300 entries at 100,000 messages) were 12 % of `read`'s user time, each
    /// step a cache miss.
    fn seek(&self, cursor: &mut Option<usize>, id: MessageId) -> Option<EntryKind> {
        let mut i = match *cursor {
            Some(i) => i,
            None => self.0.partition_point(|e| e.id < id),
        };
        // The next entries first (the usual case: this listing holds the same ids), a search
        // of the rest when the id is further on.
        let mut steps = 0;
        while self.0.get(i).is_some_and(|e| e.id < id) {
            if steps == SEEK_STEPS {
                i += self.0[i..].partition_point(|e| e.id < id);
                break;
            }
            i += 1;
            steps += 1;
        }
        *cursor = Some(i);
        self.0.get(i).filter(|e| e.id == id).map(|e| e.kind)
    }
}

/// Entries [`Sorted::seek`] steps over before it searches.
const SEEK_STEPS: usize = 8;

/// Where a batch's lookups in mess/, local/, remote/ and bounce/ have got to.
#[derive(Default)]
struct Cursors([Option<usize>; 4]);

/// Walk the messages qmail-qread lists, handing `write` their text (made by `format`) chunk by
/// chunk in (split directory, id) order. Directories that cannot be listed, junk names and
/// vanished messages are added to `report`; an error from `write` stops the walk.
pub fn stream_info_messages(
    queue: &Queue,
    report: &mut ScanReport,
    format: &dyn QreadFormat,
    write: &mut dyn FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    stream_with(queue, report, format, write, true)
}

/// [`stream_info_messages`]; `fast` false reads every message through `read_message` (the
/// tests compare both).
fn stream_with(
    queue: &Queue,
    report: &mut ScanReport,
    format: &dyn QreadFormat,
    write: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    fast: bool,
) -> io::Result<()> {
    let threads = super::parallel::read_threads();
    // Listed first, on this thread: the split directories' jobs borrow it.
    let unsplit_bounce = if queue.layout().is_split(Subdir::Bounce) {
        Sorted(Vec::new(), true)
    } else {
        listed(queue, Subdir::Bounce, None, report)
    };
    let (producer, workers, mut taker) = handoff(threads * WINDOW_PER_THREAD);
    let workers = &workers;
    let unsplit_bounce = &unsplit_bounce;
    std::thread::scope(|s| {
        let lister = s.spawn(move || {
            let mut report = ScanReport::default();
            queue_all(queue, unsplit_bounce, &mut report, &producer);
            report
        });
        for _ in 0..threads {
            s.spawn(move || {
                let mut bufs = Bufs::default();
                workers.work(|job, spare| job.read(spare, &mut bufs, format, fast));
            });
        }
        let mut written = Ok(());
        let mut done = None;
        while let Some(batch) = taker.next(done.take()) {
            report.vanished += batch.vanished;
            written = write(&batch.text);
            if written.is_err() {
                break;
            }
            done = Some(batch);
        }
        // Whether the walk ended or the writer failed (or panics, unwinding): nothing more is
        // read.
        drop(taker);
        let theirs = lister
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        report.junk_names += theirs.junk_names;
        report.unreadable_dirs.extend(theirs.unreadable_dirs);
        written
    })
}

/// A worker's job: [`BATCH`] info/ entries of one split directory.
struct Job<'a> {
    dir: Arc<SplitDir<'a>>,
    entries: Range<usize>,
}

/// A job's text, and how many of its messages vanished.
struct Batch {
    text: Vec<u8>,
    vanished: u64,
}

impl Job<'_> {
    /// Read the job's messages into `spare`'s buffer (reused once the writer is done with it).
    fn read(
        self,
        spare: Option<Batch>,
        bufs: &mut Bufs,
        format: &dyn QreadFormat,
        fast: bool,
    ) -> Batch {
        let mut text = spare.map_or_else(|| Vec::with_capacity(BATCH * 512), |b| b.text);
        text.clear();
        let batch = &self.dir.info.0[self.entries];
        let vanished = self.dir.batch_text(batch, bufs, format, fast, &mut text);
        Batch { text, vanished }
    }
}

/// The listings of one split directory.
struct SplitDir<'a> {
    n: u32,
    queue: &'a Queue,
    dirs: BucketDirs,
    info: Sorted,
    mess: Sorted,
    local: Sorted,
    remote: Sorted,
    /// bounce/'s listing when it is split (it is not in qmail), else none: `unsplit_bounce`.
    split_bounce: Option<Sorted>,
    unsplit_bounce: &'a Sorted,
}

/// List every split directory and queue its batches (the lister's side of [`stream_with`]);
/// stops when the writer has. The next directory is listed once every batch of the last one
/// has been queued (the window's last ones not yet read): two directories' listings at most
/// are held, or those the window's batches need.
fn queue_all<'a>(
    queue: &'a Queue,
    unsplit_bounce: &'a Sorted,
    report: &mut ScanReport,
    producer: &Producer<Job<'a>, Batch>,
) {
    let layout = queue.layout();
    for n in 0..layout.split {
        let info = listed(queue, Subdir::Info, Some(n), report);
        if info.0.is_empty() {
            continue;
        }
        let split_bounce = layout
            .is_split(Subdir::Bounce)
            .then(|| listed(queue, Subdir::Bounce, Some(n), report));
        let dir = Arc::new(SplitDir {
            n,
            queue,
            dirs: BucketDirs::open(queue, n),
            mess: listed(queue, Subdir::Mess, Some(n), report),
            local: listed(queue, Subdir::Local, Some(n), report),
            remote: listed(queue, Subdir::Remote, Some(n), report),
            info,
            split_bounce,
            unsplit_bounce,
        });
        let len = dir.info.0.len();
        let jobs = (0..len).step_by(BATCH).map(|from| Job {
            dir: Arc::clone(&dir),
            entries: from..(from + BATCH).min(len),
        });
        for job in jobs {
            if !producer.push(job) {
                return;
            }
        }
    }
}

/// A read task's buffers, reused from message to message.
struct Bufs {
    info: Vec<u8>,
    local: Vec<u8>,
    remote: Vec<u8>,
}

impl Default for Bufs {
    fn default() -> Bufs {
        Bufs {
            info: Vec::with_capacity(FIRST_READ),
            local: Vec::with_capacity(FIRST_READ),
            remote: Vec::with_capacity(FIRST_READ),
        }
    }
}

impl SplitDir<'_> {
    fn bounce(&self) -> &Sorted {
        self.split_bounce.as_ref().unwrap_or(self.unsplit_bounce)
    }

    /// Append the text of `batch` (info/ entries of this split directory) to `out`; returns
    /// how many of its messages vanished.
    fn batch_text(
        &self,
        batch: &[Entry],
        bufs: &mut Bufs,
        format: &dyn QreadFormat,
        fast: bool,
        out: &mut Vec<u8>,
    ) -> u64 {
        let mut vanished = 0;
        let mut cursors = Cursors::default();
        for e in batch {
            if fast && self.plain_text(e, &mut cursors, bufs, format, out) {
                continue;
            }
            let strings = Interner::new();
            match self.read_record(e, &strings, &mut bufs.info) {
                Some((r, rcpts)) => format.record(&r, &rcpts, &strings, out),
                None => vanished += 1,
            }
        }
        vanished
    }

    /// Read a message whose listings show a plain message and append its text; false (nothing
    /// appended) when anything is not plain, for [`Self::read_record`] to read it as the scan
    /// does.
    fn plain_text(
        &self,
        e: &Entry,
        cursors: &mut Cursors,
        bufs: &mut Bufs,
        format: &dyn QreadFormat,
        out: &mut Vec<u8>,
    ) -> bool {
        let file = Some(EntryKind::File);
        let lists = [
            &self.info,
            &self.mess,
            &self.local,
            &self.remote,
            self.bounce(),
        ];
        if e.kind != EntryKind::File
            || self.queue.layout().bucket(e.id) != self.n
            || !lists.iter().all(|l| l.1)
        {
            return false;
        }
        let [mess, local, remote, bounce] = &mut cursors.0;
        if self.mess.seek(mess, e.id) != file {
            return false;
        }
        let local = self.local.seek(local, e.id);
        let remote = self.remote.seek(remote, e.id);
        let bounce = self.bounce().seek(bounce, e.id);
        if [local, remote, bounce]
            .iter()
            .any(|k| k.is_some() && *k != file)
        {
            return false;
        }
        let file_name = FileName::of(e.id);
        let name = file_name.c_str();
        let Some(size) = self.mess_size(name) else {
            return false;
        };
        let fd = |s: Subdir| self.dirs.fd(s, self.n);
        let Some(queued) = fd(Subdir::Info)
            .and_then(|d| {
                read_at(
                    d.as_fd(),
                    name,
                    super::ENVELOPE_CAP,
                    Stop::Cap,
                    &mut bufs.info,
                )
                .ok()
            })
            .map(|st| st.mtime)
        else {
            return false;
        };
        let channel = |s: Subdir, listed: Option<EntryKind>, buf: &mut Vec<u8>| -> Option<()> {
            buf.clear();
            if listed.is_some() {
                read_head_at(fd(s)?.as_fd(), name, super::ENVELOPE_CAP, Stop::Cap, buf).ok()?;
            }
            Some(())
        };
        if channel(Subdir::Local, local, &mut bufs.local).is_none()
            || channel(Subdir::Remote, remote, &mut bufs.remote).is_none()
        {
            return false;
        }
        let m = QreadMessage {
            id: e.id,
            queued,
            size,
            sender: super::super::envelope::parse_info(&bufs.info).0,
            bouncing: bounce.is_some(),
            // A channel file not listed was not read: its buffer is empty.
            local: Recipients::new(&bufs.local),
            remote: Recipients::new(&bufs.remote),
        };
        format.plain(&m, out);
        true
    }

    /// The size of the regular file `mess/n/name`, as qmail-qread's `stat` of it.
    fn mess_size(&self, name: &std::ffi::CStr) -> Option<u64> {
        use rustix::fs::{AtFlags, FileType};
        let st = rustix::fs::statat(
            self.dirs.fd(Subdir::Mess, self.n)?,
            name,
            AtFlags::SYMLINK_NOFOLLOW,
        )
        .ok()?;
        (FileType::from_raw_mode(st.st_mode) == FileType::RegularFile)
            .then_some(st.st_size.max(0) as u64)
    }

    /// Read a message with the scan's reader, as `read` reads every message: envelopes and the
    /// mess file's size, no headers. `None` when all of it vanished.
    fn read_record(
        &self,
        e: &Entry,
        strings: &Interner,
        buf: &mut Vec<u8>,
    ) -> Option<(MessageRecord, RecipientList)> {
        let layout = self.queue.layout();
        if layout.bucket(e.id) != self.n {
            // qmail-qread builds every path from the id, whatever directory it was listed in:
            // read the message where its id says it is.
            let r = read_one(self.queue, strings, e.id).ok().map(info_missing)?;
            let rcpts = super::super::recipients_of(self.queue, &r);
            return Some((r, rcpts));
        }
        let ctx = ReadCtx {
            files: Files::Queue {
                queue: self.queue,
                dirs: &self.dirs,
            },
            strings,
            opts: ScanOptions {
                headers: false,
                envelopes: true,
            },
            first_pass: None,
            types_known: [
                &self.info,
                &self.mess,
                &self.local,
                &self.remote,
                self.bounce(),
            ]
            .iter()
            .all(|l| l.1),
            bucket: self.n,
        };
        let mut rcpts = RecipientList::default();
        // A new interner each message (see `batch_text`): nothing to remember across them.
        // Envelopes only (no header block), into `buf`.
        let bufs = ThreadBufs {
            head: &mut Vec::new(),
            envelope: buf,
            last: &mut LastSyms::default(),
            memo: &mut RecipientMemo::new(strings),
        };
        let r = read_message_keeping(&ctx, &self.group_of(e), bufs, Some(&mut rcpts))?;
        Some((r, rcpts))
    }

    /// The files the listings show for `info`'s id, as `read_message` takes them.
    fn group_of(&self, info: &Entry) -> Vec<Found> {
        let layout = self.queue.layout();
        let mut group = Vec::with_capacity(5);
        for (subdir, from) in [
            (Subdir::Mess, &self.mess),
            (Subdir::Local, &self.local),
            (Subdir::Remote, &self.remote),
            (Subdir::Bounce, self.bounce()),
        ] {
            if let Some(kind) = from.get(info.id) {
                let dir = if layout.is_split(subdir) {
                    self.n
                } else {
                    u32::MAX
                };
                group.push(Found {
                    id: info.id,
                    subdir,
                    kind,
                    dir,
                });
            }
        }
        group.push(Found {
            id: info.id,
            subdir: Subdir::Info,
            kind: info.kind,
            dir: self.n,
        });
        group
    }
}

/// A message listed in another split directory's info/: where its id says, its info file is
/// missing, as qmail-qread's open of it finds (`trouble with #ID: file does not exist`).
fn info_missing(mut r: MessageRecord) -> MessageRecord {
    use super::super::{Problem, ProblemKind};
    if !r.parts.has(Subdir::Info) {
        r.parts.insert(Subdir::Info);
        let mut problems = r.problems.into_vec();
        problems.push(Problem {
            kind: ProblemKind::Vanished,
            part: Subdir::Info,
        });
        problems.sort_unstable();
        r.problems = problems.into();
    }
    r
}

/// The listing of `subdir` (split directory `n`, or the unsplit directory), sorted by id;
/// a directory that cannot be listed is empty and reported.
fn listed(queue: &Queue, subdir: Subdir, n: Option<u32>, report: &mut ScanReport) -> Sorted {
    let mut path = queue.root().join(subdir.name());
    if let Some(n) = n {
        path.push(n.to_string());
    }
    match list(&path) {
        Ok(l) => {
            report.junk_names += l.junk;
            Sorted::of(l.entries, l.untyped == 0)
        }
        Err(e) => {
            report.unreadable_dirs.push((path, e.to_string()));
            Sorted(Vec::new(), true)
        }
    }
}

#[cfg(test)]
mod tests;
