//! VpopmailTree: writes vpopmail password files (`vpasswd`, `vpasswd.cdb`) for tests.
//!
//! Lines are written the way vpopmail's `vauth_adduser_line` writes them:
//! `login:hash:1:0:gecos:dir:NOQUOTA[:clear]`. Hashes are made with `pwhash`, the crate the check
//! uses, with fixed salts so fixtures are the same on every run. Any byte can be put in any field
//! ([`FixtureAccount::raw`], [`FixtureAccount::gecos`]) to build hostile trees.
//!
//! ```no_run
//! use qtriage::accounts::fixture::{FixtureAccount, HashScheme, Store, VpopmailTree};
//! let tree = VpopmailTree::create("/tmp/vpopmail").unwrap();
//! tree.add_domain(b"example.com", Store::Text, &[
//!     FixtureAccount::clear("test", "test"),
//!     FixtureAccount::hashed("sales", HashScheme::Sha512, "12345"),
//! ]).unwrap();
//! ```

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::cdb;

/// A crypt(3) scheme for fixture hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashScheme {
    /// Traditional DES crypt.
    Des,
    /// MD5-crypt `$1$` (vpopmail's default before 5.6).
    Md5,
    /// SHA-256-crypt `$5$`.
    Sha256,
    /// SHA-512-crypt `$6$` (vpopmail 5.6's default).
    Sha512,
    /// bcrypt `$2y$` at cost 4 (cheap, for tests).
    Bcrypt,
}

/// Hash `password` with `scheme` and a fixed salt.
// pwhash deprecates the old schemes for *new* passwords; fixtures must write what old vpopmail
// installs still have on disk.
#[allow(deprecated)]
pub fn crypt(scheme: HashScheme, password: &str) -> io::Result<String> {
    let r = match scheme {
        HashScheme::Des => pwhash::unix_crypt::hash_with("qt", password),
        HashScheme::Md5 => pwhash::md5_crypt::hash_with("$1$qtriage0", password),
        HashScheme::Sha256 => pwhash::sha256_crypt::hash_with("$5$qtriagesalt", password),
        HashScheme::Sha512 => pwhash::sha512_crypt::hash_with("$6$qtriagesalt", password),
        HashScheme::Bcrypt => pwhash::bcrypt::hash_with(
            pwhash::bcrypt::BcryptSetup {
                salt: Some("bvIG6Nmid91Mu9RcmmWZfO"),
                cost: Some(4),
                variant: Some(pwhash::bcrypt::BcryptVariant::V2y),
            },
            password,
        ),
    };
    r.map_err(|e| io::Error::other(format!("fixture hash: {e}")))
}

/// One line of a fixture `vpasswd`.
#[derive(Debug, Clone)]
pub struct FixtureAccount {
    login: Vec<u8>,
    hash: Vec<u8>,
    gecos: Vec<u8>,
    clear: Option<Vec<u8>>,
    raw: Option<Vec<u8>>,
    last_auth: Option<(String, i64)>,
}

impl FixtureAccount {
    /// An account with an MD5-crypt hash and the clear-text field, as a default vpopmail build.
    pub fn clear(login: &str, password: &str) -> FixtureAccount {
        FixtureAccount {
            login: login.into(),
            hash: crypt(HashScheme::Md5, password)
                .map(String::into_bytes)
                .unwrap_or_default(),
            gecos: login.into(),
            clear: Some(password.into()),
            raw: None,
            last_auth: None,
        }
    }

    /// An account with only a hash (vpopmail built without clear passwords).
    pub fn hashed(login: &str, scheme: HashScheme, password: &str) -> FixtureAccount {
        FixtureAccount {
            login: login.into(),
            hash: crypt(scheme, password)
                .map(String::into_bytes)
                .unwrap_or_default(),
            gecos: login.into(),
            clear: None,
            raw: None,
            last_auth: None,
        }
    }

    /// An account whose hash field is given as is (locked `!`, damaged, hostile).
    pub fn with_hash(login: impl AsRef<[u8]>, hash: impl AsRef<[u8]>) -> FixtureAccount {
        FixtureAccount {
            login: login.as_ref().into(),
            hash: hash.as_ref().into(),
            gecos: Vec::new(),
            clear: None,
            raw: None,
            last_auth: None,
        }
    }

    /// A line written exactly as given (no newline needed).
    pub fn raw(line: impl AsRef<[u8]>) -> FixtureAccount {
        FixtureAccount {
            login: Vec::new(),
            hash: Vec::new(),
            gecos: Vec::new(),
            clear: None,
            raw: Some(line.as_ref().into()),
            last_auth: None,
        }
    }

    /// Replace the login with any bytes.
    pub fn login(mut self, login: impl AsRef<[u8]>) -> Self {
        self.login = login.as_ref().into();
        self
    }

    /// Write vpopmail's `lastauth` in the account's directory: `ip` as its content, `at` (unix
    /// seconds) as its mtime, as vpopmail's auth logging leaves it.
    pub fn last_auth(mut self, ip: &str, at: i64) -> Self {
        self.last_auth = Some((ip.into(), at));
        self
    }

    /// Replace the gecos with any bytes.
    pub fn gecos(mut self, gecos: impl AsRef<[u8]>) -> Self {
        self.gecos = gecos.as_ref().into();
        self
    }

    /// The password material this fixture wrote (hash and clear), for tests that check none of
    /// it leaks into output.
    pub fn secrets(&self) -> Vec<Vec<u8>> {
        let mut out = vec![self.hash.clone()];
        out.extend(self.clear.clone());
        out.retain(|s| !s.is_empty());
        out
    }

    /// The vpasswd line for `domain_dir` (the account's home is below it).
    pub fn line(&self, domain_dir: &Path) -> Vec<u8> {
        if let Some(raw) = &self.raw {
            return raw.clone();
        }
        let mut l = self.login.clone();
        for field in [&self.hash[..], b"1", b"0", &self.gecos[..]] {
            l.push(b':');
            l.extend_from_slice(field);
        }
        l.push(b':');
        l.extend_from_slice(domain_dir.as_os_str().as_bytes());
        l.push(b'/');
        l.extend_from_slice(&self.login);
        l.extend_from_slice(b":NOQUOTA");
        if let Some(c) = &self.clear {
            l.push(b':');
            l.extend_from_slice(c);
        }
        l
    }
}

/// How a fixture domain stores its accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `vpasswd` (text) only.
    Text,
    /// `vpasswd.cdb` only.
    Cdb,
}

/// A vpopmail directory (`<root>/domains/...`) being written.
#[derive(Debug, Clone)]
pub struct VpopmailTree {
    root: PathBuf,
}

impl VpopmailTree {
    /// Create `<root>/domains`.
    pub fn create(root: impl AsRef<Path>) -> io::Result<VpopmailTree> {
        let root = root.as_ref().to_path_buf();
        std::fs::create_dir_all(root.join("domains"))?;
        Ok(VpopmailTree { root })
    }

    /// The vpopmail directory (what `--vpopmail` takes).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Write a domain at `domains/<below>` (`b"example.com"`, or `b"0/example.org"` for a
    /// hashed directory; any bytes). Returns the domain directory.
    pub fn add_domain(
        &self,
        below: &[u8],
        store: Store,
        accounts: &[FixtureAccount],
    ) -> io::Result<PathBuf> {
        let dir = self.root.join("domains").join(OsStr::from_bytes(below));
        std::fs::create_dir_all(&dir)?;
        let lines: Vec<Vec<u8>> = accounts.iter().map(|a| a.line(&dir)).collect();
        for a in accounts {
            if let Some((ip, at)) = &a.last_auth {
                write_last_auth(&dir.join(OsStr::from_bytes(&a.login)), ip, *at)?;
            }
        }
        match store {
            Store::Text => {
                let mut text = lines.join(&b'\n');
                text.push(b'\n');
                std::fs::write(dir.join("vpasswd"), text)?;
            }
            Store::Cdb => {
                // vpopmail's make_vpasswd_cdb: key = login, data = the rest after the first ':'.
                let pairs: Vec<(&[u8], &[u8])> = lines
                    .iter()
                    .map(|l| match l.iter().position(|&b| b == b':') {
                        Some(i) => (&l[..i], &l[i + 1..]),
                        None => (&l[..], &b""[..]),
                    })
                    .collect();
                std::fs::write(dir.join("vpasswd.cdb"), cdb::build(&pairs))?;
            }
        }
        Ok(dir)
    }
}

/// `<user_dir>/lastauth` holding `ip`, with mtime `at`.
fn write_last_auth(user_dir: &Path, ip: &str, at: i64) -> io::Result<()> {
    std::fs::create_dir_all(user_dir)?;
    let path = user_dir.join(super::lastauth::LASTAUTH);
    std::fs::write(&path, ip)?;
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(at.max(0) as u64);
    std::fs::File::options()
        .write(true)
        .open(&path)?
        .set_modified(t)
}
