//! Why a cluster is held below a culprit's score, and the words saying so: what speaks
//! against it is also how real senders of its kind send.

use super::{
    few_recipients, inside, inside_run, mailing, scripts, sites, stuffing, Corpus, Points,
    CULPRIT_SCORE,
};
use crate::analysis::key::KeyValue;
use crate::analysis::signals::Signals;
use crate::analysis::types::Cluster;
use crate::size::thousands;

/// Why a cluster is held below [`CULPRIT_SCORE`]: what speaks against it is also how real
/// senders of its kind send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Held {
    /// Only a heavy sender's volume: a newsletter or a help desk sends like this.
    Heavy,
    /// A heavy account mailing as a list server (one recipient a message, each from its own
    /// return path), with only its replies sent elsewhere or a few places besides: a
    /// newsletter with a help desk's Reply-To, sent from several servers (`heavy.rs`).
    ListAlone,
    /// A heavy account writing as itself to few, whose many places are one person's a few
    /// at a time (its busiest hour's IPs): a sales rep quoting from a phone on a carrier's
    /// changing addresses (`heavy.rs`).
    OnTheMove(usize),
    /// Only one subject through many logins from many places, to few or the same addresses:
    /// people sending one greeting from phone and home, colleagues replying to all do.
    SpreadAlone,
    /// Only scripts writing as a domain not this server's, at the volume of the queue's other
    /// scripts: a shared host's shops, forms and password resets do.
    AlikeScripts,
    /// Over 40 only by clients logging in as several accounts, writing to few: one person's
    /// laptop with several accounts, a team travelling together do.
    SharedClients,
    /// Over 40 only by sending as a few other domains' addresses from one place, writing to
    /// few: an agency sending as its clients, a firm as its brands do.
    FewSenders,
    /// All its messages are this login's, whose whole mail is held as [`Held::FewSenders`]:
    /// one client's newsletter of an agency's (`part.rs`).
    PartOf(KeyValue),
    /// Over 40 by its heavy scripts' mail, which their own clusters take; the rest, judged
    /// alone, is no culprit: a shared host's uid (`scripts.rs`).
    BeyondHeavyScripts,
    /// Half its messages or more to the same few addresses, the rest no culprit alone:
    /// monitoring's alerts, a form's notifications (`few_recipients.rs`).
    FewRecipients(few_recipients::SameFew),
    /// Only a script's or a local uid's mail to remote domains, with no sign of abuse: a
    /// site's newsletter, a shop's order mails, a club's circular send like this
    /// (`mailing.rs`); with its signs short of half.
    MailingAlone(mailing::LocalSigns),
    /// Only an internal client's mail written as another domain's From: a hacked site's
    /// mailer in SMTP mode, or a site's form writing as its visitors (`inside.rs`).
    ForgedInside,
    /// Only an internal client's one subject template to many different remote addresses: a
    /// hacked site's mailer whatever its From says, or a site's confirmations
    /// (`inside_run.rs`).
    InsideRun,
    /// A script name this many sites' uids send through: a library's, judged by each site's
    /// uid (`sites.rs`).
    ManySites(usize),
}

/// Push `c`'s hold reason (none when not `held`), after a line saying what its `points` add up
/// to when the hold lowered its `total`.
pub(super) fn push_reasons(
    c: &mut Cluster,
    held: Option<Held>,
    (points, total): (&[Points], f64),
    s: &Signals,
    corpus: &Corpus<'_>,
) {
    // A held 39.9 beside points adding up to 51 read as a sum gone wrong (newuser57).
    let all = || super::total(points, c.messages, None);
    if held.is_some() && all() > total {
        c.reasons.push(format!(
            "without the hold it would score {:.1}; it is held at {total:.1} because:",
            all()
        ));
    }
    match held {
        Some(Held::Heavy) => c.reasons.push(format!(
            "nothing but its volume speaks against it: held below {CULPRIT_SCORE:.0} (a \
             newsletter or a help desk sends like this); look before taking it"
        )),
        Some(Held::ListAlone) => c.reasons.push(format!(
            "it mails as a list server does, one recipient a message, each from its own return \
             path at the account's domain, and nothing but its volume, replies sent to another \
             domain or a few sending places speaks against it: held below {CULPRIT_SCORE:.0} (a \
             newsletter with a help desk's Reply-To, sent from several servers, sends like \
             this); look before taking it"
        )),
        Some(Held::OnTheMove(busiest)) => c.reasons.push(format!(
            "nothing but its volume and its places speaks against it, and it writes as itself to \
             {} recipients a message or fewer, from at most {} at a time (its busiest hour): held \
             below {CULPRIT_SCORE:.0} (a sales rep quoting customers from a phone whose carrier \
             changes its address every hour or few sends like this); look before taking it",
            super::heavy::PERSON_RECIPIENTS,
            crate::size::counted(busiest as u64, "IP", "IPs"),
        )),
        Some(Held::SpreadAlone) => {
            let reason = stuffing::held(c, s, corpus);
            c.reasons.push(reason);
        }
        Some(Held::AlikeScripts) => {
            let norms = &corpus.facts.scripts;
            c.reasons.push(format!(
                "nothing but writing as a domain not this server's speaks against it, and most \
                 of its messages come from scripts sending like the queue's others ({} scripts, \
                 the median one {} messages; one sending {} times that is judged on its own): \
                 held below {CULPRIT_SCORE:.0} (a shared host's shops, contact forms and \
                 password resets write as their customers); look before taking it",
                thousands(norms.scripts),
                thousands(norms.median_messages),
                crate::analysis::signals::HEAVY_SCRIPT_TIMES,
            ));
            c.reasons.extend(scripts::loud_voices(c, corpus));
        }
        Some(Held::SharedClients) => c.reasons.push(format!(
            "nothing but its clients' other accounts carries it over {CULPRIT_SCORE:.0}, and it \
             writes to few: held below {CULPRIT_SCORE:.0} (one laptop holding several accounts, \
             a team travelling together, phones behind a carrier's NAT log in like this); look \
             before taking it"
        )),
        Some(Held::FewSenders) => c.reasons.push(format!(
            "nothing but sending as {} addresses of other domains, from one place, to few \
             recipients a message, speaks against it: held below {CULPRIT_SCORE:.0} (an agency \
             sending its clients' newsletters as each client, a firm as each of its brands, \
             send like this); look before taking it",
            thousands(s.senders)
        )),
        Some(Held::PartOf(login)) => c.reasons.push(format!(
            "all its messages are AUTH user {}'s, whose whole mail is held below \
             {CULPRIT_SCORE:.0} as an agency's (sending as a few other domains' addresses from \
             one place, to few recipients a message): held with it; look before taking it",
            login.text(corpus.strings)
        )),
        Some(Held::BeyondHeavyScripts) => c.reasons.push(scripts::reason(c, corpus)),
        Some(Held::FewRecipients(same)) => c.reasons.push(few_recipients::reason(c, same)),
        Some(Held::MailingAlone(signs)) => c.reasons.push(mailing::reason(c, s, signs)),
        Some(Held::ForgedInside) => c.reasons.push(inside::held_reason()),
        Some(Held::InsideRun) => c.reasons.push(inside_run::held_reason()),
        Some(Held::ManySites(uids)) => c.reasons.push(sites::reason(uids)),
        None => {}
    }
}
