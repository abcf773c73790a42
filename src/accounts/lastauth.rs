//! vpopmail's record of an account's last login: `lastauth` in the user's directory, whose
//! content is the last authenticating IP and whose mtime is the time (what `vuserinfo` prints as
//! "last auth ip" and "last auth"; written when vpopmail logs auth with the cdb backend).

use std::io::Read;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

/// Largest `lastauth` read: an IP address and a newline; anything longer is not one.
pub const MAX_LASTAUTH_BYTES: u64 = 256;

/// The file's name in the user's directory.
pub const LASTAUTH: &str = "lastauth";

/// One account's last login as vpopmail recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastAuth {
    /// The IP (the file's first line, trimmed; not checked to be an address: show it sanitized).
    pub ip: String,
    /// When, unix seconds (the file's mtime).
    pub at: i64,
}

/// The user's directory of `login` in the domain directory `domain_dir`: vpasswd's dir field
/// when it lies below the domain's directory (vpopmail may hash users into `0/`, `1/`...), else
/// `<domain_dir>/<login>`. A dir field pointing elsewhere is not followed.
pub fn user_dir(domain_dir: &Path, login: &[u8], dir_field: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let given = Path::new(std::ffi::OsStr::from_bytes(dir_field));
    let below = given.is_absolute()
        && given.starts_with(domain_dir)
        && !given
            .components()
            .any(|c| c == std::path::Component::ParentDir);
    if below {
        given.to_path_buf()
    } else {
        domain_dir.join(std::ffi::OsStr::from_bytes(login))
    }
}

/// Read `<user_dir>/lastauth` without following a symlink or blocking on a FIFO; `None` when
/// there is none, it is not a regular file, or it holds no IP.
pub fn read_last_auth(user_dir: &Path) -> Option<LastAuth> {
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::open(user_dir.join(LASTAUTH), flags, Mode::empty()).ok()?;
    let st = rustix::fs::fstat(fd.as_fd()).ok()?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return None;
    }
    let mut buf = Vec::new();
    std::fs::File::from(fd)
        .take(MAX_LASTAUTH_BYTES + 1)
        .read_to_end(&mut buf)
        .ok()?;
    if buf.len() as u64 > MAX_LASTAUTH_BYTES {
        return None;
    }
    let line = buf.split(|&b| b == b'\n').next()?.trim_ascii();
    let ip = std::str::from_utf8(line).ok().filter(|s| !s.is_empty())?;
    Some(LastAuth {
        ip: ip.to_string(),
        at: st.st_mtime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_the_ip_and_mtime_the_time() {
        let d = tempfile::tempdir().expect("dir");
        std::fs::write(d.path().join(LASTAUTH), "82.128.32.42\n").expect("write");
        let f = std::fs::File::options()
            .write(true)
            .open(d.path().join(LASTAUTH))
            .expect("open");
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_431_301);
        f.set_modified(t).expect("mtime");
        assert_eq!(
            read_last_auth(d.path()),
            Some(LastAuth {
                ip: "82.128.32.42".into(),
                at: 1_795_431_301
            })
        );
    }

    #[test]
    fn links_fifos_junk_and_absence_give_none() {
        let d = tempfile::tempdir().expect("dir");
        assert_eq!(read_last_auth(d.path()), None);
        std::fs::write(d.path().join("target"), "1.2.3.4").expect("target");
        std::os::unix::fs::symlink(d.path().join("target"), d.path().join(LASTAUTH)).expect("link");
        assert_eq!(read_last_auth(d.path()), None);
        let e = tempfile::tempdir().expect("dir");
        std::fs::write(e.path().join(LASTAUTH), vec![b'1'; 300]).expect("long");
        assert_eq!(read_last_auth(e.path()), None);
        std::fs::write(e.path().join(LASTAUTH), b"\n").expect("empty");
        assert_eq!(read_last_auth(e.path()), None);
    }

    #[test]
    fn a_dir_field_outside_the_domain_is_not_followed() {
        let dom = Path::new("/home/vpopmail/domains/example.com");
        assert_eq!(
            user_dir(dom, b"test", b"/home/vpopmail/domains/example.com/0/test"),
            dom.join("0/test")
        );
        assert_eq!(user_dir(dom, b"test", b"/etc"), dom.join("test"));
        assert_eq!(
            user_dir(dom, b"test", b"/home/vpopmail/domains/example.com/../../x"),
            dom.join("test")
        );
        assert_eq!(user_dir(dom, b"test", b""), dom.join("test"));
    }
}
