//! Analysis of scanned records: attribution of origins, clustering and culprit ranking.

pub mod origin;
