//! A snapshot's analysis, kept while the worker needs it and derived again if it was let go.

use std::sync::{Arc, Mutex, PoisonError};

use crate::analysis::cluster::AnalysisContext;
use crate::analysis::Basis;
use crate::queue::{Interner, MessageRecord};

/// The [`Basis`] of one snapshot's records, and the context it was built under.
///
/// Only the worker reads it (the UI draws from the clusters and orders it sent). The header
/// pass' basis (per-record facts, 15 MB at a million messages) is let go once its views are
/// sent: the envelope pass, which runs next and reads a second set of records, is the TUI's
/// memory peak, and nothing asks the header snapshot for an analysis meanwhile (the worker is
/// busy with that pass). If that pass fails, the header snapshot stays current and the basis
/// is built again on first use, from the same records and context: the same analysis.
#[derive(Debug)]
pub struct BasisCell {
    ctx: AnalysisContext,
    basis: Mutex<Option<Arc<Basis>>>,
}

impl BasisCell {
    /// The basis of `records` under `ctx`, built now.
    pub fn new(records: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Self {
        BasisCell {
            basis: Mutex::new(Some(Arc::new(Basis::new(records, strings, ctx)))),
            ctx: ctx.clone(),
        }
    }

    /// The basis: the one built before, else built again (`records` and `strings` must be the
    /// ones it was made for: the snapshot's own).
    pub fn get(&self, records: &[MessageRecord], strings: &Interner) -> Arc<Basis> {
        let mut kept = self.basis.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(kept.get_or_insert_with(|| Arc::new(Basis::new(records, strings, &self.ctx))))
    }

    /// Let the basis go (it is built again if asked for).
    pub fn release(&self) {
        let released = self
            .basis
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(released);
    }

    /// Is the basis held now?
    pub fn is_held(&self) -> bool {
        self.basis
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::key::ClusterKey;
    use crate::tui::testdata::analysis;
    use crate::tui::worker::clustering;

    #[test]
    fn a_basis_let_go_is_built_again_the_same() {
        let a = analysis(30, 7, false);
        let s = &a.snapshot;
        let before = clustering(s, ClusterKey::AuthUser).clusters;
        let ctx_before = s.basis().ctx.clone();
        s.let_basis_go();
        assert!(!s.holds_basis());
        // Built again from the same records under the same context: the same clusters, by
        // every key (the scores take the per-record facts the basis holds).
        let again = clustering(s, ClusterKey::AuthUser).clusters;
        assert!(s.holds_basis());
        assert_eq!(again, before);
        assert!(!before.is_empty() && before.iter().any(|c| c.score > 0.0));
        assert_eq!(s.basis().ctx.local_domains, ctx_before.local_domains);
        for key in ClusterKey::ALL {
            let held = clustering(s, key).clusters;
            s.let_basis_go();
            assert_eq!(clustering(s, key).clusters, held, "{key:?}");
        }
    }
}
