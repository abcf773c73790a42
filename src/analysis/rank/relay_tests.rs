//! Relaying by clients whose Received line says they logged in (`with ESMTPA`) though no header
//! names the account (`log-only-auth`): a guessed password to fix, not rcpthosts.
use super::tests::{people, Rec};
use super::*;
use crate::queue::{Channel, MessageRecord};

/// 120 messages from one IP to 1-4 remote recipients, forged senders, by `protocol`, no login
/// named; beside people writing as themselves.
fn relayed(s: &Interner, protocol: &str) -> Vec<MessageRecord> {
    let mut recs = people(s);
    recs.extend((0..120u64).map(|i| {
        let mut r = Rec::new(s, 100_000 + i)
            .smtp("41.203.18.7")
            .sender(&format!("x{i}@spam.example"))
            .rcpts(Channel::Remote, 1 + (i % 4) as usize)
            .r;
        r.origin.protocol = Some(s.intern(protocol.as_bytes()));
        r
    }));
    recs
}

/// The conclusion and reasons of the relaying IP's cluster.
fn ip_conclusion(protocol: &str) -> (String, Vec<String>) {
    let s = Interner::new();
    let ctx = crate::analysis::context::AnalysisContext {
        now: super::tests::NOW,
        local_domains: vec!["example.com".into()],
        ..Default::default()
    };
    let recs = relayed(&s, protocol);
    let ips = crate::analysis::cluster::cluster(&recs, ClusterKey::OriginIp, &s, &ctx);
    let c = (ips.iter())
        .find(|c| c.value.map(|v| v.text(&s)).as_deref() == Some("41.203.18.7"))
        .expect("the IP is clustered");
    (conclusion_of(&c.reasons[0]).to_string(), c.reasons.clone())
}

#[test]
fn a_client_that_logged_in_unnamed_is_a_guessed_password_not_an_open_relay() {
    for protocol in ["ESMTPA", "ESMTPSA", "esmtpsa"] {
        let (conclusion, reasons) = ip_conclusion(protocol);
        assert!(
            conclusion.ends_with(points::AUTH_UNNAMED.trim_start_matches("likely ")),
            "{reasons:#?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("by clients that logged in (ESMTPA)")),
            "{reasons:#?}"
        );
    }
    for protocol in ["ESMTP", "SMTP", "ESMTPS"] {
        let (conclusion, reasons) = ip_conclusion(protocol);
        assert_eq!(
            conclusion, "relaying without a login: check rcpthosts and tcp.smtp",
            "{protocol}: {reasons:#?}"
        );
    }
}
