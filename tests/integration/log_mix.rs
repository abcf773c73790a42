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

#[test]
fn the_generated_smtpd_log_names_the_log_only_login_and_plan_takes_its_run() {
    let t = TestQueue::new(23);
    let spec = FloodSpec::new(1_500, 1, NOW).with_mix(Mix::LogOnlyAuth);
    let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood");
    let of_run: HashSet<MessageId> = (groups.iter())
        .filter(|(_, g)| *g == FloodGroup::AuthLogOnly)
        .map(|(id, _)| *id)
        .collect();
    assert!(of_run.len() > 100, "{}", of_run.len());
    let lines = log_only_lines(t.root(), 23, &groups).expect("log lines");
    assert_eq!(lines.len(), of_run.len());
    let dir = tempfile::tempdir().expect("tempdir");
    let smtpd = MultilogDir::create(dir.path().join("smtpd")).expect("smtpd");
    smtpd.current(&lines).expect("current");
    let log = smtpd.path().to_string_lossy().into_owned();
    let now = NOW.to_string();
    let run = |args: &[&str]| {
        let out = t
            .command()
            .env("QTRIAGE_NOW", &now)
            .args(args)
            .output()
            .expect("run");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    // No header names `test`: only the log does.
    let json = run(&["--log", &log, "plan", "--json"]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).expect("plan json");
    let culprits = v["culprits"].as_array().expect("culprits");
    assert!(
        culprits
            .iter()
            .any(|c| c["by"] == "auth-user" && c["value"] == "test"),
        "{json}"
    );
    let query = run(&["--log", &log, "plan", "--query"]);
    let taken: HashSet<String> = run(&["--log", &log, "list", query.trim(), "--json"])
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("list json");
            v["id"].to_string()
        })
        .collect();
    for id in &of_run {
        assert!(
            taken.contains(&id.0.to_string()),
            "#{} of the run not taken",
            id.0
        );
    }
    // The bounces quoting the run too: their copies name no user, but its IPs
    // (`plan/log_ips.rs`; they were left as "bounces quoting no culprit's message").
    let missed: Vec<(u64, FloodGroup)> = (groups.iter())
        .filter(|(id, g)| g.is_spam() && !taken.contains(&id.0.to_string()))
        .map(|(id, g)| (id.0, *g))
        .collect();
    assert!(missed.is_empty(), "spam left: {missed:?}");
    assert!(query.contains("bounce-of:origin-ip="), "{query}");
    let real: Vec<&MessageId> = (groups.iter())
        .filter(|(id, g)| g.is_real() && taken.contains(&id.0.to_string()))
        .map(|(id, _)| id)
        .collect();
    assert!(real.is_empty(), "real messages taken: {real:?}");
}
