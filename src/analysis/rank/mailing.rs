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
//! own: writing as another domain (a web script's From, `points::origin_points`, or a shell
//! account's: half its messages), replies diverted to another domain (Reply-To, half), ten
//! envelope senders or more (generated names), a mailer in an upload directory, or a script
//! sending ten times the host's median script (`scripts.rs` judges those: review46's plugin
//! writing as `apache@` this server). Without one it is looked at, never taken: review51b's
//! dropped script writing as the site's own domain, one sender, one subject, is held with the
//! newsletter it looks like, and so is a kit spreading its spam over thirty script names, or
//! writing as a bank on under half of its messages.

use super::points::{LOCAL_USER, MANY_SENDERS, WEB_APPLICATION, WEB_SCRIPT};
use super::{frac, percent, Scoring, CULPRIT_SCORE};
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::size::{counted, thousands};

/// Of a cluster's messages injected locally to remote domains, those writing as a domain not
/// this server's and those diverting their replies to another domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LocalSigns {
    forged: usize,
    diverted: usize,
}

/// Is mail to remote domains from a script, a web application or a local uid all that speaks
/// against `c`: its conclusions those alone, none of the signs above? Then its signs, each
/// short of half, for the reason.
pub(super) fn mailing_alone(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<LocalSigns> {
    let n = c.messages;
    let alone = !sc.whys.is_empty()
        && sc
            .whys
            .iter()
            .all(|(w, _)| [WEB_SCRIPT, WEB_APPLICATION, LOCAL_USER].contains(w))
        && frac(s.web_forged_from, n) < 0.5
        && frac(s.upload_script_msgs, n) < 0.5
        && s.heavy_script_msgs * 2 < n
        && s.senders < MANY_SENDERS;
    if !alone {
        return None;
    }
    let signs = local_signs(c, corpus);
    (frac(signs.forged, n) < 0.5 && frac(signs.diverted, n) < 0.5).then_some(signs)
}

/// Of `c`'s messages injected locally to remote domains, those writing as a domain not this
/// server's and those diverting their replies to another domain: a shell account's From and
/// anyone's Reply-To are not among the signals, so they are counted here, for the few
/// clusters that get this far (review51b: a shell uid phishing as a bank, a script diverting
/// its replies, were held).
fn local_signs(c: &Cluster, corpus: &Corpus<'_>) -> LocalSigns {
    let mut signs = LocalSigns {
        forged: 0,
        diverted: 0,
    };
    for &i in &c.members {
        let Some(r) = corpus.records.get(i as usize) else {
            continue;
        };
        if let Some((f, d)) = corpus.facts.local_signs(i as usize, r) {
            signs.forged += usize::from(f);
            signs.diverted += usize::from(d);
        }
    }
    signs
}

/// The held cluster's last reason, with the signs' figures: a part short of half is said, so
/// the operator knows where to look (newuser51b: "no replies diverted" read false beside 3,500
/// of 8,000 messages with a Reply-To at outlook.com, the contact form's spam).
pub(super) fn reason(c: &Cluster, s: &Signals, signs: LocalSigns) -> String {
    let n = c.messages;
    let part = |k: usize, what: &str| match k {
        0 => format!("no {what}"),
        k => format!(
            "{what} on {} of its {} messages ({}, under half)",
            thousands(k),
            thousands(n),
            percent(frac(k, n))
        ),
    };
    let senders = counted(s.senders as u64, "envelope sender", "envelope senders");
    format!(
        "nothing but mailing remote domains from a script or a local account speaks against \
         it ({}; {}; {}; {senders}): held below {CULPRIT_SCORE:.0} (a site's newsletter, a \
         shop's order mails, a club's circular send like this); look before taking it, first at \
         any part said above",
        part(signs.forged, "From at a domain not this server's"),
        part(
            signs.diverted,
            "replies diverted to another domain (Reply-To)"
        ),
        part(s.upload_script_msgs, "mailer in an upload directory"),
    )
}
