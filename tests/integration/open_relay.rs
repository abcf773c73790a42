//! An open relay beside POP-before-SMTP users (the `open-relay` mix, mix63's queue C
//! generated): the relay's campaigns are culprits and taken, the users' mail, relayed without a
//! login from as many networks but as this server's domain, is left; the report says how to
//! close the relay.

use qtriage::analysis::key::ClusterKey;
use qtriage::fixture::flood::{Mix, OPEN_RELAY_LOCALS};

use crate::plan_mix::{measure_seeded, NOW, SEED};
use crate::util::assert_exit;

#[test]
fn plan_takes_an_open_relays_campaigns_and_leaves_pop_before_smtp_users() {
    let (t, m) = measure_seeded(Mix::OpenRelay, 2_000, SEED);
    assert!(m.recall_per_mille() >= 995, "{m:#?}");
    assert_eq!(m.real_taken, 0, "{m:#?}");
    // The relay's ten subjects, each a culprit of its own: no key gathers its 400 clients.
    let relayed = (m.plan.culprits.iter())
        .filter(|c| c.key == ClusterKey::Subject && c.reason.contains("relaying without a login"))
        .count();
    assert!(relayed >= 5, "{:#?}", m.plan.culprits);
    // As an operator runs it, with the control files the mix wrote next to the queue.
    let locals = std::fs::read_to_string(t.root().parent().expect("home").join("control/locals"));
    assert_eq!(locals.ok().as_deref(), Some(OPEN_RELAY_LOCALS));
    let out = t.run_at(&NOW.to_string(), &["report"]);
    assert_exit(&out, 0);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        report
            .matches("close the relay: clients in many networks")
            .count(),
        1,
        "{report}"
    );
}

/// The same relay's bots writing as this server's own addresses (the `open-relay-own` mix,
/// mix64's queue Q4 generated): taken by their subjects, every one forged from all over the
/// Internet; the POP users' mail and the office ERP's invoices, relayed without a login as
/// this server's domain too (the ERP as one of the forged addresses), are left.
#[test]
fn plan_takes_an_open_relay_writing_as_this_servers_addresses_and_leaves_its_users() {
    let (_, m) = measure_seeded(Mix::OpenRelayOwn, 2_000, SEED);
    assert!(m.recall_per_mille() >= 995, "{m:#?}");
    assert_eq!(m.real_taken, 0, "{m:#?}");
    let forged = (m.plan.culprits.iter())
        .filter(|c| c.key == ClusterKey::Subject)
        .count();
    assert!(forged >= 5, "{:#?}", m.plan.culprits);
    // No single address is the culprit: `rechnung@` is the ERP's too.
    assert!(
        (m.plan.culprits.iter()).all(|c| c.key != ClusterKey::SenderPattern),
        "{:#?}",
        m.plan.culprits
    );
}
