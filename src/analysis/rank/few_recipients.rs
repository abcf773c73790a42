//! The few-recipients hold: a cluster over 40 whose mail goes to the same few addresses again
//! and again is monitoring's alerts or someone's correspondence, held a suspect.

use rustc_hash::FxHashMap as HashMap;

use super::points::{GUESSED, LOCAL_USER, RELAY, WEB_APPLICATION, WEB_SCRIPT};
use super::{frac, score, total, Held, Scoring, Verdict, CULPRIT_SCORE};
use crate::analysis::grouping::cluster_of_members;
use crate::analysis::signals::{measure_score, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::{MessageRecord, Sym};
use crate::size::thousands;

/// At most this many recipients a message, distinct first recipients, and distinct sets of
/// recipient domains.
pub(super) const FEW: usize = 5;

/// Under this many messages, writing to a few addresses is what any small cluster does.
const MIN_MESSAGES: usize = 20;

/// Messages of the same few whose whole recipient lists are read back from the queue.
const READ_BACK: usize = 64;

/// What a held cluster's reason says: how many of its messages go to the same few, and how many
/// distinct recipient lists the ones read back had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SameFew {
    pub(super) messages: usize,
    pub(super) lists: usize,
    /// Of the messages read back, those with one of the `lists`.
    pub(super) listed: usize,
    pub(super) read: usize,
    /// The rest of the cluster, judged alone ([`judged_alone`]).
    pub(super) rest: Option<Rest>,
}

/// The rest of a held cluster as it was judged alone: what its reason shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rest {
    messages: usize,
    recipients: usize,
    /// Its score alone, in tenths (a score has one decimal).
    tenths: u32,
}

/// Is `c` a would-be culprit half or more of whose messages go to the same few, the rest of
/// which, judged alone, passes ([`judged_alone`])? Each of those messages goes to at most [`FEW`]
/// recipients, its first one of the [`FEW`] commonest, its domains one of the [`FEW`] commonest
/// sets. A Zabbix server logging in to send its alerts as `zabbix@zabbix01.corp.lan` ("senders
/// not its own") and internal hosts relaying Nagios and cron mail through tcp.smtp ("relaying
/// without a login") were culprits by the volume of an alert storm (probe46's `hosting-bulk`:
/// 2,400 of the 3,720 real messages it took at 6,000); and once the spam was yanked, the
/// Zabbix server's /24, its alerts and two people's mail, grew to a culprit by its share
/// (newuser47). A flood to harvested addresses does not write to the same few again and again.
/// The first address and the domain sets a record keeps only find the candidates: up to
/// [`READ_BACK`] of them are read back from the queue and must show the same few recipient
/// lists ([`same_lists`]), or a spammer writing to one fixed address first and Bcc to
/// harvested ones at one provider would pass. Only when nothing but where it sends from and as
/// whom makes it a culprit ([`only_where_and_as_whom`]). A mail bomb at one victim through a
/// guessed account is held too: listed as a suspect, not taken.
pub(super) fn few_recipients(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<SameFew> {
    let could_be = c.messages >= MIN_MESSAGES
        && only_where_and_as_whom(sc, s)
        && total(&sc.points, c.messages, None) >= CULPRIT_SCORE;
    if !could_be {
        return None;
    }
    let records = || (c.members.iter()).filter_map(|&i| Some((i, corpus.records.get(i as usize)?)));
    let firsts = commonest(c.messages, records().map(|(_, r)| to_few(r)))?;
    let sets = commonest(
        c.messages,
        records().map(|(_, r)| to_few(r).filter(|f| firsts.contains(f)).and(set_of(r))),
    )?;
    let (mut same, mut rest) = (Vec::new(), Vec::new());
    for (i, r) in records() {
        let first = to_few(r).filter(|f| firsts.contains(f));
        match first.is_some() && set_of(r).is_some_and(|d| sets.contains(&d)) {
            true => same.push(i),
            false => rest.push(i),
        }
    }
    if same.len() < MIN_MESSAGES || same.len() * 2 < c.messages {
        return None;
    }
    let rest = match rest.is_empty() {
        true => None,
        false => Some(judged_alone(c, rest, corpus)?),
    };
    same_lists(&same, corpus).map(|same| SameFew { rest, ..same })
}

/// The rest of `c` beside its `same` few, judged alone under the same key, when it passes:
/// looks legitimate, or is held as the same few itself (alerts to ten contacts, five of them
/// the commonest), and carries no more recipients than the same few. Two people's mail beside
/// the alerts passes. "No culprit" was not enough (review47b): alone, the rest loses the whole
/// cluster's share and rate, and a guessed login's 50 messages Bcc to 500 harvested addresses
/// each scored 36 beside its 200 to one seed address, an infected PC's relayed spam 37.7 beside
/// the office's alerts; both went untaken.
fn judged_alone(c: &Cluster, rest: Vec<u32>, corpus: &Corpus<'_>) -> Option<Rest> {
    let part = cluster_of_members(corpus.records, corpus.ctx, (c.key, c.value), rest);
    let scored = score(&part, &measure_score(&part, corpus), corpus, false);
    let score = total(&scored.points, part.messages, scored.held);
    let held_so = matches!(scored.held, Some(Held::FewRecipients(_)));
    let same_recipients = c.recipients.saturating_sub(part.recipients);
    let passes = (Verdict::of(score) == Verdict::Legitimate || held_so)
        && part.recipients <= same_recipients;
    passes.then_some(Rest {
        messages: part.messages,
        recipients: part.recipients,
        tenths: (score * 10.0).round() as u32,
    })
}

/// Up to [`READ_BACK`] of `same`, spread over it, read back from the queue: how many of them
/// have one of the [`FEW`] commonest recipient lists (each seen twice or more), and how many
/// lists that is, when it is nine in ten or more. The first address and the domains are all a
/// record keeps: a spammer writing to one fixed address first and Bcc to harvested ones at one
/// provider has them the same on every message (review47: 800 such messages left untaken),
/// and its lists read back are all different. A person's mail to someone the alerts also go to
/// first has its own lists: one in ten is let pass. A list gone since the scan (delivered from a
/// live queue) is skipped; under [`MIN_MESSAGES`] read, or none (no queue to read from): no
/// hold.
fn same_lists(same: &[u32], corpus: &Corpus<'_>) -> Option<SameFew> {
    let mut lists: Vec<(Vec<Vec<u8>>, usize)> = Vec::new();
    let mut read = 0;
    for list in read_back(same, corpus)? {
        read += 1;
        match lists.iter_mut().find(|(l, _)| *l == list) {
            Some((_, n)) => *n += 1,
            None => lists.push((list, 1)),
        }
    }
    lists.sort_by_key(|l| std::cmp::Reverse(l.1));
    let commonest = (lists.iter().take(FEW)).take_while(|(_, n)| *n >= 2);
    let (lists, listed) = commonest.fold((0, 0), |(k, m), (_, n)| (k + 1, m + n));
    (read >= MIN_MESSAGES && listed * 10 >= read * 9).then_some(SameFew {
        messages: same.len(),
        lists,
        listed,
        read,
        rest: None,
    })
}

/// The recipient lists of up to [`READ_BACK`] of `members`, spread over them, read back from
/// the queue, each lowercased and sorted; `None` without a queue to read from. A list gone
/// since the scan (delivered from a live queue) is skipped: the others judge.
pub(super) fn read_back(members: &[u32], corpus: &Corpus<'_>) -> Option<Vec<Vec<Vec<u8>>>> {
    let source = corpus.ctx.recipients.as_deref()?;
    let step = members.len().div_ceil(READ_BACK).max(1);
    let lists = (members.iter().step_by(step))
        .filter_map(|&i| source.read(corpus.records.get(i as usize)?))
        .map(|list| {
            let mut list: Vec<Vec<u8>> = (list.iter())
                .map(|a| a.address.to_ascii_lowercase())
                .collect();
            list.sort_unstable();
            list
        });
    Some(lists.collect())
}

/// The reason of a cluster held by [`few_recipients`].
pub(super) fn reason(c: &Cluster, same: SameFew) -> String {
    let which = match same.rest {
        None => format!("all its {}", thousands(c.messages)),
        Some(_) => format!(
            "{} of its {}",
            thousands(same.messages),
            thousands(c.messages)
        ),
    };
    let rest = same.rest.map_or_else(String::new, |r| {
        format!(
            "; the rest, {} message{} to {} recipient{}, scores {}.{} alone",
            thousands(r.messages),
            if r.messages == 1 { "" } else { "s" },
            thousands(r.recipients),
            if r.recipients == 1 { "" } else { "s" },
            r.tenths / 10,
            r.tenths % 10
        )
    });
    let lists = match same.lists {
        1 => "one list".to_string(),
        n => format!("{n} lists"),
    };
    let of = match same.listed == same.read {
        true => format!("the {}", same.read),
        false => format!("{} of the {}", same.listed, same.read),
    };
    format!(
        "{which} messages go to the same few, at most {FEW} recipients a message ({lists} in \
         {of} read back from the queue){rest}: held below {CULPRIT_SCORE:.0} (monitoring \
         alerts, a form's notifications, someone's correspondence write to the same few again \
         and again; a flood to harvested addresses does not); look before taking it"
    )
}

/// The first recipient of `r` when its recipients are known (the TUI's header pass reads no
/// envelope: nothing there says "the same few") and at most [`FEW`].
fn to_few(r: &MessageRecord) -> Option<Sym> {
    (r.recipients.len() <= FEW)
        .then(|| r.recipients.first())
        .flatten()
}

fn set_of(r: &MessageRecord) -> Option<Sym> {
    r.recipients.domain_set()
}

/// The [`FEW`] commonest values each in a twentieth of `messages` or more, and twice or more
/// (once is not "again and again"; a person writing now and then to someone the alerts go to
/// is not one of the same few, the alerts' on-call address is), when they could cover half of
/// `messages`. A message without a value, and each distinct value beyond the commonest few, is
/// a message outside them: past half the messages, a flood's cluster stops counting.
fn commonest(messages: usize, values: impl Iterator<Item = Option<Sym>>) -> Option<Vec<Sym>> {
    let mut counts: HashMap<Sym, usize> = HashMap::default();
    let mut without = 0;
    for v in values {
        match v {
            Some(v) => *counts.entry(v).or_default() += 1,
            None => without += 1,
        }
        if 2 * (without + counts.len().saturating_sub(FEW)) > messages {
            return None;
        }
    }
    // A flood's values, seen once each, are dropped before sorting.
    let least = (messages / 20).max(2);
    let mut counts: Vec<(Sym, usize)> = counts.into_iter().filter(|&(_, n)| n >= least).collect();
    counts.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Some(counts.into_iter().take(FEW).map(|(v, _)| v).collect())
}

/// Is every conclusion of `sc` one an alerting host or an application earns by where it sends
/// from and as whom: a login's senders not its own with no other sign of a guessed password,
/// relaying without a login, a local uid's or a web script's mail to remote domains outside an
/// upload directory? Whoever receives it, the rest is abuse: a login used from many places or
/// as many senders, a campaign, a log's guessed password, a script in an upload directory,
/// forged names, and backscatter (the bounces of a joe-job all go to its one forged sender).
fn only_where_and_as_whom(sc: &Scoring, s: &Signals) -> bool {
    let foreign = 25.0 * frac(s.foreign, s.foreign_known);
    sc.whys.iter().all(|&(why, points)| match why {
        GUESSED => (points - foreign).abs() < 1e-9,
        RELAY | LOCAL_USER => true,
        WEB_SCRIPT | WEB_APPLICATION => s.upload_script_msgs == 0,
        _ => false,
    })
}
