//! What the plan says of a culprit login's messages it leaves as its owner's own
//! ([`crate::analysis::owner`]): named under the culprit, never taken.

use crate::size::thousands;

/// IPs named in the words; the rest are counted.
const NAMED_IPS: usize = 3;

/// A culprit login's messages the plan leaves: from IPs logins nobody suspects use too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerLeft {
    /// Messages left (the operator restored none of them).
    pub messages: usize,
    /// The IPs (their exact bytes, for `--json`) with the login's messages from each, most
    /// first.
    pub ips: Vec<(std::sync::Arc<[u8]>, usize)>,
}

impl OwnerLeft {
    /// `not taken: 50 of its messages, from 16 IPs other logins (none suspected) use too
    /// (91.73.158.184 35, 100.64.7.1 2, 100.64.9.3 1, +13 more): likely its owner's own mail`.
    pub fn words(&self) -> String {
        let mut named: Vec<String> = (self.ips.iter().take(NAMED_IPS))
            .map(|(ip, n)| format!("{} {}", String::from_utf8_lossy(ip), thousands(*n as u64)))
            .collect();
        if self.ips.len() > NAMED_IPS {
            named.push(format!("+{} more", self.ips.len() - NAMED_IPS));
        }
        format!(
            "not taken: {} of its messages, from {} other logins (none suspected) use too ({}): \
             likely its owner's own mail",
            thousands(self.messages as u64),
            crate::size::counted(self.ips.len() as u64, "IP", "IPs"),
            named.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_name_the_busiest_ips_and_count_the_rest() {
        let left = OwnerLeft {
            messages: 50,
            ips: [("91.73.158.184", 35), ("100.64.7.1", 2), ("100.64.9.3", 1)]
                .into_iter()
                .chain((0..13).map(|_| ("100.64.0.1", 1)))
                .map(|(ip, n)| (std::sync::Arc::from(ip.as_bytes()), n))
                .collect(),
        };
        assert_eq!(
            left.words(),
            "not taken: 50 of its messages, from 16 IPs other logins (none suspected) use too \
             (91.73.158.184 35, 100.64.7.1 2, 100.64.9.3 1, +13 more): likely its owner's own mail"
        );
        let one = OwnerLeft {
            messages: 1,
            ips: vec![(std::sync::Arc::from(&b"10.0.0.1"[..]), 1)],
        };
        assert_eq!(
            one.words(),
            "not taken: 1 of its messages, from 1 IP other logins (none suspected) use too \
             (10.0.0.1 1): likely its owner's own mail"
        );
    }
}
