//! Which of this server's addresses an open relay's clients write as: relayed without a login
//! from address blocks all over the Internet; and which client IPs this server's users log in
//! from, whose mail without a login is theirs.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use smallvec::SmallVec;

use super::flags::Bit;
use crate::analysis::patterns::block;
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// Distinct /16 blocks (IPv6: /32) from which one address of this server's domains, relayed
/// without a login, is forged. One person relaying as themselves (POP-before-SMTP) does so
/// from their home line, their carrier and a hotel: mix64's Q1, 136 such users over two days,
/// three blocks at most each; its Q4's catch-all relay wrote as `info@` and five more role
/// addresses from 171-176 blocks each.
pub(crate) const SCATTERED_BLOCKS: usize = 20;

/// The addresses of this server's domains relayed without a login from [`SCATTERED_BLOCKS`]
/// blocks or more, and the public IPs that logged in (SMTP AUTH).
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnSenders {
    scattered: HashSet<Sym>,
    login_ips: HashSet<Sym>,
}

impl OwnSenders {
    /// Of `records`, with their flag bits `flags` and networks `nets` ([`super::Facts`]').
    pub(super) fn of(
        records: &[MessageRecord],
        strings: &Interner,
        flags: &[u32],
        nets: &[Option<Sym>],
    ) -> OwnSenders {
        let mut login_ips = HashSet::default();
        // A network's block, once per network (a flood's clients send a few messages each).
        let mut blocks: HashMap<Sym, Option<Sym>> = HashMap::default();
        let mut pairs: Vec<(Sym, Sym)> = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if r.origin.kind == OriginKind::SmtpAuth {
                login_ips.extend(r.origin.ip);
                continue;
            }
            let f = flags.get(i).copied().unwrap_or(0);
            if f & Bit::RelayOwn.mask() == 0 || f & Bit::RelayAuthenticated.mask() != 0 {
                continue;
            }
            let (Some(sender), Some(net)) = (r.sender, nets.get(i).copied().flatten()) else {
                continue;
            };
            let of = *blocks.entry(net).or_insert_with(|| {
                // Copied out: the interner cannot intern under the lock `with` holds.
                let text: Option<SmallVec<[u8; 64]>> =
                    strings.with(net, |n| block(n).map(SmallVec::from_slice));
                text.map(|t| strings.intern(&t))
            });
            pairs.extend(of.map(|b| (sender, b)));
        }
        pairs.sort_unstable();
        pairs.dedup();
        let scattered = (pairs.chunk_by(|a, b| a.0 == b.0))
            .filter(|of_sender| of_sender.len() >= SCATTERED_BLOCKS)
            .map(|of_sender| of_sender[0].0)
            .collect();
        OwnSenders {
            scattered,
            login_ips,
        }
    }

    /// Was `sender` relayed without a login from [`SCATTERED_BLOCKS`] blocks or more?
    pub(crate) fn is_scattered(&self, sender: Sym) -> bool {
        self.scattered.contains(&sender)
    }

    /// Did some message of the queue log in from `ip`?
    pub(crate) fn logs_in_from(&self, ip: Sym) -> bool {
        self.login_ips.contains(&ip)
    }
}
