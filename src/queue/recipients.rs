//! A message's envelope recipients: the summary a record keeps, and the whole list read on demand.
//!
//! A relay flood sends 1-50 recipients a message to a harvest of a million addresses; keeping
//! every address on every record made memory grow with the recipients (1,350 bytes a message at
//! ~17 each). The ranking, the clusters, `list` and most query terms need only counts, the
//! first recipient and the distinct recipient domains, so that is what [`RecipientSummary`]
//! keeps: 20 bytes a record whatever the number of recipients, the domain set interned once for
//! all the messages that share it. Everything that shows or matches every address (`list --json`,
//! `read`, the inspector, `rcpt:`) reads the envelope files again with
//! [`super::recipient_reader::RecipientReader`], the same bounded reads that never follow a link.

use super::{Interner, Sym};

mod memo;
pub use memo::RecipientMemo;

/// The most bytes read from one envelope file (10,000 recipients of 1,000 bytes fit).
pub const ENVELOPE_CAP: usize = 16 * 1024 * 1024;

/// Which envelope file a recipient came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// `local/`: delivered on this host.
    Local,
    /// `remote/`: relayed to another host. Spam relaying shows here.
    Remote,
    /// `todo/` or `intd/`: not yet split into local and remote by qmail-send.
    Todo,
}

impl Channel {
    /// The word used in output.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Local => "local",
            Channel::Remote => "remote",
            Channel::Todo => "todo",
        }
    }
}

/// One envelope recipient, as read from the message's envelope files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient<'a> {
    /// The address, exactly as in the envelope.
    pub address: &'a [u8],
    /// The file it came from.
    pub channel: Channel,
    /// `D` record: delivered or failed for good.
    pub done: bool,
}

/// Every recipient of one message, in envelope order: local/ then remote/ records in file order,
/// or todo's. The addresses are kept back to back in one buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecipientList {
    bytes: Vec<u8>,
    /// Where each address ends in `bytes`, its channel and its done flag.
    items: Vec<(u32, Channel, bool)>,
}

impl RecipientList {
    /// Add a recipient at the end.
    pub fn push(&mut self, address: &[u8], channel: Channel, done: bool) {
        self.bytes.extend_from_slice(address);
        let end = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.items.push((end, channel, done));
    }

    /// How many recipients.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The recipients in envelope order.
    pub fn iter(&self) -> impl Iterator<Item = Recipient<'_>> + '_ {
        let mut start = 0usize;
        self.items.iter().map(move |&(end, channel, done)| {
            let end = (end as usize).min(self.bytes.len());
            let address = &self.bytes[start.min(end)..end];
            start = end;
            Recipient {
                address,
                channel,
                done,
            }
        })
    }

    /// The summary a record keeps of this list.
    pub fn summary(&self, strings: &Interner) -> RecipientSummary {
        let (mut b, mut memo) = (SummaryBuilder::default(), RecipientMemo::new(strings));
        for r in self.iter() {
            b.add(strings, &mut memo, r.address, r.channel);
        }
        b.finish(strings, &mut memo)
    }
}

/// What a record keeps of its recipients (20 bytes): counts per envelope file, the first
/// address and the set of distinct recipient domains, interned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecipientSummary {
    local: u32,
    remote: u32,
    todo: u32,
    first: Option<Sym>,
    /// The encoded [`RecipientDomain`] set ([`SummaryBuilder::finish`]); `None` when empty.
    domains: Option<Sym>,
}

/// One entry of a record's recipient domain set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientDomain {
    /// The envelope file its recipients came from.
    pub channel: Channel,
    /// The lowercased domain (as `analysis::patterns::domain` gives it); `None` for addresses
    /// without one.
    pub domain: Option<Sym>,
    /// How many `todo` recipients have this domain (0 for local and remote entries, whose
    /// counts per domain nothing needs: keeping them would make every message's set its own).
    pub todo_count: u32,
}

impl RecipientSummary {
    /// The summary of `rcpts` (address, channel), in envelope order: for records built by hand.
    pub fn of<'a>(
        strings: &Interner,
        rcpts: impl IntoIterator<Item = (&'a [u8], Channel)>,
    ) -> RecipientSummary {
        let (mut b, mut memo) = (SummaryBuilder::default(), RecipientMemo::new(strings));
        for (a, c) in rcpts {
            b.add(strings, &mut memo, a, c);
        }
        b.finish(strings, &mut memo)
    }

    /// All recipients (every channel).
    pub fn len(&self) -> usize {
        (self.local as usize) + (self.remote as usize) + (self.todo as usize)
    }

    /// True when the message has no recipient.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Recipients from `channel`'s envelope file.
    pub fn count(&self, channel: Channel) -> u32 {
        match channel {
            Channel::Local => self.local,
            Channel::Remote => self.remote,
            Channel::Todo => self.todo,
        }
    }

    /// The first recipient's address, in envelope order.
    pub fn first(&self) -> Option<Sym> {
        self.first
    }

    /// The interned domain set: equal for messages with the same [`RecipientSummary::domains`].
    pub fn domain_set(&self) -> Option<Sym> {
        self.domains
    }

    /// The distinct recipient domains with their channels, in a fixed order.
    pub fn domains(&self, strings: &Interner) -> Vec<RecipientDomain> {
        let Some(sym) = self.domains else {
            return Vec::new();
        };
        strings.with(sym, decode_domains)
    }
}

/// The size of one encoded domain entry: channel, domain, todo count.
const ENTRY: usize = 1 + 4 + 4;

fn channel_byte(c: Channel) -> u8 {
    match c {
        Channel::Local => 0,
        Channel::Remote => 1,
        Channel::Todo => 2,
    }
}

fn decode_domains(bytes: &[u8]) -> Vec<RecipientDomain> {
    bytes
        .chunks_exact(ENTRY)
        .filter_map(|e| {
            let channel = match e[0] {
                0 => Channel::Local,
                1 => Channel::Remote,
                2 => Channel::Todo,
                _ => return None,
            };
            let word = |at: usize| u32::from_le_bytes([e[at], e[at + 1], e[at + 2], e[at + 3]]);
            Some(RecipientDomain {
                channel,
                domain: Sym::from_u32(word(1)),
                todo_count: word(5),
            })
        })
        .collect()
}

/// Builds a [`RecipientSummary`] one recipient at a time (the scan's reader and tests).
///
/// A message whose recipients are all in local/ or remote/ at domains its thread has given a
/// bit ([`RecipientMemo`], the first 64 it met) keeps its domain set as a word of those bits,
/// and the thread's memory answers the set's symbol from the word: a relay flood's message
/// (17 recipients at a few of the same dozen domains) searches no entries and sorts, encodes
/// and interns no set. Anything else (todo/'s counts per domain, an address without a domain,
/// a domain without a bit, another interner) falls back to the entries, the bits so far
/// spilled into them; both give the same set.
#[derive(Debug, Default)]
pub struct SummaryBuilder {
    summary: RecipientSummary,
    /// The (channel, domain) bits of the recipients so far, while `spilled` is false.
    mask: u64,
    /// The domain set is kept in `domains` (from the first recipient the word cannot hold on).
    spilled: bool,
    domains: smallvec::SmallVec<[RecipientDomain; 8]>,
}

impl SummaryBuilder {
    /// Count `address` from `channel`'s file; `memo` answers for the domains its thread
    /// interned lately.
    pub fn add(
        &mut self,
        strings: &Interner,
        memo: &mut RecipientMemo<'_>,
        address: &[u8],
        channel: Channel,
    ) {
        let s = &mut self.summary;
        match channel {
            Channel::Local => s.local = s.local.saturating_add(1),
            Channel::Remote => s.remote = s.remote.saturating_add(1),
            Channel::Todo => s.todo = s.todo.saturating_add(1),
        }
        if s.first.is_none() {
            s.first = Some(strings.intern(address));
        }
        if !self.spilled {
            let domain = match domain_of(address) {
                Some(d) => match memo.domain_bit(strings, d, channel) {
                    Ok(word) => {
                        self.mask |= word;
                        return;
                    }
                    Err(sym) => Some(sym),
                },
                None => None,
            };
            self.spill(memo);
            return self.push(channel, domain);
        }
        let domain = domain_of(address).map(|d| memo.domain(strings, d));
        self.push(channel, domain);
    }

    /// Count a recipient of `channel` at `domain` in the entries (out of line: a flood's
    /// recipients seldom come here, and `add` stays small).
    #[inline(never)]
    fn push(&mut self, channel: Channel, domain: Option<Sym>) {
        let todo = u32::from(channel == Channel::Todo);
        match self
            .domains
            .iter_mut()
            .find(|e| e.channel == channel && e.domain == domain)
        {
            Some(e) => e.todo_count = e.todo_count.saturating_add(todo),
            None => self.domains.push(RecipientDomain {
                channel,
                domain,
                todo_count: todo,
            }),
        }
    }

    /// Move the domain set from the word of bits into the entries.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, memo: &RecipientMemo<'_>) {
        self.spilled = true;
        self.domains.extend(memo.entries_of(self.mask));
        self.mask = 0;
    }

    /// The summary, its domain set interned (the same set is one string for every message):
    /// from `memo`, the one `add` was given, when the set is a word of its bits.
    pub fn finish(mut self, strings: &Interner, memo: &mut RecipientMemo<'_>) -> RecipientSummary {
        if !self.spilled {
            if self.mask != 0 {
                self.summary.domains = Some(memo.set_of(strings, self.mask));
            }
            return self.summary;
        }
        if !self.domains.is_empty() {
            self.summary.domains = Some(intern_set(strings, &mut self.domains));
        }
        self.summary
    }
}

/// `entries` (distinct channel and domain pairs) sorted, encoded and interned: the string of
/// [`RecipientSummary::domains`].
fn intern_set(strings: &Interner, entries: &mut [RecipientDomain]) -> Sym {
    entries.sort_unstable_by_key(|e| (channel_byte(e.channel), e.domain.map(Sym::as_u32)));
    // Sized once and filled in place: pushed byte by byte, each push checked for room.
    let mut bytes = smallvec::SmallVec::<[u8; 96]>::from_elem(0, entries.len() * ENTRY);
    for (e, out) in entries.iter().zip(bytes.chunks_exact_mut(ENTRY)) {
        out[0] = channel_byte(e.channel);
        out[1..5].copy_from_slice(&e.domain.map_or(0, Sym::as_u32).to_le_bytes());
        out[5..9].copy_from_slice(&e.todo_count.to_le_bytes());
    }
    strings.intern(&bytes)
}

/// The domain part of an address (after its last `@`), `None` without one or when empty.
fn domain_of(address: &[u8]) -> Option<&[u8]> {
    let at = last_at(address)?;
    let d = &address[at + 1..];
    (!d.is_empty()).then_some(d)
}

/// Where the last `@` of `address` is, looked for 8 bytes at a time from the end: byte by byte
/// this was half of [`SummaryBuilder::add`]'s own instructions (a domain is about 10 bytes).
fn last_at(address: &[u8]) -> Option<usize> {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ATS: u64 = 0x4040_4040_4040_4040;
    let mut end = address.len();
    while end >= 8 {
        let word: [u8; 8] = address[end - 8..end].try_into().unwrap_or_default();
        let x = u64::from_le_bytes(word) ^ ATS;
        // The top bit of each byte of `x` that is zero (an `@`), exactly: no carry crosses
        // bytes, so a byte above an `@` is never taken for one.
        let ats = !(((x & LOW7) + LOW7) | x | LOW7);
        if ats != 0 {
            return Some(end - 1 - (ats.leading_zeros() / 8) as usize);
        }
        end -= 8;
    }
    address[..end].iter().rposition(|&b| b == b'@')
}

#[cfg(test)]
mod tests;
