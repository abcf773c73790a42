//! Read vpopmail's per-domain password files (`vpasswd`, else `vpasswd.cdb`), read-only and bounded.
//!
//! Layout: `<vpopmail>/domains/<domain>/vpasswd`, or below hashed directories when a server has
//! many domains (`domains/0/<domain>/vpasswd`). A line is
//! `login:hash:uid:gid:gecos:dir:quota[:clear]`; the 8th field, when present, is the clear-text
//! password vpopmail keeps when built with clear passwords (`--enable-clear-passwd`, the default).
//! Like vpopmail's own parser, the clear field is the rest of the line, and a line with fewer
//! than six `:` is no account (skipped, with a warning). [`parse_line`] itself takes missing
//! fields as empty;
//! no byte is trusted to be UTF-8 or printable. Files are opened with `O_NOFOLLOW|O_NONBLOCK` and
//! must be regular; directories are listed without following symlinks.

use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use super::cdb;
use super::AccountsError;

/// vpopmail's usual home.
pub const DEFAULT_VPOPMAIL_DIR: &str = "/home/vpopmail";

/// Largest `vpasswd` read; the rest of a bigger file is ignored and reported.
pub const MAX_VPASSWD_BYTES: u64 = 64 * 1024 * 1024;

/// Longest line taken as an account; vpopmail's own buffer is far smaller.
pub const MAX_LINE_BYTES: usize = 8192;

/// Most accounts read in one run, over all domains.
pub const MAX_ACCOUNTS: usize = 1_000_000;

/// Most directory entries looked at below `domains/`, over the whole walk.
pub const MAX_DIR_ENTRIES: usize = 1_000_000;

/// How deep hashed domain directories (`domains/0/`, `domains/0/1/`) are searched.
pub const MAX_HASH_DEPTH: usize = 3;

/// Where an account was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The text `vpasswd` file.
    Vpasswd,
    /// `vpasswd.cdb` (no `vpasswd` beside it).
    Cdb,
}

/// An account's password material. Never printed: `Debug` shows only which parts exist, and
/// nothing serializes it. Only the rule checks in this module read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    hash: Box<[u8]>,
    clear: Option<Box<[u8]>>,
}

impl Secret {
    /// A secret from a hash field and an optional clear-text field.
    pub fn new(hash: &[u8], clear: Option<&[u8]>) -> Secret {
        Secret {
            hash: hash.into(),
            clear: clear.map(Into::into),
        }
    }

    pub(crate) fn hash(&self) -> &[u8] {
        &self.hash
    }

    /// The clear-text password; a present but empty 8th field counts as absent when there is a
    /// hash (vpopmail leaves it empty when clear passwords are off).
    pub(crate) fn clear(&self) -> Option<&[u8]> {
        match &self.clear {
            Some(c) if c.is_empty() && !self.hash.is_empty() => None,
            Some(c) => Some(c),
            None if self.hash.is_empty() => Some(b""),
            None => None,
        }
    }

    /// Is the clear-text password known (so rules can be checked without hashing)?
    pub fn has_clear(&self) -> bool {
        self.clear().is_some()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<redacted>, clear: {})", self.has_clear())
    }
}

/// One vpopmail account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login (the part before `@`), exact bytes.
    pub login: Box<[u8]>,
    /// The domain: the name of its directory, exact bytes.
    pub domain: Box<[u8]>,
    /// The gecos (comment) field, exact bytes.
    pub gecos: Box<[u8]>,
    /// Where it was read from.
    pub source: Source,
    /// The password material (redacted in `Debug`).
    pub secret: Secret,
    /// The dir field (the user's directory), exact bytes.
    pub dir: Box<[u8]>,
    /// vpopmail's record of the last login (`lastauth`), when the tree was read from disk and
    /// the user's directory has one.
    pub last_auth: Option<super::lastauth::LastAuth>,
}

/// Something that kept part of the tree from being read; the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    /// The file or directory.
    pub path: PathBuf,
    /// What went wrong, in the operator's words (no file content).
    pub reason: String,
}

/// Everything read from a vpopmail directory.
#[derive(Debug, Default)]
pub struct VpopmailAccounts {
    /// Accounts, domain by domain in directory order, lines in file order.
    pub accounts: Vec<Account>,
    /// Domains found.
    pub domains: usize,
    /// Problems met; each is also a reason the account list may be incomplete.
    pub warnings: Vec<ReadWarning>,
}

/// Parse one vpasswd line (without its newline) of `domain`. `None` for blank lines and lines
/// without a login.
pub fn parse_line(line: &[u8], domain: &[u8], source: Source) -> Option<Account> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut fields = line.splitn(8, |&b| b == b':');
    let login = fields.next().filter(|l| !l.is_empty())?;
    let hash = fields.next().unwrap_or(b"");
    let gecos = fields.nth(2).unwrap_or(b"");
    let dir = fields.next().unwrap_or(b"");
    let clear = fields.nth(1);
    Some(Account {
        login: login.into(),
        domain: domain.into(),
        gecos: gecos.into(),
        source,
        secret: Secret::new(hash, clear),
        dir: dir.into(),
        last_auth: None,
    })
}

/// Read a regular file without following a symlink or blocking on a FIFO, up to `cap` bytes.
/// Returns the bytes and whether the file was longer.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<(Vec<u8>, bool)> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(path, flags, Mode::empty())?;
    let st = rustix::fs::fstat(fd.as_fd())?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut buf = Vec::new();
    std::fs::File::from(fd)
        .take(cap + 1)
        .read_to_end(&mut buf)?;
    let truncated = buf.len() as u64 > cap;
    buf.truncate(cap as usize);
    Ok((buf, truncated))
}

impl VpopmailAccounts {
    fn warn(&mut self, path: &Path, reason: impl Into<String>) {
        self.warnings.push(ReadWarning {
            path: path.to_path_buf(),
            reason: reason.into(),
        });
    }

    /// Keep `account`, read from the file at `path` in its domain's directory, with its
    /// `lastauth`.
    fn push(&mut self, mut account: Account, path: &Path) -> bool {
        if self.accounts.len() >= MAX_ACCOUNTS {
            self.warn(path, format!("stopped at {MAX_ACCOUNTS} accounts"));
            return false;
        }
        if let Some(domain_dir) = path.parent() {
            let home = super::lastauth::user_dir(domain_dir, &account.login, &account.dir);
            account.last_auth = super::lastauth::read_last_auth(&home);
        }
        self.accounts.push(account);
        true
    }

    fn read_vpasswd(&mut self, path: &Path, domain: &[u8]) {
        let (bytes, truncated) = match read_capped(path, MAX_VPASSWD_BYTES) {
            Ok(r) => r,
            Err(e) => return self.warn(path, e.to_string()),
        };
        if truncated {
            self.warn(
                path,
                format!("read only the first {MAX_VPASSWD_BYTES} bytes"),
            );
        }
        let (mut long_lines, mut no_fields) = (0usize, 0usize);
        for line in bytes.split(|&b| b == b'\n') {
            if line.len() > MAX_LINE_BYTES {
                long_lines += 1;
                continue;
            }
            // vpopmail's own reader (`vgetent`) takes no line with fewer than six `:` as an
            // account: a line of garbage is none, not one with an empty password (the
            // hostile-input audit saw one flagged `password-empty`).
            let colons = line.iter().filter(|&&b| b == b':').count();
            if colons < 6 && !line.trim_ascii().is_empty() {
                no_fields += 1;
                continue;
            }
            if let Some(a) = parse_line(line, domain, Source::Vpasswd) {
                if !self.push(a, path) {
                    return;
                }
            }
        }
        if long_lines > 0 {
            self.warn(
                path,
                format!("skipped {long_lines} lines longer than {MAX_LINE_BYTES} bytes"),
            );
        }
        if no_fields > 0 {
            self.warn(
                path,
                format!(
                    "skipped {no_fields} lines with fewer than 7 fields (vpopmail reads none \
                     of them as an account)"
                ),
            );
        }
    }

    fn read_cdb(&mut self, path: &Path, domain: &[u8]) {
        let (bytes, truncated) = match read_capped(path, cdb::MAX_CDB_BYTES) {
            Ok(r) => r,
            Err(e) => return self.warn(path, e.to_string()),
        };
        if truncated {
            self.warn(
                path,
                format!("read only the first {} bytes", cdb::MAX_CDB_BYTES),
            );
        }
        let got = cdb::records(&bytes);
        if let Some(damage) = got.damage {
            self.warn(path, format!("damaged cdb: {damage}"));
        }
        for (key, data) in got.records {
            // vpopmail stores key = login, data = the rest of the vpasswd line.
            let mut line = key;
            line.push(b':');
            line.extend_from_slice(&data);
            if let Some(a) = parse_line(&line, domain, Source::Cdb) {
                if !self.push(a, path) {
                    return;
                }
            }
        }
    }
}

fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Walk state: entries looked at so far, against [`MAX_DIR_ENTRIES`].
struct Walk {
    out: VpopmailAccounts,
    entries: usize,
}

impl Walk {
    fn dir(&mut self, dir: &Path, depth: usize) {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) => return self.out.warn(dir, e.to_string()),
        };
        let mut names: Vec<std::ffi::OsString> = Vec::new();
        for entry in rd.flatten() {
            self.entries += 1;
            if self.entries > MAX_DIR_ENTRIES {
                return self
                    .out
                    .warn(dir, format!("stopped after {MAX_DIR_ENTRIES} entries"));
            }
            // file_type() does not follow symlinks: a linked domain directory is not read.
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                names.push(entry.file_name());
            }
        }
        names.sort();
        for name in names {
            self.entry(&dir.join(&name), name.as_encoded_bytes(), depth);
        }
    }

    fn entry(&mut self, path: &Path, name: &[u8], depth: usize) {
        let vpasswd = path.join("vpasswd");
        let vcdb = path.join("vpasswd.cdb");
        if is_regular(&vpasswd) {
            self.out.domains += 1;
            self.out.read_vpasswd(&vpasswd, name);
        } else if is_regular(&vcdb) {
            self.out.domains += 1;
            self.out.read_cdb(&vcdb, name);
        } else if depth < MAX_HASH_DEPTH {
            // Not a domain: a hashed directory (`domains/0`) holding domains.
            self.dir(path, depth + 1);
        }
    }
}

/// Read every domain's accounts below `<vpopmail>/domains`. Only a missing or unreadable
/// `domains/` is an error; a bad domain is a warning and the walk goes on.
pub fn read_vpopmail(vpopmail: &Path) -> Result<VpopmailAccounts, AccountsError> {
    let domains = vpopmail.join("domains");
    match std::fs::symlink_metadata(&domains) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(AccountsError::NoDomainsDir {
                path: vpopmail.to_path_buf(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(AccountsError::NoDomainsDir {
                path: vpopmail.to_path_buf(),
            })
        }
        Err(e) => {
            return Err(AccountsError::Io {
                path: domains,
                source: e,
            })
        }
    }
    let mut walk = Walk {
        out: VpopmailAccounts::default(),
        entries: 0,
    };
    walk.dir(&domains, 0);
    Ok(walk.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_line_with_clear_password() {
        let a = parse_line(
            b"test:$1$ab$xyz:1:0:Test User:/home/vpopmail/domains/example.com/test:NOQUOTA:s3cr:et",
            b"example.com",
            Source::Vpasswd,
        )
        .expect("account");
        assert_eq!(&*a.login, b"test");
        assert_eq!(&*a.gecos, b"Test User");
        // The clear field is the rest of the line, as vpopmail reads it.
        assert_eq!(a.secret.clear(), Some(&b"s3cr:et"[..]));
        assert_eq!(a.secret.hash(), b"$1$ab$xyz");
    }

    #[test]
    fn missing_fields_are_empty() {
        let a = parse_line(b"sales", b"d", Source::Vpasswd).expect("account");
        assert_eq!(a.secret.hash(), b"");
        // No hash and no clear field: the password is empty.
        assert_eq!(a.secret.clear(), Some(&b""[..]));
        let b = parse_line(b"sales:$1$x$y:1:0:g:/d:NOQUOTA", b"d", Source::Vpasswd).expect("b");
        assert_eq!(b.secret.clear(), None);
        let c = parse_line(b"sales:$1$x$y:1:0:g:/d:NOQUOTA:", b"d", Source::Vpasswd).expect("c");
        assert_eq!(c.secret.clear(), None);
        assert!(parse_line(b"", b"d", Source::Vpasswd).is_none());
        assert!(parse_line(b":x:1", b"d", Source::Vpasswd).is_none());
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let a = parse_line(
            b"test:HASHVALUE:1:0:g:/d:NOQUOTA:PLAINVALUE",
            b"d",
            Source::Vpasswd,
        )
        .expect("account");
        let shown = format!("{a:?}");
        assert!(
            !shown.contains("HASHVALUE") && !shown.contains("PLAINVALUE"),
            "{shown}"
        );
    }
}
