//! qmail's queue names: the subdirectories, split hashing, and the path of (subdir, message id).
//!
//! See docs/qmail-format.md §1: `mess/ info/ local/ remote/` are always split into `id % split`
//! subdirectories; `todo/ intd/` only with the big-todo patch; `bounce/` never.

use std::path::PathBuf;

use super::MessageId;

/// qmail's compile-time default for conf-split.
pub const DEFAULT_SPLIT: u32 = 23;

/// One of the queue directories that hold a message's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subdir {
    /// The message itself (`mess/N/ID`); its inode is the id.
    Mess,
    /// The envelope sender written by qmail-send (`info/N/ID`); its mtime is the birth time.
    Info,
    /// Local recipients (`local/N/ID`).
    Local,
    /// Remote recipients (`remote/N/ID`).
    Remote,
    /// A finished envelope qmail-send has not preprocessed yet (`todo/ID`).
    Todo,
    /// An envelope qmail-queue is writing (`intd/ID`), a hard link of todo once finished.
    Intd,
    /// Bounce text being accumulated (`bounce/ID`).
    Bounce,
}

impl Subdir {
    /// Every subdir, in the order qtriage reads and yanks them.
    pub const ALL: [Subdir; 7] = [
        Subdir::Mess,
        Subdir::Info,
        Subdir::Local,
        Subdir::Remote,
        Subdir::Todo,
        Subdir::Intd,
        Subdir::Bounce,
    ];

    /// The directory name in the queue (also the suffix qmail-remove gives yanked files).
    pub fn name(self) -> &'static str {
        match self {
            Subdir::Mess => "mess",
            Subdir::Info => "info",
            Subdir::Local => "local",
            Subdir::Remote => "remote",
            Subdir::Todo => "todo",
            Subdir::Intd => "intd",
            Subdir::Bounce => "bounce",
        }
    }

    /// Parse a directory name or yank suffix.
    pub fn from_name(name: &str) -> Option<Subdir> {
        Subdir::ALL.into_iter().find(|s| s.name() == name)
    }

    /// A bit for [`Parts`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Which of a message's files exist, as a bit set over [`Subdir`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Parts(pub u8);

impl Parts {
    /// Does the set hold `subdir`?
    pub fn has(self, subdir: Subdir) -> bool {
        self.0 & subdir.bit() != 0
    }
    /// Add `subdir`.
    pub fn insert(&mut self, subdir: Subdir) {
        self.0 |= subdir.bit();
    }
    /// Remove `subdir`.
    pub fn remove(&mut self, subdir: Subdir) {
        self.0 &= !subdir.bit();
    }
    /// The subdirs in the set, in [`Subdir::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Subdir> {
        Subdir::ALL.into_iter().filter(move |s| self.has(*s))
    }
}

/// How this queue names files: its conf-split and whether todo/intd are split (big-todo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// conf-split: the number of numbered subdirectories.
    pub split: u32,
    /// The big-todo patch splits `todo/` and `intd/` too.
    pub big_todo: bool,
}

impl Layout {
    /// Is `subdir` split into `id % split` directories in this layout?
    pub fn is_split(&self, subdir: Subdir) -> bool {
        match subdir {
            Subdir::Mess | Subdir::Info | Subdir::Local | Subdir::Remote => true,
            Subdir::Todo | Subdir::Intd => self.big_todo,
            Subdir::Bounce => false,
        }
    }

    /// The split bucket of an id.
    pub fn bucket(&self, id: MessageId) -> u32 {
        (id.0 % u64::from(self.split)) as u32
    }

    /// The directory (relative to the queue) that holds `subdir`'s file for `id`.
    pub fn dir_of(&self, subdir: Subdir, id: MessageId) -> PathBuf {
        let mut p = PathBuf::from(subdir.name());
        if self.is_split(subdir) {
            p.push(self.bucket(id).to_string());
        }
        p
    }

    /// The path (relative to the queue) of `subdir`'s file for `id`.
    pub fn rel_path(&self, subdir: Subdir, id: MessageId) -> PathBuf {
        let mut p = self.dir_of(subdir, id);
        p.push(id.0.to_string());
        p
    }
}

/// Parse a queue directory entry name the way qmail's readsubdir does: pure decimal, or nothing.
pub fn parse_id(name: &[u8]) -> Option<MessageId> {
    if name.is_empty() || name.len() > 20 {
        return None;
    }
    // One pass, as `str::parse` would after a UTF-8 check: a scan parses 3.4 names a message.
    let mut id: u64 = 0;
    for &b in name {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        id = id.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(MessageId(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_id_mod_split() {
        let l = Layout {
            split: 23,
            big_todo: false,
        };
        let id = MessageId(10016337);
        assert_eq!(
            l.rel_path(Subdir::Mess, id),
            PathBuf::from("mess/21/10016337")
        );
        assert_eq!(l.rel_path(Subdir::Todo, id), PathBuf::from("todo/10016337"));
        assert_eq!(
            l.rel_path(Subdir::Bounce, id),
            PathBuf::from("bounce/10016337")
        );
        let big = Layout {
            split: 23,
            big_todo: true,
        };
        assert_eq!(
            big.rel_path(Subdir::Intd, id),
            PathBuf::from("intd/21/10016337")
        );
    }

    #[test]
    fn only_pure_decimal_names_are_ids() {
        assert_eq!(parse_id(b"123"), Some(MessageId(123)));
        assert_eq!(parse_id(b"0042"), Some(MessageId(42)));
        assert_eq!(parse_id(b"18446744073709551615"), Some(MessageId(u64::MAX)));
        for junk in [
            &b""[..],
            b".gitkeep",
            b"12a",
            b"-1",
            b"1 2",
            b"99999999999999999999999",
            b"18446744073709551616",
            b"+1",
        ] {
            assert_eq!(parse_id(junk), None, "{junk:?}");
        }
    }
}
