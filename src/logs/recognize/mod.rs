//! Recognizers: one small function per log format, turning a line's text into a [`LogEvent`].
//!
//! Every format is documented with a sample line in docs/logs.md. The input is the text after
//! the timestamp (and syslog host); [`Tagged::split`] separates a syslog/multilog program tag
//! (`vchkpw-pop3[77]: `, `tcpserver: `) from the message. A line no recognizer takes is counted
//! as unknown by the caller, never an error.

pub mod login;
pub mod qmail;
pub mod smtpd;

use std::net::IpAddr;

use super::event::LogEvent;

/// Longest program tag taken as one (`courierpop3login`, `vchkpw-submission`...).
const MAX_TAG_LEN: usize = 48;

/// A line's text split into its program tag and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tagged<'a> {
    /// `vchkpw-pop3`, `tcpserver`, `dovecot`...; `None` for untagged multilog lines (CHKUSER,
    /// qmail-send).
    pub prog: Option<&'a str>,
    /// The rest.
    pub msg: &'a str,
}

impl<'a> Tagged<'a> {
    /// Split `prog[pid]: msg` or `prog: msg`. A first word without the colon is no tag.
    pub fn split(text: &'a str) -> Tagged<'a> {
        let untagged = Tagged {
            prog: None,
            msg: text,
        };
        let Some(colon) = text.find(": ") else {
            return untagged;
        };
        let tag = &text[..colon];
        if tag.is_empty() || tag.len() > MAX_TAG_LEN || tag.contains(' ') {
            return untagged;
        }
        let prog = match tag.find('[') {
            Some(b) if tag.ends_with(']') => &tag[..b],
            Some(_) => return untagged,
            None => tag,
        };
        Tagged {
            prog: Some(prog),
            msg: &text[colon + 2..],
        }
    }
}

/// Recognize one line's text (after the stamp). `None`: unknown.
pub fn recognize(text: &str) -> Option<LogEvent> {
    let t = Tagged::split(text);
    let t = qmail::strip_splogger(t);
    match t.prog {
        Some("tcpserver") => qmail::tcpserver(t.msg),
        Some(p) if p.starts_with("vchkpw") => login::vchkpw(p, t.msg),
        Some(p) if p.starts_with("dovecot") => login::dovecot(t.msg),
        Some(p)
            // `imapd-ssl`, `pop3d-ssl`: Courier's TLS daemons log as themselves (review53b).
            if p.starts_with("courier")
                || p.starts_with("pop3d")
                || p.starts_with("imapd")
                || p.ends_with("login") =>
        {
            login::courier(p, t.msg)
        }
        _ => None,
    }
    .or_else(|| smtpd::chkuser(t.msg))
    .or_else(|| smtpd::auth_patch(t.msg))
    .or_else(|| smtpd::spamcontrol(t.msg))
    .or_else(|| qmail::qmail_send(t.msg))
    // Dovecot's own log file has no `dovecot:` tag: `pop3-login: Info: Login: ...`.
    .or_else(|| {
        t.prog
            .filter(|p| p.ends_with("-login"))
            .and_then(|_| login::dovecot(text))
    })
}

/// Parse an IP, mapping `::ffff:1.2.3.4` to `1.2.3.4` so one client has one key.
pub fn ip(s: &str) -> Option<IpAddr> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The text between `open` and the next `close` after it; and the rest after `close`.
pub fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<(&'a str, &'a str)> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some((&s[start..start + len], &s[start + len + close.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_with_and_without_pid() {
        assert_eq!(
            Tagged::split("vchkpw-pop3[77]: password fail x"),
            Tagged {
                prog: Some("vchkpw-pop3"),
                msg: "password fail x"
            }
        );
        assert_eq!(
            Tagged::split("tcpserver: pid 1 from 1.2.3.4"),
            Tagged {
                prog: Some("tcpserver"),
                msg: "pid 1 from 1.2.3.4"
            }
        );
        assert_eq!(Tagged::split("CHKUSER accepted rcpt: from <a>").prog, None);
        assert_eq!(Tagged::split("info msg 1: bytes 2").prog, None);
        assert_eq!(Tagged::split("weird[: x").prog, None);
    }

    #[test]
    fn mapped_ipv6_becomes_ipv4() {
        assert_eq!(ip("[::ffff:82.128.32.42]"), ip("82.128.32.42"));
        assert!(ip("2001:db8::1").is_some_and(|i| i.is_ipv6()));
        assert_eq!(ip("unknown"), None);
    }

    #[test]
    fn unknown_lines_are_none() {
        for line in [
            "",
            "status: local 0/10 remote 3/20",
            "hello world",
            "\u{1b}[2J",
            "tcpserver: garbage",
        ] {
            assert_eq!(recognize(line), None, "{line:?}");
        }
    }
}
