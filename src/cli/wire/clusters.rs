//! `clusters --json` and `top --json`: one cluster per line (docs/cli.md "clusters").

use serde::Serialize;

use super::Text;
use crate::analysis::ages;

/// One cluster of `clusters --json` and `top --json` (docs/cli.md "clusters").
#[derive(Debug, Serialize)]
pub struct ClusterJson {
    /// The key name (`auth-user`, ...).
    pub by: &'static str,
    /// The value; null for the `(none)` cluster.
    pub value: Option<Text>,
    /// Messages in the cluster.
    pub messages: usize,
    /// Envelope recipients over its messages.
    pub recipients: usize,
    /// Sum of mess file sizes.
    pub bytes: u64,
    /// Oldest birth time, RFC 3339 UTC; null when no member's is known.
    pub first_queued: Option<String>,
    /// Newest birth time, RFC 3339 UTC; null when no member's is known.
    pub last_queued: Option<String>,
    /// Messages a minute queued over the hour before now.
    pub per_minute: f64,
    /// Culprit score 0-100.
    pub score: f64,
    /// `culprit`, `suspect` or `legit`; null for the `(none)` cluster (never ranked).
    pub verdict: Option<&'static str>,
    /// Summary, then one line per signal.
    pub reasons: Vec<String>,
    /// The query selecting exactly this cluster's messages.
    pub query: String,
    /// `clusters --ages`: messages per qshape age bucket (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ages: Option<ages::Ages>,
}
