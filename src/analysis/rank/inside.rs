//! Mail an internal client hands qmail-smtpd without a login as this server's domain, written
//! as another domain's address in From: a hacked site's mailer in SMTP mode. Looked at, never
//! taken on that alone.
//!
//! php-smtp's hacked site hands its phishing to qmail-smtpd on 127.0.0.1 as the site's own
//! `info@`, From a bank; the ranking called 127.0.0.1 "looks legitimate: keep" at 0.0 (an
//! internal client sending as this server's domains: a webmail or a NAT's users). A list
//! server writes its members' posts the same way, but from its bounce addresses, which the
//! flag leaves out, and through many envelope senders (VERP); a site's contact form writing as
//! its visitors does it through one. Only mail to remote addresses counts: a form writing to
//! its owner's mailbox, a monitoring host's alerts are not a run (review57c). So it makes a
//! suspect, with what it saw, and is held below a culprit when it is what would make one:
//! `plan` names it, takes none.

use super::points::{FORGED_INSIDE, MANY_SENDERS};
use super::{frac, percent, Scoring};
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::Signals;
use crate::analysis::types::Cluster;
use crate::queue::Interner;
use crate::size::thousands;

/// How the note on a login used from this host begins: the report's fix reads it back.
pub const THIS_HOST: &str = "logged in from this host";

/// How the hold's reason begins: `plan` names such a suspect (`analysis::plan::held`).
pub const HELD_INSIDE: &str =
    "writing as another domain through an internal client is what would make it a culprit";

/// Half or more of `c`'s messages written through an internal client as another domain's
/// From, from fewer than [`MANY_SENDERS`] envelope senders (not a list's VERP): points for a
/// suspect, with the share and the senders in words.
pub(super) fn forged_inside_points(sc: &mut Scoring, c: &Cluster, s: &Signals) {
    let f = frac(s.internal_forged, c.messages);
    if f < 0.5 || s.senders >= MANY_SENDERS {
        return;
    }
    let words = || {
        format!(
            "{} handed to qmail-smtpd by an internal client without a login, as this server's \
             domain on the envelope ({} {}) and another domain's address in From",
            percent(f),
            thousands(s.senders as u64),
            if s.senders == 1 { "sender" } else { "senders" }
        )
    };
    sc.add(25.0 * f, words, Some(FORGED_INSIDE));
}

/// Would it be a culprit only by that: its only conclusion (the share and the rate weigh only
/// with one), or its points what carries it over 40? Review57c: a host's contact form and
/// its webmail's users on 127.0.0.1, a suspect at 37.4 by "senders not their own", became a
/// culprit at 52.4 with them.
/// `why` is [`FORGED_INSIDE`], or the one-template run's (`inside_run.rs`), held the same way.
pub(super) fn carries(sc: &Scoring, why: &str) -> bool {
    let Some(&(_, points)) = sc.whys.iter().find(|(w, _)| *w == why) else {
        return false;
    };
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    sc.whys.len() == 1 || total - points < super::CULPRIT_SCORE
}

/// The held suspect's reason.
pub(super) fn held_reason() -> String {
    format!(
        "{HELD_INSIDE}: held below {:.0} (a site's form writing as its visitors sends like \
         this too); look at who its messages are From before taking it (qtriage clusters --by \
         from --where 'QUERY', with the cluster's query)",
        super::CULPRIT_SCORE
    )
}

/// Of a login judged a suspect or worse, half or more of whose messages logged in from this
/// host (loopback): who holds its password is here, its webmail's session or a web
/// application's SMTP settings, and changing the password alone leaves that (mix65's Q4: a
/// hacked plugin sent 1,052 of a site mailbox's 1,063 through 127.0.0.1, called "likely a
/// guessed password"). A note, not points: a webmail's users log in from there every day.
pub(super) fn this_host_note(c: &Cluster, s: &Signals, strings: &Interner) -> Option<String> {
    if c.key != ClusterKey::AuthUser || s.auth_users.is_empty() {
        return None;
    }
    let here: usize = (s.ips.iter())
        .filter(|(ip, _)| strings.with(**ip, crate::analysis::signals::is_loopback_ip))
        .map(|(_, n)| n)
        .sum();
    (2 * here >= c.messages).then(|| {
        format!(
            "{} of its messages ({}) {THIS_HOST} (loopback): its webmail's sessions, or a web \
             application on this host holding its password",
            thousands(here as u64),
            percent(frac(here, c.messages))
        )
    })
}
