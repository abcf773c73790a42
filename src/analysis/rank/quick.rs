//! What a cluster's flag bits alone say of its score, before it is measured: that no signal
//! with a conclusion can fire (its score is 0), or that it cannot reach a suspect's 20.
//!
//! `top` scores every cluster of nine keys to find the suspects: at 100,000 messages of a flood,
//! 14,000 clusters, most of them one forged sender's or one random HELO's message, damped to a
//! twentieth, and the real mail's clusters, which no abuse signal fits. A measure is a pass over
//! the members filling sets and maps; the bits any member has are one word a member
//! ([`Facts::seen`](crate::analysis::signals::Facts::seen)). Each point [`super::score`] adds
//! with a conclusion needs a member with some bit (or a key), and is at most a fixed number of
//! points; the weights (fan-out, one template, share, rate) only count beside a conclusion. So
//! their sum, damped as [`super::total`] damps, bounds the score from above. An auth-user
//! cluster is never bounded: the login logs' findings add points without a cap.

use super::{Cluster, Corpus, MIN_CULPRIT_MESSAGES, SUSPECT_SCORE};
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{Bit, Seen};

/// What the flag bits say of a cluster's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quick {
    /// No signal with a conclusion can fire: the score is exactly 0.
    Zero,
    /// Below [`SUSPECT_SCORE`] whatever the measure finds: legitimate-looking, its score unknown.
    Legitimate,
    /// Measure it.
    Measure,
}

/// The most points each signal (or group of signals needing one bit) adds, as
/// `rank/points.rs`, `inside.rs`, `inside_run.rs` and `stuffing.rs` add them; a field per
/// `sc.add` with a conclusion, so that a test can make one smaller and see the bound fail.
#[derive(Debug, Clone, Copy)]
pub(super) struct Caps {
    /// `login_points`: senders not their own, 25 x the share (its "many addresses" is the
    /// auth-user's, never bounded). Needs [`Bit::Foreign`].
    pub(super) foreign: f64,
    /// `origin_points`: a web uid or script mailing out 20 x, its From elsewhere 20 x, a
    /// backdoor's mark 10 x. Needs [`Bit::WebRemote`].
    pub(super) web: f64,
    /// `origin_points`: a local uid mailing out, 10. Needs [`Bit::LocalRemote`].
    pub(super) local: f64,
    /// `origin_points`: backscatter, 20 x either share. Needs [`Bit::NullRemote`].
    pub(super) backscatter: f64,
    /// `origin_points`: relaying, 20 x the share (from a fifth). Needs [`Bit::Relay`].
    pub(super) relay: f64,
    /// `open_relay_points`, subject and sender-pattern clusters: 20 x the relayed share.
    /// Needs [`Bit::RelayForeign`], or of a subject [`Bit::RelayOwn`] (forged as this
    /// server's addresses).
    pub(super) open_relay: f64,
    /// `forged_inside_points`: 25 x the share. Needs [`Bit::InternalForgedFrom`].
    pub(super) forged_inside: f64,
    /// `forged_script_points`, script clusters: 25 x the share. Needs [`Bit::ForgedScript`].
    pub(super) forged_script: f64,
    /// `forged_pattern_points`, sender-pattern clusters: 15, half of them to remote
    /// recipients. Needs [`Bit::Remote`].
    pub(super) forged_pattern: f64,
    /// `inside_run_points`, subject clusters: 25 x the share. Needs [`Bit::InternalOwn`] (nine
    /// in ten of its messages).
    pub(super) inside_run: f64,
    /// `stuffing_points`, subject clusters: 25 and 15. Needs [`Bit::Auth`] (20 logins).
    pub(super) stuffing: f64,
    /// `fan_out_and_template`: a wide fan-out 10, or several recipients 5.
    pub(super) fan_out: f64,
    /// `fan_out_and_template`: one subject template, 10, from 20 messages.
    pub(super) template: f64,
}

/// The points as [`super::score`] adds them.
pub(super) const CAPS: Caps = Caps {
    foreign: 25.0,
    web: 50.0,
    local: 10.0,
    backscatter: 20.0,
    relay: 20.0,
    open_relay: 20.0,
    forged_inside: 25.0,
    forged_script: 25.0,
    forged_pattern: 15.0,
    inside_run: 25.0,
    stuffing: 40.0,
    fan_out: 10.0,
    template: 10.0,
};

/// Room left below [`SUSPECT_SCORE`] for the score's rounding to a tenth and for sums taken in
/// another order: a bound of 19.95 could round to a suspect's 20.0.
const MARGIN: f64 = 1.0;

/// What `c`'s flag bits (`seen`, of its members) say of its score.
pub(super) fn quick(c: &Cluster, seen: Seen, corpus: &Corpus<'_>) -> Quick {
    match upper(c, seen, corpus, &CAPS) {
        Some(0.0) => Quick::Zero,
        Some(u) if u + MARGIN < SUSPECT_SCORE => Quick::Legitimate,
        _ => Quick::Measure,
    }
}

/// An upper bound of `c`'s score from its flag bits and its totals, with `caps`' points:
/// exactly 0 when no signal with a conclusion can fire (its score is then 0 too); `None` for
/// an auth-user cluster and one without a value (scored apart).
pub(super) fn upper(c: &Cluster, seen: Seen, corpus: &Corpus<'_>, caps: &Caps) -> Option<f64> {
    if c.key == ClusterKey::AuthUser || c.value.is_none() {
        return None;
    }
    let mut points = 0.0;
    let mut may = |bit: Bit, cap: f64| {
        if seen.has(bit) {
            points += cap;
        }
    };
    may(Bit::Foreign, caps.foreign);
    may(Bit::WebRemote, caps.web);
    may(Bit::LocalRemote, caps.local);
    may(Bit::NullRemote, caps.backscatter);
    may(Bit::Relay, caps.relay);
    may(Bit::InternalForgedFrom, caps.forged_inside);
    match c.key {
        ClusterKey::Script => may(Bit::ForgedScript, caps.forged_script),
        ClusterKey::SenderPattern => {
            may(Bit::Remote, caps.forged_pattern);
            may(Bit::RelayForeign, caps.open_relay);
        }
        ClusterKey::Subject => {
            // One of the two, never both: the points are the relayed share's 20 either way.
            match seen.has(Bit::RelayForeign) {
                true => may(Bit::RelayForeign, caps.open_relay),
                false => may(Bit::RelayOwn, caps.open_relay),
            }
            may(Bit::InternalOwn, caps.inside_run);
            may(Bit::Auth, caps.stuffing);
        }
        _ => {}
    }
    if points == 0.0 {
        // No conclusion, so no weight either (`score` adds them beside one only).
        return Some(0.0);
    }
    points += caps.fan_out;
    if c.messages >= 20 {
        points += caps.template;
    }
    points += 30.0 * corpus.facts.share(c.messages);
    if c.per_minute > 0.0 {
        points += 10.0 * (c.per_minute / 10.0).min(1.0);
    }
    // Damped and capped as `total` does; a hold only lowers it.
    if c.messages < MIN_CULPRIT_MESSAGES {
        points *= c.messages as f64 / MIN_CULPRIT_MESSAGES as f64;
    }
    Some(points.clamp(0.0, 100.0))
}

#[cfg(test)]
mod tests;
