//! Mail an internal client hands qmail-smtpd without a login as this server's domain, written
//! as another domain's address in From: a hacked site's mailer in SMTP mode. Looked at, never
//! taken on that alone.
//!
//! php-smtp's hacked site hands its phishing to qmail-smtpd on 127.0.0.1 as the site's own
//! `info@`, From a bank; the ranking called 127.0.0.1 "looks legitimate: keep" at 0.0 (an
//! internal client sending as this server's domains: a webmail or a NAT's users). A list
//! server writes its members' posts the same way, but from its bounce addresses, which the
//! flag leaves out, and through many envelope senders (VERP); a site's contact form writing as
//! its visitors does it through one. So it makes a suspect, with what it saw, and is held
//! below a culprit when nothing else speaks against the cluster: `plan` names it, takes none.

use super::points::{FORGED_INSIDE, MANY_SENDERS};
use super::{frac, percent, Scoring};
use crate::analysis::signals::Signals;
use crate::analysis::types::Cluster;
use crate::size::thousands;

/// How the hold's reason begins: `plan` names such a suspect (`analysis::plan::held`).
pub const HELD_INSIDE: &str =
    "nothing but writing as another domain through an internal client speaks against it";

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

/// Is that all that speaks against it (the share and the rate weigh only with it)?
pub(super) fn alone(sc: &Scoring) -> bool {
    sc.whys.len() == 1 && sc.whys[0].0 == FORGED_INSIDE
}

/// The held suspect's reason.
pub(super) fn held_reason() -> String {
    format!(
        "{HELD_INSIDE}: held below {:.0} (a site's form writing as its visitors, a list \
         server relaying its members' posts send like this too); look at its From and \
         subjects before taking it",
        super::CULPRIT_SCORE
    )
}
