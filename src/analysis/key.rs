//! ClusterKey: the ways to group messages, and the value of a key for one message.
//!
//! Shared by `clusters`, `top`, the query language's `cluster:KEY=VALUE`, the watcher's
//! per-cluster rates and the TUI, so a cluster means the same thing everywhere.

use rustc_hash::FxHashMap;

use super::context::AnalysisContext;
use super::patterns::SenderPatterns;
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// A grouping key (`qtriage clusters --by KEY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[value(rename_all = "kebab-case")]
pub enum ClusterKey {
    /// The SMTP client IP.
    OriginIp,
    /// The client's network: /24 for IPv4, /64 for IPv6.
    OriginNet,
    /// The SMTP AUTH login.
    AuthUser,
    /// The local uid that ran qmail-queue.
    Uid,
    /// The PHP script.
    Script,
    /// The HELO argument.
    Helo,
    /// The envelope sender.
    Sender,
    /// The envelope sender's domain.
    SenderDomain,
    /// The envelope sender generalised (`<random>@philadefender.org`).
    SenderPattern,
    /// The From header address.
    From,
    /// The first recipient's domain.
    RcptDomain,
    /// The decoded subject with digits and random tokens masked.
    Subject,
    /// The origin kind (`smtp-auth`, `local`, ...).
    Origin,
}

impl ClusterKey {
    /// Every key, in the order the TUI cycles through them.
    pub const ALL: [ClusterKey; 13] = [
        ClusterKey::AuthUser,
        ClusterKey::OriginIp,
        ClusterKey::OriginNet,
        ClusterKey::Uid,
        ClusterKey::Script,
        ClusterKey::Helo,
        ClusterKey::Sender,
        ClusterKey::SenderDomain,
        ClusterKey::SenderPattern,
        ClusterKey::From,
        ClusterKey::RcptDomain,
        ClusterKey::Subject,
        ClusterKey::Origin,
    ];

    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ClusterKey::OriginIp => "origin-ip",
            ClusterKey::OriginNet => "origin-net",
            ClusterKey::AuthUser => "auth-user",
            ClusterKey::Uid => "uid",
            ClusterKey::Script => "script",
            ClusterKey::Helo => "helo",
            ClusterKey::Sender => "sender",
            ClusterKey::SenderDomain => "sender-domain",
            ClusterKey::SenderPattern => "sender-pattern",
            ClusterKey::From => "from",
            ClusterKey::RcptDomain => "rcpt-domain",
            ClusterKey::Subject => "subject",
            ClusterKey::Origin => "origin",
        }
    }

    /// Parse a key name.
    pub fn from_name(name: &str) -> Option<ClusterKey> {
        ClusterKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The value of a key for one message. `None` (no value) is shown as `(none)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyValue {
    /// An interned string (IP, user, sender, computed pattern...).
    Text(Sym),
    /// A uid.
    Uid(u32),
    /// An origin kind.
    Origin(OriginKindOrd),
}

/// [`OriginKind`] with an order, so values sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OriginKindOrd(pub u8);

impl ClusterKey {
    /// How an empty value of this key is written for people, so a row never shows a blank:
    /// qmail's `<>` for the envelope sender (a bounce's null sender), `""` for any other.
    pub fn empty_shown(self) -> &'static str {
        if self == ClusterKey::Sender {
            "<>"
        } else {
            "\"\""
        }
    }
}

impl KeyValue {
    /// The value as text (unsanitized; sanitize before showing it to a person).
    pub fn text(&self, strings: &Interner) -> String {
        match self {
            KeyValue::Text(s) => strings.text(*s),
            KeyValue::Uid(u) => u.to_string(),
            KeyValue::Origin(k) => OriginKind::ALL[k.0 as usize].name().to_string(),
        }
    }

    /// Call `f` with the value's bytes: a text value's exactly as the message has them, where
    /// [`KeyValue::text`] would make two senders differing in a byte that is not UTF-8 one
    /// (review51: a cluster's query selected both).
    pub fn with_bytes<T>(&self, strings: &Interner, f: impl FnOnce(&[u8]) -> T) -> T {
        match self {
            KeyValue::Text(s) => strings.with(*s, f),
            other => f(other.text(strings).as_bytes()),
        }
    }

    /// The value's exact bytes, shared: a text value's as the message has them (for `--json`,
    /// which keeps them), another's as its text.
    pub fn bytes(&self, strings: &Interner) -> std::sync::Arc<[u8]> {
        match self {
            KeyValue::Text(s) => strings.resolve(*s),
            other => std::sync::Arc::from(other.text(strings).as_bytes()),
        }
    }

    /// The value as a person reads it as `key`'s: [`KeyValue::text`], or
    /// [`ClusterKey::empty_shown`] when that is empty (unsanitized, like `text`), except that
    /// bytes that are not UTF-8 (a subject kept as bytes) read `\xNN`, as `list` shows them,
    /// not `U+FFFD`.
    pub fn shown(&self, key: ClusterKey, strings: &Interner) -> String {
        let text = match self {
            KeyValue::Text(s) => strings.with(*s, crate::sanitize::invalid_bytes_escaped),
            other => other.text(strings),
        };
        match text {
            empty if empty.is_empty() => key.empty_shown().to_string(),
            text => text,
        }
    }

    /// How `self` and `other` compare in list order: text by its bytes (not by symbol, whose
    /// number depends on the interner's random hash seed), text before other values, the
    /// others by their own order.
    pub fn cmp_text(&self, other: &KeyValue, strings: &Interner) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (KeyValue::Text(p), KeyValue::Text(q)) => strings.cmp_bytes(*p, *q),
            (KeyValue::Text(_), _) => Ordering::Less,
            (_, KeyValue::Text(_)) => Ordering::Greater,
            (p, q) => p.cmp(q),
        }
    }
}

/// Computes key values, caching derived strings (patterns, networks) per source string so a
/// million messages cost one derivation per distinct sender, IP or subject.
///
/// `sender-pattern` values depend on corpus knowledge (a [`SenderPatterns`] table). An extractor
/// made with [`KeyExtractor::new`] has none and gives each sender its literal pattern; use
/// [`KeyExtractor::with_sender_patterns`] (or `Analysis::extractor`) with the analysis' table to
/// get the same values as that analysis' clusters. For a fixed table, `value` is a pure
/// function of the record.
pub struct KeyExtractor<'a> {
    key: ClusterKey,
    strings: &'a Interner,
    derived: FxHashMap<Sym, Option<Sym>>,
    patterns: Option<&'a SenderPatterns>,
    ctx: Option<&'a AnalysisContext>,
}

impl<'a> KeyExtractor<'a> {
    /// An extractor for `key` (sender patterns without corpus knowledge: literal senders).
    pub fn new(key: ClusterKey, strings: &'a Interner) -> KeyExtractor<'a> {
        KeyExtractor {
            key,
            strings,
            derived: FxHashMap::default(),
            patterns: None,
            ctx: None,
        }
    }

    /// Judge with what `ctx` knows of the server: `auth-user` values are accounts (a bare
    /// login takes the default domain, [`super::account`]) and `uid` has no value for qmail's
    /// own daemon uids ([`AnalysisContext::is_qmail_daemon`]: such a message came from the
    /// network or from qmail, not from a local sender). The analysis' extractors all do.
    pub fn with_context(mut self, ctx: &'a AnalysisContext) -> KeyExtractor<'a> {
        self.ctx = Some(ctx);
        self.derived.clear();
        self
    }

    fn account(&mut self, src: Option<Sym>) -> Option<KeyValue> {
        let src = src?;
        let Some(ctx) = self.ctx else {
            return Some(KeyValue::Text(src));
        };
        let strings = self.strings;
        let out = *self.derived.entry(src).or_insert_with(|| {
            // Borrowed under the shard's lock, not copied out: once per distinct login.
            let a = strings.with(src, |b| {
                super::account::account(b, ctx.default_domain.as_deref())
            });
            Some(strings.intern(a.as_ref()))
        });
        out.map(KeyValue::Text)
    }

    /// Use `table` for `sender-pattern` values (built by [`SenderPatterns::build`] over the same
    /// records the values are compared with).
    pub fn with_sender_patterns(mut self, table: &'a SenderPatterns) -> KeyExtractor<'a> {
        self.patterns = Some(table);
        self.derived.clear();
        self
    }

    fn sender_pattern(&mut self, src: Option<Sym>) -> Option<KeyValue> {
        let src = src?;
        let (strings, table) = (self.strings, self.patterns);
        let out = *self.derived.entry(src).or_insert_with(|| {
            // Borrowed under the shard's lock, not copied out: once per distinct sender, a
            // flood's million.
            let p = strings.with(src, |addr| match table {
                Some(t) => t.pattern(addr),
                None => SenderPatterns::default().pattern(addr),
            });
            Some(strings.intern(&p))
        });
        out.map(KeyValue::Text)
    }

    /// The interner values are resolved with.
    pub fn strings(&self) -> &'a Interner {
        self.strings
    }

    /// The key this extractor computes.
    pub fn key(&self) -> ClusterKey {
        self.key
    }

    fn derive(&mut self, src: Option<Sym>, f: fn(&[u8]) -> Option<Vec<u8>>) -> Option<KeyValue> {
        let src = src?;
        let strings = self.strings;
        let out = *self
            .derived
            .entry(src)
            .or_insert_with(|| strings.with(src, f).map(|v| strings.intern(&v)));
        out.map(KeyValue::Text)
    }

    /// The value of the key for `r`.
    pub fn value(&mut self, r: &MessageRecord) -> Option<KeyValue> {
        let o = &r.origin;
        let text = |s: Option<Sym>| s.map(KeyValue::Text);
        match self.key {
            ClusterKey::OriginIp => text(o.ip),
            ClusterKey::OriginNet => self.derive(o.ip, super::patterns::network),
            ClusterKey::AuthUser => self.account(o.auth_user),
            ClusterKey::Uid => o
                .uid()
                .filter(|&u| !self.ctx.is_some_and(|c| c.is_qmail_daemon(u)))
                .map(KeyValue::Uid),
            // A header PHP did not write names the script it frames, not the sender: its own
            // value, so the real script's cluster is never taken with it.
            ClusterKey::Script if o.script_forged => self.derive(o.script, forged_script),
            ClusterKey::Script => text(o.script),
            ClusterKey::Helo => text(o.helo),
            ClusterKey::Sender => text(r.sender),
            ClusterKey::SenderDomain => self.derive(r.sender, super::patterns::domain),
            ClusterKey::SenderPattern => self.sender_pattern(r.sender),
            ClusterKey::From => text(r.headers.from),
            ClusterKey::RcptDomain => {
                let first = r.recipients.first();
                self.derive(first, super::patterns::domain)
            }
            ClusterKey::Subject => {
                self.derive(r.headers.subject, super::patterns::subject_template)
            }
            ClusterKey::Origin => {
                let i = OriginKind::ALL
                    .iter()
                    .position(|k| *k == o.kind)
                    .unwrap_or(5);
                Some(KeyValue::Origin(OriginKindOrd(i as u8)))
            }
        }
    }
}

/// The `script` value of a message whose X-PHP-Originating-Script PHP did not write
/// ([`crate::queue::Origin::script_forged`]): `contact.php (forged header)`.
pub fn forged_script(script: &[u8]) -> Option<Vec<u8>> {
    Some([script, FORGED_SUFFIX].concat())
}

/// What [`forged_script`] appends.
pub const FORGED_SUFFIX: &[u8] = b" (forged header)";

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty value never reads as a blank: `<>` for the null sender, `""` for any other.
    #[test]
    fn empty_values_are_shown_as_qmail_writes_them() {
        let strings = Interner::new();
        let empty = KeyValue::Text(strings.intern(b""));
        assert_eq!(empty.shown(ClusterKey::Sender, &strings), "<>");
        assert_eq!(empty.shown(ClusterKey::Subject, &strings), "\"\"");
        assert_eq!(empty.text(&strings), "");
        let user = KeyValue::Text(strings.intern(b"test"));
        assert_eq!(user.shown(ClusterKey::AuthUser, &strings), "test");
        // Bytes kept as bytes read as `list` shows them (the hostile-input audit saw U+FFFD).
        let bytes = KeyValue::Text(strings.intern(b"\xff\xfe cheap \x1b"));
        assert_eq!(
            bytes.shown(ClusterKey::Subject, &strings),
            "\\xff\\xfe cheap \x1b"
        );
        assert_eq!(KeyValue::Uid(48).shown(ClusterKey::Uid, &strings), "48");
    }
}
