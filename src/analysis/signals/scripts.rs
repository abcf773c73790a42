//! How much the queue's PHP scripts send: which scripts send far more than the others.
//!
//! A shared host's customers' scripts (shop order mails, password resets, contact forms) all
//! write as domains the queue does not name as this server's, at a few dozen messages each; a
//! hacked plugin floods hundreds. Writing as someone else does not tell them apart; the volume
//! against the other scripts' does.
//!
//! PHP names only the file (php-src's `mail.c` writes the basename), so forty sites' shops are
//! one `index.php` and a hacked plugin's `class-loader.php` is one name among three or four,
//! never ten times the median name. Who each writes as still tells the sites apart: a script
//! writing as one From address is a *voice*, and a plugin flooding as one bank is one voice
//! sending ten times the median site's. So is a busy shop or a club's newsletter writing as
//! one address, and nothing in the queue tells them apart (review56: judged on their own, five
//! real shapes were taken whole), so a loud voice only points: the held cluster's reason
//! names it for the operator to look at (docs/analysis.md, "Script voices").

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
    /// form writing as each visitor is many voices of one message, none counted.
    pub(crate) voices: usize,
    /// The median voice's messages, of those.
    pub(crate) median_voice: usize,
    /// Voices with at least [`HEAVY_SCRIPT_TIMES`] the median voice's messages (none below
    /// [`MIN_SCRIPTS`] scripts or voices): named in a held cluster's reason, never a verdict.
    loud_voices: HashSet<(Sym, Sym)>,
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
        // One address in two spellings is one voice (review56: `Service@` and `service@` in
        // turn halved a plugin's voice): folded by its lowercased text, once a distinct voice
        // of two messages or more (a flood's From a message would be a million texts read).
        per_voice.retain(|_, n| *n >= 2);
        let mut folded: HashMap<(Sym, Vec<u8>), (usize, Vec<Sym>)> = HashMap::default();
        for ((script, from), n) in per_voice {
            let text = strings.with(from, <[u8]>::to_ascii_lowercase);
            let voice = folded.entry((script, text)).or_default();
            voice.0 += n;
            voice.1.push(from);
        }
        let counts: HashMap<&(Sym, Vec<u8>), usize> =
            folded.iter().map(|(k, &(n, _))| (k, n)).collect();
        // Voices are compared only where scripts are: one or two scripts are no shared host.
        let (median_voice, loud) = if per.len() >= MIN_SCRIPTS {
            median_and_heavy(&counts)
        } else {
            (0, HashSet::default())
        };
        let loud_voices = (loud.into_iter())
            .filter_map(|k| folded.get(k).map(|(_, spellings)| (k.0, spellings)))
            .flat_map(|(script, spellings)| spellings.iter().map(move |&from| (script, from)))
            .collect();
        ScriptNorms {
            scripts: per.len(),
            median_messages,
            heavy,
            voices: folded.len(),
            median_voice,
            loud_voices,
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

    /// Is `script` writing as `from` a loud voice: ten times the median voice's messages?
    pub(crate) fn is_loud_voice(&self, script: Sym, from: Sym) -> bool {
        self.loud_voices.contains(&(script, from))
    }
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
