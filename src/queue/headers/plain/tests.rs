//! The one-pass plain paths against the several-pass versions they replaced (kept here as the
//! reference), on the forms a flood writes, odd forms and generated fields.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::*;

/// The From fast path as it was before it checked its bytes in one pass.
fn parse_from_reference(raw: &[u8]) -> Option<(Option<&str>, Option<Cow<'_, str>>)> {
    let raw = &raw[..raw.len().min(MAX_DECODE)];
    if raw.first() == Some(&b' ') {
        return None;
    }
    let colon = memchr(b':', raw)?;
    if memchr(b'\n', &raw[..colon]).is_some() {
        return None;
    }
    let rest = &raw[colon + 1..];
    let line = match memchr(b'\n', rest) {
        Some(nl) if nl + 1 < rest.len() => return None,
        Some(nl) => &rest[..nl],
        None => rest,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.iter().all(|&b| (0x20..0x7f).contains(&b)) || has_encoded_word(line) {
        return None;
    }
    let v = std::str::from_utf8(line).ok()?.trim_matches(' ');
    if v.is_empty() {
        return Some((None, None));
    }
    let plain_addr = |a: &str| {
        memchr(b'@', a.as_bytes()).is_some() && !a.bytes().any(|b| b == b' ' || SPECIAL[b as usize])
    };
    if let Some(inner) = v.strip_prefix('<') {
        let a = inner.strip_suffix('>')?;
        return plain_addr(a).then_some((Some(a), None));
    }
    let (name, bracketed) = if let Some(inner) = v.strip_prefix('"') {
        let close = inner.find('"')?;
        let name = &inner[..close];
        if name.contains('\\') {
            return None;
        }
        (name, inner[close + 1..].trim_start_matches(' '))
    } else if let Some(lt) = v.find('<') {
        let name = v[..lt].trim_end_matches(' ');
        if has_special(name) {
            return None;
        }
        (name, &v[lt..])
    } else {
        return (!has_special(v)).then_some((Some(v), None));
    };
    let a = bracketed.strip_prefix('<')?.strip_suffix('>')?;
    plain_addr(a).then(|| (Some(a), Some(collapsed(name)).filter(|n| !n.is_empty())))
}

fn assert_from_same(raw: &[u8]) {
    let new = parse_from_plain(raw).map(|(a, n)| {
        (
            a.map(|a| std::str::from_utf8(a).expect("printable ASCII")),
            n,
        )
    });
    assert_eq!(
        new,
        parse_from_reference(raw),
        "{:?}",
        String::from_utf8_lossy(raw)
    );
}

/// Fields in the forms a flood writes and beside them (each the fast path's early exits).
const FROMS: &[&[u8]] = &[
    b"From: <fward43@cheapmeds-online.biz>\n",
    b"From: <fward43@cheapmeds-online.biz>\r\n",
    b"From:<a@b>",
    b"From:   <a@b>   \n",
    b"From: \"PayPal\"<support@PayPal.Inc.com>\n",
    b"From: \"Account Service\" <service@secure-bank-login.com>\n",
    b"From: MAILER-DAEMON@mail.example.com\n",
    b"From: Alice Smith <alice@example.com>\r\n",
    b"From: <>\n",
    b"From: <\n",
    b"From: >\n",
    b"From: <a>\n",
    b"From: <a@b\n",
    b"From: <a@b>>\n",
    b"From: <<a@b>>\n",
    b"From: <a b@c>\n",
    b"From: <a\tb@c>\n",
    b"From: <a@b>\r\r\n",
    b"From: <a@b>\n\n",
    b"From: <a@b>\n <c@d>\n",
    b"From: <a\n@b>\n",
    b"From: <a@b>\nSubject: x\n",
    b"From: <a=?b@c>\n",
    b"From: <a=b@c>\n",
    b"From: <a@b=>\n",
    b"From: <=?@b>\n",
    b"From: <prvs=1234=user@example.com>\n",
    b"From: <a\x7f@b>\n",
    b"From: <a\xc3\xa9@b>\n",
    b"From: <a\xe9@b>\n",
    b"From: <a@[1.2.3.4]>\n",
    b"From: <a,b@c>\n",
    b"From: <a@b> \r\n",
    b" From: <a@b>\n",
    b"Fr\nom: <a@b>\n",
    b"From <a@b>\n",
    b"From: x=?y <a@b>\n",
    b"From: =?y <a@b>\n",
    b"From:\n",
    b"From:    \n",
    b"",
    b":",
    b":\n",
];

#[test]
fn from_equals_the_several_pass_version_on_common_and_odd_forms() {
    for raw in FROMS {
        assert_from_same(raw);
    }
    let long = [b'a'; MAX_DECODE + 10];
    assert_from_same(&[b"From: <".as_slice(), &long, b"@b>\n"].concat());
    assert_from_same(&[b"From: <".as_slice(), &long[..MAX_DECODE - 12], b"@b>\n"].concat());
    // The fast path takes the flood's form at all.
    assert_eq!(
        parse_from_plain(b"From: <a@b>\n"),
        Some((Some(&b"a@b"[..]), None))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

    #[test]
    fn from_equals_the_several_pass_version_on_generated_fields(
        name in proptest::sample::select(vec![&b"From:"[..], b"From: ", b"From: <", b" From:", b"F\n:"]),
        value in proptest::collection::vec(proptest::sample::select(
            b" \t\r\n\"<>,;:()\\[]=?@aZ.\xc3\xa9\x0b\x7f".to_vec()), 0..24),
        end in proptest::sample::select(vec![&b""[..], b"\n", b"\r\n", b">\n", b"> \r\n", b"\n\n"]),
    ) {
        assert_from_same(&[name, &value, end].concat());
    }
}

/// The Subject fast path as it was before it checked its bytes in one pass.
fn decode_reference(value: &[u8]) -> Option<Cow<'_, str>> {
    let value = &value[..value.len().min(MAX_DECODE)];
    if memchr2(b'\n', b'\r', value).is_some() || has_encoded_word(value) {
        return None;
    }
    Some(collapsed(
        std::str::from_utf8(value).ok()?.trim_matches(' '),
    ))
}

fn assert_subject_same(value: &[u8]) {
    let reference = decode_reference(value);
    let new = decode_plain(value);
    assert_eq!(
        new.as_deref(),
        reference.as_deref().map(str::as_bytes),
        "{:?}",
        String::from_utf8_lossy(value)
    );
    // Borrowed where it was: a plain subject is interned once, not copied.
    assert_eq!(
        matches!(new, Some(Cow::Borrowed(_))),
        matches!(reference, Some(Cow::Borrowed(_))),
        "{:?}",
        String::from_utf8_lossy(value)
    );
}

#[test]
fn subject_equals_the_several_pass_version_on_common_and_odd_values() {
    for v in [
        &b" Security alert 6505"[..],
        b" Re: your order 8441",
        b"Re: your order 8441",
        b" =?windows-1251?B?0fe48iDt4CDu7+vg8vMguQ==?=",
        b" Lunch on Friday?",
        b" 1 = 2?",
        b" a=?b",
        b" tail =",
        b" =",
        b"",
        b" ",
        b"   ",
        b" a  b",
        b"  a b",
        b" a b  ",
        b" a b ",
        b"\ta b",
        b" a\tb",
        b" a\x0bb",
        b" a\x0cb",
        b" a\rb",
        b" a\nb",
        b" \xe2\x80\x83em space",
        b" R\xc3\xa9union",
        b" R\xc3\xa9union  lundi",
        b" \xff latin1",
        b" \xc3",
        b" a\x7fb",
        b" a\x00b",
    ] {
        assert_subject_same(v);
    }
    let long = [b'a'; MAX_DECODE + 10];
    assert_subject_same(&long);
    let mut cut = vec![b'a'; MAX_DECODE - 1];
    cut.extend_from_slice("\u{e9}".as_bytes());
    assert_subject_same(&cut);
    assert_eq!(
        decode_plain(b" Security alert 6505"),
        Some(Cow::Borrowed(&b"Security alert 6505"[..]))
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

    #[test]
    fn subject_equals_the_several_pass_version_on_generated_values(
        value in proptest::collection::vec(proptest::sample::select(
            b"   \t\r\n\x0b\x0c=?aZ.:\xc3\xa9\xe2\x80\x83\xff\x7f\x00".to_vec()), 0..24),
    ) {
        assert_subject_same(&value);
    }
}
