//! Which generated sender names bulk senders write that are no forgery: a login's own
//! addresses (VERP, ticket ids) and a forwarder's SRS rewrites.

use crate::analysis::signals::{is_web_uid, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::OriginKind;

/// Are most of a sender pattern's messages its logins' own addresses? A newsletter tool's
/// per-recipient return paths below its login's domain (`bounce-8f3a2c@bounce.kunde-shop.de`),
/// a list server's VERP senders, a help desk's ticket addresses: logged in, sending as their
/// own domain (`bulk-verp`: forged names, 15, and a culprit by its share). Half or more of
/// the pattern's messages must be so: "half logged in, and under half of those foreign" let
/// a pattern about a quarter of whose messages were a login's own pass (the review's finding).
pub(super) fn own_addresses(c: &Cluster, s: &Signals) -> bool {
    let own = s.foreign_known.saturating_sub(s.foreign);
    own * 2 >= c.messages
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
