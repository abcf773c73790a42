//! Tests of the Received-line parsers, and of them against byte-at-a-time references.

use proptest::prelude::*;

use super::*;

#[test]
fn queue_line_dates() {
    // 2026-11-23 10:11:17 UTC
    assert_eq!(
        queue_line_date(b" (qmail 5941 invoked from network); 23 Nov 2026 10:11:17 -0000\r"),
        Some(1_795_428_677)
    );
    for odd in [
        &b" (qmail 1 invoked for bounce); x"[..],
        b"(qmail 1 invoked by uid 0) 23 Nov 2026 10:11:17 -0000",
        b"from mx.example ([10.0.0.1]); 23 Nov 2026 10:11:17 -0000",
        b"(qmail 1 invoked by uid 0); 23 Nov 2026 10:11:17 +0200",
    ] {
        assert_eq!(
            queue_line_date(odd),
            None,
            "{}",
            String::from_utf8_lossy(odd)
        );
    }
}

#[test]
fn queue_lines() {
    let l = parse_queue_line(b" (qmail 5941 invoked from network); 23 Nov 2026 10:11:17 -0000");
    assert_eq!(
        l,
        Some(QueueLine {
            pid: 5941,
            invoked: Invoked::FromNetwork
        })
    );
    let l = parse_queue_line(b" (qmail 7292 invoked by uid 48); 23 Nov 2026 10:11:21 -0000");
    assert_eq!(l.map(|l| l.invoked), Some(Invoked::ByUid(48)));
    assert_eq!(
        parse_queue_line(b" (qmail 1 invoked for bounce); x").map(|l| l.invoked),
        Some(Invoked::ForBounce)
    );
    assert_eq!(parse_queue_line(b" from evil.example by x"), None);
    assert_eq!(
        parse_queue_line(b" (qmail 99999999999 invoked by uid 1); x"),
        None
    );
}

#[test]
fn stock_hop_without_login() {
    let h = parse_smtp_hop(b" from unknown (HELO mx3.remote.example) (209.85.220.41)  by mail.example.com with SMTP; 23 Nov 2026 10:11:17 -0000").expect("hop");
    assert_eq!(h.host, b"unknown");
    assert_eq!(h.helo, Some(&b"mx3.remote.example"[..]));
    assert_eq!(h.ip, b"209.85.220.41");
    assert_eq!(h.info, None);
    assert!(!h.is_authenticated());
}

#[test]
fn esmtpa_login() {
    let h = parse_smtp_hop(
        b" from unknown (HELO User) (test@86.107.221.138)  by mail.example.com with ESMTPA; x",
    )
    .expect("hop");
    assert_eq!(h.info, Some(&b"test"[..]));
    assert_eq!(h.ip, b"86.107.221.138");
    assert!(h.is_authenticated());
}

#[test]
fn vpopmail_login_with_plain_smtp_splits_at_last_at() {
    let h = parse_smtp_hop(
        b" from unknown (test@example.com@41.203.18.7)  by mail.example.com with SMTP; x",
    )
    .expect("hop");
    assert_eq!(h.info, Some(&b"test@example.com"[..]));
    assert_eq!(h.ip, b"41.203.18.7");
    assert_eq!(h.helo, None);
    assert!(h.is_authenticated());
}

#[test]
fn tls_authenticated() {
    let h = parse_smtp_hop(b" from unknown (HELO x) (sales@190.12.44.201)  by mail with ESMTPSA (TLS_AES_256_GCM_SHA384 encrypted, authenticated); x").expect("hop");
    assert!(h.says_authenticated && h.is_authenticated());
    let h = parse_smtp_hop(b" from a (b@1.2.3.4)  by mail with ESMTPS (TLS encrypted); x")
        .expect("hop");
    assert!(h.is_weak_auth());
}

#[test]
fn hostile_hops_do_not_panic() {
    for v in [
        &b""[..],
        b"from",
        b"from (",
        b"from x (HELO",
        b"from x ((((",
        b"from x () by",
        b"from x (@) with",
    ] {
        let _ = parse_smtp_hop(v);
    }
}

/// [`parse_smtp_hop`] as first written, one byte at a time: what the searching one must equal.
fn parse_smtp_hop_by_bytes(value: &[u8]) -> Option<SmtpHop<'_>> {
    fn token(v: &[u8]) -> (&[u8], &[u8]) {
        let end = v.iter().position(|&b| b == b' ').unwrap_or(v.len());
        (&v[..end], &v[end..])
    }
    fn paren(v: &[u8]) -> Option<(&[u8], &[u8])> {
        let v = v.strip_prefix(b"(")?;
        let close = v.iter().position(|&b| b == b')')?;
        Some((&v[..close], &v[close + 1..]))
    }
    let v = skip_ws(value).strip_prefix(b"from ")?;
    let (host, mut v) = token(v);
    let mut hop = SmtpHop {
        host,
        ..SmtpHop::default()
    };
    v = skip_ws(v);
    if v.starts_with(b"(HELO ") {
        let (inner, rest) = paren(v)?;
        hop.helo = Some(&inner[5..]);
        v = skip_ws(rest);
    }
    let (addr, rest) = paren(v)?;
    match addr.iter().rposition(|&b| b == b'@') {
        Some(at) => {
            hop.info = Some(&addr[..at]);
            hop.ip = &addr[at + 1..];
        }
        None => hop.ip = addr,
    }
    v = skip_ws(rest);
    if let Some(rest) = v.strip_prefix(b"by ") {
        let (local, rest) = token(rest);
        hop.local = Some(local);
        v = skip_ws(rest);
    }
    if let Some(rest) = v.strip_prefix(b"with ") {
        let end = rest
            .iter()
            .position(|&b| b == b' ' || b == b';')
            .unwrap_or(rest.len());
        hop.protocol = Some(&rest[..end]);
        if let Some((inner, _)) = paren(skip_ws(&rest[end..])) {
            hop.says_authenticated = inner.windows(13).any(|w| w == b"authenticated");
        }
    }
    Some(hop)
}

/// Bytes hop lines' tokens are made of, the ones that end tokens among them.
const HOP_BYTES: &[u8] = b"aA1.@@ ;()\tauthenticated";

/// A token of [`HOP_BYTES`].
fn hop_token() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(HOP_BYTES), 0..16)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Lines shaped like qmail-smtpd's, each part optional and each token hostile.
    #[test]
    fn hop_parser_equals_the_byte_at_a_time_one(
        host in hop_token(),
        helo in prop::option::of(hop_token()),
        addr in hop_token(),
        by in prop::option::of(hop_token()),
        with in prop::option::of(hop_token()),
        tls in prop::option::of(prop_oneof![
            hop_token(),
            prop::sample::select(vec![
                b"TLS encrypted, authenticated".to_vec(),
                b"authenticate".to_vec(),
                b"x authenticated) y".to_vec(),
            ]),
        ]),
        tail in hop_token(),
    ) {
        let mut v = b" from ".to_vec();
        v.extend_from_slice(&host);
        if let Some(h) = helo {
            v.extend_from_slice(b" (HELO ");
            v.extend_from_slice(&h);
            v.push(b')');
        }
        v.extend_from_slice(b" (");
        v.extend_from_slice(&addr);
        v.extend_from_slice(b")  ");
        if let Some(b) = by {
            v.extend_from_slice(b"by ");
            v.extend_from_slice(&b);
            v.push(b' ');
        }
        if let Some(w) = with {
            v.extend_from_slice(b"with ");
            v.extend_from_slice(&w);
        }
        if let Some(t) = tls {
            v.extend_from_slice(b" (");
            v.extend_from_slice(&t);
            v.push(b')');
        }
        v.extend_from_slice(&tail);
        prop_assert_eq!(parse_smtp_hop(&v), parse_smtp_hop_by_bytes(&v));
    }

    #[test]
    fn queue_lines_never_panic(v in prop::collection::vec(
        prop::sample::select(&b"(qmail 12 invoked by uid from network)"[..]), 0..48)
    ) {
        let _ = parse_queue_line(&v);
    }
}

#[test]
fn protocol_words_that_say_the_client_logged_in() {
    for yes in ["ESMTPA", "ESMTPSA", "esmtpsa", "LMTPA", "UTF8SMTPSA"] {
        assert!(is_authenticated(yes.as_bytes()), "{yes}");
    }
    for no in ["ESMTP", "SMTP", "ESMTPS", "A", "HTTPA", ""] {
        assert!(!is_authenticated(no.as_bytes()), "{no}");
    }
}

/// The pid and uid as `str::parse::<u32>` reads them, which `decimal_u32` replaced.
fn assert_decimal_as_parse(s: &[u8]) {
    let parse = std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<u32>().ok());
    assert_eq!(
        super::decimal_u32(s),
        parse,
        "{:?}",
        String::from_utf8_lossy(s)
    );
}

#[test]
fn decimals_read_as_str_parse_reads_them() {
    for s in [
        &b""[..],
        b"0",
        b"00",
        b"+",
        b"+0",
        b"++1",
        b"-",
        b"-0",
        b"-1",
        b" 1",
        b"1 ",
        b"12a",
        b"4294967295",
        b"+4294967295",
        b"04294967295",
        b"4294967296",
        b"42949672950",
        b"99999999999",
        b"\xff1",
    ] {
        assert_decimal_as_parse(s);
    }
}

proptest::proptest! {
    #[test]
    fn decimals_read_as_str_parse_reads_them_generated(
        s in proptest::collection::vec(proptest::sample::select(&b"+-0123456789 \xff"[..]), 0..14)
    ) {
        assert_decimal_as_parse(&s);
    }
}
