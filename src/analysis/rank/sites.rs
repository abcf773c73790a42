//! One script name or envelope sender many sites send through: a library or a name every
//! site has (`PHPMailer.php`, `index.php`), PHP-FPM's `anonymous@HOST`, not one script or
//! sender; each site is judged by its uid.
//!
//! PHP writes only the file's name in `X-PHP-Originating-Script`, so on a shared host whose
//! sites each run as their own uid (suexec, PHP-FPM pools), every WordPress site's order mails,
//! password resets and newsletters are one `script` cluster. mix65 (session 65, a helper who
//! read neither the analysis nor the generator, through a real qmail): 29 sites' WordPress mail
//! under `PHPMailer.php` was a culprit at 46-62 beside a hacked site's `x.php`, and `plan`
//! took 861 real messages with it; with no abuse at all, at 57.9, 3,077 of 3,341. And PHP-FPM
//! clears the environment, so every site's `sendmail` writes the envelope sender
//! `anonymous@HOST`: once the sites' uids were known as web sites' (their passwd homes), that
//! sender pattern was a culprit beside the hacked site's uid and took 241 real messages.

use super::Scoring;
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;

/// Local uids under one script name from which it is many sites' name, not one site's script:
/// two are a site and its staging copy.
pub(super) const MANY_SITES: usize = 3;

/// The keys a web site's mail shares with every other site's on a shared host.
const SHARED_KEYS: [ClusterKey; 3] = [
    ClusterKey::Script,
    ClusterKey::Sender,
    ClusterKey::SenderPattern,
];

/// The local uids `c` (a script or sender cluster) comes from, when they are [`MANY_SITES`] or more and
/// most of its mail bears no mark of a dropped mailer (an upload directory, `eval()`'d code:
/// one exploit dropped in many sites is their spam). Only asked of a score over 40.
pub(super) fn many_sites(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<usize> {
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    if !SHARED_KEYS.contains(&c.key)
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
        "its messages come from {} local uids, each a site's: one script name or envelope \
         sender many sites' code sends through (a library, an index.php, PHP-FPM's \
         anonymous@), not one script or sender, and each site is judged by its uid: held \
         below {:.0}; look before taking it",
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

    const HELD: &str = "local uids, each a site's: one script name or envelope sender many sites'";

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

    /// mix65's Q1: PHP-FPM sites each under its own uid (their passwd homes name them), every
    /// one's `sendmail` writing `anonymous@web03.example.com`; uid 2001's WordPress hacked,
    /// 600 messages From a bank, the five others' own mail From their sites.
    #[test]
    fn php_fpms_envelope_sender_is_held_and_the_hacked_sites_uid_is_the_culprit() {
        let s = Interner::new();
        let mut recs: Vec<MessageRecord> = people(&s);
        let mut ctx = crate::analysis::context::AnalysisContext {
            now: NOW,
            local_domains: vec!["example.com".into()],
            ..Default::default()
        };
        for site in 2_001..2_007u32 {
            ctx.site_domains.insert(site, format!("site{site}.example"));
        }
        recs.extend((0..900u64).map(|i| {
            let (uid, from, subject) = match i < 600 {
                true => (
                    2_001,
                    "service@bank-login.example".to_string(),
                    "Verify your account",
                ),
                false => {
                    let site = 2_002 + (i as u32 % 5);
                    (site, format!("shop@site{site}.example"), "Your order")
                }
            };
            let mut r = Rec::new(&s, 10_000 + i)
                .php(uid, None)
                .sender("anonymous@web03.example.com")
                .subject(&format!("{subject} {i}"))
                .rcpts(Channel::Remote, 1)
                .r;
            r.headers.from = Some(s.intern(from.as_bytes()));
            r
        }));
        let find = |key, value: &str| {
            let all = crate::analysis::cluster::cluster(&recs, key, &s, &ctx);
            (all.into_iter())
                .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some(value))
                .expect("clustered")
        };
        let uid = find(ClusterKey::Uid, "2001");
        assert_eq!(uid.verdict(), Verdict::Culprit, "{:#?}", uid.reasons);
        // A site's uid is a web application's, its home says so, whatever its name.
        assert!(
            (uid.reasons.iter()).any(|r| r.contains("web-server uid or PHP script mailing")),
            "{:#?}",
            uid.reasons
        );
        let sender = find(ClusterKey::Sender, "anonymous@web03.example.com");
        assert_eq!(sender.verdict(), Verdict::Suspect, "{:#?}", sender.reasons);
        assert!(
            (sender.reasons.iter()).any(|r| r.starts_with("its messages come from 6 local uids")),
            "{:#?}",
            sender.reasons
        );
    }
}
