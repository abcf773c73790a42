//! `list --json` wire types: the `read --json` object plus the origin, subject and From.

use std::collections::HashMap;

use serde::Serialize;

use super::json::{text, MessageJson, Text};
use crate::queue::{Interner, MessageRecord};

/// One message of `list --json`: every field of `read --json`, then `origin`, `subject`, `from`.
#[derive(Debug, Serialize)]
pub struct ListJson {
    /// The `read --json` fields.
    #[serde(flatten)]
    pub message: MessageJson,
    /// Who sent it.
    pub origin: OriginJson,
    /// The decoded Subject, null when absent.
    pub subject: Option<Text>,
    /// The address in the From header, null when absent.
    pub from: Option<Text>,
}

/// The `origin` object of `list --json`.
#[derive(Debug, Serialize)]
pub struct OriginJson {
    /// `smtp-auth`, `smtp`, `local`, `bounce`, `alias` or `unknown`.
    pub kind: &'static str,
    /// SMTP client IP.
    pub ip: Option<Text>,
    /// HELO argument (when it differed from the host name).
    pub helo: Option<Text>,
    /// SMTP AUTH login.
    pub auth_user: Option<Text>,
    /// Where `auth_user` came from: `header` (the Received line) or `log` (`--log`); null
    /// without an AUTH user.
    pub auth_source: Option<&'static str>,
    /// Protocol word of the SMTP Received line (`ESMTPA`...).
    pub protocol: Option<Text>,
    /// Local uid that ran qmail-queue.
    pub uid: Option<u32>,
    /// That uid's name from /etc/passwd, null when unknown or unreadable.
    pub user: Option<String>,
    /// PHP script from X-PHP-Originating-Script.
    pub script: Option<Text>,
}

impl ListJson {
    /// Build from a record; `users` maps uids to names.
    pub fn new(r: &MessageRecord, strings: &Interner, users: &UserNames) -> ListJson {
        let o = &r.origin;
        ListJson {
            message: MessageJson::new(r, strings),
            origin: OriginJson {
                kind: o.kind.name(),
                ip: text(strings, o.ip),
                helo: text(strings, o.helo),
                auth_user: text(strings, o.auth_user),
                auth_source: o.auth_user.map(|_| o.auth_source.name()),
                protocol: text(strings, o.protocol),
                uid: o.uid,
                user: o.uid.and_then(|u| users.name(u).map(str::to_string)),
                script: text(strings, o.script),
            },
            subject: text(strings, r.headers.subject),
            from: text(strings, r.headers.from),
        }
    }
}

/// The most bytes of /etc/passwd read (a real one is a few KiB; NSS-backed users are not in it).
pub const PASSWD_CAP: u64 = 4 << 20;

/// uid → login name, from /etc/passwd.
#[derive(Debug, Default)]
pub struct UserNames(HashMap<u32, String>);

impl UserNames {
    /// Read /etc/passwd; empty when it cannot be read.
    pub fn load() -> UserNames {
        UserNames::from_file(std::path::Path::new("/etc/passwd"))
    }

    /// Read a passwd-format file, at most [`PASSWD_CAP`] bytes; the first entry for a uid wins.
    pub fn from_file(path: &std::path::Path) -> UserNames {
        use std::io::Read;
        let mut bytes = Vec::new();
        let read =
            std::fs::File::open(path).and_then(|f| f.take(PASSWD_CAP).read_to_end(&mut bytes));
        if read.is_err() {
            return UserNames::default();
        }
        let mut map = HashMap::new();
        for line in String::from_utf8_lossy(&bytes).lines() {
            let mut f = line.split(':');
            let (Some(name), Some(_), Some(uid)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if let Ok(uid) = uid.parse::<u32>() {
                map.entry(uid).or_insert_with(|| name.to_string());
            }
        }
        UserNames(map)
    }

    /// The name of `uid`.
    pub fn name(&self, uid: u32) -> Option<&str> {
        self.0.get(&uid).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_names_first_entry_wins_and_junk_is_skipped() {
        let dir = tempfile::tempdir().expect("dir");
        let p = dir.path().join("passwd");
        std::fs::write(&p, "root:x:0:0::/root:/bin/sh\napache:x:48:48::/:/sbin/nologin\njunk\nother:x:48:1::/:\nbad:x:notanumber:\n").expect("write");
        let u = UserNames::from_file(&p);
        assert_eq!(u.name(0), Some("root"));
        assert_eq!(u.name(48), Some("apache"));
        assert_eq!(u.name(7), None);
        assert_eq!(
            UserNames::from_file(&dir.path().join("missing")).name(0),
            None
        );
    }
}
