//! Fill a ReportInput from what this build has: a queue scan, its clusters and the accounts check.
//!
//! Until the culprit ranking lands, a culprit is an `auth-user` or `script` cluster holding at
//! least [`CULPRIT_MIN_MESSAGES`] messages and [`CULPRIT_MIN_SHARE`] of the window; the report
//! says so in its notes. The integrator can replace `culprits` with `top`'s verdict and the
//! journal and log sections with what those readers find.

use std::collections::{HashMap, HashSet};

use super::{
    shorten, Counted, Culprit, Evidence, EvidenceSource, Remaining, ReportInput, Timeline,
    MAX_EVIDENCE_LINES, MAX_LISTED, MAX_SUBJECT_CHARS, MAX_SUBJECT_SAMPLES, NO_JOURNAL, NO_LOG,
};
use crate::accounts::AccountsCheck;
use crate::analysis::cluster::{cluster, AnalysisContext, Cluster};
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::queue::count::QueueCounts;
use crate::queue::date::rfc3339;
use crate::queue::{AuthSource, Interner, MessageRecord, Sym};
use crate::sanitize::{sanitize_bytes, sanitize_str};

/// Smallest cluster held to be a culprit.
pub const CULPRIT_MIN_MESSAGES: usize = 20;

/// Smallest share of the window's messages a culprit cluster holds.
pub const CULPRIT_MIN_SHARE: f64 = 0.05;

/// Hash attempts the report's accounts check may spend: culprits and role accounts are hashed
/// first, so a small budget covers what a report needs without stalling it on a large server.
pub const REPORT_HASH_ATTEMPTS: usize = 2_000;

/// The keys whose clusters can be culprits: who sent, not where from.
pub const CULPRIT_KEYS: [ClusterKey; 2] = [ClusterKey::AuthUser, ClusterKey::Script];

/// What the builder reads.
#[derive(Debug, Clone, Copy)]
pub struct ReportSources<'a> {
    /// The scanned records (headers read).
    pub records: &'a [MessageRecord],
    /// Their strings.
    pub strings: &'a Interner,
    /// "Now", unix seconds.
    pub now: i64,
    /// Only messages queued at or after this time; `None` for all.
    pub since: Option<i64>,
    /// qmail-qstat-style counts of the queue as it is now.
    pub counts: QueueCounts,
}

fn value_text(v: &KeyValue, strings: &Interner) -> String {
    match v {
        KeyValue::Text(s) => sanitize_bytes(&strings.resolve(*s)).into_owned(),
        other => sanitize_str(&other.text(strings)).into_owned(),
    }
}

/// Count `key`'s values over `members` of `records`, largest first, at most `limit`.
fn top_values(
    records: &[MessageRecord],
    members: &[usize],
    key: ClusterKey,
    strings: &Interner,
    limit: usize,
) -> Vec<Counted> {
    let mut ex = KeyExtractor::new(key, strings);
    let mut counts: HashMap<KeyValue, u64> = HashMap::new();
    for &i in members {
        if let Some(v) = records.get(i).and_then(|r| ex.value(r)) {
            *counts.entry(v).or_default() += 1;
        }
    }
    let mut out: Vec<Counted> = counts
        .into_iter()
        .map(|(v, n)| Counted {
            value: value_text(&v, strings),
            messages: n,
        })
        .collect();
    out.sort_by(|a, b| {
        b.messages
            .cmp(&a.messages)
            .then_with(|| a.value.cmp(&b.value))
    });
    out.truncate(limit);
    out
}

fn is_culprit(c: &Cluster, window: usize) -> bool {
    c.value.is_some()
        && c.messages >= CULPRIT_MIN_MESSAGES
        && c.messages as f64 >= CULPRIT_MIN_SHARE * window as f64
}

fn culprit_of(c: &Cluster, records: &[MessageRecord], strings: &Interner) -> Option<Culprit> {
    let value = value_text(c.value.as_ref()?, strings);
    let ips: HashSet<Sym> = c
        .members
        .iter()
        .filter_map(|&i| records.get(i as usize)?.origin.ip)
        .collect();
    // The ranking's reasons quote message-derived values raw; a report is read by people.
    let mut reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|r| crate::sanitize::sanitize_str(r).into_owned())
        .collect();
    reasons.push(format!(
        "queued {} messages to {} recipients between {} and {}",
        c.messages,
        c.recipients,
        rfc3339(c.first_queued),
        rfc3339(c.last_queued)
    ));
    if !ips.is_empty() {
        reasons.push(format!("from {} distinct client IPs", ips.len()));
    }
    Some(Culprit {
        kind: c.key,
        value,
        messages: c.messages as u64,
        recipients: c.recipients as u64,
        reasons,
    })
}

/// The header shape that attributes a culprit's messages, from one member.
fn evidence_of(c: &Culprit, first: &MessageRecord, strings: &Interner) -> Evidence {
    let t = |s: Option<Sym>| {
        s.map(|s| sanitize_bytes(&strings.resolve(s)).into_owned())
            .unwrap_or_else(|| "?".into())
    };
    let o = &first.origin;
    let text = match c.kind {
        ClusterKey::Script => format!(
            "X-PHP-Originating-Script: {}:{} (local uid {}) on {} messages",
            o.uid.map(|u| u.to_string()).unwrap_or_else(|| "?".into()),
            t(o.script),
            o.uid.map(|u| u.to_string()).unwrap_or_else(|| "?".into()),
            c.messages
        ),
        // The Received line names no user: say so rather than print a shape it does not have.
        _ if o.auth_source == AuthSource::Log => format!(
            "Received: from {} (HELO {}) ({}) with {} (qmail-smtpd) on {} messages; \
             AUTH user {} from the logs",
            t(o.host),
            t(o.helo),
            t(o.ip),
            t(o.protocol),
            c.messages,
            t(o.auth_user)
        ),
        _ => format!(
            "Received: from {} (HELO {}) ({}@{}) with {} (qmail-smtpd, AUTH) on {} messages",
            t(o.host),
            t(o.helo),
            t(o.auth_user),
            t(o.ip),
            t(o.protocol),
            c.messages
        ),
    };
    Evidence {
        source: EvidenceSource::Headers,
        text,
    }
}

/// Spam timeline: first, last, and the busiest calendar minute.
fn timeline(records: &[MessageRecord], spam: &[usize], window: usize) -> Timeline {
    let times: Vec<i64> = spam
        .iter()
        .filter_map(|&i| records.get(i))
        .map(|r| r.queued)
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
struct Found {
    culprits: Vec<Culprit>,
    evidence: Vec<Evidence>,
    spam: Vec<usize>,
}

fn find_culprits(window: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Found {
    let mut found = Found {
        culprits: Vec::new(),
        evidence: Vec::new(),
        spam: Vec::new(),
    };
    let mut spam: HashSet<usize> = HashSet::new();
    for key in CULPRIT_KEYS {
        let clusters = cluster(window, key, strings, ctx);
        for c in clusters
            .iter()
            .filter(|c| is_culprit(c, window.len()))
            .take(MAX_LISTED)
        {
            let Some(culprit) = culprit_of(c, window, strings) else {
                continue;
            };
            // The newest member shows the shape the flood has now.
            let newest = c
                .members
                .iter()
                .filter_map(|&i| window.get(i as usize))
                .max_by_key(|r| (r.queued, r.id));
            if let Some(newest) = newest {
                found.evidence.push(evidence_of(&culprit, newest, strings));
            }
            spam.extend(c.members.iter().map(|&i| i as usize));
            found.culprits.push(culprit);
        }
    }
    found.evidence.truncate(MAX_EVIDENCE_LINES);
    found.spam = spam.into_iter().collect();
    found.spam.sort_unstable();
    found
}

/// Fill a report from the queue. Journal and log sections are left empty with their
/// "not found" lines; `fixes` is left empty (see [`add_fixes`]).
pub fn build(src: &ReportSources<'_>) -> ReportInput {
    let window: Vec<MessageRecord> = src
        .records
        .iter()
        .filter(|r| src.since.is_none_or(|s| r.queued >= s))
        .cloned()
        .collect();
    let ctx = AnalysisContext {
        now: src.now,
        ..AnalysisContext::default()
    };
    let Found {
        culprits,
        evidence,
        spam,
    } = find_culprits(&window, src.strings, &ctx);
    let mut subjects = top_values(
        &window,
        &spam,
        ClusterKey::Subject,
        src.strings,
        MAX_SUBJECT_SAMPLES,
    );
    for s in &mut subjects {
        s.value = shorten(&s.value, MAX_SUBJECT_CHARS);
    }
    ReportInput {
        now: src.now,
        since: src.since,
        timeline: timeline(&window, &spam, window.len()),
        origin_ips: top_values(&window, &spam, ClusterKey::OriginIp, src.strings, MAX_LISTED),
        scripts: top_values(&window, &spam, ClusterKey::Script, src.strings, MAX_LISTED),
        subjects,
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
            spam_messages: spam.len() as u64,
        },
        fixes: Vec::new(),
        notes: vec![format!(
            "culprits are auth-user and script clusters of at least {CULPRIT_MIN_MESSAGES} messages \
             and {:.0}% of the window; subjects are templates with digits and random tokens masked",
            CULPRIT_MIN_SHARE * 100.0
        )],
    }
}

/// Put the accounts at risk into the report's fixes.
pub fn add_fixes(input: &mut ReportInput, check: &AccountsCheck) {
    input.fixes = check.at_risk().cloned().collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::{MessageId, MessageState, Origin, OriginKind, Parts};

    fn rec(id: u64, user: Option<Sym>, ip: Option<Sym>, queued: i64) -> MessageRecord {
        MessageRecord {
            id: MessageId(id),
            queued,
            size: 100,
            parts: Parts::default(),
            state: MessageState::InDelivery,
            sender: None,
            recipients: Box::new([]),
            qp: None,
            origin: Origin {
                kind: OriginKind::SmtpAuth,
                ip,
                auth_user: user,
                ..Default::default()
            },
            headers: Default::default(),
            problems: Box::new([]),
        }
    }

    #[test]
    fn culprits_timeline_and_window() {
        let s = Interner::new();
        let test = Some(s.intern(b"test"));
        let alice = Some(s.intern(b"alice"));
        let ip = Some(s.intern(b"86.107.221.138"));
        let base = 1_795_428_000;
        let mut recs: Vec<MessageRecord> = (0..30)
            .map(|i| rec(i, test, ip, base + i as i64 * 10))
            .collect();
        recs.extend((100..103).map(|i| rec(i, alice, None, base)));
        recs.push(rec(200, test, ip, base - 7200));
        let counts = QueueCounts {
            messages: 34,
            ..Default::default()
        };
        let src = ReportSources {
            records: &recs,
            strings: &s,
            now: base + 600,
            since: Some(base - 60),
            counts,
        };
        let r = build(&src);
        assert_eq!(r.culprit_auth_users(), vec!["test".to_string()]);
        assert_eq!(r.culprits[0].messages, 30);
        assert_eq!(r.timeline.spam_messages, 30);
        assert_eq!(r.timeline.messages, 33);
        assert_eq!(r.timeline.first_spam_queued, Some(base));
        assert_eq!(r.timeline.last_spam_queued, Some(base + 290));
        // 10 s apart: 6 per minute at most.
        assert_eq!(r.timeline.peak_per_minute, 6);
        assert_eq!(
            r.origin_ips,
            vec![Counted {
                value: "86.107.221.138".into(),
                messages: 30
            }]
        );
        assert_eq!(r.remaining.spam_messages, 30);
        assert_eq!(r.journal_note.as_deref(), Some(NO_JOURNAL));
    }

    #[test]
    fn script_culprit_and_hostile_value_are_sanitized() {
        let s = Interner::new();
        let script = Some(s.intern(b"wp-content/uploads/\x1b[2Jmailer.php"));
        let evil = Some(s.intern(b"up/\x1b]0;x\x07m.php"));
        let mut recs: Vec<MessageRecord> = Vec::new();
        for i in 0..25 {
            let mut r = rec(i, None, None, 1_795_428_000 + i as i64);
            r.origin = Origin {
                kind: OriginKind::Local,
                uid: Some(48),
                script: if i < 20 { script } else { evil },
                ..Default::default()
            };
            recs.push(r);
        }
        let src = ReportSources {
            records: &recs,
            strings: &s,
            now: 1_795_431_600,
            since: None,
            counts: QueueCounts::default(),
        };
        let r = build(&src);
        assert_eq!(r.culprits.len(), 1);
        assert_eq!(r.culprits[0].kind, ClusterKey::Script);
        assert_eq!(r.culprits[0].messages, 20);
        assert!(r.culprit_auth_users().is_empty());
        assert!(
            r.evidence[0]
                .text
                .starts_with("X-PHP-Originating-Script: 48:"),
            "{}",
            r.evidence[0].text
        );
        // Below the culprit threshold, the other script is not spam and not listed.
        assert_eq!(r.scripts.len(), 1);
        let all = serde_json::to_string(&r).expect("json") + &crate::report::markdown::render(&r);
        assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all}");
    }
}
