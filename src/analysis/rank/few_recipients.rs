//! The few-recipients hold: a cluster over 40 whose every message goes to the same few
//! addresses is monitoring's alerts or someone's correspondence, held a suspect.

use super::points::{GUESSED, LOCAL_USER, RELAY, WEB_APPLICATION, WEB_SCRIPT};
use super::{frac, total, Scoring, CULPRIT_SCORE};
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::Sym;

/// At most this many recipients a message, distinct first recipients over the cluster, and
/// distinct sets of recipient domains.
pub(super) const FEW: usize = 5;

/// Under this many messages, writing to a few addresses is what any small cluster does.
const MIN_MESSAGES: usize = 20;

/// How many distinct first recipients `c`'s messages have, when `c` would be a culprit and every
/// message goes to at most [`FEW`] recipients, the same few first ones, at the same few sets of
/// domains. A Zabbix server logging in to send its alerts as `zabbix@zabbix01.corp.lan`
/// ("senders not its own") and internal hosts relaying Nagios and cron mail through tcp.smtp
/// ("relaying without a login") were culprits by their volume in an alert storm (probe46's
/// `hosting-bulk`: 2,400 of the 3,720 real messages it took at 6,000); a flood to harvested
/// addresses never writes to the same few again and again. Both tests are needed: a spammer
/// putting one fixed address first on every message sends the rest to harvested domains,
/// which the domain sets show. Only when nothing but where it sends from and as whom makes it
/// a culprit ([`only_where_and_as_whom`]). A mail bomb at one victim through a guessed account
/// is held too: listed as a suspect, not taken.
pub(super) fn few_recipients(
    sc: &Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) -> Option<usize> {
    let cheap = c.messages >= MIN_MESSAGES
        && s.remote_max as usize <= FEW
        && c.recipients <= FEW * c.messages
        && only_where_and_as_whom(sc, s)
        && total(&sc.points, c.messages, None) >= CULPRIT_SCORE;
    if !cheap {
        return None;
    }
    // A flood's cluster fails at its sixth message: the members are read only that far.
    let mut firsts: Vec<Sym> = Vec::with_capacity(FEW + 1);
    let mut domain_sets: Vec<Option<Sym>> = Vec::with_capacity(FEW + 1);
    for r in c
        .members
        .iter()
        .filter_map(|&i| corpus.records.get(i as usize))
    {
        // Recipients not known (the TUI's header pass reads no envelope) show no "same few".
        let first = r.recipients.first()?;
        if !firsts.contains(&first) {
            firsts.push(first);
        }
        let set = r.recipients.domain_set();
        if !domain_sets.contains(&set) {
            domain_sets.push(set);
        }
        if firsts.len() > FEW || domain_sets.len() > FEW {
            return None;
        }
    }
    Some(firsts.len())
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
