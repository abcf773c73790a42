//! Unit tests of `crate::analysis::owner`.
use super::*;
use crate::fixture::record::record;

/// A login's messages: `spam` from as many botnet IPs no other login uses, `home` from
/// 91.73.158.184, which `neighbour` (a login of its own) uses too.
struct Queue {
    strings: Interner,
    records: Vec<MessageRecord>,
}

impl Queue {
    fn new() -> Queue {
        Queue {
            strings: Interner::new(),
            records: Vec::new(),
        }
    }

    fn send(&mut self, login: &str, ip: &str, n: usize) {
        self.send_by(login, ip.as_bytes(), n, "ESMTPA");
    }

    /// `n` messages of `login` from `ip`, its Received line saying `protocol` (`SMTP` with a
    /// login is an ident reply's name).
    fn send_by(&mut self, login: &str, ip: &[u8], n: usize, protocol: &str) {
        for _ in 0..n {
            let mut r = record(self.records.len() as u64 + 1);
            r.origin.auth_user = Some(self.strings.intern(login.as_bytes()));
            r.origin.ip = Some(self.strings.intern(ip));
            r.origin.protocol = Some(self.strings.intern(protocol.as_bytes()));
            self.records.push(r);
        }
    }

    /// The auth-user cluster of `login` at `score`.
    fn cluster(&self, login: &str, score: f64) -> Cluster {
        let sym = self.strings.intern(login.as_bytes());
        let members: Vec<u32> = (self.records.iter().enumerate())
            .filter(|(_, r)| r.origin.auth_user == Some(sym))
            .map(|(i, _)| i as u32)
            .collect();
        Cluster {
            key: ClusterKey::AuthUser,
            value: Some(KeyValue::Text(sym)),
            messages: members.len(),
            recipients: members.len(),
            members,
            bytes: 0,
            first_queued: 0,
            last_queued: 0,
            per_minute: 0.0,
            score,
            reasons: vec![],
        }
    }

    fn owners(&self, ranking: &[Cluster]) -> HashMap<usize, OwnerMail> {
        let logins = KeyExtractor::new(ClusterKey::AuthUser, &self.strings);
        owners_mail(ranking, &self.records, logins)
    }

    fn texts(&self, o: &OwnerMail) -> Vec<(String, usize)> {
        (o.ips.iter())
            .map(|&(ip, n)| (self.strings.text(ip), n))
            .collect()
    }
}

/// `xenia`'s password used from 12 botnet IPs, 5 messages each; she sends 4 from home and 2
/// from her phone's carrier pool, each IP shared with a login of its own.
fn stolen() -> Queue {
    let mut q = Queue::new();
    for n in 0..12 {
        q.send("xenia", &format!("203.0.113.{n}"), 5);
    }
    q.send("xenia", "91.73.158.184", 4);
    q.send("family", "91.73.158.184", 3);
    q.send("xenia", "100.64.1.7", 2);
    q.send("carrier-customer", "100.64.1.7", 2);
    q
}

#[test]
fn a_stolen_logins_mail_from_ips_its_neighbours_use_is_its_owners() {
    let q = stolen();
    let ranking = [q.cluster("xenia", 60.0), q.cluster("family", 0.0)];
    let owners = q.owners(&ranking);
    let o = owners.get(&0).expect("xenia's own mail set apart");
    assert_eq!(
        q.texts(o),
        [
            ("91.73.158.184".to_string(), 4),
            ("100.64.1.7".to_string(), 2)
        ]
    );
    assert_eq!(o.members, [60, 61, 62, 63, 67, 68]);
    assert!(
        o.holds(60) && !o.holds(0) && !o.holds(64),
        "{:?}",
        o.members
    );
    assert_eq!(
        o.ip_term(&q.strings),
        r"ip:/^(91\.73\.158\.184|100\.64\.1\.7)$/"
    );
    assert_eq!(owners.len(), 1, "the family's login is no culprit");
}

/// mix66's Q4: a mobile proxy service sends `info`'s spam from carrier addresses strangers
/// hold in the same hours, on the spam's subjects; its owner writes from the office, which a
/// colleague's login uses too. Only the office's mail is hers.
#[test]
fn a_shared_ip_sending_the_spams_subjects_is_not_the_owners() {
    let mut q = Queue::new();
    for n in 0..12 {
        q.send("info", &format!("203.0.113.{n}"), 5);
    }
    q.send("info", "80.187.81.246", 4);
    q.send("rep", "80.187.81.246", 3);
    q.send("info", "217.91.44.130", 3);
    q.send("colleague", "217.91.44.130", 3);
    let office = [4, 5, 6].map(|k| q.records.len() - k);
    for (i, r) in q.records.iter_mut().enumerate() {
        let subject = match office.contains(&i) {
            true => format!("Re: delivery note {i}"),
            false => format!("Your parcel {} is waiting", 7_000 + i),
        };
        r.headers.subject = Some(q.strings.intern(subject.as_bytes()));
    }
    let ranking = [q.cluster("info", 60.0)];
    let owners = q.owners(&ranking);
    let o = owners.get(&0).expect("the office's mail set apart");
    assert_eq!(q.texts(o), [("217.91.44.130".to_string(), 3)]);
}

/// A botnet working two guessed logins through shared proxies: the IPs are shared between
/// suspects only, and nothing is set apart.
#[test]
fn ips_shared_with_a_suspected_login_are_not_the_owners() {
    let q = stolen();
    for score in [60.0, 25.0] {
        let ranking = [
            q.cluster("xenia", 60.0),
            q.cluster("family", score),
            q.cluster("carrier-customer", score),
        ];
        assert!(q.owners(&ranking).is_empty(), "neighbours at {score}");
    }
}

#[test]
fn a_login_from_few_places_or_mostly_from_shared_ips_is_taken_whole() {
    // Nine places: a person's home, office and phone, not a botnet.
    let mut few = Queue::new();
    for n in 0..8 {
        few.send("sales", &format!("203.0.113.{n}"), 5);
    }
    few.send("sales", "91.73.158.184", 4);
    few.send("family", "91.73.158.184", 2);
    let ranking = [few.cluster("sales", 60.0)];
    assert!(few.owners(&ranking).is_empty());
    // An office PC sending the spam with a colleague's password: most of it from the office.
    let mut office = Queue::new();
    for n in 0..10 {
        office.send("k.roth", &format!("203.0.113.{n}"), 1);
    }
    office.send("k.roth", "192.0.2.10", 40);
    office.send("colleague", "192.0.2.10", 30);
    let ranking = [office.cluster("k.roth", 60.0)];
    assert!(office.owners(&ranking).is_empty());
    // A fifth is still the owner's part; one message more is not.
    let mut edge = Queue::new();
    for n in 0..10 {
        edge.send("x", &format!("203.0.113.{n}"), 4);
    }
    edge.send("x", "192.0.2.10", 10);
    edge.send("y", "192.0.2.10", 2);
    assert_eq!(edge.owners(&[edge.cluster("x", 60.0)]).len(), 1, "10 of 50");
    edge.send("x", "192.0.2.10", 1);
    assert!(
        edge.owners(&[edge.cluster("x", 60.0)]).is_empty(),
        "11 of 51"
    );
}

/// Messages without a login on a shared IP (webmail's 127.0.0.1, an open client) make no
/// neighbour.
#[test]
fn only_a_login_makes_an_ip_shared() {
    let mut q = Queue::new();
    for n in 0..12 {
        q.send("xenia", &format!("203.0.113.{n}"), 5);
    }
    q.send("xenia", "127.0.0.1", 3);
    for _ in 0..5 {
        let mut r = record(q.records.len() as u64 + 1);
        r.origin.ip = Some(q.strings.intern(b"127.0.0.1"));
        q.records.push(r);
    }
    assert!(q.owners(&[q.cluster("xenia", 60.0)]).is_empty());
}

/// Bots cannot make their IPs the owner's with a login of one message each, nor with an ident
/// reply (`(id@ip) ... with SMTP`), which their own identd writes (review61: 16 of 128 spam
/// messages left).
#[test]
fn a_one_message_login_or_an_ident_name_makes_no_neighbour() {
    for (n, protocol) in [(1, "ESMTPA"), (3, "SMTP")] {
        let mut q = Queue::new();
        for bot in 0..12 {
            let ip = format!("203.0.113.{bot}");
            q.send("xenia", &ip, 5);
            if bot < 2 {
                q.send_by(&format!("tmp{bot}"), ip.as_bytes(), n, protocol);
            }
        }
        let ranking = [q.cluster("xenia", 60.0)];
        assert!(q.owners(&ranking).is_empty(), "{n} {protocol}");
    }
}

/// An IP that is not UTF-8 is named by its bytes in the term, so the query leaves exactly what
/// the plan left (review61: as U+FFFD the yank took them).
#[test]
fn the_term_names_an_ip_by_its_bytes() {
    let mut q = Queue::new();
    for bot in 0..12 {
        q.send("xenia", &format!("203.0.113.{bot}"), 5);
    }
    q.send_by("xenia", b"10.9.9.\xff", 3, "ESMTPA");
    q.send_by("tom", b"10.9.9.\xff", 2, "ESMTPA");
    let ranking = [q.cluster("xenia", 60.0)];
    let owners = q.owners(&ranking);
    let term = owners[&0].ip_term(&q.strings);
    assert_eq!(term, r"ip:/^(10\.9\.9\.(?-u:\xFF))$/");
}
