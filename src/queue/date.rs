//! qmail's date formats: `23 Nov 2026 10:11:39` (date822fmt without the zone) and RFC 3339.

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
}
