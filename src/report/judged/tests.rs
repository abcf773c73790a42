//! Tests of the operator-judged section: what it counts and names, and which fixes it gives.
use super::*;
use crate::fixture::record::record;
use crate::queue::OriginKind;

/// A message PHP queued as uid 48 through `script`, From `from`, at `queued`.
fn php(s: &Interner, id: u64, script: &str, from: &str, queued: i64) -> MessageRecord {
    let mut r = record(id);
    r.set_queued(queued);
    r.origin.kind = OriginKind::Local;
    r.origin.set_uid(Some(48));
    r.origin.script = Some(s.intern(script.as_bytes()));
    r.headers.from = Some(s.intern(from.as_bytes()));
    r.headers.subject = Some(s.intern(b"Security alert"));
    crate::fixture::record::with_recipients(
        &mut r,
        s,
        crate::queue::Channel::Remote,
        &[
            format!("v{id}@victim.example"),
            format!("w{id}@victim.example"),
        ],
    );
    r
}

#[test]
fn nothing_yanked_is_no_section() {
    let s = Interner::new();
    let recs = vec![php(&s, 1, "a.php", "x@y.example", 100)];
    assert_eq!(judged(&recs, &[], &s, &AnalysisContext::default()), None);
}

#[test]
fn a_plugins_run_is_counted_and_its_senders_named_but_not_a_persons_from() {
    let s = Interner::new();
    let base = 1_795_428_000;
    let mut recs: Vec<MessageRecord> = (0..40)
        .map(|i| {
            php(
                &s,
                i,
                "class-loader.php",
                "service@bank.example",
                base + i as i64,
            )
        })
        .collect();
    // Two messages of a customer's, yanked by the same query by mistake.
    recs.push(php(
        &s,
        100,
        "contact.php",
        "ann@customer.example",
        base - 3_600,
    ));
    recs.push(php(
        &s,
        101,
        "contact.php",
        "ann@customer.example",
        base - 3_000,
    ));
    let members: Vec<usize> = (0..recs.len()).collect();
    let j = judged(&recs, &members, &s, &AnalysisContext::default()).expect("judged");
    assert_eq!((j.messages, j.recipients), (42, 84));
    assert_eq!(
        (j.first_queued, j.last_queued),
        (Some(base - 3_600), Some(base + 39))
    );
    assert_eq!(j.peak_per_minute, 40);
    let values = |c: &[Counted]| -> Vec<(String, u64)> {
        c.iter().map(|c| (c.value.clone(), c.messages)).collect()
    };
    assert_eq!(
        values(&j.scripts),
        [("class-loader.php".into(), 40), ("contact.php".into(), 2)]
    );
    assert_eq!(values(&j.uids), [("48".into(), 42)]);
    assert!(j.auth_users.is_empty());
    assert_eq!(
        values(&j.from),
        [("service@bank.example".into(), 40)],
        "a From on fewer than {FROM_NAMED_AT} is not named"
    );
    // Only the run's own script gets a fix: the contact form sent 2 of 42 (under a tenth); a
    // uid's fix is left when a script names what ran under it.
    let fixes = j.fixes();
    assert_eq!(fixes.len(), 1, "{fixes:?}");
    assert_eq!(
        (fixes[0].kind, fixes[0].value.as_str()),
        (ClusterKey::Script, "class-loader.php")
    );
}

#[test]
fn without_a_script_the_uid_or_login_gets_the_fix() {
    let s = Interner::new();
    let mut recs: Vec<MessageRecord> = (0..12)
        .map(|i| {
            let mut r = php(&s, i, "x.php", "news@shop.example", 1_000 + i as i64);
            r.origin.script = None;
            r
        })
        .collect();
    let members: Vec<usize> = (0..recs.len()).collect();
    let j = judged(&recs, &members, &s, &AnalysisContext::default()).expect("judged");
    let kinds: Vec<ClusterKey> = j.fixes().iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [ClusterKey::Uid]);
    for r in &mut recs {
        r.origin.kind = OriginKind::SmtpAuth;
        r.origin.auth_user = Some(s.intern(b"sales@shop.example"));
        r.origin.set_uid(Some(64011));
    }
    let j = judged(&recs, &members, &s, &AnalysisContext::default()).expect("judged");
    let kinds: Vec<ClusterKey> = j.fixes().iter().map(|f| f.kind).collect();
    assert_eq!(
        kinds,
        [ClusterKey::AuthUser],
        "qmail-smtpd's uid is no sender"
    );
}

#[test]
fn hostile_values_are_sanitized() {
    let s = Interner::new();
    let recs: Vec<MessageRecord> = (0..10)
        .map(|i| php(&s, i, "evil\x1b[2J.php", "a\x07@b.example", i as i64))
        .collect();
    let members: Vec<usize> = (0..recs.len()).collect();
    let j = judged(&recs, &members, &s, &AnalysisContext::default()).expect("judged");
    let text = format!("{:?}{:?}", j.scripts, j.from);
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text}");
    assert_eq!(j.from.len(), 1, "ten messages are enough to be named");
}
