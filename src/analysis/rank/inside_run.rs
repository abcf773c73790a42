//! One subject template an internal client hands qmail-smtpd without a login, to many
//! different remote addresses, from senders that send little else through it: a hacked site's
//! mailer in SMTP mode, whatever its From says. Looked at, never taken on that alone.
//!
//! The forged-inside suspect (`inside.rs`) finds php-smtp's phishing by the bank in From's
//! address. variants59 built the same phishing with the bank only in From's display name,
//! from made-up senders rotating over the hosted domains, and with no From at all: 127.0.0.1
//! stayed "looks legitimate: keep" at 0.0 and the template's cluster too (docs/analysis.md,
//! "The hacked site's phishing in other shapes"). What the phishing does in every shape, and
//! none of the real mail on 127.0.0.1 does (variants59 checked 331,600 real messages; session
//! 60 added a contact form, a shop and a webmail there): one template to harvested addresses,
//! nearly every address a new one, a quarter or more of the messages to several. A form's
//! confirmations go to one visitor each, a shop's to its customer and the same owner's copy, a
//! list's posts come from its bounce addresses, a webmail's users write many subjects to their
//! own few correspondents. The record keeps the first recipient only, so the addresses are read
//! back from the queue (as `few_recipients.rs` does); without a queue to read, nothing is
//! judged. It makes a suspect held below a culprit, which `plan` names and does not take.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::points::TEMPLATE_INSIDE;
use super::{frac, percent, Scoring};
use crate::analysis::key::ClusterKey;
use crate::analysis::signals::{is_list_bounce, Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::size::thousands;

/// How the hold's reason begins: `plan` names such a suspect (`analysis::plan::held`).
pub const HELD_TEMPLATE: &str =
    "one subject template to many addresses through an internal client is what would make it \
     a culprit";

/// Under this many messages a template is anyone's few confirmations.
const MIN_MESSAGES: usize = 50;
/// Fewer lists read back (delivered since the scan) judge nothing.
const MIN_READ: usize = 20;

/// What the cluster's messages showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InsideRun {
    /// Handed over by an internal client to remote addresses, from no list's bounce address.
    internal: usize,
    /// Of them, to several recipients.
    several: usize,
    /// Their distinct envelope senders.
    senders: usize,
    /// Every message those senders had an internal client hand over to remote addresses.
    theirs: usize,
    /// Lists read back, their addresses and the distinct ones among them, the addresses in
    /// half of the lists or more set aside ([`harvested_part`]).
    read: usize,
    addresses: usize,
    distinct: usize,
    fixed: usize,
}

/// Does subject cluster `c` look like a site's mailer writing one template to harvested
/// addresses through an internal client? Nine in ten of its messages handed over so, a quarter
/// of them to several recipients, the template half or more of what its senders send that way,
/// and of the lists read back, once the addresses in half of them or more are set aside
/// ([`harvested_part`]), nine in ten of the rest distinct and a quarter still to several. Not
/// when the forged-inside signal already names most of them (said once, by the sender's
/// cluster).
pub(super) fn inside_run(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> Option<InsideRun> {
    let n = c.messages;
    let could_be = c.key == ClusterKey::Subject
        && c.value.is_some()
        && n >= MIN_MESSAGES
        && s.internal_own * 10 >= n * 9
        && s.remote_msgs * 10 >= n * 9
        && s.internal_forged * 2 < n;
    if !could_be {
        return None;
    }
    // Nothing to read the lists back from: nothing judged, nothing counted first.
    corpus.ctx.recipients.as_ref()?;
    let (mut internal, mut several) = (0, 0);
    let mut senders = HashSet::default();
    let mut handed = Vec::with_capacity(n);
    for &i in &c.members {
        let Some(r) = corpus.records.get(i as usize) else {
            continue;
        };
        let Some(sender) = r
            .sender
            .filter(|_| corpus.facts.is_internal_to_remote(i as usize))
        else {
            continue;
        };
        if corpus.strings.with(sender, is_list_bounce) {
            continue;
        }
        internal += 1;
        several += usize::from(r.recipients.len() >= 2);
        senders.insert(sender);
        handed.push(i);
    }
    // A quarter to several before anything is read back (the rest read back must be too).
    if internal * 10 < n * 9 || several * 4 < internal {
        return None;
    }
    let theirs: usize = (senders.iter())
        .map(|&s| corpus.facts.internal_to_remote_from(corpus.records, s) as usize)
        .sum();
    if internal * 2 < theirs {
        return None;
    }
    let mut lists = super::few_recipients::read_back(&handed, corpus)?;
    lists.iter_mut().for_each(Vec::dedup);
    let read = lists.len();
    let rest = harvested_part(&lists);
    // The rest must go to several a message too: a shop's confirmations are its customer and
    // the owner's copy, one each once the copy is set aside.
    let several_rest = rest.lists.iter().filter(|l| l.len() >= 2).count();
    let mut all: Vec<&[u8]> = rest.lists.iter().flatten().copied().collect();
    let addresses = all.len();
    all.sort_unstable();
    all.dedup();
    let distinct = all.len();
    let holds = read >= MIN_READ && distinct * 10 >= addresses * 9 && several_rest * 4 >= read;
    holds.then_some(InsideRun {
        internal,
        several,
        senders: senders.len(),
        theirs,
        read,
        addresses,
        distinct,
        fixed: rest.fixed,
    })
}

/// The lists read back without the addresses in half of them or more: a kit's delivery-check
/// seed, a shop's copy to its owner. With one fixed seed address beside 1-4 harvested ones the
/// addresses were 72% distinct and the phishing passed (review60).
struct Rest<'a> {
    lists: Vec<Vec<&'a [u8]>>,
    /// The addresses set aside.
    fixed: usize,
}

fn harvested_part(lists: &[Vec<Vec<u8>>]) -> Rest<'_> {
    let mut counts: HashMap<&[u8], usize> = HashMap::default();
    for a in lists.iter().flatten() {
        *counts.entry(a.as_slice()).or_default() += 1;
    }
    let in_most = |a: &[u8]| counts.get(a).is_some_and(|&n| n * 2 >= lists.len());
    Rest {
        lists: (lists.iter())
            .map(|l| {
                l.iter()
                    .map(Vec::as_slice)
                    .filter(|a| !in_most(a))
                    .collect()
            })
            .collect(),
        fixed: counts.keys().filter(|a| in_most(a)).count(),
    }
}

/// Points for a suspect when `c` is such a run, with what it saw in words.
pub(super) fn inside_run_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let Some(run) = inside_run(c, s, corpus) else {
        return;
    };
    let f = frac(run.internal, c.messages);
    let words = || {
        let senders = match run.senders {
            1 => "its sender".to_string(),
            k => format!("its {} senders", thousands(k as u64)),
        };
        let fixed = match run.fixed {
            0 => String::new(),
            1 => " (1 address in most of them set aside)".to_string(),
            k => format!(" ({k} addresses in most of them set aside)"),
        };
        format!(
            "{} handed to qmail-smtpd by an internal client without a login to remote addresses, \
             {} of them to several; {} of the {} addresses of {} messages read back from the \
             queue distinct{fixed}; {} of the {} messages {senders} handed over so",
            percent(f),
            percent(frac(run.several, run.internal)),
            thousands(run.distinct as u64),
            thousands(run.addresses as u64),
            thousands(run.read as u64),
            thousands(run.internal as u64),
            thousands(run.theirs as u64),
        )
    };
    sc.add(25.0 * f, words, Some(TEMPLATE_INSIDE));
}

/// The held suspect's reason.
pub(super) fn held_reason() -> String {
    format!(
        "{HELD_TEMPLATE}: held below {:.0} (a site's newsletter in Bcc batches, or one person \
         sending the same offer to new people from a webmail, looks like this too; a form's \
         confirmations to one address each, a shop's with the owner's copy and a webmail's \
         users writing many subjects do not); look at a few of its messages before taking it \
         (qtriage list 'QUERY' with the cluster's query, then qtriage show ID)",
        super::CULPRIT_SCORE
    )
}
