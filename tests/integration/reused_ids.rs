//! Ids are inode numbers that qmail reuses: what qtriage moves back or forth under an id must
//! be the message it saw there, never new mail that took the id meanwhile.

use qtriage::fixture::{FixtureState, MessageSpec};
use qtriage::queue::Subdir;

use crate::util::{assert_exit, TestQueue};

fn spam() -> MessageSpec {
    MessageSpec::new()
        .sender("x@spam.example")
        .remote("victim@example.net")
        .received_from("82.128.32.42")
        .auth("test")
        .subject("cheap stuff")
}

fn legit() -> MessageSpec {
    MessageSpec::new()
        .sender("alice@example.com")
        .local("bob@example.com")
        .received_from("192.0.2.7")
}

/// A message yanked without its mess holds no inode, so qmail-queue may give its id to new
/// mail; a restore then leaves it in the yank area rather than put its old envelope beside the
/// new mess (the review: qmail-send would have sent the new mail to the old recipients).
#[test]
fn a_restore_leaves_an_id_that_new_mail_took_meanwhile() {
    for new_state in [FixtureState::Incoming, FixtureState::InDelivery] {
        let t = TestQueue::new(23);
        let id = t.add(spam().state(FixtureState::InfoWithoutMess));
        let out = t.run(&["yank", &format!("id:{}", id.0), "--apply"]);
        assert_exit(&out, 0);
        let yanked = t.root().join("yanked");
        assert!(yanked.join(format!("{}.info", id.0)).exists());
        t.q.requeue_as(id, &legit().state(new_state))
            .expect("new mail with the id");
        let new_info = std::fs::read(t.q.path(Subdir::Info, id)).ok();
        for args in [&["restore", "--all"][..], &["restore", "--all", "--apply"]] {
            let out = t.run(args);
            let text = String::from_utf8_lossy(&out.stdout);
            let refusal = format!("refused #{}: target exists: ", id.0);
            assert!(text.contains(&refusal), "{new_state:?} {args:?}: {text}");
        }
        assert!(
            yanked.join(format!("{}.info", id.0)).exists(),
            "left yanked"
        );
        assert!(
            yanked.join(format!("{}.remote", id.0)).exists(),
            "left yanked"
        );
        assert_eq!(std::fs::read(t.q.path(Subdir::Info, id)).ok(), new_info);
        assert!(
            !t.q.path(Subdir::Remote, id).exists(),
            "the new mail's envelope is local"
        );
    }
}
