//! The plan's culprits every message of which a culprit listed above already takes: said on one
//! line after the others, so the lines the operator reads are the ones that add messages.
//!
//! newuser58: without `--log`, `log-only-auth`'s plan listed the HELO `User` and then three
//! sender patterns of that same run, each `(318 messages; 318 counted above)`, as culprits of
//! their own. Their terms stay in the query (a later message of the pattern is taken too), and
//! `--json` keeps every culprit as it was.

use super::{Plan, PlanCulprit};
use crate::analysis::key::ClusterKey;
use crate::size::thousands;

impl PlanCulprit {
    /// Every one of its messages is a culprit's listed above it, no bounce comes with it, and
    /// it names no one to fix: a pattern of the mail (sender, HELO, subject, domains), never an
    /// account, a script, a uid or an IP, nor a login the `--log` files named (review59: the
    /// one account the log named was folded under its IP's line, which said `(--log does)`).
    pub fn all_counted_above(&self) -> bool {
        let pattern = matches!(
            self.key,
            ClusterKey::SenderPattern
                | ClusterKey::Sender
                | ClusterKey::SenderDomain
                | ClusterKey::From
                | ClusterKey::Helo
                | ClusterKey::Subject
                | ClusterKey::RcptDomain
        );
        pattern
            && self.from_log == 0
            && self.messages > 0
            && self.counted_above == self.messages
            && self.backscatter == 0
    }
}

impl Plan {
    /// The culprits that get a line of their own: the others are [`Plan::within_words`]'.
    pub fn listed_culprits(&self) -> impl Iterator<Item = &PlanCulprit> {
        self.culprits.iter().filter(|c| !c.all_counted_above())
    }

    /// `also culprits, every message of them counted above: sender-pattern X (318), ...
    /// (qtriage top gives their reasons)`, or `None` when there is none. Values unsanitized.
    pub fn within_words(&self) -> Option<String> {
        let within: Vec<String> = (self.culprits.iter())
            .filter(|c| c.all_counted_above())
            .map(|c| {
                let value = c.value.as_str();
                format!(
                    "{} {value} ({})",
                    c.key.name(),
                    thousands(c.messages as u64)
                )
            })
            .collect();
        (!within.is_empty()).then(|| {
            format!(
                "also {}, every message of {} counted above: {} (qtriage top gives {} reasons)",
                if within.len() == 1 {
                    "a culprit"
                } else {
                    "culprits"
                },
                if within.len() == 1 { "it" } else { "them" },
                within.join(", "),
                if within.len() == 1 { "its" } else { "their" },
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn culprit(
        key: ClusterKey,
        value: &str,
        messages: usize,
        above: usize,
        bounces: usize,
    ) -> PlanCulprit {
        PlanCulprit {
            key,
            value: value.to_string(),
            value_bytes: value.as_bytes().into(),
            score: 60.0,
            messages,
            counted_above: above,
            backscatter: bounces,
            from_log: 0,
            reason: "likely spam".into(),
            query: format!("cluster:{}={value}", key.name()),
            owner_left: None,
            local_left: None,
            undiverted_left: None,
            own_domain_left: None,
        }
    }

    #[test]
    fn only_a_culprit_adding_nothing_is_folded_into_one_line() {
        let plan = Plan {
            culprits: vec![
                culprit(ClusterKey::Helo, "User", 1_350, 0, 68),
                culprit(ClusterKey::SenderPattern, "<random>@a.example", 576, 276, 0),
                culprit(ClusterKey::SenderPattern, "<random>@b.example", 318, 318, 0),
                culprit(ClusterKey::AuthUser, "sales", 300, 300, 25),
                culprit(
                    ClusterKey::SenderPattern,
                    "<random>@c.example",
                    1_304,
                    1_304,
                    0,
                ),
                // Someone to fix: never folded, however counted.
                culprit(ClusterKey::AuthUser, "test", 13, 13, 0),
                culprit(ClusterKey::OriginIp, "192.0.2.7", 40, 40, 0),
                culprit(ClusterKey::Script, "mailer.php", 40, 40, 0),
            ],
            ..Plan::default()
        };
        let listed: Vec<&str> = plan.listed_culprits().map(|c| c.value.as_str()).collect();
        // Some messages of its own, or bounces that come with it: its own line.
        assert_eq!(
            listed,
            [
                "User",
                "<random>@a.example",
                "sales",
                "test",
                "192.0.2.7",
                "mailer.php"
            ]
        );
        assert_eq!(
            plan.within_words().as_deref(),
            Some(
                "also culprits, every message of them counted above: sender-pattern \
                 <random>@b.example (318), sender-pattern <random>@c.example (1,304) (qtriage \
                 top gives their reasons)"
            )
        );
        let one = Plan {
            culprits: plan.culprits[..3].to_vec(),
            ..Plan::default()
        };
        assert_eq!(
            one.within_words().as_deref(),
            Some(
                "also a culprit, every message of it counted above: sender-pattern \
                 <random>@b.example (318) (qtriage top gives its reasons)"
            )
        );
        let none = Plan {
            culprits: plan.culprits[..2].to_vec(),
            ..Plan::default()
        };
        assert_eq!(none.within_words(), None);
        assert_eq!(none.listed_culprits().count(), 2);
        // A pattern whose messages the log named keeps its line (it says so).
        let mut logged = culprit(ClusterKey::Helo, "User", 30, 30, 0);
        logged.from_log = 30;
        assert!(!logged.all_counted_above());
    }
}
