//! qmail's date formats: `23 Nov 2026 10:11:39` (date822fmt without the zone) and RFC 3339.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::Timestamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `d Mon yyyy hh:mm:ss` in UTC, as qmail's date822fmt writes it (day not zero-padded).
pub fn qmail_date(secs: i64) -> String {
    let Ok(ts) = Timestamp::from_second(secs) else {
        return format!("@{secs}");
    };
    let z = ts.to_zoned(TimeZone::UTC);
    format!(
        "{} {} {} {:02}:{:02}:{:02}",
        z.day(),
        MONTHS[(z.month() - 1) as usize],
        z.year(),
        z.hour(),
        z.minute(),
        z.second()
    )
}

/// The time qmail's date822fmt wrote as `d Mon yyyy hh:mm:ss -0000` (qmail-queue's own
/// Received line ends with it), in unix seconds; `None` for any other shape. Strict on purpose:
/// a date in another shape was not written by qmail, and whoever reads it falls back to the
/// file's mtime rather than guess.
pub fn parse_qmail_date(v: &[u8]) -> Option<i64> {
    let mut fields = v.split(|&b| b == b' ');
    let mut next = || fields.next().filter(|f| !f.is_empty());
    let day = digits(next()?, 1..=2)?;
    let month = next()?;
    let month = MONTHS.iter().position(|m| m.as_bytes() == month)? + 1;
    let year = digits(next()?, 4..=4)?;
    let hms = next()?;
    let zone = next()?;
    if next().is_some() || (zone != b"-0000" && zone != b"+0000") {
        return None;
    }
    let [h0, h1, b':', m0, m1, b':', s0, s1] = *hms else {
        return None;
    };
    let hour = digits(&[h0, h1], 2..=2)?;
    let minute = digits(&[m0, m1], 2..=2)?;
    let second = digits(&[s0, s1], 2..=2)?;
    let at = DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(hour).ok()?,
        i8::try_from(minute).ok()?,
        i8::try_from(second).ok()?,
        0,
    )
    .ok()?;
    Some(
        at.duration_since(DateTime::constant(1970, 1, 1, 0, 0, 0, 0))
            .as_secs(),
    )
}

/// `f` as a decimal number of a length in `len`, ASCII digits only.
fn digits(f: &[u8], len: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if !len.contains(&f.len()) || !f.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(f.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// RFC 3339 in UTC (`2026-11-23T10:11:39Z`).
pub fn rfc3339(secs: i64) -> String {
    match Timestamp::from_second(secs) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => format!("@{secs}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2026-11-23 10:11:39 UTC
        let t = 1_795_428_699;
        assert_eq!(qmail_date(t), "23 Nov 2026 10:11:39");
        assert_eq!(rfc3339(t), "2026-11-23T10:11:39Z");
        assert_eq!(qmail_date(86400 * 4), "5 Jan 1970 00:00:00");
    }

    #[test]
    fn qmail_dates_are_read_back_exactly() {
        for t in [
            0,
            86_400 * 4 + 1,
            951_782_400,
            1_795_428_699,
            1_796_167_175,
            4_102_444_799,
        ] {
            let written = format!("{} -0000", qmail_date(t));
            assert_eq!(parse_qmail_date(written.as_bytes()), Some(t), "{written}");
        }
        assert_eq!(
            parse_qmail_date(b"29 Feb 2024 23:59:59 +0000"),
            Some(1_709_251_199)
        );
    }

    #[test]
    fn other_shapes_are_not_guessed() {
        for odd in [
            &b""[..],
            b"1 Dec 2026 23:19:35",
            b"1 Dec 2026 23:19:35 +0100",
            b"Tue, 1 Dec 2026 23:19:35 -0000",
            b"01 Dec 2026 23:19:35 -0000 extra",
            b"1 Dez 2026 23:19:35 -0000",
            b"31 Feb 2026 23:19:35 -0000",
            b"1 Dec 26 23:19:35 -0000",
            b"1 Dec 2026 24:00:00 -0000",
            b"1 Dec 2026 2:19:35 -0000",
            b"1  Dec 2026 23:19:35 -0000",
            b"\xff Dec 2026 23:19:35 -0000",
            b"+1 Dec 2026 23:19:35 -0000",
        ] {
            assert_eq!(
                parse_qmail_date(odd),
                None,
                "{}",
                String::from_utf8_lossy(odd)
            );
        }
    }
}
