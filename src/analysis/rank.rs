//! Order clusters by likely culprit and say why, in the operator's words.
//!
//! A cluster's score (0-100) is a sum of measurable signals, each shown as a reason with the
//! points it added: share of the queue, rate over the last hour, one login used from several IPs
//! or networks, authenticated senders using domains that are not the account's, a web-server uid
//! or PHP script mailing remote domains, null-sender backscatter, unauthenticated relaying,
//! remote fan-out, one dominant subject template and forged sender names. Small clusters are
//! damped so that a handful of messages never outranks a flood. The first reason is a one-line
//! summary ending in a conclusion (`likely a guessed password`, `looks legitimate: keep`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::cluster::{group, AnalysisContext, Cluster};
use super::key::{ClusterKey, KeyExtractor, KeyValue};
use super::patterns::{domain, is_local_domain, SenderPatterns};
use crate::queue::{Channel, Interner, MessageRecord, OriginKind, Sym};

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
/// User names of web servers (PHP and CGI scripts run as these).
pub const WEB_USERS: [&str; 9] =
    ["apache", "www-data", "nobody", "httpd", "nginx", "wwwrun", "www", "lighttpd", "http"];
/// Their usual uids, used when no passwd file names the uid.
pub const WEB_UIDS: [u32; 3] = [48, 33, 65534];
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

/// Per-message facts every cluster's signals need, computed once per analysis.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Subject template symbol per record.
    template: Vec<Option<KeyValue>>,
    /// /24 or /64 per record.
    net: Vec<Option<KeyValue>>,
    /// Remote recipients per record.
    remote: Vec<u32>,
    /// Authenticated message whose envelope or From domain is not the login's own;
    /// `None` when not authenticated or the own domain is unknown.
    foreign: Vec<Option<bool>>,
}

impl Facts {
    /// Compute the facts of every record.
    pub fn new(records: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Facts {
        let mut tpl = KeyExtractor::new(ClusterKey::Subject, strings);
        let mut net = KeyExtractor::new(ClusterKey::OriginNet, strings);
        Facts {
            template: records.iter().map(|r| tpl.value(r)).collect(),
            net: records.iter().map(|r| net.value(r)).collect(),
            remote: records.iter().map(|r| remote_count(r, strings, ctx)).collect(),
            foreign: records.iter().map(|r| foreign(r, strings, ctx)).collect(),
        }
    }
}

/// Everything `assess` reads besides the cluster.
#[derive(Debug, Clone, Copy)]
pub struct Corpus<'a> {
    /// All records of the analysis.
    pub records: &'a [MessageRecord],
    /// Their interner.
    pub strings: &'a Interner,
    /// Now, local domains, user names.
    pub ctx: &'a AnalysisContext,
    /// Per-record facts.
    pub facts: &'a Facts,
}

fn remote_count(r: &MessageRecord, strings: &Interner, ctx: &AnalysisContext) -> u32 {
    let n = r.recipients.iter().filter(|rc| match rc.channel {
        Channel::Remote => true,
        Channel::Local => false,
        // Not yet split by qmail-send: remote unless the domain is one of ours.
        Channel::Todo => domain(&strings.resolve(rc.address))
            .is_none_or(|d| !is_local_domain(&d, &ctx.local_domains)),
    });
    n.count().min(u32::MAX as usize) as u32
}

fn foreign(r: &MessageRecord, strings: &Interner, ctx: &AnalysisContext) -> Option<bool> {
    if r.origin.kind != OriginKind::SmtpAuth {
        return None;
    }
    let login = strings.resolve(r.origin.auth_user?);
    let own = domain(&login);
    if own.is_none() && ctx.local_domains.is_empty() {
        return None;
    }
    let is_own = |d: &[u8]| match &own {
        Some(o) => d == &o[..],
        None => is_local_domain(d, &ctx.local_domains),
    };
    let domains = [r.sender, r.headers.from].into_iter().flatten();
    let mut domains = domains.filter_map(|s| domain(&strings.resolve(s))).peekable();
    domains.peek()?;
    Some(domains.any(|d| !is_own(&d)))
}

/// Is this uid a web server's (by passwd name, else by its usual number)?
pub fn is_web_uid(uid: u32, ctx: &AnalysisContext) -> bool {
    match ctx.users.get(&uid) {
        Some(name) => WEB_USERS.contains(&name.as_str()),
        None => WEB_UIDS.contains(&uid),
    }
}

/// The measured signals of one cluster.
#[derive(Debug, Default)]
struct Signals {
    share: f64,
    remote_min: u32,
    remote_max: u32,
    remote_msgs: usize,
    auth_msgs: usize,
    auth_users: HashSet<Sym>,
    ips: HashMap<Sym, usize>,
    nets: HashSet<KeyValue>,
    foreign: usize,
    foreign_known: usize,
    web_remote: usize,
    script_msgs: usize,
    local_remote: usize,
    null_remote: usize,
    relay: usize,
    template: Option<(KeyValue, usize)>,
    senders: HashSet<Sym>,
}

fn measure(c: &Cluster, corpus: &Corpus<'_>) -> Signals {
    let mut s = Signals { remote_min: u32::MAX, ..Signals::default() };
    let mut templates: HashMap<KeyValue, usize> = HashMap::new();
    for &i in &c.members {
        let i = i as usize;
        let (Some(r), Some(&remote)) = (corpus.records.get(i), corpus.facts.remote.get(i)) else {
            continue;
        };
        let o = &r.origin;
        s.remote_min = s.remote_min.min(remote);
        s.remote_max = s.remote_max.max(remote);
        let has_remote = remote > 0;
        s.remote_msgs += usize::from(has_remote);
        if let Some(ip) = o.ip {
            *s.ips.entry(ip).or_default() += 1;
        }
        if let Some(Some(n)) = corpus.facts.net.get(i) {
            s.nets.insert(*n);
        }
        if o.kind == OriginKind::SmtpAuth {
            s.auth_msgs += 1;
            s.auth_users.extend(o.auth_user);
        }
        if let Some(Some(f)) = corpus.facts.foreign.get(i) {
            s.foreign_known += 1;
            s.foreign += usize::from(*f);
        }
        let web = o.kind == OriginKind::Local
            && (o.script.is_some() || o.uid.is_some_and(|u| is_web_uid(u, corpus.ctx)));
        s.web_remote += usize::from(web && has_remote);
        s.script_msgs += usize::from(o.script.is_some());
        s.local_remote += usize::from(o.kind == OriginKind::Local && has_remote);
        let null = r.sender.is_some_and(|x| corpus.strings.resolve(x).is_empty());
        s.null_remote += usize::from((null || o.kind == OriginKind::Bounce) && has_remote);
        s.relay += usize::from(o.kind == OriginKind::Smtp && has_remote && !null);
        if let Some(Some(t)) = corpus.facts.template.get(i) {
            *templates.entry(*t).or_default() += 1;
        }
        s.senders.extend(r.sender);
    }
    if s.remote_min == u32::MAX {
        s.remote_min = 0;
    }
    s.share = c.messages as f64 / corpus.records.len().max(1) as f64;
    s.template = templates.into_iter().max_by_key(|&(t, n)| (n, std::cmp::Reverse(t)));
    s
}

/// A fired signal: points and the words for it.
struct Points(f64, String);

fn frac(n: usize, of: usize) -> f64 {
    n as f64 / of.max(1) as f64
}

/// Score the signals; returns the points and the conclusion they support.
fn score(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> (Vec<Points>, Option<&'static str>) {
    let n = c.messages;
    let mut p = vec![Points(30.0 * s.share, format!("{} of the queue", percent(s.share)))];
    let mut why = None;
    if c.per_minute > 0.0 {
        let pts = 10.0 * (c.per_minute / 10.0).min(1.0);
        p.push(Points(pts, format!("{:.1} messages a minute over the last hour", c.per_minute)));
    }
    // A property of the login itself, so only the auth-user cluster earns it.
    let many_places = s.ips.len() >= 3 || s.nets.len() >= 2;
    if c.key == ClusterKey::AuthUser && s.auth_users.len() == 1 && many_places {
        let words = format!("one login used from {} IPs in {} networks", s.ips.len(), s.nets.len());
        p.push(Points(25.0, words));
        why = why.or(Some("likely a guessed password"));
    }
    let f = frac(s.foreign, s.foreign_known);
    if s.foreign_known > 0 && f >= 0.5 {
        p.push(Points(25.0 * f, format!("{} of authenticated senders use domains not their own", percent(f))));
        why = why.or(Some("likely a guessed password"));
    }
    let w = frac(s.web_remote, n);
    if w >= 0.5 {
        p.push(Points(30.0 * w, "web-server uid or PHP script mailing remote domains".into()));
        why = why.or(Some(if s.script_msgs * 2 >= n {
            "likely a compromised web script"
        } else {
            "likely a compromised web application"
        }));
    } else if frac(s.local_remote, n) >= 0.5 {
        p.push(Points(10.0, "local uid mailing remote domains".into()));
        why = why.or(Some("a local user or cron job mailing remote domains"));
    }
    let b = frac(s.null_remote, n);
    if b >= 0.5 {
        p.push(Points(20.0 * b, "null-sender bounces to remote addresses".into()));
        why = why.or(Some("backscatter: bounces of spam to forged senders"));
    }
    let r = frac(s.relay, n);
    if r >= 0.5 {
        p.push(Points(20.0 * r, "unauthenticated SMTP clients relaying to remote domains".into()));
        why = why.or(Some("relaying without a login: check rcpthosts and tcp.smtp"));
    }
    fan_out_and_template(&mut p, c, s, corpus);
    if let Some(Some(KeyValue::Text(v))) = (c.key == ClusterKey::SenderPattern).then_some(c.value) {
        if SenderPatterns::is_generalised(&corpus.strings.resolve(v)) {
            p.push(Points(15.0, format!("{} forged sender names in one pattern", thousands(s.senders.len()))));
            why = why.or(Some("forged random sender names"));
        }
    }
    (p, why)
}

fn fan_out_and_template(p: &mut Vec<Points>, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    if s.remote_max >= 10 {
        p.push(Points(10.0, format!("up to {} remote recipients a message", s.remote_max)));
    } else if frac(s.remote_msgs, c.messages) >= 0.5 && c.recipients >= 3 * c.messages {
        p.push(Points(5.0, "several remote recipients a message".into()));
    }
    if let Some((t, k)) = s.template.filter(|&(_, k)| c.messages >= 20 && frac(k, c.messages) >= DOMINANT) {
        if c.key != ClusterKey::Subject {
            let words = format!("one subject template in {}: \"{}\"", percent(frac(k, c.messages)), t.text(corpus.strings));
            p.push(Points(10.0, words));
        }
    }
}

/// Fill `c.score` and `c.reasons` from its members' signals.
pub fn assess(c: &mut Cluster, corpus: &Corpus<'_>) {
    let s = measure(c, corpus);
    let (points, why) = score(c, &s, corpus);
    let mut total: f64 = points.iter().map(|p| p.0).sum();
    if c.messages < MIN_CULPRIT_MESSAGES {
        total *= c.messages as f64 / MIN_CULPRIT_MESSAGES as f64;
    }
    let total = (total.clamp(0.0, 100.0) * 10.0).round() / 10.0;
    let conclusion = match Verdict::of(total) {
        Verdict::Legitimate => "looks legitimate: keep",
        Verdict::Suspect => why.unwrap_or("worth a look"),
        Verdict::Culprit => why.unwrap_or("likely spam"),
    };
    c.score = total;
    c.reasons = vec![format!("{}: {}: {conclusion}", subject(c, corpus), summary(c, &s, corpus.strings))];
    for p in points.iter().filter(|p| p.0 > 0.0) {
        c.reasons.push(format!("{} (+{:.1})", p.1, p.0));
    }
    if c.messages < MIN_CULPRIT_MESSAGES {
        c.reasons.push(format!("only {} messages: score scaled down", c.messages));
    }
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
fn summary(c: &Cluster, s: &Signals, strings: &Interner) -> String {
    let mut out = format!("{} messages ({} of queue)", thousands(c.messages), percent(s.share));
    if s.ips.len() > 1 || (c.key == ClusterKey::AuthUser && !s.ips.is_empty()) {
        let plural = if s.ips.len() == 1 { "" } else { "s" };
        let list = ip_list(&s.ips, strings);
        out.push_str(&format!(" from {} IP{plural} ({list})", s.ips.len()));
    }
    if s.remote_msgs == 0 {
        out.push_str(", local recipients only");
    } else if s.remote_min == s.remote_max {
        out.push_str(&format!(", {} remote recipient{} each", s.remote_max, if s.remote_max == 1 { "" } else { "s" }));
    } else {
        out.push_str(&format!(", {}-{} remote recipients each", s.remote_min, s.remote_max));
    }
    if s.foreign_known > 0 {
        out.push_str(match frac(s.foreign, s.foreign_known) {
            f if f >= 0.5 => ", sender addresses not its own",
            f if f == 0.0 => ", sender addresses its own",
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
fn ip_list(ips: &HashMap<Sym, usize>, strings: &Interner) -> String {
    let mut ips: Vec<(Arc<[u8]>, usize)> = ips.iter().map(|(s, n)| (strings.resolve(*s), *n)).collect();
    ips.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut shown: Vec<String> = ips
        .iter()
        .take(IPS_SHOWN)
        .map(|(ip, n)| format!("{} {}", String::from_utf8_lossy(ip), thousands(*n)))
        .collect();
    if ips.len() > IPS_SHOWN {
        shown.push(format!("{} more", ips.len() - IPS_SHOWN));
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

/// `1320` → `1,320`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The likely culprits across [`TOP_KEYS`], highest score first, at most `limit` of them, then
/// up to [`LEGIT_SHOWN`] legitimate-looking clusters (largest first) so the operator sees what
/// must not be removed. A cluster whose messages are mostly ([`COVERED`]) in one listed before
/// it is skipped: the IPs of a listed AUTH user are not listed again. `(none)` clusters and
/// origin clusters other than `bounce` are not candidates.
pub fn top(corpus: &Corpus<'_>, table: &SenderPatterns, limit: usize) -> Vec<Cluster> {
    let bounce = OriginKind::ALL.iter().position(|k| *k == OriginKind::Bounce);
    let mut candidates: Vec<(usize, Cluster)> = Vec::new();
    for (rank, key) in TOP_KEYS.into_iter().enumerate() {
        let ex = KeyExtractor::new(key, corpus.strings).with_sender_patterns(table);
        for mut c in group(corpus.records, ex, corpus.ctx) {
            let keep = match c.value {
                None => false,
                Some(KeyValue::Origin(o)) => Some(o.0 as usize) == bounce,
                Some(_) => true,
            };
            if keep {
                assess(&mut c, corpus);
                candidates.push((rank, c));
            }
        }
    }
    candidates.sort_by(|(ra, a), (rb, b)| {
        b.score.total_cmp(&a.score).then(b.messages.cmp(&a.messages)).then(ra.cmp(rb))
    });
    let mut covered = vec![false; corpus.records.len()];
    let mut out = Vec::new();
    let (culprits, legit): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|(_, c)| c.verdict() != Verdict::Legitimate);
    take_uncovered(culprits, limit, &mut covered, &mut out);
    let mut legit = legit;
    legit.sort_by(|(ra, a), (rb, b)| b.messages.cmp(&a.messages).then(ra.cmp(rb)));
    take_uncovered(legit, LEGIT_SHOWN, &mut covered, &mut out);
    out
}

fn take_uncovered(
    candidates: Vec<(usize, Cluster)>,
    limit: usize,
    covered: &mut [bool],
    out: &mut Vec<Cluster>,
) {
    let mut taken = 0;
    for (_, c) in candidates {
        if taken >= limit {
            break;
        }
        let seen = c.members.iter().filter(|&&i| covered.get(i as usize) == Some(&true)).count();
        if frac(seen, c.messages) >= COVERED {
            continue;
        }
        for &i in &c.members {
            if let Some(slot) = covered.get_mut(i as usize) {
                *slot = true;
            }
        }
        taken += 1;
        out.push(c);
    }
}

#[cfg(test)]
mod tests;
