//! `qtriage show ID...`: a message shown whole as the TUI's inspector shows it, sanitized, by id;
//! over the hostile queue every case is shown or said missing, within the deadline, with no
//! link followed and no raw control byte printed.

use qtriage::fixture::{MessageSpec, QueueBuilder};

use crate::hostile_harness::{hostile, run_clean};
use crate::util::{assert_exit, TestQueue};

#[test]
fn show_prints_the_inspectors_sections_and_says_which_ids_are_missing() {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    let spam = MessageSpec::new()
        .sender("x1@spam.example")
        .remote("victim@example.net")
        .received_from("82.128.32.42")
        .auth("test")
        .subject("=?UTF-8?B?0J/RgNC40LLQtdGC?= \x1b]0;owned\x07")
        .body(b"hello\x1b[31m red\n".as_slice());
    let a = t.add(spam.clone());
    let b = t.add(spam.subject("second"));
    let out = t.run(&["show", &format!("#{a}"), &b.to_string()]);
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for want in [
        format!("message #{a}\nEnvelope\n  #{a}  "),
        "  sender <x1@spam.example>\n".to_string(),
        "  origin smtp-auth  ip 82.128.32.42  auth test".to_string(),
        "\n▶ from ".to_string(),
        "  decoded Привет \\e]0;owned\\x07\n".to_string(),
        "  hello\\e[31m red\n".to_string(),
        format!("\n\nmessage #{b}\n"),
    ] {
        assert!(text.contains(&want), "{want:?} in\n{text}");
    }
    assert!(!text.contains('\x1b'), "{text}");

    // A missing id is said on stderr, the rest shown: exit 1. A word that is no id: exit 2,
    // nothing read.
    let out = t.run(&["show", "12345", &a.to_string()]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("qtriage: show: #12345: not in the queue"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("message #{a}\n")));
    // A message yanked is said to be in the yank area, and how to list it.
    assert_exit(&t.run(&["yank", &format!("id:{b}"), "--apply"]), 0);
    let out = t.run(&["show", &b.to_string()]);
    assert_exit(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    let want =
        format!("#{b}: not in the queue: it is in the yank area (qtriage list --yanked id:{b}");
    assert!(err.contains(&want), "{err}");
    let out = t.run(&["show", "auth:test"]);
    assert_exit(&out, 2);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("show: not a message id: \"auth:test\""),
        "{err}"
    );
}

#[test]
fn show_over_every_hostile_case_is_clean() {
    let truth = hostile();
    let ids: Vec<String> = (truth.cases.iter().map(|c| c.id.to_string()))
        .chain(truth.flood.iter().take(2).map(|id| id.to_string()))
        .collect();
    let mut args = vec!["show"];
    args.extend(ids.iter().map(String::as_str));
    let run = run_clean(&args, &[0, 1]);
    let text = run.out();
    for c in &truth.cases {
        let shown = text.contains(&format!("message #{}\n", c.id));
        let missing = run.err().contains(&format!("#{}: ", c.id));
        assert!(
            shown || missing,
            "{}: neither shown nor said missing",
            c.name
        );
        if let (true, Some(visible)) = (shown, c.visible) {
            assert!(text.contains(visible), "{}: {visible:?} not shown", c.name);
        }
    }
}

/// Header fields past the cap are counted, not dropped in silence; a header block that does
/// not end within the read limit leaves the body "not reached", not "empty" (newuser49b).
#[test]
fn show_says_what_it_did_not_show() {
    let t = TestQueue::with(QueueBuilder::new("").split(23));
    let mut many = MessageSpec::new()
        .sender("x@spam.example")
        .remote("victim@example.net")
        .received_from("82.128.32.42");
    for i in 0..120 {
        many = many.header("X-Padding", format!("{i}").as_bytes());
    }
    let id = t.add(many);
    let text = t.stdout(&["show", &id.to_string()]);
    assert!(text.contains("more fields not shown)\n"), "{text}");
    let huge = MessageSpec::new()
        .sender("x@spam.example")
        .remote("victim@example.net")
        .header("X-Huge", vec![b'a'; 2 * 1024 * 1024].as_slice());
    let id = t.add(huge);
    let text = t.stdout(&["show", &id.to_string()]);
    assert!(
        text.contains("  ! the header block did not end within the read limit"),
        "{text}"
    );
    assert!(
        text.contains("(not reached: the header block did not end"),
        "{text}"
    );
    assert!(!text.contains("(empty body)"), "{text}");
    // A short message that ends in its header hit no limit (newuser60).
    let cut = MessageSpec::new()
        .sender("x@spam.example")
        .remote("victim@example.net")
        .raw_mess(b"Subject: cut\nX-Last: field".as_slice());
    let id = t.add(cut);
    let text = t.stdout(&["show", &id.to_string()]);
    assert!(
        text.contains("  ! the message ends inside its header block"),
        "{text}"
    );
    assert!(!text.contains("read limit"), "{text}");
}
