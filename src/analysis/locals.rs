//! Read what the analysis knows about the server: its local domains and its uid → user names.
//!
//! Local domains come from qmail's `control/locals`, `control/rcpthosts` and
//! `control/virtualdomains` next to the queue (qmail home = the queue's parent), the default
//! domain from `control/defaultdomain` or `control/me`, user names from a passwd file. All of them are optional: a file that is missing or unreadable is skipped and
//! reported, never an error, because qtriage must work on a copied queue too.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes read from one control or passwd file; a bigger file is read up to here.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Lines looked at in one file.
pub const MAX_LINES: usize = 1_000_000;

/// The control files read, in order.
pub const CONTROL_FILES: [&str; 3] = ["locals", "rcpthosts", "virtualdomains"];

/// A file that could not be read, and why (shown as a note, not an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// The reason (`No such file or directory`, ...).
    pub reason: String,
}

pub(crate) fn read_capped(path: &Path) -> Result<Vec<u8>, Skipped> {
    let skipped = |e: std::io::Error| Skipped {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let f = std::fs::File::open(path).map_err(skipped)?;
    let mut buf = Vec::new();
    f.take(MAX_FILE_BYTES)
        .read_to_end(&mut buf)
        .map_err(skipped)?;
    Ok(buf)
}

/// One domain from one control line: `example.com`, `.example.com` (rcpthosts: subdomains),
/// `example.net:prepend` (virtualdomains). Comments, blanks and `user@domain:` entries give none.
fn control_domain(line: &[u8]) -> Option<String> {
    let line = std::str::from_utf8(line).ok()?.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let d = line.split(':').next()?.trim();
    (!d.is_empty() && !d.contains('@') && !d.contains(char::is_whitespace))
        .then(|| d.to_ascii_lowercase())
}

/// The local domains of the qmail installation whose queue is `queue_root`, plus `extra`
/// (`--local-domain`), lowercased and deduplicated, and the files that could not be read.
pub fn local_domains(queue_root: &Path, extra: &[String]) -> (Vec<String>, Vec<Skipped>) {
    let c = read_control(queue_root, extra);
    let skipped = c
        .missing
        .into_iter()
        .filter(|s| CONTROL_FILES.iter().any(|n| s.path.ends_with(n)))
        .collect();
    (c.local_domains, skipped)
}

/// The single-line control files also read: qmail's default domain for addresses without one,
/// and the host's own name (qmail's fallback for both `locals` and `defaultdomain`).
pub const NAME_FILES: [&str; 2] = ["defaultdomain", "me"];

/// What qmail's `control/` next to a queue said (docs/cli.md "What the analysis knows").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    /// The directory read: the qmail home's `control/` (the queue's parent's).
    pub dir: PathBuf,
    /// The files read, in [`CONTROL_FILES`] then [`NAME_FILES`] order.
    pub found: Vec<&'static str>,
    /// The files that could not be read, and why.
    pub missing: Vec<Skipped>,
    /// The local domains: locals (or `me` when locals is missing, as qmail-send does),
    /// rcpthosts and virtualdomains, plus the `--local-domain` ones; lowercased, sorted.
    pub local_domains: Vec<String>,
    /// The domains whose mail qmail-send delivers here itself: locals (or `me`), virtualdomains
    /// and the `--local-domain` ones, not rcpthosts (what qmail-smtpd accepts, and may relay on
    /// to a backup MX's owner); lowercased, sorted.
    pub mailbox_domains: Vec<String>,
    /// `control/defaultdomain`, lowercased.
    pub default_domain: Option<String>,
    /// `control/me`, lowercased.
    pub me: Option<String>,
}

/// The first non-blank line of a single-line control file, lowercased.
fn first_name(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|&b| b == b'\n')
        .take(MAX_LINES)
        .find_map(control_domain)
}

/// Read `control/` of the qmail installation whose queue is `queue_root`; `extra` are the
/// `--local-domain` values. Missing files are recorded, never errors.
pub fn read_control(queue_root: &Path, extra: &[String]) -> Control {
    let dir = queue_root.parent().unwrap_or(queue_root).join("control");
    let extra: Vec<String> = extra
        .iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    let mut c = Control {
        local_domains: extra.clone(),
        mailbox_domains: extra,
        ..Control::default()
    };
    for name in CONTROL_FILES {
        match read_capped(&dir.join(name)) {
            Ok(bytes) => {
                c.found.push(name);
                let domains = (bytes.split(|&b| b == b'\n'))
                    .take(MAX_LINES)
                    .filter_map(control_domain);
                let start = c.local_domains.len();
                c.local_domains.extend(domains);
                if name != "rcpthosts" {
                    let read = c.local_domains[start..].to_vec();
                    c.mailbox_domains.extend(read);
                }
            }
            Err(s) => c.missing.push(s),
        }
    }
    let mut names = [None, None];
    for (slot, name) in names.iter_mut().zip(NAME_FILES) {
        match read_capped(&dir.join(name)) {
            Ok(bytes) => {
                c.found.push(name);
                *slot = first_name(&bytes);
            }
            Err(s) => c.missing.push(s),
        }
    }
    let [default_domain, me] = names;
    if !c.found.contains(&"locals") {
        c.local_domains.extend(me.clone());
        c.mailbox_domains.extend(me.clone());
    }
    c.default_domain = default_domain;
    c.me = me;
    for domains in [&mut c.local_domains, &mut c.mailbox_domains] {
        domains.retain(|d| !d.is_empty());
        domains.sort();
        domains.dedup();
    }
    c.dir = dir;
    c
}

/// What a passwd-format file says of its uids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passwd {
    /// uid → user name; the first name wins for a uid, as getpwuid does.
    pub names: BTreeMap<u32, String>,
    /// uid → the web site its home directory names ([`site_of_home`]), lowercased: a shared
    /// host's uid per site (suexec, PHP-FPM pools).
    pub sites: BTreeMap<u32, String>,
}

/// uid → user name from a passwd-format file (`name:x:uid:gid:...`); the first name wins for a
/// uid, as getpwuid does.
pub fn passwd_users(path: &Path) -> Result<BTreeMap<u32, String>, Skipped> {
    passwd(path).map(|p| p.names)
}

/// The names and sites of a passwd-format file's uids (`name:x:uid:gid:gecos:home:shell`).
pub fn passwd(path: &Path) -> Result<Passwd, Skipped> {
    let bytes = read_capped(path)?;
    let mut users = BTreeMap::new();
    let mut sites = BTreeMap::new();
    for line in bytes.split(|&b| b == b'\n').take(MAX_LINES) {
        let mut fields = line.split(|&b| b == b':');
        let (Some(name), Some(_), Some(uid)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let home = fields.nth(2);
        let (Ok(name), Some(uid)) = (
            std::str::from_utf8(name),
            std::str::from_utf8(uid)
                .ok()
                .and_then(|u| u.parse::<u32>().ok()),
        ) else {
            continue;
        };
        if !name.is_empty() && !name.starts_with('#') {
            users.entry(uid).or_insert_with(|| name.to_string());
            if let Some(site) = home.and_then(site_of_home) {
                sites.entry(uid).or_insert(site);
            }
        }
    }
    Ok(Passwd {
        names: users,
        sites,
    })
}

/// Where shared hosts put their sites' homes (Plesk's `/var/www/vhosts/DOMAIN`, and the
/// `/var/www/DOMAIN`, `/srv/www/DOMAIN` of suexec and PHP-FPM setups).
const WEB_ROOTS: [&[u8]; 4] = [b"/var/www/", b"/srv/www/", b"/srv/http/", b"/home/httpd/"];

/// The site a home directory under a web root names: its first component below the root (or
/// below `vhosts/`) that is a domain name, lowercased. `/var/www/vhosts/weingut-roth.de` is
/// `weingut-roth.de`; `/var/www/html` and `/home/anna` name none.
pub fn site_of_home(home: &[u8]) -> Option<String> {
    let root = WEB_ROOTS.iter().find(|r| home.starts_with(r))?;
    let mut parts = home[root.len()..].split(|&b| b == b'/');
    let first = parts.next()?;
    let part = match first {
        b"vhosts" => parts.next()?,
        _ => first,
    };
    let name = std::str::from_utf8(part).ok()?.to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let good = labels.len() >= 2
        && name.len() <= 253
        && (labels.iter()).all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|l| l.bytes().all(|b| b.is_ascii_alphabetic()));
    good.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_files_next_to_the_queue_give_local_domains() {
        let dir = tempfile::tempdir().expect("temp dir");
        let control = dir.path().join("control");
        std::fs::create_dir(&control).expect("control");
        std::fs::create_dir(dir.path().join("queue")).expect("queue");
        std::fs::write(control.join("locals"), "localhost\nExample.com\n").expect("locals");
        std::fs::write(
            control.join("rcpthosts"),
            "example.com\n.example.org\n# note\n\n",
        )
        .expect("rcpthosts");
        std::fs::write(
            control.join("virtualdomains"),
            "virt.example:alias-virt\nu@x.example:u\n",
        )
        .expect("vd");
        let (d, skipped) = local_domains(&dir.path().join("queue"), &["Extra.Example".into()]);
        assert_eq!(
            d,
            [
                ".example.org",
                "example.com",
                "extra.example",
                "localhost",
                "virt.example"
            ]
        );
        assert!(skipped.is_empty(), "{skipped:?}");
    }

    #[test]
    fn missing_control_files_are_skipped_not_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (d, skipped) = local_domains(&dir.path().join("queue"), &[]);
        assert!(d.is_empty());
        assert_eq!(skipped.len(), 3);
    }

    #[test]
    fn passwd_names_uids_and_survives_junk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("passwd");
        std::fs::write(&p, b"root:x:0:0:root:/root:/bin/bash\napache:x:48:48::/var/www:/sbin/nologin\n\xff\xfe:junk\nshort\nalias:x:48:48::/:/bin/sh\n").expect("passwd");
        let users = passwd_users(&p).expect("readable");
        assert_eq!(users.get(&48).map(String::as_str), Some("apache"));
        assert_eq!(users.get(&0).map(String::as_str), Some("root"));
        assert_eq!(users.len(), 2);
        assert!(passwd_users(&dir.path().join("none")).is_err());
    }

    #[test]
    fn a_uid_whose_home_is_under_a_web_root_names_its_site() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("passwd");
        let text = "weingutr:x:10023:10023:Weingut:/var/www/vhosts/Weingut-Roth.de:/bin/false\n\
                    shop:x:10024:10024::/srv/www/shop.example.org/htdocs:/sbin/nologin\n\
                    apache:x:48:48::/var/www:/sbin/nologin\n\
                    html:x:10025:10025::/var/www/html:/bin/false\n\
                    anna:x:1001:1001::/home/anna.smith:/bin/bash\n";
        std::fs::write(&p, text).expect("passwd");
        let sites = passwd(&p).expect("readable").sites;
        assert_eq!(
            sites.get(&10023).map(String::as_str),
            Some("weingut-roth.de")
        );
        assert_eq!(
            sites.get(&10024).map(String::as_str),
            Some("shop.example.org")
        );
        assert_eq!(sites.len(), 2, "{sites:?}");
        for home in [
            "/var/www/vhosts/",
            "/var/www/.hidden.de",
            "/var/www/x.123",
            "/var/www/a..de",
        ] {
            assert_eq!(site_of_home(home.as_bytes()), None, "{home}");
        }
    }
}
