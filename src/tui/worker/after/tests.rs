//! The TUI's report and `qtriage report` on one queue, yank area and logs: the same report.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use clap::Parser;

use super::{report_input, AfterFlood};
use crate::actions::{self, ExecuteOptions, PlanOptions};
use crate::analysis::setup::SetupOptions;
use crate::cli::{Args, Command};
use crate::fixture::{MessageSpec, QueueBuilder};
use crate::logs::fixture::{chkuser_relaying_line, tcpserver_lines, FixtureLine, MultilogDir};
use crate::queue::{scan, Interner, Progress, Queue, QueueOptions, ScanOptions, Subdir};
use crate::tui::state::Snapshot;

const BORN: i64 = 1_795_428_000;
const NOW: i64 = BORN + 3_600;
const IP: &str = "82.128.32.42";
const SPAM: u32 = 30;

/// A flood whose AUTH user only the smtpd log names (no header does), some of it yanked, a
/// message with an empty info file, and real mail; the log directory.
fn incident(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let root = dir.join("queue");
    let control = dir.join("control");
    std::fs::create_dir_all(&control).expect("control");
    std::fs::write(control.join("locals"), "example.com\n").expect("locals");
    let mut b = QueueBuilder::new(&root);
    for n in 0..SPAM {
        b = b.message(
            MessageSpec::new()
                .born(BORN + i64::from(n))
                .pid(7000 + n)
                .received_from(IP)
                .helo("User")
                .sender("kbradford@philadefender.org")
                .remote(format!("victim{n}@msn.com"))
                .subject("Dispute Transaction"),
        );
    }
    for n in 0..5 {
        b = b.message(
            MessageSpec::new()
                .born(BORN - 3_000 + n * 60)
                .received_from("192.0.2.50")
                .sender(format!("customer{n}@partner.example"))
                .local("sales@example.com"),
        );
    }
    b = b.message(
        MessageSpec::new()
            .born(BORN)
            .remote("x@y.example")
            .envelope_bytes(Subdir::Info, b""),
    );
    let (q, ids) = b.build().expect("queue");
    // A third of the flood yanked: those records come from the yank area, and their AUTH user
    // from the logs again.
    let queue = Queue::open(q.root(), QueueOptions::default()).expect("open");
    let opts = PlanOptions {
        yank_dir: actions::default_yank_dir(q.root()),
        query: "test".into(),
    };
    let plan = actions::plan_yank_ids(&queue, &ids[..10], &opts);
    let outcome =
        actions::execute(&plan, &ExecuteOptions::default(), &AtomicU64::new(0)).expect("yank");
    assert_eq!(outcome.batch.expect("batch").messages, 10);
    let smtpd = MultilogDir::create(dir.join("smtpd")).expect("smtpd");
    let [pid, ok, end] = tcpserver_lines(5941, IP);
    let mut lines = vec![
        FixtureLine::new(BORN - 5, &pid),
        FixtureLine::new(BORN - 5, &ok),
    ];
    for n in 0..SPAM {
        let rcpt = format!("victim{n}@msn.com");
        let text = chkuser_relaying_line("kbradford@philadefender.org", "test", "User", IP, &rcpt);
        lines.push(FixtureLine::new(BORN + i64::from(n) - 1, text));
    }
    lines.push(FixtureLine::new(BORN + i64::from(SPAM), &end));
    smtpd.current(&lines).expect("smtpd current");
    (root, smtpd.path().to_path_buf())
}

/// The snapshot the TUI's worker makes: both passes read, the logs applied (passes.rs).
fn snapshot(env: &AfterFlood) -> Snapshot {
    let strings = Arc::new(Interner::new());
    let mut s = scan(
        &env.queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    let setup = env.load_setup().expect("setup");
    let logs = setup.apply_logs(&mut s.records, &strings);
    Snapshot::analysed(1, strings, s.records, Arc::new(logs), &setup.ctx)
}

#[test]
fn the_tuis_report_is_qtriage_reports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (root, smtpd) = incident(dir.path());
    let vpopmail = dir.path().join("no-vpopmail");
    let arg = |p: &Path| p.display().to_string();
    let args = Args::try_parse_from([
        "qtriage".to_string(),
        "--queue".into(),
        arg(&root),
        "--log".into(),
        arg(&smtpd),
        "report".into(),
        "--vpopmail".into(),
        arg(&vpopmail),
    ])
    .expect("args");
    let Some(Command::Report(report)) = &args.command else {
        panic!("not report: {args:?}")
    };
    let cli = crate::cli::report::input(&args.global, report, NOW).expect("cli report");

    let queue = Queue::open(&root, QueueOptions::default()).expect("open");
    let env = AfterFlood {
        yank_dir: actions::default_yank_dir(queue.root()),
        vpopmail: vpopmail.clone(),
        report_dir: dir.path().to_path_buf(),
        setup: SetupOptions {
            queue_root: queue.root().to_path_buf(),
            vpopmail: Some(vpopmail),
            logs: vec![smtpd],
            now: NOW,
            ..SetupOptions::default()
        },
        fixed_now: Some(NOW),
        queue,
    };
    let tui = report_input(&snapshot(&env), &env, NOW).expect("tui report");

    let json = |r: &crate::report::ReportInput| r.to_json().expect("json");
    assert_eq!(json(&tui), json(&cli));
    // And it is a report of this incident, not two empty ones: the log's user is the culprit,
    // the yanked messages are counted, and the damaged one is noted.
    assert!(
        cli.culprits.iter().any(|c| c.value == "test"),
        "{:?}",
        cli.culprits
    );
    let notes = cli.notes.join("\n");
    assert!(
        notes.contains("10 messages in the yank area are counted with the queue's"),
        "{notes}"
    );
    assert!(
        notes.contains("of 26 messages in the whole queue (not only the culprits'; not the yank area's) have problems"),
        "{notes}"
    );
}

/// A pick-back of a culprit's yanked spam is warned of, as `qtriage restore QUERY`'s dry run
/// warns (newuser52: `auth:test` picked 7,593 back without a word).
#[test]
fn a_pick_of_a_culprits_spam_is_warned_of() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (root, smtpd) = incident(dir.path());
    let queue = Queue::open(&root, QueueOptions::default()).expect("open");
    let yank_dir = actions::default_yank_dir(queue.root());
    let picks: std::collections::HashSet<_> = (actions::list_yanked(&yank_dir).expect("yanked"))
        .iter()
        .map(|y| y.id)
        .take(3)
        .collect();
    assert_eq!(picks.len(), 3);
    let env = AfterFlood::for_test(queue, dir.path(), vec![smtpd], NOW);
    let warning = super::pick_warning(&snapshot(&env), &env, &picks);
    let warning = warning.expect("a warning");
    assert!(
        warning.starts_with("careful: 3 of these are culprits' in qtriage's ranking (")
            && warning.contains("test"),
        "{warning}"
    );
    assert_eq!(
        super::pick_warning(&snapshot(&env), &env, &Default::default()),
        None
    );
}

/// A pick of three names each message once, its hostile subject escaped once and quoted as
/// the sender beside it is (hostile53: `{:?}` showed `\\e]52;...`); a fourth names none.
#[test]
fn a_pick_of_a_few_names_them_escaped_once() {
    let strings = Interner::new();
    let mut records: Vec<_> = (1..=3).map(crate::fixture::record::record).collect();
    for r in &mut records {
        r.sender = Some(strings.intern(b"x\x1b]52;c;eA==\x07@spam.example"));
        r.headers.subject = Some(strings.intern(b"pay \"now\" \x1b[2J"));
    }
    let named = super::picks_named("pick".into(), &records, &strings);
    assert_eq!(
        named,
        "pick: #1 <x\\e]52;c;eA==\\x07@spam.example> \"pay \\\"now\\\" \\e[2J\"; \
         #2 <x\\e]52;c;eA==\\x07@spam.example> \"pay \\\"now\\\" \\e[2J\"; \
         #3 <x\\e]52;c;eA==\\x07@spam.example> \"pay \\\"now\\\" \\e[2J\""
    );
    records.push(crate::fixture::record::record(4));
    assert_eq!(
        super::picks_named("pick".into(), &records, &strings),
        "pick"
    );
}

/// walk66: a 5,000-character subject filled the pick-back confirmation twice over (the chosen
/// line and the sample) and pushed its counts off the page; each value is cut.
#[test]
fn a_huge_subject_is_cut_where_a_pick_names_it() {
    let strings = Interner::new();
    let mut r = crate::fixture::record::record(1);
    r.sender = Some(strings.intern(b"big@spam.example"));
    r.headers.subject = Some(strings.intern("big ".repeat(1_250).as_bytes()));
    let named = super::picks_named("pick".into(), &[r], &strings);
    let subject = named.split('"').nth(1).expect("a quoted subject");
    assert_eq!(
        subject.chars().count(),
        super::super::views::SHOWN_CHARS + 1
    );
    assert!(
        subject.starts_with("big big") && subject.ends_with('…'),
        "{subject}"
    );
}

/// The status line after a report counts what the operator yanked on their own judgment: "0
/// culprits, 0 spam" alone read as an empty report when the spam was theirs to judge
/// (review57).
#[test]
fn the_status_line_counts_what_the_operator_yanked_on_their_own() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (root, smtpd) = incident(dir.path());
    let queue = Queue::open(&root, QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let scanned = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    let partner = strings.intern(b"192.0.2.50");
    let ids: Vec<_> = (scanned.records.iter())
        .filter(|r| r.origin.ip == Some(partner))
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), 5);
    let opts = PlanOptions {
        yank_dir: actions::default_yank_dir(queue.root()),
        query: "ip:192.0.2.50".into(),
    };
    let plan = actions::plan_yank_ids(&queue, &ids, &opts);
    actions::execute(&plan, &ExecuteOptions::default(), &AtomicU64::new(0)).expect("yank");
    let env = AfterFlood::for_test(queue, dir.path(), vec![smtpd], NOW);
    let (words, error) = super::write_report(&snapshot(&env), &env, NOW);
    assert!(!error, "{words}");
    assert!(words.ends_with(" spam, 5 yanked by you)"), "{words}");
}
