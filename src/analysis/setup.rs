//! The one way into the analysis: what the server calls its own, who its uids are, the log
//! evidence and "now", read once per command from the queue's qmail home and the options.
//!
//! Every face builds its [`AnalysisContext`] here (`top`, `clusters`, `report`, `accounts`, the
//! TUI, `watch`), so two faces given the same queue and options judge it the same way, and
//! [`Setup::notes`] says what was read: which control files were found or missing, and which
//! passwd named the uids. The passwd is the analysing host's `/etc/passwd` only when the queue
//! is this host's ([`host_queue`]); for a copied queue its uids mean nothing here (uid 1005 is
//! not this host's qmailq) unless `--passwd FILE` gives the queue host's passwd.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::context::AnalysisContext;
use super::evidence::{from_any_logs, LogFacts};
use super::locals::{self, Control};
use crate::logs::{LogError, LogEvidence};
use crate::queue::{Interner, MessageRecord};

/// The host's passwd, used for a queue that is this host's.
pub const HOST_PASSWD: &str = "/etc/passwd";
/// The queue of a standard qmail installation on this host.
pub const HOST_QUEUE: &str = "/var/qmail/queue";
/// vpopmail's record of its default domain, below the vpopmail directory.
pub const VPOPMAIL_DEFAULT_DOMAIN: &str = "etc/defaultdomain";

/// What the options say; everything else is read from the queue's qmail home.
#[derive(Debug, Clone, Default)]
pub struct SetupOptions {
    /// The queue directory (its parent is the qmail home, whose `control/` is read).
    pub queue_root: PathBuf,
    /// `--local-domain`: added to the control files' domains.
    pub local_domains: Vec<String>,
    /// `--default-domain`: overrides control/defaultdomain and vpopmail's.
    pub default_domain: Option<String>,
    /// `--passwd FILE`: the passwd naming the queue's uids (a copied queue's host's).
    pub passwd: Option<PathBuf>,
    /// The vpopmail directory, for its default domain (`etc/defaultdomain`), when known.
    pub vpopmail: Option<PathBuf>,
    /// `--log` files and directories (empty entries skipped).
    pub logs: Vec<PathBuf>,
    /// Now, unix seconds ([`now_from_env`]).
    pub now: i64,
}

/// Which passwd named the uids, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UidNames {
    /// `--passwd FILE`.
    Given(PathBuf),
    /// The host's `/etc/passwd`: the queue is this host's, for the reason given.
    Host(String),
    /// None: the queue is not this host's (the reason given), and no `--passwd`.
    NotThisHost(String),
    /// The passwd chosen could not be read.
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Where the default domain came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultFrom {
    /// `--default-domain`.
    Flag,
    /// `control/defaultdomain`.
    Control,
    /// vpopmail's `etc/defaultdomain`.
    Vpopmail,
    /// `control/me`, qmail's default domain when defaultdomain is missing.
    Me,
}

/// The analysis' context and log evidence, and what they were read from.
#[derive(Debug)]
pub struct Setup {
    /// The context every analysis of this command uses.
    pub ctx: AnalysisContext,
    /// What qmail's control/ said.
    pub control: Control,
    /// Which passwd named the uids.
    pub uid_names: UidNames,
    /// Where `ctx.default_domain` came from (`None` when there is none).
    pub default_from: Option<DefaultFrom>,
    /// The `--log` evidence, when logs were given.
    pub logs: Option<LogEvidence>,
    /// The vpopmail directory whose `lastauth` files were read, and how many accounts had one.
    pub last_logins: Option<(PathBuf, usize)>,
}

/// `QTRIAGE_NOW` (unix seconds) when set and not empty, else the clock: the "now" of rates and
/// ages, the same in every face. `Err` holds the value that is not unix seconds.
pub fn now_from_env() -> Result<i64, String> {
    match std::env::var("QTRIAGE_NOW") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| v),
        _ => Ok(jiff::Timestamp::now().as_second()),
    }
}

/// Is the queue at `root` this host's, and why: it is the host's `/var/qmail/queue`, or its
/// directory belongs to the uid this host's passwd names `qmailq` (qmail-queue's owner).
/// `host_users` is the host's passwd, when readable.
pub fn host_queue(
    root: &Path,
    host_users: Option<&std::collections::BTreeMap<u32, String>>,
) -> Result<String, String> {
    let meta = std::fs::metadata(root).map_err(|e| format!("{}: {e}", root.display()))?;
    if let Ok(host) = std::fs::metadata(HOST_QUEUE) {
        if (host.dev(), host.ino()) == (meta.dev(), meta.ino()) {
            return Ok(format!("the queue is {HOST_QUEUE}"));
        }
    }
    let owner = meta.uid();
    match host_users.and_then(|u| u.get(&owner)) {
        Some(name) if name == "qmailq" => Ok(format!("the queue belongs to qmailq (uid {owner})")),
        Some(name) => Err(format!(
            "the queue is not {HOST_QUEUE} and belongs to {name} (uid {owner}), not qmailq"
        )),
        None => Err(format!(
            "the queue is not {HOST_QUEUE} and belongs to uid {owner}, which {HOST_PASSWD} does not name"
        )),
    }
}

impl Setup {
    /// Read the control files, the passwd and the `--log` files `opts` name. Only unreadable
    /// logs are an error: the rest is optional, and [`Setup::notes`] says what was missing.
    pub fn load(opts: &SetupOptions) -> Result<Setup, LogError> {
        let logs = LogEvidence::load_given(&opts.logs)?;
        let mut setup = Setup::without_logs(opts);
        setup.logs = logs;
        Ok(setup)
    }

    /// [`Setup::load`] without the logs: for records the logs were already applied to.
    pub fn without_logs(opts: &SetupOptions) -> Setup {
        let mut setup = Setup::context(opts);
        setup.read_last_logins(opts);
        setup
    }

    /// [`Setup::load`] without the logs and vpopmail's last logins (for a query's `cluster:`
    /// terms and the accounts check, which need neither).
    pub fn context(opts: &SetupOptions) -> Setup {
        let control = locals::read_control(&opts.queue_root, &opts.local_domains);
        let (passwd, uid_names) = uid_names(opts);
        let (default_domain, default_from) = default_domain(opts, &control);
        Setup {
            ctx: AnalysisContext {
                now: opts.now,
                local_domains: control.local_domains.clone(),
                mailbox_domains: control.mailbox_domains.clone(),
                users: passwd.names,
                site_domains: passwd.sites,
                default_domain,
                last_logins: Default::default(),
                recipients: super::context::QueueRecipients::at(&opts.queue_root),
            },
            control,
            uid_names,
            default_from,
            logs: None,
            last_logins: None,
        }
    }

    /// Read vpopmail's `lastauth` of every account into `ctx.last_logins`, from `opts.vpopmail`,
    /// or `/home/vpopmail` when the queue is this host's. Nothing (and no note) when there is
    /// no vpopmail tree.
    fn read_last_logins(&mut self, opts: &SetupOptions) {
        let dir = match (&opts.vpopmail, &self.uid_names) {
            (Some(d), _) => d.clone(),
            (None, UidNames::Host(_)) => PathBuf::from(crate::accounts::DEFAULT_VPOPMAIL_DIR),
            (None, _) => return,
        };
        let Ok(read) = crate::accounts::read_vpopmail(&dir) else {
            return;
        };
        let mut map = std::collections::BTreeMap::new();
        for a in read.accounts {
            if let Some(last) = a.last_auth {
                let mut key = a.login.to_ascii_lowercase();
                key.push(b'@');
                key.extend(a.domain.to_ascii_lowercase());
                map.insert(key, last);
            }
        }
        self.last_logins = Some((dir, map.len()));
        self.ctx.last_logins = std::sync::Arc::new(map);
    }

    /// Give `records` whose headers name no AUTH user the one their logs name, and return what
    /// the logs said (empty without `--log`).
    pub fn apply_logs(&self, records: &mut [MessageRecord], strings: &Interner) -> LogFacts {
        from_any_logs(records, strings, self.logs.as_ref())
    }

    /// What the analysis read, in the operator's words (unsanitized paths: sanitize to show):
    /// `control files in /var/qmail/control: found locals, rcpthosts; missing virtualdomains,
    /// defaultdomain, me`, `default domain example.com (control/defaultdomain)`, `uid names
    /// from /etc/passwd (the queue is /var/qmail/queue)`.
    pub fn notes(&self) -> Vec<String> {
        let c = &self.control;
        let missing: Vec<String> = c
            .missing
            .iter()
            .map(|s| {
                s.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into())
            })
            .collect();
        let mut control = format!("control files in {}:", c.dir.display());
        if !c.found.is_empty() {
            control.push_str(&format!(" found {}", c.found.join(", ")));
        }
        if !missing.is_empty() {
            let sep = if c.found.is_empty() { "" } else { ";" };
            control.push_str(&format!("{sep} missing {}", missing.join(", ")));
        }
        let default = match (&self.ctx.default_domain, self.default_from) {
            (Some(d), Some(DefaultFrom::Flag)) => format!("default domain {d} (--default-domain)"),
            (Some(d), Some(DefaultFrom::Vpopmail)) => {
                format!("default domain {d} (vpopmail's {VPOPMAIL_DEFAULT_DOMAIN})")
            }
            (Some(d), Some(DefaultFrom::Me)) => format!("default domain {d} (control/me)"),
            (Some(d), _) => format!("default domain {d} (control/defaultdomain)"),
            (None, _) => "no default domain: bare AUTH logins stay apart from user@domain ones \
                          (give --default-domain)"
                .to_string(),
        };
        let uids = match &self.uid_names {
            UidNames::Given(p) => format!("uid names from {} (--passwd)", p.display()),
            UidNames::Host(why) => format!("uid names from {HOST_PASSWD} ({why})"),
            UidNames::NotThisHost(why) => {
                format!("uids not named: {why}; give --passwd FILE from the queue's host")
            }
            UidNames::Unreadable { path, reason } => {
                format!("uids not named: {} not read: {reason}", path.display())
            }
        };
        let mut notes = vec![control, default, uids];
        if let Some((dir, n)) = &self.last_logins {
            notes.push(format!("last logins from {}: {n} accounts", dir.display()));
        }
        notes
    }
}

/// The uid names and which passwd they came from.
fn uid_names(opts: &SetupOptions) -> (locals::Passwd, UidNames) {
    let read = |path: &Path, ok: UidNames| match locals::passwd(path) {
        Ok(passwd) => (passwd, ok),
        Err(s) => (
            Default::default(),
            UidNames::Unreadable {
                path: s.path,
                reason: s.reason,
            },
        ),
    };
    if let Some(p) = &opts.passwd {
        return read(p, UidNames::Given(p.clone()));
    }
    let host = locals::passwd_users(Path::new(HOST_PASSWD)).ok();
    match host_queue(&opts.queue_root, host.as_ref()) {
        Ok(why) => read(Path::new(HOST_PASSWD), UidNames::Host(why)),
        Err(why) => (Default::default(), UidNames::NotThisHost(why)),
    }
}

/// The default domain: the flag, else control/defaultdomain, else vpopmail's (what vchkpw adds
/// to a bare login), else control/me (qmail's fallback for defaultdomain).
fn default_domain(opts: &SetupOptions, control: &Control) -> (Option<String>, Option<DefaultFrom>) {
    let clean = |d: &str| Some(d.trim().to_ascii_lowercase()).filter(|d| !d.is_empty());
    if let Some(d) = opts.default_domain.as_deref().and_then(clean) {
        return (Some(d), Some(DefaultFrom::Flag));
    }
    if let Some(d) = control.default_domain.clone() {
        return (Some(d), Some(DefaultFrom::Control));
    }
    let vpop = opts.vpopmail.as_ref().and_then(|v| {
        let bytes = locals::read_capped(&v.join(VPOPMAIL_DEFAULT_DOMAIN)).ok()?;
        let line = bytes.split(|&b| b == b'\n').next()?;
        clean(std::str::from_utf8(line).ok()?)
    });
    if let Some(d) = vpop {
        return (Some(d), Some(DefaultFrom::Vpopmail));
    }
    match control.me.clone() {
        Some(d) => (Some(d), Some(DefaultFrom::Me)),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests;
