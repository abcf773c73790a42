//! Credential stuffing: one subject sent through many logins, each used from several networks,
//! to harvested recipients.
//!
//! A botnet with a list of stolen passwords sends a campaign through hundreds of accounts, a
//! few messages each, each message from another of its IPs, each account as itself. No login is
//! a culprit alone: three messages are "only 3 messages", and a login from three places is a
//! person's home, office and phone. What the accounts share is the campaign, so the `subject`
//! cluster carries the evidence.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::points::{wide_fan_out, STUFFED};
use super::{frac, Scoring, CULPRIT_SCORE};
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::signals::{Corpus, Signals};
use crate::analysis::types::Cluster;
use crate::queue::{OriginKind, Sym};
use crate::size::thousands;

/// Logins that must send the subject, and of them the roving ones (below): a reply-all storm
/// among colleagues is a handful of accounts.
const LOGINS: usize = 20;
/// Networks the subject must come from: an office's people share one.
const NETS: usize = 20;
/// The share of the subject's messages that must be authenticated (a campaign relayed
/// without a login is `relaying`'s).
const AUTHENTICATED: f64 = 0.8;
/// The share of its messages that must go to remote recipients: students replying to their
/// tutor at the university's own domain do not.
const REMOTE: f64 = 0.8;
/// Recipients a message on average: a person's reply goes to one or two.
const RECIPIENTS_EACH: usize = 3;
/// The share of the logins that must be roving: each sending the subject more than once, from
/// more than one network. A person sends a greeting once, from home; a bot uses each stolen
/// account again from whichever of its IPs is next.
const ROVING: f64 = 0.5;
/// Distinct first recipients against messages: a harvested list gives each message its own,
/// a reply-all storm or a circular the same few again and again.
const FIRST_RECIPIENTS: f64 = 0.5;
/// Logins a reason names.
const LOGINS_SHOWN: usize = 3;

/// What the members of a subject cluster say of the logins that sent it.
struct Spread {
    /// Messages each login sent, and whether it sent them from two networks or more.
    logins: HashMap<Sym, (usize, bool)>,
    /// Distinct first recipients.
    first_recipients: usize,
}

impl Spread {
    /// One pass over `c`'s members.
    fn of(c: &Cluster, corpus: &Corpus<'_>) -> Spread {
        // A login's first network, and whether another came after it.
        let mut logins: HashMap<Sym, (usize, Option<KeyValue>, bool)> = HashMap::default();
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
            let net = corpus.facts.net(i as usize);
            let e = logins.entry(user).or_insert((0, net, false));
            e.0 += 1;
            e.2 |= net.is_some() && net != e.1;
        }
        Spread {
            logins: logins
                .into_iter()
                .map(|(u, (n, _, roving))| (u, (n, roving)))
                .collect(),
            first_recipients: first.len(),
        }
    }

    /// Logins that sent the subject twice or more from two networks or more.
    fn roving(&self) -> usize {
        self.logins.values().filter(|&&(n, r)| n >= 2 && r).count()
    }

    /// The logins with the most messages, named with their count, and how many more there are.
    fn shown(&self, corpus: &Corpus<'_>) -> String {
        let mut all: Vec<(String, usize)> = (self.logins.iter())
            .map(|(&u, &(n, _))| (corpus.strings.text(u), n))
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

/// One subject sent by 20 logins or more from 20 networks or more, half of the logins each
/// sending it again from another network, to several remote recipients a message: the
/// accounts' spread (25, a suspect with the weights). To ten remote recipients or more on a
/// quarter of the messages, most messages to another first recipient: a harvested list (15,
/// a culprit). Subject clusters only: the subject is what the stolen accounts share. A subject
/// that is no text (none at all) says nothing of a campaign.
pub(super) fn stuffing_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let Some(KeyValue::Text(subject)) = c.value.filter(|_| c.key == ClusterKey::Subject) else {
        return;
    };
    if s.auth_users.len() < LOGINS
        || s.nets.len() < NETS
        || frac(s.auth_msgs, c.messages) < AUTHENTICATED
        || frac(s.remote_msgs, c.messages) < REMOTE
        || c.recipients < RECIPIENTS_EACH * c.messages
        || corpus.strings.with(subject, |t| t.trim_ascii().is_empty())
    {
        return;
    }
    let spread = Spread::of(c, corpus);
    let (logins, roving) = (spread.logins.len(), spread.roving());
    if roving < LOGINS || frac(roving, logins) < ROVING {
        return;
    }
    let nets = s.nets.len();
    let words = || {
        format!(
            "one subject sent through {} logins from {} networks, {} of them each again from \
             another network ({})",
            thousands(logins),
            thousands(nets),
            thousands(roving),
            spread.shown(corpus)
        )
    };
    sc.add(25.0, words, Some(STUFFED));
    // A campaign to a harvested list, and no people's: twenty people who each send the same
    // greeting from their phone and from home, to a few friends each, are the spread above;
    // they do not write to ten or more on a quarter of their messages.
    if !wide_fan_out(c, s) {
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

/// The reason of a held spread.
pub(super) const HELD: &str = "nothing but one subject through many logins, each from several \
     networks, speaks against it, and it writes to few or to the same addresses: held below 40 \
     (people sending one greeting from phone and home, colleagues replying to all, send like \
     this); look before taking it";
