//! Recognizers for POP3/IMAP/SMTP login lines: vpopmail's vchkpw, Dovecot and Courier.
//!
//! vchkpw built with `--enable-logging=v` (levels 3 and 4) writes the tried password into the
//! line (`password fail (pass: 'xxx') ...`). It is cut out here, before anything is kept: no
//! event, report or output ever holds it.

use std::net::IpAddr;

use super::{between, ip};
use crate::logs::event::{Daemon, LogEvent, LoginEvent, LoginOutcome, Service};

/// Marker vchkpw puts before a logged password.
const PASS_OPEN: &str = "(pass: '";
/// What follows the password: the quote, the parenthesis and the space before the account.
const PASS_CLOSE: &str = "') ";

/// vchkpw (`prog` is `vchkpw-pop3`, `vchkpw-smtp`, `vchkpw-imap`, `vchkpw-587`...):
/// `(PLAIN) login success user@domain:IP`, `password fail [(pass: '...')] user@domain:IP`,
/// `vpopmail user not found user@domain:IP`, `system user not found user:IP`.
pub fn vchkpw(prog: &str, msg: &str) -> Option<LogEvent> {
    // Each wording is matched where vchkpw writes it, at the start of the message (after the
    // `(PLAIN) ` of a success, the service word of `pop access denied`): the account and a
    // logged password are attacker text, and a failed login typed as `login success
    // victim@example.com` must not read as a success (hostile53).
    let after_auth_type = match msg.strip_prefix('(').and_then(|r| r.split_once(") ")) {
        Some((_, rest)) => rest,
        None => msg,
    };
    let first_word_dropped = msg.split_once(' ').map_or("", |(_, r)| r);
    // A system (/etc/passwd) user's success reads `system password login success user:IP`
    // (review53b: dropped when only `login success` was read at the start).
    let success = (after_auth_type.strip_prefix("login success "))
        .or_else(|| msg.strip_prefix("system password login success "));
    let (outcome, account) = if let Some(rest) = success {
        (LoginOutcome::Success, rest)
    } else if let Some(rest) =
        (msg.strip_prefix("password fail ")).or_else(|| msg.strip_prefix("system password fail "))
    {
        let rest = match rest.strip_prefix(PASS_OPEN) {
            // The password may hold anything, quotes included; the account after it cannot
            // hold `') `, so the last one closes the password.
            Some(p) => &p[p.rfind(PASS_CLOSE)? + PASS_CLOSE.len()..],
            None => rest,
        };
        (LoginOutcome::Failure, rest)
    } else if let Some(rest) = first_word_dropped.strip_prefix("user not found ") {
        (LoginOutcome::UnknownUser, rest)
    } else if let Some(rest) = msg.strip_prefix("null password given ") {
        (LoginOutcome::Failure, rest)
    } else if let Some(rest) = first_word_dropped.strip_prefix("access denied ") {
        (LoginOutcome::Failure, rest)
    } else {
        return None;
    };
    let (user, addr) = account_ip(account);
    (!user.is_empty()).then_some(())?;
    Some(event(
        Daemon::Vchkpw,
        Service::from_name(prog),
        outcome,
        user,
        addr,
        1,
    ))
}

/// `user@domain:IP` where the IP may be IPv6: split at the first colon whose suffix is an IP.
fn account_ip(s: &str) -> (&str, Option<IpAddr>) {
    let s = s.trim_end();
    // An IPv4 client is the dotted address after the last colon: a user name ending in
    // `:1:2:3:4:5:6` must not make `1:2:3:4:5:6:<real IPv4>` an IPv6 client (hostile53).
    if let Some((left, last)) = s.rsplit_once(':') {
        if last.parse::<std::net::Ipv4Addr>().is_ok() {
            let user = left.strip_suffix(":::ffff").unwrap_or(left);
            return (user, ip(last));
        }
    }
    for (i, _) in s.match_indices(':') {
        if let Some(addr) = ip(&s[i + 1..]) {
            return (&s[..i], Some(addr));
        }
    }
    (s, None)
}

/// Dovecot login processes: `pop3-login: Login: user=<u>, method=PLAIN, rip=IP, lip=...`,
/// `imap-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<u>, ... rip=IP`,
/// `Aborted login (auth failed, ...)`, `Login aborted: ... (auth failed, ...)`.
pub fn dovecot(msg: &str) -> Option<LogEvent> {
    let (process, rest) = msg.split_once(": ")?;
    if !process.ends_with("-login") {
        return None;
    }
    let rest = rest.strip_prefix("Info: ").unwrap_or(rest);
    let (outcome, attempts) = if rest.starts_with("Login: ") {
        (LoginOutcome::Success, 1)
    } else if let Some((_, after)) = (rest.split_once("user=<"))
        .and_then(|(daemon_words, _)| daemon_words.split_once("(auth failed, "))
    {
        let n = after
            .split(' ')
            .next()
            .and_then(|n| n.parse::<u16>().ok())
            .unwrap_or(1);
        (LoginOutcome::Failure, n.max(1))
    } else {
        return None;
    };
    // The user is attacker text and may hold `>, rip=10.0.0.1, `: the daemon's own rip= is
    // the last one, and the user ends at the last `>` before it (hostile53).
    let start = rest.find("user=<")? + "user=<".len();
    let rip = rest[start..].rfind("rip=").map(|i| start + i);
    // Without a rip= (Dovecot leaves out what it does not know) the user ends at its first
    // `>`, as before (review53b: it ran to the line's last `>`).
    let end = match rip {
        Some(r) => rest[start..r].rfind('>')?,
        None => rest[start..].find('>')?,
    } + start;
    let user = &rest[start..end];
    (!user.is_empty()).then_some(())?;
    let addr = rip.map(|i| {
        let r = &rest[i + "rip=".len()..];
        r.split_once(',').map_or(r, |(a, _)| a)
    });
    let service = Service::from_name(process.trim_end_matches("-login"));
    Some(event(
        Daemon::Dovecot,
        service,
        outcome,
        user,
        addr.and_then(ip),
        attempts,
    ))
}

/// Courier: `courierpop3login: LOGIN FAILED, user=u, ip=[::ffff:IP]`,
/// `imapd: LOGIN, user=u, ip=[::ffff:IP], port=[51234], protocol=IMAP`.
pub fn courier(prog: &str, msg: &str) -> Option<LogEvent> {
    let outcome = if msg.starts_with("LOGIN FAILED,") {
        LoginOutcome::Failure
    } else if msg.starts_with("LOGIN,") {
        LoginOutcome::Success
    } else {
        return None;
    };
    // The daemon's ip=[...] is the last one; the user (attacker text) runs up to it (hostile53).
    let start = msg.find("user=")? + "user=".len();
    let ip_at = msg[start..].rfind(", ip=[").map(|i| start + i);
    let user = match ip_at {
        Some(i) => &msg[start..i],
        None => msg[start..]
            .split_once(',')
            .map_or(&msg[start..], |(u, _)| u),
    };
    (!user.is_empty()).then_some(())?;
    let addr = ip_at
        .and_then(|i| between(&msg[i..], "ip=[", "]"))
        .and_then(|(a, _)| ip(a));
    Some(event(
        Daemon::Courier,
        Service::from_name(prog),
        outcome,
        user,
        addr,
        1,
    ))
}

fn event(
    daemon: Daemon,
    service: Service,
    outcome: LoginOutcome,
    user: &str,
    ip: Option<IpAddr>,
    attempts: u16,
) -> LogEvent {
    LogEvent::Login(LoginEvent {
        daemon,
        service,
        outcome,
        user: user.into(),
        ip,
        attempts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(e: Option<LogEvent>) -> LoginEvent {
        match e {
            Some(LogEvent::Login(l)) => l,
            other => panic!("not a login: {other:?}"),
        }
    }

    #[test]
    fn vchkpw_lines() {
        let l = login(vchkpw(
            "vchkpw-pop3",
            "(PLAIN) login success test@example.com:82.128.32.42",
        ));
        assert_eq!(
            (l.service, l.outcome, &*l.user, l.ip),
            (
                Service::Pop3,
                LoginOutcome::Success,
                "test@example.com",
                ip("82.128.32.42")
            )
        );
        let l = login(vchkpw(
            "vchkpw-smtp",
            "vpopmail user not found sales@example.com:82.128.32.42",
        ));
        assert_eq!(
            (l.service, l.outcome),
            (Service::Smtp, LoginOutcome::UnknownUser)
        );
        let l = login(vchkpw(
            "vchkpw-imap",
            "password fail info@example.com:::ffff:82.128.32.42",
        ));
        assert_eq!(
            (l.service, l.outcome, &*l.user, l.ip),
            (
                Service::Imap,
                LoginOutcome::Failure,
                "info@example.com",
                ip("82.128.32.42")
            )
        );
        let l = login(vchkpw(
            "vchkpw-587",
            "system user not found root:82.128.32.42",
        ));
        assert_eq!((l.service, &*l.user), (Service::Smtp, "root"));
        assert_eq!(
            vchkpw("vchkpw-pop3", "vchkpw is only for talking with qmail-popup"),
            None
        );
    }

    #[test]
    fn a_logged_password_is_never_kept() {
        let secret = "S3cr3t') x@y:1.1.1.1 '";
        let line = format!("password fail (pass: '{secret}') test@example.com:82.128.32.42");
        let l = login(vchkpw("vchkpw-smtp", &line));
        assert_eq!((&*l.user, l.ip), ("test@example.com", ip("82.128.32.42")));
        let shown = format!("{l:?}");
        assert!(!shown.contains("S3cr3t"), "{shown}");
        let l = login(vchkpw(
            "vchkpw-pop3",
            "system password fail (pass: 'hunter2') root:10.1.1.1",
        ));
        assert!(!format!("{l:?}").contains("hunter2"));
        assert_eq!(&*l.user, "root");
    }

    /// The user name of a failed login is the attacker's to choose: typed so that it holds a
    /// daemon's own wording, it made a failure a success (`login success` found anywhere: a
    /// login framed in the delisting report), hid the client's IP behind another (`rip=`,
    /// `ip=[` found first) or made it a new IPv6 address at every attempt (hostile53).
    #[test]
    fn a_user_name_holding_a_daemons_words_changes_nothing() {
        let l = login(vchkpw(
            "vchkpw-pop3",
            "password fail login success victim@example.com:203.0.113.66",
        ));
        assert_eq!(
            (l.outcome, l.ip),
            (LoginOutcome::Failure, ip("203.0.113.66"))
        );
        let l = login(vchkpw(
            "vchkpw-pop3",
            "password fail (pass: 'login success ceo@example.com:1.1.1.1') x@example.com:203.0.113.66",
        ));
        assert_eq!(
            (l.outcome, &*l.user, l.ip),
            (LoginOutcome::Failure, "x@example.com", ip("203.0.113.66"))
        );
        let l = login(vchkpw(
            "vchkpw-smtp",
            "password fail a:1:2:3:4:5:6:192.0.2.51",
        ));
        assert_eq!((&*l.user, l.ip), ("a:1:2:3:4:5:6", ip("192.0.2.51")));
        let l = login(dovecot(
            "pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<acct0@example.com>, \
             method=PLAIN, rip=10.0.0.1, lip=1.1.1.1>, method=PLAIN, rip=198.51.100.7, lip=10.0.0.1",
        ));
        assert_eq!(
            (l.outcome, l.ip),
            (LoginOutcome::Failure, ip("198.51.100.7"))
        );
        assert_eq!(
            dovecot(
                "pop3-login: Aborted login (tried to use disallowed plaintext auth): \
                 user=<x (auth failed, 900 attempts>, rip=198.51.100.7"
            ),
            None,
            "not a failed login, and not 900 of them"
        );
        let l = login(courier(
            "pop3d",
            "LOGIN FAILED, user=c0@example.com, ip=[10.9.9.1], x=, ip=[::ffff:192.0.2.50]",
        ));
        assert_eq!((l.outcome, l.ip), (LoginOutcome::Failure, ip("192.0.2.50")));
        // vchkpw's other wordings still read where it writes them.
        let l = login(vchkpw(
            "vchkpw-pop3",
            "pop access denied info@example.com:192.0.2.9",
        ));
        assert_eq!(
            (l.outcome, &*l.user),
            (LoginOutcome::Failure, "info@example.com")
        );
        let l = login(vchkpw(
            "vchkpw-smtp",
            "null password given info@example.com:192.0.2.9",
        ));
        assert_eq!(l.outcome, LoginOutcome::Failure);
        let l = login(vchkpw(
            "vchkpw-pop3",
            "login success info@example.com:192.0.2.9",
        ));
        assert_eq!(l.outcome, LoginOutcome::Success);
        let l = login(vchkpw(
            "vchkpw-pop3",
            "system password login success root:192.0.2.1",
        ));
        assert_eq!((l.outcome, &*l.user), (LoginOutcome::Success, "root"));
        let l = login(dovecot(
            "imap-login: Login: user=<u>, method=PLAIN, lip=10.0.0.1, mpid=1, session=<ab>",
        ));
        assert_eq!(
            (&*l.user, l.ip),
            ("u", None),
            "no rip=: the user ends at its `>`"
        );
        // Courier's TLS daemons tag their lines `imapd-ssl`, `pop3d-ssl`.
        let line = "imapd-ssl: LOGIN FAILED, user=sales, ip=[::ffff:192.0.2.7]";
        assert!(matches!(
            super::super::recognize(line),
            Some(LogEvent::Login(LoginEvent {
                daemon: Daemon::Courier,
                ..
            }))
        ));
    }

    #[test]
    fn dovecot_lines() {
        let l = login(dovecot("pop3-login: Login: user=<test@example.com>, method=PLAIN, rip=82.128.32.42, lip=10.0.0.1, mpid=4242"));
        assert_eq!(
            (l.service, l.outcome, &*l.user, l.ip),
            (
                Service::Pop3,
                LoginOutcome::Success,
                "test@example.com",
                ip("82.128.32.42")
            )
        );
        let l = login(dovecot("imap-login: Disconnected (auth failed, 3 attempts in 12 secs): user=<sales>, method=PLAIN, rip=82.128.32.42, lip=10.0.0.1, session=<x>"));
        assert_eq!(
            (l.service, l.outcome, l.attempts),
            (Service::Imap, LoginOutcome::Failure, 3)
        );
        let l = login(dovecot("pop3-login: Info: Aborted login (auth failed, 1 attempts in 2 secs): user=<info>, method=PLAIN, rip=::ffff:82.128.32.42"));
        assert_eq!((l.attempts, l.ip), (1, ip("82.128.32.42")));
        assert_eq!(
            dovecot("imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=1.2.3.4"),
            None
        );
        assert_eq!(dovecot("imap(test): Logged out in=0 out=0"), None);
    }

    #[test]
    fn courier_lines() {
        let l = login(courier(
            "courierpop3login",
            "LOGIN FAILED, user=sales, ip=[::ffff:82.128.32.42]",
        ));
        assert_eq!(
            (l.service, l.outcome, &*l.user, l.ip),
            (
                Service::Pop3,
                LoginOutcome::Failure,
                "sales",
                ip("82.128.32.42")
            )
        );
        let l = login(courier(
            "imapd",
            "LOGIN, user=test@example.com, ip=[::ffff:82.128.32.42], port=[51234], protocol=IMAP",
        ));
        assert_eq!(
            (l.service, l.outcome, &*l.user),
            (Service::Imap, LoginOutcome::Success, "test@example.com")
        );
        assert_eq!(
            courier("pop3d", "LOGIN FAILED, ip=[::ffff:68.173.27.35]"),
            None,
            "no user logged"
        );
        assert_eq!(
            courier("pop3d", "Disconnected, ip=[::ffff:68.173.27.35]"),
            None
        );
    }
}
