//! Tests of the report builder: the ranking's culprits (and no other), the timeline and
//! sanitizing.
use super::*;
use crate::fixture::record::record;
use crate::queue::{Origin, OriginKind, Sym};

fn rec(id: u64, user: Option<Sym>, ip: Option<Sym>, queued: i64) -> MessageRecord {
    let mut r = record(id);
    r.set_queued(queued);
    r.size = 100;
    r.origin.kind = OriginKind::SmtpAuth;
    r.origin.ip = ip;
    r.origin.auth_user = user;
    r
}

/// [`rec`] as a guessed login's relay spam is sent: a forged sender, ten remote recipients.
fn spam(s: &Interner, id: u64, user: Option<Sym>, ip: Option<Sym>, queued: i64) -> MessageRecord {
    let mut r = rec(id, user, ip, queued);
    r.sender = Some(s.intern(format!("x{id}@forged.example").as_bytes()));
    let rcpts: Vec<String> = (0..10)
        .map(|k| format!("v{id}.{k}@victim.example"))
        .collect();
    crate::fixture::record::with_recipients(&mut r, s, crate::queue::Channel::Remote, &rcpts);
    r
}

/// Report sources over `recs`, all in the queue, whole window, no logs.
fn sources<'a>(
    recs: &'a [MessageRecord],
    s: &'a Interner,
    ctx: &'a AnalysisContext,
    logs: &'a LogFacts,
) -> ReportSources<'a> {
    ReportSources {
        records: recs,
        in_queue: recs.len(),
        strings: s,
        ctx,
        logs,
        since: None,
        counts: QueueCounts::default(),
        restored: crate::actions::Restored::none(),
    }
}

#[test]
fn culprits_timeline_and_window() {
    let s = Interner::new();
    let test = Some(s.intern(b"test"));
    let alice = Some(s.intern(b"alice"));
    let ip = Some(s.intern(b"86.107.221.138"));
    let base = 1_795_428_000;
    let mut recs: Vec<MessageRecord> = (0..30)
        .map(|i| spam(&s, i, test, ip, base + i as i64 * 10))
        .collect();
    recs.extend((100..103).map(|i| rec(i, alice, None, base)));
    recs.push(spam(&s, 200, test, ip, base - 7200));
    let counts = QueueCounts {
        messages: 34,
        ..Default::default()
    };
    let src = ReportSources {
        records: &recs,
        in_queue: recs.len(),
        strings: &s,
        // The login's own domain: a bare `test` sends as example.com, not forged.example.
        ctx: &AnalysisContext {
            now: base + 600,
            local_domains: vec!["example.com".into()],
            ..AnalysisContext::default()
        },
        logs: &LogFacts::default(),
        since: Some(base - 60),
        counts,
        restored: crate::actions::Restored::none(),
    };
    let r = build(&src);
    assert!(
        r.notes[0].starts_with("culprits are the clusters qtriage top ranks as culprits"),
        "{:?}",
        r.notes
    );
    assert_eq!(r.culprit_auth_users(), vec!["test".to_string()]);
    assert_eq!(r.culprits[0].messages, 30);
    assert_eq!(r.timeline.spam_messages, 30);
    assert_eq!(r.timeline.messages, 33);
    assert_eq!(r.timeline.first_spam_queued, Some(base));
    assert_eq!(r.timeline.last_spam_queued, Some(base + 290));
    // 10 s apart: 6 per minute at most.
    assert_eq!(r.timeline.peak_per_minute, 6);
    assert_eq!(
        r.origin_ips,
        vec![Counted {
            value: "86.107.221.138".into(),
            messages: 30
        }]
    );
    assert_eq!(r.remaining.spam_messages, 30);
    assert_eq!(r.journal_note.as_deref(), Some(NO_JOURNAL));
    // One IP: nouns that agree.
    assert!(
        r.culprits[0]
            .reasons
            .iter()
            .any(|x| x.starts_with("queued 30 messages to 300 recipients between")),
        "{:?}",
        r.culprits[0].reasons
    );
    assert!(
        r.culprits[0]
            .reasons
            .contains(&"from 1 distinct client IP".to_string()),
        "{:?}",
        r.culprits[0].reasons
    );
}

#[test]
fn script_culprit_and_hostile_value_are_sanitized() {
    let s = Interner::new();
    let script = Some(s.intern(b"wp-content/uploads/\x1b[2Jmailer.php"));
    let evil = Some(s.intern(b"up/\x1b]0;x\x07m.php"));
    let mut recs: Vec<MessageRecord> = Vec::new();
    for i in 0..25 {
        let mut r = spam(&s, i, None, None, 1_795_428_000 + i as i64);
        r.origin = Origin::default();
        r.origin.kind = OriginKind::Local;
        r.origin.script = if i < 20 { script } else { evil };
        r.origin.set_uid(Some(48));
        recs.push(r);
    }
    let ctx = AnalysisContext {
        now: 1_795_431_600,
        ..AnalysisContext::default()
    };
    let logs = LogFacts::default();
    let src = sources(&recs, &s, &ctx, &logs);
    let r = build(&src);
    // The ranking's two culprits: the web server's uid (both scripts) and the larger script.
    let kinds: Vec<(ClusterKey, u64)> = r.culprits.iter().map(|c| (c.kind, c.messages)).collect();
    assert_eq!(kinds, [(ClusterKey::Uid, 25), (ClusterKey::Script, 20)]);
    assert!(r.culprit_auth_users().is_empty());
    assert!(
        r.evidence[0]
            .text
            .starts_with("X-PHP-Originating-Script: 48:"),
        "{}",
        r.evidence[0].text
    );
    // Both scripts sent the uid's spam: both listed, the larger first, both sanitized below.
    let scripts: Vec<u64> = r.scripts.iter().map(|c| c.messages).collect();
    assert_eq!(scripts, [20, 5]);
    let all = serde_json::to_string(&r).expect("json") + &crate::report::markdown::render(&r);
    assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all}");
}

#[test]
fn yanked_spam_still_counts_but_does_not_remain() {
    let s = Interner::new();
    let test = Some(s.intern(b"test"));
    let base = 1_795_428_000;
    // 60 messages by `test`, one a second; the last 20 were yanked (they follow the queue's).
    let recs: Vec<MessageRecord> = (0..60)
        .map(|i| spam(&s, i, test, None, base + i as i64))
        .collect();
    let ctx = AnalysisContext {
        now: base + 600,
        ..AnalysisContext::default()
    };
    let logs = LogFacts::default();
    let src = ReportSources {
        in_queue: 40,
        ..sources(&recs, &s, &ctx, &logs)
    };
    let r = build(&src);
    assert_eq!(r.culprits.len(), 1);
    assert_eq!((r.culprits[0].messages, r.culprits[0].yanked), (60, 20));
    assert_eq!(r.timeline.spam_messages, 60);
    assert_eq!(r.remaining.spam_messages, 40);
    // A window from second 30: 10 queued records (30..40) and the 20 yanked ones.
    let late = ReportSources {
        since: Some(base + 30),
        ..src
    };
    let r = build(&late);
    assert_eq!(r.timeline.messages, 30);
    assert_eq!((r.culprits[0].messages, r.culprits[0].yanked), (30, 20));
    assert_eq!(r.remaining.spam_messages, 10);
}

/// Issue 17: each header shape is counted over the messages that have it, never the newest
/// message's shape claimed for all ("with ESMTPA on 608 messages" when 300 were ESMTPSA).
#[test]
fn header_shapes_are_counted_exactly() {
    let s = Interner::new();
    let (user, ip) = (Some(s.intern(b"test")), Some(s.intern(b"86.107.221.138")));
    let recs: Vec<MessageRecord> = (0..5u64)
        .map(|i| {
            let mut r = rec(i, user, ip, 1000 + i as i64);
            let proto: &[u8] = if i < 3 { b"ESMTPA" } else { b"ESMTPSA" };
            r.origin.protocol = Some(s.intern(proto));
            r
        })
        .collect();
    let members: Vec<&MessageRecord> = recs.iter().collect();
    let ev = evidence_of(&members, &s);
    let texts: Vec<&str> = ev.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[0].contains("with ESMTPA ") && texts[0].ends_with(" on 3 messages"));
    assert!(texts[1].contains("with ESMTPSA ") && texts[1].ends_with(" on 2 messages"));
}

/// A random HELO a message makes every message a shape of its own: the HELO is then counted,
/// not shown, and the shapes say something again. A steady HELO is still shown.
#[test]
fn random_helos_are_counted_not_shown() {
    let s = Interner::new();
    let user = Some(s.intern(b"sales@example.com"));
    let ips = [s.intern(b"173.16.65.213"), s.intern(b"91.215.152.44")];
    let recs: Vec<MessageRecord> = (0..40u64)
        .map(|i| {
            let mut r = rec(i, user, Some(ips[(i % 4 == 0) as usize]), 1000 + i as i64);
            r.origin.helo = Some(s.intern(format!("WIN-{i:08X}").as_bytes()));
            r.origin.protocol = Some(s.intern(b"ESMTPA"));
            r
        })
        .collect();
    let members: Vec<&MessageRecord> = recs.iter().collect();
    let texts: Vec<String> = evidence_of(&members, &s)
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(
        texts,
        [
            "Received: from ? (HELO *) (sales@example.com@173.16.65.213) with ESMTPA \
             (qmail-smtpd, AUTH) on 30 messages (30 different HELOs)",
            "Received: from ? (HELO *) (sales@example.com@91.215.152.44) with ESMTPA \
             (qmail-smtpd, AUTH) on 10 messages (10 different HELOs)",
        ]
    );
    // Five HELOs over 40 messages: the largest shape holds a tenth or more, shown as is.
    let steady: Vec<MessageRecord> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut r = r.clone();
            r.origin.helo = Some(s.intern(format!("host{}", i % 5).as_bytes()));
            r
        })
        .collect();
    let members: Vec<&MessageRecord> = steady.iter().collect();
    let texts: Vec<String> = evidence_of(&members, &s)
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert!(
        texts[0].contains("(HELO host") && !texts[0].contains("different HELOs"),
        "{texts:?}"
    );
}

/// Two culprits holding the same messages (a guessed login and the IP it is used from) give
/// each evidence line once: the IP's line for those messages is the login's, already given.
#[test]
fn culprits_sharing_messages_do_not_repeat_evidence() {
    let s = Interner::new();
    let (user, ip) = (Some(s.intern(b"test")), Some(s.intern(b"86.107.221.138")));
    let recs: Vec<MessageRecord> = (0..30u64)
        .map(|i| {
            let mut r = rec(i, user, ip, 1000 + i as i64);
            r.origin.protocol = Some(s.intern(b"ESMTPA"));
            r
        })
        .collect();
    let ctx = AnalysisContext::default();
    let logs = LogFacts::default();
    let src = sources(&recs, &s, &ctx, &logs);
    let window = Window::new(&src);
    let mut found = Found::default();
    for key in [ClusterKey::AuthUser, ClusterKey::OriginIp] {
        let clusters = crate::analysis::cluster::cluster(&window.records, key, &s, &ctx);
        found.add(&clusters[0], &window, &s, Default::default());
    }
    assert_eq!(found.culprits.len(), 2);
    let texts: Vec<&str> = found.evidence.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Received: from ? (HELO ?) (test@86.107.221.138) with ESMTPA (qmail-smtpd, AUTH) on 30 messages"]
    );
}

/// A shape already given for one culprit is not given again for another that shares its
/// messages, though one of the two lines ends with the count of the other shapes.
#[test]
fn a_shape_is_given_once_with_or_without_the_other_shapes_count() {
    let line = "`Received: from unknown (HELO User) (test@86.107.221.138)` on 1257 messages";
    let with_more = format!("{line} (5 more shapes on 2797 messages)");
    assert!(same_shape(line, &with_more));
    assert!(same_shape(&with_more, line));
    assert!(!same_shape(line, &line.replace("1257", "1256")));
    // A value that itself holds the words is not cut: only the line's own ending is.
    let odd = "`Subject: x (3 more shapes on 4 messages)` on 2 messages";
    assert!(!same_shape(odd, "`Subject: x"));
}

/// The spam gone, its backscatter left: the ranking's one culprit is the bounces. The report
/// counts no spam and does not fall back to calling a large login the culprit (the size rule
/// is for a ranking that named no culprit at all).
#[test]
fn bounces_alone_are_not_spam_and_no_reason_to_fall_back() {
    let s = Interner::new();
    let base = 1_795_428_000;
    let empty = s.intern(b"");
    let mut recs: Vec<MessageRecord> = (0..200)
        .map(|i| {
            let mut r = record(i);
            r.set_queued(base + i as i64);
            r.size = 100;
            r.origin.kind = OriginKind::Bounce;
            r.sender = Some(empty);
            crate::fixture::record::with_recipients(
                &mut r,
                &s,
                crate::queue::Channel::Remote,
                &[format!("x{i}@forged.example")],
            );
            r
        })
        .collect();
    // A real user with a large share of what is left: the size rule would name it.
    let alice = Some(s.intern(b"alice"));
    recs.extend((1000..1040).map(|i| rec(i, alice, None, base)));
    let ctx = AnalysisContext {
        now: base + 600,
        ..AnalysisContext::default()
    };
    let logs = LogFacts::default();
    let r = build(&sources(&recs, &s, &ctx, &logs));
    let ranked_bounces = r.notes.iter().any(|n| n.contains("made of bounces"));
    assert!(
        ranked_bounces,
        "the bounces ranked a culprit: {:?}",
        r.notes
    );
    assert!(r.culprits.is_empty(), "{:?}", r.culprits);
    assert_eq!(r.timeline.spam_messages, 0);
    assert!(
        !r.notes
            .iter()
            .any(|n| n.starts_with("the ranking named no culprit")),
        "{:?}",
        r.notes
    );
}

/// After the spam was purged only real users are left: the ranking holds them legitimate, and
/// so does the report (it once named the largest logins by a size rule, for a delisting
/// request, with "change the password now").
#[test]
fn real_users_left_after_a_purge_are_not_culprits() {
    let s = Interner::new();
    let base = 1_795_428_000;
    let (alice, bob) = (Some(s.intern(b"alice")), Some(s.intern(b"bob")));
    let recs: Vec<MessageRecord> = (0..60u64)
        .map(|i| {
            rec(
                i,
                if i % 2 == 0 { alice } else { bob },
                None,
                base + i as i64,
            )
        })
        .collect();
    let ctx = AnalysisContext {
        now: base + 600,
        ..AnalysisContext::default()
    };
    let logs = LogFacts::default();
    let r = build(&sources(&recs, &s, &ctx, &logs));
    assert!(r.culprits.is_empty(), "{:?}", r.culprits);
    assert_eq!(r.timeline.spam_messages, 0);
    assert!(r.notes[0].starts_with(NO_CULPRIT), "{:?}", r.notes);
    assert!(!r.notes.iter().any(|n| n == SPAM_COUNTED), "{:?}", r.notes);
}

/// Counts in the evidence read as in the reasons beside them: `on 1,200 messages`.
#[test]
fn evidence_counts_have_thousands_separators() {
    let s = Interner::new();
    let (user, ip) = (Some(s.intern(b"test")), Some(s.intern(b"86.107.221.138")));
    let recs: Vec<MessageRecord> = (0..1200u64).map(|i| rec(i, user, ip, 1000)).collect();
    let members: Vec<&MessageRecord> = recs.iter().collect();
    let texts: Vec<String> = evidence_of(&members, &s)
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(texts.len(), 1);
    assert!(texts[0].ends_with(" on 1,200 messages"), "{texts:?}");
}
