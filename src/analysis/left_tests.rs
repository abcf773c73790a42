//! Unit tests of `crate::analysis::left`.
use super::*;
use crate::analysis::key::{ClusterKey, KeyValue};
use crate::fixture::record::{record, with_recipients};
use crate::queue::Channel;

/// A culprit's records: `remote` to 40 harvested addresses each, `local` to the site's own
/// mailbox (not yet preprocessed: judged by the domain), `none` with no recipient at all.
fn culprit(remote: usize, local: usize, none: usize) -> (Interner, Vec<MessageRecord>, Cluster) {
    let strings = Interner::new();
    let mut records = Vec::new();
    let harvested: Vec<String> = (0..40)
        .map(|k| format!("x{k}@mail{k}.example.net"))
        .collect();
    for n in 0..remote + local + none {
        let mut r = record(n as u64 + 1);
        if n < remote {
            with_recipients(&mut r, &strings, Channel::Todo, &harvested);
        } else if n < remote + local {
            with_recipients(
                &mut r,
                &strings,
                Channel::Todo,
                &["orders@greenbakery.example"],
            );
        }
        records.push(r);
    }
    let c = cluster(ClusterKey::Script, strings.intern(b"contact.php"), &records);
    (strings, records, c)
}

/// The culprit cluster of `key` and `value` whose members are all of `records`.
fn cluster(key: ClusterKey, value: crate::queue::Sym, records: &[MessageRecord]) -> Cluster {
    let members: Vec<u32> = (0..records.len() as u32).collect();
    Cluster {
        key,
        value: Some(KeyValue::Text(value)),
        messages: members.len(),
        recipients: 0,
        members,
        bytes: 0,
        first_queued: 0,
        last_queued: 0,
        per_minute: 0.0,
        score: 50.0,
        reasons: vec![],
    }
}

fn ctx() -> AnalysisContext {
    AnalysisContext {
        local_domains: vec!["greenbakery.example".into()],
        mailbox_domains: vec!["greenbakery.example".into()],
        ..AnalysisContext::default()
    }
}

#[test]
fn a_culprits_few_messages_to_local_mailboxes_only_are_left() {
    let (strings, records, c) = culprit(1_200, 62, 0);
    let left = local_only(&c, &records, &strings, &ctx(), |_| true).expect("a part left");
    assert_eq!(left.members, (1_200..1_262).collect::<Vec<u32>>());
    assert!(left.holds(1_200) && !left.holds(0));
}

#[test]
fn a_culprit_mostly_writing_to_local_users_is_taken_whole() {
    // A fifth is left; more is the culprit's own shape (inbound spam, internal phishing).
    let (strings, records, c) = culprit(400, 100, 0);
    assert!(local_only(&c, &records, &strings, &ctx(), |_| true).is_some());
    let (strings, records, c) = culprit(400, 101, 0);
    assert_eq!(local_only(&c, &records, &strings, &ctx(), |_| true), None);
}

#[test]
fn a_domain_not_this_servers_is_remote_and_no_recipient_is_not_local() {
    let (strings, records, c) = culprit(1_200, 62, 5);
    // Without the site's domain among this server's, its mailbox is a remote address; and a
    // domain this server only accepts mail for (rcpthosts, a backup MX's) is relayed on.
    let none = AnalysisContext::default();
    assert_eq!(local_only(&c, &records, &strings, &none, |_| true), None);
    let relayed = AnalysisContext {
        local_domains: vec!["greenbakery.example".into()],
        ..AnalysisContext::default()
    };
    assert_eq!(local_only(&c, &records, &strings, &relayed, |_| true), None);
    // A message with no recipient (a truncated envelope) is not left as local mail.
    let left = local_only(&c, &records, &strings, &ctx(), |_| true).expect("a part left");
    assert_eq!(left.members.len(), 62);
}

#[test]
fn the_share_is_of_the_members_still_judged() {
    // 62 of 262 judged (the others already left as its owner's): more than a fifth.
    let (strings, records, c) = culprit(1_200, 62, 0);
    let judged = |i: u32| i >= 1_000;
    assert_eq!(local_only(&c, &records, &strings, &ctx(), judged), None);
}

/// An account's records: `diverted` with replies sent to another domain, on one invoice
/// template; `own` without, each on a subject of its own; `alike` without, on the invoice's.
fn account(diverted: usize, own: usize, alike: usize) -> (Interner, Vec<MessageRecord>, Cluster) {
    let strings = Interner::new();
    let mut records = Vec::new();
    for n in 0..diverted + own + alike {
        let mut r = record(n as u64 + 1);
        r.headers.reply_elsewhere = n < diverted;
        let subject = match n < diverted || n >= diverted + own {
            true => format!("Outstanding invoice INV-{n}: payment due"),
            false => ["Re: lunch", "Photos", "Minutes of the call"][n % 3].to_string(),
        };
        r.headers.subject = Some(strings.intern(subject.as_bytes()));
        records.push(r);
    }
    let c = cluster(
        ClusterKey::AuthUser,
        strings.intern(b"margaret@example.com"),
        &records,
    );
    (strings, records, c)
}

#[test]
fn a_hijacked_accounts_mail_keeping_its_replies_is_left() {
    let (strings, records, c) = account(900, 31, 0);
    let left = undiverted(&c, &records, &strings, |_| true).expect("her mail left");
    assert_eq!(left.members, (900..931).collect::<Vec<u32>>());
    // More than a fifth keeps its replies: the account's own way of writing, taken whole.
    let (strings, records, c) = account(400, 101, 0);
    assert_eq!(undiverted(&c, &records, &strings, |_| true), None);
    // Nothing diverted: nothing to tell apart.
    let (strings, records, c) = account(0, 30, 0);
    assert_eq!(undiverted(&c, &records, &strings, |_| true), None);
}

#[test]
fn only_an_accounts_mail_is_split_by_its_replies() {
    let (strings, records, mut c) = account(900, 31, 0);
    c.key = ClusterKey::Subject;
    assert_eq!(undiverted(&c, &records, &strings, |_| true), None);
}

#[test]
fn an_account_whose_undiverted_mail_is_on_the_frauds_template_is_taken_whole() {
    // review62: 30 frauds on the invoice template without Reply-To were left as hers.
    let (strings, records, c) = account(150, 0, 30);
    assert_eq!(undiverted(&c, &records, &strings, |_| true), None);
    // One is enough: the part is the hijacker's too.
    let (strings, records, c) = account(120, 10, 1);
    assert_eq!(undiverted(&c, &records, &strings, |_| true), None);
}

/// A guessed login `support@example.com`'s records: `spam` as other domains' senders under
/// two templates, `own` as itself (its owner's replies; `alike` of them on the spam's
/// template).
fn guessed(spam: usize, own: usize, alike: usize) -> (Interner, Vec<MessageRecord>, Cluster) {
    let strings = Interner::new();
    let mut records = Vec::new();
    for n in 0..spam + own {
        let mut r = record(n as u64 + 1);
        let (sender, subject) = match n < spam {
            true => (
                format!("info{n}@deals{}.example", n % 7),
                format!("Offer {n}"),
            ),
            false if n < spam + alike => ("Support@Example.com".into(), format!("Offer {n}")),
            false => ("support@example.com".into(), format!("Re: ticket {n}")),
        };
        r.sender = Some(strings.intern(sender.as_bytes()));
        r.headers.subject = Some(strings.intern(subject.as_bytes()));
        records.push(r);
    }
    let c = cluster(
        ClusterKey::AuthUser,
        strings.intern(b"support@example.com"),
        &records,
    );
    (strings, records, c)
}

#[test]
fn a_guessed_accounts_mail_as_its_own_domain_is_left() {
    let (strings, records, c) = guessed(300, 22, 0);
    let (left, domain) =
        own_domain(&c, &records, &strings, &no_ctx(), |_| true).expect("its owner's");
    assert_eq!(left.members, (300..322).collect::<Vec<u32>>());
    assert_eq!(domain, OwnDomain::Sender("example.com".into()));
    // Judged on what is still counted: the owner's office mail left by its IPs already.
    let counted = |i: u32| i < 310;
    let (left, _) =
        own_domain(&c, &records, &strings, &no_ctx(), counted).expect("the rest of hers");
    assert_eq!(left.members, (300..310).collect::<Vec<u32>>());
}

#[test]
fn an_account_writing_much_or_spam_as_itself_is_taken_whole() {
    // More than a fifth as itself: the login's own shape (a ring sending as each account).
    let (strings, records, c) = guessed(300, 76, 0);
    assert_eq!(
        own_domain(&c, &records, &strings, &no_ctx(), |_| true),
        None
    );
    // Some of it on the spam's template (in any case): the spammer's, taken whole.
    let (strings, records, c) = guessed(300, 22, 1);
    assert_eq!(
        own_domain(&c, &records, &strings, &no_ctx(), |_| true),
        None
    );
    // Only an account's mail is split so, and only a login with a domain.
    let (strings, records, mut c) = guessed(300, 22, 0);
    c.key = ClusterKey::Subject;
    assert_eq!(
        own_domain(&c, &records, &strings, &no_ctx(), |_| true),
        None
    );
    c.key = ClusterKey::AuthUser;
    c.value = Some(KeyValue::Text(strings.intern(b"support")));
    assert_eq!(
        own_domain(&c, &records, &strings, &no_ctx(), |_| true),
        None
    );
}

fn no_ctx() -> AnalysisContext {
    AnalysisContext::default()
}

/// mix65's hacked site: uid 10017 runs `gartenbau-lindner.de` (its passwd home), and besides its
/// spam From banks its WordPress sent two password resets From `wordpress@` the site.
#[test]
fn a_hacked_sites_mail_from_its_own_domain_is_left() {
    let (strings, mut records, mut c) = guessed(300, 22, 0);
    for r in records.iter_mut() {
        let own = strings.with(r.sender.expect("a sender"), |a| a.starts_with(b"support"));
        let from = match own {
            true => "wordpress@WWW.gartenbau-lindner.de",
            false => "service@bank-login.example",
        };
        r.headers.from = Some(strings.intern(from.as_bytes()));
        r.sender = Some(strings.intern(b"anonymous@web03.example.com"));
    }
    c.key = ClusterKey::Uid;
    c.value = Some(KeyValue::Text(strings.intern(b"10017")));
    let mut ctx = no_ctx();
    assert_eq!(own_domain(&c, &records, &strings, &ctx, |_| true), None);
    ctx.site_domains
        .insert(10_017, "www.gartenbau-lindner.de".into());
    let (left, site) = own_domain(&c, &records, &strings, &ctx, |_| true).expect("the site's");
    assert_eq!(left.members, (300..322).collect::<Vec<u32>>());
    assert_eq!(site, OwnDomain::From("gartenbau-lindner.de".into()));
}
