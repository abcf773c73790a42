//! MessageRecord: the compact summary of one queued message, and its id, state and problems.
//!
//! One record per message id, built from all of the message's files. Strings are interned
//! ([`Sym`]) so a million records share their senders, IPs, users and subjects; nothing of a
//! message's headers is kept beyond the fields the analysis uses.

use std::num::NonZeroU32;

use super::intern::Sym;
use super::layout::{Parts, Subdir};
pub use super::recipients::Channel;
use super::recipients::RecipientSummary;

/// A qmail message id: the inode number of its `mess/` file when qmail-queue created it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct MessageId(pub u64);

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a message is in qmail's life cycle, judged from which of its files exist
/// (docs/qmail-format.md §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageState {
    /// mess + intd, no todo: qmail-queue is still writing it, or died.
    Incoming,
    /// mess + todo: queued, waiting for qmail-send to preprocess it.
    Queued,
    /// mess + todo + info: qmail-send died while preprocessing; it will redo it from todo.
    Preprocessing,
    /// mess + info + local and/or remote: being delivered.
    InDelivery,
    /// mess + info only: every recipient done, about to be cleaned up.
    Done,
    /// mess alone: neither info nor todo. qmail-queue may still be writing it (it links the
    /// mess file first); qmail-send's cleanup removes a stale one 36 h after its last access.
    OrphanMess,
    /// info but no mess: qmail-qread warns "file does not exist".
    InfoWithoutMess,
    /// todo and/or intd but neither mess nor info: queued, but its message file is gone (as
    /// when a mess was moved away while qmail-queue was still writing it); qmail-send logs
    /// `warning: unable to stat mess/...` for it on every pass. (Named `info-without-mess`
    /// before this state existed.)
    TodoWithoutMess,
    /// local/remote files without info and without todo: qmail-send never schedules it.
    OrphanEnvelope,
}

impl MessageState {
    /// Judge the state from the set of files present.
    pub fn from_parts(parts: Parts) -> MessageState {
        let has = |s| parts.has(s);
        if !has(Subdir::Mess) {
            if has(Subdir::Info) {
                return MessageState::InfoWithoutMess;
            }
            if has(Subdir::Todo) || has(Subdir::Intd) {
                return MessageState::TodoWithoutMess;
            }
            return MessageState::OrphanEnvelope;
        }
        match (has(Subdir::Todo), has(Subdir::Info)) {
            (true, true) => MessageState::Preprocessing,
            (true, false) => MessageState::Queued,
            (false, true) if has(Subdir::Local) || has(Subdir::Remote) => MessageState::InDelivery,
            (false, true) => MessageState::Done,
            (false, false) if has(Subdir::Intd) => MessageState::Incoming,
            (false, false) if has(Subdir::Local) || has(Subdir::Remote) => {
                MessageState::OrphanEnvelope
            }
            (false, false) => MessageState::OrphanMess,
        }
    }

    /// The name used in output and queries (`in-delivery`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MessageState::Incoming => "incoming",
            MessageState::Queued => "queued",
            MessageState::Preprocessing => "preprocessing",
            MessageState::InDelivery => "in-delivery",
            MessageState::Done => "done",
            MessageState::OrphanMess => "orphan-mess",
            MessageState::InfoWithoutMess => "info-without-mess",
            MessageState::TodoWithoutMess => "todo-without-mess",
            MessageState::OrphanEnvelope => "orphan-envelope",
        }
    }

    /// Has qmail-queue possibly not finished queueing this message? It links the mess file
    /// first, then writes intd, then links intd to todo (its commit point, after which the
    /// client is told "accepted"); qmail-send writes info only after that. A mess without todo
    /// and without info (`incoming`, `orphan-mess`) may still be being written: moving it would
    /// leave qmail-queue to finish a todo and intd without a mess.
    pub fn is_queueing_unfinished(self) -> bool {
        matches!(self, MessageState::Incoming | MessageState::OrphanMess)
    }

    /// Every state, for help texts and query completion.
    pub const ALL: [MessageState; 9] = [
        MessageState::Incoming,
        MessageState::Queued,
        MessageState::Preprocessing,
        MessageState::InDelivery,
        MessageState::Done,
        MessageState::OrphanMess,
        MessageState::InfoWithoutMess,
        MessageState::TodoWithoutMess,
        MessageState::OrphanEnvelope,
    ];
}

/// What is wrong with one of a message's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// An envelope record without its NUL terminator, or an empty envelope file.
    TruncatedEnvelope,
    /// An envelope record of a type qmail does not write.
    UnknownRecord,
    /// An address that is not valid UTF-8 (kept as bytes).
    NonUtf8Address,
    /// The file could not be opened or read (permission, I/O error).
    Unreadable,
    /// The file was listed but gone when opened: normal while qmail-send works.
    Vanished,
    /// A symbolic link where a file should be; never followed.
    Symlink,
    /// A FIFO, directory or device where a regular file should be; never opened for reading.
    NotRegularFile,
    /// The file sits in a split subdirectory other than `id % split`: qmail cannot see it.
    WrongSubdir,
    /// The header block did not end within the read cap; only the capped part was parsed.
    HeaderTooLong,
    /// The header block holds bytes no mail header should (NUL, or nothing parseable).
    UnparsedHeader,
    /// The mess file is empty although the message has an envelope: qmail-queue writes the
    /// envelope only after the whole message, so its bytes are lost (a mess file alone, still
    /// being received, is not flagged).
    EmptyMess,
}

impl ProblemKind {
    /// Every kind, for queries and help texts.
    pub const ALL: [ProblemKind; 11] = [
        ProblemKind::TruncatedEnvelope,
        ProblemKind::UnknownRecord,
        ProblemKind::NonUtf8Address,
        ProblemKind::Unreadable,
        ProblemKind::Vanished,
        ProblemKind::Symlink,
        ProblemKind::NotRegularFile,
        ProblemKind::WrongSubdir,
        ProblemKind::HeaderTooLong,
        ProblemKind::UnparsedHeader,
        ProblemKind::EmptyMess,
    ];

    /// The name used in output and queries.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::TruncatedEnvelope => "truncated-envelope",
            ProblemKind::UnknownRecord => "unknown-record",
            ProblemKind::NonUtf8Address => "non-utf8-address",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Vanished => "vanished",
            ProblemKind::Symlink => "symlink",
            ProblemKind::NotRegularFile => "not-regular-file",
            ProblemKind::WrongSubdir => "wrong-subdir",
            ProblemKind::HeaderTooLong => "header-too-long",
            ProblemKind::UnparsedHeader => "unparsed-header",
            ProblemKind::EmptyMess => "empty-mess",
        }
    }
}

/// A problem and the file it was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// In which of the message's files.
    pub part: Subdir,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.kind.name(), self.part.name())
    }
}

/// A message's problems, in envelope-file order: 8 bytes on the record, nothing allocated for
/// the healthy message (a boxed slice cost 16 bytes on each of a million records, most empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(Option<Box<Box<[Problem]>>>);

impl Problems {
    /// The problems as a vector, to add to.
    pub fn into_vec(self) -> Vec<Problem> {
        self.0.map_or_else(Vec::new, |b| b.into_vec())
    }
}

impl std::ops::Deref for Problems {
    type Target = [Problem];
    fn deref(&self) -> &[Problem] {
        self.0.as_deref().map_or(&[], |b| b)
    }
}

impl From<Vec<Problem>> for Problems {
    fn from(v: Vec<Problem>) -> Problems {
        Problems((!v.is_empty()).then(|| Box::new(v.into_boxed_slice())))
    }
}

impl FromIterator<Problem> for Problems {
    fn from_iter<I: IntoIterator<Item = Problem>>(iter: I) -> Problems {
        Problems::from(iter.into_iter().collect::<Vec<_>>())
    }
}

/// How the message entered the queue: the origin kind of docs/cli.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OriginKind {
    /// Through this server's qmail-smtpd after an SMTP AUTH login.
    SmtpAuth,
    /// Through qmail-smtpd (or qmtpd/qmqpd) without a login.
    Smtp,
    /// Injected locally (`invoked by uid N`): a user, cron job or web script.
    Local,
    /// A bounce: qmail-send's own (`invoked for bounce`) or a null envelope sender.
    Bounce,
    /// Forwarded by a `.qmail` alias (`invoked by alias`).
    Alias,
    /// No qmail-queue Received line could be read.
    #[default]
    Unknown,
}

impl OriginKind {
    /// The name used in output and queries.
    pub fn name(self) -> &'static str {
        match self {
            OriginKind::SmtpAuth => "smtp-auth",
            OriginKind::Smtp => "smtp",
            OriginKind::Local => "local",
            OriginKind::Bounce => "bounce",
            OriginKind::Alias => "alias",
            OriginKind::Unknown => "unknown",
        }
    }

    /// Every kind, for help and queries.
    pub const ALL: [OriginKind; 6] = [
        OriginKind::SmtpAuth,
        OriginKind::Smtp,
        OriginKind::Local,
        OriginKind::Bounce,
        OriginKind::Alias,
        OriginKind::Unknown,
    ];
}

/// Where an origin's AUTH user came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthSource {
    /// The message's own Received line (or no AUTH user at all).
    #[default]
    Header,
    /// The logs (`--log`): no header named a user, a log line did
    /// (`analysis::evidence::attribute_from_logs`).
    Log,
}

impl AuthSource {
    /// The name used in output (`header`, `log`).
    pub fn name(self) -> &'static str {
        match self {
            AuthSource::Header => "header",
            AuthSource::Log => "log",
        }
    }
}

/// Who put the message in the queue, as far as its headers and envelope tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Origin {
    /// The kind of origin.
    pub kind: OriginKind,
    /// The SMTP client's IP from the qmail-smtpd Received line.
    pub ip: Option<Sym>,
    /// The client's host name as qmail-smtpd wrote it (`unknown` when it had no PTR).
    pub host: Option<Sym>,
    /// The HELO argument, when it differed from the host.
    pub helo: Option<Sym>,
    /// The SMTP AUTH login (or remoteinfo) from the Received line.
    pub auth_user: Option<Sym>,
    /// The protocol word (`SMTP`, `ESMTPA`, `ESMTPSA`...), kept as evidence.
    pub protocol: Option<Sym>,
    /// The uid that ran qmail-queue (`invoked by uid N`, or the todo `u` record), read and
    /// written through [`Origin::uid`] and [`Origin::set_uid`]: 4 bytes and the flag
    /// `has_uid` in the struct's padding, where an `Option<u32>` took 8 (every uid, root's 0
    /// and `u32::MAX` too, is kept as it was read).
    uid: u32,
    /// `uid` holds a uid.
    has_uid: bool,
    /// The PHP script from `X-PHP-Originating-Script: uid:script`.
    pub script: Option<Sym>,
    /// That header is not where PHP's mail() writes it (below other fields the message's
    /// writer chose): written by whoever wrote the message, not by PHP. One byte in the
    /// struct's padding.
    pub script_forged: bool,
    /// Where `auth_user` came from; one byte that fits the struct's padding.
    pub auth_source: AuthSource,
}

impl Origin {
    /// The uid that ran qmail-queue, `None` when neither the headers nor the envelope said.
    pub fn uid(&self) -> Option<u32> {
        self.has_uid.then_some(self.uid)
    }

    /// Set (or clear) the uid that ran qmail-queue.
    pub fn set_uid(&mut self, uid: Option<u32>) {
        self.has_uid = uid.is_some();
        self.uid = uid.unwrap_or(0);
    }
}

/// The header fields the analysis needs, decoded where they were encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderFields {
    /// Subject, RFC 2047-decoded, whitespace-collapsed.
    pub subject: Option<Sym>,
    /// Subject exactly as in the header (unfolded), for matching raw bytes.
    pub subject_raw: Option<Sym>,
    /// The address in the From header.
    pub from: Option<Sym>,
    /// The From display name, decoded.
    pub from_name: Option<Sym>,
    /// X-Mailer.
    pub mailer: Option<Sym>,
    /// Number of addresses in To and Cc.
    pub header_rcpts: u16,
    /// The Reply-To address is at another domain than the From address (a compromised
    /// account's spam sends the replies to the spammer's mailbox). One byte in the struct's
    /// padding: a record keeps no Reply-To address.
    pub reply_elsewhere: bool,
}

/// One message of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// The id (inode of the mess file).
    pub id: MessageId,
    /// Birth time, unix seconds in 4 bytes: the info file's mtime, else the todo/mess file's; 0
    /// when no file gave one (an orphan envelope, a directory in mess/). Read and written
    /// through [`MessageRecord::queued`] and [`MessageRecord::set_queued`], which say what
    /// becomes of a time that does not fit.
    queued: u32,
    /// Size of the mess file in bytes, `u32::MAX` for a file of 4 GiB or more (qmail-smtpd's
    /// `databytes` is far below; a mess file that size is hostile, and a million records each
    /// pay 4 bytes less): see [`MessageRecord::size_of`].
    pub size: u32,
    /// Which files exist.
    pub parts: Parts,
    /// Life-cycle state.
    pub state: MessageState,
    /// Envelope sender (info, else todo); `Some(empty)` is the null sender `<>`.
    pub sender: Option<Sym>,
    /// Envelope recipients: counts, the first address and the domains (the addresses
    /// themselves are read from the envelope files when needed: [`super::recipients`]).
    pub recipients: RecipientSummary,
    /// qmail-queue's pid (`Received: (qmail P invoked ...)` or the todo `p` record); 4 bytes,
    /// a pid of 0 (which no process has) reading as none.
    pub qp: Option<NonZeroU32>,
    /// Who sent it.
    pub origin: Origin,
    /// Selected headers.
    pub headers: HeaderFields,
    /// Problems found while reading it; empty for a healthy message.
    pub problems: Problems,
    /// How many seconds before `queued` qmail-queue began writing it (the date of its own
    /// Received line), `u16::MAX` when unknown or 18 hours or more: see
    /// [`MessageRecord::qmail_queue_time`]. Two bytes in the struct's padding.
    queue_lag: u16,
}

impl MessageRecord {
    /// A record of what a directory listing knows: its id, its files and the state they make;
    /// nothing read yet (no time, size, envelope, origin or problem).
    pub fn listed(id: MessageId, parts: Parts) -> MessageRecord {
        MessageRecord {
            id,
            queued: 0,
            size: 0,
            parts,
            state: MessageState::from_parts(parts),
            sender: None,
            recipients: RecipientSummary::default(),
            qp: None,
            origin: Origin::default(),
            headers: HeaderFields::default(),
            problems: Problems::default(),
            queue_lag: u16::MAX,
        }
    }

    /// The birth time in unix seconds, 0 when unknown: see [`MessageRecord::birth`].
    pub fn queued(&self) -> i64 {
        i64::from(self.queued)
    }

    /// Set the birth time from a file's mtime. A record keeps it in 4 bytes (a million records
    /// pay 4 MB less), which holds every time from 1970 to 2106-02-07: an mtime at or before
    /// the epoch (a hostile or broken clock's) is kept as unknown (0), one after 2106 as
    /// 2106-02-07T06:28:15Z (the largest that fits). qmail gives a message the time it was
    /// queued, so only a forged or broken mtime is changed.
    pub fn set_queued(&mut self, secs: i64) {
        self.queued = u32::try_from(secs.max(0)).unwrap_or(u32::MAX);
    }

    /// When qmail-queue began writing the message (the date of its own Received line), when
    /// the headers gave it: the moment its SMTP session ended, where the birth time (info's
    /// mtime) is when qmail-send got to it, which lags by minutes in a flood. Logs are
    /// matched to it (a mix whose webmail sessions qmail-send preprocessed 15 s late had every
    /// message pinned on the last login).
    pub fn qmail_queue_time(&self) -> Option<i64> {
        (self.queue_lag != u16::MAX && self.queued != 0)
            .then(|| self.queued() - i64::from(self.queue_lag))
    }

    /// Record qmail-queue's time `t` (call after the birth time is set). A date up to a minute
    /// after the birth time is clock skew between the Received line and the file system, read
    /// as the birth time; one further off, or 18 hours or more before it, is not kept.
    pub fn set_qmail_queue_time(&mut self, t: Option<i64>) {
        const SKEW: i64 = 60;
        self.queue_lag = match t.map(|t| self.queued() - t) {
            Some(lag) if self.queued != 0 && (-SKEW..0).contains(&lag) => 0,
            Some(lag) if self.queued != 0 => u16::try_from(lag)
                .ok()
                .filter(|&l| l != u16::MAX)
                .unwrap_or(u16::MAX),
            _ => u16::MAX,
        };
    }

    /// The birth time a record keeps for a file of mtime `secs` (see [`Self::set_queued`]).
    pub fn kept_time(secs: i64) -> i64 {
        i64::from(u32::try_from(secs.max(0)).unwrap_or(u32::MAX))
    }

    /// The birth time, `None` when unknown (`queued` 0): shown as `-` and `null`, never as
    /// 1970-01-01.
    pub fn birth(&self) -> Option<i64> {
        (self.queued != 0).then_some(self.queued())
    }

    /// The record's `size` for a file of `bytes` bytes: saturated at `u32::MAX`.
    pub fn size_of(bytes: u64) -> u32 {
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }

    /// A bounce/ file exists: qmail-qread's `bouncing`.
    pub fn is_bouncing(&self) -> bool {
        self.parts.has(Subdir::Bounce)
    }

    /// Does the message have this problem kind in any file?
    pub fn has_problem(&self, kind: ProblemKind) -> bool {
        self.problems.iter().any(|p| p.kind == kind)
    }
}

#[cfg(test)]
mod tests;
