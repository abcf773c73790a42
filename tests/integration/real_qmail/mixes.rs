//! Mixes built with the real qmail and not designed with the analysis (docs/analysis.md, "Mixes
//! built with the real qmail"): each message goes through the door it would use on a real
//! server, carries its ground truth in a body tag, and `qtriage plan`'s query is scored against
//! that truth.
//!
//! The doors: an AUTH-patched qmail-smtpd's Received line queued by qmail-queue as qmaild (the
//! kit's qmail-smtpd has no AUTH), the real qmail-smtpd with `TCPREMOTEIP` for mail from the
//! network, `sendmail -t -i` as the web server's or a user's uid, and qmail-send's own bounces.
//! Births are spread over days as a queue's are (the mess, todo and info mtimes set back after
//! queueing), so rates mean what they mean on a server.
//!
//! The truth tag (`mixtag:CLASS:AGE:N` at the end of the body) is read back from each mess
//! file; a bounce quotes the tag of the message it returns, which is its class: the backscatter
//! of spam is spam to clear, the bounce of real mail is real. The analysis reads no body but a
//! bounce's quoted header.

use std::collections::HashMap;
use std::fs::{File, FileTimes};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::kit::{ids_of, RealQmail, SPLIT};

mod backscatter;
mod checks;
mod framing;
mod owner;
mod ring;
mod webmail;

/// What a message is, for the plan: spam to take, real mail to keep, or mail to leave and
/// report (the inbound bounces of mix 4: deliveries to local mailboxes, neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Class {
    Spam,
    Real,
    Leave,
}

impl Class {
    fn word(self) -> &'static str {
        match self {
            Class::Spam => "spam",
            Class::Real => "real",
            Class::Leave => "leave",
        }
    }

    fn parse(w: &str) -> Option<Class> {
        [Class::Spam, Class::Real, Class::Leave]
            .into_iter()
            .find(|c| c.word() == w)
    }
}

/// Minutes and hours, for ages.
pub(super) const MIN: u64 = 60;
pub(super) const HOUR: u64 = 3600;

/// Queues a mix's messages through the real qmail, each tagged with its truth and age.
pub(super) struct Mixer<'q> {
    pub q: &'q RealQmail,
    pub rng: SmallRng,
    n: usize,
    qmaild: (u32, u32),
}

impl<'q> Mixer<'q> {
    pub fn new(q: &'q RealQmail, seed: u64) -> Mixer<'q> {
        Mixer {
            q,
            rng: SmallRng::seed_from_u64(seed),
            n: 0,
            qmaild: ids_of("qmaild"),
        }
    }

    /// The body with its truth tag last.
    fn body(&mut self, text: &str, class: Class, age: u64) -> String {
        self.n += 1;
        format!("{text}\n\nmixtag:{}:{age}:{}\n", class.word(), self.n)
    }

    /// An age up to `max` seconds.
    pub fn age(&mut self, max: u64) -> u64 {
        self.rng.gen_range(0..max.max(1))
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.rng.gen_range(0..items.len())]
    }

    /// An authenticated submission: the AUTH patch's Received line (`login@ip`, ESMTPA) and the
    /// client's header, queued by the real qmail-queue as qmaild ("invoked from network").
    #[allow(clippy::too_many_arguments)]
    pub fn auth(
        &mut self,
        (login, ip, helo): (&str, &str, &str),
        sender: &str,
        rcpts: &[String],
        header: &str,
        text: &str,
        class: Class,
        age: u64,
    ) {
        let body = self.body(text, class, age);
        let msg = format!(
            "Received: from unknown (HELO {helo}) ({login}@{ip})\n  by mail.example.com with \
             ESMTPA; 4 Dec 2026 20:00:00 -0000\n{header}\n{body}"
        );
        let to: Vec<&str> = rcpts.iter().map(String::as_str).collect();
        self.q
            .queue_as(self.qmaild.0, self.qmaild.1, msg.as_bytes(), sender, &to);
    }

    /// A message from the network through the real qmail-smtpd (`TCPREMOTEIP` = `ip`), which
    /// writes its own Received line; `sender` empty is the null sender.
    #[allow(clippy::too_many_arguments)]
    pub fn smtp(
        &mut self,
        (ip, helo): (&str, &str),
        sender: &str,
        rcpts: &[String],
        header: &str,
        text: &str,
        class: Class,
        age: u64,
    ) {
        let body = self.body(text, class, age);
        let mut s = format!("HELO {helo}\r\nMAIL FROM:<{sender}>\r\n");
        for r in rcpts {
            s.push_str(&format!("RCPT TO:<{r}>\r\n"));
        }
        s.push_str("DATA\r\n");
        for line in format!("{header}\n{body}").lines() {
            if line.starts_with('.') {
                s.push('.');
            }
            s.push_str(line);
            s.push_str("\r\n");
        }
        s.push_str(".\r\nQUIT\r\n");
        let env = [("TCPREMOTEIP", ip), ("TCPLOCALHOST", "mail.example.com")];
        let out = self
            .q
            .feed("qmail-smtpd", self.qmaild, &[], &env, s.as_bytes());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("250 ok "), "qmail-smtpd refused: {text}");
    }

    /// `sendmail -t -i` as `ids` with `user` as `$USER` (qmail-inject's default sender), as
    /// PHP's mail() and cron run it: `header` exactly as the program wrote it.
    pub fn sendmail(
        &mut self,
        ids: (u32, u32),
        user: &str,
        header: &str,
        text: &str,
        class: Class,
        age: u64,
    ) {
        let body = self.body(text, class, age);
        let msg = format!("{header}\n{body}");
        let env = [("USER", user), ("LOGNAME", user)];
        self.q
            .feed("sendmail", ids, &["-t", "-i"], &env, msg.as_bytes());
    }
}

/// Each message's truth, read back from its tag (a bounce's is the tag of the copy it quotes),
/// and each message's files set back to its age.
pub(super) fn truth_and_ages(q: &RealQmail) -> HashMap<u64, Class> {
    let queue = q.queue();
    let now = SystemTime::now();
    let mut truth = HashMap::new();
    for s in 0..SPLIT {
        let dir = queue.join("mess").join(s.to_string());
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(id) = name.parse::<u64>() else {
                continue;
            };
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let Some((class, age)) = tag(&text) else {
                panic!("message {id} has no truth tag:\n{text}");
            };
            truth.insert(id, class);
            let when = now - Duration::from_secs(age);
            for f in files_of(&queue, s, &name) {
                if let Ok(file) = File::options().write(true).open(&f) {
                    let _ = file.set_times(FileTimes::new().set_modified(when).set_accessed(when));
                }
            }
        }
    }
    truth
}

/// The first `mixtag:CLASS:AGE:N` of a message.
fn tag(text: &str) -> Option<(Class, u64)> {
    let at = text.find("mixtag:")?;
    let mut parts = text[at + 7..].split(':');
    let class = Class::parse(parts.next()?)?;
    let age = parts.next()?.parse().ok()?;
    Some((class, age))
}

/// A message's files that carry its birth time (mess, todo, intd, info).
fn files_of(queue: &Path, split: u32, name: &str) -> Vec<PathBuf> {
    let s = split.to_string();
    vec![
        queue.join("mess").join(&s).join(name),
        queue.join("info").join(&s).join(name),
        queue.join("todo").join(name),
        queue.join("intd").join(name),
    ]
}

/// What `qtriage plan`'s query took of a mix.
#[derive(Debug, Default)]
pub(super) struct Scored {
    pub total: HashMap<Class, usize>,
    pub taken: HashMap<Class, usize>,
    /// What `top` ranks first: `key value (verdict score)`.
    pub first: String,
}

impl Scored {
    pub fn n(&self, c: Class) -> usize {
        self.total.get(&c).copied().unwrap_or(0)
    }

    pub fn took(&self, c: Class) -> usize {
        self.taken.get(&c).copied().unwrap_or(0)
    }

    /// A table row.
    fn row(&self, mix: &str) -> String {
        let spam = self.n(Class::Spam);
        let pct = self.took(Class::Spam) as f64 * 100.0 / spam.max(1) as f64;
        format!(
            "| {mix} | {spam} | {} | {} | {} ({pct:.1}%) | {} | {} | {} |",
            self.n(Class::Real),
            self.n(Class::Leave),
            self.took(Class::Spam),
            self.took(Class::Real),
            self.took(Class::Leave),
            self.first
        )
    }
}

/// Score the queue as it stands: the plan's query against each message's truth, and what
/// `top` ranks first. Prints `plan` and `top` for the record.
pub(super) fn score(q: &RealQmail, mix: &str) -> Scored {
    let truth = truth_and_ages(q);
    let out = q.qtriage().args(["plan", "--json"]).output().expect("plan");
    let plan: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    let query = plan["query"].as_str().unwrap_or("").to_string();
    let taken = match query.is_empty() {
        true => Default::default(),
        false => super::ids(q, &query),
    };
    let mut s = Scored::default();
    for (id, class) in &truth {
        *s.total.entry(*class).or_default() += 1;
        if taken.contains(id) {
            *s.taken.entry(*class).or_default() += 1;
        }
    }
    let top = q.run(&["top", "--limit", "6"], 0);
    let first = q.run(&["top", "--json", "--limit", "1"], 0);
    let first: serde_json::Value = first
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    s.first = format!(
        "{} {} ({} {})",
        first["by"].as_str().unwrap_or("?"),
        first["value"].as_str().unwrap_or("?"),
        first["verdict"].as_str().unwrap_or("?"),
        first["score"]
    );
    let text = String::from_utf8_lossy(&q.qtriage().arg("plan").output().expect("plan").stdout)
        .into_owned();
    println!("=== {mix}: top\n{top}\n=== {mix}: plan\n{text}");
    s
}

const HEAD: &str =
    "| mix | spam | real | leave | spam taken | real taken | leave taken | ranked first |";

/// What builds one mix's messages.
type BuildMix = fn(&mut Mixer);

/// The mixes: name, builder.
pub(super) const MIXES: [(&str, BuildMix); 7] = [
    ("4: backscatter, inbound and outbound", backscatter::mix),
    ("5b: a forged header naming the contact form", framing::mix),
    ("6: a webmail account spamming as itself", webmail::diverted),
    ("6b: the same, replies not diverted", webmail::plain),
    (
        "9: a ring of guessed accounts beside an office's NAT",
        ring::mix,
    ),
    ("9b: the same ring, half as heavy", ring::light),
    ("9c: 9b and a sales team travelling together", ring::team),
];

/// Build every mix with the real qmail and print the table (docs/analysis.md); fail when a
/// plan takes a real message or one to leave. Ignored: a few minutes of qmail-queue and
/// qmail-smtpd runs, and qmail-send's bounces.
#[test]
#[ignore]
fn real_qmail_mixes() {
    let Some(q) = RealQmail::acquire("real_qmail_mixes") else {
        return;
    };
    let mut rows = vec![HEAD.to_string(), "|---|---|---|---|---|---|---|---|".into()];
    let mut wrong = Vec::new();
    for (i, (name, build)) in MIXES.into_iter().enumerate() {
        q.reset();
        let mut m = Mixer::new(&q, 17 + i as u64);
        build(&mut m);
        let scored = score(&q, name);
        if scored.took(Class::Real) + scored.took(Class::Leave) > 0 {
            wrong.push(name);
        }
        rows.push(scored.row(name));
    }
    println!("{}", rows.join("\n"));
    assert!(
        wrong.is_empty(),
        "mail to keep planned for the yank in {wrong:?}"
    );
}
