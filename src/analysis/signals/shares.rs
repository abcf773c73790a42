//! What a share is of, in the words of the reasons and the plan's headline.

/// What a cluster's share is of, in its reasons: "(70% of queue)" in the summary (`short`),
/// "70% of the queue (+21.0)" in the points (`long`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareOf {
    /// In the summary's parentheses.
    pub short: &'static str,
    /// In the points' sentence.
    pub long: &'static str,
}

/// The records are the queue: `top`, the TUI, the accounts check.
pub const OF_QUEUE: ShareOf = ShareOf {
    short: "queue",
    long: "the queue",
};

/// The records are the part of the queue a `--where` selected, in `plan`'s headline (`yank
/// N messages (X% of selection)`); its clusters' shares are of the queue
/// ([`super::QueueFacts`]).
pub const OF_SELECTION: ShareOf = ShareOf {
    short: "selection",
    long: "the selection",
};

/// What the report's records are, in the ranking's reasons ("70% of ..."): the queue and the
/// yank area, within `--since`.
pub const OF_REPORT: ShareOf = ShareOf {
    short: "the messages reported",
    long: "the messages reported",
};

/// Every share the reasons are of, to read a share's line back ([`crate::analysis::rank::is_weight`]).
pub(crate) const SHARES: [ShareOf; 3] = [OF_QUEUE, OF_SELECTION, OF_REPORT];
