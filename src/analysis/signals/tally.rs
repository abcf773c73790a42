//! A cluster's signals measured in one pass over its members: the counts, sets and runs the
//! ranking's points are computed from.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::distinct::Distinct;
use super::flags::{Bit, FlagCounts};
use super::{Corpus, Signals, MANY_SENDERS};
use crate::analysis::key::KeyValue;
use crate::analysis::types::Cluster;
use crate::queue::Sym;

/// Members measured in one piece: a larger cluster (a flood's are half the queue, once per
/// key) is measured in chunks of this many in parallel, or it alone kept one core busy while
/// the other had nothing left to score.
const CHUNK: usize = 16 * 1024;

/// The signals of `c`, every distinct sender counted: for the reasons, which name their number.
pub(crate) fn measure(c: &Cluster, corpus: &Corpus<'_>) -> Signals {
    measure_with(c, corpus, true)
}

/// The signals of `c` for its score alone: distinct senders counted up to [`MANY_SENDERS`],
/// the most any score compares them with. A flood's cluster has a new forged sender a message:
/// keeping and sorting each of them for a number no score reads was 3.5 % of `top`'s
/// instructions at 100,000 messages (`Distinct`, about 70M of 2,100M, for the 14,000 clusters
/// `top` scores and the ten it shows).
pub(crate) fn measure_score(c: &Cluster, corpus: &Corpus<'_>) -> Signals {
    measure_with(c, corpus, false)
}

fn measure_with(c: &Cluster, corpus: &Corpus<'_>, all_senders: bool) -> Signals {
    let tally = if c.members.len() > CHUNK {
        c.members
            .par_chunks(CHUNK)
            .map(|m| Tally::of(m, corpus, all_senders))
            .reduce(|| Tally::new(all_senders), Tally::merge)
    } else {
        Tally::of(&c.members, corpus, all_senders)
    };
    let Tally {
        mut s,
        templates,
        mut senders,
    } = tally;
    if s.remote_min == u32::MAX {
        s.remote_min = 0;
    }
    s.share = corpus.facts.share(c.messages);
    s.template = templates
        .into_iter()
        .max_by_key(|&(t, n)| (n, std::cmp::Reverse(t)))
        .map(|(t, n)| (KeyValue::Text(t), n));
    s.senders = senders.count();
    s.all_senders = all_senders;
    s
}

/// A tally's distinct envelope senders: all of them, or the first [`MANY_SENDERS`] only
/// ([`measure_score`]).
enum Senders {
    All(Distinct),
    Few(Few),
}

/// Up to [`MANY_SENDERS`] distinct senders, in place: a tally adds one a member.
#[derive(Default)]
struct Few {
    syms: [u32; MANY_SENDERS],
    len: usize,
}

impl Senders {
    fn new(all: bool) -> Senders {
        match all {
            true => Senders::All(Distinct::default()),
            false => Senders::Few(Few::default()),
        }
    }

    #[inline]
    fn add(&mut self, sender: Sym) {
        match self {
            Senders::All(d) => d.add(sender),
            Senders::Few(few) => few.add(sender.as_u32()),
        }
    }

    /// `other`'s senders added (a measure's tallies of its other members, which count alike).
    fn merge(&mut self, other: Senders) {
        match (&mut *self, other) {
            (Senders::All(a), Senders::All(b)) => a.merge(b),
            (Senders::Few(a), Senders::Few(b)) => b.syms[..b.len].iter().for_each(|&s| a.add(s)),
            (me, other) => {
                // Never made (a measure's tallies all count alike): then all are counted.
                let mut all = Distinct::default();
                for part in [std::mem::replace(me, Senders::Few(Few::default())), other] {
                    match part {
                        Senders::All(d) => all.merge(d),
                        Senders::Few(f) => (f.syms[..f.len].iter())
                            .filter_map(|&s| Sym::from_u32(s))
                            .for_each(|s| all.add(s)),
                    }
                }
                *me = Senders::All(all);
            }
        }
    }

    /// How many distinct senders: all, or at most [`MANY_SENDERS`].
    fn count(&mut self) -> usize {
        match self {
            Senders::All(d) => d.count(),
            Senders::Few(few) => few.len,
        }
    }
}

impl Few {
    #[inline]
    fn add(&mut self, s: u32) {
        // Full, the rest need not be looked at: "many" is all a score asks.
        if self.len < MANY_SENDERS && !self.syms[..self.len].contains(&s) {
            self.syms[self.len] = s;
            self.len += 1;
        }
    }
}

/// The signals of some members, before the shares and the dominant template are known.
pub(super) struct Tally {
    pub(super) s: Signals,
    templates: HashMap<Sym, usize>,
    senders: Senders,
}

impl Tally {
    fn new(all_senders: bool) -> Tally {
        Tally {
            s: Signals {
                remote_min: u32::MAX,
                ..Signals::default()
            },
            templates: HashMap::default(),
            senders: Senders::new(all_senders),
        }
    }

    /// One pass over `members`; every distinct sender counted when `all_senders`.
    pub(super) fn of(members: &[u32], corpus: &Corpus<'_>, all_senders: bool) -> Tally {
        let mut t = Tally::new(all_senders);
        let mut runs = Runs::default();
        // The yes/no signals are bits derived once per record ([`Facts`]' flags): counted here.
        let mut flags = FlagCounts::default();
        let facts = corpus.facts;
        let s = &mut t.s;
        for &i in members {
            let i = i as usize;
            let (Some(r), Some(&remote), Some(&f)) = (
                corpus.records.get(i),
                facts.remote.get(i),
                facts.flags.get(i),
            ) else {
                continue;
            };
            let o = &r.origin;
            s.remote_min = s.remote_min.min(remote);
            s.remote_max = s.remote_max.max(remote);
            flags.add(f);
            if let Some(ip) = o.ip {
                runs.ip.add(ip, &mut s.ips);
            }
            if let Some(Some(n)) = facts.net.get(i) {
                if runs.net.replace(*n) != Some(*n) {
                    s.nets.insert(*n);
                }
            }
            if f & Bit::Auth.mask() != 0 {
                if let Some(user) = o.auth_user {
                    if runs.auth_user.replace(user) != Some(user) {
                        s.auth_users.insert(user);
                    }
                }
            }
            if let Some(Some(template)) = facts.template.get(i) {
                runs.template.add(*template, &mut t.templates);
            }
            if let Some(sender) = r.sender {
                t.senders.add(sender);
            }
        }
        runs.ip.flush(&mut s.ips);
        runs.template.flush(&mut t.templates);
        let n = flags.finish();
        let n = |bit: Bit| n[bit as usize];
        s.remote_msgs = n(Bit::Remote);
        s.wide_msgs = n(Bit::Wide);
        s.auth_msgs = n(Bit::Auth);
        s.foreign_known = n(Bit::ForeignKnown);
        s.foreign = n(Bit::Foreign);
        s.web_remote = n(Bit::WebRemote);
        s.web_forged_from = n(Bit::WebForgedFrom);
        s.script_msgs = n(Bit::Script);
        s.forged_script_msgs = n(Bit::ForgedScript);
        s.upload_script_msgs = n(Bit::UploadScript);
        s.heavy_script_msgs = n(Bit::HeavyScript);
        s.local_remote = n(Bit::LocalRemote);
        s.null_remote = n(Bit::NullRemote);
        s.null_local = n(Bit::NullLocal);
        s.internal_own = n(Bit::InternalOwn);
        s.internal_forged = n(Bit::InternalForgedFrom);
        s.reply_elsewhere = n(Bit::ReplyElsewhere);
        s.relay = n(Bit::Relay);
        s.relay_authenticated = n(Bit::RelayAuthenticated);
        s.relay_foreign = n(Bit::RelayForeign);
        s.relay_own = n(Bit::RelayOwn);
        s.campaign = n(Bit::Campaign);
        t
    }

    /// Both tallies' members together.
    fn merge(mut self, other: Tally) -> Tally {
        let (s, o) = (&mut self.s, other.s);
        s.remote_min = s.remote_min.min(o.remote_min);
        s.remote_max = s.remote_max.max(o.remote_max);
        s.remote_msgs += o.remote_msgs;
        s.wide_msgs += o.wide_msgs;
        s.auth_msgs += o.auth_msgs;
        s.auth_users.extend(o.auth_users);
        add_counts(&mut s.ips, o.ips);
        s.nets.extend(o.nets);
        s.foreign += o.foreign;
        s.foreign_known += o.foreign_known;
        s.web_remote += o.web_remote;
        s.script_msgs += o.script_msgs;
        s.upload_script_msgs += o.upload_script_msgs;
        s.heavy_script_msgs += o.heavy_script_msgs;
        s.web_forged_from += o.web_forged_from;
        s.forged_script_msgs += o.forged_script_msgs;
        s.local_remote += o.local_remote;
        s.null_remote += o.null_remote;
        s.null_local += o.null_local;
        s.relay += o.relay;
        s.relay_authenticated += o.relay_authenticated;
        s.relay_foreign += o.relay_foreign;
        s.relay_own += o.relay_own;
        s.internal_own += o.internal_own;
        s.internal_forged += o.internal_forged;
        s.reply_elsewhere += o.reply_elsewhere;
        s.campaign += o.campaign;
        add_counts(&mut self.templates, other.templates);
        self.senders.merge(other.senders);
        self
    }
}

/// The value each of a tally's sets and counts saw last: a cluster's members come in queue
/// order, where a flood's messages from one IP, one network, one login or with one subject
/// come in runs, and a run costs one set or map update instead of one a message.
#[derive(Default)]
struct Runs {
    ip: Run,
    net: Option<Sym>,
    auth_user: Option<Sym>,
    template: Run,
}

/// A run of one value being counted: added to its map when another value comes.
#[derive(Default)]
struct Run {
    value: Option<Sym>,
    n: usize,
}

impl Run {
    fn add(&mut self, v: Sym, counts: &mut HashMap<Sym, usize>) {
        if self.value != Some(v) {
            self.flush(counts);
            self.value = Some(v);
        }
        self.n += 1;
    }

    fn flush(&mut self, counts: &mut HashMap<Sym, usize>) {
        if let Some(v) = self.value.take() {
            *counts.entry(v).or_default() += std::mem::take(&mut self.n);
        }
    }
}

/// `from`'s counts added to `into`'s.
fn add_counts<K: std::hash::Hash + Eq>(into: &mut HashMap<K, usize>, from: HashMap<K, usize>) {
    for (k, n) in from {
        *into.entry(k).or_default() += n;
    }
}
