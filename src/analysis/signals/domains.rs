//! The per-record facts that need addresses' domains: whether a login sends as a domain not
//! its own, whether a local script writes as someone else, whether an SMTP client is an
//! internal host sending as this server, or a client without a login as another domain; each
//! domain derived once per distinct address.

use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;

use crate::analysis::context::AnalysisContext;
use crate::analysis::patterns::is_local_domain;
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// The columns of [`Facts`] that need the domains (`foreign` and `from_foreign` kept as
/// columns; all of them read once into its flags).
pub(super) struct DomainColumns {
    pub(super) foreign: Vec<Option<bool>>,
    pub(super) null_sender: Vec<bool>,
    pub(super) from_foreign: Vec<bool>,
    pub(super) internal_own: Vec<bool>,
    pub(super) reply_elsewhere: Vec<bool>,
    pub(super) smtp_foreign: Vec<Option<bool>>,
}

/// The `foreign`, `null_sender`, `from_foreign`, `internal_own`, `reply_elsewhere` and
/// `smtp_foreign` columns.
pub(super) fn foreign_and_null(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
    empty: Sym,
) -> DomainColumns {
    let mut d = Domains::new(strings, ctx);
    DomainColumns {
        foreign: records.iter().map(|r| d.foreign(r)).collect(),
        null_sender: records.iter().map(|r| r.sender == Some(empty)).collect(),
        from_foreign: records.iter().map(|r| d.forged_from(r)).collect(),
        internal_own: records.iter().map(|r| d.internal_own(r)).collect(),
        reply_elsewhere: records.iter().map(|r| d.reply_elsewhere(r)).collect(),
        smtp_foreign: records.iter().map(|r| d.smtp_foreign(r)).collect(),
    }
}

/// The `foreign` column alone: what a whole queue's campaign messages need
/// ([`super::campaigns::CampaignMessages`]), whose other columns are the part's.
pub(super) fn foreign_column(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
) -> Vec<Option<bool>> {
    let mut domains = Domains::new(strings, ctx);
    records.iter().map(|r| domains.foreign(r)).collect()
}

/// Domains of addresses, interned and cached per distinct address, so deciding "own domain"
/// costs one derivation per distinct login, sender and From address.
struct Domains<'a> {
    strings: &'a Interner,
    ctx: &'a AnalysisContext,
    of: HashMap<Sym, Option<Sym>>,
    local: HashMap<Sym, bool>,
    /// Per client IP: a private or loopback address.
    internal: HashMap<Sym, bool>,
    /// Per (domain, login's domain): the one below the other. Asked of every message whose
    /// domain is not its login's, a flood's every forged sender.
    below: HashMap<(Sym, Sym), bool>,
}

impl<'a> Domains<'a> {
    fn new(strings: &'a Interner, ctx: &'a AnalysisContext) -> Domains<'a> {
        Domains {
            strings,
            ctx,
            of: HashMap::default(),
            local: HashMap::default(),
            internal: HashMap::default(),
            below: HashMap::default(),
        }
    }

    fn domain(&mut self, addr: Sym) -> Option<Sym> {
        let strings = self.strings;
        *self
            .of
            .entry(addr)
            .or_insert_with(|| intern_domain(strings, addr))
    }

    fn is_local(&mut self, d: Sym) -> bool {
        let (strings, locals) = (self.strings, &self.ctx.local_domains);
        *self
            .local
            .entry(d)
            .or_insert_with(|| strings.with(d, |d| is_local_domain(d, locals)))
    }

    /// Authenticated, and the envelope sender or From domain is not the login's own (the
    /// login's domain or one below it, or a local domain for a login without one). `None` when
    /// unknown.
    fn foreign(&mut self, r: &MessageRecord) -> Option<bool> {
        if r.origin.kind != OriginKind::SmtpAuth {
            return None;
        }
        let own = self.domain(r.origin.auth_user?);
        if own.is_none() && self.ctx.local_domains.is_empty() {
            return None;
        }
        let mut seen = false;
        let mut foreign = false;
        for addr in [r.sender, r.headers.from].into_iter().flatten() {
            let Some(d) = self.domain(addr) else { continue };
            seen = true;
            foreign |= match own {
                Some(o) => d != o && !self.below(d, o),
                None => !self.is_local(d),
            };
        }
        seen.then_some(foreign)
    }
}

impl Domains<'_> {
    /// Is `d` the web site the passwd home of `r`'s uid names, one below it, or the site's
    /// name without its `www.`? Not any domain above it: `co.uk` is above `shop.co.uk`.
    fn is_site_of(&self, r: &MessageRecord, d: Sym) -> bool {
        let Some(site) = (r.origin.uid()).and_then(|u| self.ctx.site_domains.get(&u)) else {
            return false;
        };
        let site = site.as_bytes();
        let bare = site.strip_prefix(b"www.".as_slice());
        self.strings
            .with(d, |d| d == site || is_below(d, site) || bare == Some(d))
    }

    /// Is `d` below `o` (`bounce.kunde-shop.de` below `kunde-shop.de`)? The login's own
    /// organisation: its newsletter tool returns bounces to a per-recipient address at its
    /// bounce subdomain, its list server writes VERP senders at `lists.`, its help desk at
    /// `help.`; as "senders not their own" they were culprits (`bulk-verp`).
    fn below(&mut self, d: Sym, o: Sym) -> bool {
        let strings = self.strings;
        *self.below.entry((d, o)).or_insert_with(|| {
            let o = strings.resolve(o);
            strings.with(d, |d| is_below(d, &o))
        })
    }
}

/// Is the domain `d` a subdomain of `o` (both lowercase), on a label boundary: not
/// `evilkunde-shop.de` of `kunde-shop.de`, nor `kunde-shop.de.example-spam.com`.
fn is_below(d: &[u8], o: &[u8]) -> bool {
    !o.is_empty() && d.len() > o.len() + 1 && d.ends_with(o) && d[d.len() - o.len() - 1] == b'.'
}

impl Domains<'_> {
    /// Authenticated, sending as the login's own domain (a local one for a login without a
    /// domain), with its Reply-To at another domain than its From: a compromised account's
    /// spam has the replies go to the spammer's mailbox.
    fn reply_elsewhere(&mut self, r: &MessageRecord) -> bool {
        r.origin.kind == OriginKind::SmtpAuth
            && r.headers.reply_elsewhere
            && self.foreign(r) == Some(false)
    }

    /// From an SMTP client on a private or loopback address (RFC 1918, RFC 4193, loopback,
    /// link-local), with an envelope sender at one of this server's domains. `false` when the
    /// server's domains are unknown.
    fn internal_own(&mut self, r: &MessageRecord) -> bool {
        if r.origin.kind != OriginKind::Smtp || self.ctx.local_domains.is_empty() {
            return false;
        }
        let (Some(ip), Some(sender)) = (r.origin.ip, r.sender) else {
            return false;
        };
        let strings = self.strings;
        let internal = *self
            .internal
            .entry(ip)
            .or_insert_with(|| strings.with(ip, is_internal_ip));
        internal && self.domain(sender).is_some_and(|d| self.is_local(d))
    }

    /// From an SMTP client that did not log in: is its envelope sender at a domain not this
    /// server's (`Some(true)`), or at one of its domains (`Some(false)`)? An open relay's spam
    /// writes as the world's domains, an office or a POP-before-SMTP user as this server's.
    /// `None` when the server's domains are unknown, or the sender has no domain.
    fn smtp_foreign(&mut self, r: &MessageRecord) -> Option<bool> {
        if r.origin.kind != OriginKind::Smtp || self.ctx.local_domains.is_empty() {
            return None;
        }
        let d = r.sender.and_then(|s| self.domain(s))?;
        Some(!self.is_local(d))
    }

    /// Injected locally with a From header whose domain is not one of ours (when the server's
    /// domains are unknown: not the envelope sender's, which a local uid cannot choose freely
    /// under qmail-inject's defaults).
    fn forged_from(&mut self, r: &MessageRecord) -> bool {
        if r.origin.kind != OriginKind::Local {
            return false;
        }
        let Some(d) = r.headers.from.and_then(|a| self.domain(a)) else {
            return false;
        };
        if self.is_site_of(r, d) {
            return false;
        }
        if !self.ctx.local_domains.is_empty() {
            return !self.is_local(d);
        }
        r.sender
            .and_then(|s| self.domain(s))
            .is_some_and(|own| own != d)
    }
}

/// Is `ip` (text) a loopback address (127.0.0.0/8, ::1, ::ffff:127.x): this host itself?
pub(crate) fn is_loopback_ip(ip: &[u8]) -> bool {
    let parsed = std::str::from_utf8(ip).ok().and_then(|t| t.parse().ok());
    match parsed {
        Some(std::net::IpAddr::V4(a)) => a.is_loopback(),
        Some(std::net::IpAddr::V6(a)) => {
            a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// Is `ip` (text) an address no Internet client has: private, loopback or link-local?
pub(crate) fn is_internal_ip(ip: &[u8]) -> bool {
    let Some(ip) = std::str::from_utf8(ip).ok().and_then(|t| t.parse().ok()) else {
        return false;
    };
    match ip {
        std::net::IpAddr::V4(a) => a.is_private() || a.is_loopback() || a.is_link_local(),
        std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_internal_ip(v4.to_string().as_bytes()),
            None => {
                let first = a.segments()[0];
                a.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        },
    }
}

/// [`domain`] of the address `addr`, lowercased and interned: copied out of the interner on
/// the stack (it cannot be interned under the shard's lock), so a million forged senders cost
/// no allocation each.
fn intern_domain(strings: &Interner, addr: Sym) -> Option<Sym> {
    let d: SmallVec<[u8; 64]> = strings.with(addr, |a| {
        let at = a.iter().rposition(|&b| b == b'@')?;
        let d = &a[at + 1..];
        (!d.is_empty()).then(|| d.iter().map(u8::to_ascii_lowercase).collect())
    })?;
    Some(strings.intern(&d))
}
