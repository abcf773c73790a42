//! TAI64N labels (`@4000000063f5e1a2...`): multilog's timestamps, decoded to unix time.
//!
//! A label is `@` and 24 hex digits: 16 for the TAI64 second, 8 for the nanosecond. libtai
//! writes `2^62 + 10 + unix seconds` (the 10 is TAI-UTC in 1972; leap seconds since are ignored
//! by daemontools itself, and so by tai64nlocal), so decoding subtracts the same constant.

/// `2^62 + 10`: the TAI64 label of the unix epoch as daemontools writes it.
pub const TAI64_UNIX_EPOCH: u64 = (1 << 62) + 10;

/// Hex digits in a TAI64N label after the `@`.
pub const LABEL_HEX_DIGITS: usize = 24;

/// A decoded TAI64N label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tai64n {
    /// Unix seconds.
    pub secs: i64,
    /// Nanoseconds (0..1e9).
    pub nanos: u32,
}

fn hex(bytes: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    for &b in bytes {
        let d = (b as char).to_digit(16)?;
        v = v.checked_mul(16)?.checked_add(u64::from(d))?;
    }
    Some(v)
}

/// Decode the label at the start of `line` (`@` + 24 hex digits). `None` when the line does not
/// start with a well-formed label or the nanoseconds are out of range.
pub fn decode(line: &[u8]) -> Option<Tai64n> {
    let label = line.strip_prefix(b"@")?.get(..LABEL_HEX_DIGITS)?;
    let tai = hex(&label[..16])?;
    let nanos = u32::try_from(hex(&label[16..])?).ok()?;
    if nanos >= 1_000_000_000 {
        return None;
    }
    let secs = i64::try_from(i128::from(tai) - i128::from(TAI64_UNIX_EPOCH)).ok()?;
    Some(Tai64n { secs, nanos })
}

/// Encode unix time as a label (what multilog's `t` option writes), for fixtures and tests.
pub fn encode(secs: i64, nanos: u32) -> String {
    let tai = (i128::from(TAI64_UNIX_EPOCH) + i128::from(secs)) as u64;
    format!("@{tai:016x}{:08x}", nanos.min(999_999_999))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_real_multilog_stamp() {
        // 0x63f5e1a2 = 1677058466 = 2023-02-22 09:34:26 UTC.
        let t = decode(b"@4000000063f5e1ac1d2c8a94 tcpserver: pid 1 from 1.2.3.4").expect("label");
        assert_eq!(t.secs, 0x63f5_e1ac - 10);
        assert_eq!(t.nanos, 0x1d2c_8a94);
    }

    #[test]
    fn round_trips() {
        for secs in [0, 1_795_428_000, 1_677_058_466] {
            let label = encode(secs, 123_456_789);
            assert_eq!(label.len(), 25);
            assert_eq!(
                decode(label.as_bytes()),
                Some(Tai64n {
                    secs,
                    nanos: 123_456_789
                })
            );
        }
    }

    #[test]
    fn rejects_short_bad_hex_and_bad_nanos() {
        assert_eq!(decode(b"@4000000063f5e1ac1d2c8a9"), None);
        assert_eq!(decode(b"@4000000063f5e1ac1d2c8a9g"), None);
        assert_eq!(decode(b"4000000063f5e1ac1d2c8a94"), None);
        assert_eq!(decode(b"@4000000063f5e1acffffffff"), None);
        assert_eq!(decode("@4000000063f5e1ac1d2c8é".as_bytes()), None);
    }
}
