//! Recognizers for qmail-smtpd's own lines: CHKUSER, and the SMTP-AUTH patches' login lines.

use super::{between, ip};
use crate::logs::event::{
    ChkVerdict, ChkuserEvent, Daemon, LogEvent, LoginEvent, LoginOutcome, Service,
};

/// `CHKUSER relaying rcpt: from <sender:authuser:relayclient> remote <helo:host:ip> rcpt <r> :
/// reason`. A line cut after the `remote <...>` part still yields the sender, user and IP.
pub fn chkuser(msg: &str) -> Option<LogEvent> {
    let rest = msg.strip_prefix("CHKUSER ")?;
    let (verdict, rest) = rest.split_once(' ')?;
    let verdict = match verdict {
        "accepted" => ChkVerdict::Accepted,
        "relaying" => ChkVerdict::Relaying,
        "rejected" => ChkVerdict::Rejected,
        _ => return None,
    };
    let (from, rest) = between(rest, "from <", "> remote <")?;
    let (remote, rest) = match rest.find("> rcpt <") {
        Some(i) => (&rest[..i], Some(&rest[i + "> rcpt <".len()..])),
        None => (rest.trim_end_matches('>'), None),
    };
    let rcpt = rest.and_then(|r| {
        r.rfind("> :")
            .map(|i| &r[..i])
            .or_else(|| r.strip_suffix('>'))
    });
    // sender:remoteinfo:relayclient; a ':' inside the sender stays with the sender.
    let mut f = from.rsplitn(3, ':');
    let (_relay, auth, sender) = (f.next()?, f.next()?, f.next()?);
    let (helo, host, ip) = split_remote(remote);
    Some(LogEvent::Chkuser(ChkuserEvent {
        verdict,
        sender: sender.into(),
        auth_user: (!auth.is_empty()).then(|| auth.into()),
        helo: helo.into(),
        host: host.into(),
        ip,
        rcpt: rcpt.filter(|r| !r.is_empty()).map(Into::into),
    }))
}

/// `helo:host:ip`: the IP is the shortest colon-suffix that parses as one (IPv6 holds colons;
/// a hostile HELO may too).
fn split_remote(remote: &str) -> (&str, &str, Option<std::net::IpAddr>) {
    for (i, _) in remote.match_indices(':') {
        if let Some(addr) = ip(&remote[i + 1..]) {
            let left = &remote[..i];
            let (helo, host) = left.rsplit_once(':').unwrap_or(("", left));
            return (helo, host, Some(addr));
        }
    }
    let (helo, host) = remote.split_once(':').unwrap_or((remote, ""));
    (helo, host, None)
}

/// The common SMTP-AUTH patch wording: `AUTH successful [LOGIN] user@domain from 1.2.3.4`,
/// `AUTH failed [PLAIN] user from 1.2.3.4`.
pub fn auth_patch(msg: &str) -> Option<LogEvent> {
    let rest = msg.strip_prefix("AUTH ")?;
    let (word, rest) = rest.split_once(' ')?;
    let outcome = match word {
        "successful" | "success" | "succeeded" => LoginOutcome::Success,
        "failed" | "failure" => LoginOutcome::Failure,
        _ => return None,
    };
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once("] ")?.1,
        None => rest,
    };
    let (user, addr) = rest.rsplit_once(" from ")?;
    Some(login(
        Daemon::SmtpAuth,
        outcome,
        user,
        ip(addr.split(' ').next()?),
    ))
}

/// spamcontrol / s/qmail style: `Accept::AUTH::LOGIN: P:ESMTPA S:82.128.32.42:unknown H:User
/// F:a@b T:c@d 'test'` and `Reject::AUTH::Invalid_Login: ... 'test'`. The user is the final
/// quoted word or a `U:` token.
pub fn spamcontrol(msg: &str) -> Option<LogEvent> {
    let (outcome, rest) = if let Some(r) = msg.strip_prefix("Accept::AUTH::") {
        (LoginOutcome::Success, r)
    } else if let Some(r) = msg.strip_prefix("Reject::AUTH::") {
        (LoginOutcome::Failure, r)
    } else {
        return None;
    };
    let mut ip_addr = None;
    let mut user = None;
    for word in rest.split(' ') {
        if let Some(s) = word.strip_prefix("S:") {
            // The daemon's S: comes first; a later one is in the HELO or an address (hostile53).
            ip_addr = ip_addr.or_else(|| ip(s.split(':').next().unwrap_or(s)));
        } else if let Some(u) = word.strip_prefix("U:") {
            user = Some(u);
        } else if let Some(q) = word.strip_prefix('\'').and_then(|w| w.strip_suffix('\'')) {
            user = Some(q);
        }
    }
    Some(login(
        Daemon::SmtpAuth,
        outcome,
        user.filter(|u| !u.is_empty())?,
        ip_addr,
    ))
}

fn login(
    daemon: Daemon,
    outcome: LoginOutcome,
    user: &str,
    ip: Option<std::net::IpAddr>,
) -> LogEvent {
    LogEvent::Login(LoginEvent {
        daemon,
        service: Service::Smtp,
        outcome,
        user: user.into(),
        ip,
        attempts: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chk(line: &str) -> ChkuserEvent {
        match chkuser(line) {
            Some(LogEvent::Chkuser(c)) => c,
            other => panic!("not a CHKUSER line: {other:?}"),
        }
    }

    #[test]
    fn chkuser_relaying_line_from_the_seed() {
        let c = chk("CHKUSER relaying rcpt: from <kbradford@philadefender.org:test:> remote <User:unknown:82.128.32.42> rcpt <aikens_l@msn.com> : client allowed to relay");
        assert_eq!(c.verdict, ChkVerdict::Relaying);
        assert_eq!(&*c.sender, "kbradford@philadefender.org");
        assert_eq!(c.auth_user.as_deref(), Some("test"));
        assert_eq!((&*c.helo, &*c.host), ("User", "unknown"));
        assert_eq!(c.ip, ip("82.128.32.42"));
        assert_eq!(c.rcpt.as_deref(), Some("aikens_l@msn.com"));
    }

    #[test]
    fn chkuser_accepted_sender_and_rejected_rcpt() {
        let c = chk("CHKUSER accepted sender: from <s@x.example::> remote <mx.example:mx.example:203.0.113.9> rcpt <> : sender accepted");
        assert_eq!(
            (c.verdict, c.auth_user, c.rcpt),
            (ChkVerdict::Accepted, None, None)
        );
        let c = chk("CHKUSER rejected rcpt: from <a@b::> remote <h:unknown:203.0.113.9> rcpt <nobody@example.com> : not existing recipient");
        assert_eq!(c.verdict, ChkVerdict::Rejected);
        assert_eq!(c.rcpt.as_deref(), Some("nobody@example.com"));
    }

    #[test]
    fn chkuser_cut_hostile_and_ipv6() {
        let c = chk(
            "CHKUSER relaying rcpt: from <a@b:test@example.com:> remote <User:unknown:82.128.32.42",
        );
        assert_eq!(
            (c.auth_user.as_deref(), c.ip, c.rcpt),
            (Some("test@example.com"), ip("82.128.32.42"), None)
        );
        let c = chk("CHKUSER relaying rcpt: from <a@b:test:> remote <\u{1b}]0;pwn\u{7}:x:y:unknown:2001:db8::7> rcpt <r@x> : ok");
        assert_eq!(c.ip, ip("2001:db8::7"));
        assert_eq!(&*c.helo, "\u{1b}]0;pwn\u{7}:x:y");
        assert_eq!(chkuser("CHKUSER relaying rcpt: from <a@b:te"), None);
        assert_eq!(
            chkuser("CHKUSER bogus rcpt: from <a::> remote <h:h:1.2.3.4>"),
            None
        );
    }

    #[test]
    fn auth_patch_lines() {
        let want =
            |outcome, user: &str| Some(login(Daemon::SmtpAuth, outcome, user, ip("82.128.32.42")));
        assert_eq!(
            auth_patch("AUTH successful [LOGIN] test@example.com from 82.128.32.42"),
            want(LoginOutcome::Success, "test@example.com")
        );
        assert_eq!(
            auth_patch("AUTH failed [PLAIN] sales from 82.128.32.42"),
            want(LoginOutcome::Failure, "sales")
        );
        assert_eq!(auth_patch("AUTH LOGIN"), None);
    }

    #[test]
    fn spamcontrol_lines() {
        assert_eq!(
            spamcontrol("Accept::AUTH::LOGIN: P:ESMTPA S:82.128.32.42:unknown H:User F:kbradford@philadefender.org T:aikens_l@msn.com 'test'"),
            Some(login(Daemon::SmtpAuth, LoginOutcome::Success, "test", ip("82.128.32.42")))
        );
        assert_eq!(
            spamcontrol(
                "Reject::AUTH::Invalid_Login: P:ESMTP S:82.128.32.42:unknown H:User F: T: U:info"
            ),
            Some(login(
                Daemon::SmtpAuth,
                LoginOutcome::Failure,
                "info",
                ip("82.128.32.42")
            ))
        );
        assert_eq!(
            spamcontrol("Accept::SNDR::Relay_Client: P:ESMTP S:1.2.3.4:h H:h F:a T:b"),
            None
        );
        // A HELO holding an `S:` of its own does not move the login to that IP (hostile53).
        assert_eq!(
            spamcontrol("Accept::AUTH::LOGIN: P:ESMTPA S:192.0.2.52:unknown H:x S:10.7.7.7 F:a@b T:c@d 'test'"),
            Some(login(Daemon::SmtpAuth, LoginOutcome::Success, "test", ip("192.0.2.52")))
        );
    }
}
