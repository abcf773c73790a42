//! What to fix for each culprit, in words: the report's recommended fixes that need no
//! account database (a culprit login's password, a planted script, an open relay).

use serde::Serialize;

use super::Culprit;
use crate::analysis::key::ClusterKey;

/// The conclusion of an IP or network that relays without a login (the ranking's words).
const RELAYING: &str = "relaying without a login";

/// What to fix for one culprit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CulpritFix {
    /// The culprit's kind (a cluster key name, as in `culprits`).
    pub kind: ClusterKey,
    /// Its value, sanitized (as in `culprits`).
    pub value: String,
    /// What to do, in words.
    pub advice: &'static str,
}

/// One fix per culprit that names something to fix, in the culprits' order; a culprit that
/// names no account, script, uid or relay (a sender pattern, a subject) adds none: what sent
/// it is another culprit's line, or the evidence's.
pub fn culprit_fixes(culprits: &[Culprit]) -> Vec<CulpritFix> {
    let mut out: Vec<CulpritFix> = Vec::new();
    for c in culprits {
        let relaying = || c.reasons.iter().any(|r| r.contains(RELAYING));
        let advice = match c.kind {
            ClusterKey::AuthUser => {
                "change its password and end its sessions: this login sent the spam"
            }
            ClusterKey::Script => {
                "disable it (the web server must no longer run it) and find how it was planted: \
                 look for other files beside it"
            }
            ClusterKey::Uid => {
                "find what runs as this uid and mails: its crontab, its web scripts, its processes"
            }
            ClusterKey::OriginIp | ClusterKey::OriginNet if relaying() => {
                "close the relay: it sent to remote domains without a login (check \
                 control/rcpthosts and the RELAYCLIENT lines of tcp.smtp)"
            }
            _ => continue,
        };
        out.push(CulpritFix {
            kind: c.kind,
            value: c.value.clone(),
            advice,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn culprit(kind: ClusterKey, value: &str, reason: &str) -> Culprit {
        Culprit {
            kind,
            value: value.into(),
            messages: 10,
            recipients: 10,
            yanked: 0,
            reasons: vec![reason.into()],
        }
    }

    /// A login, a script, a uid and a relaying IP each name their fix; an IP that only logged
    /// in as the culprit login, and a sender pattern, add none.
    #[test]
    fn each_culprit_that_names_something_to_fix_gets_one_line() {
        let fixes = culprit_fixes(&[
            culprit(ClusterKey::AuthUser, "test", "likely a guessed password"),
            culprit(
                ClusterKey::Script,
                "uploads/mailer.php",
                "likely a compromised script",
            ),
            culprit(ClusterKey::Uid, "1003", "local uid mailing remote domains"),
            culprit(
                ClusterKey::OriginIp,
                "192.0.2.9",
                "IP: relaying without a login: check",
            ),
            culprit(
                ClusterKey::OriginIp,
                "198.51.100.7",
                "IP: likely a guessed password",
            ),
            culprit(
                ClusterKey::SenderPattern,
                "<random>@x.example",
                "forged senders",
            ),
        ]);
        let named: Vec<(ClusterKey, &str, &str)> = (fixes.iter())
            .map(|f| {
                (
                    f.kind,
                    f.value.as_str(),
                    &f.advice[..f.advice.find(' ').unwrap_or(0)],
                )
            })
            .collect();
        assert_eq!(
            named,
            [
                (ClusterKey::AuthUser, "test", "change"),
                (ClusterKey::Script, "uploads/mailer.php", "disable"),
                (ClusterKey::Uid, "1003", "find"),
                (ClusterKey::OriginIp, "192.0.2.9", "close"),
            ]
        );
    }
}
