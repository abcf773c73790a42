//! Build the `list --json` objects (the `read --json` object plus the origin, subject and From)
//! from records; the wire types are in [`crate::cli::wire::message`].

use super::json::{text, MessageJson};
pub use crate::cli::wire::message::{ListJson, OriginJson};
use crate::queue::{Interner, MessageRecord, RecipientList};

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
                uid: o.uid(),
                user: o.uid().and_then(|u| users.get(&u).cloned()),
                script: text(strings, o.script),
            },
            subject: text(strings, r.headers.subject),
            from: text(strings, r.headers.from),
        }
    }
}
