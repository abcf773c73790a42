//! `qtriage remove`: qmail-remove's rules (docs/qmail-format.md §6): BRE by default, `-e`, `-i`,
//! matching up to the first NUL, `-n`, the exact dry-run lines, and `-r`/`-d`/`-x`/`-X` through
//! the journaled actions.

use qtriage::fixture::{MessageSpec, QueueBuilder};
use qtriage::queue::{MessageId, Subdir};

use crate::util::{assert_exit, assert_text, TestQueue};

const SPLIT: u32 = 5;

struct Seed {
    t: TestQueue,
    /// Ids by name, in the order added.
    ids: Vec<(&'static str, MessageId)>,
}

fn mess(body: &[u8]) -> Vec<u8> {
    let mut m =
        b"Received: (qmail 1 invoked by uid 48); 23 Nov 2026 10:11:21 -0000\nSubject: x\n\n"
            .to_vec();
    m.extend_from_slice(body);
    m
}

fn seed() -> Seed {
    let t = TestQueue::with(QueueBuilder::new("").split(SPLIT));
    // Born an hour ago by the clock, so `-X 604800` moves them back whatever today's date is.
    let born = qtriage::actions::plan::unix_now() - 3600;
    let mut padded = vec![b'.'; 300];
    padded.extend_from_slice(b"PayPal dispute");
    let files: [(&'static str, Vec<u8>); 6] = [
        ("dispute", mess(b"Dispute Transaction\n")),
        ("paren", mess(b"literal (ab) here\n")),
        ("abab", mess(b"ababab and aab\n")),
        ("nul", mess(b"before\0PayPal after the NUL\n")),
        ("late", mess(&padded)),
        ("plus", mess(b"a+b and a{2}\n")),
    ];
    let ids = files
        .into_iter()
        .map(|(n, m)| {
            (
                n,
                t.add(
                    MessageSpec::new()
                        .raw_mess(m)
                        .remote("x@y.example")
                        .born(born),
                ),
            )
        })
        .collect();
    Seed { t, ids }
}

impl Seed {
    /// The dry-run output qmail-remove gives when exactly `yes` match.
    fn expected(&self, yes: &[&str]) -> String {
        let mut lines: Vec<(u64, u64, String)> = self
            .ids
            .iter()
            .map(|(name, id)| {
                let dir = id.0 % u64::from(SPLIT);
                let verdict = if yes.contains(name) { "yes" } else { "no" };
                (
                    dir,
                    id.0,
                    format!("{}/mess/{dir}/{id}: {verdict}\n", self.t.root().display()),
                )
            })
            .collect();
        lines.sort();
        let mut out: String = lines.into_iter().map(|l| l.2).collect();
        out.push_str(&format!("{} file(s) match\n", yes.len()));
        out
    }

    #[track_caller]
    fn check(&self, args: &[&str], yes: &[&str]) {
        let mut full = vec!["remove"];
        full.extend_from_slice(args);
        assert_text(&self.t.stdout(&full), &self.expected(yes));
    }
}

#[test]
fn without_a_pattern_every_message_matches() {
    let s = seed();
    s.check(&[], &["dispute", "paren", "abab", "nul", "late", "plus"]);
}

#[test]
fn plain_pattern_matches_headers_and_body_together() {
    let s = seed();
    s.check(&["-p", "Dispute"], &["dispute"]);
    s.check(&["-p", "[Dd]ispute"], &["dispute", "late"]);
    s.check(
        &["-p", "^Received: (qmail 1 invoked by uid 48)"],
        &["dispute", "paren", "abab", "nul", "late", "plus"],
    );
    s.check(&["-p", "Subject: x.Dispute"], &[]);
    // `.` matches the newline: regcomp without REG_NEWLINE.
    s.check(&["-p", "Subject: x..Dispute"], &["dispute"]);
}

#[test]
fn basic_regex_by_default_extended_with_e() {
    let s = seed();
    // BRE: bare ( ) { } + ? | are literals.
    s.check(&["-p", "(ab)"], &["paren"]);
    s.check(&["-p", "a+b"], &["plus"]);
    s.check(&["-p", "a{2}"], &["plus"]);
    // BRE groups and intervals are backslashed.
    s.check(&["-p", r"\(ab\)\{3\}"], &["abab"]);
    // ERE: the same characters are operators.
    s.check(&["-e", "-p", "(ab){3}"], &["abab"]);
    s.check(&["-e", "-p", "a+b"], &["abab", "paren"]);
    s.check(&["-e", "-p", r"\(ab\)"], &["paren"]);
    s.check(&["-e", "-p", "Dispute|literal"], &["dispute", "paren"]);
}

#[test]
fn case_insensitive_with_i() {
    let s = seed();
    s.check(&["-p", "dispute transaction"], &[]);
    s.check(&["-i", "-p", "dispute transaction"], &["dispute"]);
    s.check(
        &["-i", "-e", "-p", "DISPUTE( TRANSACTION)?"],
        &["dispute", "late"],
    );
}

#[test]
fn matching_stops_at_the_first_nul() {
    let s = seed();
    s.check(&["-p", "before"], &["nul"]);
    s.check(&["-p", "PayPal"], &["late"]);
    s.check(&["-p", "after the NUL"], &[]);
}

#[test]
fn n_limits_the_bytes_searched() {
    let s = seed();
    let header = mess(b"").len();
    // "PayPal" in `late` starts 300 bytes into the body.
    let start = header + 300;
    s.check(&["-n", &(start + 5).to_string(), "-p", "PayPal"], &[]);
    s.check(&["-n", &(start + 6).to_string(), "-p", "PayPal"], &["late"]);
    s.check(&["-n", "10", "-p", "Subject"], &[]);
    s.check(
        &["-n", "10", "-p", "^Received"],
        &["dispute", "paren", "abab", "nul", "late", "plus"],
    );
}

#[test]
fn q_and_s_name_the_queue_like_qmail_remove() {
    let s = seed();
    let root = s.t.root().to_str().expect("utf-8 path");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .args([
            "--queue",
            "/nonexistent",
            "remove",
            "-q",
            root,
            "-s",
            "5",
            "-p",
            "Dispute Transaction",
        ])
        .output()
        .expect("run");
    assert_exit(&out, 0);
    assert_text(
        &String::from_utf8_lossy(&out.stdout),
        &s.expected(&["dispute"]),
    );
    // A queue it cannot open is said as qmail-remove says its own errors, with its name
    // (review51: `qtriage: ...`, the other commands' words).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qtriage"))
        .args(["remove", "-q", "/nonexistent/queue", "-p", "x"])
        .output()
        .expect("run");
    assert_exit(&out, 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("qtriage remove: ") && err.contains("/nonexistent/queue"),
        "{err}"
    );
}

#[test]
fn symlinks_are_reported_and_never_read() {
    let s = seed();
    let outside = s.t.root().parent().expect("parent").join("secret");
    std::fs::write(&outside, "Dispute Transaction").expect("write");
    let (_, id) = s.ids[1];
    s.t.q.symlink(Subdir::Mess, id, &outside).expect("symlink");
    let out = s.t.run(&["remove", "-p", "Dispute"]);
    assert_exit(&out, 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(&format!("/{id}:")), "{stdout}");
    assert!(stdout.ends_with("\n1 file(s) match\n"), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{id}: symbolic link, not followed")),
        "{stderr}"
    );
}

#[test]
fn bad_patterns_exit_2() {
    let s = seed();
    for (args, needle) in [
        (&["-p", r"\(ab"][..], "unmatched \\("),
        (&["-p", r"(a)\1", "-e"][..], "back-references"),
        (&["-p", "[abc"][..], "unmatched ["),
    ] {
        let mut full = vec!["remove"];
        full.extend_from_slice(args);
        let out = s.t.run(&full);
        assert_exit(&out, 2);
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}"
        );
        assert!(out.stdout.is_empty());
    }
}

fn id_of(s: &Seed, name: &str) -> MessageId {
    s.ids.iter().find(|(n, _)| *n == name).expect("seeded").1
}

#[test]
fn dash_r_yanks_through_the_journal_with_qmail_remove_lines_and_restores() {
    let s = seed();
    let id = id_of(&s, "dispute");
    let run = s.t.run(&["remove", "-p", "Dispute", "-r"]);
    assert_exit(&run, 0);
    let out = String::from_utf8_lossy(&run.stdout).into_owned();
    // How to undo, on stderr beside qmail-remove's lines (review51: only --json said it).
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("undo with: qtriage --queue ") && l.ends_with(" --apply")),
        "{err}"
    );
    let root = s.t.root().display().to_string();
    let mess = format!(
        "moved {root}/mess/{}/{id} to {root}/yanked/{id}.mess",
        id.0 % u64::from(SPLIT)
    );
    assert!(out.lines().any(|l| l == mess), "{out}");
    assert!(!s.t.q.path(Subdir::Mess, id).exists());
    assert!(s.t.root().join(format!("yanked/{id}.mess")).exists());
    assert!(s.t.root().join(format!("yanked/{id}.remote")).exists());
    // Only the matching message moved.
    for (name, other) in &s.ids {
        if *name != "dispute" {
            assert!(s.t.q.path(Subdir::Mess, *other).exists(), "{name}");
        }
    }
    // The journal makes it undoable.
    s.t.stdout(&["restore", "--all", "--apply"]);
    assert!(s.t.q.path(Subdir::Mess, id).exists());
    assert!(s.t.q.path(Subdir::Remote, id).exists());
}

#[test]
fn dash_d_deletes_and_dash_x_expires() {
    let s = seed();
    let gone = id_of(&s, "dispute");
    let out = s.t.stdout(&["remove", "-p", "Dispute", "-d"]);
    assert!(out.contains("deleted "), "{out}");
    assert!(!s.t.q.path(Subdir::Mess, gone).exists());
    assert!(!s.t.root().join(format!("yanked/{gone}.mess")).exists());

    let old = id_of(&s, "paren");
    let info = s.t.q.path(Subdir::Info, old);
    let before = std::fs::metadata(&info)
        .expect("info")
        .modified()
        .expect("mtime");
    // Back by a day more than its age, whatever today's date: the fixture's birth times are
    // fixed, so a constant SECS would stop moving it back once the calendar passed them.
    let age = std::time::SystemTime::now()
        .duration_since(before)
        .map_or(0, |d| d.as_secs());
    let secs = (age + 86_400).to_string();
    let out = s.t.run(&["remove", "-p", "literal (ab)", "-X", &secs]);
    assert_exit(&out, 0);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(stdout.contains("expired "), "{stdout}");
    // Issue 19: the bounces are backscatter, as `expire` warns.
    assert!(stderr.contains(EXPIRE_WARNING), "{stderr}");
    let after = std::fs::metadata(&info)
        .expect("info")
        .modified()
        .expect("mtime");
    assert!(after < before, "the birth time moved back");
}

/// `expire`'s warning, which `-x` and `-X` print too.
const EXPIRE_WARNING: &str = qtriage::cli::expire::BACKSCATTER_WARNING;

#[test]
fn dash_x_warns_of_backscatter_and_no_match_says_so() {
    let s = seed();
    for args in [&["-x", "2026-01-01"][..], &["-X", "604800"]] {
        let mut full = vec!["remove", "-p", "no such text anywhere"];
        full.extend_from_slice(args);
        let out = s.t.run(&full);
        assert_exit(&out, 0);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(EXPIRE_WARNING), "{args:?}: {err}");
        // The undo it names is one that acts: without --apply, restore is a dry run.
        assert!(
            err.contains("`qtriage restore --batch ID --apply`"),
            "{err}"
        );
        assert_text(&String::from_utf8_lossy(&out.stdout), "0 file(s) match\n");
    }
    for args in [&["-r"][..], &["-d"]] {
        let mut full = vec!["remove", "-p", "no such text anywhere"];
        full.extend_from_slice(args);
        let out = s.t.run(&full);
        assert_exit(&out, 0);
        assert_text(&String::from_utf8_lossy(&out.stdout), "0 file(s) match\n");
        assert!(!String::from_utf8_lossy(&out.stderr).contains(EXPIRE_WARNING));
    }
    assert!(!s.t.root().join("yanked").exists(), "nothing was yanked");
}

/// `--json` is a contract for scripts: an action that matched nothing still prints its one
/// object (before, it printed the text count line a JSON parser chokes on).
#[test]
fn an_action_matching_nothing_under_json_prints_its_object() {
    let s = seed();
    for (flag, mode) in [("-r", "yank"), ("-d", "delete"), ("-X", "expire")] {
        let mut full = vec!["remove", "-p", "no such text anywhere", flag];
        if flag == "-X" {
            full.push("604800");
        }
        full.push("--json");
        let out = s.t.run(&full);
        assert_exit(&out, 0);
        let j: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{flag}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
        assert_eq!(j["action"], "remove", "{flag}: {j}");
        assert_eq!(j["mode"], mode, "{flag}: {j}");
        assert_eq!(j["matched"], serde_json::json!([]), "{flag}: {j}");
        assert_eq!(j["messages"], 0, "{flag}: {j}");
        assert!(j["batch"].is_null(), "{flag}: nothing was journaled: {j}");
        assert!(j["checked"].as_u64().is_some_and(|n| n > 0), "{flag}: {j}");
        // The action ran (with nothing to do): `false` would say a dry run (review51).
        assert_eq!(j["applied"], true, "{flag}: {j}");
    }
    assert!(!s.t.root().join("yanked").exists(), "nothing was yanked");
}

#[test]
fn actions_refuse_while_qmail_send_runs_unless_forced() {
    let s = seed();
    let Some(_send) = crate::util::FakeSend::start(&s.t) else {
        println!("skipped: util-linux flock not available");
        return;
    };
    let id = id_of(&s, "dispute");
    for args in [
        &["-r"][..],
        &["-d"],
        &["-x", "2026-01-01"],
        &["-X", "604800"],
    ] {
        let mut full = vec!["remove", "-p", "Dispute"];
        full.extend_from_slice(args);
        let out = s.t.run(&full);
        assert_exit(&out, 2);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("qmail-send") && err.contains("svc -d"),
            "{err}"
        );
        let refusal = err.lines().find(|l| l.contains("qmail-send is running"));
        assert!(
            refusal.is_some_and(|l| l.starts_with("qtriage remove: ")),
            "{err}"
        );
        assert!(
            s.t.q.path(Subdir::Mess, id).exists(),
            "{args:?} moved nothing"
        );
    }
    // As qmail-remove, the lock is checked first: no match is no way round it (review51:
    // exit 0, `0 file(s) match`, and a script never learned that qmail-send runs).
    let out = s.t.run(&["remove", "-p", "no such text anywhere", "-r"]);
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("svc -d"));
    let out = s.t.run(&["remove", "-p", "Dispute", "-r", "--force"]);
    assert_exit(&out, 0);
    assert!(!s.t.q.path(Subdir::Mess, id).exists());
}

/// Files under mess/ whose names are no message ids are said on stderr, not read and not
/// moved: qmail ignores them (review51: skipped without a word, where qmail-remove reads
/// every regular file).
#[test]
fn files_under_mess_that_are_no_messages_are_said() {
    let s = seed();
    std::fs::write(s.t.root().join("mess/0/notanumber"), b"zzjunk").expect("junk");
    std::fs::write(s.t.root().join("mess/strayfile"), b"zzjunk").expect("junk");
    std::fs::write(s.t.root().join("mess/1/other"), b"zzjunk").expect("junk");
    std::fs::write(s.t.root().join("mess/1/more"), b"zzjunk").expect("junk");
    let out = s.t.run(&["remove", "-p", "zzjunk"]);
    assert_exit(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("0 file(s) match\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    for dir in [
        "/mess: 1 entry whose name is not a message id, not read (qmail ignores them)",
        "/mess/0: 1 entry whose name is not a message id, not read",
        "/mess/1: 2 entries whose names are not message ids, not read (qmail ignores them)",
    ] {
        assert!(err.contains(dir), "{dir}: {err}");
    }
}

/// A split directory of mess/ that is a symbolic link, or missing, is said on stderr (not
/// searched), as the other commands say it; the rest of the queue is matched as before.
#[test]
fn a_linked_or_missing_split_directory_is_said_not_skipped() {
    let t = TestQueue::new(3);
    // Inode numbers need not spread: where a filesystem hands them out in sequence and each
    // message takes three (mess, info, remote), every id has the same remainder (CI saw it). A
    // spare inode held beside the queue after every other message moves the next ones on, and
    // the test keeps whichever split directory holds the most rather than counting on mess/0.
    let spare = tempfile::tempdir().expect("spare dir");
    let mut ids: Vec<MessageId> = Vec::new();
    for i in 0..30 {
        ids.push(t.add(MessageSpec::new().remote(format!("r{i}@x.example"))));
        if i % 2 == 0 {
            std::fs::File::create(spare.path().join(i.to_string())).expect("spare inode");
        }
    }
    let held = |n: u64| ids.iter().filter(|id| id.0 % 3 == n).count();
    let kept = (0..3).max_by_key(|&n| held(n)).expect("three split dirs");
    let (linked, missing) = ((kept + 1) % 3, (kept + 2) % 3);
    let outside = tempfile::tempdir().expect("outside dir");
    t.q.symlink_split_dir(Subdir::Mess, linked as u32, outside.path())
        .expect("symlink a split dir");
    std::fs::remove_dir_all(t.root().join(format!("mess/{missing}"))).expect("remove one");
    let out = t.run(&["remove"]);
    assert_exit(&out, 0);
    let err = String::from_utf8_lossy(&out.stderr);
    for n in [linked, missing] {
        let said = format!("/mess/{n}: not searched (");
        assert!(err.contains(&said), "mess/{n}: {err}");
    }
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.ends_with(&format!("{} file(s) match\n", held(kept))),
        "{text}"
    );
}
