//! `qtriage stat` against the real qmail-qstat on a damaged queue: links, FIFOs, directories
//! and odd names below `mess/`, where qmail 1.03's script and notqmail's count differently
//! (newuser59: 5,004 against the real 5,000).

use super::kit::{ids_of, RealQmail, SPLIT};

#[test]
fn stat_counts_a_damaged_queue_as_the_real_qmail_qstat_does() {
    let Some(q) = RealQmail::acquire("stat_counts_a_damaged_queue_as_the_real_qmail_qstat_does")
    else {
        return;
    };
    let qmaild = ids_of("qmaild");
    for i in 0..3 {
        let msg = format!("From: a{i}@example.com\nSubject: s{i}\n\nbody\n");
        q.queue_as(
            qmaild.0,
            qmaild.1,
            msg.as_bytes(),
            "a@example.com",
            &["b@remote.example"],
        );
    }
    let mess = |n: u32| q.queue().join("mess").join((n % SPLIT).to_string());
    qtriage::fixture::make_fifo(&mess(1).join("999999999")).expect("fifo");
    std::os::unix::fs::symlink("/etc/passwd", mess(2).join("888888")).expect("symlink");
    std::fs::create_dir(mess(3).join("777777")).expect("directory");
    std::fs::write(mess(3).join("777777").join("inside"), b"x").expect("inside");
    std::fs::write(mess(4).join("12 34"), b"x").expect("a name with a space");
    std::fs::write(mess(5).join("12\n34"), b"x").expect("a name with a newline");
    std::fs::write(q.queue().join("todo").join("junk name"), b"x").expect("todo junk");
    // `find` prints the whole path: a newline in a directory's name counts for each file in
    // it (review59), in a split directory and directly in mess/.
    std::fs::create_dir(mess(6).join("a\nb")).expect("a directory with a newline");
    std::fs::write(mess(6).join("a\nb").join("f"), b"x").expect("in it");
    let odd = q.queue().join("mess").join("x\ny");
    std::fs::create_dir(&odd).expect("a directory in mess/ with a newline");
    std::fs::write(odd.join("f"), b"x").expect("in it");
    let ours = q.run(&["stat"], 0);
    assert_eq!(ours, q.real("qmail-qstat"));
    // Not a vacuous agreement: the damage is counted, by both.
    assert_eq!(
        ours,
        "messages in queue: 11\nmessages in queue but not yet preprocessed: 4\n"
    );
    q.reset();
}
