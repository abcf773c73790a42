//! What bulk senders do that the signals would otherwise call spam: a login's own generated
//! addresses, a forwarder's SRS rewrites, an agency sending as its few clients.

use super::points::{wide_fan_out, GUESSED, MANY_SENDERS};
use super::{frac, Scoring, CULPRIT_SCORE};
use crate::analysis::patterns::domain;
use crate::analysis::signals::{is_web_uid, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::OriginKind;

/// Are most of a sender pattern's messages its logins' own addresses? A newsletter tool's
/// per-recipient return paths below its login's domain (`bounce-8f3a2c@bounce.kunde-shop.de`),
/// a list server's VERP senders, a help desk's ticket addresses: logged in, sending as their
/// own domain (`bulk-verp`: forged names, 15, and a culprit by its share).
pub(super) fn own_addresses(c: &Cluster, s: &Signals) -> bool {
    s.foreign_known * 2 >= c.messages && frac(s.foreign, s.foreign_known) < 0.5
}

/// Are most of a sender pattern's messages a forwarder's on this server, its senders rewritten
/// by SRS (`SRS0=HHH=TT=orig.com=user@` the forwarder's domain)? qmail-local forwards a
/// mailbox's mail as the mailbox's uid, one new name per original sender; a club's mailboxes
/// forwarded to its members' own, on a queue that does not name the club's domain as ours
/// (the inbound copies delivered), were a forged-sender culprit (`agency-forward`). Only mail
/// a local uid wrote, not a web script's: any SMTP client may send an SRS-shaped sender, and
/// so may a script.
pub(super) fn srs_forwards(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> bool {
    let local = s.local_remote.saturating_sub(s.web_remote);
    if local * 2 < c.messages {
        return false;
    }
    let srs = |a: &[u8]| {
        a.get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SRS0=") || p.eq_ignore_ascii_case(b"SRS1="))
    };
    let forwarded = (c.members.iter())
        .filter_map(|&i| corpus.records.get(i as usize))
        .filter(|r| {
            let o = &r.origin;
            o.kind == OriginKind::Local
                && o.script.is_none()
                && !o.uid().is_some_and(|u| is_web_uid(u, corpus.ctx))
                && r.sender.is_some_and(|a| corpus.strings.with(a, srs))
        })
        .count();
    forwarded * 2 >= c.messages
}

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
    s.foreign_known > 0
        && f >= 0.5
        && s.senders < MANY_SENDERS
        && (guessed - 25.0 * f).abs() < 1e-9
        && !wide_fan_out(c, s)
        && total >= CULPRIT_SCORE
        && several_sender_domains(c, corpus)
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
        let Some(d) = r.sender.and_then(|a| corpus.strings.with(a, domain)) else {
            continue;
        };
        match &first {
            Some(f) if *f != d => return true,
            Some(_) => {}
            None => first = Some(d),
        }
    }
    false
}
