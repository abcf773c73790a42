//! What the plan says of a culprit's messages it leaves as written only to this server's own
//! mailboxes ([`crate::analysis::local_only`]), and the culprit's term that leaves them.

use crate::analysis::local_only::{LOCAL_TERM, REMOTE_TERM};
use crate::size::thousands;

/// A culprit's messages the plan leaves: each to this server's own mailboxes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalLeft {
    /// Messages left (the operator restored none of them).
    pub messages: usize,
    /// The query that lists them: the culprit's own selection with no remote recipient.
    pub query: String,
}

impl LocalLeft {
    /// `not taken: 62 of its messages, each to this server's own mailboxes only: a form's or
    /// a device's mail to its owner, or spam for local users (qtriage list 'cluster:script=
    /// contact.php and remote-rcpts:0' lists them)`.
    pub fn words(&self) -> String {
        format!(
            "not taken: {} of its messages, each to this server's own mailboxes only: a form's \
             or a device's mail to its owner, or spam for local users (qtriage list '{}' lists \
             them)",
            thousands(self.messages as u64),
            self.query
        )
    }
}

/// A culprit's query term: its `cluster:` term `base`, less its owner's IPs (`not ip:...`)
/// and, when its local-only part is left, only its messages with a remote recipient.
pub(super) fn culprit_term(base: String, owner_ips: Option<&str>, local: bool) -> String {
    let mut parts = vec![base];
    parts.extend(owner_ips.map(|ips| format!("not {ips}")));
    if local {
        parts.push(REMOTE_TERM.to_string());
    }
    match parts.len() {
        1 => parts.remove(0),
        _ => format!("({})", parts.join(" and ")),
    }
}

/// The query listing what a culprit whose term is `base` and owner's IPs `owner_ips` leaves
/// as local only.
pub(super) fn left_query(base: String, owner_ips: Option<&str>) -> String {
    let selection = culprit_term(base, owner_ips, false);
    format!("{selection} and {LOCAL_TERM}")
}

/// Bytes [`culprit_term`] adds for the local-only part.
pub(super) const TERM_BYTES: usize = REMOTE_TERM.len() + 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_term_keeps_remote_mail_and_the_list_query_the_rest() {
        let base = || "cluster:script=contact.php".to_string();
        assert_eq!(
            culprit_term(base(), None, false),
            "cluster:script=contact.php"
        );
        assert_eq!(
            culprit_term(base(), None, true),
            "(cluster:script=contact.php and remote-rcpts:>0)"
        );
        assert_eq!(
            culprit_term(base(), Some("ip:/^(1\\.2\\.3\\.4)$/"), true),
            "(cluster:script=contact.php and not ip:/^(1\\.2\\.3\\.4)$/ and remote-rcpts:>0)"
        );
        assert_eq!(
            left_query(base(), Some("ip:/^(1\\.2\\.3\\.4)$/")),
            "(cluster:script=contact.php and not ip:/^(1\\.2\\.3\\.4)$/) and remote-rcpts:0"
        );
        let left = LocalLeft {
            messages: 1_062,
            query: left_query(base(), None),
        };
        assert_eq!(
            left.words(),
            "not taken: 1,062 of its messages, each to this server's own mailboxes only: a \
             form's or a device's mail to its owner, or spam for local users (qtriage list \
             'cluster:script=contact.php and remote-rcpts:0' lists them)"
        );
    }
}
