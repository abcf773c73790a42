//! One script name many sites send through: a library or a name every site has
//! (`PHPMailer.php`, `index.php`), not one script; each site is judged by its uid.
//!
//! PHP writes only the file's name in `X-PHP-Originating-Script`, so on a shared host whose
//! sites each run as their own uid (suexec, PHP-FPM pools), every WordPress site's order mails,
//! password resets and newsletters are one `script` cluster. mix65 (session 65, a helper who
//! read neither the analysis nor the generator, through a real qmail): 29 sites' WordPress mail
//! under `PHPMailer.php` was a culprit at 46-62 beside a hacked site's `x.php`, and `plan`
//! took 861 real messages with it; with no abuse at all, at 57.9, 3,077 of 3,341.

use super::Scoring;
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;

/// Local uids under one script name from which it is many sites' name, not one site's script:
/// two are a site and its staging copy.
pub(super) const MANY_SITES: usize = 3;

/// The local uids `c` (a script cluster) comes from, when they are [`MANY_SITES`] or more and
/// most of its mail bears no mark of a dropped mailer (an upload directory, `eval()`'d code:
/// one exploit dropped in many sites is their spam). Only asked of a score over 40.
pub(super) fn many_sites(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<usize> {
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    if c.key != ClusterKey::Script
        || total < super::CULPRIT_SCORE
        || s.upload_script_msgs * 2 >= c.messages
    {
        return None;
    }
    let mut uids: Vec<u32> = (c.members.iter())
        .filter_map(|&i| corpus.records.get(i as usize)?.origin.uid())
        .collect();
    uids.sort_unstable();
    uids.dedup();
    (uids.len() >= MANY_SITES).then_some(uids.len())
}

/// [`many_sites`]' words.
pub(super) fn reason(uids: usize) -> String {
    format!(
        "its messages come from {} local uids, each a site's: one script name many sites' \
         code sends through (a library, an index.php), not one script, and each site is \
         judged by its uid: held below {:.0}; look before taking it",
        crate::size::thousands(uids as u64),
        super::CULPRIT_SCORE
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{people, Rec, NOW};
    use super::super::{Cluster, ClusterKey, Verdict};
    use crate::queue::{Channel, Interner, MessageRecord};

    /// 900 messages of one `script` name from `sites` uids (from 2001 up), each site's From at
    /// its own domain (hosted elsewhere: not this server's) to a remote customer, beside
    /// people's mail; its cluster.
    fn script_of_sites(script: &str, sites: u32) -> Cluster {
        let s = Interner::new();
        let mut recs: Vec<MessageRecord> = people(&s);
        recs.extend((0..900u64).map(|i| {
            let site = 2_001 + (i as u32 % sites);
            let mut r = Rec::new(&s, 10_000 + i)
                .php(site, Some(script))
                .sender(&format!("site{site}@web03.example.com"))
                .subject(&format!("Your order {i}"))
                .rcpts(Channel::Remote, 1)
                .r;
            r.headers.from = Some(s.intern(format!("shop@site{site}.example").as_bytes()));
            r
        }));
        let ctx = crate::analysis::context::AnalysisContext {
            now: NOW,
            local_domains: vec!["example.com".into()],
            ..Default::default()
        };
        let scripts = crate::analysis::cluster::cluster(&recs, ClusterKey::Script, &s, &ctx);
        (scripts.into_iter())
            .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some(script))
            .expect("the script is clustered")
    }

    const HELD: &str = "local uids, each a site's: one script name many sites' code sends through";

    #[test]
    fn one_script_name_many_sites_send_through_is_held() {
        let c = script_of_sites("PHPMailer.php", 6);
        assert_eq!(c.verdict(), Verdict::Suspect, "{:#?}", c.reasons);
        assert!(
            (c.reasons.iter())
                .any(|r| r.starts_with("its messages come from 6 local uids") && r.contains(HELD)),
            "{:#?}",
            c.reasons
        );
    }

    #[test]
    fn a_script_of_two_sites_or_dropped_in_many_is_judged_as_before() {
        // A site and its staging copy.
        let two = script_of_sites("PHPMailer.php", 2);
        // One exploit's mailer in every site's upload directory.
        let dropped = script_of_sites("wp-content/uploads/2026/x.php", 6);
        for c in [two, dropped] {
            assert_eq!(c.verdict(), Verdict::Culprit, "{:#?}", c.reasons);
            assert!(
                c.reasons.iter().all(|r| !r.contains(HELD)),
                "{:#?}",
                c.reasons
            );
        }
    }
}
