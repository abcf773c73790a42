//! `list --json` wire types: the `read --json` object plus the origin, subject and From.

use serde::Serialize;

use super::json::{text, MessageJson, Text};
use crate::queue::{Interner, MessageRecord, RecipientList};

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
    /// That uid's name in the passwd the analysis uses (this host's only for this host's
    /// queue, else `--passwd`), null when it names none.
    pub user: Option<String>,
    /// PHP script from X-PHP-Originating-Script.
    pub script: Option<Text>,
}

impl ListJson {
    /// Build from a record; `users` maps uids to names ([`crate::analysis::setup::Setup`]'s).
    pub fn new(
        r: &MessageRecord,
        rcpts: &RecipientList,
        strings: &Interner,
        users: &std::collections::BTreeMap<u32, String>,
    ) -> ListJson {
        let o = &r.origin;
        ListJson {
            message: MessageJson::new(r, rcpts, strings),
            origin: OriginJson {
                kind: o.kind.name(),
                ip: text(strings, o.ip),
                helo: text(strings, o.helo),
                auth_user: text(strings, o.auth_user),
                auth_source: o.auth_user.map(|_| o.auth_source.name()),
                protocol: text(strings, o.protocol),
                uid: o.uid,
                user: o.uid.and_then(|u| users.get(&u).cloned()),
                script: text(strings, o.script),
            },
            subject: text(strings, r.headers.subject),
            from: text(strings, r.headers.from),
        }
    }
}
