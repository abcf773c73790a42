//! Recognizers for tcpserver's connection lines and qmail-send's message lines.

use super::{ip, Tagged};
use crate::logs::event::{DeliveryResult, LogEvent, SendEvent, TcpEvent};

/// splogger (qmail-send logging to syslog) puts its own `1795428000.123456 ` stamp after the
/// `qmail:` tag; drop it so the qmail-send recognizer sees the same text as under multilog.
pub fn strip_splogger(t: Tagged<'_>) -> Tagged<'_> {
    let Some((stamp, rest)) = t.msg.split_once(' ') else {
        return t;
    };
    let is_stamp = stamp.len() > 11
        && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && stamp.contains('.');
    if is_stamp {
        Tagged {
            prog: t.prog,
            msg: rest,
        }
    } else {
        t
    }
}

/// `pid N from IP`, `ok N local:ip:port host:ip[:info]:port`, `deny N ...`, `end N status S`
/// (the text after `tcpserver: `).
pub fn tcpserver(msg: &str) -> Option<LogEvent> {
    let mut w = msg.split(' ');
    let word = w.next()?;
    let pid: u32 = w.next()?.parse().ok()?;
    let ev = match word {
        "pid" => {
            (w.next()? == "from").then_some(())?;
            TcpEvent::Connect {
                pid,
                ip: ip(w.next()?)?,
            }
        }
        "ok" => {
            let _local = w.next();
            TcpEvent::Ok {
                pid,
                ip: w.next().and_then(remote_ip),
            }
        }
        "deny" => TcpEvent::Deny { pid },
        "end" => {
            (w.next()? == "status").then_some(())?;
            TcpEvent::End {
                pid,
                status: w.next()?.parse().ok()?,
            }
        }
        _ => return None,
    };
    Some(LogEvent::Tcp(ev))
}

/// `host:ip:port` or `host:ip:info:port`; the IP may itself hold colons (IPv6).
fn remote_ip(field: &str) -> Option<std::net::IpAddr> {
    let (_host, rest) = field.split_once(':')?;
    let (mid, _port) = rest.rsplit_once(':')?;
    ip(mid).or_else(|| ip(mid.rsplit_once(':')?.0))
}

/// qmail-send: `new msg ID`, `info msg ID: bytes B from <S> qp P uid U`, `starting delivery N:
/// msg ID to remote R`, `delivery N: success: ...`, `end msg ID`.
pub fn qmail_send(msg: &str) -> Option<LogEvent> {
    let ev = if let Some(id) = msg.strip_prefix("new msg ") {
        SendEvent::New {
            id: id.trim().parse().ok()?,
        }
    } else if let Some(id) = msg.strip_prefix("end msg ") {
        SendEvent::End {
            id: id.trim().parse().ok()?,
        }
    } else if let Some(rest) = msg.strip_prefix("info msg ") {
        info(rest)?
    } else if let Some(rest) = msg.strip_prefix("starting delivery ") {
        let (n, rest) = rest.split_once(": msg ")?;
        let (id, rest) = rest.split_once(" to ")?;
        let (channel, rcpt) = rest.split_once(' ')?;
        SendEvent::Starting {
            delivery: n.parse().ok()?,
            id: id.parse().ok()?,
            is_remote: channel == "remote",
            rcpt: rcpt.into(),
        }
    } else if let Some(rest) = msg.strip_prefix("delivery ") {
        let (n, rest) = rest.split_once(": ")?;
        let word = rest.split(':').next()?;
        let result = match word {
            "success" => DeliveryResult::Success,
            "deferral" => DeliveryResult::Deferral,
            "failure" => DeliveryResult::Failure,
            _ => return None,
        };
        SendEvent::Delivery {
            delivery: n.parse().ok()?,
            result,
        }
    } else {
        return None;
    };
    Some(LogEvent::Send(ev))
}

/// `ID: bytes B from <S> qp P uid U`. The sender may hold spaces or `>`; the tail after the
/// last `> qp ` is qmail's own.
fn info(rest: &str) -> Option<SendEvent> {
    let (id, rest) = rest.split_once(": bytes ")?;
    let (bytes, rest) = rest.split_once(" from <")?;
    let (sender, tail) = rest.rsplit_once("> qp ")?;
    let (qp, uid) = tail.split_once(" uid ")?;
    Some(SendEvent::Info {
        id: id.parse().ok()?,
        bytes: bytes.parse().ok()?,
        sender: sender.into(),
        qp: qp.trim().parse().ok()?,
        uid: uid.trim().parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    fn v4(s: &str) -> IpAddr {
        s.parse().expect("test ip")
    }

    #[test]
    fn tcpserver_lines() {
        assert_eq!(
            tcpserver("pid 5941 from 82.128.32.42"),
            Some(LogEvent::Tcp(TcpEvent::Connect {
                pid: 5941,
                ip: v4("82.128.32.42")
            }))
        );
        assert_eq!(
            tcpserver("ok 5941 mail.example.com:10.0.0.1:25 :82.128.32.42::51234"),
            Some(LogEvent::Tcp(TcpEvent::Ok {
                pid: 5941,
                ip: Some(v4("82.128.32.42"))
            }))
        );
        assert_eq!(
            tcpserver("ok 5941 mail:10.0.0.1:25 host.example:82.128.32.42:51234"),
            Some(LogEvent::Tcp(TcpEvent::Ok {
                pid: 5941,
                ip: Some(v4("82.128.32.42"))
            }))
        );
        assert_eq!(
            tcpserver("end 5941 status 256"),
            Some(LogEvent::Tcp(TcpEvent::End {
                pid: 5941,
                status: 256
            }))
        );
        assert_eq!(
            tcpserver("deny 5941 :10.0.0.1:25 :1.2.3.4::1"),
            Some(LogEvent::Tcp(TcpEvent::Deny { pid: 5941 }))
        );
        assert_eq!(tcpserver("status: 3/40"), None);
        assert_eq!(tcpserver("pid 59"), None, "cut line");
    }

    #[test]
    fn qmail_send_lines() {
        assert_eq!(
            qmail_send("new msg 10016337"),
            Some(LogEvent::Send(SendEvent::New { id: 10016337 }))
        );
        assert_eq!(
            qmail_send("end msg 10016337"),
            Some(LogEvent::Send(SendEvent::End { id: 10016337 }))
        );
        assert_eq!(
            qmail_send(
                "info msg 10016337: bytes 2275 from <kbradford@philadefender.org> qp 5941 uid 1002"
            ),
            Some(LogEvent::Send(SendEvent::Info {
                id: 10016337,
                bytes: 2275,
                sender: "kbradford@philadefender.org".into(),
                qp: 5941,
                uid: 1002
            }))
        );
        assert_eq!(
            qmail_send("info msg 7: bytes 1 from <> qp 1 uid 7791"),
            Some(LogEvent::Send(SendEvent::Info {
                id: 7,
                bytes: 1,
                sender: "".into(),
                qp: 1,
                uid: 7791
            }))
        );
        assert_eq!(
            qmail_send("starting delivery 12: msg 10016337 to remote aikens_l@msn.com"),
            Some(LogEvent::Send(SendEvent::Starting {
                delivery: 12,
                id: 10016337,
                is_remote: true,
                rcpt: "aikens_l@msn.com".into()
            }))
        );
        assert_eq!(
            qmail_send("delivery 12: deferral: Connected_to_65.55.92.168_but_greeting_failed./"),
            Some(LogEvent::Send(SendEvent::Delivery {
                delivery: 12,
                result: DeliveryResult::Deferral
            }))
        );
        assert_eq!(
            qmail_send("delivery 13: success: did_0+0+1/"),
            Some(LogEvent::Send(SendEvent::Delivery {
                delivery: 13,
                result: DeliveryResult::Success
            }))
        );
        assert_eq!(
            qmail_send("delivery 14: failure: Sorry,_no_mailbox_here/"),
            Some(LogEvent::Send(SendEvent::Delivery {
                delivery: 14,
                result: DeliveryResult::Failure
            }))
        );
        assert_eq!(qmail_send("info msg 10016337: bytes 22"), None, "cut line");
        assert_eq!(qmail_send("status: local 0/10 remote 3/20"), None);
    }

    #[test]
    fn splogger_stamp_is_dropped() {
        let t = strip_splogger(Tagged::split("qmail: 1795428000.123456 new msg 5"));
        assert_eq!(t.msg, "new msg 5");
        assert_eq!(
            strip_splogger(Tagged::split("qmail: new msg 5")).msg,
            "new msg 5"
        );
    }
}
