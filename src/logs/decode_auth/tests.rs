//! Unit tests of `crate::logs::decode_auth`.
use super::*;

fn one(t: &str) -> AuthExchange {
    let all = decode(t.as_bytes());
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap_or_default()
}

#[test]
fn seed_000_everything_on_one_line() {
    let ex = one("AUTH LOGIN 334 VXNlcm5hbWU6 dGVzdA== 334 UGFzc3dvcmQ6 dGVzdA==' 235 2.0.0 OK Authenticated");
    assert_eq!(ex.mechanism, Some(Mechanism::Login));
    assert_eq!(ex.user.as_deref(), Some(&b"test"[..]));
    assert_eq!(ex.password.as_deref(), Some(&b"test"[..]));
    assert_eq!((ex.reply, ex.is_success()), (Some(235), Some(true)));
}

#[test]
fn seed_001_log_markers_and_clear_text_variant() {
    let t = ">>> 250-host-name Hello remote-client [1.1.1.1].\n<<< AUTH LOGIN\n>>> 334 VXNlcm5hbWU6\n<<< dGVzdA==\n>>> 334 UGFzc3dvcmQ6\n<<< cGFzcw==\n>>> 235 2.0.0 Authentication successful\n<<< AUTH LOGIN\n>>> 334 Username:\n<<< test\n>>> 334 Password:\n<<< pass\n>>> 235 2.0.0 Authentication successful\n";
    let all = decode(t.as_bytes());
    assert_eq!(all.len(), 2);
    assert_eq!(
        (
            all[0].line,
            all[0].user.as_deref(),
            all[0].password.as_deref()
        ),
        (2, Some(&b"test"[..]), Some(&b"pass"[..]))
    );
    assert_eq!(
        (
            all[1].line,
            all[1].user.as_deref(),
            all[1].password.as_deref()
        ),
        (8, Some(&b"test"[..]), Some(&b"pass"[..]))
    );
}

#[test]
fn seed_002_capture_with_go_ahead() {
    let ex = one("220 ulise.domain.com ESMTP\nehlo User\n250-AUTH=LOGIN CRAM-MD5 PLAIN\n250-AUTH LOGIN CRAM-MD5 PLAIN\n250 8BITMIME\nAUTH LOGIN\n334 VXNlcm5hbWU6\ndGVzdA==\n334 UGFzc3dvcmQ6\nMTIzNDU=\n235 go ahead\n");
    assert_eq!(
        (
            ex.line,
            ex.user.as_deref(),
            ex.password.as_deref(),
            ex.reply
        ),
        (6, Some(&b"test"[..]), Some(&b"12345"[..]), Some(235))
    );
}

#[test]
fn plain_inline_and_after_334_and_failures() {
    // AHRlc3QAc2VjcmV0 = "\0test\0secret"
    let ex = one("AUTH PLAIN AHRlc3QAc2VjcmV0\n535 5.7.8 authentication failed");
    assert_eq!(
        (
            ex.mechanism,
            ex.user.as_deref(),
            ex.password.as_deref(),
            ex.is_success()
        ),
        (
            Some(Mechanism::Plain),
            Some(&b"test"[..]),
            Some(&b"secret"[..]),
            Some(false)
        )
    );
    let ex = one("AUTH PLAIN\n334\nAHRlc3QAc2VjcmV0\n235 ok");
    assert_eq!(
        (ex.user.as_deref(), ex.reply),
        (Some(&b"test"[..]), Some(235))
    );
    let ex = one("AUTH LOGIN dGVzdA==\n334 UGFzc3dvcmQ6\n*\n");
    assert_eq!(
        (ex.user.as_deref(), ex.password.as_deref(), ex.is_success()),
        (Some(&b"test"[..]), None, Some(false))
    );
}

#[test]
fn no_reply_visible_and_garbage() {
    let ex = one("AUTH LOGIN\n334 VXNlcm5hbWU6\ndGVzdA==\n334 UGFzc3dvcmQ6\n");
    assert_eq!((ex.user.as_deref(), ex.reply), (Some(&b"test"[..]), None));
    assert!(decode(b"\xff\xfe\x00 AUTH\x1b[2J 334 \n").is_empty());
    assert!(decode(b"").is_empty());
    assert_eq!(
        one("AUTH AUTH AUTH LOGIN dGVzdA==").user.as_deref(),
        Some(&b"test"[..])
    );
}

#[test]
fn prose_mentioning_auth_login_is_not_an_exchange() {
    let t = "commands at the end like: EHLO, AUTH LOGIN, etc..\nAs you may know, AUTH LOGIN here uses base 64 encoding.\nAUTH LOGIN 334 VXNlcm5hbWU6 dGVzdA== 334 UGFzc3dvcmQ6 dGVzdA==' 235";
    let ex = one(t);
    assert_eq!((ex.line, ex.user.as_deref()), (3, Some(&b"test"[..])));
}
