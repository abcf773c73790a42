//! The weights' lines (fan-out, one subject template, share, rate) are read back as weights by
//! [`is_weight`], and no signal's line is: `plan` names a culprit's strongest signal by it.
use std::sync::Arc;

use super::campaign_tests::campaign_mix;
use super::tests::{guessed_password, run};
use super::*;
use crate::analysis::signals::measure;

#[test]
fn every_weight_and_no_signal_is_read_back_as_a_weight() {
    let (mut weights, mut signals) = (0, 0);
    for mix in [guessed_password, campaign_mix] {
        for key in [
            ClusterKey::AuthUser,
            ClusterKey::OriginIp,
            ClusterKey::Subject,
        ] {
            let s = Arc::new(Interner::new());
            let mut a = run(mix(&s), s.clone(), &["example.com"]);
            a.recluster(key);
            let corpus = a.corpus();
            for c in a.clusters.iter().filter(|c| c.value.is_some()) {
                let sc = score(c, &measure(c, &corpus), &corpus, true);
                for p in sc.points.iter().filter(|p| p.0 > 0.0) {
                    let line = format!("{} (+{:.1})", p.1, p.0);
                    assert_eq!(is_weight(&line), !p.2, "{line}");
                    weights += usize::from(!p.2);
                    signals += usize::from(p.2);
                }
            }
        }
    }
    assert!(
        weights >= 10 && signals >= 10,
        "{weights} weights, {signals} signals"
    );
}
