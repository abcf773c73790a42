//! What the operator yanked as spam that no culprit accounts for, described apart from the
//! culprits: when, how much, what on this server sent it, and what to fix.
//!
//! On a shared web host the ranking holds a hacked plugin's flood as a suspect (a busy shop
//! writes alike), so the operator yanks it by a query of their own. The report then said "Spam
//! messages: 0" and "Culprits: none found" to a blacklist reader (newuser56). This is their
//! verdict, not the ranking's: counted in its own section, never among the culprits, their
//! origin IPs or their counts. And the report goes to third parties, so a mistaken yank must
//! not publish real people as spammers (review49: other providers' servers; review52:
//! customers' addresses; review57: `origin:smtp` yanked named correspondents, `uid:48` every
//! shop's address and order subject, and advised disabling WordPress's PHPMailer.php). So it
//! describes only mail this server sent (a local uid or script, an AUTH login), counting what
//! came in from elsewhere; and it names a script, uid, login or From address only where the
//! selection that yanked it stated that key's one value for every message it took (a literal
//! term at its top: `script:x.php`, not `not script:x.php`, one branch of an `or`, or
//! `from:shop@*`, review57b): the operator's own words judged that value, not a selection
//! made by some other key the messages happen to share.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::build::{timeline, top_values, value_text};
use super::fixes::{CulpritFix, SCRIPT_ADVICE, UID_ADVICE};
use super::{opt_time, shorten, Beyond, Counted, MAX_LISTED, MAX_SUBJECT_CHARS};
use crate::analysis::cluster::AnalysisContext;
use crate::analysis::key::{ClusterKey, KeyExtractor, KeyValue};
use crate::analysis::patterns::domain;
use crate::queue::{Interner, MessageId, MessageRecord, OriginKind};

/// Fewest messages a subject template is named on: a spam run's is on hundreds; a person's
/// mail yanked by mistake has a few of each.
pub const SUBJECT_NAMED_AT: u64 = 10;

/// Most subject templates named.
const SUBJECTS: usize = 3;

/// Keys narrow enough that a selection stating one judged its messages' subjects too: a
/// sender, a login. Not a uid, an IP or a script's name: `uid:48` takes every site's mail, and
/// `script:PHPMailer.php` every WordPress shop's order mails (review57b).
const NARROW: [ClusterKey; 5] = [
    ClusterKey::From,
    ClusterKey::AuthUser,
    ClusterKey::Sender,
    ClusterKey::SenderPattern,
    ClusterKey::Subject,
];

/// The advice for a login only the operator judged: the ranking found nothing against it.
const LOGIN_ADVICE: &str = "if its owner did not send this mail: change its password and end \
     its sessions";

/// The advice for a script whose name other mail has too (still queued, or yanked as written
/// by more than one domain): PHP names a script by its file name, and a mail library
/// (PHPMailer.php) is every site's.
const SHARED_SCRIPT_ADVICE: &str = "more than one site's mail goes through a file of this name \
     (PHP names the file alone, and a mail library is many sites'): do not disable it \
     everywhere; php.ini's mail.log records the full path of every script that mails, and the \
     web server's access log shows the POSTs at the spam's times: find the site's file that \
     sent it";

/// The advice for an internal client that handed the mail to qmail-smtpd.
const INTERNAL_ADVICE: &str = "a site or program on this host or its network handed this mail \
     to qmail-smtpd without a login (a web application's mailer in SMTP mode): find which from \
     the web server's access log and PHP's mail.log at the spam's times, or `ss -tnp` while it \
     sends, and stop it";

/// The operator's yanks no culprit accounts for, bounces aside.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OperatorJudged {
    /// Messages.
    pub messages: u64,
    /// Their envelope recipients.
    pub recipients: u64,
    /// Birth time of the oldest (RFC 3339 in JSON).
    #[serde(serialize_with = "opt_time")]
    pub first_queued: Option<i64>,
    /// Birth time of the newest.
    #[serde(serialize_with = "opt_time")]
    pub last_queued: Option<i64>,
    /// Most of them queued in one calendar minute.
    pub peak_per_minute: u64,
    /// Start of that minute.
    #[serde(serialize_with = "opt_time")]
    pub peak_minute: Option<i64>,
    /// Of them, those this server did not send (inbound SMTP without a login, or of no known
    /// origin): counted, never described.
    pub from_elsewhere: u64,
    /// The PHP scripts that sent them, where a selection stated the script, largest first.
    pub scripts: Vec<Counted>,
    /// The scripts beyond the listed ones.
    pub scripts_more: Beyond,
    /// The local uids that queued them (as `top` names them), where a selection stated the uid.
    pub uids: Vec<Counted>,
    /// The AUTH logins that sent them, where a selection stated the login.
    pub auth_users: Vec<Counted>,
    /// The internal clients (127.0.0.1, the LAN) that handed them to qmail-smtpd, where a
    /// selection stated the client: a site or program on this host or network.
    pub internal_clients: Vec<Counted>,
    /// Their From addresses, where a selection stated the From address.
    pub from: Vec<Counted>,
    /// Subject templates on [`SUBJECT_NAMED_AT`] of them or more, of those a narrow selection
    /// took (a sender, a login, a subject: not a uid or a script's name).
    pub subjects: Vec<Counted>,
    /// Of `scripts`, those whose yanked messages write as more than one From domain: many
    /// sites' file, not one to disable (for [`Judged::fixes`]).
    #[serde(skip)]
    pub shared_scripts: Vec<String>,
}

/// A batch's selection as the report shows it: sanitized, with the values of the terms under a
/// `not` withheld (`Query::withholding_negated`), since they name the real mail kept out of the
/// yank: in a query, in the TUI's filter (`tui: 750 marked messages of uid 48 matching ...`)
/// and in the query of the batch a TUI undo names (`tui: batch ID (QUERY)`; review58: both went
/// out whole). A selection that is no query (`--batch ID`, `--ids (3 ids)`) stays as recorded.
pub fn published(selection: &str) -> String {
    crate::sanitize::sanitize_str(&withheld(selection)).into_owned()
}

/// [`published`] before sanitizing.
fn withheld(selection: &str) -> String {
    let query = |q: &str| match crate::query::Query::parse(q) {
        Ok(parsed) => parsed
            .withholding_negated()
            .unwrap_or_else(|| q.to_string()),
        // The TUI's filter parsed when applied: text that does not is not shown.
        Err(_) => "(withheld)".to_string(),
    };
    let Some(marks) = selection.strip_prefix("tui: ") else {
        return match crate::query::Query::parse(selection) {
            Ok(q) => q
                .withholding_negated()
                .unwrap_or_else(|| selection.to_string()),
            Err(_) => selection.to_string(),
        };
    };
    let (marks, gone) = tui_gone(marks);
    // `batch ID (QUERY)` first: the batch's own selection may be the TUI's marks, `matching`.
    let shown = if let Some((batch, rest)) = marks
        .strip_prefix("batch ")
        .and_then(|b| b.split_once(" ("))
    {
        // Maybe with `, the journal's newest yank, ...` after it.
        match rest.rsplit_once(')') {
            Some((inner, after)) => format!("batch {batch} ({}){after}", withheld(inner)),
            None => format!("batch {batch} (withheld)"),
        }
    } else if let Some((marked, filter)) = marks.split_once(" matching ") {
        format!("{marked} matching {}", query(filter))
    } else {
        marks.to_string()
    };
    format!("tui: {shown}{gone}")
}

/// A TUI selection and the note `tui::ops` adds of how many of the marks were gone when it
/// planned (`, 3 of them gone from the queue since the scan`, or none): not of the filter.
fn tui_gone(marks: &str) -> (&str, &str) {
    match marks.rsplit_once(", ") {
        Some((before, gone)) if gone.ends_with(" of them gone from the queue since the scan") => {
            (before, &marks[before.len()..])
        }
        _ => (marks, ""),
    }
}

/// The cluster keys whose one value the batch selection `selection` stated for every message
/// it took, as its journal records it: a query (`script:x.php from:a@b`:
/// [`crate::query::Query::stated_keys`]), or the TUI's marks (`tui: 750 marked messages of uid
/// 48 matching script:x.php`: the key of the cluster marked, and the filter's).
pub fn stated_keys(selection: &str) -> Vec<ClusterKey> {
    let keys_of = |q: &str| {
        crate::query::Query::parse(q)
            .map(|q| q.stated_keys())
            .unwrap_or_default()
    };
    let Some(marks) = selection.strip_prefix("tui: ") else {
        return keys_of(selection);
    };
    let (marks, _) = tui_gone(marks);
    let (marked, filter) = match marks.split_once(" matching ") {
        Some((marked, filter)) => (marked, keys_of(filter)),
        None => (marks, Vec::new()),
    };
    let of = marked.split_once(" of ").map(|(_, of)| of);
    let key = of.and_then(|of| ClusterKey::from_name(of.split(' ').next()?));
    key.into_iter()
        .chain(filter)
        .fold(Vec::new(), |mut keys, k| {
            if !keys.contains(&k) {
                keys.push(k);
            }
            keys
        })
}

/// What each yank batch's selection stated, and which batch moved each message: a batch's
/// keys once, not a copy for each of a million yanked messages.
#[derive(Debug, Default)]
pub struct Stated {
    /// The keys each batch stated, by batch.
    keys: Vec<Vec<ClusterKey>>,
    /// The batch (an index of `keys`) that moved each message last.
    of: HashMap<MessageId, usize>,
}

impl Stated {
    /// Record that a batch with `selection` moved `ids` (batches oldest first: a message
    /// yanked, restored and yanked again is the newest's).
    pub fn add(&mut self, selection: &str, ids: impl IntoIterator<Item = MessageId>) {
        let n = self.keys.len();
        self.keys.push(stated_keys(selection));
        self.of.extend(ids.into_iter().map(|id| (id, n)));
    }

    /// The batch (in the order they were added) that moved `id` last, if one did.
    pub fn batch_of(&self, id: MessageId) -> Option<usize> {
        self.of.get(&id).copied()
    }

    /// The keys the selection that moved `id` stated (none for a message no batch moved).
    fn of(&self, id: MessageId) -> &[ClusterKey] {
        self.batch_of(id).map_or(&[], |n| &self.keys[n])
    }
}

/// Did this server send `r`: a local uid or script queued it, a client that logged in (a
/// login no header names too: review57b), or an internal client (127.0.0.1, the LAN) handed it
/// to qmail-smtpd: php-smtp's hacked site phishing through localhost was "came in from other
/// servers" (newuser57).
fn sent_here(r: &MessageRecord, strings: &Interner) -> bool {
    let o = &r.origin;
    match o.kind {
        OriginKind::Local => o.uid().is_some() || o.script.is_some(),
        OriginKind::SmtpAuth => true,
        OriginKind::Smtp => is_internal(r, strings),
        _ => false,
    }
}

/// Did an internal client (loopback, private, link-local) hand `r` to qmail-smtpd?
fn is_internal(r: &MessageRecord, strings: &Interner) -> bool {
    r.origin.kind == OriginKind::Smtp
        && (r.origin.ip)
            .is_some_and(|ip| strings.with(ip, crate::analysis::signals::is_internal_ip))
}

/// What [`describe`] reads.
pub struct Judged<'a> {
    /// The queue's records, then the yank area's.
    pub records: &'a [MessageRecord],
    /// How many of `records` are the queue's.
    pub in_queue: usize,
    /// Their strings.
    pub strings: &'a Interner,
    /// As `top` names logins and uids.
    pub ctx: &'a AnalysisContext,
}

impl Judged<'_> {
    /// Describe the yank area's messages `ids` (the operator's yanks no culprit accounts for),
    /// each named by the keys its batch's selection stated (`stated`: none for one no batch
    /// moved); `None` when there are none.
    pub fn describe(&self, ids: &[MessageId], stated: &Stated) -> Option<OperatorJudged> {
        let yank_area = self.in_queue.min(self.records.len())..self.records.len();
        let at: HashMap<MessageId, usize> = (yank_area.clone())
            .map(|i| (self.records[i].id, i))
            .collect();
        let members: Vec<usize> = ids.iter().filter_map(|id| at.get(id).copied()).collect();
        if members.is_empty() {
            return None;
        }
        let records = self.records;
        let t = timeline(records, &members, records.len());
        let here: Vec<usize> = (members.iter().copied())
            .filter(|&i| sent_here(&records[i], self.strings))
            .collect();
        let states = |i: usize, keys: &[ClusterKey]| {
            (stated.of(records[i].id).iter()).any(|k| keys.contains(k))
        };
        let named = |key: ClusterKey| -> Vec<usize> {
            here.iter()
                .copied()
                .filter(|&i| states(i, &[key]))
                .collect()
        };
        let top = |members: &[usize], key, limit| {
            top_values(records, members, key, self.strings, self.ctx, limit)
        };
        let internal: Vec<usize> = (named(ClusterKey::OriginIp).into_iter())
            .filter(|&i| is_internal(&records[i], self.strings))
            .collect();
        // A header PHP did not write names no sender: its script is not named (review57b).
        let scripted: Vec<usize> = (named(ClusterKey::Script).into_iter())
            .filter(|&i| !records[i].origin.script_forged)
            .collect();
        let (scripts, scripts_more) = top(&scripted, ClusterKey::Script, MAX_LISTED);
        let shared_scripts = self.many_domains(&scripted);
        let narrow: Vec<usize> = here
            .iter()
            .copied()
            .filter(|&i| states(i, &NARROW))
            .collect();
        let (mut subjects, _) = top(&narrow, ClusterKey::Subject, SUBJECTS);
        subjects.retain(|s| s.messages >= SUBJECT_NAMED_AT);
        for s in &mut subjects {
            s.value = shorten(&s.value, MAX_SUBJECT_CHARS);
        }
        Some(OperatorJudged {
            messages: t.spam_messages,
            recipients: (members.iter())
                .map(|&i| records[i].recipients.len() as u64)
                .sum(),
            first_queued: t.first_spam_queued,
            last_queued: t.last_spam_queued,
            peak_per_minute: t.peak_per_minute,
            peak_minute: t.peak_minute,
            from_elsewhere: (members.len() - here.len()) as u64,
            scripts,
            scripts_more,
            uids: top(&named(ClusterKey::Uid), ClusterKey::Uid, MAX_LISTED).0,
            auth_users: top(
                &named(ClusterKey::AuthUser),
                ClusterKey::AuthUser,
                MAX_LISTED,
            )
            .0,
            from: top(&named(ClusterKey::From), ClusterKey::From, MAX_LISTED).0,
            internal_clients: top(&internal, ClusterKey::OriginIp, MAX_LISTED).0,
            subjects,
            shared_scripts,
        })
    }

    /// What to fix for what `judged` names: each script (told apart when mail still queued
    /// has its name, as a mail library's), each login (if its owner did not send the mail: the
    /// ranking found nothing against it), and a uid only when neither names the sender.
    pub fn fixes(&self, judged: &OperatorJudged) -> Vec<CulpritFix> {
        let mut shared = self.queued_scripts(&judged.scripts);
        shared.extend(judged.shared_scripts.iter().cloned());
        let fix = |kind, c: &Counted, advice| CulpritFix {
            kind,
            value: c.value.clone(),
            advice,
            accounts: Vec::new(),
        };
        let mut out: Vec<CulpritFix> = (judged.scripts.iter())
            .map(|c| match shared.contains(c.value.as_str()) {
                true => fix(ClusterKey::Script, c, SHARED_SCRIPT_ADVICE),
                false => fix(ClusterKey::Script, c, SCRIPT_ADVICE),
            })
            .chain((judged.auth_users.iter()).map(|c| fix(ClusterKey::AuthUser, c, LOGIN_ADVICE)))
            .collect();
        if out.is_empty() {
            out.extend((judged.uids.iter()).map(|c| fix(ClusterKey::Uid, c, UID_ADVICE)));
        }
        let inside = |c| fix(ClusterKey::OriginIp, c, INTERNAL_ADVICE);
        out.extend(judged.internal_clients.iter().map(inside));
        out
    }

    /// The scripts (shown values) of `members` whose messages write as more than one From
    /// domain: `script:PHPMailer.php` took every shop's order mails (review57b).
    fn many_domains(&self, members: &[usize]) -> Vec<String> {
        let mut ex = KeyExtractor::new(ClusterKey::Script, self.strings).with_context(self.ctx);
        let mut domains: HashMap<KeyValue, HashSet<Vec<u8>>> = HashMap::new();
        for &i in members {
            let r = &self.records[i];
            let from = r.headers.from.and_then(|f| self.strings.with(f, domain));
            if let Some(v) = ex.value(r) {
                domains.entry(v).or_default().extend(from);
            }
        }
        (domains.into_iter())
            .filter(|(_, d)| d.len() > 1)
            .map(|(v, _)| value_text(ClusterKey::Script, &v, self.strings))
            .collect()
    }

    /// Which of `scripts` (their shown values) messages still queued were also sent through.
    fn queued_scripts(&self, scripts: &[Counted]) -> HashSet<String> {
        if scripts.is_empty() {
            return HashSet::new();
        }
        let wanted: HashSet<&str> = scripts.iter().map(|c| c.value.as_str()).collect();
        let mut ex = KeyExtractor::new(ClusterKey::Script, self.strings).with_context(self.ctx);
        let queue = &self.records[..self.in_queue.min(self.records.len())];
        // Each value's text once: a million queued messages have a few hundred scripts.
        let mut seen: HashSet<KeyValue> = HashSet::new();
        let mut out = HashSet::new();
        for v in queue.iter().filter_map(|r| ex.value(r)) {
            let text = match seen.insert(v) {
                true => value_text(ClusterKey::Script, &v, self.strings),
                false => continue,
            };
            if wanted.contains(text.as_str()) {
                out.insert(text);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
