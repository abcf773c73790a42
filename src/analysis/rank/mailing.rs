//! A script's, web application's or local uid's mail to remote domains with nothing else
//! against it: held below 40.
//!
//! Mailing remote domains from the web server's uid or a shell account is what a hacked
//! site or account does, and also what a site's newsletter plugin, a shop's order mails and a
//! club's circular do: at a flood's share and rate, with one subject and a fan-out, those were
//! culprits at 42-44 and `plan` took them (`hosting-bulk`: the newsletter and the circular,
//! 1,320 real messages at 6,000). And PHP names only the file (`48:PHPMailer.php`, php-src's
//! `mail.c` writes the basename of the executing file), so every WordPress site of a host is
//! one script: mixes51's WooCommerce shops, 900 real messages beside a contact form's spam,
//! and all 1,600 in a queue with no spam at all. What makes such mail abuse is a sign of its
//! own: writing as another domain (`points::origin_points`' From), a mailer in an upload
//! directory, a forged PHP header, generated sender names, or a script sending ten times the
//! host's median script (`scripts.rs` judges those: review46's plugin writing as `apache@` this
//! server); without one it is looked at, never taken.

use super::points::{LOCAL_USER, WEB_APPLICATION, WEB_SCRIPT};
use super::{frac, Scoring, CULPRIT_SCORE};
use crate::analysis::signals::Signals;
use crate::analysis::types::Cluster;

/// Is mail to remote domains from a script, a web application or a local uid all that speaks
/// against `c`: its conclusions those alone, neither of the signs `origin_points` adds to them
/// (a From at a domain not this server's, an upload directory's script) fired, and most of it
/// not from scripts standing out among the host's others?
pub(super) fn mailing_alone(sc: &Scoring, c: &Cluster, s: &Signals) -> bool {
    let n = c.messages;
    !sc.whys.is_empty()
        && sc
            .whys
            .iter()
            .all(|(w, _)| [WEB_SCRIPT, WEB_APPLICATION, LOCAL_USER].contains(w))
        && frac(s.web_forged_from, n) < 0.5
        && frac(s.upload_script_msgs, n) < 0.5
        && s.heavy_script_msgs * 2 < n
}

/// The held cluster's last reason.
pub(super) fn reason() -> String {
    format!(
        "nothing but mailing remote domains from a script or a local account speaks against \
         it (no From at another domain, no upload directory): held below {CULPRIT_SCORE:.0} \
         (a site's newsletter, a shop's order mails, a club's circular send like this); look \
         before taking it"
    )
}
