//! The suspects a plan leaves that name what it cannot take alone: pointed at, never taken.
//!
//! On a shared web host `plan` takes none of a hacked plugin's mail (docs/analysis.md, "Script
//! voices"): it said only `no culprit`, and counted the plugin's flood as local mail to keep
//! (newuser56). Nor does it take a hacked site's phishing handed to qmail-smtpd on 127.0.0.1
//! (`rank/inside.rs`). The ranking's held clusters whose reason names loud voices, or that
//! writing as another domain through an internal client, are said beside it.

use super::super::key::ClusterKey;
use super::super::rank::{Verdict, HELD_INSIDE, HELD_TEMPLATE, LOUD_VOICES};
use super::super::types::Cluster;
use crate::queue::Interner;

/// A suspect of the ranking whose reason names loud script voices, or mail written as another
/// domain through an internal client.
#[derive(Debug, Clone, PartialEq)]
pub struct HeldLoud {
    /// Its key.
    pub key: ClusterKey,
    /// Its value as `top` shows it (unsanitized).
    pub value: String,
    /// Its value's exact bytes (empty for none).
    pub value_bytes: std::sync::Arc<[u8]>,
    /// Its messages.
    pub messages: usize,
    /// Its score.
    pub score: f64,
    /// The reason naming the voices (unsanitized).
    pub reason: String,
}

impl HeldLoud {
    /// `suspect, not taken: auth-user sales@example.com (1,255 messages, suspect 38.4): an
    /// account sending far more than the others ...`, as `plan` names the strongest suspects of
    /// a plan with no culprit (unsanitized).
    pub fn suspect_words(&self) -> String {
        self.said("suspect, not taken")
    }

    /// `held, not taken: uid 48 (3,250 messages, suspect 39.9): loud among them, ...`, as
    /// `plan` and the TUI's plan popup say it (unsanitized).
    pub fn words(&self) -> String {
        self.said("held, not taken")
    }

    /// `culprit of bounces, not taken: uid 89 (1,516 messages, culprit 58.2): REASON; ...`, as
    /// `plan` names a culprit of the ranking made of bounces none of which quotes a culprit's
    /// message (unsanitized).
    pub fn bounce_words(&self) -> String {
        let said = self.said("culprit of bounces, not taken");
        format!(
            "{said}; none quotes a culprit's message, and a bounce of real mail is never \
             yanked: if these answer spam (an autoresponder), stop their source and yank them \
             by their query (qtriage top)"
        )
    }

    /// `PREFIX: KEY VALUE (N messages, VERDICT S): REASON`.
    fn said(&self, prefix: &str) -> String {
        format!(
            "{prefix}: {} {} ({}, {} {:.1}): {}",
            self.key.name(),
            self.value,
            crate::size::counted(self.messages as u64, "message", "messages"),
            Verdict::of(self.score).name(),
            self.score,
            self.reason
        )
    }
}

/// The suspects of `ranking` whose reasons name loud voices or an internal client writing as
/// another domain, in the ranking's order.
pub(super) fn of(ranking: &[Cluster], strings: &Interner) -> Vec<HeldLoud> {
    (ranking.iter())
        .filter(|c| c.verdict() == Verdict::Suspect)
        .filter_map(|c| {
            let reason = (c.reasons.iter()).find(|r| {
                [LOUD_VOICES, HELD_INSIDE, HELD_TEMPLATE]
                    .iter()
                    .any(|p| r.starts_with(p))
            })?;
            Some(held(c, reason.clone(), strings))
        })
        .collect()
}

/// Suspects a plan with no culprit names.
pub const NAMED_SUSPECTS: usize = 3;

/// The strongest suspects of `ranking` not in `loud`, up to [`NAMED_SUSPECTS`], each with its
/// strongest reason: said by a plan that takes nothing, which otherwise read `no culprit` beside
/// two guessed logins' 2,500 messages at 38.4 (mix61).
pub(super) fn strongest(
    ranking: &[Cluster],
    strings: &Interner,
    loud: &[HeldLoud],
) -> Vec<HeldLoud> {
    // By score: the ranking lists a larger suspect first whatever its score (review61).
    let mut suspects: Vec<&Cluster> = (ranking.iter())
        .filter(|c| c.verdict() == Verdict::Suspect)
        .collect();
    suspects.sort_by(|a, b| b.score.total_cmp(&a.score));
    (suspects.into_iter())
        .map(|c| held(c, super::strongest_reason(c), strings))
        .filter(|h| !loud.iter().any(|l| (l.key, &l.value) == (h.key, &h.value)))
        .take(NAMED_SUSPECTS)
        .collect()
}

/// `c` with its strongest reason, as a plan names a culprit it does not take.
pub(super) fn named(c: &Cluster, strings: &Interner) -> HeldLoud {
    held(c, super::strongest_reason(c), strings)
}

/// `c` as a held suspect with `reason`.
fn held(c: &Cluster, reason: String, strings: &Interner) -> HeldLoud {
    HeldLoud {
        key: c.key,
        value: (c.value).map_or_else(|| "(none)".to_string(), |v| v.shown(c.key, strings)),
        value_bytes: (c.value.as_ref())
            .map_or_else(|| std::sync::Arc::from(&b""[..]), |v| v.bytes(strings)),
        messages: c.messages,
        score: c.score,
        reason,
    }
}
