//! The `log-only-auth` mix with the smtpd log `gen-queue --smtpd-log` writes beside it
//! (`fixture::flood::log_only_lines`): `qtriage --log DIR plan` names `test` from the log and
//! takes every message of its run and the bounces quoting it, and no real message.

use std::collections::HashSet;

use qtriage::fixture::flood::{
    log_only_lines, write_flood_with_groups, FloodGroup, FloodSpec, Mix,
};
use qtriage::logs::fixture::MultilogDir;
use qtriage::queue::MessageId;

use crate::util::TestQueue;

const NOW: i64 = 1_796_518_413;

/// The mix's queue, its groups, and the smtpd log naming its log-only login.
struct LogMix {
    t: TestQueue,
    groups: Vec<(MessageId, FloodGroup)>,
    log: String,
    _dir: tempfile::TempDir,
}

impl LogMix {
    fn new() -> LogMix {
        let t = TestQueue::new(23);
        let spec = FloodSpec::new(1_500, 1, NOW).with_mix(Mix::LogOnlyAuth);
        let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood");
        let lines = log_only_lines(t.root(), 23, &groups).expect("log lines");
        let of_run = groups.iter().filter(|(_, g)| *g == FloodGroup::AuthLogOnly);
        assert_eq!(
            lines.len(),
            of_run.count(),
            "a log line a message of the run"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let smtpd = MultilogDir::create(dir.path().join("smtpd")).expect("smtpd");
        smtpd.current(&lines).expect("current");
        let log = smtpd.path().to_string_lossy().into_owned();
        LogMix {
            t,
            groups,
            log,
            _dir: dir,
        }
    }

    /// `qtriage --log LOG ARGS` at NOW: its stdout.
    fn run(&self, args: &[&str]) -> String {
        let out = (self.t.command())
            .env("QTRIAGE_NOW", NOW.to_string())
            .arg("--log")
            .arg(&self.log)
            .args(args)
            .output()
            .expect("run");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// The ids the plan's query selects now.
    fn plan_takes(&self) -> (String, HashSet<MessageId>) {
        let query = self.run(&["plan", "--query"]);
        let taken = (self.run(&["list", query.trim(), "--json"]).lines())
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("list json");
                MessageId(v["id"].as_u64().expect("id"))
            })
            .collect();
        (query, taken)
    }
}

/// Yanked alone first, as the runbook's one culprit at a time, the log-only login's bounces
/// still go with it: the plan finds them by the IPs the log named it from, as many as the
/// whole queue's plan gave it (newuser54: 372 of 20,000 stayed as "bounces quoting no
/// culprit's message", and would have gone out as backscatter).
#[test]
fn the_log_only_logins_bounces_go_after_it_was_yanked_alone() {
    let m = LogMix::new();
    let test = |plan: &str| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(plan.trim()).expect("plan json");
        (v["culprits"].as_array().expect("culprits").iter())
            .find(|c| c["by"] == "auth-user" && c["value"] == "test")
            .cloned()
            .unwrap_or_else(|| panic!("test in {plan}"))
    };
    let before = test(&m.run(&["plan", "--json"]));
    let yanked = m.run(&["yank", "cluster:auth-user=test", "--apply"]);
    assert!(yanked.starts_with("yanked "), "{yanked}");
    let after = test(&m.run(&["plan", "--json"]));
    assert!(before["backscatter"].as_u64() > Some(10), "{before}");
    assert_eq!(after["backscatter"], before["backscatter"], "{after}");
    assert!(
        (after["query"].as_str().expect("query").split(" or "))
            .all(|t| t.starts_with("bounce-of:origin-ip=")),
        "{after}"
    );
    let (_, taken) = m.plan_takes();
    let real: Vec<&MessageId> = (m.groups.iter())
        .filter(|(id, g)| g.is_real() && taken.contains(id))
        .map(|(id, _)| id)
        .collect();
    assert!(real.is_empty(), "real messages taken: {real:?}");
}

#[test]
fn the_generated_smtpd_log_names_the_log_only_login_and_plan_takes_its_run() {
    let m = LogMix::new();
    let of_run: HashSet<MessageId> = (m.groups.iter())
        .filter(|(_, g)| *g == FloodGroup::AuthLogOnly)
        .map(|(id, _)| *id)
        .collect();
    assert!(of_run.len() > 100, "{}", of_run.len());
    // No header names `test`: only the log does.
    let json = m.run(&["plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("plan json");
    let culprits = v["culprits"].as_array().expect("culprits");
    assert!(
        culprits
            .iter()
            .any(|c| c["by"] == "auth-user" && c["value"] == "test"),
        "{json}"
    );
    let (query, taken) = m.plan_takes();
    let missed: Vec<&MessageId> = of_run.iter().filter(|id| !taken.contains(id)).collect();
    assert!(missed.is_empty(), "of the run, not taken: {missed:?}");
    // The bounces quoting the run too: their copies name no user, but its IPs
    // (`plan/log_ips.rs`; they were left as "bounces quoting no culprit's message").
    let missed: Vec<(u64, FloodGroup)> = (m.groups.iter())
        .filter(|(id, g)| g.is_spam() && !taken.contains(id))
        .map(|(id, g)| (id.0, *g))
        .collect();
    assert!(missed.is_empty(), "spam left: {missed:?}");
    assert!(query.contains("bounce-of:origin-ip="), "{query}");
    let real: Vec<&MessageId> = (m.groups.iter())
        .filter(|(id, g)| g.is_real() && taken.contains(id))
        .map(|(id, _)| id)
        .collect();
    assert!(real.is_empty(), "real messages taken: {real:?}");
}
