//! The yank area: where it is, that it shares the queue's filesystem, and what is in it.
//!
//! Files are named like qmail-remove names them, `<id>.<subdir>` (docs/qmail-format.md §6), so
//! a yank area written by qmail-remove `-r` reads the same as one written by qtriage. Journals
//! live in `.journal/`, which qmail-remove never touches.

use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::error::ActionError;
use super::journal::JOURNAL_DIR;
use super::mover::yank_name;
use crate::queue::{scan, Progress, ScanOptions, Subdir};
use crate::queue::{Interner, MessageId, Parts, Queue, QueueOptions, Scan};

/// The default yank area of a queue: `<queue>/yanked`.
pub fn default_yank_dir(queue_root: &Path) -> PathBuf {
    queue_root.join("yanked")
}

/// The list of the other yank areas actions on a queue used (`--yank-dir`), one path a line,
/// in its default yank area's journal directory: what `recover` and `check` look at besides
/// the default area (safety62: a yank killed in `--yank-dir y1` was reported `nothing to
/// recover`, and the operator restarted qmail-send on it).
fn registry(queue_root: &Path) -> PathBuf {
    journal_dir(&default_yank_dir(queue_root)).join("areas")
}

/// Add `yank_dir` to the queue's [`registered`] areas, unless it is the default or listed.
/// Called under the queue's lock, before an action writes its journal there.
pub fn register(queue_root: &Path, yank_dir: &Path) -> Result<(), ActionError> {
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let default = default_yank_dir(queue_root);
    let area = std::fs::canonicalize(yank_dir).unwrap_or_else(|_| yank_dir.to_path_buf());
    let bytes = area.as_os_str().as_bytes();
    // A path with a newline cannot be one line: `recover --yank-dir` still finds it.
    if same_dir(&area, &default) || bytes.contains(&b'\n') {
        return Ok(());
    }
    if registered(queue_root).iter().any(|a| same_dir(a, &area)) {
        return Ok(());
    }
    ensure_yank_dir(&default)?;
    let path = registry(queue_root);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| ActionError::io(&path, e))?;
    let line = [bytes, b"\n"].concat();
    (file.write_all(&line).and_then(|()| file.sync_all())).map_err(|e| ActionError::io(&path, e))
}

/// The other yank areas actions on the queue at `queue_root` used, as [`register`] listed them
/// (none when the list is missing or unreadable).
pub fn registered(queue_root: &Path) -> Vec<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let Ok(text) = std::fs::read(registry(queue_root)) else {
        return Vec::new();
    };
    (text.split(|&b| b == b'\n'))
        .filter(|l| !l.is_empty())
        .map(|l| PathBuf::from(std::ffi::OsStr::from_bytes(l)))
        .collect()
}

/// Every yank area of the queue at `queue_root` that exists: the default one, then the
/// [`registered`] ones.
pub fn every_area(queue_root: &Path) -> Vec<PathBuf> {
    let default = default_yank_dir(queue_root);
    (std::iter::once(default).chain(registered(queue_root)))
        .filter(|a| a.is_dir())
        .collect()
}

/// Which files of message `id` the yank area `yank_dir` holds (links and all: a name taken).
pub fn parts_of(yank_dir: &Path, id: MessageId) -> Parts {
    let taken = |s: &Subdir| std::fs::symlink_metadata(yank_dir.join(yank_name(id, *s))).is_ok();
    Parts(
        Subdir::ALL
            .into_iter()
            .filter(taken)
            .fold(0, |bits, s| bits | s.bit()),
    )
}

/// Are `a` and `b` the same directory (the same path, or the same one by device and inode)?
pub fn same_dir(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a == b
        || match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
            _ => false,
        }
}

/// The journal directory of a yank area.
pub fn journal_dir(yank_dir: &Path) -> PathBuf {
    yank_dir.join(JOURNAL_DIR)
}

pub use crate::queue::scan::{parse_yank_name, MAX_YANKED_ENTRIES};

/// Create the yank area and its journal directory (mode 0700, like qmail-remove's), fsync'd.
pub fn ensure_yank_dir(yank_dir: &Path) -> Result<(), ActionError> {
    for dir in [yank_dir.to_path_buf(), journal_dir(yank_dir)] {
        if !dir.is_dir() {
            match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
                // Another qtriage made it meanwhile (two first yanks at once, safety62: the
                // loser said only `File exists`); the locks decide which one acts.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
                r => r.map_err(|e| ActionError::io(&dir, e))?,
            }
            if let Some(parent) = dir.parent() {
                super::journal::fsync_dir(parent)?;
            }
        }
    }
    Ok(())
}

/// Refuse a yank area on another filesystem than the queue: rename(2) would fail with EXDEV
/// (and a copy is not atomic). Compares `st_dev` of the queue's `mess/` and the yank area, or,
/// while the area does not exist yet, of its nearest existing ancestor (where it would be
/// created), so a dry run refuses what `--apply` would, and `--apply` refuses before creating
/// anything; and their mounts, where the kernel tells, for a bind mount of the same filesystem.
pub fn check_same_filesystem(queue_root: &Path, yank_dir: &Path) -> Result<(), ActionError> {
    let mess = queue_root.join("mess");
    let q = std::fs::metadata(&mess).map_err(|e| ActionError::io(&mess, e))?;
    let (nearest, y) = nearest_existing(yank_dir)?;
    if q.dev() != y.dev() {
        return Err(ActionError::CrossDevice {
            queue: queue_root.to_path_buf(),
            yank: yank_dir.to_path_buf(),
        });
    }
    if let (Some(a), Some(b)) = (mount_id(&mess), mount_id(&nearest)) {
        if a != b {
            return Err(ActionError::OtherMount {
                queue: queue_root.to_path_buf(),
                yank: yank_dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// The mount `p` lies on, where the kernel tells (statx's mount id, Linux 5.8 on): a bind
/// mount shares its filesystem's `st_dev`, yet rename(2) between two mounts fails.
fn mount_id(p: &Path) -> Option<u64> {
    use rustix::fs::{statx, AtFlags, StatxFlags, CWD};
    let s = statx(CWD, p, AtFlags::empty(), StatxFlags::MNT_ID).ok()?;
    (s.stx_mask & StatxFlags::MNT_ID.bits() != 0).then_some(s.stx_mnt_id)
}

/// `dir` and its metadata, or its nearest ancestor that exists and that one's. Symbolic links
/// are followed: the area is wherever its path leads, as for rename(2).
fn nearest_existing(dir: &Path) -> Result<(PathBuf, std::fs::Metadata), ActionError> {
    for p in dir.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        match std::fs::metadata(p) {
            Ok(m) => return Ok((p.to_path_buf(), m)),
            // A link to nowhere: creating the area there fails with "File exists", which says
            // nothing (crash49); said plainly, by the dry run too.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && is_symlink(p) => {
                let to = std::fs::read_link(p).unwrap_or_default();
                let why = format!(
                    "a symbolic link to {}, which does not exist: create that directory, or \
                     give another --yank-dir",
                    to.display()
                );
                return Err(ActionError::io(p, std::io::Error::other(why)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(ActionError::io(p, e)),
        }
    }
    // A relative path whose every component is missing lies in the current directory.
    let here = std::fs::metadata(".").map_err(|e| ActionError::io(dir, e))?;
    Ok((PathBuf::from("."), here))
}

/// The directories of a queue qmail reads or cleans (`lock/` and `pid/` too: qmail-clean
/// deletes every file of `pid/` whose atime is 36 hours old, safety62).
const QMAIL_DIRS: [&str; 9] = [
    "mess", "intd", "todo", "info", "local", "remote", "bounce", "pid", "lock",
];

/// Refuse to move messages into a yank area that is the queue's directory itself or inside one
/// of qmail's: a yank kept a day or a week in `pid/` is deleted by qmail-clean (safety62: 1,300
/// messages gone). Asked of what moves mail into the area (a yank, `remove -r`), never of a
/// restore, purge or recovery out of one made before (review62: the rescue was refused).
/// Paths are compared as they resolve (links followed), the area's missing part as written.
pub fn check_outside_qmail_dirs(queue_root: &Path, yank_dir: &Path) -> Result<(), ActionError> {
    let Ok(queue) = std::fs::canonicalize(queue_root) else {
        return Ok(());
    };
    let area = resolved(yank_dir);
    let place = if area == queue {
        Some("the queue directory".to_string())
    } else {
        (QMAIL_DIRS.iter())
            .find(|d| area.starts_with(queue.join(d)))
            .map(|d| format!("inside the queue's {d}/"))
    };
    match place {
        Some(place) => Err(ActionError::InsideQueue {
            yank: yank_dir.to_path_buf(),
            place,
        }),
        None => Ok(()),
    }
}

/// `dir` with its longest existing ancestor resolved (links followed), the rest as written.
fn resolved(dir: &Path) -> PathBuf {
    let absolute = match dir.is_absolute() {
        true => dir.to_path_buf(),
        false => std::env::current_dir().unwrap_or_default().join(dir),
    };
    for p in absolute.ancestors() {
        if let Ok(real) = std::fs::canonicalize(p) {
            let rest = absolute.strip_prefix(p).unwrap_or(Path::new(""));
            return real.join(rest);
        }
    }
    absolute
}

/// Is `p` a symbolic link (not followed)?
fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// One message in the yank area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YankedMessage {
    /// Its id.
    pub id: MessageId,
    /// Which of its files are there.
    pub files: Parts,
    /// Size of `<id>.mess` (0 if absent).
    pub bytes: u64,
    /// When it was yanked: the ctime of its mess file (rename sets it), else of any file.
    pub yanked_at: i64,
}

/// Every batch in the yank area's journal, oldest first (what `qtriage yanked` and the incident
/// report list). A missing journal is an empty list; a journal whose first line was never
/// finished is none (nothing of it moved; `check` names it, `recover` removes it).
pub fn batches(yank_dir: &Path) -> Result<Vec<super::journal::Batch>, ActionError> {
    let mut out = Vec::new();
    for path in super::journal::journal_files(&journal_dir(yank_dir))? {
        match super::journal::load(&path) {
            Err(e) if super::journal::is_torn_header(&e) => {}
            batch => out.push(batch?),
        }
    }
    Ok(out)
}

/// List the yank area (a missing area is empty). Names that are not `<id>.<subdir>` are skipped.
pub fn list_yanked(yank_dir: &Path) -> Result<Vec<YankedMessage>, ActionError> {
    let rd = match std::fs::read_dir(yank_dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ActionError::io(yank_dir, e)),
    };
    let mut by_id: BTreeMap<MessageId, YankedMessage> = BTreeMap::new();
    for entry in rd.take(MAX_YANKED_ENTRIES) {
        let entry = entry.map_err(|e| ActionError::io(yank_dir, e))?;
        let name = entry.file_name();
        let Some((id, subdir)) = parse_yank_name(name.as_encoded_bytes()) else {
            continue;
        };
        let Ok(meta) = entry.metadata() else {
            continue; // gone meanwhile
        };
        let m = by_id.entry(id).or_insert(YankedMessage {
            id,
            files: Parts::default(),
            bytes: 0,
            yanked_at: meta.ctime(),
        });
        m.files.insert(subdir);
        if subdir == Subdir::Mess {
            m.bytes = meta.len();
            m.yanked_at = meta.ctime();
        }
    }
    Ok(by_id.into_values().collect())
}

/// A temporary queue-shaped view of yanked messages (hard links, split 1), so queries that read
/// message files (`body:`, `header:`) can run over them. Removed when dropped. Linking changes
/// the files' ctime (their "yanked at"), so only `restore` with such a query uses it; reading
/// the yank area is [`crate::queue::scan::scan_yank_area`].
#[derive(Debug)]
pub struct YankedView {
    root: PathBuf,
}

impl YankedView {
    /// Build the view inside the yank area (same filesystem, so hard links work).
    pub fn build(yank_dir: &Path, messages: &[YankedMessage]) -> Result<YankedView, ActionError> {
        let root = yank_dir.join(format!(".view-{}", std::process::id()));
        // A view left by a crashed run of the same pid is stale: start afresh.
        let _ = std::fs::remove_dir_all(&root);
        let view = YankedView { root };
        for s in Subdir::ALL {
            let d = view.root.join(view_rel(s, None));
            std::fs::create_dir_all(&d).map_err(|e| ActionError::io(&d, e))?;
        }
        std::fs::create_dir_all(view.root.join("lock"))
            .map_err(|e| ActionError::io(&view.root, e))?;
        for m in messages {
            for s in m.files.iter() {
                let from = yank_dir.join(yank_name(m.id, s));
                let to = view.root.join(view_rel(s, Some(m.id)));
                // A file that vanished meanwhile is simply absent from the view.
                let _ = std::fs::hard_link(&from, &to);
            }
        }
        Ok(view)
    }

    /// Scan the view like a queue.
    pub fn scan(&self, strings: &Interner) -> crate::Result<(Queue, Scan)> {
        let q = Queue::open(&self.root, QueueOptions { split: Some(1) })?;
        let s = scan(&q, strings, ScanOptions::default(), &Progress::default())?;
        Ok((q, s))
    }
}

fn view_rel(s: Subdir, id: Option<MessageId>) -> PathBuf {
    let mut p = PathBuf::from(s.name());
    if matches!(
        s,
        Subdir::Mess | Subdir::Info | Subdir::Local | Subdir::Remote
    ) {
        p.push("0");
    }
    if let Some(id) = id {
        p.push(id.0.to_string());
    }
    p
}

impl Drop for YankedView {
    fn drop(&mut self) {
        // Only hard links live here; the yanked files keep their other name.
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
