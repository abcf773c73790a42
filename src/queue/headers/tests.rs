//! Tests of header parsing, and of the plain fast paths against mailparse.

use super::*;

const SEED: &[u8] = b"Received: (qmail 10728 invoked from network); 22 Jul 2008 19:40:46 +0300\n\
Received: from unknown (HELO User) (86.107.221.138)\n  by domain.com with SMTP; 22 Jul 2008 19:40:46 +0300\n\
Reply-To: <support@PayPal.Inc.com>\n\
From: \"PayPal\"<support@PayPal.Inc.com>\n\
Subject: Dispute Transaction\n\
Content-Type: text/html;\n        charset=\"Windows-1251\"\n\
X-Mailer: Microsoft Outlook Express 6.00.2600.0000\n\nbody\n";

#[test]
fn header_ends_at_first_blank_line() {
    let end = header_end(SEED).expect("has an end");
    assert!(SEED[..end].ends_with(b"6.00.2600.0000\n"));
    assert_eq!(header_end(b"\nbody"), Some(0));
    assert_eq!(header_end(b"Subject: x\r\n\r\nbody"), Some(12));
    assert_eq!(header_end(b"Subject: no end"), None);
    assert_eq!(header_end(b"A: 1\nB: 2\r\n\r\nC\n\n"), Some(11));
    assert_eq!(header_end(b"A: 1\n\nB: 2\r\n\r\n"), Some(5));
    assert_eq!(header_end(b"A: 1\n\r"), None);
}

/// The first line break followed by a blank line, one line at a time: what [`header_end`]
/// finds in two passes.
fn header_end_by_lines(buf: &[u8]) -> Option<usize> {
    if buf.starts_with(b"\n") || buf.starts_with(b"\r\n") {
        return Some(0);
    }
    memchr::memchr_iter(b'\n', buf).find_map(|nl| {
        let rest = &buf[nl + 1..];
        (rest.starts_with(b"\n") || rest.starts_with(b"\r\n")).then_some(nl + 1)
    })
}

#[test]
fn seed_message_summary() {
    let s = summarize(&SEED[..header_end(SEED).expect("end")]);
    assert_eq!(
        s.hop_received.map(|v| v.unfolded()).as_deref(),
        Some(&b" from unknown (HELO User) (86.107.221.138)  by domain.com with SMTP; 22 Jul 2008 19:40:46 +0300"[..])
    );
    assert_eq!(s.subject.as_deref(), Some(&b" Dispute Transaction"[..]));
    let (addr, name) = parse_from(s.from_raw.expect("from"));
    assert_eq!(addr.as_deref(), Some("support@PayPal.Inc.com"));
    assert_eq!(name.as_deref(), Some("PayPal"));
    assert_eq!(s.garbage_lines, 0);
}

#[test]
fn rfc2047_windows_1251_and_folded_words() {
    assert_eq!(decode_text(b" =?windows-1251?B?z/Do4uXy?="), "Привет");
    assert_eq!(
        decode_text(b" =?UTF-8?Q?Re:_Your_?=\n =?UTF-8?Q?account?="),
        "Re: Your account"
    );
}

#[test]
fn garbage_lines_are_counted_and_fields_are_bounded() {
    let mut h = b"no colon here\n\x1b[2J\n".to_vec();
    for i in 0..(MAX_FIELDS + 50) {
        h.extend_from_slice(format!("X-{i}: v\n").as_bytes());
    }
    let mut it = fields(&h);
    assert_eq!(it.by_ref().count(), MAX_FIELDS);
    assert_eq!(it.garbage, 2);
}

/// Both paths of `parse_from` and `decode_text` agree on `raw` (a whole From field) and on its
/// value as a subject.
fn assert_same(raw: &[u8]) {
    assert_eq!(
        parse_from(raw),
        parse_from_mailparse(raw),
        "From {:?}",
        String::from_utf8_lossy(raw)
    );
    let value = raw.splitn(2, |&b| b == b':').nth(1).unwrap_or(raw);
    let value = unfold(trim_eol(value));
    assert_eq!(
        decode_text_cow(&value),
        decode_text_mailparse(&value),
        "Subject {:?}",
        String::from_utf8_lossy(&value)
    );
}

#[test]
fn plain_paths_take_the_common_forms() {
    let common: &[&[u8]] = &[
        b"From: <fward43@cheapmeds-online.biz>\n",
        b"From: \"PayPal\"<support@PayPal.Inc.com>\n",
        b"From: \"Account Service\" <service@secure-bank-login.com>\n",
        b"From: MAILER-DAEMON@mail.example.com\n",
        b"From: Alice Smith <alice@example.com>\r\n",
        b"From:nospace@example.com",
    ];
    for raw in common {
        assert!(plain::parse_from_plain(raw).is_some(), "{raw:?}");
        assert_same(raw);
    }
    let (addr, name) = parse_from(b"From: \"Account  Service \" <a@b.example>\n");
    assert_eq!(
        (addr.as_deref(), name.as_deref()),
        (Some("a@b.example"), Some("Account Service"))
    );
    assert!(plain::decode_plain(b" Security alert 6505").is_some());
    assert!(plain::decode_plain(b" =?UTF-8?B?R3LDvMOfZQ==?=").is_none());
}

#[test]
fn plain_paths_equal_mailparse_on_odd_forms() {
    let odd: &[&[u8]] = &[
        b"From:\n",
        b"From:    \n",
        b"From: <>\n",
        b"From: <no-at>\n",
        b"From: no-at-sign\n",
        b"From: two words\n",
        b"From: two words@example.com\n",
        b"From: a@b, c@d\n",
        b"From: group: a@b, c@d;\n",
        b"From: \"quoted \\\"escape\\\"\" <a@b>\n",
        b"From: \"unterminated <a@b>\n",
        b"From: \"name\" a@b\n",
        b"From: \"name\" <a@b> trailing\n",
        b"From: \"name\" <a@b>   \n",
        b"From: name <a@b> (comment)\n",
        b"From: (comment) a@b\n",
        b"From: name <a@b\n",
        b"From: <a@b> <c@d>\n",
        b"From: <a b@c>\n",
        b"From: <<a@b>>\n",
        b"From: name <>\n",
        b"From: \"\" <a@b>\n",
        b"From: \"  \" <a@b>\n",
        b"From: \"a <b> , c\" <d@e>\n",
        b"From: =?UTF-8?B?R3LDvMOfZQ==?= <a@b>\n",
        b"From: \"=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\" <a@b>\n",
        b"From: x=?y <a@b>\n",
        b"From: na\tme <a@b>\n",
        b"From: name\r <a@b>\n",
        b"From: a@b\r\r\n",
        b"From: folded\n <a@b>\n",
        b"From: <a@b>\nSubject: next field\n",
        b"From: J\xc3\xbcrgen <j@b>\n",
        b"From: J\xfcrgen <j@b>\n",
        b"From: \x1b[2J <a@b>\n",
        b"From: a@[1.2.3.4]\n",
        b"From; no colon\n",
        b" From: leading space\n",
        b"",
        b":",
        b"Fr\nom: <a@b>\n",
        b"From: ;\n",
        b"From: <a@b>;\n",
        b"From: name: <a@b>\n",
    ];
    for raw in odd {
        assert_same(raw);
    }
    for s in [
        &b""[..],
        b"   ",
        b" a  b ",
        b"\ta\tb",
        b"a\x0bb",
        b"a\x0cb",
        b"x\r y",
        b"\xe2\x80\x83em space",
        b"\xff latin1",
        b"tail =?",
    ] {
        assert_eq!(decode_text_cow(s), decode_text_mailparse(s), "{s:?}");
    }
    let long = [b'a'; MAX_DECODE + 10];
    assert_same(&[b"From: ".as_slice(), &long, b"@b\n"].concat());
    assert_same(&[b"From: <".as_slice(), &long, b"@b>\n"].concat());
}

/// Every From and Subject of the hostile fixture queue and of a generated flood.
#[test]
fn plain_paths_equal_mailparse_on_the_fixture_corpora() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (hostile, _) =
        crate::fixture::hostile::build(&dir.path().join("hostile")).expect("hostile");
    let flood = crate::fixture::QueueBuilder::new(dir.path().join("flood"))
        .create()
        .expect("queue");
    crate::fixture::flood::write_flood(
        &flood,
        &crate::fixture::flood::FloodSpec::new(600, 3, 1_795_431_600),
    )
    .expect("flood");
    let mut seen = 0;
    for root in [hostile.root(), flood.root()] {
        for e in walkdir::WalkDir::new(root.join("mess"))
            .into_iter()
            .flatten()
        {
            if !e.file_type().is_file() {
                continue;
            }
            let bytes = std::fs::read(e.path()).expect("read");
            let bytes = &bytes[..bytes.len().min(HEADER_CAP)];
            let header = &bytes[..header_end(bytes).unwrap_or(bytes.len())];
            for f in fields(header).filter(|f| f.is("from") || f.is("subject")) {
                assert_same(f.raw);
                seen += 1;
            }
        }
    }
    assert!(seen > 1000, "{seen} fields compared");
}

proptest::proptest! {
    #[test]
    fn plain_paths_equal_mailparse_on_generated_fields(
        value in proptest::collection::vec(proptest::sample::select(
            b" \t\r\n\"<>,;:()\\[]=?@aZ.\xc3\xa9\x0b".to_vec()), 0..24)
    ) {
        assert_same(&[b"From: ".as_slice(), &value, b"\n"].concat());
        assert_same(&[b"From:".as_slice(), &value].concat());
    }
}

proptest::proptest! {
    /// The four plain forms with names and addresses that are mostly plain: the fast path's
    /// own ground.
    #[test]
    fn plain_paths_equal_mailparse_on_generated_forms(
        form in 0..4usize,
        name in proptest::collection::vec(proptest::sample::select(b"  ab\"<@.,\\=?".to_vec()), 0..8),
        addr in proptest::collection::vec(proptest::sample::select(b"ab@@. >".to_vec()), 0..8),
        end in proptest::sample::select(vec![&b""[..], b"\n", b"\r\n", b"  \n"]),
    ) {
        let value = match form {
            0 => [&b"\""[..], &name, b"\" <", &addr, b">"].concat(),
            1 => [&name[..], b" <", &addr, b">"].concat(),
            2 => [&b"<"[..], &addr, b">"].concat(),
            _ => addr.clone(),
        };
        assert_same(&[b"From: ".as_slice(), &value, end].concat());
    }
}

#[test]
fn field_names_are_printable_ascii_before_the_first_colon() {
    let h = b"ok: 1\nna me: 2\n: 3\n\x7f: 4\nno colon\nx:y\nA-B_c.d: 5\n";
    let mut it = fields(h);
    let names: Vec<&[u8]> = it.by_ref().map(|f| f.name).collect();
    assert_eq!(names, [&b"ok"[..], b"x", b"A-B_c.d"]);
    assert_eq!(it.garbage, 4);
}

proptest::proptest! {
    #[test]
    fn header_end_equals_the_line_by_line_search(
        buf in proptest::collection::vec(proptest::sample::select(&b"\n\rA: "[..]), 0..64)
    ) {
        proptest::prop_assert_eq!(header_end(&buf), header_end_by_lines(&buf));
    }
}

proptest::proptest! {
    /// A value handed out unsearched (its field said it had one line) is what unfolding gives.
    #[test]
    fn values_are_the_unfolded_text_after_the_colon(
        header in proptest::collection::vec(
            proptest::sample::select(&b"\n\r\t A:a"[..]), 0..64)
    ) {
        let mut buf = b"left over".to_vec();
        for f in fields(&header) {
            let after = &f.raw[f.name.len() + 1..];
            proptest::prop_assert_eq!(&f.value, &unfold(trim_eol(after)));
        }
        let mut it = fields(&header);
        while let Some(f) = it.next_raw() {
            let raw = trim_eol(&f.raw[f.colon + 1..]);
            let unfolded = unfold(raw);
            let v = Value { raw, folded: f.folded };
            proptest::prop_assert_eq!(v.unfolded(), unfolded.clone());
            proptest::prop_assert_eq!(v.unfold_into(&mut buf), &unfolded[..]);
        }
    }
}

#[test]
fn one_line_and_folded_values() {
    let h = b"A: one\nB: two\r\nC: three\n  more\r\n\tend\nD: last";
    let values: Vec<Cow<'_, [u8]>> = fields(h).map(|f| f.value).collect();
    let want: [&[u8]; 4] = [b" one", b" two", b" three  more\tend", b" last"];
    assert_eq!(values, want.map(Cow::Borrowed));
    assert!(matches!(values[0], Cow::Borrowed(_)) && matches!(values[2], Cow::Owned(_)));
}

/// What [`summarize_block`] must give: the block cut at [`header_end`], then summarized.
fn summarize_cut(buf: &[u8]) -> (String, Option<usize>) {
    let end = header_end(buf);
    let s = summarize(&buf[..end.unwrap_or(buf.len())]);
    (format!("{s:?}"), end)
}

#[test]
fn one_pass_finds_the_end_past_the_field_limit_and_in_every_form() {
    let many: Vec<u8> = (0..MAX_FIELDS + 40)
        .flat_map(|i| format!("X-F{i}: v\n").into_bytes())
        .collect();
    let forms: Vec<Vec<u8>> = vec![
        SEED.to_vec(),
        [&many[..], b"\nbody\n"].concat(),
        [&many[..], b"\r\nbody\n"].concat(),
        many.clone(),
        [&SEED[..20], b"\0", &SEED[20..]].concat(),
        b"\nSubject: body\n".to_vec(),
        b"Subject: a\n \n\t\nFrom: b\n\n".to_vec(),
        b"junk\r\n\r\nSubject: x\n\n".to_vec(),
        b"Subject: a\n\r\nSubject: b\n\n".to_vec(),
        b"Subject: no end".to_vec(),
    ];
    for buf in forms {
        let (s, end) = summarize_block(&buf);
        assert_eq!((format!("{s:?}"), end), summarize_cut(&buf), "{buf:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
    #[test]
    fn one_pass_summary_and_end_are_the_cut_blocks(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            &b"\n"[..], b"\r", b"\r\n", b" ", b"\t", b"\0", b"x", b":", b"Subject: s", b"From: a@b",
            b"Received: r", b"To: c@d", b"X-Mailer: m",
        ]), 0..40)
    ) {
        let buf = parts.concat();
        let (s, end) = summarize_block(&buf);
        proptest::prop_assert_eq!((format!("{s:?}"), end), summarize_cut(&buf));
    }
}
