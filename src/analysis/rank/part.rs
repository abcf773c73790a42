//! A part of one held login's mail is held with it: one client's newsletter out of an agency's.
//!
//! An agency's login, sending its clients' newsletters as each client from its office, is held
//! below 40 ([`super::agency`]). Each client's newsletter is also a cluster of its own (a
//! sender pattern `news@client`, its From, its one subject): the same "senders not its own",
//! plus one subject template, a share and a rate that grow with the queue. At 10,000 messages of
//! `agency-forward` the five clients' patterns were culprits at 40.6-41.7 and `plan` took 3,000
//! real messages, none of them at 6,000. What the part shows is what its login's whole mail
//! shows, and the login, seen whole, is judged an agency.

use super::agency::from_one_place;
use super::points::{GUESSED, MANY_SENDERS};
use super::{score, Held, Scoring, CULPRIT_SCORE};
use crate::analysis::grouping::cluster_of_members;
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::signals::{measure_score, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::OriginKind;
use rustc_hash::FxHashMap as HashMap;

/// The login whose held mail `c` is a part of: `c` is no auth-user cluster, every message of
/// it was sent by that one login, it is over 40 only as a guessed password (the agency hold's
/// one conclusion) from one place with few senders, and the login's whole mail is held as an
/// agency's. `None` otherwise.
///
/// The cheap guards come first: the login's own cluster is made and scored only for a part
/// that could be a held agency's, once per login (`signals/login_parts.rs`), never for a
/// flood's many-sender or many-place culprits.
pub(super) fn held_login_of(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<KeyValue> {
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    let guessed_alone = matches!(sc.whys.as_slice(), [(w, _)] if *w == GUESSED);
    // A part of a held agency's mail comes from that agency's one place and its few senders.
    let could_be = c.key != ClusterKey::AuthUser
        && s.auth_users.len() == 1
        && s.auth_msgs == c.messages
        && total >= CULPRIT_SCORE
        && guessed_alone
        && from_one_place(s)
        && s.senders < MANY_SENDERS;
    if !could_be {
        return None;
    }
    let mut ex = corpus.extractor(ClusterKey::AuthUser, corpus.sender_patterns);
    let first = corpus.records.get(*c.members.first()? as usize)?;
    let login = ex.value(first)?;
    let parts = &corpus.facts.login_parts;
    let held = parts.held(login, || {
        let logins = parts.members(|| {
            let mut logins: HashMap<KeyValue, Vec<u32>> = HashMap::default();
            for (i, r) in corpus.records.iter().enumerate() {
                if r.origin.kind == OriginKind::SmtpAuth && r.origin.auth_user.is_some() {
                    if let Some(v) = ex.value(r) {
                        logins.entry(v).or_default().push(i as u32);
                    }
                }
            }
            logins
        });
        let members = logins.get(&login).cloned().unwrap_or_default();
        let whole = cluster_of_members(
            corpus.records,
            corpus.ctx,
            (ClusterKey::AuthUser, Some(login)),
            members,
        );
        let scored = score(&whole, &measure_score(&whole, corpus), corpus, false);
        scored.held == Some(Held::FewSenders)
    });
    held.then_some(login)
}
