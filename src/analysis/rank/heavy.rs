//! The heavy account: a login sending as itself far more than the queue's others, held a
//! suspect unless its replies are diverted; also when it is a person on the move, one place or
//! a few at a time.

use super::points::{DIVERTED, FEW_PLACES, GUESSED, HEAVY};
use super::{frac, percent, Scoring};
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{Corpus, Signals, MANY_SENDERS};
use crate::analysis::types::Cluster;
use crate::size::{counted, thousands};

/// Logins a queue must hold before one is compared with the others.
const MIN_LOGINS: usize = 5;
/// How many times the median login's messages make an account's volume stand out.
const HEAVY_TIMES: usize = 10;
/// The share of all authenticated messages an account must also hold to stand out: where most
/// logins queue a message or two (a campus, an ISP's customers, a botnet's stolen accounts), ten
/// times the median is 20 messages, a busy person's day (phone users at 45.2, a dean's
/// secretary at 40.4, were culprits); a flood's login holds a large part of the authenticated mail.
const HEAVY_SHARE: f64 = 0.02;

/// An account sending as itself far more than the queue's other logins: a compromised
/// webmail account's spam, or a newsletter, a help desk. Its volume and fan-out against the
/// others' say which account to look at first, not what it is; replies diverted to another
/// domain (Reply-To) say it is spam, since a bulk sender wants its own replies.
pub(super) fn account_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let norms = corpus.facts.accounts;
    let foreign = s.foreign_known > 0 && frac(s.foreign, s.foreign_known) >= 0.5;
    if c.key != ClusterKey::AuthUser
        || s.auth_users.is_empty()
        || foreign
        || norms.logins < MIN_LOGINS
        || c.messages < super::MIN_CULPRIT_MESSAGES
        || c.messages < HEAVY_TIMES * norms.median_messages.max(1)
    {
        return;
    }
    if frac(c.messages, norms.messages) >= HEAVY_SHARE {
        heavy_points(sc, c, s, corpus);
    }
    // Replies diverted are spam's whatever the share (review46: a webmail account's 400
    // invoice scams at 1.9% of the authenticated mail lost them with the volume's 20).
    diverted_points(sc, c, s);
}

/// The volume's 20 points, with the account's recipients and fan-out against the median's.
fn heavy_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let norms = corpus.facts.accounts;
    let words = || {
        let domains = recipient_domains(c, corpus);
        let count = |n: usize, one, many| counted(n as u64, one, many);
        format!(
            "{} messages to {} at {}, up to {} a message: {} times the median login's {}, up \
             to {} (of {} logins)",
            thousands(c.messages),
            count(c.recipients, "recipient", "recipients"),
            count(domains, "domain", "domains"),
            s.remote_max,
            c.messages / norms.median_messages.max(1),
            count(norms.median_messages, "message", "messages"),
            count(norms.median_fan_out as usize, "recipient", "recipients"),
            thousands(norms.logins)
        )
    };
    sc.add(20.0, words, Some(HEAVY));
}

/// Replies sent to another domain (Reply-To) on half of an account's messages or more: a
/// stolen account's spam wants its answers elsewhere, a bulk sender wants its own.
fn diverted_points(sc: &mut Scoring, c: &Cluster, s: &Signals) {
    let f = frac(s.reply_elsewhere, c.messages);
    if f >= 0.5 {
        let words = || {
            format!(
                "{} with replies sent to another domain (Reply-To)",
                percent(f)
            )
        };
        sc.add(20.0 * f, words, Some(DIVERTED));
    }
}

/// Distinct recipient domains of `c`'s messages (for its reason only).
fn recipient_domains(c: &Cluster, corpus: &Corpus<'_>) -> usize {
    let mut seen = rustc_hash::FxHashSet::default();
    for &i in &c.members {
        if let Some(r) = corpus.records.get(i as usize) {
            seen.extend(
                r.recipients
                    .domains(corpus.strings)
                    .iter()
                    .filter_map(|d| d.domain),
            );
        }
    }
    seen.len()
}

/// Is `c` a heavy account mailing as a list server does, with nothing else against it but
/// replies sent to another domain and a few places? One remote recipient a message, from
/// generated return paths at the account's domain (VERP: [`MANY_SENDERS`] or more, the most a
/// score-only measure counts, so `top`'s candidates and their reasons agree): a newsletter's. Its help desk's
/// Reply-To and its sending servers (three in one /24) are how a newsletter sends too (mix63:
/// either lifted the heavy hold, and the plan took 3,600 real messages); a hijacker's mail
/// through the account is Bcc'd, or sent from its one address.
pub(super) fn list_alone(sc: &Scoring, c: &Cluster, s: &Signals) -> bool {
    let allowed = |&(why, points): &(&str, f64)| {
        why == HEAVY || why == DIVERTED || (why == GUESSED && points <= FEW_PLACES)
    };
    let own = s.foreign_known.saturating_sub(s.foreign);
    sc.whys.iter().any(|w| w.0 == HEAVY)
        && sc.whys.iter().all(allowed)
        && s.remote_max <= 1
        && own * 2 >= c.messages
        && s.senders >= MANY_SENDERS
}

/// Remote recipients a message up to which a heavy login writes as a person does (a quote to a
/// customer and a colleague in copy).
pub(super) const PERSON_RECIPIENTS: u32 = 3;

/// Is `c` a heavy account on the move, with nothing else against it but its volume and the
/// places it logs in from: writing as itself to a few recipients a message, from
/// [`super::places::PLACES_AT_ONCE`] IPs at most in any hour? Then the IPs of its busiest hour.
///
/// mix66's Q3C: after a trade fair four sales reps sent 70-90 quotes each from their phones,
/// each on a carrier that gives a new address every hour or few (10 IPs in 10 networks: 25
/// points), ten times the median login's mail (20), on one subject template (10): culprits at
/// 41.6-57.0, and `plan` took 282 real messages. A guessed login's flood through a proxy ring
/// or a mobile proxy service logs in from many IPs in the same hour (mix66's Q2: 23 and 129);
/// a botnet's spreads over address blocks, which adds its own points (`spread.rs`).
pub(super) fn on_the_move(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<usize> {
    let allowed = |&(why, points): &(&str, f64)| {
        why == HEAVY || (why == GUESSED && points <= super::points::MANY_PLACES)
    };
    let own = s.foreign_known.saturating_sub(s.foreign);
    let shaped = sc.whys.iter().any(|w| w.0 == HEAVY)
        && sc.whys.iter().all(allowed)
        && !sc.shared_clients
        && s.remote_max <= PERSON_RECIPIENTS
        && own * 2 >= c.messages;
    if !shaped {
        return None;
    }
    let busiest = super::places::busiest_hour(c, corpus);
    (busiest <= super::places::PLACES_AT_ONCE).then_some(busiest)
}
