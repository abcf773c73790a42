//! `Cluster`: the messages that share one value of one key, with their figures, score and
//! reasons; what grouping makes, ranking scores and both faces show.

use super::key::{ClusterKey, KeyValue};

/// Messages sharing one value of one key.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The grouping key.
    pub key: ClusterKey,
    /// The shared value; `None` is the "(none)" cluster of messages without one.
    pub value: Option<KeyValue>,
    /// Indices into the record slice, in record order.
    pub members: Vec<u32>,
    /// Number of messages.
    pub messages: usize,
    /// Number of envelope recipients over all members.
    pub recipients: usize,
    /// Sum of mess sizes.
    pub bytes: u64,
    /// Oldest known birth time; 0 when no member's is known.
    pub first_queued: i64,
    /// Newest known birth time; 0 when no member's is known.
    pub last_queued: i64,
    /// Messages per minute queued over the last hour before `now`.
    pub per_minute: f64,
    /// Culprit score (higher = more likely spam source); 0 until ranked.
    pub score: f64,
    /// Reasons for the score, in the operator's words.
    pub reasons: Vec<String>,
}
