//! `clusters --by KEY --ages`: qshape's age matrix, text and JSON (issue 20).

use qtriage::fixture::MessageSpec;
use serde_json::Value;

use crate::util::{assert_exit, TestQueue};

const NOW: i64 = 1_795_430_000;

fn queue() -> TestQueue {
    let t = TestQueue::new(23);
    let msg = |user: &str, age_secs: i64| {
        MessageSpec::new()
            .received_from("192.0.2.9")
            .auth(user)
            .remote("v@example.net")
            .born(NOW - age_secs)
    };
    for age in [60, 7 * 60, 2000 * 60] {
        t.add(msg("test", age));
    }
    for _ in 0..2 {
        t.add(msg("sales", 30 * 60));
    }
    t
}

fn run(t: &TestQueue, args: &[&str]) -> std::process::Output {
    t.command()
        .args(args)
        .env("QTRIAGE_NOW", NOW.to_string())
        .output()
        .expect("run")
}

#[test]
fn ages_print_qshapes_matrix_with_a_total_row() {
    let t = queue();
    let out = run(&t, &["clusters", "--by", "auth-user", "--ages"]);
    assert_exit(&out, 0);
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec![
                "AUTH-USER",
                "T",
                "5",
                "10",
                "20",
                "40",
                "80",
                "160",
                "320",
                "640",
                "1280",
                "1280+"
            ],
            vec!["TOTAL", "5", "1", "1", "0", "2", "0", "0", "0", "0", "0", "1"],
            vec!["test", "3", "1", "1", "0", "0", "0", "0", "0", "0", "0", "1"],
            vec!["sales", "2", "0", "0", "0", "2", "0", "0", "0", "0", "0", "0"],
        ],
        "{text}"
    );
    let limited = run(
        &t,
        &["clusters", "--by", "auth-user", "--ages", "--limit", "1"],
    );
    let text = String::from_utf8_lossy(&limited.stdout);
    assert_eq!(
        text.lines().count(),
        3,
        "header, TOTAL of everything, one cluster: {text}"
    );
    assert!(text
        .lines()
        .nth(1)
        .is_some_and(|l| l.starts_with("TOTAL") && l.contains(" 5 ")));
}

#[test]
fn ages_in_json_are_an_array_per_cluster() {
    let t = queue();
    let out = run(&t, &["clusters", "--by", "auth-user", "--ages", "--json"]);
    assert_exit(&out, 0);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["value"], "test");
    assert_eq!(
        lines[0]["ages"],
        serde_json::json!([1, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    );
    assert_eq!(
        lines[1]["ages"],
        serde_json::json!([0, 0, 0, 2, 0, 0, 0, 0, 0, 0])
    );
    let plain = run(&t, &["clusters", "--by", "auth-user", "--json"]);
    assert!(
        !String::from_utf8_lossy(&plain.stdout).contains("\"ages\""),
        "the field comes with --ages only"
    );
}
