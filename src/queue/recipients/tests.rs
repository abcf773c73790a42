//! Tests of the recipient summary and of reading the list back from the envelope files.

use super::*;
use crate::fixture::{FixtureState, MessageSpec, QueueBuilder};
use crate::queue::{recipients_of, MessageRecord, Queue, Subdir};
use crate::queue::{scan, Progress, QueueOptions, ScanOptions};

/// Scan a fresh queue holding one message; the record and how many strings were interned.
fn scan_one(spec: MessageSpec) -> (Queue, MessageRecord, usize, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fq = QueueBuilder::new(dir.path().join("q"))
        .create()
        .expect("queue");
    fq.add(&spec).expect("add");
    let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let mut s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    assert_eq!(s.records.len(), 1);
    let r = s.records.remove(0);
    (queue, r, strings.len(), dir)
}

fn to(n: usize) -> MessageSpec {
    (0..n).fold(
        MessageSpec::new()
            .sender("kbradford@philadefender.org")
            .state(FixtureState::InDelivery),
        |s, i| s.remote(format!("victim{i}@msn.com")),
    )
}

#[test]
fn a_record_owns_no_more_memory_with_fifty_recipients_than_with_one() {
    // The record's recipient field owns no heap (it is Copy), and the strings it interns are
    // the first address and the domain set: a 50-recipient message adds nothing to a
    // one-recipient one's (with every address kept, it interned 49 more).
    fn owns_no_heap<T: Copy>() {}
    owns_no_heap::<RecipientSummary>();
    let (_q1, one, strings_one, _d1) = scan_one(to(1));
    let (_q50, fifty, strings_fifty, _d50) = scan_one(to(50));
    assert_eq!((one.recipients.len(), fifty.recipients.len()), (1, 50));
    assert_eq!(fifty.recipients.count(Channel::Remote), 50);
    assert_eq!(
        strings_fifty, strings_one,
        "the interner grew with the recipients"
    );
}

#[test]
fn the_summary_keeps_counts_first_address_and_domains_and_the_list_is_read_back() {
    let spec = MessageSpec::new()
        .sender("a@b.example")
        .state(FixtureState::InDelivery)
        .local("carol@Example.COM")
        .remote_done("x@msn.com")
        .remote("y@msn.com")
        .remote("no-domain");
    let (queue, r, _, _d) = scan_one(spec);
    let strings = Interner::new();
    let list = recipients_of(&queue, &r);
    let got: Vec<(Vec<u8>, Channel, bool)> = list
        .iter()
        .map(|rc| (rc.address.to_vec(), rc.channel, rc.done))
        .collect();
    assert_eq!(
        got,
        [
            (b"carol@Example.COM".to_vec(), Channel::Local, false),
            (b"x@msn.com".to_vec(), Channel::Remote, true),
            (b"y@msn.com".to_vec(), Channel::Remote, false),
            (b"no-domain".to_vec(), Channel::Remote, false),
        ]
    );
    let s = list.summary(&strings);
    assert_eq!(
        (s.len(), s.count(Channel::Local), s.count(Channel::Remote)),
        (4, 1, 3)
    );
    assert_eq!(strings.text(s.first().expect("first")), "carol@Example.COM");
    let mut domains: Vec<(Channel, Option<String>)> = s
        .domains(&strings)
        .iter()
        .map(|d| (d.channel, d.domain.map(|d| strings.text(d))))
        .collect();
    domains.sort_by_key(|d| (d.0.name(), d.1.clone()));
    assert_eq!(
        domains,
        [
            (Channel::Local, Some("example.com".into())),
            (Channel::Remote, None),
            (Channel::Remote, Some("msn.com".into())),
        ]
    );
}

#[test]
fn todo_domains_count_their_recipients_and_equal_sets_are_one_string() {
    let strings = Interner::new();
    let todo = |list: &[&str]| {
        RecipientSummary::of(&strings, list.iter().map(|a| (a.as_bytes(), Channel::Todo)))
    };
    let a = todo(&["x@one.example", "y@one.example", "z@two.example"]);
    let counts: Vec<u32> = a.domains(&strings).iter().map(|d| d.todo_count).collect();
    assert_eq!(counts.iter().sum::<u32>(), 3);
    assert!(counts.contains(&2));
    let b = RecipientSummary::of(
        &strings,
        [
            (&b"p@msn.com"[..], Channel::Remote),
            (&b"q@msn.com"[..], Channel::Remote),
        ],
    );
    let c = RecipientSummary::of(&strings, [(&b"r@MSN.com"[..], Channel::Remote)]);
    assert_eq!(b.domain_set(), c.domain_set());
    assert!(RecipientSummary::default().domains(&strings).is_empty());
}

#[test]
fn a_gone_envelope_reads_as_no_recipients_and_a_linked_one_is_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fq = QueueBuilder::new(dir.path().join("q"))
        .create()
        .expect("queue");
    let id = fq
        .add(
            &MessageSpec::new()
                .remote("v@x.example")
                .state(FixtureState::InDelivery),
        )
        .expect("add");
    let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
    let strings = Interner::new();
    let s = scan(
        &queue,
        &strings,
        ScanOptions::default(),
        &Progress::default(),
    )
    .expect("scan");
    let r = &s.records[0];
    assert_eq!(recipients_of(&queue, r).len(), 1);
    // A link to a file that reads as an envelope with a recipient: never followed.
    let elsewhere = dir.path().join("envelope");
    std::fs::write(&elsewhere, b"Tlinked@x.example\0").expect("write");
    fq.symlink(Subdir::Remote, id, &elsewhere).expect("symlink");
    assert!(recipients_of(&queue, r).is_empty());
    fq.remove_part(Subdir::Remote, id).expect("remove");
    assert!(recipients_of(&queue, r).is_empty());
}

#[test]
fn many_domains_and_spellings_in_one_message_give_the_set_of_their_lowercased_domains() {
    let strings = Interner::new();
    // More distinct domains than a builder remembers, each twice and in two spellings.
    let addrs: Vec<String> = (0..40)
        .flat_map(|n| {
            [
                format!("a{n}@Domain{n}.example"),
                format!("b{n}@domain{n}.example"),
                format!("c{n}@Domain{n}.example"),
            ]
        })
        .collect();
    let summary = RecipientSummary::of(
        &strings,
        addrs.iter().map(|a| (a.as_bytes(), Channel::Remote)),
    );
    let mut got: Vec<String> = summary
        .domains(&strings)
        .iter()
        .map(|d| strings.text(d.domain.expect("a domain")))
        .collect();
    got.sort();
    let mut want: Vec<String> = (0..40).map(|n| format!("domain{n}.example")).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn the_last_at_is_found_wherever_it_is() {
    // Every position in and around the 8-byte words, bytes that differ from `@` by one bit
    // (0xc0, 'A', '`') next to it, and several `@`s: the byte-by-byte answer.
    for len in 0..40 {
        for at in 0..len {
            for extra in [None, Some(0), Some(at / 2)] {
                let mut a: Vec<u8> = (0..len).map(|i| [b'A', b'`', 0xc0, b'x'][i % 4]).collect();
                a[at] = b'@';
                if let Some(e) = extra {
                    a[e] = b'@';
                }
                let want = a.iter().rposition(|&b| b == b'@');
                assert_eq!(last_at(&a), want, "{a:?}");
            }
        }
        let none: Vec<u8> = (0..len).map(|i| [b'A', b'`', 0xc0, 0][i % 4]).collect();
        assert_eq!(last_at(&none), None);
    }
    assert_eq!(domain_of(b"user@Example.COM"), Some(&b"Example.COM"[..]));
    assert_eq!(domain_of(b"a@b@c.example"), Some(&b"c.example"[..]));
    assert_eq!(domain_of(b"nodomain@"), None);
    assert_eq!(domain_of(b"local"), None);
}

/// The set `rcpts` makes, encoded as [`intern_set`] does, from a map rather than the builder:
/// what every summary's [`RecipientSummary::domain_set`] must be.
fn reference_set(strings: &Interner, rcpts: &[(String, Channel)]) -> Option<Sym> {
    let mut set: std::collections::BTreeMap<(u8, u32), u32> = Default::default();
    for (a, c) in rcpts {
        let d = domain_of(a.as_bytes()).map(|d| strings.intern(&d.to_ascii_lowercase()));
        let n = set
            .entry((channel_byte(*c), d.map_or(0, Sym::as_u32)))
            .or_default();
        *n += u32::from(*c == Channel::Todo);
    }
    let mut bytes = Vec::new();
    for ((c, d), n) in &set {
        bytes.push(*c);
        bytes.extend_from_slice(&d.to_le_bytes());
        bytes.extend_from_slice(&n.to_le_bytes());
    }
    (!bytes.is_empty()).then(|| strings.intern(&bytes))
}

#[test]
fn a_threads_memory_of_bits_and_sets_gives_the_sets_the_entries_give() {
    use rand::{Rng, SeedableRng};
    // One memory for 3,000 messages, as a scan thread's: more pairs than it has bits (90
    // domains in two channels and two spellings), its set slots reused, todo/ recipients,
    // addresses without a domain and domains too long to remember in some messages.
    let strings = Interner::new();
    let mut memo = RecipientMemo::new(&strings);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(22);
    let long = "x".repeat(60);
    for m in 0..3000 {
        let spread = [3, 12, 90][m % 3];
        let n = rng.gen_range(0..20);
        let rcpts: Vec<(String, Channel)> = (0..n)
            .map(|i| {
                let d = rng.gen_range(0..spread);
                let address = match rng.gen_range(0..100) {
                    0 => "no-domain".to_string(),
                    1 => format!("u{i}@{long}.example"),
                    2..=20 => format!("u{i}@D{d}.Example"),
                    _ => format!("u{i}@d{d}.example"),
                };
                let channel = match (m % 7, rng.gen_range(0..10)) {
                    (0, _) => Channel::Todo,
                    (_, 0) => Channel::Local,
                    _ => Channel::Remote,
                };
                (address, channel)
            })
            .collect();
        let mut b = SummaryBuilder::default();
        for (a, c) in &rcpts {
            b.add(&strings, &mut memo, a.as_bytes(), *c);
        }
        let got = b.finish(&strings, &mut memo);
        assert_eq!(got.len(), rcpts.len(), "message {m}");
        assert_eq!(
            got.domain_set(),
            reference_set(&strings, &rcpts),
            "message {m}: {rcpts:?}"
        );
        // A fresh memory (`read`'s stream, hand-built records) gives the same set.
        let alone = RecipientSummary::of(&strings, rcpts.iter().map(|(a, c)| (a.as_bytes(), *c)));
        assert_eq!(alone, got, "message {m}");
    }
}
