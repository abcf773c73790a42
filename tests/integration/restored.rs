//! A restore is the operator's verdict that the mail is real: `plan` does not propose it again,
//! `yank "$(qtriage plan --query)"` does not take it, `report` does not count it as spam, and
//! `restored:yes` lists it; new mail that takes a restored message's id is none of that, and
//! neither is an undo, which puts spam back too.

use std::collections::BTreeSet;

use qtriage::fixture::QueueBuilder;
use qtriage::queue::MessageId;
use serde_json::Value;

use crate::util::{alice_mail as real, assert_exit, login_spam as spam, TestQueue};

/// The clock of every run, an hour after the fixture's messages are born.
const NOW: &str = "1795431600";

struct Seed {
    t: TestQueue,
}

impl Seed {
    /// 40 messages of `test`, 10 of them with the subject "invoice 2026", and 3 of alice's.
    fn new() -> Seed {
        let t = TestQueue::with(QueueBuilder::new("").split(23));
        for i in 0..40 {
            let subject = if i < 10 {
                "invoice 2026"
            } else {
                "cheap stuff"
            };
            t.add(spam(i, subject));
        }
        for i in 0..3 {
            t.add(real(i));
        }
        Seed { t }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        (self.t.command().args(args).env("QTRIAGE_NOW", NOW))
            .output()
            .expect("run qtriage")
    }

    #[track_caller]
    fn json(&self, args: &[&str], code: i32) -> Value {
        let out = self.run(args);
        assert_exit(&out, code);
        serde_json::from_slice(&out.stdout).expect("one JSON object")
    }

    /// The ids `list QUERY --json` prints.
    #[track_caller]
    fn listed(&self, query: &str) -> BTreeSet<u64> {
        let out = self.run(&["list", query, "--json"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let j: Value = serde_json::from_str(l).expect("one object a line");
                j["id"].as_u64().expect("id")
            })
            .collect()
    }

    /// How many messages a dry run of `yank QUERY` would take, and the ids of its sample (the
    /// first 10).
    #[track_caller]
    fn yank_would_take(&self, query: &str) -> (u64, BTreeSet<u64>) {
        let j = self.json(&["yank", query, "--json"], 0);
        let ids: BTreeSet<u64> = (j["sample"].as_array().expect("sample").iter())
            .map(|s| s["id"].as_u64().expect("id"))
            .collect();
        (j["messages"].as_u64().expect("messages"), ids)
    }

    /// `yank QUERY --apply` (and `extra` arguments): the batch it wrote.
    #[track_caller]
    fn yank_applied(&self, query: &str, extra: &[&str]) -> String {
        let out = self.run(&[&["yank", query, "--apply"], extra].concat());
        assert_exit(&out, 0);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.split(" in batch ").nth(1).map(str::to_string))
            .expect("the batch id")
    }

    /// Yank test's mail, then restore the "invoice" part of it: the ids restored.
    fn yank_then_restore_invoices(&self) -> BTreeSet<u64> {
        let invoices = self.listed("auth:test subject:invoice*");
        assert_eq!(invoices.len(), 10);
        assert_exit(&self.run(&["yank", "auth:test", "--apply"]), 0);
        // The dry run says what applying would do, not as done (newuser57).
        let dry = self.run(&["restore", "subject:invoice*"]);
        let text = String::from_utf8_lossy(&dry.stdout);
        assert!(
            text.contains("\nonce applied: picked back as real mail: qtriage plan"),
            "{text}"
        );
        let out = self.run(&["restore", "subject:invoice*", "--apply"]);
        assert_exit(&out, 0);
        invoices
    }
}

#[test]
fn restored_mail_is_not_planned_again_nor_taken_by_the_plans_query() {
    let s = Seed::new();
    let restored = s.yank_then_restore_invoices();
    assert_eq!(s.listed("restored:yes"), restored);
    assert_eq!(s.listed("restored"), restored, "the bare word");
    assert_eq!(s.listed("auth:test restored:no"), BTreeSet::new());
    // `show` says so, as the inspector does (newuser52: nothing on the message said it).
    let picked = restored
        .iter()
        .next()
        .expect("a restored message")
        .to_string();
    let shown = String::from_utf8(s.run(&["show", &picked]).stdout).expect("utf-8");
    assert!(shown.contains(qtriage::inspect::PICKED_BACK), "{shown}");
    // And `yanked --batches --json` tells the pick from an undo (newuser53).
    let listed =
        String::from_utf8(s.run(&["yanked", "--batches", "--json"]).stdout).expect("utf-8");
    let verdicts: Vec<(String, bool)> = (listed.lines())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
        .map(|b| {
            (
                b["direction"].as_str().unwrap_or("").to_string(),
                b["verdict"] == true,
            )
        })
        .collect();
    assert!(
        verdicts.contains(&("restore".to_string(), true)),
        "{verdicts:?}"
    );
    assert!(
        verdicts.contains(&("yank".to_string(), false)),
        "{verdicts:?}"
    );

    // New spam from the same login after the restore: the plan takes it, and only it.
    let fresh: BTreeSet<u64> = (100..120)
        .map(|i| s.t.add(spam(i, "invoice 2026")).0)
        .collect();
    let plan = s.json(&["plan", "--json"], 0);
    let culprits = plan["culprits"].as_array().expect("culprits");
    assert_eq!(culprits.len(), 1, "{plan:#}");
    assert_eq!(culprits[0]["messages"], 20, "{plan:#}");
    assert_eq!(plan["messages"], 20, "{plan:#}");
    let query = plan["query"].as_str().expect("query");
    assert!(query.ends_with(") restored:no"), "{query}");
    let (n, sample) = s.yank_would_take(query);
    assert_eq!(n, 20);
    assert!(sample.is_subset(&fresh), "{sample:?}");
    assert_eq!(s.listed(query), fresh);
    let kinds = plan["remaining_kinds"].as_array().expect("kinds");
    let kept = kinds
        .iter()
        .find(|k| {
            k["kind"]
                .as_str()
                .is_some_and(|w| w.starts_with("restored from the yank area"))
        })
        .unwrap_or_else(|| panic!("{plan:#}"));
    assert_eq!(kept["messages"], 10);

    // The report counts the new spam, not what the operator restored.
    let report = s.json(&["report", "--format", "json"], 0);
    assert_eq!(report["remaining"]["spam_messages"], 20, "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("the operator restored 10 of the culprits' messages"),
        "{notes}"
    );
    // The pick's query (a customer's address, a subject) is not in the report: it goes to a
    // blacklist (newuser52).
    let actions = report["actions_done"].as_array().expect("actions");
    let pick = (actions.iter())
        .find(|a| a["verdict"] == true)
        .expect("the pick");
    assert_eq!(
        pick["selection"],
        "the operator's choice of real mail (qtriage yanked --batches shows it)"
    );
    // The culprit's row counts them, and says so (e2e52).
    let reasons = report["culprits"].to_string();
    assert!(
        reasons.contains("10 of them picked back by the operator from the yank area as real mail"),
        "{reasons}"
    );
}

#[test]
fn a_culprit_whose_every_message_was_picked_back_is_not_planned() {
    let s = Seed::new();
    assert_exit(&s.run(&["yank", "auth:test", "--apply"]), 0);
    // The operator picks every one of them back: all real, by their verdict.
    assert_exit(&s.run(&["restore", "auth:test", "--apply"]), 0);
    assert_eq!(s.listed("restored:yes").len(), 40);
    let out = s.run(&["plan"]);
    assert_exit(&out, 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no culprit: nothing to yank"), "{text}");
    assert!(
        text.contains("40 restored from the yank area by the operator"),
        "{text}"
    );
    // The culprit is named where its mail remains, with the way to take it back.
    assert!(
        text.contains("every message of the culprit sender-pattern <random>@spam.example (40)"),
        "{text}"
    );
    assert!(
        text.contains("qtriage yank 'restored:yes QUERY' takes them back"),
        "{text}"
    );
    let report = s.json(&["report", "--format", "json"], 0);
    assert_eq!(report["remaining"]["spam_messages"], 0, "{report:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("whose every message the operator restored"),
        "{notes}"
    );
    assert!(
        notes.contains("<random>@spam.example (40 messages)"),
        "{notes}"
    );
    assert!(!notes.contains("the ranking named no culprit"), "{notes}");
}

/// An undo (`restore --batch`, as the TUI's `u`; `restore --all`) puts a yank back as it was,
/// spam included: no verdict, and the next plan takes it all again.
#[test]
fn an_undo_is_no_verdict() {
    let s = Seed::new();
    for undo in [&["--batch", "BATCH"][..], &["--all"][..]] {
        let batch = s.yank_applied("auth:test", &[]);
        let mut args = vec!["restore", "--apply"];
        args.extend(
            undo.iter()
                .map(|a| if *a == "BATCH" { batch.as_str() } else { a }),
        );
        assert_exit(&s.run(&args), 0);
        assert_eq!(s.listed("restored:yes"), BTreeSet::new(), "{args:?}");
        let plan = s.json(&["plan", "--json"], 0);
        assert_eq!(plan["messages"], 40, "{args:?} {plan:#}");
        let query = plan["query"].as_str().expect("query");
        assert!(!query.contains("restored"), "{query}");
        let report = s.json(&["report", "--format", "json"], 0);
        assert_eq!(report["remaining"]["spam_messages"], 40, "{report:#}");
    }
}

#[test]
fn new_mail_under_a_restored_id_is_not_restored() {
    let s = Seed::new();
    let restored = s.yank_then_restore_invoices();
    let first = MessageId(*restored.first().expect("one"));
    // qmail-send delivered it and new mail took its inode number: new files, written later.
    let next = real(7).born(1_795_431_000);
    s.t.q.requeue_as(first, &next).expect("id reuse");
    let now_restored = s.listed("restored:yes");
    assert!(!now_restored.contains(&first.0), "{now_restored:?}");
    assert_eq!(now_restored.len(), 9);
}

/// Ids the operator lists (`restore --ids FILE`) are picked as a query's are: a verdict.
#[test]
fn restored_ids_are_a_verdict() {
    let s = Seed::new();
    let two: BTreeSet<u64> = s.listed("auth:test").into_iter().take(2).collect();
    assert_exit(&s.run(&["yank", "auth:test", "--apply"]), 0);
    let file = s.t.root().join("../ids");
    let text: String = two.iter().map(|id| format!("{id}\n")).collect();
    std::fs::write(&file, text).expect("ids file");
    let file = file.to_str().expect("utf-8 path");
    assert_exit(&s.run(&["restore", "--ids", file, "--apply"]), 0);
    assert_eq!(s.listed("restored:yes"), two);
}

/// A restore journal that cannot be read leaves it unknown what the operator picked back:
/// `plan` shows its plan but gives no query to apply (exit 2), a query that asks is refused
/// (exit 2), and `report` says so; never "nothing restored" and a query taking it all again.
#[test]
fn an_unreadable_restore_journal_gives_no_query_to_apply() {
    let s = Seed::new();
    s.yank_then_restore_invoices();
    let journals = s.t.root().join("yanked/.journal");
    let restore = std::fs::read_dir(&journals)
        .expect("journal dir")
        .map(|e| e.expect("entry").path())
        .find(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            text.lines()
                .next()
                .is_some_and(|l| l.contains("\"direction\":\"restore\""))
        })
        .expect("the restore journal");
    let text = std::fs::read_to_string(&restore).expect("journal");
    std::fs::write(&restore, text.replacen("\"version\":1", "\"version\":9", 1)).expect("write");
    assert_no_query(&s);
    // A first line that is no JSON at all (it could be anyone's), and a damaged message line
    // (its pick would be forgotten): not known either.
    let damaged = [
        text.replacen("{\"type\":\"batch\"", "X{\"type\":\"batch\"", 1),
        text.replacen("{\"type\":\"message\"", "{\"type\":\"messag\"", 1),
    ];
    for bad in damaged {
        assert_ne!(bad, text);
        std::fs::write(&restore, bad).expect("write");
        assert_no_query(&s);
    }
    let plan = s.json(&["plan", "--json"], 2);
    assert_eq!(plan["query"], "", "{plan:#}");
    for args in [
        &["list", "restored:yes", "--count"][..],
        &["yank", "auth:test restored:no"],
    ] {
        let out = s.run(args);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not known"), "{args:?}: {err}");
    }
    let report = s.json(&["report", "--format", "json"], 0);
    let notes = report["notes"].to_string();
    assert!(notes.contains("spam counts may include it"), "{notes}");
}

/// A FIFO, a directory or a link under a journal's name is no journal: skipped, never opened
/// (a FIFO would hang every command that reads the journal).
#[test]
fn a_fifo_named_like_a_journal_does_not_hang_the_plan() {
    let s = Seed::new();
    s.yank_then_restore_invoices();
    let journals = s.t.root().join("yanked/.journal");
    qtriage::fixture::make_fifo(&journals.join("29991231-000000-0000.journal")).expect("fifo");
    std::fs::create_dir(journals.join("29991231-000000-0001.journal")).expect("dir");
    std::os::unix::fs::symlink("/dev/zero", journals.join("29991231-000000-0002.journal"))
        .expect("link");
    for i in 100..120 {
        s.t.add(spam(i, "invoice 2026"));
    }
    let mut child =
        (s.t.command()
            .args(["plan", "--json"])
            .env("QTRIAGE_NOW", NOW))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let done = crate::util::poll(|| child.try_wait().expect("wait").map(|_| ()));
    if done.is_none() {
        let _ = child.kill();
    }
    assert!(
        done.is_some(),
        "plan hangs on a FIFO in the journal directory"
    );
    let out = child.wait_with_output().expect("output");
    let plan: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(plan["messages"], 20, "{plan:#}");
}

/// `yank --yank-dir D "$(qtriage plan --query)"` leaves what the plan left: the picks of the
/// default yank area count for it too.
#[test]
fn a_yank_into_another_area_leaves_what_the_plan_left() {
    let s = Seed::new();
    s.yank_then_restore_invoices();
    for i in 100..120 {
        s.t.add(spam(i, "invoice 2026"));
    }
    let plan = s.json(&["plan", "--json"], 0);
    let query = plan["query"].as_str().expect("query");
    let other = s.t.root().join("elsewhere");
    let other = other.to_str().expect("utf-8 path");
    let j = s.json(&["yank", query, "--yank-dir", other, "--json"], 0);
    assert_eq!(j["messages"], plan["messages"], "{j:#}");
}

/// A pick from a yank area other than the queue's own is no verdict (`plan` and `report` read
/// the picks of `<queue>/yanked` only), and the restore says so.
#[test]
fn a_pick_from_another_yank_area_is_no_verdict() {
    let s = Seed::new();
    let other = s.t.root().join("../elsewhere");
    let other = other.to_str().expect("utf-8 path").to_string();
    let out = s.run(&["yank", "auth:test", "--yank-dir", &other, "--apply"]);
    assert_exit(&out, 0);
    let out = s.run(&[
        "restore",
        "subject:invoice*",
        "--yank-dir",
        &other,
        "--apply",
    ]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("not remembered as real mail: qtriage plan and report read the picks of the queue's own"),
        "{text}"
    );
    assert_eq!(s.listed("restored:yes"), BTreeSet::new());
    let j = s.json(&["restore", "--all", "--yank-dir", &other, "--json"], 0);
    assert_eq!(j["verdict"], false, "{j:#}");
}

/// `plan --query` prints nothing and exits 2, saying why.
#[track_caller]
fn assert_no_query(s: &Seed) {
    let out = s.run(&["plan", "--query"]);
    assert_exit(&out, 2);
    let query = String::from_utf8_lossy(&out.stdout);
    assert!(query.is_empty(), "{query}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("which messages the operator picked back"),
        "{err}"
    );
}

/// Undoing a yank of picked-back mail puts the picks back as they were, and says so: an undo
/// adds no verdict and takes none away.
#[test]
fn undoing_a_yank_of_picks_says_they_stay_picked() {
    let s = Seed::new();
    let picked = s.yank_then_restore_invoices();
    let batch = s.yank_applied("restored:yes", &[]);
    assert_eq!(s.listed("restored:yes"), BTreeSet::new());
    let dry = String::from_utf8_lossy(&s.run(&["restore", "--batch", &batch]).stdout).into_owned();
    assert!(
        dry.contains("\nonce applied: an undo: these were picked back as real mail"),
        "{dry}"
    );
    let out = s.run(&["restore", "--batch", &batch, "--apply"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "an undo: these were picked back as real mail before their last yank and stay so"
        ),
        "{text}"
    );
    assert_eq!(s.listed("restored:yes"), picked);
    // The report's record of what was done tells the pick from the undo.
    let md = String::from_utf8_lossy(&s.run(&["report"]).stdout).into_owned();
    let pick = "| restore (picked back as real mail) | 10 |";
    let undo = format!("| restore (undo of `{batch}`) | 10 |");
    assert!(md.contains(pick) && md.contains(&undo), "{md}");
    // The yank the picks came from says so; the yank of the picks, undone, does not (newuser57).
    let since = "picked back as real mail since";
    let first = format!("| yank (10 {since}) |");
    let row = md.lines().find(|l| l.contains(&first));
    assert!(row.is_some_and(|r| r.ends_with("| `auth:test` |")), "{md}");
    assert_eq!(md.matches(since).count(), 1, "{md}");
    // The pick's own query is not in the report, which goes to a blacklist (newuser52).
    assert!(
        md.contains("| `the operator's choice of real mail (qtriage yanked --batches shows it)` |"),
        "{md}"
    );

    // A yank of the picks and of new spam, undone: all but the picks are judged again.
    for i in 100..105 {
        s.t.add(spam(i, "cheap stuff"));
    }
    let batch = s.yank_applied("auth:test", &[]);
    let j = s.json(&["restore", "--batch", &batch, "--json"], 0);
    assert_eq!(j["picked_back"], 10, "{j:#}");
    let out = s.run(&["restore", "--batch", &batch, "--apply"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "an undo: qtriage plan judges these messages again, all but 10 messages picked back"
        ),
        "{text}"
    );
    assert_eq!(s.listed("restored:yes"), picked);
}

/// A dry run that would yank or expire picked-back mail says so first (the TUI's confirmation
/// does): yanking it by name is how a verdict is taken back, never by surprise.
#[test]
fn a_dry_run_says_which_of_its_messages_were_picked_back() {
    let s = Seed::new();
    s.yank_then_restore_invoices();
    // The fixture's mail is older than qmail's default lifetime: expire by a longer one.
    let expire = ["expire", "auth:test", "--lifetime", "999999999"];
    for args in [&["yank", "auth:test"][..], &expire] {
        let out = s.run(args);
        assert_exit(&out, 0);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("careful: 10 of these were picked back from the yank area as real mail"),
            "{args:?}: {text}"
        );
        // Said once: the plan check's list leaves the picks out (newuser49b).
        assert!(
            !text.contains("qtriage plan would leave"),
            "{args:?}: {text}"
        );
        let j = s.json(&[args, &["--json"]].concat(), 0);
        assert_eq!(j["picked_back"], 10, "{args:?}: {j:#}");
        // The plan leaves the picks: its check counts them, under their own kind.
        let kinds = j["not_in_plan"]["kinds"].to_string();
        assert_eq!(j["not_in_plan"]["messages"], 10, "{args:?}: {j:#}");
        assert!(
            kinds.contains("restored from the yank area by the operator"),
            "{kinds}"
        );
    }
    // Expiring leaves the pick standing; qmail-send bounces the mail.
    let text = String::from_utf8_lossy(&s.run(&expire).stdout).into_owned();
    assert!(
        text.contains("expiring them has qmail-send bounce them (they stay picked back)"),
        "{text}"
    );
    // Only what the action takes is counted: an expire that would make nothing older.
    let j = s.json(&["expire", "auth:test", "--json"], 1);
    assert_eq!(
        (&j["messages"], &j["picked_back"]),
        (&0.into(), &0.into()),
        "{j:#}"
    );
    let j = s.json(&["yank", "auth:alice", "--json"], 0);
    assert_eq!(j["picked_back"], 0, "{j:#}");
}

/// `top` still ranks picked-back mail with its cluster, and says so on stderr: otherwise it
/// names a culprit `plan` does not take, with no word why (newuser48b).
#[test]
fn top_notes_the_picked_back_mail_it_ranks() {
    let s = Seed::new();
    s.yank_then_restore_invoices();
    let out = s.run(&["top"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("qtriage: note: 10 messages are picked back from the yank area as real mail, ranked with their clusters"),
        "{err}"
    );
    // And under the ranking, which of its culprits and suspects they are in (newuser50): all
    // of test's, once the operator picked back the rest too.
    let out = s.run(&["restore", "auth:test", "--apply"]);
    assert_exit(&out, 0);
    let out = s.run(&["top"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(" 1. culprit "), "{text}");
    let picked = text
        .split_once("\npicked back from the yank area as real mail (qtriage plan leaves them):\n")
        .map(|(_, rest)| rest);
    assert!(
        picked.is_some_and(|p| p.lines().any(|l| l == "   1. all its messages")),
        "{text}"
    );
}

/// A restore by query picks messages back as real mail, which plan and report leave from then
/// on: when they are a culprit's in the ranking with the yank area, the dry run says so
/// (newuser50b: restoring a culprit login's mail hid its spam with no word). An undo by batch
/// picks nothing and says nothing of it.
#[test]
fn restoring_a_culprits_messages_as_real_mail_is_warned_of() {
    let s = Seed::new();
    let batch = s.yank_applied("auth:test", &[]);
    let text = |args: &[&str]| {
        let out = s.run(args);
        assert_exit(&out, 0);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let dry = text(&["restore", "auth:test"]);
    assert!(
        dry.contains(
            "careful: 40 of these are culprits' in qtriage's ranking (sender-pattern \
             <random>@spam.example: 40): picked back as real mail, qtriage plan and report \
             leave them from now on"
        ),
        "{dry}"
    );
    let dry = text(&["restore", "subject:invoice*"]);
    assert!(dry.contains("careful: 10 of these are culprits'"), "{dry}");
    let undo = text(&["restore", "--batch", &batch]);
    assert!(!undo.contains("careful:"), "{undo}");
}
