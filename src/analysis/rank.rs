//! Order clusters by likely culprit and say why, in the operator's words.
//!
//! A cluster's score (0-100) is a sum of measurable signals, each shown as a reason with the
//! points it added: share of the queue, rate over the last hour, one login used from several IPs
//! or networks, authenticated senders using domains that are not the account's, a web-server uid
//! or PHP script mailing remote domains, null-sender backscatter, unauthenticated relaying,
//! remote fan-out, one dominant subject template and forged sender names. Small clusters are
//! damped so that a handful of messages never outranks a flood. The first reason is a one-line
//! summary ending in a conclusion (`likely a guessed password`, `looks legitimate: keep`).

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use std::sync::Arc;

use super::key::{ClusterKey, KeyValue};
pub use super::signals::{
    is_web_uid, Corpus, Facts, ShareOf, OF_QUEUE, OF_REPORT, OF_SELECTION, WEB_UIDS, WEB_USERS,
};
use super::signals::{measure, measure_score, Signals};
use super::types::Cluster;
use crate::queue::{Interner, Sym};
use crate::size::thousands;

/// Score from which a cluster is called a culprit.
pub const CULPRIT_SCORE: f64 = 40.0;
/// Score from which a cluster is worth a look; below it a cluster looks legitimate.
pub const SUSPECT_SCORE: f64 = 20.0;
/// Clusters smaller than this are damped in proportion (5 messages score a quarter).
pub const MIN_CULPRIT_MESSAGES: usize = 20;
/// `top` skips a cluster when this share of its messages is already in a listed cluster.
pub const COVERED: f64 = 0.9;
/// How many legitimate-looking clusters `top` lists after the culprits.
pub const LEGIT_SHOWN: usize = 3;
/// IPs named in a reason.
const IPS_SHOWN: usize = 3;
/// A subject template "dominates" a cluster from this share, with at least 20 messages.
const DOMINANT: f64 = 0.8;
/// Keys `top` ranks, in tie-break order (the more specific culprit first).
pub const TOP_KEYS: [ClusterKey; 9] = [
    ClusterKey::AuthUser,
    ClusterKey::Script,
    ClusterKey::Uid,
    ClusterKey::Origin,
    ClusterKey::OriginIp,
    ClusterKey::OriginNet,
    ClusterKey::SenderPattern,
    ClusterKey::Subject,
    ClusterKey::Helo,
];

/// The judgement a score stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Score ≥ [`CULPRIT_SCORE`]: remove after a look.
    Culprit,
    /// Score ≥ [`SUSPECT_SCORE`]: look before deciding.
    Suspect,
    /// Below: what must not be removed.
    Legitimate,
}

impl Verdict {
    /// The verdict for a score.
    pub fn of(score: f64) -> Verdict {
        if score >= CULPRIT_SCORE {
            Verdict::Culprit
        } else if score >= SUSPECT_SCORE {
            Verdict::Suspect
        } else {
            Verdict::Legitimate
        }
    }

    /// The word shown in tables (`culprit`, `suspect`, `legit`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Culprit => "culprit",
            Verdict::Suspect => "suspect",
            Verdict::Legitimate => "legit",
        }
    }
}

/// A fired signal: points, the words for it, and whether it supports a conclusion (else it is
/// a weight: fan-out, one subject template, share, rate; only the test of [`is_weight`], which
/// reads that back from the words, needs to be told).
struct Points(f64, String, #[cfg_attr(not(test), allow(dead_code))] bool);

/// The conclusions a summary ends in without a signal's: a verdict's words.
const LEGITIMATE: &str = "looks legitimate: keep";
const WORTH_A_LOOK: &str = "worth a look";
const LIKELY_SPAM: &str = "likely spam";
const NOT_RANKED: &str = "many senders, not ranked";
/// How a culprit's conclusion opens, and what a suspect's says instead.
const LIKELY: &str = "likely ";
const POSSIBLY: &str = "possibly ";

/// The fired signals and the conclusions they support, each with the points behind it.
#[derive(Default)]
struct Scoring {
    points: Vec<Points>,
    /// Conclusions with their points: one or two (inline, no allocation for the thousands of
    /// clusters `top` only scores).
    whys: SmallVec<[(&'static str, f64); 2]>,
    /// Write the words: false when only the score is wanted (`top` scores thousands of
    /// clusters and shows a dozen).
    words: bool,
    /// Held below [`CULPRIT_SCORE`], and why.
    held: Option<Held>,
    /// The shared-client signal fired (`points::shared_ip_points`).
    shared_clients: bool,
}

impl Scoring {
    fn add(&mut self, points: f64, words: impl FnOnce() -> String, why: Option<&'static str>) {
        let words = if self.words { words() } else { String::new() };
        self.points.push(Points(points, words, why.is_some()));
        if let Some(why) = why {
            match self.whys.iter_mut().find(|(w, _)| *w == why) {
                Some((_, total)) => *total += points,
                None => self.whys.push((why, points)),
            }
        }
    }

    /// Every conclusion the signals support, the best supported first: one origin can be two
    /// abuses at once (an IP both logging in with a guessed password and relaying without one),
    /// and naming only the first would send the operator to fix half of it.
    /// A suspect's says "possibly" where a culprit's says "likely": at 25 points a login used
    /// from a few phones is not "likely a guessed password", and the operator must not read it so.
    fn conclusion(&self, verdict: Verdict) -> Option<String> {
        let mut whys = self.whys.clone();
        // Stable: equal support keeps the order the signals fired in.
        whys.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut words: SmallVec<[String; 2]> = whys
            .iter()
            .map(|(w, _)| match (verdict, w.strip_prefix(LIKELY)) {
                (Verdict::Suspect, Some(rest)) => format!("{POSSIBLY}{rest}"),
                _ => w.to_string(),
            })
            .collect();
        // One conclusion said twice, once with its qualifier (`likely a guessed password` and
        // `likely a guessed password: logged in, but no header names the account`): said once,
        // qualified, where the better supported one stood.
        let qualifies = |long: &str, short: &str| {
            (long.strip_prefix(short)).is_some_and(|r| r.starts_with(": "))
        };
        let mut i = 0;
        while i < words.len() {
            let same = (i + 1..words.len())
                .find(|&j| qualifies(&words[j], &words[i]) || qualifies(&words[i], &words[j]));
            match same {
                Some(j) if qualifies(&words[j], &words[i]) => words[i] = words.remove(j),
                Some(j) => drop(words.remove(j)),
                None => i += 1,
            }
        }
        (!words.is_empty()).then(|| words.join("; and "))
    }
}

fn frac(n: usize, of: usize) -> f64 {
    n as f64 / of.max(1) as f64
}

/// Score the signals of `c`.
fn score(c: &Cluster, s: &Signals, corpus: &Corpus<'_>, words: bool) -> Scoring {
    // The words name the number of senders: a score-only measure counts only up to "many".
    debug_assert!(!words || s.all_senders, "words from a score-only measure");
    let mut sc = Scoring {
        words,
        ..Scoring::default()
    };
    login_points(&mut sc, c, s, corpus);
    spread::spread_points(&mut sc, c, s, corpus);
    shared_ip_points(&mut sc, c, s, corpus);
    campaign_points(&mut sc, c, s, corpus);
    account_points(&mut sc, c, s, corpus);
    log_points(&mut sc, c, corpus);
    origin_points(&mut sc, c, s);
    open_relay::open_relay_points(&mut sc, c, s, corpus);
    inside::forged_inside_points(&mut sc, c, s);
    inside_run::inside_run_points(&mut sc, c, s, corpus);
    forged_script_points(&mut sc, c, s);
    forged_pattern_points(&mut sc, c, s, corpus);
    stuffing::stuffing_points(&mut sc, c, s, corpus);
    // Size, speed, fan-out and one subject weigh evidence of abuse (a signal with a
    // conclusion); alone they never make a real sender a suspect (as spam is removed, what
    // remains holds a growing share of the queue, and a newsletter has one subject).
    if !sc.whys.is_empty() {
        fan_out_and_template(&mut sc, c, s, corpus);
        sc.add(
            30.0 * s.share,
            || format!("{} of {}", percent(s.share), corpus.share_of.long),
            None,
        );
        if c.per_minute > 0.0 {
            let words = || format!("{:.1} messages a minute over the last hour", c.per_minute);
            sc.add(10.0 * (c.per_minute / 10.0).min(1.0), words, None);
        }
    }
    // A heavy sender with nothing else against it is looked at, never taken: a newsletter or a
    // help desk has volume, fan-out, one subject and a rate too.
    if let Some(uids) = sites::many_sites(&sc, c, s, corpus) {
        sc.held = Some(Held::ManySites(uids));
    } else if sc.whys.len() == 1 && sc.whys[0].0 == points::HEAVY {
        sc.held = Some(Held::Heavy);
    } else if heavy::list_alone(&sc, c, s) {
        sc.held = Some(Held::ListAlone);
    } else if let Some(busiest) = heavy::on_the_move(&sc, c, s, corpus) {
        sc.held = Some(Held::OnTheMove(busiest));
    } else if inside::carries(&sc, points::FORGED_INSIDE) {
        sc.held = Some(Held::ForgedInside);
    } else if inside::carries(&sc, points::TEMPLATE_INSIDE) {
        sc.held = Some(Held::InsideRun);
    } else if stuffing::spread_alone(&sc) {
        sc.held = Some(Held::SpreadAlone);
    } else if points::alike_scripts(&sc, c, s, corpus) {
        sc.held = Some(Held::AlikeScripts);
    } else if points::shared_clients_alone(&sc, c, s) {
        sc.held = Some(Held::SharedClients);
    } else if agency::few_senders_alone(&sc, c, s, corpus) {
        sc.held = Some(Held::FewSenders);
    } else if let Some(login) = part::held_login_of(&sc, c, s, corpus) {
        sc.held = Some(Held::PartOf(login));
    } else if scripts::held_beyond_heavy_scripts(&sc, c, s, corpus) {
        sc.held = Some(Held::BeyondHeavyScripts);
    } else if let Some(same) = few_recipients::few_recipients(&sc, c, s, corpus) {
        sc.held = Some(Held::FewRecipients(same));
    } else if let Some(signs) = mailing::mailing_alone(&sc, c, s, corpus) {
        // Last: a hold above says more of what the cluster is (alerts to the same few).
        sc.held = Some(Held::MailingAlone(signs));
    }
    sc
}

/// The score of fired signals: their sum, damped for small clusters, held below a culprit's
/// when `held`, 0-100 to one decimal.
fn total(points: &[Points], messages: usize, held: Option<Held>) -> f64 {
    // A fold from +0.0: an empty float sum is -0.0, which would print as "-0.0".
    let mut total: f64 = points.iter().fold(0.0, |t, p| t + p.0);
    if messages < MIN_CULPRIT_MESSAGES {
        total *= messages as f64 / MIN_CULPRIT_MESSAGES as f64;
    }
    if held.is_some() {
        total = total.min(HELD);
    }
    (total.clamp(0.0, 100.0) * 10.0).round() / 10.0
}

/// The score a held suspect keeps at most.
const HELD: f64 = CULPRIT_SCORE - 0.1;

/// The score [`assess`] gives `c`, without writing its reasons.
fn score_only(c: &Cluster, corpus: &Corpus<'_>) -> f64 {
    if c.value.is_none() {
        return 0.0;
    }
    let s = measure_score(c, corpus);
    let sc = score(c, &s, corpus, false);
    total(&sc.points, c.messages, sc.held)
}

/// Fill `c.score` and `c.reasons` from its members' signals.
pub fn assess(c: &mut Cluster, corpus: &Corpus<'_>) {
    let s = measure(c, corpus);
    if c.value.is_none() {
        // Messages that merely lack this field are many senders, not one: never ranked.
        c.score = 0.0;
        c.reasons = vec![format!(
            "{}: {}: {NOT_RANKED}",
            subject(c, corpus),
            summary(c, &s, corpus)
        )];
        return;
    }
    let scoring = score(c, &s, corpus, true);
    let held = scoring.held;
    let total = total(&scoring.points, c.messages, held);
    let why = scoring.conclusion(Verdict::of(total));
    let points = scoring.points;
    let conclusion = match Verdict::of(total) {
        Verdict::Legitimate => LEGITIMATE.to_string(),
        Verdict::Suspect => why.unwrap_or_else(|| WORTH_A_LOOK.into()),
        Verdict::Culprit => why.unwrap_or_else(|| LIKELY_SPAM.into()),
    };
    c.score = total;
    c.reasons = vec![format!(
        "{}: {}: {conclusion}",
        subject(c, corpus),
        summary(c, &s, corpus)
    )];
    c.reasons.extend(corpus.logs.provenance(c, corpus.records));
    // Shown to one decimal: a rate of 0.04 a minute would read "(+0.0)", a signal that did not
    // count.
    for p in points.iter().filter(|p| p.0 >= 0.05) {
        c.reasons.push(format!("{} (+{:.1})", p.1, p.0));
    }
    if c.messages < MIN_CULPRIT_MESSAGES {
        let s = if c.messages == 1 { "" } else { "s" };
        c.reasons
            .push(format!("only {} message{s}: score scaled down", c.messages));
    }
    if Verdict::of(total) != Verdict::Legitimate {
        c.reasons
            .extend(inside::this_host_note(c, &s, corpus.strings));
    }
    held::push_reasons(c, held, (&points, total), &s, corpus);
}

/// Is `reason`, one of a cluster's reason lines, a weight (a fan-out, one subject template, the
/// share, the rate over the last hour: what only counts beside a signal with a conclusion)?
/// Read back from the words `fan_out_and_template` and `score` write, as `plan` names a
/// culprit's strongest signal: "100% of the selection (+30.0)" says nothing of what it is.
pub fn is_weight(reason: &str) -> bool {
    let words = reason.rsplit_once(" (+").map_or(reason, |(w, _)| w);
    let share = words.split_once(' ').is_some_and(|(pct, rest)| {
        pct.ends_with('%')
            && rest
                .strip_prefix("of ")
                .is_some_and(|of| super::signals::SHARES.iter().any(|s| s.long == of))
    });
    share
        || (words.starts_with("up to ") && words.ends_with(" remote recipients a message"))
        || words == "several remote recipients a message"
        || words.starts_with("one subject template in ")
        || words.ends_with(" messages a minute over the last hour")
}

/// The conclusion a cluster's summary (its first reason) ends in: one or more conclusions joined
/// by `; and `, or a verdict's words. Read back from the end, never by splitting on `: `, which
/// the conclusions themselves and attacker-chosen subjects contain.
pub fn conclusion_of(summary: &str) -> &str {
    for v in [
        top::REST_LEGITIMATE,
        LEGITIMATE,
        WORTH_A_LOOK,
        LIKELY_SPAM,
        NOT_RANKED,
    ] {
        if summary.strip_suffix(v).is_some_and(|r| r.ends_with(": ")) {
            return &summary[summary.len() - v.len()..];
        }
    }
    let mut rest = summary;
    // A suspect's "possibly X" is read as the culprit's "likely X" with its first word changed.
    let ends_with = |rest: &str, c: &str| match c.strip_prefix(LIKELY) {
        Some(tail) => rest.strip_suffix(tail).and_then(|r| {
            [LIKELY, POSSIBLY]
                .into_iter()
                .find(|w| r.ends_with(w))
                .map(|w| w.len() + tail.len())
        }),
        None => rest.ends_with(c).then_some(c.len()),
    };
    while let Some(len) = points::SIGNAL_CONCLUSIONS
        .iter()
        .find_map(|c| ends_with(rest, c))
    {
        rest = &rest[..rest.len() - len];
        match rest.strip_suffix("; and ") {
            Some(r) => rest = r,
            None => break,
        }
    }
    match rest.strip_suffix(": ") {
        Some(r) if rest.len() < summary.len() => &summary[r.len() + 2..],
        // Not a summary this ranking wrote: its last part, as before.
        _ => summary.rsplit(": ").next().unwrap_or(""),
    }
}

/// Is `c` (assessed) a subject sent through many stolen logins: its summary's conclusion the
/// credential-stuffing one? Its accounts are the logins of its messages.
pub fn is_stuffing(c: &Cluster) -> bool {
    c.key == ClusterKey::Subject
        && c.reasons
            .first()
            .is_some_and(|r| r.contains(points::STUFFED))
}

/// [`assess`] each cluster, in parallel (rayon's current pool): clusters are independent.
pub(crate) fn assess_all(clusters: &mut [Cluster], corpus: &Corpus<'_>) {
    assess_first(clusters, corpus, usize::MAX);
}

/// [`assess`] the `first` clusters and every later one that is not legitimate; the others get
/// their score only and no reasons (an [`assess`] writes them when one is shown).
pub(crate) fn assess_first(clusters: &mut [Cluster], corpus: &Corpus<'_>, first: usize) {
    clusters.par_iter_mut().enumerate().for_each(|(i, c)| {
        if i < first {
            return assess(c, corpus);
        }
        match score_only(c, corpus) {
            s if Verdict::of(s) == Verdict::Legitimate => c.score = s,
            _ => assess(c, corpus),
        }
    });
}

/// How the cluster is named at the start of its summary.
fn subject(c: &Cluster, corpus: &Corpus<'_>) -> String {
    let Some(v) = c.value else {
        return format!("messages without {}", c.key.name());
    };
    let text = v.text(corpus.strings);
    match c.key {
        ClusterKey::AuthUser => format!("AUTH user {text}"),
        ClusterKey::OriginIp => format!("IP {text}"),
        ClusterKey::OriginNet => format!("network {text}"),
        ClusterKey::Uid => match (v, &corpus.ctx.users) {
            (KeyValue::Uid(u), users) if users.contains_key(&u) => {
                format!("uid {u} ({})", users.get(&u).map_or("", |s| s.as_str()))
            }
            _ => format!("uid {text}"),
        },
        ClusterKey::Script => format!("PHP script {text}"),
        ClusterKey::Helo => format!("HELO {text}"),
        ClusterKey::Sender => format!("sender {text}"),
        ClusterKey::SenderDomain => format!("sender domain {text}"),
        ClusterKey::SenderPattern => format!("sender pattern {text}"),
        ClusterKey::From => format!("From {text}"),
        ClusterKey::RcptDomain => format!("recipient domain {text}"),
        ClusterKey::Subject => format!("subject template \"{text}\""),
        ClusterKey::Origin => format!("origin {text}"),
    }
}

/// `1,320 messages (70% of queue) from 3 IPs (...), 1-40 remote recipients each, ...`
fn summary(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> String {
    let strings = corpus.strings;
    let mut out = format!(
        "{} message{} ({} of {})",
        thousands(c.messages),
        if c.messages == 1 { "" } else { "s" },
        percent(s.share),
        corpus.share_of.short
    );
    out.push_str(&ips_phrase(c.key, &s.ips, strings));
    if s.remote_msgs == 0 {
        out.push_str(", local recipients only");
    } else if s.remote_min == s.remote_max {
        out.push_str(&format!(
            ", {} remote recipient{} each",
            s.remote_max,
            if s.remote_max == 1 { "" } else { "s" }
        ));
    } else {
        out.push_str(&format!(
            ", {}-{} remote recipients each",
            s.remote_min, s.remote_max
        ));
    }
    if s.foreign_known > 0 {
        out.push_str(match frac(s.foreign, s.foreign_known) {
            f if f >= 0.5 => ", sender addresses not its own",
            0.0 => ", sender addresses its own",
            _ => ", some sender addresses not its own",
        });
    }
    out
}

impl Cluster {
    /// The verdict of this cluster's score.
    pub fn verdict(&self) -> Verdict {
        Verdict::of(self.score)
    }
}

/// `86.107.221.138 600, 41.203.18.7 420, ...` (the busiest first).
/// ` from 3 IPs (86.107.221.138 1,200, ...)`, a summary's client IPs with their messages
/// (`ips`), or nothing for a cluster of one IP but a login's. The report writes it again over
/// the mail it counts as spam ([`crate::report`]'s culprits), so both are this one phrase.
pub(crate) fn ips_phrase(key: ClusterKey, ips: &HashMap<Sym, usize>, strings: &Interner) -> String {
    if ips.len() > 1 || (key == ClusterKey::AuthUser && !ips.is_empty()) {
        let plural = if ips.len() == 1 { "" } else { "s" };
        let list = ip_list(ips, strings);
        format!(" from {} IP{plural} ({list})", thousands(ips.len()))
    } else {
        String::new()
    }
}

fn ip_list(ips: &HashMap<Sym, usize>, strings: &Interner) -> String {
    let mut ips: Vec<(Arc<[u8]>, usize)> =
        ips.iter().map(|(s, n)| (strings.resolve(*s), *n)).collect();
    ips.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shown: Vec<String> = ips
        .iter()
        .take(IPS_SHOWN)
        .map(|(ip, n)| format!("{} {}", String::from_utf8_lossy(ip), thousands(*n)))
        .collect();
    if ips.len() > IPS_SHOWN {
        shown.push(format!("{} more", thousands(ips.len() - IPS_SHOWN)));
    }
    shown.join(", ")
}

/// `0.7` → `70%`; below one percent `<1%`.
pub fn percent(f: f64) -> String {
    if f > 0.0 && f < 0.005 {
        "<1%".into()
    } else {
        format!("{:.0}%", f * 100.0)
    }
}

mod agency;
mod bulk;
mod few_recipients;
mod heavy;
mod held;
mod inside;
mod inside_run;
mod mailing;
mod members;
mod open_relay;
mod part;
mod places;
mod points;
mod quick;
mod scripts;
mod sites;
mod spread;
mod stuffing;
mod top;
use heavy::account_points;
use held::Held;
pub use inside::{HELD_INSIDE, THIS_HOST};
pub use inside_run::HELD_TEMPLATE;
pub use open_relay::OPEN_RELAY;
use points::{
    campaign_points, fan_out_and_template, forged_pattern_points, forged_script_points, log_points,
    login_points, origin_points, shared_ip_points,
};
pub use scripts::LOUD_VOICES;
pub use top::{top, top_and_more, LEGIT_CONSIDERED};

#[cfg(test)]
mod account_tests;
#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod campaign_tests;
#[cfg(test)]
mod conclusion_tests;
#[cfg(test)]
mod explain_tests;
#[cfg(test)]
mod few_recipients_tests;
#[cfg(test)]
mod forged_from_tests;
#[cfg(test)]
mod inside_run_tests;
#[cfg(test)]
mod inside_tests;
#[cfg(test)]
mod legit_tests;
#[cfg(test)]
mod mailing_tests;
#[cfg(test)]
mod measure_tests;
#[cfg(test)]
mod part_tests;
#[cfg(test)]
mod relay_tests;
#[cfg(test)]
mod script_tests;
#[cfg(test)]
mod shared_ip_tests;
#[cfg(test)]
mod stuffing_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod weight_tests;
