//! How much the queue's PHP scripts send: which scripts send far more than the others.
//!
//! A shared host's customers' scripts (shop order mails, password resets, contact forms) all
//! write as domains the queue does not name as this server's, at a few dozen messages each; a
//! hacked plugin floods hundreds. Writing as someone else does not tell them apart; the volume
//! against the other scripts' does.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::queue::{MessageRecord, OriginKind, Sym};

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
}

impl ScriptNorms {
    pub(super) fn of(records: &[MessageRecord]) -> ScriptNorms {
        let mut per: HashMap<Sym, usize> = HashMap::default();
        for r in records {
            let o = &r.origin;
            if let (OriginKind::Local, Some(s), false) = (o.kind, o.script, o.script_forged) {
                *per.entry(s).or_default() += 1;
            }
        }
        let mut counts: Vec<usize> = per.values().copied().collect();
        counts.sort_unstable();
        let median_messages = counts.get(counts.len() / 2).copied().unwrap_or(0);
        let heavy = if per.len() >= MIN_SCRIPTS {
            let bar = HEAVY_SCRIPT_TIMES * median_messages.max(1);
            per.iter()
                .filter(|&(_, &n)| n >= bar)
                .map(|(&s, _)| s)
                .collect()
        } else {
            HashSet::default()
        };
        ScriptNorms {
            scripts: per.len(),
            median_messages,
            heavy,
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
