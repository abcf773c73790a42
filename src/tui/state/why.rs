//! The reasons of one cluster its clustering left without, asked of the worker when the
//! operator selects it (a key with a value a message has too many clusters to write them all).

use crate::analysis::key::ClusterKey;

/// One cluster of one clustering: the snapshot's generation, the key and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterAt {
    /// The snapshot the clustering was made of.
    pub generation: u64,
    /// The clustering's key.
    pub key: ClusterKey,
    /// The cluster's index in the clustering.
    pub index: u32,
}

/// The reasons written for the cluster `at`, or asked for (`None` until the worker answers).
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    /// Which cluster.
    pub at: ClusterAt,
    /// Its reasons, once written.
    pub reasons: Option<Vec<String>>,
}
