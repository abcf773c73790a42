//! What the analysis knows that is not in the records: now, the server's local domains, uid
//! names, the default domain, vpopmail's last logins, and where to read a message's whole
//! recipient list back.
//!
//! Built once by [`super::setup`] and handed to every step (keys, grouping, signals, ranking);
//! plain data, so tests write one by hand.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use crate::queue::{Interner, MessageRecord, Queue, QueueOptions, RecipientList};

/// Inputs of the analysis that are not in the records.
#[derive(Debug, Clone, Default)]
pub struct AnalysisContext {
    /// "Now", unix seconds (injected so tests and snapshots are stable).
    pub now: i64,
    /// Domains this server receives mail for (control/locals, rcpthosts, virtualdomains),
    /// lowercased; an entry starting with `.` covers subdomains (rcpthosts style).
    pub local_domains: Vec<String>,
    /// The domains whose mail qmail-send delivers here itself (control/locals or `me`,
    /// virtualdomains, `--local-domain`; not rcpthosts, nor what the queue shows): what a
    /// recipient not yet preprocessed is judged by where the plan leaves a culprit's mail
    /// to this server's own mailboxes, so the plan and a later yank judge it alike however
    /// the queue changed between them (review62).
    pub mailbox_domains: Vec<String>,
    /// uid → user name from the passwd file, when one was readable.
    pub users: BTreeMap<u32, String>,
    /// uid → the web site its passwd home names (`/var/www/vhosts/DOMAIN`): mail a site's uid
    /// writes From that domain is the site's own, not forged, though the site's mailboxes are
    /// hosted elsewhere (mix65: a winery's newsletter of 2,585 taken as a culprit once its
    /// domain was not in rcpthosts).
    pub site_domains: BTreeMap<u32, String>,
    /// The domain a login without one belongs to (`--default-domain`, control/defaultdomain,
    /// vpopmail's, control/me), lowercased: `test` is `test@example.com`'s account.
    pub default_domain: Option<String>,
    /// vpopmail's last login per account (`login@domain`, lowercased), from `lastauth` files.
    pub last_logins: std::sync::Arc<BTreeMap<Vec<u8>, crate::accounts::lastauth::LastAuth>>,
    /// Where a message's whole recipient list is read back from (its queue), for what the
    /// record's summary cannot tell: whether a cluster's messages go to the same few
    /// (`rank/few_recipients.rs`). `None`: not known, and nothing is judged by it.
    pub recipients: Option<std::sync::Arc<dyn RecipientLists>>,
}

/// Reads a message's whole recipient list back, as the inspector and `read` do: the record keeps
/// counts, the first address and the domains only.
pub trait RecipientLists: std::fmt::Debug + Send + Sync {
    /// `r`'s recipients, or `None` when its envelope cannot be read (gone, yanked, no queue).
    fn read(&self, r: &MessageRecord) -> Option<RecipientList>;
}

/// [`RecipientLists`] from a queue's envelope files. The queue is opened the first time a list
/// is read, not when the analysis is set up: most analyses never read one.
#[derive(Debug)]
pub struct QueueRecipients {
    root: std::path::PathBuf,
    queue: std::sync::OnceLock<Option<Queue>>,
}

impl QueueRecipients {
    /// The reader of the queue at `root` (nothing is read until a list is asked for; a root that
    /// does not open as a queue then reads nothing).
    pub fn at(root: &std::path::Path) -> Option<std::sync::Arc<dyn RecipientLists>> {
        Some(std::sync::Arc::new(QueueRecipients {
            root: root.to_path_buf(),
            queue: std::sync::OnceLock::new(),
        }))
    }
}

impl RecipientLists for QueueRecipients {
    fn read(&self, r: &MessageRecord) -> Option<RecipientList> {
        let queue = self
            .queue
            .get_or_init(|| Queue::open(&self.root, QueueOptions::default()).ok());
        let list = crate::queue::RecipientReader::new(queue.as_ref()?).read(r, &mut Vec::new());
        (!list.is_empty()).then_some(list)
    }
}

/// qmail's own users: their uids run qmail's daemons (qmaild for qmail-smtpd, qmails for
/// bounces, qmailq, ...), so a message queued under one came from the network or from qmail
/// itself, never from a local sender.
pub const QMAIL_DAEMONS: [&str; 7] = [
    "qmaild", "qmailq", "qmails", "qmailr", "qmaill", "qmailp", "alias",
];

/// The most distinct local-recipient domains inferred from one queue (a bound on hostile input).
pub const MAX_INFERRED_LOCAL_DOMAINS: usize = 10_000;

impl AnalysisContext {
    /// Does the passwd used name `uid` one of [`QMAIL_DAEMONS`]?
    pub fn is_qmail_daemon(&self, uid: u32) -> bool {
        self.users
            .get(&uid)
            .is_some_and(|n| QMAIL_DAEMONS.contains(&n.as_str()))
    }

    /// This context plus the domains qmail-send itself judged local: every address in a
    /// `local/` file is there because its domain is in control/locals or virtualdomains
    /// (docs/qmail-format.md §2), so the queue names the server's domains even when control/ is
    /// not readable.
    pub fn with_queue_local_domains(&self, records: &[MessageRecord], strings: &Interner) -> Self {
        // The records keep each message's recipient domains as one interned set.
        let mut seen: FxHashSet<crate::queue::Sym> = Default::default();
        let mut domains = self.local_domains.clone();
        for r in records {
            let Some(set) = r.recipients.domain_set() else {
                continue;
            };
            if !seen.insert(set) {
                continue;
            }
            for rd in r.recipients.domains(strings) {
                if rd.channel != crate::queue::Channel::Local {
                    continue;
                }
                if let Some(d) = rd.domain {
                    domains.push(strings.text(d));
                }
            }
            if seen.len() >= MAX_INFERRED_LOCAL_DOMAINS * 16 {
                break;
            }
        }
        domains.sort();
        domains.dedup();
        domains.truncate(MAX_INFERRED_LOCAL_DOMAINS + self.local_domains.len());
        AnalysisContext {
            local_domains: domains,
            ..self.clone()
        }
    }
}
