//! An independent view of a queue plus its yank area, walked with walkdir (not qtriage's code),
//! to prove that every message is whole in exactly one place.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Where a message's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Queue,
    Yank,
}

/// One file: relative path, inode, size, and optionally a hash of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFact {
    pub rel: PathBuf,
    pub ino: u64,
    pub len: u64,
    pub hash: Option<u64>,
}

/// Every message file, by id, then by subdir name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<u64, BTreeMap<(String, Place), FileFact>>,
}

const QUEUE_DIRS: [&str; 7] = ["mess", "info", "local", "remote", "todo", "intd", "bounce"];

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// Walk `root` (queue with `yanked/` inside). `hash` reads every file's bytes.
pub fn walk(root: &Path, yank: &Path, hash: bool) -> Tree {
    try_walk(root, yank, hash).expect("a file vanished during the walk")
}

/// [`walk`], or `None` when a file listed was gone before it was read: the queue is being
/// changed (a running qmail-send removes a finished message's files).
pub fn try_walk(root: &Path, yank: &Path, hash: bool) -> Option<Tree> {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let mut vanished = false;
    let mut t = Tree::default();
    let mut visit = |dir: &Path, place: Place| {
        for e in walkdir::WalkDir::new(dir).follow_links(false) {
            let e = e.expect("walk");
            if !e.file_type().is_file() {
                continue;
            }
            let rel = e
                .path()
                .strip_prefix(root)
                .expect("under root")
                .to_path_buf();
            let name = e.file_name().to_str().expect("utf-8 name").to_string();
            let (id, subdir) = match place {
                Place::Yank => {
                    if rel
                        .components()
                        .any(|c| c.as_os_str().to_str().is_some_and(|s| s.starts_with('.')))
                    {
                        continue; // journal and views
                    }
                    let (id, sub) = name.split_once('.').expect("<id>.<subdir>");
                    (id.parse::<u64>().expect("id"), sub.to_string())
                }
                Place::Queue => {
                    let top = rel
                        .components()
                        .next()
                        .expect("top")
                        .as_os_str()
                        .to_str()
                        .expect("utf-8");
                    if !QUEUE_DIRS.contains(&top) {
                        continue;
                    }
                    (name.parse::<u64>().expect("id"), top.to_string())
                }
            };
            let md = match e.metadata() {
                Err(err) if err.io_error().is_some_and(gone) => {
                    vanished = true;
                    continue;
                }
                md => md.expect("metadata"),
            };
            let bytes = match hash.then(|| std::fs::read(e.path())) {
                Some(Err(err)) if gone(&err) => {
                    vanished = true;
                    continue;
                }
                read => read.map(|r| r.expect("read")),
            };
            let hash = bytes.map(|b| fnv(&b));
            let fact = FileFact {
                rel,
                ino: md.ino(),
                len: md.len(),
                hash,
            };
            let prev = t.files.entry(id).or_default().insert((subdir, place), fact);
            assert!(prev.is_none(), "file listed twice");
        }
    };
    for d in QUEUE_DIRS {
        visit(&root.join(d), Place::Queue);
    }
    if yank.is_dir() {
        visit(yank, Place::Yank);
    }
    (!vanished).then_some(t)
}

impl Tree {
    /// The place of every message; panics if one is split or has a file in both places.
    #[track_caller]
    pub fn places(&self) -> BTreeMap<u64, Place> {
        let mut out = BTreeMap::new();
        for (id, files) in &self.files {
            let places: BTreeSet<Place> = files.keys().map(|(_, p)| *p).collect();
            assert_eq!(
                places.len(),
                1,
                "message #{id} is split: {:?}",
                files.keys().collect::<Vec<_>>()
            );
            out.insert(*id, *places.iter().next().expect("one place"));
        }
        out
    }

    /// Ids whose files are in both places.
    pub fn split_ids(&self) -> Vec<u64> {
        self.files
            .iter()
            .filter(|(_, f)| f.keys().map(|(_, p)| *p).collect::<BTreeSet<_>>().len() > 1)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Compare with `original` ignoring place: same ids, same subdirs, same inodes and sizes
    /// (and hashes where both have them). Proves nothing lost, nothing duplicated.
    #[track_caller]
    pub fn assert_same_messages(&self, original: &Tree) {
        assert_eq!(
            self.files.len(),
            original.files.len(),
            "message count changed"
        );
        for (id, files) in &original.files {
            let now = self
                .files
                .get(id)
                .unwrap_or_else(|| panic!("message #{id} lost"));
            let a: BTreeMap<&str, &FileFact> =
                files.iter().map(|((s, _), f)| (s.as_str(), f)).collect();
            let b: BTreeMap<&str, &FileFact> =
                now.iter().map(|((s, _), f)| (s.as_str(), f)).collect();
            assert_eq!(
                a.keys().collect::<Vec<_>>(),
                b.keys().collect::<Vec<_>>(),
                "message #{id} files"
            );
            for (s, fa) in &a {
                let fb = b[s];
                assert_eq!((fa.ino, fa.len), (fb.ino, fb.len), "message #{id} {s}");
                if let (Some(x), Some(y)) = (fa.hash, fb.hash) {
                    assert_eq!(x, y, "message #{id} {s} bytes changed");
                }
            }
        }
    }
}
