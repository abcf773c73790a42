//! Analysis of scanned records: attribution of origins, clustering and culprit ranking.

pub mod cluster;
pub mod key;
pub mod origin;
pub mod patterns;
