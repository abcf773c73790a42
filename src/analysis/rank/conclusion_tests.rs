//! A cluster's conclusions said once each: a conclusion and its qualified form are one.

use super::points::{AUTH_UNNAMED, GUESSED, HEAVY};
use super::*;

fn conclusion(whys: &[(&'static str, f64)], verdict: Verdict) -> Option<String> {
    let sc = Scoring {
        whys: whys.iter().copied().collect(),
        ..Scoring::default()
    };
    sc.conclusion(verdict)
}

#[test]
fn a_conclusion_and_its_qualified_form_are_said_once_qualified_where_the_better_stood() {
    // log-only-auth's sender pattern: "likely a guessed password; and forged random sender
    // names; and likely a guessed password: logged in, but no header names the account".
    let both = [(GUESSED, 25.0), (HEAVY, 22.0), (AUTH_UNNAMED, 20.0)];
    let said = format!("{AUTH_UNNAMED}; and {HEAVY}");
    assert_eq!(conclusion(&both, Verdict::Culprit), Some(said.clone()));
    // The qualified one better supported: it stays, the plain one goes.
    let both = [(AUTH_UNNAMED, 25.0), (HEAVY, 22.0), (GUESSED, 20.0)];
    assert_eq!(conclusion(&both, Verdict::Culprit), Some(said));
    // A suspect says "possibly" for both, and they are still one.
    let suspect = conclusion(&[(GUESSED, 20.0), (AUTH_UNNAMED, 15.0)], Verdict::Suspect);
    let possibly = AUTH_UNNAMED.replacen("likely ", "possibly ", 1);
    assert_eq!(suspect, Some(possibly));
    // Different conclusions all stay, in order of support.
    let apart = conclusion(&[(HEAVY, 10.0), (GUESSED, 25.0)], Verdict::Culprit);
    assert_eq!(apart, Some(format!("{GUESSED}; and {HEAVY}")));
    // Read back out of a summary, as the plan and the report read it.
    let summary = format!("AUTH user x: 3 messages: {AUTH_UNNAMED}; and {HEAVY}");
    assert_eq!(
        conclusion_of(&summary),
        format!("{AUTH_UNNAMED}; and {HEAVY}")
    );
}
