//! `qtriage check`: a read-only consistency report of the queue (what `qmqtool -c` and
//! `postsuper -s` look for), each finding naming its files and the repair.
//!
//! Nothing is opened but directories: entries are `fstatat`ed without following links, so no
//! message file's atime changes (qmail-clean's 36-hour rule reads the mess atime) and nothing in
//! the queue is written, renamed or created.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Dir, FileType};

use super::layout::parse_id;
use super::listing::open_dir;
use super::{MessageId, Queue, Subdir};

/// qmail-send's cleanup removes a mess file with neither info nor todo once its atime is this
/// old (seconds): 36 hours.
pub const ORPHAN_AGE: i64 = 129_600;
/// A `pid/` file older than this (seconds) is a leftover: qmail-queue renames it within the
/// time it takes to receive one message.
pub const PID_AGE: i64 = 3_600;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// A mess file with neither info nor todo, not accessed for 36 hours.
    StaleMess,
    /// Envelope files (info, local, remote, todo, intd, bounce) without a mess file.
    EnvelopeWithoutMess,
    /// local, remote or bounce without info (and no todo): qmail-send never schedules it.
    EnvelopeWithoutInfo,
    /// A file in a split directory that is not `id % split`.
    WrongSubdir,
    /// todo without intd.
    TodoWithoutIntd,
    /// todo and intd are not one inode.
    TodoIntdDiffer,
    /// A mess file whose inode is not its name.
    InodeMismatch,
    /// An old file in `pid/`.
    LeftoverPid,
    /// A yank-area batch that was not finished.
    UnfinishedBatch,
    /// A file owned by another user than qmail's.
    Owner,
    /// A file whose permission bits differ from qmail's.
    Mode,
    /// A symbolic link in the queue.
    Symlink,
    /// A directory, FIFO, socket or device where a file belongs.
    NotAFile,
    /// A queue directory that cannot be listed.
    Unlisted,
}

impl FindingKind {
    /// The name in text and JSON.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::StaleMess => "stale-mess",
            FindingKind::EnvelopeWithoutMess => "envelope-without-mess",
            FindingKind::EnvelopeWithoutInfo => "envelope-without-info",
            FindingKind::WrongSubdir => "wrong-subdir",
            FindingKind::TodoWithoutIntd => "todo-without-intd",
            FindingKind::TodoIntdDiffer => "todo-intd-differ",
            FindingKind::InodeMismatch => "inode-mismatch",
            FindingKind::LeftoverPid => "leftover-pid",
            FindingKind::UnfinishedBatch => "unfinished-batch",
            FindingKind::Owner => "owner",
            FindingKind::Mode => "mode",
            FindingKind::Symlink => "symlink",
            FindingKind::NotAFile => "not-a-file",
            FindingKind::Unlisted => "unlisted",
        }
    }
}

/// One inconsistency: what, which message, which files, and what a repair would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What.
    pub kind: FindingKind,
    /// The message, when the finding is about one.
    pub id: Option<MessageId>,
    /// The files concerned (absolute paths, raw bytes).
    pub files: Vec<PathBuf>,
    /// The facts, in words.
    pub detail: String,
    /// What a repair would be (nothing is done).
    pub repair: String,
}

/// The owners qmail gives its files; `None` skips the owner check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owners {
    /// `qmailq`: mess, todo, intd.
    pub qmailq: u32,
    /// `qmails`: info, local, remote, bounce.
    pub qmails: u32,
}

/// How to check.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// "Now", unix seconds (ages of orphan mess and pid files).
    pub now: i64,
    /// qmail's users, when known.
    pub owners: Option<Owners>,
}

/// What one message's files look like.
#[derive(Debug, Default)]
struct Seen {
    parts: super::Parts,
    mess_ino: u64,
    mess_atime: i64,
    todo_ino: Option<u64>,
    intd_ino: Option<u64>,
}

/// The report.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// Every finding, in a stable order (kind, then id, then path).
    pub findings: Vec<Finding>,
    /// Messages seen (distinct ids with any file).
    pub messages: u64,
    /// Files examined.
    pub files: u64,
}

/// qmail's mode and owner for a file of `subdir` (docs/qmail-format.md §1).
fn expected(subdir: Subdir) -> (u32, &'static str) {
    match subdir {
        Subdir::Mess | Subdir::Todo | Subdir::Intd => (0o644, "qmailq"),
        Subdir::Info | Subdir::Local | Subdir::Remote | Subdir::Bounce => (0o600, "qmails"),
    }
}

impl Owners {
    /// The uid of `qmailq` or `qmails`.
    fn uid(self, user: &str) -> u32 {
        if user == "qmailq" {
            self.qmailq
        } else {
            self.qmails
        }
    }
}

/// Check the queue: every queue directory listed, every entry `lstat`ed, nothing opened.
pub fn check(queue: &Queue, opts: &CheckOptions) -> CheckReport {
    let mut report = CheckReport::default();
    let mut seen: BTreeMap<MessageId, Seen> = BTreeMap::new();
    let layout = queue.layout();
    for subdir in Subdir::ALL {
        let dirs: Vec<(PathBuf, Option<u32>)> = if layout.is_split(subdir) {
            (0..layout.split)
                .map(|n| {
                    (
                        queue.root().join(subdir.name()).join(n.to_string()),
                        Some(n),
                    )
                })
                .collect()
        } else {
            vec![(queue.root().join(subdir.name()), None)]
        };
        for (dir, bucket) in dirs {
            let ctx = DirCtx {
                subdir,
                dir: &dir,
                bucket,
                opts,
            };
            ctx.check_dir(queue, &mut seen, &mut report);
        }
    }
    report.messages = seen.len() as u64;
    for (id, s) in &seen {
        message_findings(queue, *id, s, opts.now, &mut report.findings);
    }
    pid_findings(queue.root(), opts.now, &mut report.findings);
    report
        .findings
        .sort_by(|a, b| (a.kind, a.id, &a.files).cmp(&(b.kind, b.id, &b.files)));
    report
}

/// One directory being checked.
struct DirCtx<'a> {
    subdir: Subdir,
    dir: &'a Path,
    bucket: Option<u32>,
    opts: &'a CheckOptions,
}

impl DirCtx<'_> {
    fn check_dir(
        &self,
        queue: &Queue,
        seen: &mut BTreeMap<MessageId, Seen>,
        report: &mut CheckReport,
    ) {
        let listed = open_dir(self.dir).and_then(|fd| {
            let dir = Dir::read_from(&fd)?;
            Ok((fd, dir))
        });
        let (fd, dir) = match listed {
            Ok(x) => x,
            Err(e) => {
                report.findings.push(unlisted(self.dir, &e));
                return;
            }
        };
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(id) = parse_id(name.to_bytes()) else {
                continue; // `.`, `..` and junk names: qmail ignores them too
            };
            report.files += 1;
            let path = self.dir.join(id.to_string());
            if let Some(f) = self.entry(queue, &fd, name, id, &path, seen) {
                report.findings.extend(f);
            }
        }
    }

    /// The findings of one entry; records it in `seen` when it is a file where qmail looks.
    fn entry(
        &self,
        queue: &Queue,
        fd: &OwnedFd,
        name: &CStr,
        id: MessageId,
        path: &Path,
        seen: &mut BTreeMap<MessageId, Seen>,
    ) -> Option<Vec<Finding>> {
        let st = rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW).ok()?;
        let one = |kind, detail: String, repair: &str| {
            Some(vec![Finding {
                kind,
                id: Some(id),
                files: vec![path.to_path_buf()],
                detail,
                repair: repair.to_string(),
            }])
        };
        match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => {}
            FileType::Symlink => {
                return one(
                    FindingKind::Symlink,
                    "a symbolic link where qmail keeps a file (never followed)".into(),
                    "remove the link; qmail never creates one",
                )
            }
            t => {
                return one(
                    FindingKind::NotAFile,
                    format!("a {t:?} where qmail keeps a file"),
                    "remove it (with qmail-send stopped); qmail never creates one",
                )
            }
        }
        if let Some(n) = self.bucket {
            let right = queue.layout().bucket(id);
            if right != n {
                let to = queue.path(self.subdir, id);
                return one(
                    FindingKind::WrongSubdir,
                    format!("in split directory {n}, but {id} % split is {right}: qmail never looks here"),
                    &format!("with qmail-send stopped: mv {} {}", path.display(), to.display()),
                );
            }
        }
        let s = seen.entry(id).or_default();
        s.parts.insert(self.subdir);
        let ino = st.st_ino;
        match self.subdir {
            Subdir::Mess => {
                s.mess_ino = ino;
                s.mess_atime = st.st_atime;
            }
            Subdir::Todo => s.todo_ino = Some(ino),
            Subdir::Intd => s.intd_ino = Some(ino),
            _ => {}
        }
        let mut out = Vec::new();
        let (mode, user) = expected(self.subdir);
        if let Some(uid) = self.opts.owners.map(|o| o.uid(user)) {
            if st.st_uid != uid {
                out.extend(one(
                    FindingKind::Owner,
                    format!("owned by uid {}, qmail's is {user} (uid {uid})", st.st_uid),
                    &format!("chown {user} {}", path.display()),
                )?);
            }
        }
        let have = st.st_mode & 0o7777;
        if have != mode {
            out.extend(one(
                FindingKind::Mode,
                format!("mode {have:04o}, qmail's is {mode:04o}"),
                &format!("chmod {mode:04o} {}", path.display()),
            )?);
        }
        Some(out)
    }
}

fn unlisted(dir: &Path, e: &std::io::Error) -> Finding {
    let linked = std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
    let repair = match linked {
        // qmail-send follows it; qtriage never does, so its messages go unseen here.
        true => "qmail follows the link, qtriage does not: with qmail-send stopped, put the directory it names in its place (mv)",
        false => "recreate it as a directory owned by qmail (qmail's `make setup` does), with qmail-send stopped",
    };
    Finding {
        kind: FindingKind::Unlisted,
        id: None,
        files: vec![dir.to_path_buf()],
        detail: format!("cannot be listed: {e}"),
        repair: repair.into(),
    }
}

/// The findings about one message's set of files.
fn message_findings(queue: &Queue, id: MessageId, s: &Seen, now: i64, out: &mut Vec<Finding>) {
    let files = |subdirs: &[Subdir]| -> Vec<PathBuf> {
        subdirs
            .iter()
            .filter(|d| s.parts.has(**d))
            .map(|d| queue.path(*d, id))
            .collect()
    };
    let mut push = |kind, files: Vec<PathBuf>, detail: String, repair: String| {
        out.push(Finding {
            kind,
            id: Some(id),
            files,
            detail,
            repair,
        })
    };
    let has = |d| s.parts.has(d);
    let yank = format!("with qmail-send stopped: echo {id} | qtriage yank --ids - --apply");
    if !has(Subdir::Mess) {
        push(
            FindingKind::EnvelopeWithoutMess,
            files(&Subdir::ALL),
            "envelope files without a mess file: nothing can be delivered".into(),
            format!("move them out of the queue ({yank})"),
        );
        return;
    }
    if s.mess_ino != id.0 {
        push(
            FindingKind::InodeMismatch,
            files(&[Subdir::Mess]),
            format!("the mess file's inode is {}, not its name", s.mess_ino),
            "qmail names a message by its inode: this file was copied in by hand; re-inject it with qmail-inject and remove it".into(),
        );
    }
    if !has(Subdir::Info) && !has(Subdir::Todo) {
        let channels = [Subdir::Local, Subdir::Remote, Subdir::Bounce];
        if channels.iter().any(|d| has(*d)) {
            push(
                FindingKind::EnvelopeWithoutInfo,
                files(&Subdir::ALL),
                "local, remote or bounce without info or todo: qmail-send finds messages by info/ and never schedules it".into(),
                format!("yank it ({yank}) and re-inject it if it is wanted"),
            );
        } else if now - s.mess_atime > ORPHAN_AGE {
            push(
                FindingKind::StaleMess,
                files(&[Subdir::Mess, Subdir::Intd]),
                format!(
                    "a mess file with neither info nor todo, not accessed for {} hours",
                    (now - s.mess_atime) / 3600
                ),
                format!("qmail-send's cleanup deletes it (36-hour rule); to keep a copy: {yank}"),
            );
        }
    }
    match (s.todo_ino, s.intd_ino) {
        (Some(_), None) => push(
            FindingKind::TodoWithoutIntd,
            files(&[Subdir::Todo]),
            "todo without intd: qmail-queue writes intd and links todo to it".into(),
            "none while qmail-send still processes todo/ (it then cleans both); if it stays, yank it".into(),
        ),
        (Some(t), Some(i)) if t != i => push(
            FindingKind::TodoIntdDiffer,
            files(&[Subdir::Todo, Subdir::Intd]),
            "todo and intd are different files; qmail-queue makes them one inode".into(),
            format!("one was replaced by hand: compare them, then {yank}"),
        ),
        _ => {}
    }
}

/// Old files in `pid/` (qmail-queue's scratch files, renamed into mess/ at once).
fn pid_findings(root: &Path, now: i64, out: &mut Vec<Finding>) {
    let dir = root.join("pid");
    let Ok(fd) = open_dir(&dir) else { return };
    let Ok(entries) = Dir::read_from(&fd) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if matches!(name.to_bytes(), b"." | b"..") {
            continue;
        }
        let Ok(st) = rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        let age = now - st.st_mtime;
        if age <= PID_AGE {
            continue;
        }
        use std::os::unix::ffi::OsStrExt;
        out.push(Finding {
            kind: FindingKind::LeftoverPid,
            id: None,
            files: vec![dir.join(std::ffi::OsStr::from_bytes(name.to_bytes()))],
            detail: format!("a qmail-queue scratch file {} hours old", age / 3600),
            repair: "qmail-send's cleanup deletes pid files older than 36 hours; none is needed"
                .into(),
        });
    }
}

#[cfg(test)]
mod tests;
