//! What the plan says of the parts of a culprit it leaves as likely real beyond its owner's
//! IPs ([`crate::analysis::left`]): its mail only to this server's own mailboxes, an account's
//! mail that keeps its replies, an account's mail as its own domain; and the culprit's term
//! that leaves them.

use crate::analysis::key::ClusterKey;
use crate::analysis::left::{OwnDomain, Part, Parts, DIVERTED_TERM, LOCAL_TERM, REMOTE_TERM};
use crate::size::thousands;

/// Which part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    /// Each message to this server's own mailboxes only.
    LocalOnly,
    /// An account's messages not diverting replies, the rest of whose mail does.
    KeepsReplies,
    /// An account's messages as its own domain, the rest of whose mail writes as others'.
    OwnDomain,
}

/// A part as the culprit's terms name it: its kind, and for [`PartKind::OwnDomain`] whose
/// domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PartTerm<'a> {
    pub(super) kind: PartKind,
    pub(super) own: Option<&'a OwnDomain>,
}

impl PartTerm<'_> {
    /// The term that keeps the culprit's messages outside this part.
    fn kept(self) -> String {
        match self.kind {
            PartKind::LocalOnly => REMOTE_TERM.to_string(),
            PartKind::KeepsReplies => DIVERTED_TERM.to_string(),
            PartKind::OwnDomain => format!("not {}", self.own()),
        }
    }

    /// The term that selects this part.
    fn left(self) -> String {
        match self.kind {
            PartKind::LocalOnly => LOCAL_TERM.to_string(),
            PartKind::KeepsReplies => "reply-elsewhere:no".to_string(),
            PartKind::OwnDomain => self.own(),
        }
    }

    /// `sender-domain:DOMAIN` (quoted as a plan writes a value), or a From at the site's
    /// domain or below it, as one anchored regex.
    fn own(self) -> String {
        match self.own {
            Some(OwnDomain::Sender(d)) => super::terms::value_term("sender-domain:", d.as_bytes()),
            Some(OwnDomain::From(d)) => {
                let source = format!("@([^@]*\\.)?{}$", crate::query::byte_pattern(d.as_bytes()));
                let mut term = String::from("from:");
                crate::query::write_regex(&mut term, &source, "i");
                term
            }
            None => String::new(),
        }
    }
}

impl PartKind {
    /// This kind as a term, of a culprit whose own domain is `own` (`None` but for
    /// [`PartKind::OwnDomain`]).
    pub(super) fn term(self, own: Option<&OwnDomain>) -> PartTerm<'_> {
        PartTerm { kind: self, own }
    }
}

/// A part of a culprit's messages the plan leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartLeft {
    /// Which part.
    pub kind: PartKind,
    /// Messages left (the operator restored none of them).
    pub messages: usize,
    /// The query that lists them: the culprit's own selection, this part of it.
    pub query: String,
    /// Of the part, messages another culprit of the plan takes (a script's forms under a uid
    /// taken whole): not counted in `messages` (review62: "not taken: 12" of which 2 were).
    pub taken_elsewhere: usize,
}

impl PartLeft {
    /// `not taken: 62 of its messages, each to this server's own mailboxes only: ...
    /// (qtriage list '...' lists them)`.
    pub fn words(&self) -> String {
        let n = thousands(self.messages as u64);
        let what = match self.kind {
            PartKind::LocalOnly => {
                "each to this server's own mailboxes only: a form's or a device's mail to its \
                 owner, or spam for local users"
            }
            PartKind::KeepsReplies => {
                "none sending replies to another domain (Reply-To) nor on a subject template as \
                 the rest do: likely its owner's own mail"
            }
            PartKind::OwnDomain => {
                "each written as its own domain (its login's, or its site's), where the rest \
                 write as other domains, and none on a subject template as the rest: likely its \
                 owner's own mail"
            }
        };
        let elsewhere = match self.taken_elsewhere {
            0 => String::new(),
            k => format!(
                "; {} more of them taken with another culprit",
                thousands(k as u64)
            ),
        };
        format!(
            "not taken: {n} of its messages, {what} (qtriage list '{}' lists them{elsewhere})",
            self.query
        )
    }
}

/// A culprit's query term: its `cluster:` term `base`, less its owner's IPs (`not ip:...`)
/// and the `parts` left.
pub(super) fn culprit_term(base: String, owner_ips: Option<&str>, parts: &[PartTerm]) -> String {
    let mut terms = vec![base];
    terms.extend(owner_ips.map(|ips| format!("not {ips}")));
    terms.extend(parts.iter().map(|p| p.kept().to_string()));
    match terms.len() {
        1 => terms.remove(0),
        _ => format!("({})", terms.join(" and ")),
    }
}

/// The query listing `part`, left after its owner's IPs and the `before` parts.
pub(super) fn left_query(
    base: String,
    owner_ips: Option<&str>,
    before: &[PartTerm],
    part: PartTerm,
) -> String {
    let selection = culprit_term(base, owner_ips, before);
    format!("{selection} and {}", part.left())
}

/// Bytes [`culprit_term`] adds for a part, besides its domain's.
const TERM_BYTES: usize = REMOTE_TERM.len() + 24;

/// Bytes [`culprit_term`] adds for `kinds`.
pub(super) fn term_bytes(kinds: &[PartTerm]) -> usize {
    kinds
        .iter()
        .map(|k| TERM_BYTES + 2 * k.own.map_or(0, |o| o.domain().len()))
        .sum()
}

/// The parts of `parts` there are, in the order each is judged on what those before it left.
pub(super) fn kinds(parts: &Parts) -> Vec<PartTerm<'_>> {
    let own = parts.own_domain.as_ref().map(|(_, o)| o);
    [
        parts.local.as_ref().map(|_| PartKind::LocalOnly),
        parts.undiverted.as_ref().map(|_| PartKind::KeepsReplies),
        parts.own_domain.as_ref().map(|_| PartKind::OwnDomain),
    ]
    .into_iter()
    .flatten()
    .map(|k| k.term(own.filter(|_| k == PartKind::OwnDomain)))
    .collect()
}

/// The part of `parts` of `kind`, one [`kinds`] named.
pub(super) fn part(parts: &Parts, kind: PartKind) -> &Part {
    let part = match kind {
        PartKind::LocalOnly => parts.local.as_ref(),
        PartKind::KeepsReplies => parts.undiverted.as_ref(),
        PartKind::OwnDomain => parts.own_domain.as_ref().map(|(p, _)| p),
    };
    part.expect("a part kinds() named")
}

/// Where culprit `c` says what it leaves of `kind`.
pub(super) fn left_of(c: &mut super::PlanCulprit, kind: PartKind) -> &mut Option<PartLeft> {
    match kind {
        PartKind::LocalOnly => &mut c.local_left,
        PartKind::KeepsReplies => &mut c.undiverted_left,
        PartKind::OwnDomain => &mut c.own_domain_left,
    }
}

/// A part left and the culprit it was left of (its key and value's bytes), with its members.
pub(super) struct LeftMembers {
    key: ClusterKey,
    value: std::sync::Arc<[u8]>,
    kind: PartKind,
    members: Vec<u32>,
}

impl LeftMembers {
    pub(super) fn new(
        key: ClusterKey,
        value: std::sync::Arc<[u8]>,
        kind: PartKind,
        members: Vec<u32>,
    ) -> LeftMembers {
        LeftMembers {
            key,
            value,
            kind,
            members,
        }
    }
}

/// Take out of each part's count the members another culprit took (`taken`, the plan's final
/// selection), and say how many.
pub(super) fn count_taken_elsewhere(
    culprits: &mut [super::PlanCulprit],
    parts: &[LeftMembers],
    taken: &[bool],
) {
    for p in parts {
        let elsewhere = (p.members.iter())
            .filter(|&&i| taken.get(i as usize).copied().unwrap_or(false))
            .count();
        if elsewhere == 0 {
            continue;
        }
        let culprit = (culprits.iter_mut()).find(|c| c.key == p.key && c.value_bytes == p.value);
        let Some(c) = culprit else { continue };
        if let Some(l) = left_of(c, p.kind).as_mut() {
            l.messages = l.messages.saturating_sub(elsewhere);
            l.taken_elsewhere = elsewhere;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_term_keeps_the_rest_and_each_list_query_its_part() {
        let base = || "cluster:auth-user=x@example.com".to_string();
        let ips = Some("ip:/^(1\\.2\\.3\\.4)$/");
        let both = [
            PartKind::LocalOnly.term(None),
            PartKind::KeepsReplies.term(None),
        ];
        assert_eq!(
            culprit_term(base(), None, &[]),
            "cluster:auth-user=x@example.com"
        );
        assert_eq!(
            culprit_term(base(), None, &both[..1]),
            "(cluster:auth-user=x@example.com and remote-rcpts:>0)"
        );
        assert_eq!(
            culprit_term(base(), ips, &both),
            "(cluster:auth-user=x@example.com and not ip:/^(1\\.2\\.3\\.4)$/ and \
             remote-rcpts:>0 and reply-elsewhere:yes)"
        );
        assert_eq!(
            left_query(base(), ips, &[], PartKind::LocalOnly.term(None)),
            "(cluster:auth-user=x@example.com and not ip:/^(1\\.2\\.3\\.4)$/) and remote-rcpts:0"
        );
        assert_eq!(
            left_query(base(), None, &both[..1], PartKind::KeepsReplies.term(None)),
            "(cluster:auth-user=x@example.com and remote-rcpts:>0) and reply-elsewhere:no"
        );
        let left = PartLeft {
            kind: PartKind::LocalOnly,
            messages: 1_062,
            query: left_query(base(), None, &[], PartKind::LocalOnly.term(None)),
            taken_elsewhere: 0,
        };
        assert_eq!(
            left.words(),
            "not taken: 1,062 of its messages, each to this server's own mailboxes only: a \
             form's or a device's mail to its owner, or spam for local users (qtriage list \
             'cluster:auth-user=x@example.com and remote-rcpts:0' lists them)"
        );
        let left = PartLeft {
            kind: PartKind::KeepsReplies,
            messages: 31,
            query: left_query(base(), None, &[], PartKind::KeepsReplies.term(None)),
            taken_elsewhere: 2,
        };
        assert_eq!(
            left.words(),
            "not taken: 31 of its messages, none sending replies to another domain (Reply-To) \
             nor on a subject template as the rest do: likely its owner's own mail (qtriage list \
             'cluster:auth-user=x@example.com and reply-elsewhere:no' lists them; 2 more of \
             them taken with another culprit)"
        );
    }

    #[test]
    fn an_accounts_own_domain_is_left_by_its_sender_domain() {
        let base = || "cluster:auth-user=support@example.com".to_string();
        let login = OwnDomain::Sender("example.com".into());
        let own = PartKind::OwnDomain.term(Some(&login));
        assert_eq!(
            culprit_term(base(), None, &[PartKind::LocalOnly.term(None), own]),
            "(cluster:auth-user=support@example.com and remote-rcpts:>0 and not \
             sender-domain:example.com)"
        );
        assert_eq!(
            left_query(base(), None, &[], own),
            "cluster:auth-user=support@example.com and sender-domain:example.com"
        );
        // A domain with a wildcard is matched as itself.
        let wild = OwnDomain::Sender("ex*mple.com".into());
        assert_eq!(
            PartKind::OwnDomain.term(Some(&wild)).kept(),
            "not sender-domain:\"ex\\*mple.com\""
        );
        // A site's: its From at the site's domain or below it.
        let site = OwnDomain::From("weingut-roth.de".into());
        assert_eq!(
            PartKind::OwnDomain.term(Some(&site)).kept(),
            "not from:/@([^@]*\\.)?weingut\\-roth\\.de$/i"
        );
    }

    #[test]
    fn a_part_another_culprit_takes_is_counted_apart() {
        let left = PartLeft {
            kind: PartKind::LocalOnly,
            messages: 12,
            query: String::new(),
            taken_elsewhere: 0,
        };
        let mut culprits = vec![super::super::PlanCulprit {
            key: ClusterKey::Script,
            value: "contact.php".into(),
            value_bytes: std::sync::Arc::from(&b"contact.php"[..]),
            score: 53.3,
            messages: 120,
            counted_above: 0,
            backscatter: 0,
            from_log: 0,
            reason: String::new(),
            query: String::new(),
            owner_left: None,
            local_left: Some(left),
            undiverted_left: None,
            own_domain_left: None,
        }];
        let members: Vec<u32> = (120..132).collect();
        let parts = [LeftMembers::new(
            ClusterKey::Script,
            std::sync::Arc::from(&b"contact.php"[..]),
            PartKind::LocalOnly,
            members,
        )];
        // A uid culprit took two of them.
        let mut taken = vec![false; 132];
        (taken[120], taken[121]) = (true, true);
        count_taken_elsewhere(&mut culprits, &parts, &taken);
        let left = culprits[0].local_left.as_ref().expect("left");
        assert_eq!((left.messages, left.taken_elsewhere), (10, 2));
        assert!(left
            .words()
            .ends_with("; 2 more of them taken with another culprit)"));
    }
}
