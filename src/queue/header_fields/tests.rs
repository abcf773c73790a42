//! The thread's memory answers exactly what the full path gives, on hostile input too.

use std::borrow::Cow;

use proptest::prelude::*;

use super::*;

/// The header fields of a summary holding `v` as Subject, From and X-Mailer, through `last`.
fn fields_of(strings: &Interner, last: &mut LastSyms, v: &[u8]) -> HeaderFields {
    let s = HeaderSummary {
        subject: Some(Cow::Borrowed(v)),
        from_raw: Some(v),
        mailer: Some(Cow::Borrowed(v)),
        ..HeaderSummary::default()
    };
    header_fields(&s, &mut Syms { strings, last })
}

/// What [`fields_of`] gives when every field is computed, nothing remembered.
fn computed(strings: &Interner, v: &[u8]) -> HeaderFields {
    let [subject_raw, subject] = subject_syms(strings, v);
    let [from, from_name] = from_syms(strings, v);
    HeaderFields {
        subject_raw,
        subject,
        from,
        from_name,
        mailer: trimmed_sym(strings, v),
        ..HeaderFields::default()
    }
}

/// Every input through one memory, in `order`, equals each computed afresh, and the second
/// time round too (all answered from memory where kept).
fn assert_memo_exact(inputs: &[Vec<u8>], order: &[usize]) {
    let strings = Interner::new();
    let mut shared = LastSyms::default();
    for _ in 0..2 {
        for &i in order {
            let v = &inputs[i % inputs.len()];
            assert_eq!(
                fields_of(&strings, &mut shared, v),
                computed(&strings, v),
                "input {:?}",
                String::from_utf8_lossy(v)
            );
        }
    }
}

/// Subjects and From fields a hostile sender writes: encoded words (good, broken, folded),
/// raw 8-bit text, quoting, control bytes, blank and overlong values, and values that differ
/// from one another only in case or whitespace.
fn hostile() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        &b" Dispute Transaction"[..],
        b" Dispute Transaction ",
        b" dispute transaction",
        b" =?windows-1251?B?z/Do4uXy?=",
        b" =?windows-1251?B?z/Do4uXy?= ",
        b" =?UTF-8?Q?Re:_Your_?=\n =?UTF-8?Q?account?=",
        b" =?UTF-8?B?broken",
        b" =?x?q?=ff?=",
        b" \xd1\xea\xe8\xe4\xea\xe0 42%",
        b" \xff\xfe",
        b"",
        b" ",
        b"\t\r",
        b" a\0b",
        b" \x1b[2Jclear",
        b"From: \"PayPal\"<support@PayPal.Inc.com>\n",
        b"From: \"PayPal\" <support@PayPal.Inc.com>\n",
        b"From: <a@b.example>\n",
        b"From: a@b.example\n",
        b"From: \"=?UTF-8?B?QWxpY2U=?=\" <alice@example.com>\n",
        b"From: Bob (comment) <bob@example.com>\n",
        b"From: a@b, c@d\n",
        b"From: group: a@b;\n",
        b"From: \"unterminated <x@y>\n",
        b"From:\n <folded@example.com>\n",
    ]
    .iter()
    .map(|b| b.to_vec())
    .collect();
    v.push(vec![b'x'; MAX_REMEMBERED_PLUS]);
    let mut long = b" =?UTF-8?B?".to_vec();
    long.extend(std::iter::repeat_n(b'Q', 5000));
    v.push(long);
    v
}

/// Longer than the memory keeps.
const MAX_REMEMBERED_PLUS: usize = 300;

#[test]
fn hostile_fields_from_memory_equal_the_full_path() {
    let mut inputs = hostile();
    // More values of one length than the memory has entries: some share an entry, and
    // must not be taken for one another.
    inputs.extend((0..1000).map(|i| format!(" Security alert {i:04}").into_bytes()));
    let order: Vec<usize> = (0..inputs.len()).chain((0..inputs.len()).rev()).collect();
    assert_memo_exact(&inputs, &order);
}

#[test]
fn a_decoded_subject_comes_back_from_memory() {
    let strings = Interner::new();
    let mut last = LastSyms::default();
    let first = fields_of(&strings, &mut last, b" =?windows-1251?B?z/Do4uXy?=");
    let again = fields_of(&strings, &mut last, b" =?windows-1251?B?z/Do4uXy?=");
    assert_eq!(first, again);
    assert_eq!(
        again.subject.map(|s| strings.text(s)).as_deref(),
        Some("Привет")
    );
}

/// Bytes that steer the decoders and parsers down their different paths.
const ALPHABET: &[u8] = b"  aB1=?_<>\"@:,;()\\\n\r\t\x00\x80\xd1\xe0\xff";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_fields_from_memory_equal_the_full_path(
        inputs in prop::collection::vec(
            prop::collection::vec(prop::sample::select(ALPHABET), 0..40), 1..8),
        order in prop::collection::vec(0usize..8, 1..40),
    ) {
        assert_memo_exact(&inputs, &order);
    }
}

#[test]
fn one_organisations_domains_are_one() {
    assert!(same_domain(b"support@help.example.com", b"x@example.com"));
    assert!(same_domain(b"a@EXAMPLE.com.", b"b@mail.example.com"));
    assert!(!same_domain(
        b"win@spammer.example.net",
        b"sales@example.com"
    ));
    assert!(same_domain(b"no domain", b"sales@example.com"));
}
