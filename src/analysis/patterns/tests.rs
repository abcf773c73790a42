//! Unit tests of `crate::analysis::patterns`.
use super::*;

fn table(senders: &[(&str, usize)], locals: &[&str]) -> SenderPatterns {
    let locals: Vec<String> = locals.iter().map(|s| s.to_string()).collect();
    SenderPatterns::build(senders.iter().map(|(s, n)| (s.as_bytes(), *n)), &locals)
}

fn pat(t: &SenderPatterns, addr: &str) -> String {
    String::from_utf8(t.pattern(addr.as_bytes())).expect("utf-8 pattern")
}

#[test]
fn forged_names_at_one_domain_become_one_pattern() {
    let names = [
        "kbradford",
        "xqzpt",
        "mjones",
        "tkelly",
        "rwalsh",
        "pgarcia",
    ];
    let senders: Vec<(String, usize)> = names
        .iter()
        .map(|n| (format!("{n}@philadefender.org"), 1))
        .collect();
    let refs: Vec<(&str, usize)> = senders.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    let t = table(&refs, &[]);
    assert_eq!(
        pat(&t, "kbradford@philadefender.org"),
        "<random>@philadefender.org"
    );
    assert_eq!(
        pat(&t, "xqzpt@PhilaDefender.org"),
        "<random>@philadefender.org"
    );
    // Neither length nor characters split one generator's names (issue 17: 68 clusters).
    assert_eq!(
        pat(&t, "abc@philadefender.org"),
        "<random>@philadefender.org"
    );
    assert_eq!(
        pat(&t, "jmiller42@philadefender.org"),
        "<random>@philadefender.org"
    );
    assert!(SenderPatterns::is_generalised(
        b"<random>@philadefender.org"
    ));
}

#[test]
fn a_couple_of_real_senders_stay_distinct() {
    let t = table(&[("alice@example.com", 2), ("bob@example.com", 1)], &[]);
    assert_eq!(pat(&t, "alice@example.com"), "alice@example.com");
    assert_eq!(pat(&t, "bob@example.com"), "bob@example.com");
    assert!(t.is_empty());
}

#[test]
fn busy_distinct_senders_are_not_generated_names() {
    // Five people who each send a lot are five senders, not one forged pattern.
    let senders = [
        ("ann@corp.example", 40),
        ("ben@corp.example", 30),
        ("cy@corp.example", 20),
        ("dee@corp.example", 25),
        ("eve@corp.example", 50),
    ];
    let t = table(&senders, &[]);
    assert_eq!(pat(&t, "ann@corp.example"), "ann@corp.example");
}

#[test]
fn local_domains_are_never_generalised() {
    let senders = [
        ("a1@example.com", 1),
        ("b2@example.com", 1),
        ("c3@example.com", 1),
        ("d4@example.com", 1),
        ("e5@example.com", 1),
        ("f6@example.com", 1),
    ];
    let t = table(&senders, &["example.com"]);
    assert_eq!(pat(&t, "a1@example.com"), "a1@example.com");
    let t = table(&senders, &[".com"]);
    assert_eq!(pat(&t, "a1@example.com"), "a1@example.com");
    let t = table(&senders, &[]);
    assert_eq!(pat(&t, "a1@example.com"), "<random>@example.com");
}

#[test]
fn random_domains_with_one_local_part_become_one_pattern() {
    let senders = [
        ("noreply@qwhzk.biz", 1),
        ("noreply@ptrsvbn.biz", 1),
        ("noreply@zzkqa.biz", 2),
        ("noreply@mmxqe.biz", 1),
        ("noreply@kkvvb.biz", 1),
        ("info@shop.example", 3),
    ];
    let t = table(&senders, &[]);
    assert_eq!(pat(&t, "noreply@qwhzk.biz"), "noreply@<random>.biz");
    assert_eq!(pat(&t, "NoReply@ptrsvbn.biz"), "noreply@<random>.biz");
    assert_eq!(pat(&t, "info@shop.example"), "info@shop.example");
}

#[test]
fn names_are_counted_once_however_their_domains_are_cased() {
    // The table is built from sorted runs (not hash sets of names): a domain's case variants
    // are one domain, a local part repeated under them is one name, and local parts differing
    // only in case are two names; a family's labels and local parts are compared lowercased.
    let four = [
        ("a@Forged.example", 1),
        ("a@forged.EXAMPLE", 1),
        ("b@forged.example", 1),
        ("c@forged.example", 1),
        ("C@FORGED.example", 1),
    ];
    let t = table(&four, &[]);
    assert_eq!(
        pat(&t, "a@forged.example"),
        "a@forged.example",
        "4 names: not generated"
    );
    let mut five = four.to_vec();
    five.push(("d@forged.example", 1));
    let t = table(&five, &[]);
    assert_eq!(pat(&t, "zz@FORGED.example"), "<random>@forged.example");
    let family = [
        ("Info@aa.net", 1),
        ("info@AA.net", 1),
        ("info@bb.NET", 1),
        ("INFO@cc.net", 1),
        ("info@dd.net", 1),
    ];
    let t = table(&family, &[]);
    assert_eq!(
        pat(&t, "info@ee.net"),
        "info@ee.net",
        "4 labels: not generated"
    );
    let mut more = family.to_vec();
    more.push(("info@ee.Net", 1));
    let t = table(&more, &[]);
    assert_eq!(pat(&t, "Info@zz.net"), "info@<random>.net");
}

#[test]
fn null_sender_and_addresses_without_at() {
    let t = SenderPatterns::default();
    assert_eq!(pat(&t, ""), "<>");
    assert_eq!(pat(&t, "#@[]"), "#@[]");
    assert_eq!(pat(&t, "postmaster"), "postmaster");
    assert_eq!(
        sender_pattern(b"X@Example.COM"),
        Some(b"X@example.com".to_vec())
    );
}

#[test]
fn hostile_sender_bytes_do_not_panic_and_stay_bounded() {
    let long = vec![b'a'; 100_000];
    let mut addr = long.clone();
    addr.extend_from_slice(b"@x.example");
    let t = SenderPatterns::build([(&addr[..], 1usize), (&b"\xff\x1b[2J@\xfe"[..], 1)], &[]);
    assert!(t.pattern(&addr).len() <= MAX_PATTERN_INPUT);
    assert_eq!(t.pattern(b"\xff\x1b[2J@\xfe"), b"\xff\x1b[2J@\xfe".to_vec());
}

fn tpl(s: &str) -> String {
    String::from_utf8(subject_template(s.as_bytes()).expect("template")).expect("utf-8")
}

#[test]
fn subject_templates_mask_digits_and_random_tokens() {
    assert_eq!(tpl("Invoice 4471 ref A7X9QZ"), "Invoice # ref *");
    assert_eq!(tpl("Invoice 18 ref K2PP0Q"), "Invoice # ref *");
    assert_eq!(
        tpl("Dispute Transaction #88123-22"),
        "Dispute Transaction ##-#"
    );
    assert_eq!(tpl("Hello xqzpt, your parcel"), "Hello *, your parcel");
    assert_eq!(tpl("Hello xQzPtR"), "Hello *");
    assert_eq!(
        tpl("Message for kbradford@Philadefender.org"),
        "Message for *@philadefender.org"
    );
    assert_eq!(tpl("Get MP3 now"), "Get MP# now");
    assert_eq!(tpl("Meeting at noon"), "Meeting at noon");
    assert_eq!(tpl("Счёт 123 оплачен"), "Счёт # оплачен");
}

#[test]
fn char_classes_and_buckets() {
    assert_eq!(char_class(b"abc"), "lowercase");
    assert_eq!(char_class(b"aB3"), "letters+digits");
    assert_eq!(char_class(b"12.3"), "digits+symbols");
    assert_eq!(length_bucket(5), "5-9");
    assert_eq!(length_bucket(16), "16+");
}

proptest::proptest! {
    /// The byte path for ASCII subjects gives what the char path gives.
    #[test]
    fn ascii_templates_equal_char_templates(
        s in proptest::collection::vec(proptest::sample::select(
            b"  aeyxqzAEUbKQZ0179@.-_#*<>".to_vec()), 0..60)
    ) {
        assert_eq!(ascii_template(&s), text_template(&s));
    }
}

#[test]
fn ascii_templates_equal_char_templates_on_long_runs() {
    for s in [
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa x",
        "Abcdefghijklmnopqrstuvwxyzabc",
        "Invoice 4471 ref A7X9QZ",
        "a@b x@y.Z @z q@ MP3 2FA",
        "",
        " ",
    ] {
        assert_eq!(
            ascii_template(s.as_bytes()),
            text_template(s.as_bytes()),
            "{s:?}"
        );
    }
}

/// A subject kept as bytes keeps them in its template, written `\xNN`: it reads as the
/// message's subject reads, and stays text a query can name exactly (U+FFFD did neither).
#[test]
fn a_subject_that_is_not_utf8_keeps_its_bytes() {
    let t = subject_template(b"\xff\xfe\x1b\x80 cheap 4471 \xe9t\xe9").expect("template");
    assert_eq!(t, b"\\xff\\xfe\x1b\\x80 cheap # \\xe9t\\xe9");
    let mixed = [&b"Prix 12 "[..], "€".as_bytes(), b" \xff"].concat();
    let want = [&b"Prix # "[..], "€".as_bytes(), b" \\xff"].concat();
    assert_eq!(subject_template(&mixed).expect("template"), want);
    assert_ne!(
        subject_template(b"\xff\xfe promo"),
        subject_template(b"\xfe\xff promo")
    );
}

/// An ezmlm list's posts: each post's sender is qmail's VERP request `LIST-return-N-@DOMAIN-@[]`
/// (qmail-send writes each recipient into it). Forty posts were forty "names" at the domain
/// `[]`, one generalised pattern `<random>@[]`, and the list's real mail a forged-sender
/// culprit (the `list-host` mix, 40 real messages planned for the yank).
#[test]
fn qmail_verp_requests_are_never_generalised() {
    let senders: Vec<(String, usize)> = (100..140)
        .map(|n| (format!("announce-return-{n}-@example.com-@[]"), 1))
        .collect();
    let refs: Vec<(&str, usize)> = senders.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    let t = table(&refs, &["example.com"]);
    for (s, _) in &refs {
        assert_eq!(pat(&t, s), *s);
    }
    assert!(t.is_empty(), "{t:?}");
}

/// qmail-smtpd takes MAIL FROM as given: a flood of `-@[]` senders from outside, or a list
/// shape at a domain not ours, is no list of this server's and is generalised as any other
/// (found by a review).
#[test]
fn forged_verp_shaped_senders_are_generalised() {
    let forged: Vec<String> = (100..140).map(|n| format!("k{n}x9-@[]")).collect();
    let refs: Vec<(&str, usize)> = forged.iter().map(|s| (s.as_str(), 1)).collect();
    let t = table(&refs, &["example.com"]);
    assert_eq!(pat(&t, "k100x9-@[]"), "<random>@[]");
    let elsewhere: Vec<String> = (100..140)
        .map(|n| format!("news-return-{n}-@lists.elsewhere.example-@[]"))
        .collect();
    let refs: Vec<(&str, usize)> = elsewhere.iter().map(|s| (s.as_str(), 1)).collect();
    let t = table(&refs, &["example.com"]);
    assert_eq!(pat(&t, &elsewhere[0]), "<random>@[]");
}

/// A dual-stack listener's IPv4 clients (`::ffff:a.b.c.d`) fall in their /24, as when written
/// plainly: before, all of them were one network, `::/64`.
#[test]
fn an_ipv4_mapped_client_is_in_its_ipv4_network() {
    let net = |ip: &str| network(ip.as_bytes()).map(|n| String::from_utf8(n).expect("utf-8"));
    assert_eq!(
        net("::ffff:193.32.162.10").as_deref(),
        Some("193.32.162.0/24")
    );
    assert_eq!(net("::ffff:45.95.169.3").as_deref(), Some("45.95.169.0/24"));
    assert_eq!(net("193.32.162.10").as_deref(), Some("193.32.162.0/24"));
    assert_eq!(
        net("2001:db8:1:2:3:4:5:6").as_deref(),
        Some("2001:db8:1:2::/64")
    );
}

#[test]
fn a_network_s_block_is_its_16_or_its_ipv6_32() {
    assert_eq!(block(b"198.51.100.0/24"), Some(&b"198.51"[..]));
    assert_eq!(block(b"2001:db8:1:2::/64"), Some(&b"2001:db8"[..]));
    assert_eq!(block(b"garbage"), None);
}
