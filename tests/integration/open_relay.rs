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
