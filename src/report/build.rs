//! Fill a ReportInput from a queue scan: the culprits of `top`'s ranking, their evidence, the
//! timeline, origin IPs, scripts and subject samples of their messages, and what remains.
//!
//! A culprit is a cluster the ranking ([`crate::analysis::rank_culprits`]) gives the verdict
//! "culprit", whatever its key, and nothing else: a report for a delisting request names no
//! login `top` holds legitimate (the size rule it once fell back on named the real users left
//! after a purge).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::{
    shorten, Counted, Culprit, Evidence, EvidenceSource, Remaining, ReportInput, Timeline,
    MAX_EVIDENCE_LINES, MAX_LISTED, MAX_SUBJECT_CHARS, MAX_SUBJECT_SAMPLES, NO_JOURNAL, NO_LOG,
};
use crate::accounts::AccountsCheck;
use crate::actions::Restored;
use crate::analysis::cluster::{AnalysisContext, Cluster};
use crate::analysis::evidence::LogFacts;
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::analysis::left::{Left, Parts};
use crate::analysis::plan::is_bounce_cluster;
use crate::analysis::rank::{Verdict, OF_REPORT};
use crate::queue::count::QueueCounts;
use crate::queue::{Interner, MessageRecord};
use crate::sanitize::{sanitize_bytes, sanitize_str};
use crate::size::{counted, thousands};

/// Hash attempts the report's accounts check may spend: culprits and role accounts are hashed
/// first, so a small budget covers what a report needs without stalling it on a large server.
pub const REPORT_HASH_ATTEMPTS: usize = 2_000;

/// Clusters the report asks the ranking for (culprits first, then legitimate ones it skips).
pub const RANKED: usize = 2 * MAX_LISTED;

/// What the builder reads.
#[derive(Debug, Clone, Copy)]
pub struct ReportSources<'a> {
    /// The scanned records (headers read): the queue's, then the yank area's (an incident's
    /// spam is still the incident's after it was yanked).
    pub records: &'a [MessageRecord],
    /// How many of `records`, from the start, are in the queue; the rest are yanked.
    pub in_queue: usize,
    /// Their strings.
    pub strings: &'a Interner,
    /// Now, local domains and user names, as `top` uses them (`ctx.now` is the report's time).
    pub ctx: &'a AnalysisContext,
    /// What the logs said (empty without `--log`): the ranking weighs guessed passwords.
    pub logs: &'a LogFacts,
    /// Only messages queued at or after this time; `None` for all.
    pub since: Option<i64>,
    /// qmail-qstat-style counts of the queue as it is now.
    pub counts: QueueCounts,
    /// The queue's messages the operator restored from the yank area: real mail by their
    /// verdict, never counted as spam ([`Restored::in_queue`]).
    pub restored: &'a Restored,
}

pub(super) fn value_text(key: ClusterKey, v: &KeyValue, strings: &Interner) -> String {
    match v {
        KeyValue::Text(s) if strings.resolve(*s).is_empty() => key.empty_shown().into(),
        KeyValue::Text(s) => sanitize_bytes(&strings.resolve(*s)).into_owned(),
        other => sanitize_str(&other.text(strings)).into_owned(),
    }
}

/// Count `key`'s values over `members` of `records` (AUTH logins and uids as `top` names
/// them in `ctx`), largest first, at most `limit`.
pub(super) fn top_values(
    records: &[MessageRecord],
    members: &[usize],
    key: ClusterKey,
    strings: &Interner,
    ctx: &AnalysisContext,
    limit: usize,
) -> (Vec<Counted>, super::Beyond) {
    let mut ex = KeyExtractor::new(key, strings).with_context(ctx);
    let mut counts: HashMap<KeyValue, u64> = HashMap::new();
    for &i in members {
        if let Some(v) = records.get(i).and_then(|r| ex.value(r)) {
            *counts.entry(v).or_default() += 1;
        }
    }
    let mut out: Vec<Counted> = counts
        .into_iter()
        .map(|(v, n)| Counted {
            value: value_text(key, &v, strings),
            messages: n,
        })
        .collect();
    out.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.value.cmp(&b.value))
    });
    let cut = out.split_off(limit.min(out.len()));
    let beyond = super::Beyond {
        values: cut.len() as u64,
        messages: cut.iter().map(|c| c.messages).sum(),
    };
    (out, beyond)
}

/// The records a report covers (`--since`'s window, or all), the queue's first.
struct Window<'a> {
    records: Cow<'a, [MessageRecord]>,
    /// `records[..in_queue]` are in the queue, the rest in the yank area.
    in_queue: usize,
    restored: &'a Restored,
}

impl<'a> Window<'a> {
    fn new(src: &ReportSources<'a>) -> Window<'a> {
        let in_queue = src.in_queue.min(src.records.len());
        let Some(since) = src.since else {
            return Window {
                records: Cow::Borrowed(src.records),
                in_queue,
                restored: src.restored,
            };
        };
        let keep = |r: &&MessageRecord| r.queued() >= since;
        // Filtering keeps the order, so the queue's records stay first.
        let queued = src.records[..in_queue].iter().filter(keep).count();
        Window {
            records: src.records.iter().filter(keep).cloned().collect(),
            in_queue: queued,
            restored: src.restored,
        }
    }

    /// Did the operator restore record `i` of the window (one of the queue's)?
    fn restored(&self, i: usize) -> bool {
        self.queued(i)
            && self
                .records
                .get(i)
                .is_some_and(|r| self.restored.contains(r.id))
    }

    /// Is record `i` of the window still in the queue?
    fn queued(&self, i: usize) -> bool {
        i < self.in_queue
    }
}

/// Spam timeline: first, last, and the busiest calendar minute.
pub(super) fn timeline(records: &[MessageRecord], spam: &[usize], window: usize) -> Timeline {
    let times: Vec<i64> = spam
        .iter()
        .filter_map(|&i| records.get(i))
        .map(|r| r.queued())
        .collect();
    let mut per_minute: HashMap<i64, u64> = HashMap::new();
    for t in &times {
        *per_minute.entry(t.div_euclid(60)).or_default() += 1;
    }
    let peak = per_minute
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
    Timeline {
        first_spam_queued: times.iter().min().copied(),
        last_spam_queued: times.iter().max().copied(),
        peak_per_minute: peak.map(|p| *p.1).unwrap_or(0),
        peak_minute: peak.map(|p| p.0 * 60),
        spam_messages: times.len() as u64,
        messages: window as u64,
    }
}

/// Culprits found in a window, their evidence lines, and their messages (sorted indices).
#[derive(Default)]
struct Found {
    culprits: Vec<Culprit>,
    evidence: Vec<Evidence>,
    spam: Vec<usize>,
    /// How the culprits were chosen, for the notes.
    rule: String,
    /// Clusters the ranking holds as suspects (not counted as spam), in words.
    suspects: Vec<String>,
    /// Of those, the ones whose messages the operator yanked, in words: counted apart.
    suspects_yanked: Vec<String>,
    /// Culprit clusters made of bounces (not counted as spam: `plan` takes only those that
    /// quote a culprit's message), in words.
    bounce_clusters: Vec<String>,
    /// Messages of the culprits the operator picked back (not counted as spam), sorted
    /// indices: two culprits may share them.
    restored: Vec<usize>,
    /// Culprit clusters whose every message the operator restored (not named), in words.
    restored_clusters: Vec<String>,
    /// Messages in the yank area no culprit accounts for (not bounces), sorted indices: the
    /// operator yanked them, but the ranking calls none of them spam, so they are named apart
    /// and not counted (review49: a mistaken yank of inbound mail put other providers' MTAs
    /// among the spam's origin IPs of a report meant for a delisting request).
    operator: Vec<usize>,
}

impl Found {
    /// Add `c` (a cluster of `window`) as a culprit, with its header shapes as evidence.
    /// `left`: its messages `plan` leaves as likely real (a stolen login's owner's, those only
    /// to this server's own mailboxes): neither spam nor its origins (mix61: the report listed
    /// her home IP first).
    fn add(&mut self, c: &Cluster, window: &Window<'_>, strings: &Interner, left: Left<'_>) {
        let Some(culprit) = culprit_of(c, window, strings, left) else {
            return;
        };
        let spam_of = |i: &&u32| !left.holds(**i);
        let members: Vec<&MessageRecord> = (c.members.iter().filter(spam_of))
            .filter_map(|&i| window.records.get(i as usize))
            .collect();
        // Two culprits can share messages (an AUTH user and its IP): a line already given
        // for one is not repeated for the other, with or without the count of other shapes
        // one of them ends with.
        for e in evidence_of(&members, strings) {
            if !self.evidence.iter().any(|x| same_shape(&x.text, &e.text)) {
                self.evidence.push(e);
            }
        }
        let (kept, spam): (Vec<usize>, Vec<usize>) = (c.members.iter().filter(spam_of))
            .map(|&i| i as usize)
            .partition(|&i| window.restored(i));
        self.restored.extend(kept);
        self.spam.extend(spam);
        self.culprits.push(culprit);
    }

    /// What the operator yanked that no culprit accounts for: the yank area's messages of
    /// `window` no culprit took, bounces aside (backscatter, never a culprit's own spam).
    fn add_operator_yanked(&mut self, window: &Window<'_>, strings: &Interner) {
        let counted: HashSet<usize> = self.spam.iter().copied().collect();
        self.operator = (0..window.records.len())
            .filter(|&i| !window.queued(i) && !counted.contains(&i))
            .filter(|&i| !crate::analysis::backscatter::is_bounce(&window.records[i], strings))
            .collect();
    }

    fn finish(mut self) -> Found {
        // Room is left for the log lines the report adds after these.
        self.evidence.truncate(MAX_EVIDENCE_LINES / 2);
        self.spam.sort_unstable();
        self.spam.dedup();
        self.restored.sort_unstable();
        self.restored.dedup();
        self
    }
}

/// What the spam counts hold, beside `qtriage plan`'s larger count.
pub const SPAM_COUNTED: &str = "spam counts the culprits' own messages; the bounces quoting them \
     (backscatter), which qtriage plan yanks with them, are not counted";

/// The note's words when the ranking chose the culprits.
const BY_RANKING: &str = "culprits are the clusters qtriage top ranks as culprits";

/// The note's words when the ranking named no culprit.
const NO_CULPRIT: &str = "the ranking named no culprit, so no message is counted as spam (spam \
     purged from the yank area is no longer read: write the report before purging)";

/// `top`'s culprits: the ranked clusters with the verdict "culprit".
fn ranked_culprits(window: &Window<'_>, src: &ReportSources<'_>) -> Found {
    let records = &window.records;
    let ranking =
        crate::analysis::rank_culprits(records, src.strings, src.ctx, src.logs, RANKED, OF_REPORT);
    let mut found = Found {
        rule: BY_RANKING.into(),
        ..Found::default()
    };
    let logins = KeyExtractor::new(ClusterKey::AuthUser, src.strings).with_context(src.ctx);
    let owners = crate::analysis::owner::owners_mail(&ranking, records, logins);
    // This server's domains as the plan judged them: with those the queue delivers locally.
    let local_ctx = src.ctx.with_queue_local_domains(records, src.strings);
    let culprits = (ranking.iter().enumerate()).filter(|(_, c)| c.verdict() == Verdict::Culprit);
    for (at, c) in culprits {
        if found.culprits.len() >= MAX_LISTED {
            break;
        }
        // As `qtriage plan` judges it: bounces are backscatter of the culprits and of real
        // mail, not the culprits' own spam.
        let listed = |c: &Cluster| {
            let v = value_text(c.key, c.value.as_ref()?, src.strings);
            let n = counted(c.messages as u64, "message", "messages");
            Some(format!("{} {v} ({n})", c.key.name()))
        };
        if is_bounce_cluster(c, records, src.strings) {
            found.bounce_clusters.extend(listed(c));
            continue;
        }
        // As `qtriage plan` leaves it: the operator judged all of its mail real.
        if !c.members.is_empty() && c.members.iter().all(|&i| window.restored(i as usize)) {
            found.restored_clusters.extend(listed(c));
            continue;
        }
        // As `qtriage plan` leaves them: its owner's mail, what it wrote only locally, an
        // account's mail keeping its replies.
        let owner = owners.get(&at);
        let parts = Parts::of(c, records, src.strings, &local_ctx, owner);
        found.add(c, window, src.strings, parts.left(owner));
    }
    found.add_operator_yanked(window, src.strings);
    // Counted by kind, not named: a suspect is often a real user (an office behind one NAT, a
    // sales team), and a report sent to a blacklist must not name them (review52: two
    // customers' addresses in the notes). `qtriage top` names them to the operator.
    // A suspect the operator yanked (most of its messages in the yank area) is no longer one
    // that "may be real users'": it is counted apart, and described with what the operator
    // yanked (newuser57: php-smtp's phishing, yanked, was counted among them).
    type Kinds<'k> = std::collections::BTreeMap<&'k str, usize>;
    let (mut kinds, mut yanked) = (Kinds::new(), Kinds::new());
    for c in ranking.iter().filter(|c| c.verdict() == Verdict::Suspect) {
        let taken = (c.members.iter()).filter(|&&i| !window.queued(i as usize));
        let share = taken.count() as f64 / c.members.len().max(1) as f64;
        let whose = match share >= crate::analysis::rank::COVERED {
            true => &mut yanked,
            false => &mut kinds,
        };
        *whose.entry(c.key.name()).or_default() += 1;
    }
    let words = |kinds: Kinds<'_>| -> Vec<String> {
        (kinds.into_iter())
            .map(|(kind, n)| {
                let clusters = if n == 1 { "cluster" } else { "clusters" };
                format!("{} {kind} {clusters}", thousands(n as u64))
            })
            .collect()
    };
    found.suspects = words(kinds);
    found.suspects_yanked = words(yanked);
    found.finish()
}

/// Fill a report from the queue. Journal and log sections are left empty with their
/// "not found" lines; `fixes` is left empty (see [`add_fixes`]).
pub fn build(src: &ReportSources<'_>) -> ReportInput {
    let window = Window::new(src);
    let mut found = ranked_culprits(&window, src);
    if found.culprits.is_empty()
        && found.bounce_clusters.is_empty()
        && found.restored_clusters.is_empty()
    {
        found.rule = NO_CULPRIT.into();
    }
    let Found {
        culprits,
        evidence,
        spam,
        rule,
        suspects,
        suspects_yanked,
        bounce_clusters,
        restored,
        restored_clusters,
        operator,
    } = found;
    let in_queue = spam.iter().filter(|&&i| window.queued(i)).count();
    let any_culprit = !culprits.is_empty();
    let window = &window.records;
    let (mut subjects, _) = top_values(
        window,
        &spam,
        ClusterKey::Subject,
        src.strings,
        src.ctx,
        MAX_SUBJECT_SAMPLES,
    );
    let (origin_ips, origin_ips_more) = top_values(
        window,
        &spam,
        ClusterKey::OriginIp,
        src.strings,
        src.ctx,
        MAX_LISTED,
    );
    let (scripts, scripts_more) = top_values(
        window,
        &spam,
        ClusterKey::Script,
        src.strings,
        src.ctx,
        MAX_LISTED,
    );
    for s in &mut subjects {
        s.value = shorten(&s.value, MAX_SUBJECT_CHARS);
    }
    ReportInput {
        now: src.ctx.now,
        // Until `compose` reads it.
        server: None,
        since: src.since,
        timeline: timeline(window, &spam, window.len()),
        origin_ips,
        origin_ips_more,
        scripts,
        scripts_more,
        subjects,
        culprit_fixes: super::fixes::culprit_fixes(&culprits),
        culprits,
        evidence,
        log_note: Some(NO_LOG.into()),
        actions_done: Vec::new(),
        journal_note: Some(NO_JOURNAL.into()),
        remaining: Remaining {
            messages: src.counts.messages,
            unpreprocessed: src.counts.unpreprocessed,
            remote: src.counts.remote,
            local: src.counts.local,
            bouncing: src.counts.bouncing,
            spam_messages: in_queue as u64,
        },
        fixes: Vec::new(),
        // Until `compose` reads an account database.
        accounts_note: Some(super::NO_ACCOUNTS.into()),
        accounts_unlisted: 0,
        notes: std::iter::once(format!(
            "{rule}; subjects are templates with digits and random tokens masked"
        ))
        // `qtriage plan` counts more: it takes the bounces quoting the culprits' messages too.
        .chain(any_culprit.then(|| SPAM_COUNTED.to_string()))
        .chain((!bounce_clusters.is_empty()).then(|| {
            format!(
                "top also ranks as culprits clusters made of bounces, not counted as spam: {} \
                 (the bounces quoting a culprit's message are backscatter, which qtriage plan \
                 yanks with that culprit; the others bounce real mail)",
                bounce_clusters.join("; ")
            )
        }))
        .chain((!suspects.is_empty()).then(|| {
            format!(
                "top also holds clusters as suspects, not counted as spam and not named here \
                 (they may be real users'; qtriage top names them): {}",
                suspects.join(", ")
            )
        }))
        .chain((!suspects_yanked.is_empty()).then(|| {
            // The section exists only for what no culprit accounts for, bounces aside: a
            // bounce suspect yanked with its culprit has none (newuser58).
            let section = match operator.is_empty() {
                true => "",
                false => {
                    " (what no culprit accounts for is described under Yanked as spam by \
                           the operator)"
                }
            };
            format!(
                "top also holds as suspects clusters whose messages are in the yank area, not \
                 counted as spam: {}{section}",
                suspects_yanked.join(", ")
            )
        }))
        .chain((!restored.is_empty()).then(|| {
            format!(
                "the operator restored {} of the culprits' messages from the yank area: not \
                 counted as spam",
                thousands(restored.len() as u64)
            )
        }))
        .chain((!restored_clusters.is_empty()).then(|| {
            format!(
                "top also ranks as culprits clusters whose every message the operator restored \
                 from the yank area, not named and not counted as spam: {}",
                restored_clusters.join("; ")
            )
        }))
        .chain((!operator.is_empty()).then(|| operator_note(operator.len())))
        .collect(),
        yanked_no_culprit: operator.len() as u64,
        yanked_no_culprit_ids: operator.iter().map(|&i| window[i].id).collect(),
        yanked_no_culprit_batches: Vec::new(),
        // Until `compose` reads the journal: what names them is the selections that yanked them.
        operator_judged: None,
        operator_fixes: Vec::new(),
    }
}

/// The note on the messages the operator yanked that no culprit accounts for.
fn operator_note(n: usize) -> String {
    format!(
        "{} in the yank area that no culprit accounts for (bounces aside) are not counted as \
         spam: the operator yanked them, but the ranking calls them no culprit's (the section \
         Yanked as spam by the operator describes them)",
        counted(n as u64, "message", "messages")
    )
}

/// Put the culprit accounts at risk into the report's fixes, their password rules as one
/// `weak-password`: the report goes to third parties, and `password-is-login` or
/// `password-is-domain` says the password (review52). `qtriage accounts` says which rule. The
/// others at risk are counted (`accounts_unlisted`), not named: the culprits are named already,
/// a weak account no one used yet is a target (newuser58).
pub fn add_fixes(input: &mut ReportInput, check: &AccountsCheck) {
    use crate::accounts::Rule;
    let (culprits, others): (Vec<_>, Vec<_>) = (check.at_risk())
        .partition(|r| (r.rules.iter()).any(|r| matches!(r, Rule::CulpritTop | Rule::CulpritLog)));
    input.accounts_unlisted = others.len() as u64;
    input.fixes = (culprits.into_iter())
        .map(|risk| {
            let mut risk = risk.clone();
            let weak = risk.rules.iter().any(|r| r.is_password_rule());
            risk.rules.retain(|r| !r.is_password_rule());
            if weak {
                risk.rules.push(crate::accounts::Rule::PasswordWeak);
                risk.rules.sort();
            }
            risk
        })
        .collect();
}

mod culprit;
use culprit::culprit_of;
mod shapes;
use shapes::{evidence_of, same_shape};

#[cfg(test)]
mod tests;
