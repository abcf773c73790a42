//! Derived key values: networks, domains, sender patterns and subject templates.
//!
//! Networks, domains and subject templates map one string to its generalisation. Sender
//! patterns also need the whole queue: whether `kbradford@philadefender.org` is one real person or
//! one forged name among hundreds depends on how many other local parts that domain has. That
//! corpus knowledge is a [`SenderPatterns`] table, built once per analysis from the records
//! ([`SenderPatterns::build`]) and then fixed, so the pattern of an address is a pure function of
//! (table, address) and a pattern's query selects exactly its cluster's messages.

use std::collections::HashSet;

pub mod arrivals;
mod table;

use table::Sender;

/// A domain's local parts are generalised only when it has at least this many distinct ones.
pub const MIN_DISTINCT: usize = 5;
/// ... and its senders average at most this many messages each (one-off forged names).
pub const MAX_MESSAGES_PER_NAME: usize = 3;
/// Bytes of an address or subject looked at; the rest cannot change a pattern or a template.
pub const MAX_PATTERN_INPUT: usize = 1024;
/// Distinct senders looked at when building the table (a queue of millions stays bounded).
pub const MAX_TABLE_SENDERS: usize = 4_000_000;

/// `86.107.221.138` → `86.107.221.0/24`; IPv6 → its /64.
pub fn network(ip: &[u8]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(ip).ok()?;
    match s.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]).into_bytes())
        }
        // A dual-stack listener writes an IPv4 client as `::ffff:a.b.c.d`: its network is
        // the IPv4 /24, not `::/64`, which would make every such client one network.
        std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => {
            let o = v6.to_ipv4_mapped()?.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]).into_bytes())
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            Some(format!("{net}/64").into_bytes())
        }
    }
}

/// The /16 (IPv6: /32) address block of a network or an IP as [`network`] writes it
/// (`198.51.100.0/24`, `2001:db8:1:2::/64`): its text to the second separator. Clients
/// scattered over many blocks are the Internet's, not one person's carrier, whose pool is a
/// block or two of dozens of /24s.
pub(crate) fn block(net: &[u8]) -> Option<&[u8]> {
    let sep = if net.contains(&b':') { b':' } else { b'.' };
    let mut at = net.iter().enumerate().filter(|(_, &b)| b == sep);
    let (second, _) = at.nth(1)?;
    Some(&net[..second])
}

/// The domain after the last `@`, lowercased.
pub fn domain(addr: &[u8]) -> Option<Vec<u8>> {
    let at = addr.iter().rposition(|&b| b == b'@')?;
    let d = &addr[at + 1..];
    (!d.is_empty()).then(|| d.to_ascii_lowercase())
}

/// `(local part, lowercased domain)` split at the last `@`; `None` without an `@`.
fn split_addr(addr: &[u8]) -> Option<(&[u8], Vec<u8>)> {
    let at = addr.iter().rposition(|&b| b == b'@')?;
    Some((&addr[..at], addr[at + 1..].to_ascii_lowercase()))
}

/// Is `addr` the VERP request of a list on this server, `LIST-return-N-@DOMAIN-@[]` with DOMAIN
/// one of ours (qmail-send writes each recipient into it; ezmlm writes it)? Its domain is `[]`:
/// generalised, a list's posts were forged names at `[]` and its real mail a culprit. Any SMTP
/// client can send a `-@[]` sender too (qmail-smtpd takes MAIL FROM as given), so only that
/// shape at one of our domains is one: a flood of `x-@[]` senders is generalised as any other.
fn is_verp_request(addr: &[u8], local_domains: &[String]) -> bool {
    let Some(inner) = addr.strip_suffix(b"-@[]") else {
        return false;
    };
    let Some(at) = inner.iter().rposition(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&inner[..at], &inner[at + 1..]);
    let list_return = local.ends_with(b"-")
        && local
            .windows(8)
            .any(|w| w.eq_ignore_ascii_case(b"-return-"));
    list_return && !domain.is_empty() && is_local_domain_lower(domain, local_domains)
}

/// `abcxyz.biz` → (`abcxyz`, `biz`): the first label and the rest; `None` for one label.
fn split_label(domain: &[u8]) -> Option<(&[u8], &[u8])> {
    let dot = domain.iter().position(|&b| b == b'.')?;
    let (first, rest) = (&domain[..dot], &domain[dot + 1..]);
    (!first.is_empty() && !rest.is_empty()).then_some((first, rest))
}

/// The character classes of `s` in words: `lowercase`, `letters+digits`, `digits+symbols`...
pub fn char_class(s: &[u8]) -> String {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    let other = s.iter().any(|b| !b.is_ascii_alphanumeric());
    let mut parts = Vec::new();
    match (lower, upper) {
        (true, false) => parts.push("lowercase"),
        (false, true) => parts.push("uppercase"),
        (true, true) => parts.push("letters"),
        (false, false) => {}
    }
    if digit {
        parts.push("digits");
    }
    if other {
        parts.push("symbols");
    }
    parts.join("+")
}

/// Length buckets, so `xqzpt` (5) and `kbradford` (9) share one pattern.
pub fn length_bucket(n: usize) -> &'static str {
    match n {
        0..=4 => "1-4",
        5..=9 => "5-9",
        10..=15 => "10-15",
        _ => "16+",
    }
}

/// `<random>`: the generalisation of one generated name. Neither its characters nor its
/// length: one generator's names differ in both (`kbradford`, `jmiller42`), and a pattern split
/// by them made dozens of clusters of one flood.
fn random_token(_s: &[u8]) -> Vec<u8> {
    RANDOM.to_vec()
}

/// The token of a generated name in a pattern.
pub const RANDOM: &[u8] = b"<random>";

/// Corpus knowledge behind sender patterns: which domains have forged local parts, and which
/// `local@*.rest` families have forged domains. Immutable once built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderPatterns {
    /// Lowercased domains whose local parts are generalised.
    random_locals: HashSet<Vec<u8>>,
    /// `(local part, domain after its first label)` whose first label is generalised
    /// (`noreply@<random>.biz`).
    random_domains: HashSet<(Vec<u8>, Vec<u8>)>,
    /// The local domains it was built with: a list's VERP request at one of them is never
    /// generalised ([`is_verp_request`]).
    local_domains: Vec<String>,
}

/// Many distinct names, each used only a few times: the shape of forged, generated names.
pub(super) fn looks_generated(names: usize, messages: usize) -> bool {
    names >= MIN_DISTINCT && messages <= names * MAX_MESSAGES_PER_NAME
}

/// [`is_local_domain`] of `domain` lowercased, without copying it when it is lowercase already
/// (a flood's million forged senders' domains usually are).
fn is_local_domain_lower(domain: &[u8], local_domains: &[String]) -> bool {
    if domain.iter().any(u8::is_ascii_uppercase) {
        is_local_domain(&domain.to_ascii_lowercase(), local_domains)
    } else {
        is_local_domain(domain, local_domains)
    }
}

/// Is `domain` (lowercased) one of ours? `.example.com` entries (rcpthosts style) match
/// subdomains.
pub fn is_local_domain(domain: &[u8], local_domains: &[String]) -> bool {
    local_domains.iter().any(|l| {
        let l = l.as_bytes();
        if let Some(suffix) = l.strip_prefix(b".") {
            domain.len() > suffix.len()
                && domain.ends_with(suffix)
                && domain[domain.len() - suffix.len() - 1] == b'.'
        } else {
            domain.eq_ignore_ascii_case(l)
        }
    })
}

impl SenderPatterns {
    /// Build the table from `(sender, messages with that sender)` pairs: one pair per distinct
    /// envelope sender. Local domains are never generalised: their users are real.
    pub fn build<'a>(
        senders: impl IntoIterator<Item = (&'a [u8], usize)>,
        local_domains: &[String],
    ) -> SenderPatterns {
        Self::build_of(senders, local_domains, false)
    }

    /// [`SenderPatterns::build`] of pairs no two of which name the same address (the queue's
    /// distinct senders, [`super::sender_patterns`]): a group spelled alike then needs no
    /// comparison of its names ([`table`]).
    pub(crate) fn build_distinct<'a>(
        senders: impl IntoIterator<Item = (&'a [u8], usize)>,
        local_domains: &[String],
    ) -> SenderPatterns {
        Self::build_of(senders, local_domains, true)
    }

    fn build_of<'a>(
        senders: impl IntoIterator<Item = (&'a [u8], usize)>,
        local_domains: &[String],
        distinct: bool,
    ) -> SenderPatterns {
        // Borrowed addresses, not hash tables of names: 24 bytes a distinct sender while the
        // table is built (a flood has a million of them).
        let list: Vec<Sender<'a>> = senders
            .into_iter()
            .take(MAX_TABLE_SENDERS)
            .filter_map(|(addr, n)| {
                // Before the cut: a long request cut short is no longer one.
                if is_verp_request(addr, local_domains) {
                    return None;
                }
                let addr = &addr[..addr.len().min(MAX_PATTERN_INPUT)];
                let at = addr.iter().rposition(|&b| b == b'@')?;
                let (local, dom) = (&addr[..at], &addr[at + 1..]);
                if local.is_empty() || dom.is_empty() || is_local_domain_lower(dom, local_domains) {
                    return None;
                }
                Some(Sender {
                    addr,
                    at: local.len() as u32,
                    messages: u32::try_from(n).unwrap_or(u32::MAX),
                })
            })
            .collect();
        // Domains whose local parts are generalised: distinct local parts per lowercased domain.
        let random_locals = table::random_locals(&list, distinct)
            .iter()
            .map(|s| s.domain().to_ascii_lowercase())
            .collect();
        // Families (lowercased local part, domain after its first label) whose first label is
        // generalised: distinct first labels per family.
        let random_domains = table::random_domains(&list, distinct)
            .iter()
            .map(|s| {
                let (_, rest) = s.labels().unwrap_or_default();
                (s.local().to_ascii_lowercase(), rest.to_ascii_lowercase())
            })
            .collect();
        SenderPatterns {
            random_locals,
            random_domains,
            local_domains: local_domains.to_vec(),
        }
    }

    /// The pattern of one envelope sender: `<>` for the null sender, a generalised pattern when
    /// the table says its domain or its domain family is generated, else the address itself
    /// with its domain lowercased.
    pub fn pattern(&self, addr: &[u8]) -> Vec<u8> {
        if addr.is_empty() {
            return b"<>".to_vec();
        }
        if is_verp_request(addr, &self.local_domains) {
            return addr[..addr.len().min(MAX_PATTERN_INPUT)].to_vec();
        }
        let addr = &addr[..addr.len().min(MAX_PATTERN_INPUT)];
        let Some((local, dom)) = split_addr(addr) else {
            return addr.to_vec();
        };
        let mut out;
        if self.random_locals.contains(&dom) {
            out = random_token(local);
            out.push(b'@');
            out.extend_from_slice(&dom);
            return out;
        }
        if let Some((first, rest)) = split_label(&dom) {
            let lower_local = local.to_ascii_lowercase();
            if self
                .random_domains
                .contains(&(lower_local.clone(), rest.to_vec()))
            {
                out = lower_local;
                out.push(b'@');
                out.extend_from_slice(&random_token(first));
                out.push(b'.');
                out.extend_from_slice(rest);
                return out;
            }
        }
        out = local.to_vec();
        out.push(b'@');
        out.extend_from_slice(&dom);
        out
    }

    /// Is `pattern` a generalisation (as opposed to one literal address)?
    pub fn is_generalised(pattern: &[u8]) -> bool {
        pattern.windows(RANDOM.len()).any(|w| w == RANDOM)
    }

    /// Number of domains and domain families the table generalises (for reasons and tests).
    pub fn len(&self) -> usize {
        self.random_locals.len() + self.random_domains.len()
    }

    /// True when nothing is generalised.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The pattern of one sender with no corpus knowledge: the address itself (domain lowercased),
/// `<>` for the null sender. Use [`SenderPatterns::pattern`] to get the analysis' patterns.
pub fn sender_pattern(addr: &[u8]) -> Option<Vec<u8>> {
    Some(SenderPatterns::default().pattern(addr))
}

/// Does this word of a subject look generated rather than written? Mixed letters and digits of
/// 4 or more, letters with no vowel (`xqzpt`), random case (`xQzPt`), or very long runs.
fn is_random_word(w: &str) -> bool {
    let n = w.chars().count();
    let letters = w.chars().filter(|c| c.is_alphabetic()).count();
    let digits = w.chars().filter(|c| c.is_ascii_digit()).count();
    if letters > 0 && digits > 0 {
        return n >= 4;
    }
    if !w.is_ascii() || n < 5 {
        return n >= 25;
    }
    let lower = w.to_ascii_lowercase();
    let no_vowel = !lower.bytes().any(|b| b"aeiouy".contains(&b));
    let inner_upper = w.bytes().skip(1).filter(u8::is_ascii_uppercase).count();
    let random_case = inner_upper >= 2 && inner_upper < n - 1;
    no_vowel || random_case || n >= 25
}

/// Subject templates of interned subjects, each distinct subject worked out once: a plan's
/// parts and the owner rule compare a few messages' templates with a culprit's many.
pub(crate) struct Templates<'a> {
    strings: &'a crate::queue::Interner,
    seen: rustc_hash::FxHashMap<crate::queue::Sym, Option<Vec<u8>>>,
}

impl<'a> Templates<'a> {
    pub(crate) fn new(strings: &'a crate::queue::Interner) -> Templates<'a> {
        Templates {
            strings,
            seen: Default::default(),
        }
    }

    /// The template of `subject` (none for no subject).
    pub(crate) fn of(&mut self, subject: Option<crate::queue::Sym>) -> Option<Vec<u8>> {
        let s = subject?;
        let strings = self.strings;
        (self.seen.entry(s))
            .or_insert_with(|| strings.with(s, subject_template))
            .clone()
    }
}

/// Decoded subject → template: addresses become `*@domain`, digit runs `#`, generated words `*`,
/// so `Invoice 4471 ref A7X9QZ` and `Invoice 18 ref K2PP0Q` are one template
/// (`Invoice # ref *`). Whitespace is already collapsed by the decoder.
pub fn subject_template(subject: &[u8]) -> Option<Vec<u8>> {
    let cut = &subject[..subject.len().min(MAX_PATTERN_INPUT)];
    if cut.is_ascii() {
        return Some(ascii_template(cut));
    }
    Some(text_template(cut))
}

/// [`subject_template`] of any bytes, by chars. Bytes that are not UTF-8 (a subject kept as
/// bytes: no charset said or found) are written `\xNN`, so the value reads as the message's
/// subject does and stays text: `U+FFFD` hid them and made `\xff\xfe` and `\xfe\xff` one
/// value, while raw bytes made two clusters whose (text) queries each selected both.
fn text_template(cut: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(cut.len());
    for (i, word) in cut.split(|&b| b == b' ').enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let Ok(word) = std::str::from_utf8(word) else {
            for chunk in word.utf8_chunks() {
                let mut masked = String::new();
                mask_word(chunk.valid(), &mut masked);
                out.extend_from_slice(masked.as_bytes());
                let escaped = crate::sanitize::invalid_bytes_escaped(chunk.invalid());
                out.extend_from_slice(escaped.as_bytes());
            }
            continue;
        };
        if let Some(at) = word.rfind('@').filter(|&at| at > 0 && at + 1 < word.len()) {
            out.push(b'*');
            out.extend_from_slice(word[at..].to_lowercase().as_bytes());
            continue;
        }
        let mut masked = String::new();
        mask_word(word, &mut masked);
        out.extend_from_slice(masked.as_bytes());
    }
    out
}

/// [`subject_template`] of ASCII text, by bytes: the same steps as [`text_template`] without
/// a `String` per word and run (most subjects of a flood are ASCII).
fn ascii_template(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for (i, word) in text.split(|&b| b == b' ').enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let at = word.iter().rposition(|&b| b == b'@');
        if let Some(at) = at.filter(|&at| at > 0 && at + 1 < word.len()) {
            out.push(b'*');
            out.extend(word[at..].iter().map(u8::to_ascii_lowercase));
            continue;
        }
        let mut rest = word;
        while !rest.is_empty() {
            let run = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            mask_ascii_run(&rest[..run], &mut out);
            match rest.get(run) {
                Some(&b) => out.push(b),
                None => break,
            }
            rest = &rest[run + 1..];
        }
    }
    out
}

/// One alphanumeric run of [`ascii_template`], masked as `mask_word` masks it.
fn mask_ascii_run(run: &[u8], out: &mut Vec<u8>) {
    if run.is_empty() {
        return;
    }
    let digits = run.iter().filter(|b| b.is_ascii_digit()).count();
    if digits == run.len() {
        out.push(b'#');
    } else if is_random_ascii(run, digits) {
        out.push(b'*');
    } else if digits == 0 {
        out.extend_from_slice(run);
    } else {
        let mut in_digits = false;
        for &c in run {
            if !c.is_ascii_digit() {
                out.push(c);
            } else if !in_digits {
                out.push(b'#');
            }
            in_digits = c.is_ascii_digit();
        }
    }
}

/// [`is_random_word`] of an ASCII alphanumeric run holding `digits` digits (not all digits).
fn is_random_ascii(w: &[u8], digits: usize) -> bool {
    let n = w.len();
    if digits > 0 {
        return n >= 4;
    }
    if n < 5 {
        return false;
    }
    let vowel = |b: &u8| {
        matches!(
            b.to_ascii_lowercase(),
            b'a' | b'e' | b'i' | b'o' | b'u' | b'y'
        )
    };
    let no_vowel = !w.iter().any(vowel);
    let inner_upper = w[1..].iter().filter(|b| b.is_ascii_uppercase()).count();
    let random_case = inner_upper >= 2 && inner_upper < n - 1;
    no_vowel || random_case || n >= 25
}

/// Mask the alphanumeric runs of one word, keeping punctuation between them.
fn mask_word(word: &str, out: &mut String) {
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.is_empty() {
            return;
        }
        if run.chars().all(|c| c.is_ascii_digit()) {
            out.push('#');
        } else if is_random_word(run) {
            out.push('*');
        } else {
            // Short mixed words (`MP3`, `2FA`) keep their letters; digits are still masked.
            let mut in_digits = false;
            for c in run.chars() {
                if c.is_ascii_digit() {
                    if !in_digits {
                        out.push('#');
                    }
                } else {
                    out.push(c);
                }
                in_digits = c.is_ascii_digit();
            }
        }
        run.clear();
    };
    for c in word.chars() {
        if c.is_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, out);
            out.push(c);
        }
    }
    flush(&mut run, out);
}

#[cfg(test)]
mod tests;
