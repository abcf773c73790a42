//! The mail log `gen-queue --maillog` writes beside a generated flood
//! (`fixture::flood::write_maillog`): `qtriage logins` finds the guesser's run on exactly the
//! logins that sent spam and flags no real user, and the log moves no real message into the
//! plan.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::tz::TimeZone;
use qtriage::fixture::flood::{
    write_flood_with_groups, write_maillog, FloodGroup, FloodSpec, Mix, WEAK_ACCOUNTS,
};
use qtriage::queue::MessageId;

use crate::util::TestQueue;

const NOW: i64 = 1_796_518_413;

/// A mix's queue, its groups, and its mail log.
struct MaillogMix {
    t: TestQueue,
    groups: HashMap<MessageId, FloodGroup>,
    guessed: Vec<String>,
    log: String,
    _dir: tempfile::TempDir,
}

impl MaillogMix {
    fn new(mix: Mix, messages: usize) -> MaillogMix {
        let t = TestQueue::new(23);
        let spec = FloodSpec::new(messages, 3, NOW).with_mix(mix);
        let (_, groups) = write_flood_with_groups(&t.q, &spec).expect("flood");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("maillog");
        // UTC stamps, read back in UTC (TZ below): the test does not depend on the machine's zone.
        let written = write_maillog(t.root(), 23, &groups, &path, &TimeZone::UTC).expect("maillog");
        assert!(written.lines > 0 && written.real_logins > 0, "{written:?}");
        MaillogMix {
            t,
            groups: groups.into_iter().collect(),
            guessed: written.guessed,
            log: path.to_string_lossy().into_owned(),
            _dir: dir,
        }
    }

    /// `qtriage [--log LOG] ARGS` at NOW: its stdout, one JSON value a line.
    fn json(&self, log: bool, args: &[&str]) -> Vec<serde_json::Value> {
        let mut cmd = self.t.command();
        cmd.env("QTRIAGE_NOW", NOW.to_string()).env("TZ", "UTC");
        if log {
            cmd.arg("--log").arg(&self.log);
        }
        let out = cmd.args(args).output().expect("run");
        (String::from_utf8(out.stdout).expect("utf-8").lines())
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    /// The accounts `logins` flags as guessed, and those a harvesting IP logged into.
    fn flagged(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut guessed = BTreeSet::new();
        let mut harvested = BTreeSet::new();
        for v in self.json(true, &["logins", "--json"]) {
            if v["type"] != "account" {
                continue;
            }
            let account = v["account"].as_str().expect("account").to_string();
            if v["is_guessed"] == true {
                guessed.insert(account.clone());
            }
            if v["from_harvesting_ip"] == true {
                harvested.insert(account);
            }
        }
        (guessed, harvested)
    }

    /// The ids the plan's query selects, with or without the log.
    fn plan_takes(&self, log: bool) -> HashSet<MessageId> {
        let plan = self.json(log, &["plan", "--json"]);
        let query = plan[0]["query"].as_str().expect("a plan query");
        (self.json(log, &["list", query, "--json"]).iter())
            .map(|v| MessageId(v["id"].as_u64().expect("id")))
            .collect()
    }
}

#[test]
fn logins_flags_exactly_the_generated_guessed_logins() {
    let m = MaillogMix::new(Mix::WeakAccounts, 600);
    let mut weak: Vec<String> = WEAK_ACCOUNTS.iter().map(|a| a.to_string()).collect();
    weak.sort();
    assert_eq!(m.guessed, weak, "the logins that sent spam");
    let (guessed, harvested) = m.flagged();
    let weak: BTreeSet<String> = weak.into_iter().collect();
    assert_eq!(guessed, weak);
    assert_eq!(harvested, weak);
    // The log names the guessed logins' spam and moves no real message into the plan.
    let taken = m.plan_takes(true);
    assert_eq!(taken, m.plan_takes(false));
    let real = |id: &MessageId| m.groups.get(id).is_some_and(|g| g.is_real());
    assert_eq!(taken.iter().filter(|id| real(id)).count(), 0);
    assert!(taken.len() > 100, "{} taken", taken.len());
}

#[test]
fn the_maillog_alone_names_the_login_of_relayed_spam_no_received_line_names() {
    let m = MaillogMix::new(Mix::LogOnlyAuth, 900);
    assert!(m.guessed.contains(&"test@example.com".to_string()));
    let (guessed, _) = m.flagged();
    assert!(guessed.contains("test@example.com"), "{guessed:?}");
    let taken = m.plan_takes(true);
    let of = |g: FloodGroup| (m.groups.iter()).filter(move |(_, x)| **x == g);
    let run: Vec<_> = of(FloodGroup::AuthLogOnly).collect();
    assert!(!run.is_empty());
    let left = run.iter().filter(|(id, _)| !taken.contains(id)).count();
    assert_eq!(left, 0, "of {} messages the log names", run.len());
    let real = |id: &MessageId| m.groups.get(id).is_some_and(|g| g.is_real());
    assert_eq!(taken.iter().filter(|id| real(id)).count(), 0);
}

#[test]
fn a_stolen_login_logs_in_without_failing_and_is_not_called_guessed() {
    let m = MaillogMix::new(Mix::Campus, 900);
    let (guessed, harvested) = m.flagged();
    let written: BTreeSet<String> = m.guessed.iter().cloned().collect();
    assert_eq!(guessed, written, "only the guessed logins");
    assert_eq!(harvested, written);
    // The logins the credential stuffing used, by the messages of its group.
    let stolen: BTreeSet<String> = (m.json(false, &["list", "--json"]).iter())
        .filter(|v| {
            let id = MessageId(v["id"].as_u64().expect("id"));
            m.groups.get(&id) == Some(&FloodGroup::Stuffing)
        })
        .filter_map(|v| v["origin"]["auth_user"].as_str().map(str::to_string))
        .collect();
    assert!(stolen.len() > 10, "{} stolen logins", stolen.len());
    let logged: Vec<serde_json::Value> = (m.json(true, &["logins", "--json"]).into_iter())
        .filter(|v| v["type"] == "account" && stolen.contains(v["account"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        logged.len(),
        stolen.len(),
        "each stolen login is in the log"
    );
    for v in &logged {
        assert!(v["successes"].as_u64() > Some(0), "{v}");
        assert_eq!(v["failures"], 0, "{v}");
        assert_eq!(v["is_guessed"], false, "{v}");
    }
}
