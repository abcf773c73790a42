//! Measure what a cluster's messages have in common: the signals the ranking scores.
//!
//! Per-message facts (remote recipients, foreign sender domains, subject template, network)
//! are computed once per analysis ([`Facts`]); a cluster's [`Signals`] are then one pass over
//! its members.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::context::AnalysisContext;
use rayon::prelude::*;
use smallvec::SmallVec;

use super::key::KeyValue;
use super::patterns::{network, subject_template};
use crate::queue::{Interner, MessageRecord, Sym};

mod accounts;
mod campaigns;
mod distinct;
mod domains;
mod flags;
mod login_parts;
mod own_senders;
mod scripts;
mod shared_ips;
mod shares;
mod tally;
mod whole;
pub(crate) use accounts::AccountNorms;
use campaigns::Campaigns;
use domains::foreign_and_null;
pub(crate) use domains::{is_internal_ip, is_loopback_ip};
pub(crate) use flags::is_list_bounce;
pub(crate) use flags::Bit;
pub(crate) use login_parts::LoginParts;
pub(crate) use own_senders::{OwnSenders, SCATTERED_BLOCKS};
pub(crate) use scripts::{ScriptNorms, HEAVY_SCRIPT_TIMES};
pub(crate) use shared_ips::SharedIps;
pub(crate) use shares::SHARES;
pub use shares::{ShareOf, OF_QUEUE, OF_REPORT, OF_SELECTION};
pub(crate) use tally::{measure, measure_score};
use whole::Norms;
pub use whole::QueueFacts;

/// User names of web servers (PHP and CGI scripts run as these).
pub const WEB_USERS: [&str; 9] = [
    "apache", "www-data", "nobody", "httpd", "nginx", "wwwrun", "www", "lighttpd", "http",
];
/// Their usual uids, used when no passwd file names the uid.
pub const WEB_UIDS: [u32; 3] = [48, 33, 65534];
/// Per-message facts every cluster's signals need, computed once per analysis.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Subject template symbol per record (a `subject` key value is always text: 4 bytes, not
    /// a [`KeyValue`]'s 8, a million times).
    template: Vec<Option<Sym>>,
    /// /24 or /64 per record.
    net: Vec<Option<Sym>>,
    /// Remote recipients per record.
    remote: Vec<u32>,
    /// Authenticated message whose envelope or From domain is not the login's own;
    /// `None` when not authenticated or the own domain is unknown.
    foreign: Vec<Option<bool>>,
    /// Injected locally, and the From header's domain is known not to be one of ours (a web
    /// script writing as a bank, a shop): `false` when unknown.
    from_foreign: Vec<bool>,
    /// Each record's yes/no signals ([`flags::Bit`]), derived once here rather than by each
    /// cluster's tally: among them whether the envelope sender is `<>`, whether an SMTP client
    /// on a private address sends as one of this server's domains (a host tcp.smtp lets
    /// relay, not an open relay), and whether a login sending as its own domain has a Reply-To
    /// at another organisation's (`header_fields::same_domain`).
    flags: Vec<u32>,
    /// Sent by a login as a forged-sender campaign's generated name (set by
    /// [`Facts::note_campaigns`] once the sender patterns are known).
    campaigns: Campaigns,
    /// How much the queue's AUTH logins send: what one account's volume is held against.
    pub(crate) accounts: AccountNorms,
    /// How much the queue's PHP scripts send: which ones send far more than the others.
    pub(crate) scripts: ScriptNorms,
    /// The public IPs that logged in as several accounts.
    pub(crate) shared_ips: SharedIps,
    /// The messages of the queue: what a cluster's share is of. The records' own count, or a
    /// part's whole queue's ([`Facts::of_part`]): of `--where auth:ben`, ben's cluster is
    /// 100% and weighed 30 points, a real user a culprit.
    queue_messages: usize,
    /// Each login's members and verdict, for the clusters that are one login's part.
    pub(crate) login_parts: LoginParts,
    /// Per envelope sender, its messages an internal client handed to remote addresses: made
    /// the first time a cluster asks (`rank/inside_run.rs`), once, not a pass over the queue
    /// for each candidate (review60: 4,000 candidates made `top` 3x slower at 200,000).
    internal_senders: std::sync::OnceLock<HashMap<Sym, u32>>,
    /// This server's addresses forged from all over the Internet, and its users' login IPs:
    /// made the first time a subject cluster relaying as this server's domains asks.
    own_senders: std::sync::OnceLock<OwnSenders>,
}

impl Facts {
    /// Compute the facts of every record.
    ///
    /// The columns are independent, so they are computed in parallel (rayon's current pool), and
    /// templates (the costly part) are derived in parallel over the distinct subjects.
    pub fn new(records: &[MessageRecord], strings: &Interner, ctx: &AnalysisContext) -> Facts {
        let norms = Norms::of(records, strings, ctx);
        Facts::columns(records, strings, ctx, norms)
    }

    /// The facts of `records`, a part of the queue `whole` is of: the part's columns, the
    /// queue's norms, campaign messages and size, so that a part's cluster is judged as the
    /// queue judges it.
    pub fn of_part(
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
        whole: QueueFacts,
    ) -> Facts {
        let mut facts = Facts::columns(records, strings, ctx, whole.norms);
        facts.set_campaigns(Campaigns::of_part(records, &whole.campaigns));
        facts.queue_messages = whole.messages;
        facts
    }

    /// `campaigns` kept, and marked in the flags the tallies count.
    fn set_campaigns(&mut self, campaigns: Campaigns) {
        flags::set_campaigns(&mut self.flags, |i| campaigns.has(i));
        self.campaigns = campaigns;
    }

    /// The per-record columns of `records`, with `norms`.
    fn columns(
        records: &[MessageRecord],
        strings: &Interner,
        ctx: &AnalysisContext,
        norms: Norms,
    ) -> Facts {
        let Norms {
            accounts,
            scripts,
            shared_ips,
        } = norms;
        let empty = strings.intern(b"");
        let ((template, net), (remote, domains)) = rayon::join(
            || {
                rayon::join(
                    || derive_each(records, |r| r.headers.subject, subject_template, strings),
                    || derive_each(records, |r| r.origin.ip, network, strings),
                )
            },
            || {
                let remote = records.iter().map(|r| remote_count(r, strings, ctx));
                (
                    remote.collect::<Vec<u32>>(),
                    foreign_and_null(records, strings, ctx, empty),
                )
            },
        );
        let cols = flags::Columns {
            remote: &remote,
            domains: &domains,
        };
        let flags = flags::derive(records, strings, ctx, &scripts, &cols);
        Facts {
            template,
            net,
            remote,
            foreign: domains.foreign,
            from_foreign: domains.from_foreign,
            flags,
            campaigns: Campaigns::default(),
            accounts,
            scripts,
            shared_ips,
            queue_messages: records.len(),
            login_parts: LoginParts::default(),
            internal_senders: std::sync::OnceLock::new(),
            own_senders: std::sync::OnceLock::new(),
        }
    }

    /// Note which of `records` (those these facts are of) a login sent as a forged-sender
    /// campaign's generated name, by `table`'s patterns: after [`Facts::new`], which runs
    /// beside the table's making.
    pub fn note_campaigns(
        &mut self,
        records: &[MessageRecord],
        strings: &Interner,
        table: &super::patterns::SenderPatterns,
    ) {
        let campaigns = Campaigns::of(records, strings, table, &self.foreign, &self.remote);
        self.set_campaigns(campaigns);
    }

    /// Did a login send record `i` as a forged-sender campaign's generated name?
    pub(crate) fn is_campaign(&self, i: usize) -> bool {
        self.campaigns.has(i)
    }

    /// Did an SMTP client on a private or loopback address hand record `i` to qmail-smtpd as
    /// one of this server's domains, to remote addresses ([`flags::Bit::InternalOwn`] and
    /// [`flags::Bit::Remote`])?
    pub(crate) fn is_internal_to_remote(&self, i: usize) -> bool {
        let both = Bit::InternalOwn.mask() | Bit::Remote.mask();
        self.flags.get(i).is_some_and(|&f| f & both == both)
    }

    /// How many of `records` (those these facts are of) with envelope sender `sender` an
    /// internal client handed to remote addresses ([`Facts::is_internal_to_remote`]).
    pub(crate) fn internal_to_remote_from(&self, records: &[MessageRecord], sender: Sym) -> u32 {
        let counts = self.internal_senders.get_or_init(|| {
            let mut counts: HashMap<Sym, u32> = HashMap::default();
            for (i, r) in records.iter().enumerate() {
                if let Some(s) = r.sender.filter(|_| self.is_internal_to_remote(i)) {
                    *counts.entry(s).or_default() += 1;
                }
            }
            counts
        });
        counts.get(&sender).copied().unwrap_or(0)
    }

    /// Which of this server's addresses `records` (those these facts are of) relay without a
    /// login from all over the Internet, and which IPs log in ([`OwnSenders`]).
    pub(crate) fn own_senders(&self, records: &[MessageRecord], strings: &Interner) -> &OwnSenders {
        (self.own_senders).get_or_init(|| OwnSenders::of(records, strings, &self.flags, &self.net))
    }

    /// Does record `i` have `bit`?
    pub(crate) fn has(&self, i: usize, bit: Bit) -> bool {
        self.flags.get(i).is_some_and(|&f| f & bit.mask() != 0)
    }

    /// The flag bits any of `members` has: the yes/no signals that can fire at all in their
    /// cluster ([`Bit`]), in one pass that reads a word a member.
    pub(crate) fn seen(&self, members: &[u32]) -> Seen {
        let word = |i: u32| self.flags.get(i as usize).copied().unwrap_or(0);
        Seen(members.iter().fold(0, |all, &i| all | word(i)))
    }

    /// `messages`' share of the queue, as a cluster's [`Signals::share`].
    pub(crate) fn share(&self, messages: usize) -> f64 {
        messages as f64 / self.queue_messages.max(1) as f64
    }

    /// The subject template of record `i` (as the `subject` key computes it).
    pub fn template(&self, i: usize) -> Option<KeyValue> {
        self.template.get(i).copied().flatten().map(KeyValue::Text)
    }

    /// The network of record `i` (as the `origin-net` key computes it).
    pub fn net(&self, i: usize) -> Option<KeyValue> {
        self.net.get(i).copied().flatten().map(KeyValue::Text)
    }
}

/// `derive` of each record's `source` string, interned, as [`KeyExtractor`] computes the
/// `subject` and `origin-net` values: once per distinct string, the distinct strings in
/// parallel.
fn derive_each(
    records: &[MessageRecord],
    source: impl Fn(&MessageRecord) -> Option<Sym>,
    derive: fn(&[u8]) -> Option<Vec<u8>>,
    strings: &Interner,
) -> Vec<Option<Sym>> {
    // No per-record scratch (a million records): the distinct strings, then a map of them.
    let distinct: HashSet<Sym> = records.iter().filter_map(&source).collect();
    let distinct: Vec<Sym> = distinct.into_iter().collect();
    let derived: Vec<Option<Sym>> = distinct
        .par_iter()
        .with_min_len(DERIVE_BATCH)
        .map(|&s| strings.with(s, derive).map(|v| strings.intern(&v)))
        .collect();
    let of: HashMap<Sym, Option<Sym>> = distinct.into_iter().zip(derived).collect();
    records
        .iter()
        .map(|r| {
            let s = source(r)?;
            of.get(&s).copied().flatten()
        })
        .collect()
}

/// Distinct strings derived by one rayon task (amortises scheduling).
const DERIVE_BATCH: usize = 256;

/// Does the script (`X-PHP-Originating-Script`'s, after `uid:`) bear a backdoor's mark: code
/// run by `eval()`, which PHP names `FILE(LINE) : eval()'d code` (mix62: a hacked site's
/// backdoor sent 820 phishing messages so, held with its site's 6,000-message newsletter), or
/// a path in a directory a web site lets visitors write, where attacks drop their mailers
/// (`wp-content/uploads/.../x.php`; PHP itself writes the file name only)?
fn backdoor_marked(script: &[u8]) -> bool {
    if script.ends_with(b" : eval()'d code") {
        return true;
    }
    const DIRS: [&[u8]; 9] = [
        b"uploads", b"upload", b"tmp", b"temp", b"cache", b"images", b"img", b"files", b"media",
    ];
    let mut parts = script
        .split(|&b| b == b'/')
        .collect::<SmallVec<[&[u8]; 8]>>();
    parts.pop();
    parts
        .iter()
        .any(|p| DIRS.iter().any(|d| p.eq_ignore_ascii_case(d)))
}

mod remote;
pub use remote::remote_mailbox_count;
pub(crate) use remote::{relays, remote_count};

/// Everything `assess` reads besides the cluster.
#[derive(Debug, Clone, Copy)]
pub struct Corpus<'a> {
    /// All records of the analysis.
    pub records: &'a [MessageRecord],
    /// Their interner.
    pub strings: &'a Interner,
    /// Now, local domains, user names.
    pub ctx: &'a AnalysisContext,
    /// Per-record facts, made under `ctx` (their flags judge web and qmail uids by it).
    pub facts: &'a Facts,
    /// The sender patterns the facts were noted with (a campaign's, in its reasons).
    pub sender_patterns: &'a super::patterns::SenderPatterns,
    /// What the logs said (empty without `--log`).
    pub logs: &'a super::evidence::LogFacts,
    /// What the records are, in the reasons' shares: [`OF_QUEUE`], or the report's words
    /// when the records are the queue and the yank area together.
    pub share_of: ShareOf,
}

/// Is this uid a web server's (by passwd name, else by its usual number)?
pub fn is_web_uid(uid: u32, ctx: &AnalysisContext) -> bool {
    if ctx.site_domains.contains_key(&uid) {
        return true;
    }
    match ctx.users.get(&uid) {
        Some(name) => WEB_USERS.contains(&name.as_str()),
        None => WEB_UIDS.contains(&uid),
    }
}

/// Remote recipients from which a message is a wide fan-out.
pub(crate) const WIDE: u32 = 10;

/// The measured signals of one cluster.
#[derive(Debug, Default)]
pub(crate) struct Signals {
    pub(crate) share: f64,
    pub(crate) remote_min: u32,
    pub(crate) remote_max: u32,
    pub(crate) remote_msgs: usize,
    /// Messages to [`WIDE`] remote recipients or more.
    pub(crate) wide_msgs: usize,
    pub(crate) auth_msgs: usize,
    pub(crate) auth_users: HashSet<Sym>,
    pub(crate) ips: HashMap<Sym, usize>,
    pub(crate) nets: HashSet<Sym>,
    pub(crate) foreign: usize,
    pub(crate) foreign_known: usize,
    pub(crate) web_remote: usize,
    pub(crate) script_msgs: usize,
    /// Messages from a PHP script in a directory web attacks drop mailers in.
    pub(crate) upload_script_msgs: usize,
    /// Messages from a PHP script sending far more than the queue's others
    /// ([`ScriptNorms::is_heavy`]).
    pub(crate) heavy_script_msgs: usize,
    pub(crate) web_forged_from: usize,
    /// Messages whose X-PHP-Originating-Script is not where PHP writes it.
    pub(crate) forged_script_msgs: usize,
    pub(crate) local_remote: usize,
    pub(crate) null_remote: usize,
    /// Bounces to local recipients only (remote servers returning mail sent as local users).
    pub(crate) null_local: usize,
    pub(crate) relay: usize,
    /// Of [`Signals::relay`], those whose client authenticated (the protocol `ESMTPA`,
    /// `ESMTPSA`, RFC 3848) though no header names the login: a guessed password whose user
    /// only the smtpd log names, no open relay.
    pub(crate) relay_authenticated: usize,
    /// Of [`Signals::relay`], those whose envelope sender is at a domain known not to be this
    /// server's: an open relay's spam, not a POP-before-SMTP user's mail as this server.
    pub(crate) relay_foreign: usize,
    /// Of [`Signals::relay`], those whose envelope sender is at one of this server's domains.
    pub(crate) relay_own: usize,
    /// Messages from a private or loopback client sending as one of this server's domains
    /// ([`Facts`]' `internal_own`).
    pub(crate) internal_own: usize,
    /// Of them, those writing as a domain not this server's in From, from no list's bounce
    /// address ([`flags::Bit::InternalForgedFrom`]).
    pub(crate) internal_forged: usize,
    /// Authenticated messages whose Reply-To is at another domain ([`Facts`]'
    /// `reply_elsewhere`).
    pub(crate) reply_elsewhere: usize,
    /// Messages a login sent as a forged-sender campaign's generated name.
    pub(crate) campaign: usize,
    pub(crate) template: Option<(KeyValue, usize)>,
    /// Distinct envelope senders: all of them when [`Signals::all_senders`], else counted up
    /// to [`MANY_SENDERS`] only.
    pub(crate) senders: usize,
    /// [`Signals::senders`] counts every sender ([`measure`], for the reasons that name their
    /// number), not only up to [`MANY_SENDERS`] ([`measure_score`]).
    pub(crate) all_senders: bool,
}

/// The flag bits some member of a cluster has ([`Facts::seen`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Seen(u32);

impl Seen {
    /// Does some member have `bit`?
    pub(crate) fn has(self, bit: Bit) -> bool {
        self.0 & bit.mask() != 0
    }
}

/// Distinct envelope senders from which a cluster "sends as many addresses": a login as a new
/// one each time, a list through its VERP addresses. A score only asks whether a cluster has
/// this many ([`measure_score`] counts no further); the reasons name the number.
pub(crate) const MANY_SENDERS: usize = 10;
