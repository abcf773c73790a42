//! LogEvent: what one recognized log line says, with no password and no raw line kept.

use std::net::IpAddr;

/// Where a line was read: index into [`super::LogEvidence::files`] and 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogRef {
    /// Index of the file in the evidence's file list.
    pub file: u32,
    /// Line number in that file.
    pub line: u32,
}

/// One recognized line with its time and place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Unix seconds.
    pub time: i64,
    /// Where it was read.
    pub at: LogRef,
    /// What it says.
    pub event: LogEvent,
}

/// What a recognized line says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// A tcpserver connection line.
    Tcp(TcpEvent),
    /// A qmail-smtpd CHKUSER line.
    Chkuser(ChkuserEvent),
    /// A login attempt (POP3, IMAP or SMTP AUTH).
    Login(LoginEvent),
    /// A qmail-send line.
    Send(SendEvent),
}

/// tcpserver's connection lines (ucspi-tcp).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpEvent {
    /// `tcpserver: pid N from IP`: a connection is being accepted.
    Connect {
        /// The child's pid (qmail-smtpd runs under it).
        pid: u32,
        /// The client.
        ip: IpAddr,
    },
    /// `tcpserver: ok N local:ip:port remotehost:ip[:info]:port`.
    Ok {
        /// The child's pid.
        pid: u32,
        /// The client.
        ip: Option<IpAddr>,
    },
    /// `tcpserver: deny N ...`: rejected by the rules.
    Deny {
        /// The child's pid.
        pid: u32,
    },
    /// `tcpserver: end N status S`.
    End {
        /// The child's pid.
        pid: u32,
        /// Its exit status.
        status: i32,
    },
}

/// CHKUSER's verdict word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChkVerdict {
    /// `accepted`.
    Accepted,
    /// `relaying`: the client may relay (an authenticated or RELAYCLIENT client).
    Relaying,
    /// `rejected`.
    Rejected,
}

/// A CHKUSER line: `CHKUSER relaying rcpt: from <sender:authuser:relayclient> remote
/// <helo:remotehost:ip> rcpt <rcpt> : reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChkuserEvent {
    /// accepted / relaying / rejected.
    pub verdict: ChkVerdict,
    /// The envelope sender.
    pub sender: Box<str>,
    /// The SMTP AUTH user (`remoteinfo`); `None` when the field is empty.
    pub auth_user: Option<Box<str>>,
    /// The HELO argument (attacker text).
    pub helo: Box<str>,
    /// `$TCPREMOTEHOST` (`unknown` without a PTR).
    pub host: Box<str>,
    /// The client IP.
    pub ip: Option<IpAddr>,
    /// The recipient (`None` on sender lines and cut lines).
    pub rcpt: Option<Box<str>>,
}

/// The protocol a login was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// SMTP AUTH.
    Smtp,
    /// POP3.
    Pop3,
    /// IMAP.
    Imap,
    /// Could not tell.
    Other,
}

impl Service {
    /// Guess from a daemon or log name (`vchkpw-pop3`, `courierpop3login`, `imap-login`, `587`).
    pub fn from_name(name: &str) -> Service {
        let n = name.to_ascii_lowercase();
        if n.contains("pop3") || n.ends_with("110") || n.ends_with("995") {
            Service::Pop3
        } else if n.contains("imap") || n.ends_with("143") || n.ends_with("993") {
            Service::Imap
        } else if n.contains("smtp")
            || n.contains("submission")
            || ["25", "465", "587"].iter().any(|p| n.ends_with(p))
        {
            Service::Smtp
        } else {
            Service::Other
        }
    }

    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Pop3 => "pop3",
            Service::Imap => "imap",
            Service::Other => "other",
        }
    }
}

/// How a login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginOutcome {
    /// Logged in.
    Success,
    /// Wrong password (or a failure of unknown cause).
    Failure,
    /// No such account: the signature of harvesting.
    UnknownUser,
}

/// Which software wrote a login line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Daemon {
    /// vpopmail's vchkpw.
    Vchkpw,
    /// Dovecot.
    Dovecot,
    /// Courier (courierpop3login, imapd, pop3d).
    Courier,
    /// An SMTP-AUTH patch of qmail-smtpd.
    SmtpAuth,
}

impl Daemon {
    /// The name used in evidence.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Vchkpw => "vchkpw",
            Daemon::Dovecot => "dovecot",
            Daemon::Courier => "courier",
            Daemon::SmtpAuth => "qmail-smtpd AUTH",
        }
    }
}

/// A login attempt. Never holds the password, even when the line logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginEvent {
    /// Who wrote the line.
    pub daemon: Daemon,
    /// For which protocol.
    pub service: Service,
    /// How it ended.
    pub outcome: LoginOutcome,
    /// The account as the client gave it.
    pub user: Box<str>,
    /// The client IP.
    pub ip: Option<IpAddr>,
    /// Attempts this line stands for (Dovecot's `3 attempts`); at least 1.
    pub attempts: u16,
}

/// A qmail-send line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendEvent {
    /// `new msg ID`.
    New {
        /// The message id (inode).
        id: u64,
    },
    /// `info msg ID: bytes B from <S> qp P uid U`.
    Info {
        /// The message id.
        id: u64,
        /// Size.
        bytes: u64,
        /// Envelope sender.
        sender: Box<str>,
        /// qmail-queue's pid: the link to the message's `Received: (qmail P invoked ...)`.
        qp: u32,
        /// qmail-queue's uid.
        uid: u32,
    },
    /// `starting delivery N: msg ID to local|remote RCPT`.
    Starting {
        /// Delivery number.
        delivery: u64,
        /// The message id.
        id: u64,
        /// `true` for remote.
        is_remote: bool,
        /// The recipient.
        rcpt: Box<str>,
    },
    /// `delivery N: success|deferral|failure: text`.
    Delivery {
        /// Delivery number.
        delivery: u64,
        /// `success`, `deferral` or `failure`.
        result: DeliveryResult,
    },
    /// `end msg ID`.
    End {
        /// The message id.
        id: u64,
    },
}

/// The outcome word of a `delivery N:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    /// `success`.
    Success,
    /// `deferral`: will be retried.
    Deferral,
    /// `failure`: bounced.
    Failure,
}
