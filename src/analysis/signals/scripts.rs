//! How much the queue's PHP scripts send: which scripts send far more than the others.
//!
//! A shared host's customers' scripts (shop order mails, password resets, contact forms) all
//! write as domains the queue does not name as this server's, at a few dozen messages each; a
//! hacked plugin floods hundreds. Writing as someone else does not tell them apart; the volume
//! against the other scripts' does.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// Scripts a queue must hold before one is compared with the others: with one or two, there is
/// no "typical script" to compare with.
pub(crate) const MIN_SCRIPTS: usize = 3;
/// How many times the median script's messages make a script's volume stand out (as a login's,
/// [`crate::analysis::rank`]'s heavy account).
pub(crate) const HEAVY_SCRIPT_TIMES: usize = 10;

/// The queue's locally injected mail by PHP script (a header PHP wrote, not a forged one), a
/// script told apart by the domain its From writes as: PHP names only the file (php-src's
/// `mail.c` writes the basename), so every customer's `contact.php` or `index.php` is one
/// name, and a hacked plugin's flood was no more than a name its customers' shared (newuser55:
/// `class-loader.php`'s 1,000 phishing messages held at 39.9 beside 24 sites' three names).
/// The From domain stands in for the site the path named.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScriptNorms {
    /// Distinct scripts (a script name and a From domain).
    pub(crate) scripts: usize,
    /// The median script's messages.
    pub(crate) median_messages: usize,
    /// The scripts and From addresses of the scripts (name and From domain) with at least
    /// [`HEAVY_SCRIPT_TIMES`] the median's messages (none below [`MIN_SCRIPTS`] scripts): by
    /// address, so a message is looked up without its domain.
    heavy: HashSet<(Sym, Option<Sym>)>,
    /// Distinct script names: a script is compared with the others from [`MIN_SCRIPTS`] names
    /// on (one kit rotating its From over many domains is one script, not many alike).
    names: usize,
    /// Script names with at least [`HEAVY_SCRIPT_TIMES`] the median name's messages: heavy
    /// whatever their From (a kit rotating its From domains is heavy by its name).
    heavy_names: HashSet<Sym>,
}

impl ScriptNorms {
    pub(super) fn of(records: &[MessageRecord], strings: &Interner) -> ScriptNorms {
        let mut domain_of: HashMap<Sym, Option<Sym>> = HashMap::default();
        let mut domain = |from: Option<Sym>| {
            from.and_then(|a| {
                *domain_of
                    .entry(a)
                    .or_insert_with(|| super::domains::intern_domain(strings, a))
            })
        };
        let script_of = |r: &MessageRecord| {
            let o = &r.origin;
            match (o.kind, o.script, o.script_forged) {
                (OriginKind::Local, Some(s), false) => Some(s),
                _ => None,
            }
        };
        let mut per: HashMap<(Sym, Option<Sym>), usize> = HashMap::default();
        let mut per_name: HashMap<Sym, usize> = HashMap::default();
        for r in records {
            if let Some(s) = script_of(r) {
                *per.entry((s, domain(r.headers.from))).or_default() += 1;
                *per_name.entry(s).or_default() += 1;
            }
        }
        let mut heavy_names = HashSet::default();
        if per_name.len() >= MIN_SCRIPTS {
            let mut counts: Vec<usize> = per_name.values().copied().collect();
            counts.sort_unstable();
            let median = counts.get(counts.len() / 2).copied().unwrap_or(0);
            let bar = HEAVY_SCRIPT_TIMES * median.max(1);
            heavy_names.extend(per_name.iter().filter(|&(_, &n)| n >= bar).map(|(&s, _)| s));
        }
        let mut counts: Vec<usize> = per.values().copied().collect();
        counts.sort_unstable();
        let median_messages = counts.get(counts.len() / 2).copied().unwrap_or(0);
        let mut heavy = HashSet::default();
        if per_name.len() >= MIN_SCRIPTS {
            let bar = HEAVY_SCRIPT_TIMES * median_messages.max(1);
            for r in records {
                if let Some(s) = script_of(r) {
                    let from = r.headers.from;
                    if per.get(&(s, domain(from))).is_some_and(|&n| n >= bar) {
                        heavy.insert((s, from));
                    }
                }
            }
        }
        ScriptNorms {
            scripts: per.len(),
            median_messages,
            heavy,
            names: per_name.len(),
            heavy_names,
        }
    }

    /// Are there enough scripts to compare one with the others?
    pub(crate) fn comparable(&self) -> bool {
        self.names >= MIN_SCRIPTS
    }

    /// Does `script`, writing as `from`'s domain, send far more than the queue's median script?
    pub(crate) fn is_heavy(&self, script: Sym, from: Option<Sym>) -> bool {
        self.heavy_names.contains(&script) || self.heavy.contains(&(script, from))
    }
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
