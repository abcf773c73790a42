//! Reasons written only where they are read (`Basis::clusters_explaining`, the TUI's
//! clusterings of keys with a value a message): every culprit and suspect keeps its reasons, the
//! others get them from `Basis::explain` exactly as `Basis::clusters` writes them.
use std::sync::Arc;

use super::tests::{Rec, NOW};
use super::*;
use crate::analysis::context::AnalysisContext;
use crate::analysis::evidence::LogFacts;
use crate::analysis::Basis;
use crate::queue::{Channel, MessageRecord};

/// A guessed login (two spellings, three IPs, forged senders, many recipients) beside 40 real
/// users each sending one to three messages as themselves, and 12 messages of a web form.
fn queue(s: &Interner) -> Vec<MessageRecord> {
    let mut recs = Vec::new();
    for i in 0..90u64 {
        let login = if i % 3 == 0 {
            "test"
        } else {
            "test@example.com"
        };
        let ip = ["45.95.169.4", "91.215.152.44", "196.207.3.54"][i as usize % 3];
        let sender = format!("x{i}@forged{}.example", i % 30);
        let r = Rec::new(s, 1_000 + i).auth(login, ip).sender(&sender);
        recs.push(r.rcpts(Channel::Remote, 20).subject("Cheap meds").r);
    }
    for u in 0..40u64 {
        for k in 0..=(u % 3) {
            // Two spellings of one account, as a mail client and a phone log in.
            let login = match k {
                0 => format!("user{u}"),
                _ => format!("user{u}@example.com"),
            };
            let r = Rec::new(s, 10_000 + u * 10 + k)
                .auth(&login, &format!("10.0.{u}.1"))
                .sender(&format!("user{u}@example.com"));
            recs.push(r.rcpts(Channel::Remote, 1).subject(&format!("re: {u}")).r);
        }
    }
    for i in 0..12u64 {
        let r = Rec::new(s, 20_000 + i).php(48, Some("site/contact.php"));
        recs.push(r.sender("apache@example.com").rcpts(Channel::Local, 1).r);
    }
    recs
}

/// The server's domain, and vpopmail's last login of `user5@example.com` from its own IP.
fn context() -> AnalysisContext {
    let last = crate::accounts::lastauth::LastAuth {
        ip: "10.0.5.1".into(),
        at: NOW - 60,
    };
    AnalysisContext {
        now: NOW,
        local_domains: vec!["example.com".into()],
        default_domain: Some("example.com".into()),
        last_logins: Arc::new([(b"user5@example.com".to_vec(), last)].into()),
        ..Default::default()
    }
}

#[test]
fn unwritten_reasons_are_the_ones_clusters_writes_and_culprits_keep_theirs() {
    let strings = Arc::new(Interner::new());
    let records = queue(&strings);
    let ctx = context();
    let basis = Basis::new(&records, &strings, &ctx);
    let logs = LogFacts::default();
    let (mut unwritten, mut kept) = (0, 0);
    for key in ClusterKey::ALL {
        let full = basis.clusters(&records, &strings, &logs, key);
        let lean = basis.clusters_explaining(&records, &strings, &logs, key, 2);
        assert_eq!(full.len(), lean.len(), "{key:?}");
        for (i, (f, mut l)) in full.iter().zip(lean).enumerate() {
            // The same cluster, scored the same.
            assert_eq!(
                (f.value, f.messages, &f.members),
                (l.value, l.messages, &l.members)
            );
            assert_eq!(f.score, l.score, "{key:?} {:?}", f.reasons);
            let legit = Verdict::of(f.score) == Verdict::Legitimate;
            if i < 2 || !legit {
                kept += usize::from(i >= 2);
                assert_eq!(f.reasons, l.reasons, "{key:?} #{i}");
                continue;
            }
            assert!(l.reasons.is_empty(), "{key:?} #{i}: {:?}", l.reasons);
            unwritten += 1;
            basis.explain(&records, &strings, &logs, &mut l);
            assert_eq!(f.reasons, l.reasons, "{key:?} #{i}");
        }
    }
    // Not vacuous: clusters were left unwritten, and culprits or suspects past the first two
    // kept their reasons.
    assert!(unwritten > 100, "{unwritten}");
    assert!(kept > 0, "{kept}");
}

#[test]
fn an_explained_login_gets_the_notes_of_its_logins() {
    let strings = Arc::new(Interner::new());
    let records = queue(&strings);
    let basis = Basis::new(&records, &strings, &context());
    let logs = LogFacts::default();
    let key = ClusterKey::AuthUser;
    let full = basis.clusters(&records, &strings, &logs, key);
    let at = full
        .iter()
        .position(|c| c.value.map(|v| v.text(&strings)) == Some("user5@example.com".into()))
        .expect("user5's cluster");
    let wanted = &full[at].reasons;
    assert!(
        Verdict::of(full[at].score) == Verdict::Legitimate,
        "{wanted:?}"
    );
    for note in ["logged in as user5", "last login "] {
        assert!(
            wanted.iter().any(|r| r.starts_with(note)),
            "{note}: {wanted:?}"
        );
    }
    // None written, then explained: the same reasons and notes, each once.
    let mut lean = basis.clusters_explaining(&records, &strings, &logs, key, 0);
    let mut c = lean.swap_remove(at);
    assert!(c.reasons.is_empty(), "{:?}", c.reasons);
    basis.explain(&records, &strings, &logs, &mut c);
    assert_eq!(&c.reasons, wanted);
}
