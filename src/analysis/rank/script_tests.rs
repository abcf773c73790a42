//! A shared host's scripts (the `shared-php` mix): every customer's shop, password reset and
//! contact form writes as a domain not this server's, at a few dozen messages each, beside one
//! hacked plugin's flood. Only the flood is a culprit; a lone script writing as someone else
//! still is.
use std::sync::Arc;

use super::tests::{run, Rec};
use super::*;
use crate::analysis::Analysis;
use crate::queue::{Channel, MessageRecord};

/// Ids from 100,000 up are the spam's.
const SPAM: u64 = 100_000;

/// One message by uid 48's `script`, From: `from`, to one remote recipient.
fn by_script(s: &Interner, id: u64, script: &str, from: &str, subject: &str) -> MessageRecord {
    let mut r = Rec::new(s, id)
        .php(48, Some(script))
        .sender("apache@mail.example.com")
        .rcpts(Channel::Remote, 1)
        .subject(subject)
        .r;
    r.headers.from = Some(s.intern(from.as_bytes()));
    r
}

/// How the script header names a script: by its path (as the tests before session 55 and
/// patched PHPs do), or by its file name only, as php-src's `mail.c` writes it.
#[derive(Clone, Copy, PartialEq)]
enum Naming {
    Path,
    FileName,
}

/// Eight customers' `contact.php`, `index.php` and `wp-login.php`, 30 messages each, writing
/// as the visitor or the customer's domain; then `plugin` messages of the hacked plugin.
fn shared_host(s: &Interner, plugin: u64) -> Vec<MessageRecord> {
    shared_host_named(s, plugin, Naming::Path)
}

/// [`shared_host`], its scripts named as `naming` says.
fn shared_host_named(s: &Interner, plugin: u64, naming: Naming) -> Vec<MessageRecord> {
    let name = |domain: &str, file: &str| match naming {
        Naming::Path => format!("{domain}/{file}"),
        Naming::FileName => file.to_string(),
    };
    let mut recs = Vec::new();
    for site in 0..8u64 {
        let domain = format!("customer{site}.example");
        for (k, script) in ["contact.php", "index.php", "wp-login.php"]
            .iter()
            .enumerate()
        {
            let path = name(&domain, script);
            for i in 0..30u64 {
                let id = site * 1_000 + k as u64 * 100 + i;
                let from = match k {
                    0 => format!("visitor{site}x{i}@gmail.com"),
                    1 => format!("shop@{domain}"),
                    _ => format!("wordpress@{domain}"),
                };
                let subject = format!("[{domain}] message {i}");
                recs.push(by_script(s, id, &path, &from, &subject));
            }
        }
    }
    let plugin_path = match naming {
        Naming::Path => "customer3.example/wp-content/plugins/seo/loader.php",
        Naming::FileName => "loader.php",
    };
    recs.extend((0..plugin).map(|i| {
        let subject = format!("Your account {} is suspended", 9_000 + i);
        by_script(
            s,
            SPAM + i,
            plugin_path,
            "service@bank-login.example",
            &subject,
        )
    }));
    recs
}

/// The culprits' messages that are not spam.
fn real_taken(a: &Analysis) -> usize {
    a.top
        .iter()
        .filter(|c| c.verdict() == Verdict::Culprit)
        .flat_map(|c| c.members.iter())
        .filter(|&&i| a.records[i as usize].id.0 < SPAM)
        .count()
}

#[test]
fn a_shared_hosts_scripts_are_held_and_its_hacked_plugin_is_a_culprit() {
    let s = Arc::new(Interner::new());
    let a = run(shared_host(&s, 400), s.clone(), &["mail.example.com"]);
    assert_eq!(real_taken(&a), 0, "{:#?}", a.top);
    let plugin = a
        .top
        .iter()
        .find(|c| c.key == ClusterKey::Script && c.messages == 400)
        .expect("the plugin is listed");
    assert_eq!(plugin.verdict(), Verdict::Culprit, "{plugin:#?}");
    let held = a
        .top
        .iter()
        .find(|c| c.verdict() == Verdict::Suspect && c.key == ClusterKey::Uid)
        .expect("uid 48 is listed, held");
    let reasons = held.reasons.join("\n");
    for want in [
        "with a From: at a domain not this server's",
        "25 scripts, the median one 30 messages",
        "held below 40",
    ] {
        assert!(reasons.contains(want), "{want:?} not in:\n{reasons}");
    }
}

/// As PHP names them, the customers' scripts are three names of 240 messages each and the
/// plugin's 400 or 1,000 one more, not ten times the median: held with them (session 55). As
/// one From address it sends 13 or 33 times the median voice (30): named in its reason, not
/// taken for it (review56: a busy shop or newsletter writing as one address is as loud).
#[test]
fn a_hacked_plugin_named_as_php_names_it_is_held_and_named_by_its_voice() {
    let s = Arc::new(Interner::new());
    for plugin in [400, 1_000] {
        let recs = shared_host_named(&s, plugin, Naming::FileName);
        let a = run(recs, s.clone(), &["mail.example.com"]);
        assert_eq!(real_taken(&a), 0, "{:#?}", a.top);
        let n = crate::size::thousands(plugin);
        let want = format!("service@bank-login.example through loader.php ({n}; ");
        assert_held(&a, &s, (ClusterKey::Script, plugin as usize), &want);
        assert_held(&a, &s, (ClusterKey::Uid, plugin as usize + 720), &want);
        let quiet = "4 scripts, the median one 240 messages";
        assert_held(&a, &s, (ClusterKey::Script, 240), quiet);
    }
}

/// A plugin writing as `Service@` and `service@` in turn is one voice, 13 times the median
/// (review56: two spellings halved it below the bar), named once in lower case.
#[test]
fn two_spellings_of_one_address_are_one_voice() {
    let s = Arc::new(Interner::new());
    let mut recs = shared_host_named(&s, 0, Naming::FileName);
    recs.extend((0..400u64).map(|i| {
        let from = ["Service@Bank-Login.example", "service@bank-login.example"][i as usize % 2];
        by_script(
            &s,
            SPAM + i,
            "loader.php",
            from,
            "Your account is suspended",
        )
    }));
    let a = run(recs, s.clone(), &["mail.example.com"]);
    assert_eq!(real_taken(&a), 0, "{:#?}", a.top);
    let want = "service@bank-login.example through loader.php (400; 6.7 a minute";
    assert_held(&a, &s, (ClusterKey::Script, 400), want);
}

/// A plugin's recent, fast run is named before a newsletter that sent more over a day
/// (newuser56: by size the busy shop came first), each with its rate and its first message.
#[test]
fn a_recent_fast_voice_is_named_before_a_bigger_slow_one() {
    let s = Arc::new(Interner::new());
    let mut recs = shared_host_named(&s, 400, Naming::FileName);
    recs.extend((0..600u64).map(|i| {
        let mut r = by_script(&s, 50_000 + i, "PHPMailer.php", "news@club.example", "News");
        r.set_queued(super::tests::NOW - 7_200 - i as i64 * 120);
        r
    }));
    let a = run(recs, s.clone(), &["mail.example.com"]);
    assert_eq!(real_taken(&a), 0, "{:#?}", a.top);
    let want = "loud among them, the fastest first: service@bank-login.example through \
                loader.php (400; 6.7 a minute over the last hour; the first 0.2 hours ago), \
                news@club.example through PHPMailer.php (600; 0.0 a minute over the last hour; \
                the first 22.0 hours ago)";
    assert_held(&a, &s, (ClusterKey::Uid, 1_720), want);
}

/// What review56 took as heavy voices (a voice once made its cluster judged on its own): a
/// club's newsletter writing as one address through WordPress's PHPMailer, 600 messages, 20
/// times the median voice; the same with its domain this server's; a Contact Form 7 writing
/// as the site's `wordpress@` with the visitor in Reply-To, 400. Each is held and named.
#[test]
fn a_loud_real_voice_is_named_and_never_taken() {
    let s = Arc::new(Interner::new());
    let newsletter = |s: &Interner, from: &str, n: u64| -> Vec<MessageRecord> {
        let mut recs = shared_host_named(s, 0, Naming::FileName);
        recs.extend((0..n).map(|i| {
            let mut r = by_script(s, 50_000 + i, "PHPMailer.php", from, "Club news, March");
            r.headers.reply_elsewhere = from.starts_with("wordpress@");
            r
        }));
        recs
    };
    for (from, n, locals) in [
        ("news@rowing-club.example", 600, &["mail.example.com"][..]),
        (
            "news@rowing-club.example",
            600,
            &["mail.example.com", "rowing-club.example"][..],
        ),
        (
            "wordpress@bigclinic.example",
            400,
            &["mail.example.com"][..],
        ),
    ] {
        let a = run(newsletter(&s, from, n), s.clone(), locals);
        assert_eq!(real_taken(&a), 0, "{from} {locals:?}: {:#?}", a.top);
    }
    let a = run(
        newsletter(&s, "news@rowing-club.example", 600),
        s.clone(),
        &["mail.example.com"],
    );
    let want = "news@rowing-club.example through PHPMailer.php (600; ";
    assert_held(&a, &s, (ClusterKey::Uid, 1_320), want);
}

/// `a`'s records clustered by `key` hold a cluster of `messages`, a suspect whose reasons say
/// `want`.
fn assert_held(a: &Analysis, s: &Interner, (key, messages): (ClusterKey, usize), want: &str) {
    let clusters = crate::analysis::cluster::cluster(&a.records, key, s, &ctx());
    let held = (clusters.iter())
        .find(|c| c.messages == messages)
        .unwrap_or_else(|| panic!("{key:?}: no cluster of {messages} messages"));
    assert_eq!(held.verdict(), Verdict::Suspect, "{held:#?}");
    let reasons = held.reasons.join("\n");
    assert!(reasons.contains(want), "{want:?} not in:\n{reasons}");
}

/// The context [`super::tests::run`] analyses with.
fn ctx() -> crate::analysis::context::AnalysisContext {
    crate::analysis::context::AnalysisContext {
        now: super::tests::NOW,
        local_domains: vec!["mail.example.com".into()],
        ..Default::default()
    }
}

/// The contact forms writing as 240 visitors are 240 voices of one message, none counted;
/// each site's shop and WordPress are the 16 voices, of 30 messages each.
#[test]
fn a_voice_is_a_script_and_one_from_address_of_two_messages_or_more() {
    let s = Arc::new(Interner::new());
    let recs = shared_host_named(&s, 0, Naming::FileName);
    let norms = crate::analysis::signals::ScriptNorms::of(&recs, &s);
    assert_eq!((norms.scripts, norms.median_messages), (3, 240));
    assert_eq!((norms.voices, norms.median_voice), (16, 30));
}

#[test]
fn a_lone_script_writing_as_someone_else_stays_a_culprit() {
    let s = Arc::new(Interner::new());
    let recs = (0..30)
        .map(|i| {
            let subject = format!("Your account {i} is suspended");
            by_script(
                &s,
                i,
                "site.example/mailer.php",
                "service@bank.example",
                &subject,
            )
        })
        .collect();
    let a = run(recs, s.clone(), &["mail.example.com"]);
    let script = a
        .top
        .iter()
        .find(|c| c.key == ClusterKey::Script)
        .expect("the script is listed");
    assert_eq!(script.verdict(), Verdict::Culprit, "{:#?}", a.top);
}

/// The plugin sending more than the customers together (1,000 against 720): uid 48 and its
/// envelope sender `apache@` were mostly the plugin, culprits at 68-70 taking every customer's
/// mail. Each is judged on what the plugin's own cluster does not take, and held.
#[test]
fn a_plugin_outweighing_the_customers_leaves_their_uid_held() {
    let s = Arc::new(Interner::new());
    let a = run(shared_host(&s, 1_000), s.clone(), &["mail.example.com"]);
    assert_eq!(real_taken(&a), 0, "{:#?}", a.top);
    let plugin = (a.top.iter())
        .find(|c| c.key == ClusterKey::Script && c.messages == 1_000)
        .expect("the plugin is listed");
    assert_eq!(plugin.verdict(), Verdict::Culprit, "{plugin:#?}");
    for key in [ClusterKey::Uid, ClusterKey::Sender] {
        let want = "1,000 of its 1,720 messages come from scripts sending 10 times";
        assert_held(&a, &s, (key, 1_720), want);
    }
}

/// A plugin writing as `apache@` this server (qmail-inject's From, no forgery) with varied
/// subjects, beside the customers and 1,880 logins' mail: its own cluster is under 40, so the
/// uid, over 40 by it, must not be held for it (review46: held, and its 1,000 messages were
/// taken by nothing).
#[test]
fn a_heavy_script_under_40_alone_leaves_its_uid_a_culprit() {
    let s = Arc::new(Interner::new());
    let mut recs = shared_host(&s, 0);
    let words = ["Hello", "Re: invoice", "Meeting", "Photos", "Update"];
    recs.extend((0..1_000u64).map(|i| {
        let subject = format!("{} {}", words[(i % 5) as usize], i * 7919 % 100_000);
        let plugin = "customer3.example/wp-content/plugins/seo/loader.php";
        by_script(&s, SPAM + i, plugin, "apache@mail.example.com", &subject)
    }));
    recs.extend((0..1_880u64).map(|i| {
        let login = format!("user{}@example.org", i % 300);
        let ip = format!("84.130.{}.{}", i % 200, 2 + i % 30);
        let mut r = Rec::new(&s, 500_000 + i)
            .auth(&login, &ip)
            .sender(&login)
            .rcpts(Channel::Remote, 1)
            .subject(&format!("Re: offer {i}"))
            .r;
        r.headers.from = Some(s.intern(login.as_bytes()));
        r
    }));
    let a = run(recs, s.clone(), &["mail.example.com", "example.org"]);
    let taken: std::collections::HashSet<u32> = (a.top.iter())
        .filter(|c| c.verdict() == Verdict::Culprit)
        .flat_map(|c| c.members.iter().copied())
        .collect();
    let missed = (0..a.records.len() as u32)
        .filter(|i| a.records[*i as usize].id.0 >= SPAM && a.records[*i as usize].id.0 < 500_000)
        .filter(|i| !taken.contains(i))
        .count();
    assert_eq!(missed, 0, "{:#?}", a.top);
}
