//! Credential stuffing: one subject sent through many logins, each message of each login from
//! another network, to harvested recipients.
//!
//! A botnet with a list of stolen passwords sends a campaign through hundreds of accounts, a
//! few messages each, each message from another of its IPs, each account as itself. No login is
//! a culprit alone: three messages are "only 3 messages", and a login from three places is a
//! person's home, office and phone. What the accounts share is the campaign, so the `subject`
//! cluster carries the evidence.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use smallvec::SmallVec;

use super::points::{wide_fan_out, STUFFED};
use super::{frac, Scoring, CULPRIT_SCORE};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::{OriginKind, Sym};
use crate::size::thousands;

/// Roving logins (below) that must send the subject: a reply-all storm among colleagues is a
/// handful of accounts.
const LOGINS: usize = 20;
/// Networks the subject must come from: an office's people share one.
const NETS: usize = 20;
/// The share of its messages that must go to remote recipients: students replying to their
/// tutor at the university's own domain do not.
const REMOTE: f64 = 0.8;
/// Recipients a message on average: a person's reply goes to one or two.
const RECIPIENTS_EACH: usize = 3;
/// Networks a login must send the subject from to be roving, and they must be two thirds of
/// its messages or more. A bot uses each stolen account again from whichever of its IPs is
/// next (now and then one it used before: a pool of 60 IPs for 400 messages, review50b); a
/// person sends a greeting once or twice, or in batches from the office and from home
/// (review50: 25 firms' greetings, four Bcc batches each from two places, were a culprit when
/// two messages from two networks made a login roving).
const ROVING_NETS: usize = 3;
/// Networks a login's entry keeps: one from more is a login from many places, which
/// `login_points` judges; here it is roving only while its messages are few.
const NETS_KEPT: usize = 64;
/// Roving logins from which the spread is a campaign to a harvested list and not people's: 25
/// sales staff on carrier NAT, each sending an invitation in three Bcc batches of 15 from three
/// networks, were a culprit at 60.1 (review50b). Stuffing runs are hundreds of logins.
const HARVEST_LOGINS: usize = 50;
/// The share of the subject's messages the roving logins must have sent: the cluster is taken
/// whole, and real mail sharing the template (a shop's `Invoice 2026123` beside a run's
/// `Invoice 4711`) must not go with it (review50: 80 real invoices taken with a run's 120).
const PURE: f64 = 0.95;
/// Distinct first recipients against messages: a harvested list gives each message its own,
/// a reply-all storm or a circular the same few again and again.
const FIRST_RECIPIENTS: f64 = 0.5;
/// Logins a reason names.
const LOGINS_SHOWN: usize = 3;

/// One login's messages of the subject.
#[derive(Default)]
struct Login {
    messages: usize,
    /// The distinct networks they came from (at most [`NETS_KEPT`]).
    nets: SmallVec<[Sym; 4]>,
}

impl Login {
    /// Sent the subject from [`ROVING_NETS`] networks or more, as many as two thirds of its
    /// messages.
    fn roving(&self) -> bool {
        self.nets.len() >= ROVING_NETS && 3 * self.nets.len() >= 2 * self.messages
    }
}

/// What the members of a subject cluster say of the logins that sent it.
struct Spread {
    logins: HashMap<Sym, Login>,
    /// Distinct first recipients.
    first_recipients: usize,
}

impl Spread {
    /// One pass over `c`'s members.
    fn of(c: &Cluster, corpus: &Corpus<'_>) -> Spread {
        let mut logins: HashMap<Sym, Login> = HashMap::default();
        let mut first: HashSet<Sym> = HashSet::default();
        for &i in &c.members {
            let Some(r) = corpus.records.get(i as usize) else {
                continue;
            };
            first.extend(r.recipients.first());
            let o = &r.origin;
            let Some(user) = o.auth_user.filter(|_| o.kind == OriginKind::SmtpAuth) else {
                continue;
            };
            let login = logins.entry(user).or_default();
            login.messages += 1;
            if let Some(KeyValue::Text(net)) = corpus.facts.net(i as usize) {
                if login.nets.len() < NETS_KEPT && !login.nets.contains(&net) {
                    login.nets.push(net);
                }
            }
        }
        Spread {
            logins,
            first_recipients: first.len(),
        }
    }

    /// Roving logins, and the messages they sent.
    fn roving(&self) -> (usize, usize) {
        let roving = self.logins.values().filter(|l| l.roving());
        roving.fold((0, 0), |(n, m), l| (n + 1, m + l.messages))
    }

    /// The roving logins with the most messages, named with their count, and how many more.
    fn shown(&self, corpus: &Corpus<'_>) -> String {
        let mut all: Vec<(String, usize)> = (self.logins.iter())
            .filter(|(_, l)| l.roving())
            .map(|(&u, l)| (corpus.strings.text(u), l.messages))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut shown: Vec<String> = (all.iter().take(LOGINS_SHOWN))
            .map(|(u, n)| format!("{u} {}", thousands(*n)))
            .collect();
        if all.len() > LOGINS_SHOWN {
            shown.push(format!("{} more", thousands(all.len() - LOGINS_SHOWN)));
        }
        shown.join(", ")
    }
}

/// One subject sent by 20 roving logins or more (each from three networks or more, nearly one a
/// message), whose messages are 95% of the subject's, from 20 networks or more, to several
/// remote recipients a message: the accounts' spread (25, a suspect with the weights). Through
/// 50 roving logins or more, to ten remote recipients or more on a quarter of the messages,
/// most messages to another first recipient: a harvested list (15, a culprit). Subject clusters only: the subject is
/// what the stolen accounts share. A subject that is no text (none at all) says nothing of a
/// campaign.
pub(super) fn stuffing_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let Some(KeyValue::Text(subject)) = c.value.filter(|_| c.key == ClusterKey::Subject) else {
        return;
    };
    if s.auth_users.len() < LOGINS
        || s.nets.len() < NETS
        || frac(s.auth_msgs, c.messages) < PURE
        || frac(s.remote_msgs, c.messages) < REMOTE
        || c.recipients < RECIPIENTS_EACH * c.messages
        || corpus.strings.with(subject, |t| t.trim_ascii().is_empty())
    {
        return;
    }
    let spread = Spread::of(c, corpus);
    let (roving, roving_messages) = spread.roving();
    if roving < LOGINS || frac(roving_messages, c.messages) < PURE {
        return;
    }
    let (nets, logins) = (s.nets.len(), spread.logins.len());
    // All its logins counted, the roving ones among them: the report lists every login of the
    // cluster, and "999 logins" here beside its "1,001 accounts" lost two (newuser50b).
    let words = || {
        format!(
            "one subject sent through {} logins from {} networks, {} of them each from {} \
             networks or more, nearly one a message ({})",
            thousands(logins),
            thousands(nets),
            thousands(roving),
            ROVING_NETS,
            spread.shown(corpus)
        )
    };
    sc.add(25.0, words, Some(STUFFED));
    // A campaign to a harvested list, and no people's: people who each send the same greeting
    // from the office, from home and from their phone, to a few friends each, are the spread
    // above; they do not write to ten or more on a quarter of their messages.
    if !wide_fan_out(c, s) || roving < HARVEST_LOGINS {
        return;
    }
    let first = spread.first_recipients;
    let words = || {
        format!(
            "{} different first recipients in {} messages, up to {} remote recipients a \
             message: a harvested list",
            thousands(first),
            thousands(c.messages),
            thousands(s.remote_max as usize)
        )
    };
    if frac(first, c.messages) >= FIRST_RECIPIENTS {
        sc.add(15.0, words, Some(STUFFED));
    }
}

/// Did nothing but the logins' spread fire (no harvested list, no other conclusion)? Then it is
/// held below 40 whatever the weights add: once the spam is yanked, forty people's greeting
/// holds a third of what remains, and the share alone made it a culprit at 40.6.
pub(super) fn spread_alone(sc: &Scoring) -> bool {
    matches!(sc.whys.as_slice(), [(w, points)] if *w == STUFFED && *points < CULPRIT_SCORE)
}

/// The reason of a held spread: what it lacks of a harvested list, as it is.
pub(super) fn held(c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> String {
    let spread = Spread::of(c, corpus);
    let (roving, _) = spread.roving();
    let lacks = if roving < HARVEST_LOGINS {
        format!(
            "{} roving logins are fewer than a campaign's {HARVEST_LOGINS}",
            thousands(roving)
        )
    } else if !wide_fan_out(c, s) {
        "it writes to ten remote recipients or more on fewer than a quarter of its messages"
            .to_string()
    } else {
        let first = spread.first_recipients;
        format!(
            "its {} messages go to {} different first recipients, the same ones again and again",
            thousands(c.messages),
            thousands(first)
        )
    };
    format!(
        "nothing but one subject through many logins, each from several networks, speaks \
         against it, and {lacks}: held below 40 (people sending one greeting from the office, \
         home and their phone, colleagues replying to all, send like this); look before \
         taking it"
    )
}
