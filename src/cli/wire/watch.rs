//! `watch --json`: one object per update.

use serde::Serialize;

use super::Text;

/// One cluster in `watch --json`.
#[derive(Debug, Serialize)]
pub struct ClusterJson {
    /// The key name (`auth-user`, `origin-ip`, ...).
    pub by: &'static str,
    /// The value, exact bytes (string, or `{"bytes": base64}`).
    pub value: Text,
    /// In minus out per minute, last minute.
    pub per_min: f64,
    /// In per minute, last minute.
    pub in_per_min: f64,
    /// Out per minute, last minute (delivered, bounced, yanked).
    pub out_per_min: f64,
    /// Of those, yanked per minute, last minute.
    pub yanked_per_min: f64,
    /// In minus delivered and bounced per minute, last minute: its growth with its yanks
    /// set aside (a flood still arriving after its yank is positive here).
    pub per_min_without_yanks: f64,
}

/// One window's rates in `watch --json`.
#[derive(Debug, Serialize)]
pub struct WindowJson {
    /// `1m`, `5m` or `15m`.
    pub window: &'static str,
    /// In per minute.
    pub in_per_min: f64,
    /// Out per minute.
    pub out_per_min: f64,
    /// Yanked per minute.
    pub yanked_per_min: f64,
    /// Put back from the yank area per minute (not in `in_per_min`).
    pub restored_per_min: f64,
    /// In minus out per minute.
    pub growth_per_min: f64,
}

/// One `watch --json` object.
#[derive(Debug, Serialize)]
pub struct WatchJson {
    /// RFC 3339 UTC.
    pub time: String,
    /// Messages with a mess file.
    pub queue: u64,
    /// Messages with a todo file.
    pub todo: u64,
    /// In per minute, last minute.
    pub in_per_min: f64,
    /// Out per minute, last minute (delivered, bounced, yanked).
    pub out_per_min: f64,
    /// Yanked per minute, last minute.
    pub yanked_per_min: f64,
    /// Put back from the yank area per minute, last minute (not in `in_per_min`).
    pub restored_per_min: f64,
    /// In minus out per minute, last minute.
    pub growth_per_min: f64,
    /// All three windows.
    pub windows: Vec<WindowJson>,
    /// Fastest-growing clusters.
    pub clusters: Vec<ClusterJson>,
    /// Clusters yanked in the last minute whose mail still arrives (not in `clusters`: their
    /// yank outweighs it), fastest first per key by `per_min_without_yanks`.
    pub still_arriving: Vec<ClusterJson>,
    /// `notify` or `polling`.
    pub mode: &'static str,
    /// Why polling (`events-lost`, `network-filesystem`, ...), null in notify mode.
    pub mode_reason: Option<&'static str>,
    /// Seconds the watch has run, to the nearest and at least 1 (the rates of a watch younger
    /// than a window are its counts over this time, scaled to a minute).
    pub watched_secs: u64,
}
