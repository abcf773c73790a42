//! Issue 10: every command over THE hostile queue (`qtriage::fixture::hostile`). Each command
//! runs as a child with a deadline, must exit with a documented code (never a signal or a panic),
//! must report each planted problem where it shows problems, must still analyse the healthy
//! messages, and must never show a byte of what the queue's links point at.

use std::collections::{BTreeMap, BTreeSet};

use crate::hostile_harness::{hostile, run_clean, Run, PASSWD_CANARY};
use qtriage::fixture::hostile::{HostileCase, FLOOD_MESSAGES, FLOOD_USER, LOCAL_DOMAIN};
use qtriage::queue::{
    scan, Interner, MessageState, ProblemKind, Progress, Queue, QueueOptions, ScanOptions, Subdir,
};

/// The id of every `list` text line (its second field, `#ID`), in order.
fn ids_in_text(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.split("  ").nth(1)?.strip_prefix('#')?.parse().ok())
        .collect()
}

/// One JSON object per line, keyed by `id`.
fn json_by_id(run: &Run) -> BTreeMap<u64, serde_json::Value> {
    run.out()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {l}", run.label));
            (v["id"].as_u64().expect("id"), v)
        })
        .collect()
}

/// A case's problems as `(kind, part)` names, sorted.
fn problem_names(c: &HostileCase) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = c
        .problems
        .iter()
        .map(|p| (p.kind.name().to_string(), p.part.name().to_string()))
        .collect();
    v.sort();
    v
}

/// The `problems` array of a `read --json` / `list --json` object, sorted.
fn json_problems(v: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["problems"]
        .as_array()
        .expect("problems array")
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().expect("kind").to_string(),
                p["part"].as_str().expect("part").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Check every case and every healthy message in a `read --json` / `list --json` run.
#[track_caller]
fn assert_json_cases(run: &Run) {
    let t = hostile();
    let by_id = json_by_id(run);
    let mut failures = Vec::new();
    for c in &t.cases {
        let Some(v) = by_id.get(&c.id.0) else {
            failures.push(format!("{}: #{} missing", c.name, c.id));
            continue;
        };
        if v["state"] != c.state.name() {
            failures.push(format!(
                "{}: state {} want {}",
                c.name,
                v["state"],
                c.state.name()
            ));
        }
        if json_problems(v) != problem_names(c) {
            failures.push(format!(
                "{}: problems {:?} want {:?}",
                c.name,
                json_problems(v),
                problem_names(c)
            ));
        }
    }
    for id in t.flood.iter().chain(&t.legit) {
        match by_id.get(&id.0) {
            Some(v) if json_problems(v).is_empty() && v["sender"].is_string() => {}
            other => failures.push(format!("healthy #{id}: {other:?}")),
        }
    }
    assert_eq!(
        by_id.len(),
        t.all_ids().len(),
        "{}: message count",
        run.label
    );
    assert!(
        failures.is_empty(),
        "{}:\n{}",
        run.label,
        failures.join("\n")
    );
}

#[test]
fn scan_reports_every_case() {
    let t = hostile();
    let q = Queue::open(&t.root, QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(&q, &strings, ScanOptions::default(), &Progress::default()).expect("scan");
    let by_id: BTreeMap<_, _> = s.records.iter().map(|r| (r.id, r)).collect();
    for c in &t.cases {
        let r = by_id
            .get(&c.id)
            .unwrap_or_else(|| panic!("{}: no record", c.name));
        assert_eq!(r.state, c.state, "{}: state", c.name);
        assert_eq!(r.problems.to_vec(), c.problems, "{}: problems", c.name);
    }
    for id in &t.flood {
        let r = by_id.get(id).expect("flood record");
        assert!(r.problems.is_empty(), "flood #{id}: {:?}", r.problems);
        assert_eq!(
            r.origin.auth_user.map(|s| strings.text(s)).as_deref(),
            Some(FLOOD_USER)
        );
    }
    assert_eq!(s.records.len(), t.all_ids().len());
    assert_eq!(s.report.junk_names, t.junk_names);
}

#[test]
fn stat_counts_layout_problems() {
    let run = run_clean(&["stat"], &[0]);
    let out = run.out();
    assert!(
        out.starts_with("messages in queue: ")
            && out.contains("\nmessages in queue but not yet preprocessed: "),
        "{out}"
    );
    let run = run_clean(&["stat", "--json"], &[0]);
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).expect("stat json");
    assert_eq!(v["problems"], hostile().layout_problems, "{v}");
    // What `find mess/* -type f | wc -l` prints (notqmail's qmail-qstat), found here by
    // walking the tree without following a link.
    let found = find_type_f_lines(&hostile().root.join("mess"), false);
    assert!(found > 0);
    assert_eq!(v["messages"].as_u64(), Some(found), "{v}");
}

/// `find DIR/* -type f | wc -l`; with `below_glob` false DIR's own entries are the glob's, which
/// skips dot names.
fn find_type_f_lines(dir: &std::path::Path, below_glob: bool) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        if !below_glob && name.as_bytes().starts_with(b".") {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        if meta.is_file() {
            n += 1 + name.as_bytes().iter().filter(|&&b| b == b'\n').count() as u64;
        } else if meta.is_dir() {
            n += find_type_f_lines(&e.path(), true);
        }
    }
    n
}

/// What qmail-qread's `warning: trouble with #ID: WHY` says for a case, if it warns.
fn qread_trouble(c: &HostileCase) -> Option<&'static str> {
    if c.state == MessageState::InfoWithoutMess {
        return Some("file does not exist");
    }
    // qmail-qread builds every path from the id: a mess or info file in another split
    // directory is not where it looks.
    let misplaced = |part| {
        c.problems
            .iter()
            .any(|p| p.kind == ProblemKind::WrongSubdir && p.part == part)
    };
    if misplaced(Subdir::Mess) || misplaced(Subdir::Info) {
        return Some("file does not exist");
    }
    let parts = [Subdir::Mess, Subdir::Info, Subdir::Local, Subdir::Remote];
    c.problems
        .iter()
        .filter(|p| parts.contains(&p.part))
        .find_map(|p| match p.kind {
            ProblemKind::Symlink => Some("symbolic link (not followed)"),
            ProblemKind::NotRegularFile => Some("not a regular file"),
            ProblemKind::Unreadable => Some("access denied"),
            // qmail-qread opens mess/<id % split>/<id> only (issue 19).
            ProblemKind::WrongSubdir if p.part == Subdir::Mess => Some("file does not exist"),
            _ => None,
        })
}

#[test]
fn read_text_warns_per_case_and_prints_only_printable_ascii() {
    let run = run_clean(&["read"], &[0]);
    let out = run.out();
    let has_info = |s: MessageState| {
        matches!(
            s,
            MessageState::InDelivery
                | MessageState::Done
                | MessageState::Preprocessing
                | MessageState::InfoWithoutMess
        )
    };
    let mut failures = Vec::new();
    for c in &hostile().cases {
        let header = format!("  #{}  ", c.id);
        let ok = match (has_info(c.state), qread_trouble(c)) {
            (true, Some(why)) => out.contains(&format!("warning: trouble with #{}: {why}\n", c.id)),
            (true, None) => out.contains(&header),
            // Not named at all: no `#id` that is not the start of a longer id.
            (false, _) => {
                let tag = format!("#{}", c.id);
                !out.match_indices(&tag)
                    .any(|(at, _)| !out[at + tag.len()..].starts_with(|d: char| d.is_ascii_digit()))
            }
        };
        if !ok {
            failures.push(format!("{} (#{}, {:?})", c.name, c.id, qread_trouble(c)));
        }
    }
    assert!(
        failures.is_empty(),
        "read:\n{}\n---\n{out}",
        failures.join("\n")
    );
    for id in &hostile().flood {
        assert!(out.contains(&format!("  #{id}  ")), "flood #{id}");
    }
    // qmail-qread's filter: nothing but printable ASCII, tabs and newlines, whatever the bytes.
    let bad: Vec<u8> = run
        .stdout
        .iter()
        .copied()
        .filter(|b| !(32..=126).contains(b) && *b != b'\n' && *b != b'\t')
        .collect();
    assert!(bad.is_empty(), "raw bytes in read output: {bad:x?}");
}

#[test]
fn read_json_reports_each_case() {
    assert_json_cases(&run_clean(&["read", "--json"], &[0]));
}

#[test]
fn list_json_reports_each_case_and_attributes_the_flood() {
    let run = run_clean(&["list", "--json"], &[0]);
    assert_json_cases(&run);
    let by_id = json_by_id(&run);
    for id in &hostile().flood {
        let o = &by_id[&id.0]["origin"];
        assert_eq!(
            (o["kind"].as_str(), o["auth_user"].as_str()),
            (Some("smtp-auth"), Some(FLOOD_USER)),
            "flood #{id}"
        );
    }
}

#[test]
fn list_text_selects_each_problem_kind() {
    let t = hostile();
    let all = run_clean(&["list"], &[0]);
    let listed: BTreeSet<u64> = ids_in_text(&all.out()).into_iter().collect();
    let want: BTreeSet<u64> = t.all_ids().iter().map(|i| i.0).collect();
    assert_eq!(listed, want, "list: every message, one line each");
    let kinds: BTreeSet<ProblemKind> = t
        .cases
        .iter()
        .flat_map(|c| c.problems.iter().map(|p| p.kind))
        .collect();
    for kind in kinds {
        let query = format!("problem:{}", kind.name());
        let run = run_clean(&["list", "--sort", "id", &query], &[0]);
        let got = ids_in_text(&run.out());
        let want: Vec<u64> = t.ids_with(kind).iter().map(|i| i.0).collect();
        assert_eq!(got, want, "list {query}");
    }
    // A link to /etc/passwd is never read, so nothing matches its content.
    let run = run_clean(&["list", "--count", "text:\"root:x:0:0\""], &[1]);
    assert_eq!(run.out(), "0\n");
}

/// The start of the note `clusters`, `top` and `report` give about damaged messages.
fn problem_note() -> String {
    let t = hostile();
    let damaged = t.cases.iter().filter(|c| !c.problems.is_empty()).count();
    format!(
        "{damaged} of {} messages have problems (",
        t.all_ids().len()
    )
}

/// The report's problem note: the same counts, saying they are the whole queue's.
fn report_problem_note() -> String {
    let t = hostile();
    let damaged = t.cases.iter().filter(|c| !c.problems.is_empty()).count();
    format!(
        "{damaged} of {} messages in the whole queue (not only the culprits') have problems (",
        t.all_ids().len()
    )
}

#[test]
fn clusters_by_several_keys_analyse_every_message() {
    let total = hostile().all_ids().len() as u64;
    let keys = [
        "auth-user",
        "origin-ip",
        "sender",
        "sender-pattern",
        "subject",
        "helo",
        "script",
        "from",
        "rcpt-domain",
        "uid",
    ];
    let local = format!("--local-domain={LOCAL_DOMAIN}");
    for key in keys {
        let run = run_clean(&["clusters", "--by", key, &local], &[0]);
        assert!(run.err().contains(&problem_note()), "{}", run.err());
        let run = run_clean(&["clusters", "--by", key, "--json", &local], &[0]);
        let clusters: Vec<serde_json::Value> = run
            .out()
            .lines()
            .map(|l| serde_json::from_str(l).expect("cluster json"))
            .collect();
        let sum: u64 = clusters
            .iter()
            .map(|c| c["messages"].as_u64().expect("n"))
            .sum();
        assert_eq!(
            sum, total,
            "clusters --by {key}: messages add up to the queue"
        );
        if key == "auth-user" {
            let flood = clusters
                .iter()
                .find(|c| c["value"] == FLOOD_USER)
                .expect("the flood's cluster");
            assert_eq!(flood["messages"], FLOOD_MESSAGES as u64);
        }
    }
}

#[test]
fn top_still_ranks_the_flood_first() {
    let local = format!("--local-domain={LOCAL_DOMAIN}");
    let run = run_clean(&["top", "--json", &local], &[0]);
    let first: serde_json::Value =
        serde_json::from_str(run.out().lines().next().expect("a ranked cluster")).expect("json");
    assert_eq!(
        (first["by"].as_str(), first["value"].as_str()),
        (Some("auth-user"), Some(FLOOD_USER)),
        "{}",
        run.out()
    );
    let run = run_clean(&["top", &local], &[0]);
    assert!(run.err().contains(&problem_note()), "{}", run.err());
    let text = run.out();
    let first_entry = text
        .lines()
        .find(|l| l.starts_with(" 1. "))
        .expect("entry 1");
    assert!(
        first_entry.contains(&format!("auth-user {FLOOD_USER}  ")),
        "{text}"
    );
}

#[test]
fn remove_dry_run_warns_about_links_and_odd_files() {
    let t = hostile();
    let run = run_clean(&["remove", "-p", "Dispute Transaction"], &[0]);
    let out = run.out();
    assert!(
        out.ends_with(&format!("\n{FLOOD_MESSAGES} file(s) match\n")),
        "{out}"
    );
    let err = run.err();
    let mut failures = Vec::new();
    for c in &t.cases {
        let mess_problem = c.problems.iter().find(|p| p.part == Subdir::Mess);
        let why = match mess_problem.map(|p| p.kind) {
            Some(ProblemKind::Symlink) => "symbolic link, not followed",
            Some(ProblemKind::NotRegularFile) => "not a regular file",
            _ => continue,
        };
        let bucket = c.id.0 % 23;
        let warning = format!("/mess/{bucket}/{}: {why}", c.id);
        if !err.contains(&warning) || out.contains(&format!("/{}: ", c.id)) {
            failures.push(format!("{}: want {warning:?} on stderr only", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nstderr:\n{err}",
        failures.join("\n")
    );
    let huge = t.case("huge-header-no-blank-line").expect("case");
    assert!(
        out.contains(&format!("/{}: no\n", huge.id)),
        "the 10 MB message is searched"
    );
    let run = run_clean(&["remove", "-p", PASSWD_CANARY], &[0]);
    assert!(run.out().ends_with("\n0 file(s) match\n"), "{}", run.out());
}

#[test]
fn watch_one_interval_over_the_hostile_queue() {
    let run = run_clean(
        &["watch", "--count", "1", "--interval", "300ms", "--json"],
        &[0],
    );
    let lines: Vec<&str> = run
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| std::str::from_utf8(l).expect("utf-8"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", run.out());
    let v: serde_json::Value = serde_json::from_str(lines[0]).expect("watch json");
    let healthy = (hostile().flood.len() + hostile().legit.len()) as u64;
    assert!(v["queue"].as_u64().expect("queue") >= healthy, "{v}");
    run_clean(&["watch", "--count", "1", "--interval", "300ms"], &[0]);
}

#[test]
fn report_is_sanitized_and_names_the_flood() {
    let run = run_clean(&["report"], &[0]);
    let out = run.out();
    assert!(out.contains(&format!("`{FLOOD_USER}`")), "{out}");
    let raw: Vec<&u8> = run
        .stdout
        .iter()
        .filter(|b| **b == 0x1b || **b == 0x07)
        .collect();
    assert!(raw.is_empty(), "raw control bytes in the report");
    let run = run_clean(&["report", "--format", "json"], &[0]);
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).expect("report json");
    assert!(
        v["culprits"]
            .as_array()
            .expect("culprits")
            .iter()
            .any(|c| c["value"] == FLOOD_USER),
        "{v:#}"
    );
    assert!(
        !run.out().contains("\\u001b"),
        "escaped ESC in the report JSON"
    );
    let notes = v["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.starts_with(&report_problem_note()))),
        "{notes:?}"
    );
}

/// The damaged messages are planned, except those with a file qmail did not write (a link, a
/// FIFO, a directory) or in the wrong split directory: moving those hid the damage `check`
/// reports, and a wrong-subdir one was planned, then "vanished" (the hostile-input audit).
#[test]
fn yank_dry_run_plans_the_damaged_messages_and_changes_nothing() {
    let t = hostile();
    let before = run_clean(&["stat", "--json"], &[0]).stdout;
    let odd = |c: &&qtriage::fixture::hostile::HostileCase| {
        c.problems.iter().any(|p| {
            matches!(
                p.kind,
                ProblemKind::Symlink | ProblemKind::NotRegularFile | ProblemKind::WrongSubdir
            )
        })
    };
    let damaged = t.cases.iter().filter(|c| !c.problems.is_empty()).count();
    let left = t.cases.iter().filter(odd).count();
    assert!(
        left >= 3,
        "the fixture plants links, FIFOs and misfiled messages"
    );
    let run = run_clean(&["yank", "problem:any or auth:test"], &[0]);
    let want = format!("would yank {} messages (", damaged - left + FLOOD_MESSAGES);
    assert!(run.out().starts_with(&want), "{}", run.out());
    assert_eq!(
        run.out().matches("\nrefused #").count(),
        left,
        "{}",
        run.out()
    );
    for kind in [ProblemKind::Symlink, ProblemKind::NotRegularFile] {
        let query = format!("problem:{}", kind.name());
        // Nothing to yank: exit 1, as for a query that selects nothing.
        let run = run_clean(&["yank", &query], &[1]);
        assert!(
            run.out()
                .ends_with("nothing to yank: every selected message is left where it is (above)\n"),
            "yank {query}: {}",
            run.out()
        );
        let refused = run.out().matches("not a file qmail wrote").count();
        assert_eq!(
            refused,
            t.ids_with(kind).len(),
            "yank {query}: {}",
            run.out()
        );
    }
    let run = run_clean(&["yank", "problem:wrong-subdir"], &[1]);
    let misfiled = run.out().matches("where qmail-send never looks").count();
    assert_eq!(
        misfiled,
        t.ids_with(ProblemKind::WrongSubdir).len(),
        "{}",
        run.out()
    );
    assert!(
        !t.root.join("yanked").exists(),
        "a dry run made the yank area"
    );
    assert_eq!(
        run_clean(&["stat", "--json"], &[0]).stdout,
        before,
        "the queue changed"
    );
}
