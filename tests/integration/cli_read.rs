//! `qtriage read`: qmail-qread's exact text and the JSON objects.

use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::Subdir;

use crate::util::{assert_text, TestQueue};

const BORN: i64 = 1_795_429_179; // 23 Nov 2026 10:19:39 UTC

#[test]
fn header_line_trailing_space_bouncing_and_done() {
    let t = TestQueue::new(23);
    let spec = MessageSpec::new()
        .born(BORN)
        .sender("test@example.com")
        .local_done("alice@example.com")
        .local("sales@example.com")
        .local_done("nosuchuser@example.com")
        .bouncing("<nosuchuser@example.com>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n");
    let id = t.add(spec);
    let size = std::fs::metadata(t.q.path(Subdir::Mess, id))
        .expect("mess")
        .len();
    let want = format!(
        "23 Nov 2026 10:19:39 GMT  #{id}  {size}  <test@example.com>  bouncing\n  done\tlocal\talice@example.com\n\tlocal\tsales@example.com\n  done\tlocal\tnosuchuser@example.com\n"
    );
    assert_text(&t.stdout(&["read"]), &want);
}

#[test]
fn remote_records_follow_local_and_null_sender_prints_empty_brackets() {
    let t = TestQueue::new(23);
    let id = t.add(
        MessageSpec::new()
            .born(BORN)
            .sender("")
            .local("a@example.com")
            .remote("b@remote.example")
            .remote_done("c@remote.example"),
    );
    let size = std::fs::metadata(t.q.path(Subdir::Mess, id))
        .expect("mess")
        .len();
    let want = format!("23 Nov 2026 10:19:39 GMT  #{id}  {size}  <> \n\tlocal\ta@example.com\n\tremote\tb@remote.example\n  done\tremote\tc@remote.example\n");
    assert_text(&t.stdout(&["read"]), &want);
}

/// An info file without its `F` line (empty, or cut before it) names no sender: `<>` would
/// read as a bounce's null sender, and qmail-qread prints whatever its buffer held from the
/// message before. `-` is printed, as `list` writes an unknown sender, streamed and sorted;
/// the JSON's sender is null.
#[test]
fn an_info_file_without_its_sender_prints_a_dash_not_the_null_sender() {
    let t = TestQueue::new(23);
    let id = t.add(
        MessageSpec::new()
            .born(BORN)
            .sender("real@example.com")
            .remote("b@remote.example")
            .envelope_bytes(Subdir::Info, b""),
    );
    let size = std::fs::metadata(t.q.path(Subdir::Mess, id))
        .expect("mess")
        .len();
    let want = format!("23 Nov 2026 10:19:39 GMT  #{id}  {size}  - \n\tremote\tb@remote.example\n");
    assert_text(&t.stdout(&["read"]), &want);
    assert_text(&t.stdout(&["read", "--sort", "id"]), &want);
    let json: serde_json::Value =
        serde_json::from_str(&t.stdout(&["read", "--json"])).expect("json");
    assert_eq!(json["sender"], serde_json::Value::Null);
}

#[test]
fn bytes_outside_printable_ascii_become_underscores() {
    let t = TestQueue::new(23);
    let id = t.add(
        MessageSpec::new()
            .born(BORN)
            .sender("evil\x1b[2J@spam.example")
            .remote("caf\u{e9}@remote.example"),
    );
    let out = t.stdout(&["read"]);
    assert!(out.contains(&format!("#{id}")));
    assert!(out.contains("<evil_[2J@spam.example> \n"), "{out:?}");
    assert!(out.contains("\tremote\tcaf__@remote.example\n"), "{out:?}");
    assert!(!out.contains('\x1b'));
}

#[test]
fn info_without_mess_warns_like_qmail_qread() {
    let t = TestQueue::new(23);
    let id = t.add(
        MessageSpec::new()
            .state(FixtureState::InfoWithoutMess)
            .remote("x@y.example"),
    );
    assert_text(
        &t.stdout(&["read"]),
        &format!("warning: trouble with #{id}: file does not exist\n"),
    );
}

/// Issue 19: qmail-qread opens mess/<id % split>/<id>; a mess file in another split directory
/// is not there for it, so `read` warns the same way instead of printing a normal entry.
#[test]
fn mess_in_the_wrong_split_directory_warns_like_qmail_qread() {
    let t = TestQueue::new(23);
    let id = t.add(MessageSpec::new().remote("x@y.example"));
    t.q.misplace(Subdir::Mess, id).expect("misplace");
    assert_text(
        &t.stdout(&["read"]),
        &format!("warning: trouble with #{id}: file does not exist\n"),
    );
}

#[test]
fn messages_without_info_are_not_listed() {
    let t = TestQueue::new(23);
    t.add(
        MessageSpec::new()
            .state(FixtureState::Queued)
            .remote("x@y.example"),
    );
    t.add(
        MessageSpec::new()
            .state(FixtureState::Incoming)
            .remote("x@y.example"),
    );
    t.add(MessageSpec::new().state(FixtureState::OrphanMess));
    assert_text(&t.stdout(&["read"]), "");
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ReadJson {
    id: u64,
    queued: String,
    size: u64,
    sender: serde_json::Value,
    recipients: Vec<RecipientJson>,
    state: String,
    bouncing: bool,
    problems: Vec<ProblemJson>,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct RecipientJson {
    address: serde_json::Value,
    channel: String,
    done: bool,
}

#[derive(serde::Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct ProblemJson {
    kind: String,
    part: String,
}

#[test]
fn json_objects_carry_the_documented_fields() {
    let t = TestQueue::new(23);
    let a = t.add(
        MessageSpec::new()
            .born(BORN)
            .sender("test@example.com")
            .remote("x@y.example")
            .remote_done("z@y.example"),
    );
    let b = t.add(
        MessageSpec::new()
            .born(BORN + 60)
            .state(FixtureState::Queued)
            .sender(b"\xffbin@x".as_slice())
            .remote("q@r.example"),
    );
    let c = t.add(
        MessageSpec::new()
            .born(BORN + 120)
            .remote("t@u.example")
            .truncate_envelope(Subdir::Remote)
            .bouncing("x"),
    );
    let out = t.stdout(&["read", "--json", "--sort", "age"]);
    let msgs: Vec<ReadJson> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(
        msgs.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![a.0, b.0, c.0]
    );
    let m = &msgs[0];
    assert_eq!(m.queued, "2026-11-23T10:19:39Z");
    assert!(m.size > 0);
    assert_eq!(m.sender, serde_json::json!("test@example.com"));
    assert_eq!(m.state, "in-delivery");
    assert!(!m.bouncing && m.problems.is_empty());
    assert_eq!(m.recipients.len(), 2);
    assert_eq!(
        (m.recipients[1].channel.as_str(), m.recipients[1].done),
        ("remote", true)
    );
    assert_eq!(m.recipients[0].address, serde_json::json!("x@y.example"));
    // A non-UTF-8 sender is base64 bytes, not mangled text.
    assert_eq!(msgs[1].sender, serde_json::json!({"bytes": "/2JpbkB4"}));
    assert_eq!(msgs[1].state, "queued");
    assert_eq!(msgs[1].recipients[0].channel, "todo");
    assert!(msgs[2].bouncing);
    assert_eq!(
        (
            msgs[2].problems[0].kind.as_str(),
            msgs[2].problems[0].part.as_str()
        ),
        ("truncated-envelope", "remote")
    );
}
