//! AUTH logins as accounts: `test`, `test@example.com` and vpopmail's `test@example.com@IP` are
//! one account when the default domain is example.com.
//!
//! The Received line's remoteinfo (docs/qmail-format.md §4) and the logs spell one login in
//! several ways: bare (`test`, the AUTH patch without vpopmail, or vpopmail's default domain),
//! full (`test@example.com`), and with the client IP appended (`test@example.com@41.203.18.7`,
//! when a line was split at the wrong `@`). The operator has one password to change, so the
//! analysis keys an AUTH-user cluster by the account: the login lowercased (vpopmail
//! lowercases logins), a trailing `@IP` dropped, and the default domain added to a bare name.

/// Longest login looked at; a longer one is its own account, as written.
pub const MAX_LOGIN: usize = 1024;

/// The account `login` names, given the server's default domain (see the module docs).
pub fn account(login: &[u8], default_domain: Option<&str>) -> Vec<u8> {
    if login.len() > MAX_LOGIN {
        return login.to_vec();
    }
    let mut a = login.trim_ascii().to_ascii_lowercase();
    if let Some(at) = a.iter().rposition(|&b| b == b'@') {
        let tail = std::str::from_utf8(&a[at + 1..]).ok();
        let is_ip = tail.is_some_and(|t| t.parse::<std::net::IpAddr>().is_ok());
        if is_ip && a[..at].contains(&b'@') {
            a.truncate(at);
        }
    }
    match default_domain {
        Some(d) if !d.is_empty() && !a.is_empty() && !a.contains(&b'@') => {
            a.push(b'@');
            a.extend_from_slice(d.trim().to_ascii_lowercase().as_bytes());
            a
        }
        _ => a,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spellings_of_one_login_are_one_account() {
        let d = Some("example.com");
        for form in [
            &b"test"[..],
            b"test@example.com",
            b"test@example.com@86.107.221.138",
            b"Test@Example.COM",
            b" test ",
        ] {
            assert_eq!(account(form, d), b"test@example.com", "{form:?}");
        }
    }

    #[test]
    fn other_domains_and_unknown_defaults_stay_apart() {
        assert_eq!(
            account(b"test@other.example", Some("example.com")),
            b"test@other.example"
        );
        assert_eq!(account(b"test", None), b"test");
        assert_eq!(account(b"test@example.com", None), b"test@example.com");
        // One `@` followed by an IP is a user at an IP literal, not a vpopmail login.
        assert_eq!(account(b"test@1.2.3.4", None), b"test@1.2.3.4");
        assert_eq!(account(b"a@b@not-an-ip", None), b"a@b@not-an-ip");
        assert_eq!(account(b"x@y@::1", None), b"x@y");
        assert_eq!(account(b"", Some("example.com")), b"");
        let long = vec![b'A'; MAX_LOGIN + 1];
        assert_eq!(account(&long, Some("example.com")), long);
    }
}
