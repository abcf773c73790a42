//! Derived key values: networks, domains, sender patterns and subject templates.
//!
//! Each function maps one string to its generalisation, or `None` when it has none.

/// `86.107.221.138` → `86.107.221.0/24`; IPv6 → its /64.
pub fn network(ip: &[u8]) -> Option<Vec<u8>> {
    let s = std::str::from_utf8(ip).ok()?;
    match s.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]).into_bytes())
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            Some(format!("{net}/64").into_bytes())
        }
    }
}

/// The domain after the last `@`, lowercased.
pub fn domain(addr: &[u8]) -> Option<Vec<u8>> {
    let at = addr.iter().rposition(|&b| b == b'@')?;
    let d = &addr[at + 1..];
    (!d.is_empty()).then(|| d.to_ascii_lowercase())
}

/// Generalise the local part by character classes: `kbradford@philadefender.org` →
/// `<lower 5-9>@philadefender.org`.
pub fn sender_pattern(addr: &[u8]) -> Option<Vec<u8>> {
    if addr.is_empty() {
        return Some(b"<>".to_vec());
    }
    let at = addr.iter().rposition(|&b| b == b'@');
    let (local, dom) = match at {
        Some(at) => (&addr[..at], &addr[at..]),
        None => (addr, &b""[..]),
    };
    let class = if local.iter().all(u8::is_ascii_lowercase) {
        "lower"
    } else if local.iter().all(u8::is_ascii_alphabetic) {
        "alpha"
    } else if local.iter().all(u8::is_ascii_alphanumeric) {
        "alnum"
    } else {
        "mixed"
    };
    let n = local.len();
    let bucket = match n {
        0..=4 => "1-4",
        5..=9 => "5-9",
        10..=15 => "10-15",
        _ => "16+",
    };
    let mut out = format!("<{class} {bucket}>").into_bytes();
    out.extend_from_slice(&dom.to_ascii_lowercase());
    Some(out)
}

/// Mask digit runs so one template is one cluster: `Invoice 4471` → `Invoice #`.
pub fn subject_template(subject: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(subject.len());
    let mut in_digits = false;
    for &b in subject {
        if b.is_ascii_digit() {
            if !in_digits {
                out.push(b'#');
            }
            in_digits = true;
        } else {
            out.push(b);
            in_digits = false;
        }
    }
    Some(out)
}
