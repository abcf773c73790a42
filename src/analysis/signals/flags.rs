//! Each record's yes/no signals as bits, derived once per analysis: a cluster's tally counts
//! bits instead of deriving them again from the record and five columns for every key it is
//! a member under (nine keys in `top`, four in the header ranking).

use rayon::prelude::*;

use super::{backdoor_marked, is_web_uid, ScriptNorms, WIDE};
use crate::analysis::context::AnalysisContext;
use crate::queue::{Interner, MessageRecord, OriginKind, Sym};

/// One yes/no signal of a record; its bit in the record's flag word is `1 << bit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Bit {
    /// Remote recipients (more than none).
    Remote,
    /// [`WIDE`] remote recipients or more.
    Wide,
    /// Authenticated (`OriginKind::SmtpAuth`).
    Auth,
    /// The `foreign` column is known for it.
    ForeignKnown,
    /// ... and says foreign.
    Foreign,
    /// A script header PHP wrote.
    Script,
    /// A web script's or web user's message with remote recipients.
    WebRemote,
    /// ... whose From is at a domain not ours.
    WebForgedFrom,
    /// A script header PHP did not write.
    ForgedScript,
    /// A PHP-written script bearing a backdoor's mark: eval()'d code, or a directory web
    /// attacks drop mailers in.
    UploadScript,
    /// Injected locally by a script sending far more than the queue's others.
    HeavyScript,
    /// Injected locally, remote recipients, not by one of qmail's own uids.
    LocalRemote,
    /// A bounce (null sender or bounce origin) with remote recipients.
    NullRemote,
    /// A bounce without remote recipients.
    NullLocal,
    /// The `internal_own` column.
    InternalOwn,
    /// The `reply_elsewhere` column.
    ReplyElsewhere,
    /// Relayed: SMTP, remote recipients, no bounce, no internal host.
    Relay,
    /// ... by a client whose protocol says it authenticated.
    RelayAuthenticated,
    /// ... with an envelope sender at a domain known not to be this server's (the
    /// `smtp_foreign` column).
    RelayForeign,
    /// ... with an envelope sender at one of this server's domains.
    RelayOwn,
    /// [`Bit::InternalOwn`] to remote addresses, its From at a domain not this server's nor the
    /// envelope's, its envelope sender no mailing list's bounce address: a site's mailer
    /// writing as someone else ([`forged_inside`]).
    InternalForgedFrom,
    /// A login's message as a forged-sender campaign's generated name.
    Campaign,
}

/// How many [`Bit`]s there are.
pub(super) const BITS: usize = Bit::Campaign as usize + 1;

impl Bit {
    /// Its bit in a flag word.
    pub(crate) const fn mask(self) -> u32 {
        1 << self as u32
    }
}

/// The per-record columns the flags are derived from (besides the record itself).
pub(super) struct Columns<'a> {
    pub(super) remote: &'a [u32],
    pub(super) domains: &'a super::domains::DomainColumns,
}

/// What derives a record's flags: the context and norms they depend on, and the last script
/// and protocol judged (a flood's come in runs of one, and judging one reads its text).
struct Deriver<'a> {
    strings: &'a Interner,
    ctx: &'a AnalysisContext,
    scripts: &'a ScriptNorms,
    last_script: Option<(Sym, bool, bool)>,
    last_protocol: Option<(Sym, bool)>,
}

/// Records a rayon task derives (amortises scheduling).
const BATCH: usize = 4096;

/// Every record's flag word (no [`Bit::Campaign`]: set later, [`set_campaigns`]).
pub(super) fn derive(
    records: &[MessageRecord],
    strings: &Interner,
    ctx: &AnalysisContext,
    scripts: &ScriptNorms,
    cols: &Columns<'_>,
) -> Vec<u32> {
    let mut flags = Vec::with_capacity(records.len());
    records
        .par_iter()
        .enumerate()
        .with_min_len(BATCH)
        .map_init(
            || Deriver {
                strings,
                ctx,
                scripts,
                last_script: None,
                last_protocol: None,
            },
            |d, (i, r)| d.flags(i, r, cols),
        )
        .collect_into_vec(&mut flags);
    flags
}

impl Deriver<'_> {
    /// Record `i`'s flags, as the ranking's tally judged each member before (`Tally::of`).
    fn flags(&mut self, i: usize, r: &MessageRecord, c: &Columns<'_>) -> u32 {
        let at = |col: &[bool]| col.get(i).copied().unwrap_or(false);
        let o = &r.origin;
        let remote = c.remote.get(i).copied().unwrap_or(0);
        let has_remote = remote > 0;
        let mut f = 0;
        let mut set = |bit: Bit, yes: bool| f |= u32::from(yes) << bit as u32;
        set(Bit::Remote, has_remote);
        set(Bit::Wide, remote >= WIDE);
        set(Bit::Auth, o.kind == OriginKind::SmtpAuth);
        let foreign = c.domains.foreign.get(i).copied().flatten();
        set(Bit::ForeignKnown, foreign.is_some());
        set(Bit::Foreign, foreign == Some(true));
        // A script header PHP did not write says nothing of a web script.
        let script = o.script.is_some() && !o.script_forged;
        let local = o.kind == OriginKind::Local;
        let web = local && (script || o.uid().is_some_and(|u| is_web_uid(u, self.ctx)));
        set(Bit::WebRemote, web && has_remote);
        set(
            Bit::WebForgedFrom,
            web && has_remote && at(&c.domains.from_foreign),
        );
        set(Bit::Script, script);
        set(Bit::ForgedScript, o.script_forged);
        if let Some(sym) = o.script.filter(|_| script) {
            let (dropped, heavy) = match self.last_script {
                Some((last, dropped, heavy)) if last == sym => (dropped, heavy),
                _ => (
                    self.strings.with(sym, backdoor_marked),
                    self.scripts.is_heavy(sym),
                ),
            };
            self.last_script = Some((sym, dropped, heavy));
            set(Bit::UploadScript, dropped);
            set(Bit::HeavyScript, heavy && local);
        }
        // qmail's own uids (qmaild, qmails...) are never a local sender.
        let daemon = o.uid().is_some_and(|u| self.ctx.is_qmail_daemon(u));
        set(Bit::LocalRemote, local && has_remote && !daemon);
        let null = at(&c.domains.null_sender);
        let bounce = null || o.kind == OriginKind::Bounce;
        set(Bit::NullRemote, bounce && has_remote);
        set(Bit::NullLocal, bounce && !has_remote);
        let internal_own = at(&c.domains.internal_own);
        set(Bit::InternalOwn, internal_own);
        let forged_inside = internal_own && has_remote && forged_inside(r, self.strings, self.ctx);
        set(Bit::InternalForgedFrom, forged_inside);
        set(Bit::ReplyElsewhere, at(&c.domains.reply_elsewhere));
        let relay = o.kind == OriginKind::Smtp
            && has_remote
            && !null
            && !internal_own
            && super::relays(r, self.strings, self.ctx);
        set(Bit::Relay, relay);
        let foreign = c.domains.smtp_foreign.get(i).copied().flatten();
        set(Bit::RelayForeign, relay && foreign == Some(true));
        set(Bit::RelayOwn, relay && foreign == Some(false));
        if let Some(protocol) = o.protocol.filter(|_| relay) {
            let authenticated = match self.last_protocol {
                Some((last, yes)) if last == protocol => yes,
                _ => self
                    .strings
                    .with(protocol, crate::queue::received::is_authenticated),
            };
            self.last_protocol = Some((protocol, authenticated));
            set(Bit::RelayAuthenticated, authenticated);
        }
        f
    }
}

/// Of a message an internal client handed qmail-smtpd as this server's domain: is its From at
/// a domain not this server's nor at or below the envelope's, and its envelope sender no
/// mailing list's bounce address? A
/// hacked site's PHPMailer in SMTP mode hands its phishing to 127.0.0.1 as the site's own
/// address, From a bank (php-smtp); a list server on the host writes its members' posts so
/// too, from a bounce address (`list-bounces+member=...`, `list-return-...`, `owner-list`).
fn forged_inside(r: &MessageRecord, strings: &Interner, ctx: &AnalysisContext) -> bool {
    use crate::analysis::patterns::{domain, is_local_domain};
    let Some(from) = r.headers.from.and_then(|f| strings.with(f, domain)) else {
        return false;
    };
    let sender = r.sender.and_then(|s| strings.with(s, domain));
    // At or below the envelope's domain is its own: `nagios@mon01.example.com` of
    // `nagios@example.com`, as a login's own domain counts its subdomains.
    let below = |d: &[u8]| {
        from == d
            || (from.len() > d.len() + 1
                && from.ends_with(d)
                && from[from.len() - d.len() - 1] == b'.')
    };
    if is_local_domain(&from, &ctx.local_domains) || sender.as_deref().is_some_and(below) {
        return false;
    }
    !r.sender.is_some_and(|s| strings.with(s, is_list_bounce))
}

/// Is `sender` a mailing list's bounce address (`list-bounces+member=...`, `list-return-...`,
/// `owner-list`): a list server writing its members' posts, not a site's mailer?
pub(crate) fn is_list_bounce(sender: &[u8]) -> bool {
    let at = sender
        .iter()
        .rposition(|&b| b == b'@')
        .unwrap_or(sender.len());
    let local = sender[..at].to_ascii_lowercase();
    let has = |part: &[u8]| memchr::memmem::find(&local, part).is_some();
    local.ends_with(b"-bounces")
        || has(b"-bounces+")
        || has(b"-return-")
        || local.starts_with(b"owner-")
}

/// [`Bit::Campaign`] set in `flags` for each record `is_campaign` says.
pub(super) fn set_campaigns(flags: &mut [u32], is_campaign: impl Fn(usize) -> bool) {
    // Written both ways: set again, a word keeps no campaign bit of an earlier call.
    for (i, f) in flags.iter_mut().enumerate() {
        match is_campaign(i) {
            true => *f |= Bit::Campaign.mask(),
            false => *f &= !Bit::Campaign.mask(),
        }
    }
}

/// Members' flag words counted bit by bit: a cluster's members come in queue order, where a
/// flood's messages come in runs of one flag word, so a run costs one comparison a member and
/// one count a set bit at its end.
#[derive(Default)]
pub(super) struct FlagCounts {
    counts: [usize; BITS],
    last: u32,
    run: usize,
}

impl FlagCounts {
    /// One member's flag word.
    #[inline]
    pub(super) fn add(&mut self, f: u32) {
        if f != self.last {
            self.flush();
            self.last = f;
        }
        self.run += 1;
    }

    /// The run counted into each of its bits.
    fn flush(&mut self) {
        let mut bits = self.last;
        while bits != 0 {
            self.counts[bits.trailing_zeros() as usize] += self.run;
            bits &= bits - 1;
        }
        self.run = 0;
    }

    /// The counts of every bit, once every member is added.
    pub(super) fn finish(mut self) -> [usize; BITS] {
        self.flush();
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Basis;
    use crate::fixture::flood::{write_flood, FloodSpec, Mix};
    use crate::fixture::{MessageSpec, QueueBuilder};
    use crate::queue::{scan, Progress, Queue, QueueOptions, ScanOptions};

    /// What the tally derived for member `i` before the flags (`Tally::of` at `a02c8c3`), from
    /// the record, the facts' columns and the context, as a flag word.
    fn old_flags(
        i: usize,
        r: &MessageRecord,
        facts: &super::super::Facts,
        b: &Basis,
        strings: &Interner,
    ) -> u32 {
        let ctx = &b.ctx;
        let empty = strings.intern(b"");
        let super::super::domains::DomainColumns {
            null_sender,
            internal_own,
            reply_elsewhere,
            smtp_foreign,
            ..
        } = super::super::foreign_and_null(std::slice::from_ref(r), strings, ctx, empty);
        let o = &r.origin;
        let remote = facts.remote[i];
        let has_remote = remote > 0;
        let mut f = 0u32;
        let mut set = |bit: Bit, yes: bool| {
            if yes {
                f |= bit.mask();
            }
        };
        set(Bit::Remote, has_remote);
        set(Bit::Wide, remote >= WIDE);
        set(Bit::Auth, o.kind == OriginKind::SmtpAuth);
        if let Some(Some(x)) = facts.foreign.get(i) {
            set(Bit::ForeignKnown, true);
            set(Bit::Foreign, *x);
        }
        let script = o.script.is_some() && !o.script_forged;
        let web =
            o.kind == OriginKind::Local && (script || o.uid().is_some_and(|u| is_web_uid(u, ctx)));
        set(Bit::WebRemote, web && has_remote);
        let forged_from = facts.from_foreign[i];
        set(Bit::WebForgedFrom, web && has_remote && forged_from);
        set(Bit::Script, script);
        set(Bit::ForgedScript, o.script_forged);
        if let Some(script) = o.script.filter(|_| script) {
            set(Bit::UploadScript, strings.with(script, backdoor_marked));
            let heavy = facts.scripts.is_heavy(script);
            set(Bit::HeavyScript, heavy && o.kind == OriginKind::Local);
        }
        let daemon = o.uid().is_some_and(|u| ctx.is_qmail_daemon(u));
        set(
            Bit::LocalRemote,
            o.kind == OriginKind::Local && has_remote && !daemon,
        );
        let null = null_sender[0];
        let bounce = null || o.kind == OriginKind::Bounce;
        set(Bit::NullRemote, bounce && has_remote);
        set(Bit::NullLocal, bounce && !has_remote);
        set(Bit::InternalOwn, internal_own[0]);
        // Since session 57: the same derivation (it has no older one).
        let inside = internal_own[0] && has_remote && super::forged_inside(r, strings, ctx);
        set(Bit::InternalForgedFrom, inside);
        set(Bit::ReplyElsewhere, reply_elsewhere[0]);
        set(Bit::Campaign, facts.campaigns.has(i));
        // Since session 64 a recipient at an rcpthosts domain is not relayed (mix64's Q2).
        let relay = o.kind == OriginKind::Smtp
            && has_remote
            && !null
            && !internal_own[0]
            && super::super::relays(r, strings, ctx);
        set(Bit::Relay, relay);
        // Since session 64: the same derivation (it has no older one).
        set(Bit::RelayForeign, relay && smtp_foreign[0] == Some(true));
        set(Bit::RelayOwn, relay && smtp_foreign[0] == Some(false));
        if let Some(protocol) = o.protocol.filter(|_| relay) {
            let yes = strings.with(protocol, crate::queue::received::is_authenticated);
            set(Bit::RelayAuthenticated, yes);
        }
        f
    }

    /// Every record's flags are what the tally derived for it before, on generated mixes
    /// that set each bit in some record and leave it unset in another (web, qmail daemon and
    /// other uids named).
    #[test]
    fn flags_are_the_old_derivation() {
        let mut set = [0usize; BITS];
        let mut unset = [0usize; BITS];
        // Mixes that between them set every bit but four; a forged script header (below
        // a MIME-Version line), a login's Reply-To elsewhere, two uids' messages, a script in
        // an upload directory and three small scripts are added to each.
        for mix in [
            Mix::Reference,
            Mix::PhpHeavy,
            Mix::BackscatterHeavy,
            Mix::TodoOnly,
            Mix::LogOnlyAuth,
            Mix::PhpSmtp,
            Mix::PluginHeavy,
            Mix::WeakAccounts,
            Mix::OpenRelay,
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let fq = QueueBuilder::new(dir.path().join("q"))
                .create()
                .expect("queue");
            let spec = FloodSpec::new(300, 7, 1_795_428_000).with_mix(mix);
            write_flood(&fq, &spec).expect("flood");
            let forged = MessageSpec::new()
                .local_uid(1005)
                .header("MIME-Version", "1.0")
                .header("X-PHP-Originating-Script", "1005:shop/x.php")
                .remote("r@dest.example");
            let reply = MessageSpec::new()
                .received_from("198.51.100.7")
                .auth("ann@example.org")
                .sender("ann@example.org")
                .from_header("ann@example.org")
                .header("Reply-To", "claims@elsewhere.example")
                .remote("r@dest.example");
            // Local mail with remote recipients by a qmail daemon's uid and by the web
            // server's without a script header.
            let daemon = MessageSpec::new().local_uid(89).remote("r@dest.example");
            let web = MessageSpec::new().local_uid(48).remote("r@dest.example");
            // PHP writes the file name only; a header naming an upload directory is a
            // patched PHP's or a panel's (the generator's mixes have none since session 55).
            let upload = MessageSpec::new()
                .local_uid(48)
                .php_script(48, "wp-content/uploads/2019/07/mailer.php")
                .remote("r@dest.example");
            for m in [forged, reply, daemon, web, upload] {
                fq.add(&m).expect("add");
            }
            // Three scripts of one message each: a mix's one mailer is then ten times the
            // median script (with one or two names, none is compared and none is heavy).
            for name in ["a.php", "b.php", "c.php"] {
                let small = MessageSpec::new().local_uid(1006).php_script(1006, name);
                fq.add(&small.remote("r@dest.example")).expect("add");
            }
            let queue = Queue::open(fq.root(), QueueOptions::default()).expect("open");
            let strings = Interner::new();
            let scanned = scan(
                &queue,
                &strings,
                ScanOptions::default(),
                &Progress::default(),
            )
            .expect("scan");
            let records = scanned.records;
            // The generator's server domain: without one no sender is known foreign.
            let mut ctx = AnalysisContext {
                now: 1_795_428_000,
                local_domains: vec!["example.com".into()],
                ..AnalysisContext::default()
            };
            ctx.users.insert(48, "apache".into());
            ctx.users.insert(89, "qmaild".into());
            ctx.users.insert(1005, "alice".into());
            let b = Basis::new(&records, &strings, &ctx);
            let mut olds = Vec::new();
            for (i, r) in records.iter().enumerate() {
                let want = old_flags(i, r, &b.facts, &b, &strings);
                olds.push(want);
                assert_eq!(b.facts.flags[i], want, "{mix:?} record {i}");
                for (bit, (s, u)) in set.iter_mut().zip(&mut unset).enumerate() {
                    *if want & (1 << bit) != 0 { s } else { u } += 1;
                }
            }
            // The tally's counts, of every record and of every third, are the old flags'.
            let logs = crate::analysis::evidence::LogFacts::default();
            let corpus = b.corpus(&records, &strings, &logs, super::super::OF_QUEUE);
            let all: Vec<u32> = (0..records.len() as u32).collect();
            let thirds: Vec<u32> = all.iter().copied().step_by(3).collect();
            for members in [all, thirds] {
                let t = super::super::tally::Tally::of(&members, &corpus, true).s;
                let n = |bit: Bit| {
                    let m = bit.mask();
                    members
                        .iter()
                        .filter(|&&i| olds[i as usize] & m != 0)
                        .count()
                };
                let got = [
                    t.remote_msgs,
                    t.wide_msgs,
                    t.auth_msgs,
                    t.foreign_known,
                    t.foreign,
                    t.script_msgs,
                    t.web_remote,
                    t.web_forged_from,
                    t.forged_script_msgs,
                    t.upload_script_msgs,
                    t.heavy_script_msgs,
                    t.local_remote,
                    t.null_remote,
                    t.null_local,
                    t.internal_own,
                    t.reply_elsewhere,
                    t.relay,
                    t.relay_authenticated,
                    t.relay_foreign,
                    t.relay_own,
                    t.campaign,
                ];
                let want = [
                    Bit::Remote,
                    Bit::Wide,
                    Bit::Auth,
                    Bit::ForeignKnown,
                    Bit::Foreign,
                    Bit::Script,
                    Bit::WebRemote,
                    Bit::WebForgedFrom,
                    Bit::ForgedScript,
                    Bit::UploadScript,
                    Bit::HeavyScript,
                    Bit::LocalRemote,
                    Bit::NullRemote,
                    Bit::NullLocal,
                    Bit::InternalOwn,
                    Bit::ReplyElsewhere,
                    Bit::Relay,
                    Bit::RelayAuthenticated,
                    Bit::RelayForeign,
                    Bit::RelayOwn,
                    Bit::Campaign,
                ]
                .map(n);
                assert_eq!(got, want, "{mix:?}, {} members", members.len());
            }
        }
        let never: Vec<usize> = (0..BITS)
            .filter(|&b| set[b] == 0 || unset[b] == 0)
            .collect();
        assert!(
            never.is_empty(),
            "bits never set or never unset: {never:?} ({set:?})"
        );
    }

    #[test]
    fn runs_are_counted_into_each_bit() {
        let words = [
            0,
            Bit::Remote.mask(),
            Bit::Remote.mask(),
            Bit::Remote.mask() | Bit::Campaign.mask(),
            0,
            Bit::Campaign.mask(),
            Bit::Remote.mask(),
        ];
        let mut c = FlagCounts::default();
        for w in words {
            c.add(w);
        }
        let counts = c.finish();
        for (bit, &got) in counts.iter().enumerate() {
            let want = words.iter().filter(|&&w| w & (1 << bit) != 0).count();
            assert_eq!(got, want, "bit {bit}");
        }
        assert_eq!(counts[Bit::Remote as usize], 4);
        assert_eq!(counts[Bit::Campaign as usize], 2);
    }

    #[test]
    fn every_bit_fits_a_word() {
        const { assert!(BITS <= 32) };
        assert_eq!(Bit::Campaign.mask(), 1 << (BITS - 1));
    }
}
