//! Sender patterns learned from a watch's arrivals: a domain whose forged names start arriving
//! after the table was built becomes `<random>@domain` once the arrivals show it, by the
//! table's own rule, as the next scan would call it.
//!
//! The table ([`SenderPatterns`]) is fixed for an analysis, so a pattern's query selects its
//! cluster. A watch runs on: with the table of its first scan only, a flood that starts
//! forging names at a new domain would be a thousand clusters of one message each, none of
//! them seen to grow. Only the forged-names-at-one-domain kind is learned here (the
//! first-label kind, `noreply@<random>.biz`, waits for the next scan).

use rustc_hash::{FxHashMap, FxHashSet};

use super::{is_local_domain, looks_generated, split_addr, SenderPatterns, RANDOM};
use super::{MAX_MESSAGES_PER_NAME, MAX_PATTERN_INPUT, MIN_DISTINCT};
use crate::queue::MessageId;

/// Distinct names a domain's arrivals must show, twice the table's: the table judges every
/// message at once, the arrivals are judged as they come, and the first five messages of five
/// people who go on writing all day look like five forged names; forged names reach ten in a
/// few seconds of a flood, five people never do.
const LEARN_NAMES: usize = 2 * MIN_DISTINCT;

/// Distinct names remembered per domain; a domain with more arrivals than this many names can
/// average without being generated is let go (so a domain costs at most a few KB).
const MAX_NAMES: usize = 256;
/// Domains followed at once; arrivals at further domains are not learned from.
const MAX_DOMAINS: usize = 65_536;
/// The names must arrive within this long (ms) of a domain's first counted arrival: a flood's
/// ten forged names take seconds; ten one-off real senders at a freemail domain over an hour's
/// watch are not a flood. Older counts start again.
const LEARN_WINDOW_MS: i64 = 10 * 60 * 1000;

/// What the arrivals at one domain have shown.
#[derive(Debug, Default)]
struct Seen {
    /// When the first arrival counted now came (ms).
    since_ms: i64,
    names: FxHashSet<Box<[u8]>>,
    messages: usize,
    /// The arrivals given the literal pattern (id, arrival time), to move once the domain is
    /// learned.
    arrivals: Vec<(MessageId, i64)>,
    /// Learned: its senders are `<random>@domain` from now on.
    generated: bool,
    /// Let go (too many messages a name).
    settled: bool,
}

/// The domains a watch's arrivals showed generated, beyond a fixed table.
#[derive(Debug, Default)]
pub struct ArrivalPatterns {
    domains: FxHashMap<Box<[u8]>, Seen>,
    /// How many of `domains` are learned (none: [`ArrivalPatterns::pattern`] looks at nothing).
    learned: usize,
}

/// A domain learned by [`ArrivalPatterns::note`].
#[derive(Debug, PartialEq, Eq)]
pub struct Learned {
    /// Its pattern, `<random>@domain`.
    pub pattern: Vec<u8>,
    /// The earlier arrivals from it (id, arrival time), which had their literal pattern; a
    /// caller moves only those still there with that time (an id is an inode, and reused).
    pub earlier: Vec<(MessageId, i64)>,
}

impl ArrivalPatterns {
    /// Note that message `id` from `sender` arrived at `at_ms`. `table` and `local_domains`
    /// are the ones values are taken with: a domain the table already generalises, or one of
    /// ours, is not learned. Returns the domain when this arrival is the one that shows it
    /// generated.
    pub fn note(
        &mut self,
        (id, at_ms): (MessageId, i64),
        sender: &[u8],
        table: &SenderPatterns,
        local_domains: &[String],
    ) -> Option<Learned> {
        let sender = &sender[..sender.len().min(MAX_PATTERN_INPUT)];
        let (local, domain) = split_addr(sender)?;
        if local.is_empty() || domain.is_empty() {
            return None;
        }
        if !self.domains.contains_key(&domain[..]) {
            if self.domains.len() >= MAX_DOMAINS
                || is_local_domain(&domain, local_domains)
                || SenderPatterns::is_generalised(&table.pattern(sender))
            {
                return None;
            }
            let seen = Seen {
                since_ms: at_ms,
                ..Seen::default()
            };
            self.domains.insert(domain.clone().into(), seen);
        }
        let seen = self.domains.get_mut(&domain[..])?;
        if seen.generated || seen.settled {
            return None;
        }
        if at_ms - seen.since_ms > LEARN_WINDOW_MS {
            *seen = Seen {
                since_ms: at_ms,
                ..Seen::default()
            };
        }
        seen.messages += 1;
        if seen.messages > MAX_NAMES * MAX_MESSAGES_PER_NAME {
            // More messages than MAX_NAMES names can average: let go, and its memory with it.
            *seen = Seen {
                settled: true,
                ..Seen::default()
            };
            return None;
        }
        if seen.names.len() < MAX_NAMES {
            seen.names.insert(local.into());
        }
        if seen.names.len() < LEARN_NAMES || !looks_generated(seen.names.len(), seen.messages) {
            seen.arrivals.push((id, at_ms));
            return None;
        }
        seen.generated = true;
        seen.names = FxHashSet::default();
        self.learned += 1;
        let earlier = std::mem::take(&mut seen.arrivals);
        Some(Learned {
            pattern: random_at(&domain),
            earlier,
        })
    }

    /// The learned pattern of `sender`, when its domain was learned.
    pub fn pattern(&self, sender: &[u8]) -> Option<Vec<u8>> {
        if self.learned == 0 {
            return None;
        }
        let sender = &sender[..sender.len().min(MAX_PATTERN_INPUT)];
        let (local, domain) = split_addr(sender)?;
        let seen = self.domains.get(&domain[..])?;
        (seen.generated && !local.is_empty()).then(|| random_at(&domain))
    }

    /// No domain learned yet (so no sender needs looking at).
    pub fn is_empty(&self) -> bool {
        self.learned == 0
    }

    /// Forget everything (a new table was built from a new scan, which knows these).
    pub fn clear(&mut self) {
        self.domains.clear();
        self.learned = 0;
    }
}

/// `<random>@domain`, as the table writes it.
fn random_at(domain: &[u8]) -> Vec<u8> {
    let mut out = RANDOM.to_vec();
    out.push(b'@');
    out.extend_from_slice(domain);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> MessageId {
        MessageId(n)
    }

    #[test]
    fn ten_names_at_a_new_domain_make_its_pattern_as_the_table_would() {
        let table = SenderPatterns::build([(&b"alice@old.example"[..], 1)], &[]);
        let mut learn = ArrivalPatterns::default();
        let names = [
            "kbradford",
            "jmiller42",
            "xqzpt",
            "Tom",
            "ab",
            "cd",
            "ef",
            "gh",
            "ij",
        ];
        for (n, name) in names.iter().enumerate() {
            let addr = format!("{name}@New.Example");
            let arrival = (id(n as u64), n as i64 * 1000);
            assert_eq!(learn.note(arrival, addr.as_bytes(), &table, &[]), None);
            assert_eq!(learn.pattern(addr.as_bytes()), None);
        }
        let got = learn.note((id(9), 9000), b"zz@new.example", &table, &[]);
        assert_eq!(
            got,
            Some(Learned {
                pattern: b"<random>@new.example".to_vec(),
                earlier: (0..9).map(|n| (id(n), n as i64 * 1000)).collect(),
            })
        );
        assert_eq!(
            learn.pattern(b"anyone@NEW.example").as_deref(),
            Some(&b"<random>@new.example"[..])
        );
        // The rule is the table's: the same senders in a table give the same pattern.
        let senders = names.map(|n| format!("{n}@new.example"));
        let built = SenderPatterns::build(senders.iter().map(|s| (s.as_bytes(), 1)), &[]);
        assert_eq!(
            built.pattern(b"anyone@NEW.example"),
            b"<random>@new.example"
        );
        // Learned once: later arrivals are not reported again.
        assert_eq!(
            learn.note((id(10), 10_000), b"yy@new.example", &table, &[]),
            None
        );
    }

    /// Ten one-off real senders at one domain over an hour's watch are not ten forged names
    /// in a flood's few seconds: counts older than the window start again.
    #[test]
    fn names_spread_over_an_hour_are_not_learned() {
        let table = SenderPatterns::default();
        let mut learn = ArrivalPatterns::default();
        for n in 0..12u64 {
            let addr = format!("person{n}@freemail.example");
            let at = n as i64 * 6 * 60 * 1000;
            assert_eq!(learn.note((id(n), at), addr.as_bytes(), &table, &[]), None);
        }
        assert_eq!(learn.pattern(b"person1@freemail.example"), None);
    }

    #[test]
    fn real_senders_ours_and_known_domains_are_not_learned() {
        let forged: Vec<String> = (0..6).map(|i| format!("n{i}@forged.example")).collect();
        let table = SenderPatterns::build(forged.iter().map(|s| (s.as_bytes(), 1)), &[]);
        let ours = ["example.com".to_string()];
        let mut learn = ArrivalPatterns::default();
        for n in 0..40u64 {
            // Five people writing often; a domain of ours; one the table already knows.
            let person = format!("p{}@busy.example", n % 5);
            assert_eq!(
                learn.note((id(n), 0), person.as_bytes(), &table, &ours),
                None
            );
            let local = format!("u{n}@example.com");
            assert_eq!(
                learn.note((id(n), 0), local.as_bytes(), &table, &ours),
                None
            );
            let known = format!("m{n}@forged.example");
            assert_eq!(
                learn.note((id(n), 0), known.as_bytes(), &table, &ours),
                None
            );
        }
        assert_eq!(learn.pattern(b"p1@busy.example"), None);
        assert_eq!(learn.pattern(b"u1@example.com"), None);
        assert_eq!(learn.pattern(b"m1@forged.example"), None);
        for bad in [&b""[..], b"no-at", b"@example.org", b"x@"] {
            assert_eq!(learn.note((id(1), 0), bad, &table, &ours), None);
        }
    }
}
