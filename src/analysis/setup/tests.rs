//! The one way into the analysis: control files, the default domain, whose passwd names the uids.

use super::*;

/// A qmail home with `queue/` and the control files `files` (name, content).
fn home(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let queue = dir.path().join("queue");
    std::fs::create_dir(&queue).expect("queue");
    std::fs::create_dir(dir.path().join("control")).expect("control");
    for (name, text) in files {
        std::fs::write(dir.path().join("control").join(name), text).expect("control file");
    }
    (dir, queue)
}

#[test]
fn control_files_found_and_missing_are_said() {
    let (_d, queue) = home(&[("locals", "example.com\n"), ("me", "mail.example.com\n")]);
    let s = Setup::context(&SetupOptions {
        queue_root: queue,
        now: 7,
        ..SetupOptions::default()
    });
    assert_eq!(s.control.found, ["locals", "me"]);
    let notes = s.notes();
    assert!(
        notes[0].ends_with(
            "/control: found locals, me; missing rcpthosts, virtualdomains, defaultdomain"
        ),
        "{notes:?}"
    );
    // No defaultdomain: qmail's fallback is me.
    assert_eq!(s.ctx.default_domain.as_deref(), Some("mail.example.com"));
    assert_eq!(notes[1], "default domain mail.example.com (control/me)");
    assert_eq!(s.ctx.now, 7);
    assert_eq!(s.ctx.local_domains, ["example.com"]);
}

#[test]
fn me_is_local_when_locals_is_missing_as_qmail_send_has_it() {
    let (_d, queue) = home(&[("me", "Mail.Example.com\n")]);
    let s = Setup::context(&SetupOptions {
        queue_root: queue,
        ..SetupOptions::default()
    });
    assert_eq!(s.ctx.local_domains, ["mail.example.com"]);
}

#[test]
fn default_domain_flag_then_control_then_vpopmail_then_me() {
    let (d, queue) = home(&[
        ("defaultdomain", "example.com\n"),
        ("me", "mx.example.net\n"),
    ]);
    let vpop = d.path().join("vpopmail");
    std::fs::create_dir_all(vpop.join("etc")).expect("vpopmail etc");
    std::fs::write(vpop.join(VPOPMAIL_DEFAULT_DOMAIN), "vpop.example\n").expect("vpop dd");
    let mut opts = SetupOptions {
        queue_root: queue,
        vpopmail: Some(vpop),
        default_domain: Some(" Flag.Example ".into()),
        ..SetupOptions::default()
    };
    let from = |o: &SetupOptions| {
        let s = Setup::context(o);
        (s.ctx.default_domain, s.default_from)
    };
    assert_eq!(
        from(&opts),
        (Some("flag.example".into()), Some(DefaultFrom::Flag))
    );
    opts.default_domain = None;
    assert_eq!(
        from(&opts),
        (Some("example.com".into()), Some(DefaultFrom::Control))
    );
    std::fs::remove_file(d.path().join("control/defaultdomain")).expect("rm");
    assert_eq!(
        from(&opts),
        (Some("vpop.example".into()), Some(DefaultFrom::Vpopmail))
    );
    opts.vpopmail = None;
    assert_eq!(
        from(&opts),
        (Some("mx.example.net".into()), Some(DefaultFrom::Me))
    );
}

#[test]
fn a_copied_queue_takes_no_uid_names_from_this_host_unless_given_a_passwd() {
    let (d, queue) = home(&[]);
    let opts = SetupOptions {
        queue_root: queue.clone(),
        ..SetupOptions::default()
    };
    // A temp directory is neither /var/qmail/queue nor owned by this host's qmailq.
    let s = Setup::context(&opts);
    assert!(
        matches!(s.uid_names, UidNames::NotThisHost(_)),
        "{:?}",
        s.uid_names
    );
    assert!(s.ctx.users.is_empty());
    assert!(
        s.notes()[2].contains("give --passwd FILE"),
        "{:?}",
        s.notes()
    );
    let passwd = d.path().join("passwd.copy");
    std::fs::write(&passwd, "qmaild:x:1002:2108::/var/qmail:/sbin/nologin\n").expect("passwd");
    let s = Setup::context(&SetupOptions {
        passwd: Some(passwd.clone()),
        ..opts.clone()
    });
    assert_eq!(s.uid_names, UidNames::Given(passwd));
    assert!(s.ctx.is_qmail_daemon(1002));
    let s = Setup::context(&SetupOptions {
        passwd: Some(d.path().join("none")),
        ..opts
    });
    assert!(matches!(s.uid_names, UidNames::Unreadable { .. }));
    assert!(s.notes()[2].contains("not read"), "{:?}", s.notes());
}

#[test]
fn a_queue_owned_by_this_hosts_qmailq_is_this_hosts() {
    let (_d, queue) = home(&[]);
    let owner = std::fs::metadata(&queue).expect("meta").uid();
    let named = |n: &str| std::collections::BTreeMap::from([(owner, n.to_string())]);
    assert!(host_queue(&queue, Some(&named("qmailq"))).is_ok());
    let not = host_queue(&queue, Some(&named("root"))).expect_err("not qmailq");
    assert!(not.contains("not qmailq"), "{not}");
    assert!(host_queue(&queue, None).is_err());
}

#[test]
fn unreadable_logs_are_the_one_error() {
    let (d, queue) = home(&[]);
    let opts = SetupOptions {
        queue_root: queue,
        logs: vec![PathBuf::new(), d.path().join("no-such-log")],
        ..SetupOptions::default()
    };
    assert!(Setup::load(&opts).is_err());
    let s = Setup::load(&SetupOptions {
        logs: vec![PathBuf::new()],
        ..opts
    })
    .expect("an empty entry is no log");
    assert!(s.logs.is_none());
}
