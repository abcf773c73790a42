//! The agency hold: a cluster over 40 only by sending as a few other domains' addresses from
//! one place, to few recipients a message, is an agency's or a firm's brands', held a suspect.

use super::points::{wide_fan_out, GUESSED, MANY_SENDERS};
use super::{frac, Scoring, CULPRIT_SCORE};
use crate::analysis::patterns::domain;
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;

/// Is `c` over 40 only by sending as a few other domains' addresses (fewer than
/// [`MANY_SENDERS`], at two domains or more), from one place, to few recipients a message, with
/// nothing else of a guessed password? A marketing agency sends its clients' newsletters as each client, a firm
/// as each of its brands: `agency-forward`'s agency, five clients from its office, was a
/// culprit at 44.0 by its share and rate. A bot's spam corroborates: many places, a new sender
/// each time, a wide fan-out, a log's guessed password.
pub(super) fn few_senders_alone(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> bool {
    let f = frac(s.foreign, s.foreign_known);
    let guessed = match sc.whys.as_slice() {
        [(w, points)] if *w == GUESSED => *points,
        _ => return false,
    };
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    // A part of one login's mail (one client's newsletter) is judged with its login, whole
    // (`part.rs`): its own one sender domain says nothing of the agency's several.
    s.foreign_known > 0
        && f >= 0.5
        && from_one_place(s)
        && s.senders < MANY_SENDERS
        && (guessed - 25.0 * f).abs() < 1e-9
        && !wide_fan_out(c, s)
        && total >= CULPRIT_SCORE
        && several_sender_domains(c, corpus)
}

/// Client IPs and networks from which a cluster comes from more than one place, as
/// `login_points` counts a person's few places (3 IPs or 2 networks).
const PLACES_IPS: usize = 3;
const PLACES_NETS: usize = 2;

/// Does the cluster come from one place (under 3 IPs, in one network)? `login_points` says so
/// of an auth-user cluster only: a subject or a HELO of ten guessed logins, each from its own
/// network, was held as an agency's "from one place" (`bulk_tests`'s ring).
pub(super) fn from_one_place(s: &Signals) -> bool {
    s.ips.len() < PLACES_IPS && s.nets.len() < PLACES_NETS
}

/// Do `c`'s envelope senders name two domains or more? An agency writes as each of its
/// clients; a guessed login phishing as one forged sender from one IP (the seed incident's
/// `kbradford@philadefender.org` through `test`) writes as one, and stays a culprit. Only when
/// the cheaper guards have passed: a cluster's members, once.
fn several_sender_domains(c: &Cluster, corpus: &Corpus<'_>) -> bool {
    let mut first: Option<Vec<u8>> = None;
    for r in c
        .members
        .iter()
        .filter_map(|&i| corpus.records.get(i as usize))
    {
        let Some(mut d) = r.sender.and_then(|a| corpus.strings.with(a, domain)) else {
            continue;
        };
        // `philadefender.org.` is `philadefender.org` (qmail-smtpd takes MAIL FROM as given):
        // a forger's one domain written twice is no agency's two clients.
        while d.last() == Some(&b'.') {
            d.pop();
        }
        match &first {
            Some(f) if *f != d => return true,
            Some(_) => {}
            None => first = Some(d),
        }
    }
    false
}
