//! How much the queue's PHP scripts send: which scripts send far more than the others.
//!
//! A shared host's customers' scripts (shop order mails, password resets, contact forms) all
//! write as domains the queue does not name as this server's, at a few dozen messages each; a
//! hacked plugin floods hundreds. Writing as someone else does not tell them apart; the volume
//! against the other scripts' does.
//!
//! PHP names only the file (php-src's `mail.c` writes the basename), so forty sites' shops are
//! one `index.php` and a hacked plugin's `class-loader.php` is one name among three or four,
//! never ten times the median name. What still tells the sites apart is who each writes as: a
//! script writing as one From address is a *voice* (a site's shop, its WordPress), and a plugin
//! flooding as one bank is one voice sending ten times the median site's.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// Scripts a queue must hold before one is compared with the others: with one or two, there is
/// no "typical script" to compare with.
pub(crate) const MIN_SCRIPTS: usize = 3;
/// How many times the median script's messages make a script's volume stand out (as a login's,
/// [`crate::analysis::rank`]'s heavy account).
pub(crate) const HEAVY_SCRIPT_TIMES: usize = 10;

/// The queue's locally injected mail by PHP script (a header PHP wrote, not a forged one).
#[derive(Debug, Clone, Default)]
pub(crate) struct ScriptNorms {
    /// Distinct scripts.
    pub(crate) scripts: usize,
    /// The median script's messages.
    pub(crate) median_messages: usize,
    /// Scripts with at least [`HEAVY_SCRIPT_TIMES`] the median's messages (none below
    /// [`MIN_SCRIPTS`] scripts).
    heavy: HashSet<Sym>,
    /// Voices (a script and the From address it writes as) of two messages or more: a contact
    /// form writing as each visitor is many voices of one message, none a site's.
    pub(crate) voices: usize,
    /// The median voice's messages, of those.
    pub(crate) median_voice: usize,
    /// Voices with at least [`HEAVY_SCRIPT_TIMES`] the median voice's messages (none below
    /// [`MIN_SCRIPTS`] scripts or voices).
    heavy_voices: HashSet<(Sym, Sym)>,
}

impl ScriptNorms {
    pub(crate) fn of(records: &[MessageRecord], strings: &Interner) -> ScriptNorms {
        let mut per: HashMap<Sym, usize> = HashMap::default();
        let mut per_voice: HashMap<(Sym, Sym), usize> = HashMap::default();
        for r in records {
            let o = &r.origin;
            if let (OriginKind::Local, Some(s), false) = (o.kind, o.script, o.script_forged) {
                *per.entry(s).or_default() += 1;
                if let Some(from) = r.headers.from {
                    *per_voice.entry((s, from)).or_default() += 1;
                }
            }
        }
        let (median_messages, heavy) = median_and_heavy(&per);
        let sites = own_domains(&per_voice, strings);
        per_voice.retain(|_, n| *n >= 2);
        // Voices are compared only where scripts are: one or two scripts are no shared host.
        let (median_voice, mut heavy_voices) = if per.len() >= MIN_SCRIPTS {
            median_and_heavy(&per_voice)
        } else {
            (0, HashSet::default())
        };
        heavy_voices.retain(|&(_, from)| !sites.contains(&from));
        ScriptNorms {
            scripts: per.len(),
            voices: per_voice.len(),
            median_messages,
            heavy,
            median_voice,
            heavy_voices,
        }
    }

    /// Are there enough scripts to compare one with the others?
    pub(crate) fn comparable(&self) -> bool {
        self.scripts >= MIN_SCRIPTS
    }

    /// Does `script` send far more than the queue's median script?
    pub(crate) fn is_heavy(&self, script: Sym) -> bool {
        self.heavy.contains(&script)
    }

    /// Does `script`, writing as `from`, send far more than the queue's median voice?
    pub(crate) fn is_heavy_voice(&self, script: Sym, from: Option<Sym>) -> bool {
        !self.heavy_voices.is_empty()
            && from.is_some_and(|from| self.heavy_voices.contains(&(script, from)))
    }

    /// Is the mail of `script` writing as `from` one heavy part: the script's, if it is
    /// heavy, else its voice's, if that is; `None` if neither.
    pub(crate) fn heavy_part(&self, script: Sym, from: Option<Sym>) -> Option<(Sym, Option<Sym>)> {
        if self.is_heavy(script) {
            Some((script, None))
        } else {
            self.is_heavy_voice(script, from).then_some((script, from))
        }
    }
}

/// The From addresses of `voices` whose domain the scripts also write as by another address:
/// a site's own domain (a WooCommerce shop's `shop@` and its WordPress's `wordpress@`). A busy
/// shop sends ten times the median site's mail as one address (`busy-host`: taken whole as a
/// heavy voice, 400 real messages at 2,000); a plugin phishing as a bank writes as the bank's
/// one address. A kit rotating its local part at one domain is held with the sites: a limit
/// (docs/analysis.md, "Script voices").
fn own_domains(voices: &HashMap<(Sym, Sym), usize>, strings: &Interner) -> HashSet<Sym> {
    let froms: HashSet<Sym> = voices.keys().map(|&(_, from)| from).collect();
    let mut by_domain: HashMap<Vec<u8>, Vec<Sym>> = HashMap::default();
    for from in froms {
        if let Some(domain) = strings.with(from, crate::analysis::patterns::domain) {
            by_domain.entry(domain).or_default().push(from);
        }
    }
    (by_domain.into_values())
        .filter(|addresses| addresses.len() >= 2)
        .flatten()
        .collect()
}

/// The median of `per`'s counts, and the keys counting [`HEAVY_SCRIPT_TIMES`] that or more
/// (none below [`MIN_SCRIPTS`] keys: nothing to compare with).
fn median_and_heavy<K: Copy + Eq + std::hash::Hash>(
    per: &HashMap<K, usize>,
) -> (usize, HashSet<K>) {
    let mut counts: Vec<usize> = per.values().copied().collect();
    counts.sort_unstable();
    let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
    if per.len() < MIN_SCRIPTS {
        return (median, HashSet::default());
    }
    let bar = HEAVY_SCRIPT_TIMES * median.max(1);
    let heavy = (per.iter())
        .filter(|&(_, &n)| n >= bar)
        .map(|(&k, _)| k)
        .collect();
    (median, heavy)
}

impl super::Facts {
    /// Of message `i` (`r`), injected locally with remote recipients: is its From at a domain
    /// not this server's, and is its Reply-To at another domain than its From? What tells a
    /// script's or a local account's spam from a newsletter or a circular, which write as
    /// their own domains and want their own replies (`rank/mailing.rs`); `None` for others.
    pub(crate) fn local_signs(&self, i: usize, r: &MessageRecord) -> Option<(bool, bool)> {
        let remote = self.remote.get(i).is_some_and(|&n| n > 0);
        (r.origin.kind == OriginKind::Local && remote).then(|| {
            let forged = self.from_foreign.get(i).copied().unwrap_or(false);
            (forged, r.headers.reply_elsewhere)
        })
    }
}
