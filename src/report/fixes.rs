//! What to fix for each culprit, in words: the report's recommended fixes that need no
//! account database (a culprit login's password, a planted script, an open relay).

use serde::Serialize;

use super::Culprit;
use crate::analysis::key::ClusterKey;

/// The conclusion of an IP or network that relays without a login (the ranking's words).
const RELAYING: &str = "relaying without a login";
/// The conclusion of one whose clients logged in though no header names the account.
const UNNAMED: &str = "no header names the account";
/// The signal of one campaign relayed without a login from many networks.
use crate::analysis::rank::{OPEN_RELAY, THIS_HOST};
/// The conclusion of a subject sent through many stolen logins.
const STUFFING: &str = "credential stuffing";

/// What to do about a script that sent spam. The header names the script as PHP saw it, often
/// by its file name alone: where it lies is the operator's next question (newuser55).
pub const SCRIPT_ADVICE: &str = "disable it (the web server must no longer run it) and find how \
     it was planted: find it by its file name under the web roots (find /var/www /home -name \
     NAME), the web server's access log shows the POSTs to it from the first spam's time, \
     php.ini's mail.log records the full path of every script that mails; look for other files \
     beside it";

/// What to do about mail whose X-PHP-Originating-Script PHP did not write.
pub const FORGED_SCRIPT_ADVICE: &str = "do not disable the script it names: the header is \
     forged (not where PHP writes it), written by whoever wrote the message to hide or to frame \
     a site; find the sender by the uid that queued it (Received: invoked by uid N) or the \
     smtpd log, and the web server's access log at the spam's times";

/// Is `value` a script cluster's value of a forged header (`contact.php (forged header)`)?
fn is_forged(value: &str) -> bool {
    let suffix = std::str::from_utf8(crate::analysis::key::FORGED_SUFFIX).unwrap_or_default();
    value.ends_with(suffix)
}

/// What to do about mail whose clients logged in though no header names the account.
const UNNAMED_ADVICE: &str = "an account logged in to send this though no header names it: run \
     qtriage with --log on the smtpd log (its CHKUSER or AUTH lines name the account), then \
     change that account's password";

/// What to do about an open relay: no client the operator chose sends one campaign from many
/// networks, so the rule letting them relay is the hole.
const OPEN_RELAY_ADVICE: &str = "close the relay: clients in many networks sent this to remote \
     domains without a login (give RELAYCLIENT in tcp.smtp to your own networks only, rebuild \
     tcp.smtp.cdb with tcprules, and make sure control/rcpthosts exists)";

/// The advice for a login most of whose spam logged in from this host.
const THIS_HOST_ADVICE: &str = "change its password and end its sessions: this login sent the \
     spam, most of it from this host (127.0.0.1): find what on it holds the password (a webmail \
     session, or a site's mail plugin or SMTP settings: the web server's access log at the spam's \
     times) and clean that site before giving it the new one";

/// What to do about a uid that queued spam.
pub const UID_ADVICE: &str =
    "find what runs as this uid and mails: its crontab, its web scripts, its processes";

/// What to fix for one culprit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CulpritFix {
    /// The culprit's kind (a cluster key name, as in `culprits`).
    pub kind: ClusterKey,
    /// Its value, sanitized (as in `culprits`).
    pub value: String,
    /// What to do, in words.
    pub advice: &'static str,
    /// The accounts to do it to, when the culprit itself names none (a subject sent through
    /// many stolen logins: each login's password); empty otherwise.
    pub accounts: Vec<String>,
}

/// One fix per culprit that names something to fix, in the culprits' order; a culprit that
/// names no account, script, uid or relay (a sender pattern, a subject) adds none: what sent
/// it is another culprit's line, or the evidence's. Except a subject sent through many stolen
/// logins, whose accounts no other line names, and an IP whose clients logged in unnamed.
pub fn culprit_fixes(culprits: &[Culprit]) -> Vec<CulpritFix> {
    let mut out: Vec<CulpritFix> = Vec::new();
    for c in culprits {
        let says = |words: &str| c.reasons.iter().any(|r| r.contains(words));
        let relaying = || says(RELAYING);
        let advice = match c.kind {
            // Whoever holds the password is on this host: a new one typed into the hacked
            // site's settings is the spammer's again (mix65's Q4).
            ClusterKey::AuthUser if says(THIS_HOST) => THIS_HOST_ADVICE,
            ClusterKey::AuthUser => {
                "change its password and end its sessions: this login sent the spam"
            }
            // A header PHP did not write names no sender: disabling the script it names would
            // take a real site's form down, and leave the sender (review57b).
            ClusterKey::Script if is_forged(&c.value) => FORGED_SCRIPT_ADVICE,
            ClusterKey::Script => SCRIPT_ADVICE,
            ClusterKey::Uid => UID_ADVICE,
            ClusterKey::Subject if says(STUFFING) => {
                "change the password of every login that sent it and end their sessions \
                 (credential stuffing): the accounts listed"
            }
            // Before the relay's: its clients logged in (ESMTPA), so rcpthosts is not it. Any
            // key: without --log a HELO or a sender pattern may be all that names the flood
            // (newuser58: `helo User` and four patterns, and no fix for 1,600 messages). Said
            // once, for the first such culprit.
            _ if says(UNNAMED) && !(out.iter()).any(|f| f.advice == UNNAMED_ADVICE) => {
                UNNAMED_ADVICE
            }
            // The relay's clients are many and none is to blame: its campaigns name it, and
            // one line says how to close it, for the first.
            ClusterKey::Subject | ClusterKey::SenderPattern
                if says(OPEN_RELAY) && !(out.iter()).any(|f| f.advice == OPEN_RELAY_ADVICE) =>
            {
                OPEN_RELAY_ADVICE
            }
            // Once said, a later one that also relays gets the relay's fix (review58b).
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
            accounts: c.accounts.clone(),
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
            accounts: Vec::new(),
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
                ClusterKey::Script,
                "contact.php (forged header)",
                "a forged X-PHP-Originating-Script: mail posing as a web script's",
            ),
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
            culprit(
                ClusterKey::OriginIp,
                "203.0.113.5",
                "IP: likely a guessed password: logged in, but no header names the account \
                 (--log does)",
            ),
            culprit(
                ClusterKey::Subject,
                "Document shared with you #",
                "subject: likely stolen passwords: one campaign through many logins \
                 (credential stuffing)",
            ),
            culprit(ClusterKey::Subject, "Hello", "subject: forged senders"),
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
                (ClusterKey::Script, "contact.php (forged header)", "do"),
                (ClusterKey::OriginIp, "192.0.2.9", "close"),
                (ClusterKey::OriginIp, "203.0.113.5", "an"),
                (ClusterKey::Subject, "Document shared with you #", "change"),
            ]
        );
    }

    /// mix65's Q4: a login most of whose spam logged in from this host is fixed where its
    /// password is held too (a hacked site's plugin would get the new one).
    #[test]
    fn a_login_used_from_this_host_is_fixed_there_too() {
        let here = "1,052 of its messages (99%) logged in from this host (loopback): ...";
        let fixes = culprit_fixes(&[
            culprit(ClusterKey::AuthUser, "info@example.com", here),
            culprit(ClusterKey::AuthUser, "test", "likely a guessed password"),
        ]);
        assert_eq!(fixes[0].advice, THIS_HOST_ADVICE);
        assert!(fixes[1].advice.starts_with("change its password"));
        assert_ne!(fixes[1].advice, THIS_HOST_ADVICE);
    }

    /// newuser58: without --log, `helo User` and four sender patterns named a login's flood
    /// that no header names, and the report gave no fix for it. The first such culprit says
    /// how to find the account, once.
    #[test]
    fn a_flood_through_an_unnamed_login_gets_its_fix_once() {
        let unnamed = "likely a guessed password: logged in, but no header names the account \
                       (--log does)";
        let fixes = culprit_fixes(&[
            culprit(
                ClusterKey::AuthUser,
                "sales@example.com",
                "likely a guessed password",
            ),
            culprit(ClusterKey::Helo, "User", unnamed),
            culprit(ClusterKey::SenderPattern, "<random>@x.example", unnamed),
            culprit(ClusterKey::SenderPattern, "<random>@y.example", unnamed),
            culprit(
                ClusterKey::OriginIp,
                "198.51.100.9",
                "IP: likely a guessed password: logged in, but no header names the account \
                 (--log does); and relaying without a login: check rcpthosts",
            ),
        ]);
        let named: Vec<(ClusterKey, &str)> =
            (fixes.iter()).map(|f| (f.kind, f.value.as_str())).collect();
        assert_eq!(
            named,
            [
                (ClusterKey::AuthUser, "sales@example.com"),
                (ClusterKey::Helo, "User"),
                (ClusterKey::OriginIp, "198.51.100.9"),
            ]
        );
        assert!(fixes[1].advice.contains("--log"), "{:?}", fixes[1]);
        assert!(
            fixes[2].advice.starts_with("close the relay"),
            "{:?}",
            fixes[2]
        );
    }

    /// mix63's open relay: twelve subject templates, each relayed from many networks; one
    /// line says how to close the relay, for the first, and a subject that only relays (from
    /// few networks) names nothing to fix.
    #[test]
    fn an_open_relays_campaigns_get_its_fix_once() {
        let open = |value| {
            culprit(
                ClusterKey::Subject,
                value,
                "relayed without a login from 151 networks, as senders at other domains: an \
                 open relay (+20.0)",
            )
        };
        let fixes = culprit_fixes(&[
            open("Loan approved: $#"),
            open("Meet local singles tonight"),
            culprit(
                ClusterKey::Subject,
                "Invoice #",
                "subject: relaying without a login: check rcpthosts and tcp.smtp",
            ),
        ]);
        let named: Vec<(ClusterKey, &str)> =
            (fixes.iter()).map(|f| (f.kind, f.value.as_str())).collect();
        assert_eq!(named, [(ClusterKey::Subject, "Loan approved: $#")]);
        assert!(
            fixes[0].advice.starts_with("close the relay") && fixes[0].advice.contains("tcp.smtp"),
            "{:?}",
            fixes[0]
        );
    }
}
