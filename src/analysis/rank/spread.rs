//! One login used from address blocks all over the Internet: a botnet's clients, not a
//! person's home, office and mobile carriers.

use rustc_hash::FxHashSet;

use super::points::GUESSED;
use super::Scoring;
use crate::analysis::key::ClusterKey;
use crate::analysis::patterns::block;
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::size::thousands;

/// Distinct /16 blocks (IPv6: /32) from which one login's clients are a botnet's. A person's
/// phone hops across a carrier's pool, dozens of /24s in one or two /16s (mix63's
/// `k.hofmann@`: 49 networks in 2 blocks over two days); home, office, hotels and a second
/// carrier add a few blocks each.
pub(super) const BOTNET_BLOCKS: usize = 50;

/// Beside "one login used from many places" (25 points from 5 networks, which a person's phone
/// reaches too), a login used from [`BOTNET_BLOCKS`] blocks or more: mix63's low-and-slow
/// login, 291 messages from 262 IPs in 262 networks over four days, a few each, stayed a
/// suspect at 38.4 on the 25 a person's phone earns.
pub(super) fn spread_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    if c.key != ClusterKey::AuthUser || s.auth_users.is_empty() || s.nets.len() < BOTNET_BLOCKS {
        return;
    }
    let blocks: FxHashSet<Vec<u8>> = (s.nets.iter())
        .filter_map(|&net| corpus.strings.with(net, |n| block(n).map(<[u8]>::to_vec)))
        .collect();
    if blocks.len() < BOTNET_BLOCKS {
        return;
    }
    let words = || {
        format!(
            "its {} networks in {} address blocks (/16): a botnet's clients, not a person's \
             carriers",
            thousands(s.nets.len() as u64),
            thousands(blocks.len() as u64)
        )
    };
    sc.add(15.0, words, Some(GUESSED));
}

#[cfg(test)]
mod tests {
    use super::super::tests::Rec;
    use super::super::{Cluster, ClusterKey, Verdict};
    use crate::queue::{Channel, Interner, MessageRecord};

    /// 2,000 messages of sixty people as themselves, each from one IP, beside 290 of
    /// `k.hoffmann@`'s as itself to 5-25 remote recipients, from `ip(i)`, one every twenty
    /// minutes over four days (low and slow); its cluster.
    fn login_from(ip: impl Fn(u64) -> String) -> Cluster {
        let s = Interner::new();
        let own = |r: Rec<'_>, login: &str| {
            let mut r = r.sender(login).r;
            r.headers.from = r.sender;
            r
        };
        let mut recs: Vec<MessageRecord> = (0..2_000u64)
            .map(|i| {
                let login = format!("user{}@example.com", i % 60);
                let r = Rec::new(&s, 1_000 + i).auth(&login, &format!("84.130.{}.9", i % 60));
                own(r.rcpts(Channel::Remote, 1), &login)
            })
            .collect();
        let login = "k.hoffmann@example.com";
        recs.extend((0..290u64).map(|i| {
            let mut r = Rec::new(&s, 100_000 + i).auth(login, &ip(i));
            r.r.set_queued(super::super::tests::NOW - 600 - 1_200 * i as i64);
            own(r.rcpts(Channel::Remote, 5 + (i % 21) as usize), login)
        }));
        let ctx = crate::analysis::context::AnalysisContext {
            now: super::super::tests::NOW,
            local_domains: vec!["example.com".into()],
            ..Default::default()
        };
        let logins = crate::analysis::cluster::cluster(&recs, ClusterKey::AuthUser, &s, &ctx);
        (logins.into_iter())
            .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some(login))
            .expect("the login is clustered")
    }

    const BOTNET: &str = "address blocks (/16): a botnet's clients";

    #[test]
    fn a_login_used_from_blocks_all_over_the_internet_is_a_botnets_culprit() {
        // 260 clients, each in a block of its own.
        let c = login_from(|i| format!("{}.{}.{}.{}", 2 + i % 200, 7 + i / 200, i % 251, 9));
        assert_eq!(c.verdict(), Verdict::Culprit, "{:#?}", c.reasons);
        assert!(
            (c.reasons.iter()).any(|r| r.starts_with("its 290 networks in 290 address blocks")),
            "{:#?}",
            c.reasons
        );
    }

    #[test]
    fn a_phone_hopping_across_its_carriers_pool_is_no_botnet() {
        // 290 networks of a carrier's two /16s, and the office.
        let c = login_from(|i| match i % 5 {
            0 => "91.65.212.30".to_string(),
            _ => format!("109.{}.{}.{}", 40 + i % 2, i % 250, 20 + i % 7),
        });
        assert!(
            c.reasons.iter().all(|r| !r.contains(BOTNET)),
            "{:#?}",
            c.reasons
        );
        assert_eq!(c.verdict(), Verdict::Suspect, "{:#?}", c.reasons);
        // One address at a time, in three blocks: one person moving, a few places' 10, not
        // the many places' 25 (mix66: thirty reps suspects by it alone).
        assert!(
            (c.reasons.iter()).any(|r| r.starts_with(
                "one login used from 233 IPs in 201 \
                 networks, in 3 address blocks and 3 at a time at most: one person moving"
            ) && r.ends_with("(+10.0)")),
            "{:#?}",
            c.reasons
        );
    }

    /// A botnet's clients, a few an hour as a person's phone, are no person: their blocks.
    #[test]
    fn a_botnet_at_a_persons_pace_is_no_person() {
        let c = login_from(|i| format!("{}.{}.{}.{}", 2 + i % 200, 7 + i / 200, i % 251, 9));
        assert!(
            (c.reasons.iter()).any(|r| r.starts_with(
                "one login used from 290 IPs in 290 \
                 networks (+25.0)"
            )),
            "{:#?}",
            c.reasons
        );
    }
}
