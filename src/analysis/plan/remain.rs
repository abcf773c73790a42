//! What a plan leaves in the queue, summarised by kind in the operator's words.

use std::collections::BTreeMap;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::PlanInput;
use crate::analysis::backscatter::is_bounce;
use crate::analysis::patterns::{domain, is_local_domain};
use crate::queue::{Channel, MessageRecord, OriginKind, Sym};
use crate::size::thousands;

/// The kinds of remaining mail, as tallied.
#[derive(Default)]
struct Tally {
    /// AUTH user → (IPs, messages whose sender domain is the login's own or local).
    auth: HashMap<Sym, (HashSet<Sym>, usize, usize)>,
    inbound: (usize, HashSet<Vec<u8>>),
    /// Messages, and each client IP's.
    relayed: (usize, HashMap<Sym, usize>),
    /// The same, of clients that logged in (`with ESMTPA`) though no header names the account:
    /// "without a login" they are not (mix61: 2,800 of a guessed login's and 970 real).
    logged_in: (usize, HashMap<Sym, usize>),
    /// Whether each protocol word says the client logged in: a handful a queue, judged once.
    authenticated: HashMap<Sym, bool>,
    local: BTreeMap<String, usize>,
    bounces: usize,
    /// Remote servers' bounces to local users only.
    inbound_bounces: usize,
    other: usize,
    /// Restored from the yank area by the operator.
    restored: usize,
}

/// The remaining messages (those not `taken`) by kind, largest first.
pub(super) fn remaining(input: PlanInput<'_>, taken: &[bool]) -> Vec<super::Remaining> {
    let mut t = Tally::default();
    for (i, r) in input.records.iter().enumerate() {
        if taken.get(i) == Some(&true) {
            continue;
        }
        match input.is_restored(i) {
            true => t.restored += 1,
            false => t.add(&input, r),
        }
    }
    t.words(input.strings)
}

impl Tally {
    fn add(&mut self, input: &PlanInput<'_>, r: &MessageRecord) {
        let (strings, ctx) = (input.strings, input.tables.ctx);
        let o = &r.origin;
        let local_only = || {
            r.recipients.domains(strings).iter().all(|rd| {
                rd.channel == Channel::Local
                    || rd
                        .domain
                        .is_some_and(|d| is_local_domain(&strings.resolve(d), &ctx.local_domains))
            })
        };
        if is_bounce(r, strings) {
            match o.ip.is_some() && local_only() {
                true => self.inbound_bounces += 1,
                false => self.bounces += 1,
            }
            return;
        }
        match o.kind {
            OriginKind::SmtpAuth => {
                let Some(user) = o.auth_user else {
                    self.other += 1;
                    return;
                };
                let e = self.auth.entry(user).or_default();
                e.0.extend(o.ip);
                e.1 += 1;
                e.2 += usize::from(sends_as_itself(input, r, user));
            }
            OriginKind::Smtp => {
                if local_only() {
                    self.inbound.0 += 1;
                    let d = r.sender.and_then(|s| domain(&strings.resolve(s)));
                    self.inbound.1.extend(d);
                } else {
                    let logged_in = o.protocol.is_some_and(|p| {
                        *(self.authenticated.entry(p)).or_insert_with(|| {
                            strings.with(p, crate::queue::received::is_authenticated)
                        })
                    });
                    let tally = match logged_in {
                        true => &mut self.logged_in,
                        false => &mut self.relayed,
                    };
                    tally.0 += 1;
                    if let Some(ip) = o.ip {
                        *tally.1.entry(ip).or_default() += 1;
                    }
                }
            }
            OriginKind::Local => {
                let who = match o.uid() {
                    Some(u) => match ctx.users.get(&u) {
                        Some(name) => name.clone(),
                        None => format!("uid {u}"),
                    },
                    None => "an unknown uid".into(),
                };
                *self.local.entry(who).or_default() += 1;
            }
            _ => self.other += 1,
        }
    }

    fn words(self, strings: &crate::queue::Interner) -> Vec<super::Remaining> {
        let mut out = Vec::new();
        let mut push = |messages: usize, words: String| {
            if messages > 0 {
                out.push(super::Remaining { messages, words });
            }
        };
        let (users, auth_msgs, own, one_ip) =
            self.auth
                .values()
                .fold((0, 0, 0, 0), |(u, m, own, one), (ips, n, k)| {
                    (u + 1, m + n, own + k, one + usize::from(ips.len() <= 1))
                });
        let from = match one_ip {
            n if n == users => " each from one IP".to_string(),
            0 => String::new(),
            // "each": "4 of them from one IP" read as four logins sharing an IP (newuser57).
            n => format!(" ({} of them each from one IP)", thousands(n)),
        };
        // "mostly" only for most: 4,000 of 4,400 sending as another domain's address read as
        // "mostly sending as themselves" (newuser51b, a monitoring login's alerts).
        let sending = match own {
            o if o == auth_msgs => "sending as themselves",
            0 => "sending as other domains' addresses",
            o if o * 2 > auth_msgs => "mostly sending as themselves",
            _ => "mostly sending as other domains' addresses",
        };
        let plural = if users == 1 { "" } else { "s" };
        push(
            auth_msgs,
            format!(
                "from {} AUTH user{plural}{from}, {sending}",
                thousands(users)
            ),
        );
        let n = self.inbound.1.len();
        push(
            self.inbound.0,
            format!(
                "inbound mail from {} sender domain{} to local users",
                thousands(n),
                s(n)
            ),
        );
        let n = self.relayed.1.len();
        push(
            self.relayed.0,
            format!(
                "from {} SMTP client{} without a login to remote addresses{}",
                thousands(n),
                s(n),
                named_clients(&self.relayed.1, strings)
            ),
        );
        let n = self.logged_in.1.len();
        push(
            self.logged_in.0,
            format!(
                "from {} SMTP client{} that logged in (ESMTPA) to remote addresses, no header \
                 naming the account{} (--log names it)",
                thousands(n),
                s(n),
                named_clients(&self.logged_in.1, strings)
            ),
        );
        let mut local: Vec<(String, usize)> = self.local.into_iter().collect();
        local.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let local_n = local.iter().map(|l| l.1).sum();
        let names: Vec<String> = local
            .iter()
            .take(3)
            .map(|(who, n)| format!("{who} {}", thousands(*n)))
            .collect();
        let more = if local.len() > 3 { ", ..." } else { "" };
        // Said by where it was queued, not as "local mail": beside "inbound mail ... to local
        // users" that read as mail for this host's users, to keep, when it was a hacked
        // plugin's phishing run the ranking holds (newuser56).
        push(
            local_n,
            format!("queued on this host ({}{more})", names.join(", ")),
        );
        push(self.bounces, NO_CULPRIT.into());
        push(
            self.inbound_bounces,
            "bounces from remote servers to local users (mail sent as them elsewhere, or their \
             own mail returned): not taken"
                .into(),
        );
        push(self.other, "of other origins (aliases, unknown)".into());
        push(self.restored, restored_words(&[]));
        out.sort_by_key(|r| std::cmp::Reverse(r.messages));
        out
    }
}

/// Clients named in what remains: up to this many, so that one is not left unnamed.
const CLIENTS_NAMED: usize = 3;

/// ` (127.0.0.1 750)`: the clients relaying without a login, when they are few enough to name,
/// largest first. Mail to remote addresses from a client without a login is an open relay or
/// a local site's mailer (a hacked site's PHPMailer handing phishing to qmail-smtpd on
/// 127.0.0.1, which the ranking calls legitimate: php-smtp); which one is the operator's next
/// question (review of session 57).
fn named_clients(clients: &HashMap<Sym, usize>, strings: &crate::queue::Interner) -> String {
    if clients.is_empty() || clients.len() > CLIENTS_NAMED {
        return String::new();
    }
    let mut named: Vec<(String, usize)> = (clients.iter())
        .map(|(&ip, &n)| (strings.text(ip), n))
        .collect();
    named.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let words: Vec<String> = (named.iter())
        .map(|(ip, n)| format!("{ip} {}", thousands(*n as u64)))
        .collect();
    format!(" ({})", words.join(", "))
}

/// How the kind of the messages the operator restored begins: a dry run that says those apart
/// already leaves that kind out of its `careful:` list.
pub const RESTORED_KIND: &str = "restored from the yank area by the operator";

/// The words of the messages the operator restored, naming the culprits restored whole.
fn restored_words(culprits: &[String]) -> String {
    let whole = match culprits.len() {
        0 => String::new(),
        1 => format!("; every message of the culprit {}", culprits[0]),
        _ => format!("; every message of the culprits {}", culprits.join(", ")),
    };
    format!(
        "{RESTORED_KIND}: kept, whatever their cluster's verdict{whole} (qtriage list \
         restored:yes lists them; qtriage yank 'restored:yes QUERY' takes them back)"
    )
}

/// Name in the restored kind the culprits whose every message the operator restored.
pub(super) fn name_restored(remaining: &mut [super::Remaining], culprits: &[String]) {
    let plain = restored_words(&[]);
    if let Some(r) = remaining.iter_mut().find(|r| r.words == plain) {
        r.words = restored_words(culprits);
    }
}

/// The words of the bounces that quote no culprit's origin.
const NO_CULPRIT: &str = "bounces quoting no culprit's message";

/// Count `kind` (bounces among those quoting no culprit's origin) as a kind of its own.
pub(super) fn set_apart(remaining: &mut Vec<super::Remaining>, kind: super::Remaining) {
    if let Some(r) = remaining.iter_mut().find(|r| r.words == NO_CULPRIT) {
        r.messages = r.messages.saturating_sub(kind.messages);
    }
    remaining.retain(|r| r.messages > 0);
    remaining.push(kind);
    remaining.sort_by_key(|r| std::cmp::Reverse(r.messages));
}

fn s(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Does an authenticated message use its login's own domain (or a local one for a bare login)?
fn sends_as_itself(input: &PlanInput<'_>, r: &MessageRecord, user: Sym) -> bool {
    let strings = input.strings;
    let own = domain(&strings.resolve(user));
    let Some(sender) = r.sender.and_then(|s| domain(&strings.resolve(s))) else {
        return true;
    };
    match own {
        Some(o) => o == sender,
        None => is_local_domain(&sender, &input.tables.ctx.local_domains),
    }
}
