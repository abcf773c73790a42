//! A cluster over 40 by its heavy scripts' mail is judged on the rest: a shared host's uid.
//!
//! On a shared host every customer's PHP runs as the web server's uid, and writes as its
//! customers (a shop's order mails, a contact form's visitor): held below 40 as alike scripts
//! (`points::alike_scripts`) while no script stands out. Once a hacked plugin sends more than
//! all of them together, the uid (and its envelope sender, `apache@host`) is mostly the plugin:
//! a culprit at 68-70, and `plan` took the customers' mail with it (probe46: 1,785 real
//! messages at 6,000, 3,570 at 12,000). The plugin, sending ten times the median script, is a
//! cluster of its own judged on its own; what the uid adds to it is the rest, judged here, once
//! each heavy script's part is a culprit on its own (else nothing would take it).

use super::{score, Scoring, Verdict, CULPRIT_SCORE};
use crate::analysis::grouping::cluster_of_members;
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::ScriptNorms;
use crate::analysis::signals::{measure_score, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::{MessageRecord, OriginKind, Sym};
use rustc_hash::FxHashMap as HashMap;

/// Is `c` (no script's own cluster) over 40 with at least half its messages from heavy
/// scripts, each heavy script's part a culprit scored alone, while the rest of it, scored
/// alone, is not? Then it is held: the heavy scripts are taken by their own clusters, and the
/// rest is what sends like the others.
pub(super) fn held_beyond_heavy_scripts(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> bool {
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    if c.key == ClusterKey::Script
        || total < CULPRIT_SCORE
        || s.heavy_script_msgs == 0
        || s.heavy_script_msgs * 2 < c.messages
    {
        return false;
    }
    let scripts = &corpus.facts.scripts;
    let mut heavy: HashMap<Sym, Vec<u32>> = HashMap::default();
    let mut rest = Vec::new();
    for &i in &c.members {
        let Some(r) = corpus.records.get(i as usize) else {
            continue;
        };
        match heavy_script(r, scripts) {
            Some(script) => heavy.entry(script).or_default().push(i),
            None => rest.push(i),
        }
    }
    // Each heavy script's part must be a culprit on its own, or nothing would take it
    // (review46: a plugin writing as apache@ with varied subjects, under 40 alone, left the
    // uid held and its 1,000-2,000 messages untaken). Scored as a script's cluster, which this
    // hold never applies to.
    let mut ex = corpus.extractor(ClusterKey::Script, corpus.sender_patterns);
    let culprit = |members: Vec<u32>, key, value| {
        let part = cluster_of_members(corpus.records, corpus.ctx, (key, value), members);
        let scored = score(&part, &measure_score(&part, corpus), corpus, false);
        Verdict::of(super::total(&scored.points, part.messages, scored.held)) == Verdict::Culprit
    };
    let each_a_culprit = heavy.into_values().all(|members| {
        let value = members
            .first()
            .and_then(|&i| corpus.records.get(i as usize))
            .and_then(|r| ex.value(r));
        culprit(members, ClusterKey::Script, value)
    });
    if !each_a_culprit {
        return false;
    }
    // Nothing but heavy scripts: each is taken on its own. Else the rest, judged alone.
    rest.is_empty() || !culprit(rest, c.key, c.value)
}

/// The reason a cluster held by [`held_beyond_heavy_scripts`] gives.
pub(super) fn reason(c: &Cluster, corpus: &Corpus<'_>) -> String {
    let norms = &corpus.facts.scripts;
    let heavy = (c.members.iter())
        .filter_map(|&i| corpus.records.get(i as usize))
        .filter(|r| heavy_script(r, norms).is_some())
        .count();
    format!(
        "{} of its {} messages come from scripts sending {} times the median script's or more, \
         each a culprit on its own cluster; the rest, judged alone, is no culprit: held below \
         {CULPRIT_SCORE:.0} (a shared host's other customers send through the same uid); take \
         the scripts, look before taking the rest",
        crate::size::thousands(heavy),
        crate::size::thousands(c.messages),
        super::super::signals::HEAVY_SCRIPT_TIMES,
    )
}

/// The heavy script `r` was written by, if one was (PHP's own header, local mail): as
/// `signals.rs` counts a cluster's `heavy_script_msgs`.
fn heavy_script(r: &MessageRecord, scripts: &ScriptNorms) -> Option<Sym> {
    let o = &r.origin;
    (o.script).filter(|&script| {
        o.kind == OriginKind::Local && !o.script_forged && scripts.is_heavy(script)
    })
}

/// The loud voices among `c`'s messages, for the reason of a cluster held as alike scripts:
/// a script writing as one From address ten times the median voice's messages (a hacked
/// plugin phishing as a bank, or a busy shop, or a club's newsletter), named for the operator
/// to look at and never taken for it (docs/analysis.md, "Script voices"). `None` when it holds
/// none.
pub(super) fn loud_voices(c: &Cluster, corpus: &Corpus<'_>) -> Option<String> {
    // (LOUD_VOICES starts the reason: the plan finds the held clusters by it.)
    let norms = &corpus.facts.scripts;
    let now = corpus.ctx.now;
    let mut spelled: HashMap<(Sym, Sym), Voice> = HashMap::default();
    for r in (c.members.iter()).filter_map(|&i| corpus.records.get(i as usize)) {
        let o = &r.origin;
        if let (OriginKind::Local, Some(script), false, Some(from)) =
            (o.kind, o.script, o.script_forged, r.headers.from)
        {
            if norms.is_loud_voice(script, from) {
                spelled
                    .entry((script, from))
                    .or_default()
                    .add(r.queued(), now);
            }
        }
    }
    if spelled.is_empty() {
        return None;
    }
    // A voice's spellings are one (as the norms fold them), named in lower case.
    let strings = corpus.strings;
    let mut loud: HashMap<(String, String), Voice> = HashMap::default();
    for ((script, from), v) in spelled {
        let key = (
            strings.text(from).to_ascii_lowercase(),
            strings.text(script),
        );
        loud.entry(key).or_default().merge(v);
    }
    // The fastest first: a plugin's run is hours old and quick, a shop's mail spread over the
    // day (newuser56: by size the busy shop came first).
    let mut loud: Vec<_> = loud.into_iter().collect();
    loud.sort_unstable_by(|a, b| {
        (b.1.last_hour, b.1.messages)
            .cmp(&(a.1.last_hour, a.1.messages))
            .then_with(|| a.0.cmp(&b.0))
    });
    let named: Vec<String> = (loud.iter().take(3))
        .map(|((from, script), v)| format!("{from} through {script} ({})", v.words(now)))
        .collect();
    let more = match loud.len() {
        0..=3 => String::new(),
        n => format!(" and {} more", n - 3),
    };
    Some(format!(
        "{LOUD_VOICES}, the fastest first: {}{more}, each writing as one From address {} \
         times the median voice's {} messages or more (a voice: one script writing as one \
         address, twice or more; {} in the queue); a hacked plugin writes like this, and so do \
         a busy shop and a newsletter (a shop's mail spreads over the day, a plugin's run is \
         recent and fast): look at each before taking it",
        named.join(", "),
        super::super::signals::HEAVY_SCRIPT_TIMES,
        crate::size::thousands(norms.median_voice),
        crate::size::thousands(norms.voices),
    ))
}

/// How the reason naming a held cluster's loud voices begins.
pub const LOUD_VOICES: &str = "loud among them";

/// One loud voice's messages in a cluster: how many, how many in the last hour, the oldest.
#[derive(Debug, Default, Clone, Copy)]
struct Voice {
    messages: usize,
    last_hour: usize,
    /// The oldest message's birth, unix seconds (`None`: no message had one).
    first: Option<i64>,
}

impl Voice {
    fn add(&mut self, queued: i64, now: i64) {
        self.messages += 1;
        self.last_hour += usize::from(queued > 0 && now - queued <= 3_600);
        if queued > 0 {
            self.first = Some(self.first.map_or(queued, |f| f.min(queued)));
        }
    }

    fn merge(&mut self, o: Voice) {
        self.messages += o.messages;
        self.last_hour += o.last_hour;
        self.first = match (self.first, o.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// `750; 6.7 a minute over the last hour; the first 5.3 hours ago`.
    fn words(&self, now: i64) -> String {
        let n = crate::size::thousands(self.messages);
        let rate = self.last_hour as f64 / 60.0;
        match self.first {
            Some(first) => {
                let hours = (now - first).max(0) as f64 / 3_600.0;
                format!(
                    "{n}; {rate:.1} a minute over the last hour; the first {hours:.1} hours ago"
                )
            }
            None => format!("{n}; {rate:.1} a minute over the last hour"),
        }
    }
}
