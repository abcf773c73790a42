//! The points of each signal: what fired, how much it weighs, and the conclusion it supports.

use super::{frac, percent, Scoring, DOMINANT};
use crate::analysis::evidence::LoginFinding;
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::analysis::patterns::network;
use crate::analysis::patterns::{SenderPatterns, MIN_DISTINCT};
use crate::analysis::signals::{Corpus, Signals, WIDE};
use crate::analysis::types::Cluster;
use crate::queue::Sym;
use crate::size::thousands;

/// The conclusions the signals support, as a summary ends in them.
pub(super) const GUESSED: &str = "likely a guessed password";
pub(super) const WEB_SCRIPT: &str = "likely a compromised web script";
pub(super) const WEB_APPLICATION: &str = "likely a compromised web application";
pub(super) const LOCAL_USER: &str = "a local user or cron job mailing remote domains";
pub(super) const BACKSCATTER: &str = "backscatter: bounces of spam to forged senders";
pub(super) use super::open_relay::RELAY;
/// Relayed by clients that authenticated, though no header names the login.
pub(super) const AUTH_UNNAMED: &str =
    "likely a guessed password: logged in, but no header names the account (--log does)";
const FORGED: &str = "forged random sender names";
/// Alone, a suspect only: a newsletter and a help desk send like this too.
pub(super) const HEAVY: &str =
    "an account sending far more than the others (compromised, or a bulk sender)";
pub(super) const DIVERTED: &str = "likely a compromised account (replies diverted)";
const FRAMING: &str = "a forged X-PHP-Originating-Script: mail posing as a web script's";
/// One campaign through many logins, each from several networks (`stuffing.rs`).
pub(super) const STUFFED: &str =
    "likely stolen passwords: one campaign through many logins (credential stuffing)";
/// An internal client's mail written as another domain (`inside.rs`).
pub(super) const FORGED_INSIDE: &str =
    "likely a hacked site's mailer writing as another domain through an internal client";
/// One template to many addresses through an internal client (`inside_run.rs`).
pub(super) const TEMPLATE_INSIDE: &str =
    "likely a hacked site's mailer: one template to many addresses through an internal client";
/// Every one of them, for reading a conclusion back out of a summary.
pub(super) const SIGNAL_CONCLUSIONS: [&str; 14] = [
    AUTH_UNNAMED,
    GUESSED,
    WEB_SCRIPT,
    WEB_APPLICATION,
    LOCAL_USER,
    BACKSCATTER,
    RELAY,
    FORGED,
    HEAVY,
    DIVERTED,
    FRAMING,
    STUFFED,
    FORGED_INSIDE,
    TEMPLATE_INSIDE,
];

/// A script cluster of headers PHP did not write (below fields the message's writer chose):
/// whoever wrote the message forged the name of a script, to hide or to frame it.
pub(super) fn forged_script_points(sc: &mut Scoring, c: &Cluster, s: &Signals) {
    let f = frac(s.forged_script_msgs, c.messages);
    if c.key == ClusterKey::Script && f >= 0.5 {
        let words = || {
            format!(
                "{} with an X-PHP-Originating-Script below fields PHP's mail() writes after it",
                percent(f)
            )
        };
        sc.add(25.0 * f, words, Some(FRAMING));
    }
}

/// A generalised sender pattern is forgery only when this server sends those names out (to
/// remote recipients): many distinct names at a freemail domain writing to local users are
/// many real people; and only when they are not a login's own nor a forwarder's (`bulk.rs`).
pub(super) fn forged_pattern_points(
    sc: &mut Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) {
    if frac(s.remote_msgs, c.messages) < 0.5 {
        return;
    }
    // A login's own generated addresses (VERP, ticket ids) and a forwarder's SRS rewrites are
    // generated names, and no forgery.
    if let Some(Some(KeyValue::Text(v))) = (c.key == ClusterKey::SenderPattern).then_some(c.value) {
        if SenderPatterns::is_generalised(&corpus.strings.resolve(v))
            && !super::bulk::own_addresses(c, s)
            && !super::bulk::srs_forwards(c, s, corpus)
        {
            let words = || {
                format!(
                    "{} forged sender names in one pattern",
                    thousands(s.senders)
                )
            };
            sc.add(15.0, words, Some(FORGED));
        }
    }
}

/// One login from many places; authenticated senders using other domains.
pub(super) fn login_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    // A property of the login itself, so only the auth-user cluster earns it. A few places
    // are a person's (home, office, phone, a hotel); a botnet's logins come from many, and
    // many at once; a person moving, from many over days, one or a few at a time.
    let (ips, nets) = (s.ips.len(), s.nets.len());
    let many = ips >= MANY_IPS || nets >= MANY_NETS;
    let person = many
        .then(|| super::places::one_person(c, s, corpus))
        .flatten();
    let points = match (ips, nets) {
        _ if many && person.is_none() => MANY_PLACES,
        _ if ips >= 3 || nets >= 2 => FEW_PLACES,
        _ => 0.0,
    };
    // Every message of an auth-user cluster is one account's, whatever spelling it logged in
    // with (`test`, `test@example.com`); at least one must be an authenticated login.
    if c.key == ClusterKey::AuthUser && !s.auth_users.is_empty() && points > 0.0 {
        sc.add(
            points,
            || {
                // `counted`: "3 IPs in 1 network", not "1 networks" (newuser51b).
                let ips = crate::size::counted(ips as u64, "IP", "IPs");
                let nets = crate::size::counted(nets as u64, "network", "networks");
                match person {
                    // mix66: thirty field reps on their carriers' pools, each a suspect at 25.
                    Some((blocks, at_once)) => format!(
                        "one login used from {ips} in {nets}, in {} and {} at a time at \
                         most: one person moving (a phone's carrier, home, office, hotels)",
                        crate::size::counted(blocks as u64, "address block", "address blocks"),
                        at_once
                    ),
                    None => format!("one login used from {ips} in {nets}"),
                }
            },
            Some(GUESSED),
        );
    }
    let f = frac(s.foreign, s.foreign_known);
    if s.foreign_known > 0 && f >= 0.5 {
        // When only part of the cluster logged in, say how big that part is: "100% of
        // authenticated senders" over an IP whose other half relays without a login overstates.
        let (known, messages) = (s.foreign_known, c.messages);
        let words = || {
            if known < messages {
                format!(
                    "{} of the {} authenticated messages use sender domains not their own",
                    percent(f),
                    thousands(known)
                )
            } else {
                format!(
                    "{} of authenticated senders use domains not their own",
                    percent(f)
                )
            }
        };
        sc.add(25.0 * f, words, Some(GUESSED));
        // A person sends as one or two addresses; a spammer behind a login as a new one each
        // time.
        let senders = s.senders;
        if c.key == ClusterKey::AuthUser && senders >= MANY_SENDERS {
            let words = || format!("sending as {} different addresses", thousands(senders));
            sc.add(15.0, words, Some(GUESSED));
        }
    }
}

/// Messages of a forged-sender campaign a login must have sent, and their share of its
/// messages, before they say a spammer uses it: one or two could be mail redirected with its
/// sender kept.
const CAMPAIGN_MESSAGES: usize = 5;
const CAMPAIGN_SHARE: f64 = 0.05;
/// Patterns a reason names.
const PATTERNS_SHOWN: usize = 2;

/// A login that writes as itself and, now and then, as the generated names of a forged-sender
/// campaign this server sends out (`Campaigns`): a bot using a guessed account, keeping most of
/// its mail plausible. A person does not write as generated names. Under half of its messages,
/// so `login_points`' "senders not its own" says nothing of it (and when that fires, this is the
/// same evidence again). The campaign's pattern is a culprit of its own; this says which logins
/// sent it, and so that their mail as themselves is the spammer's too.
pub(super) fn campaign_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    let mostly_foreign = s.foreign_known > 0 && frac(s.foreign, s.foreign_known) >= 0.5;
    let f = frac(s.campaign, c.messages);
    if c.key != ClusterKey::AuthUser
        || s.auth_users.is_empty()
        || mostly_foreign
        || s.campaign < CAMPAIGN_MESSAGES
        || f < CAMPAIGN_SHARE
        || !campaign_spread(c, corpus)
    {
        return;
    }
    let words = || {
        format!(
            "{} of its messages ({}) sent as generated names at other domains ({}): a \
             forged-sender campaign this server sends out",
            thousands(s.campaign),
            percent(f),
            campaign_patterns(c, corpus)
        )
    };
    sc.add(25.0, words, Some(GUESSED));
}

/// Recipient domains a login's campaign messages must reach: a campaign mails a harvested list,
/// where a help desk forwarding its customers' mail out, senders kept, writes to its one
/// contractor (and once the customers' own copies are delivered, the queue holds only those
/// forwards, all going out).
const CAMPAIGN_DOMAINS: usize = 5;

/// Do `c`'s campaign messages use generated names and reach a campaign's recipients? Generated
/// names, as the sender table asks of a domain's: one address used again and again (a person's
/// own gmail.com address, a second identity sent through this server) is no campaign, however
/// the domain's other senders look. Only when the cheaper guards have passed: a login's
/// members, once.
fn campaign_spread(c: &Cluster, corpus: &Corpus<'_>) -> bool {
    let mut names: rustc_hash::FxHashSet<Sym> = rustc_hash::FxHashSet::default();
    let mut domains: rustc_hash::FxHashSet<Sym> = rustc_hash::FxHashSet::default();
    for &i in &c.members {
        let Some(r) = corpus.records.get(i as usize) else {
            continue;
        };
        if corpus.facts.is_campaign(i as usize) {
            names.extend(r.sender);
            if domains.len() < CAMPAIGN_DOMAINS {
                let to = r.recipients.domains(corpus.strings);
                domains.extend(to.iter().filter_map(|d| d.domain));
            }
        }
    }
    names.len() >= MIN_DISTINCT && domains.len() >= CAMPAIGN_DOMAINS
}

/// The campaign patterns of `c`'s messages, most used first (for its reason only).
fn campaign_patterns(c: &Cluster, corpus: &Corpus<'_>) -> String {
    let mut counts: rustc_hash::FxHashMap<Vec<u8>, usize> = rustc_hash::FxHashMap::default();
    for &i in &c.members {
        let Some(sender) = corpus.records.get(i as usize).and_then(|r| r.sender) else {
            continue;
        };
        if corpus.facts.is_campaign(i as usize) {
            let p = corpus
                .strings
                .with(sender, |a| corpus.sender_patterns.pattern(a));
            *counts.entry(p).or_default() += 1;
        }
    }
    let mut counts: Vec<(Vec<u8>, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut shown: Vec<String> = counts
        .iter()
        .take(PATTERNS_SHOWN)
        .map(|(p, n)| format!("{} {}", String::from_utf8_lossy(p), thousands(*n)))
        .collect();
    if counts.len() > PATTERNS_SHOWN {
        shown.push(format!("{} more", thousands(counts.len() - PATTERNS_SHOWN)));
    }
    shown.join(", ")
}

/// Shared IPs (each logging in as three accounts or more, `SharedIps`), and their networks, a
/// login must come from before they say a bot uses it: one is an office's NAT, two a firm's two
/// Internet lines, and a NAT pool is one network.
const SHARED_IPS: usize = 3;
const SHARED_NETS: usize = 2;
/// The share of the login's messages that must come from shared IPs: a person behind an office's
/// NAT also writes from home or a phone.
const SHARED_ONLY: f64 = 0.9;

/// A login whose every IP logs in as other accounts too: a bot working through a list of
/// guessed logins, from IPs it uses for all of them, saying the same HELO for each. A person's
/// IPs are their own; an office's NAT is one IP (its people also write from home, and each PC
/// names itself), a webmail host's a private address, a NAT pool one network. A firm with
/// three Internet lines whose people never write from elsewhere looks like this too, so it
/// weighs less than "one login from many places": with the few places and a fan-out it still
/// makes a suspect (10 + 20 + 5), and what it alone carries over 40 is held below
/// ([`shared_clients_alone`]).
pub(super) fn shared_ip_points(sc: &mut Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) {
    if c.key != ClusterKey::AuthUser || s.auth_users.is_empty() {
        return;
    }
    // Ten IPs or five networks already weigh 25 as many places (`login_points`): that they are
    // shared is the same evidence again. A phone on a carrier's small CGNAT pool comes from ten
    // of its IPs, each shared with the carrier's other customers, and made 45, a culprit.
    if s.ips.len() >= MANY_IPS || s.nets.len() >= MANY_NETS {
        return;
    }
    let shared_ips = &corpus.facts.shared_ips;
    let shared = |on: &[(Sym, usize, u32)]| {
        let messages: usize = on.iter().map(|&(_, n, _)| n).sum();
        let nets: rustc_hash::FxHashSet<Vec<u8>> = on
            .iter()
            .filter_map(|&(ip, _, _)| corpus.strings.with(ip, network))
            .collect();
        let enough = on.len() >= SHARED_IPS
            && frac(messages, c.messages) >= SHARED_ONLY
            && nets.len() >= SHARED_NETS;
        enough.then_some(messages)
    };
    let on: Vec<(Sym, usize, u32)> = s
        .ips
        .iter()
        .filter_map(|(&ip, &n)| shared_ips.accounts(ip).map(|a| (ip, n, a)))
        .collect();
    if shared(&on).is_none() {
        return;
    }
    // Then only the messages whose client (IP and HELO) logged in as several accounts: behind
    // a firm's three lines each PC names itself, and its busy sales person made a culprit.
    let mut by_ip: rustc_hash::FxHashMap<Sym, usize> = Default::default();
    let records = corpus.records;
    for o in c
        .members
        .iter()
        .filter_map(|&i| records.get(i as usize).map(|r| &r.origin))
    {
        if let Some(ip) = o.ip.filter(|&ip| shared_ips.is_shared_client(ip, o.helo)) {
            *by_ip.entry(ip).or_default() += 1;
        }
    }
    let mut on: Vec<(Sym, usize, u32)> = (by_ip.into_iter())
        .filter_map(|(ip, n)| shared_ips.accounts(ip).map(|a| (ip, n, a)))
        .collect();
    let Some(messages) = shared(&on) else {
        return;
    };
    let (shared, total) = (on.len(), c.messages);
    let words = move || {
        // Most accounts first, then most messages, then the address: the same words each run.
        let text = |ip: Sym| corpus.strings.text(ip);
        on.sort_by(|a, b| {
            (b.2, b.1)
                .cmp(&(a.2, a.1))
                .then_with(|| text(a.0).cmp(&text(b.0)))
        });
        let shown: Vec<String> = on
            .iter()
            .take(IPS_SHOWN)
            .map(|&(ip, _, a)| format!("{} as {a}", text(ip)))
            .collect();
        let more = match shared.saturating_sub(IPS_SHOWN) {
            0 => String::new(),
            n => format!(", {} more", thousands(n)),
        };
        let share = match messages == total {
            true => "its messages".to_string(),
            false => format!("{} of its messages", percent(frac(messages, total))),
        };
        format!(
            "{share} came from {shared} IPs that each log in as several accounts ({}{more}): \
             one client working through a list of logins",
            shown.join(", ")
        )
    };
    sc.add(SHARED_CLIENTS, words, Some(GUESSED));
    sc.shared_clients = true;
}

/// The points of a login from a person's few places (3-9 IPs or 2-4 networks).
pub(super) const FEW_PLACES: f64 = 10.0;
/// Points of a login used from many places.
pub(super) const MANY_PLACES: f64 = 25.0;
/// The points of a login whose clients log in as other accounts too.
const SHARED_CLIENTS: f64 = 20.0;

/// Is `c` over 40 only by its shared clients, with nothing else of a guessed password or a
/// spammer's habit? One laptop holding a small firm's info@, sales@ and its owner's account, at
/// home, at the office and at a hotel, is one client logging in as three accounts in three
/// places; so are phones behind a carrier's small NAT pool saying one default HELO, and a team
/// whose laptops were set up alike. With a busy account's volume (20) they were culprits at 50.
/// A bot's spam corroborates: a wide fan-out on a quarter of its messages, senders not its own,
/// a log's guessed password.
pub(super) fn shared_clients_alone(sc: &Scoring, c: &Cluster, s: &Signals) -> bool {
    if !sc.shared_clients || wide_fan_out(c, s) {
        return false;
    }
    let guessed = sc
        .whys
        .iter()
        .find(|(w, _)| *w == GUESSED)
        .map_or(0.0, |w| w.1);
    let total: f64 = sc.points.iter().map(|p| p.0).sum();
    let culprit = super::CULPRIT_SCORE;
    guessed <= FEW_PLACES + SHARED_CLIENTS && total >= culprit && total - SHARED_CLIENTS < culprit
}

/// Shared IPs a reason names.
const IPS_SHOWN: usize = 3;

/// The share of a cluster's messages from internal clients sending as this server's domains
/// from which it is a shared host's mail, not a relay's.
const SHARED_HOST: f64 = 0.2;

/// Distinct envelope senders from which one login "sends as many addresses" (the score's
/// measure counts no further).
pub(super) use crate::analysis::signals::MANY_SENDERS;
/// Client IPs, or networks, from which one login is used from many places, not a person's few.
const MANY_IPS: usize = 10;
const MANY_NETS: usize = 5;

/// What the login logs say about an auth-user cluster's account: a guessed password, a login
/// from a harvesting IP. Like "one login from many places", a property of the login itself.
pub(super) fn log_points(sc: &mut Scoring, c: &Cluster, corpus: &Corpus<'_>) {
    let (ClusterKey::AuthUser, Some(KeyValue::Text(v))) = (c.key, c.value) else {
        return;
    };
    let user = corpus.strings.text(v);
    for f in corpus.logs.findings(&user) {
        let points = match f {
            LoginFinding::Guessed { .. } => 25.0,
            LoginFinding::HarvestingIp { .. } => 15.0,
        };
        sc.add(points, || f.words(&user), Some(GUESSED));
    }
}

/// Web scripts, local uids, backscatter and relaying, by how the messages entered the queue.
pub(super) fn origin_points(sc: &mut Scoring, c: &Cluster, s: &Signals) {
    let n = c.messages;
    let w = frac(s.web_remote, n);
    if w >= 0.5 {
        let why = if s.script_msgs * 2 >= n {
            WEB_SCRIPT
        } else {
            WEB_APPLICATION
        };
        // Alone, this is also a shop's order mails or a contact form writing as itself: what
        // makes it abuse is writing as someone else, or a mailer dropped where uploads go.
        sc.add(
            20.0 * w,
            || "web-server uid or PHP script mailing remote domains".into(),
            Some(why),
        );
        let f = frac(s.web_forged_from, n);
        if f >= 0.5 {
            let words = || format!("{} with a From: at a domain not this server's", percent(f));
            sc.add(20.0 * f, words, Some(why));
        }
        let u = frac(s.upload_script_msgs, n);
        if u >= 0.5 {
            let words = || {
                "PHP code a backdoor runs (eval()'d code, or a script in an upload, cache or \
                 temporary directory)"
                    .into()
            };
            sc.add(10.0 * u, words, Some(why));
        }
    } else if frac(s.local_remote, n) >= 0.5 {
        let why = Some(LOCAL_USER);
        sc.add(10.0, || "local uid mailing remote domains".into(), why);
    }
    let b = frac(s.null_remote, n);
    let bounces = s.null_remote + s.null_local;
    if b >= 0.5 {
        let why = Some(BACKSCATTER);
        sc.add(
            20.0 * b,
            || "null-sender bounces to remote addresses".into(),
            why,
        );
    } else if s.null_remote >= super::MIN_CULPRIT_MESSAGES && b >= 0.2 && bounces * 2 >= n {
        // Remote servers' bounces to local users (a joe-job returning mail forged as them)
        // are not this server's backscatter, and outnumbering it they must not hide it.
        let out = frac(s.null_remote, bounces);
        let words = || {
            format!(
                "{} null-sender bounces to remote addresses (the other {} bounces are remote \
                 servers' to local users)",
                thousands(s.null_remote),
                thousands(s.null_local)
            )
        };
        sc.add(20.0 * out, words, Some(BACKSCATTER));
    }
    // Beside another abuse a fifth is enough to say so: an IP both logging in and relaying
    // without a login (the sample's 86.107.221.138, 42% relayed on a php-heavy mix) is two
    // abuses, and naming only the guessed password would leave the open relay.
    // Alone (an office allowed to relay by tcp.smtp sends some of its mail out), half.
    let r = frac(s.relay, n);
    // An internal host many accounts share (webmail, a NAT) sends its users' real mail as
    // this server's domains; what it relays besides is named by narrower keys (the sender
    // pattern, the subject), never by the host, whose yank would take the real mail. Said,
    // with no points, so that a setup where every client looks internal (a proxy) shows why.
    let shared = frac(s.internal_own, n);
    let relaying = r >= 0.5 || (r >= 0.2 && !sc.whys.is_empty());
    if relaying && shared >= SHARED_HOST {
        let words = || {
            format!(
                "{} from internal clients sending as this server's domains: a shared host \
                 (webmail, NAT), its relayed mail left to its sender patterns and subjects",
                percent(shared)
            )
        };
        sc.add(0.0, words, None);
    } else if relaying && super::open_relay::own_clients(c, s) {
        // Said, with no points: an office's real mail must not become a culprit by its share
        // once the spam around it is yanked (mix64's Q3: 649 messages of one office IP).
        sc.add(0.0, || super::open_relay::own_words(s), None);
    } else if relaying && s.relay_authenticated * 2 >= s.relay {
        // `with ESMTPA` says the client logged in: an account's password, not rcpthosts, is
        // what to fix, and only the smtpd log names the account.
        let words = || {
            format!(
                "{} of its messages relayed to remote domains, {} by clients that logged in \
                 (ESMTPA) though no header names the account",
                percent(r),
                thousands(s.relay_authenticated)
            )
        };
        sc.add(20.0 * r, words, Some(AUTH_UNNAMED));
    } else if relaying {
        let why = Some(RELAY);
        let words = || match r >= 0.5 {
            true => "unauthenticated SMTP clients relaying to remote domains".into(),
            false => format!(
                "{} of its messages from unauthenticated SMTP clients relaying to remote domains",
                percent(r)
            ),
        };
        sc.add(20.0 * r, words, why);
    }
}

/// The share of a cluster's messages that must each go to [`WIDE`] remote recipients before its
/// fan-out weighs 10.
const WIDE_SHARE: f64 = 0.25;

/// Does `c` write to [`WIDE`] remote recipients or more, on a quarter of its messages or more?
pub(super) fn wide_fan_out(c: &Cluster, s: &Signals) -> bool {
    s.remote_max >= WIDE && frac(s.wide_msgs, c.messages) >= WIDE_SHARE
}

pub(super) fn fan_out_and_template(
    sc: &mut Scoring,
    c: &Cluster,
    s: &Signals,
    corpus: &Corpus<'_>,
) {
    // A person's one invitation to a dozen is not a spammer's habit: the wide fan-out must be
    // a quarter of the messages (a team at a fair was a ring's culprits by one such message).
    if wide_fan_out(c, s) {
        let words = || format!("up to {} remote recipients a message", s.remote_max);
        sc.add(10.0, words, None);
    } else if frac(s.remote_msgs, c.messages) >= 0.5 && c.recipients >= 3 * c.messages {
        sc.add(5.0, || "several remote recipients a message".into(), None);
    }
    let dominant = s
        .template
        .filter(|&(_, k)| c.messages >= 20 && frac(k, c.messages) >= DOMINANT);
    if let Some((t, k)) = dominant.filter(|_| c.key != ClusterKey::Subject) {
        let share = percent(frac(k, c.messages));
        let words = || {
            format!(
                "one subject template in {share}: \"{}\"",
                t.text(corpus.strings)
            )
        };
        sc.add(10.0, words, None);
    }
}

/// Is `c` one of a shared host's scripts (or several of them), held a suspect? Its only strong
/// signal is writing as a domain not this server's ("a From: at a domain not this server's",
/// with no upload directory, framing or other abuse), most of its messages are scripts', and
/// fewer than half come from a script sending far more than the queue's others. A shop's order
/// mails, a WordPress password reset and a contact form writing as its visitor all write as
/// someone else; a hacked plugin's flood is what stands out of them by volume, and is judged
/// on its own. With fewer than three scripts there is nothing to compare with: a lone script
/// writing as someone else stays a culprit.
pub(super) fn alike_scripts(sc: &Scoring, c: &Cluster, s: &Signals, corpus: &Corpus<'_>) -> bool {
    let n = c.messages;
    let web_only = sc
        .whys
        .iter()
        .all(|(w, _)| *w == WEB_SCRIPT || *w == WEB_APPLICATION);
    corpus.facts.scripts.comparable()
        && !sc.whys.is_empty()
        && web_only
        && frac(s.web_remote, n) >= 0.5
        && frac(s.web_forged_from, n) >= 0.5
        && frac(s.upload_script_msgs, n) < 0.5
        && s.script_msgs * 2 >= n
        && s.heavy_script_msgs * 2 < n
}
