//! qmail's date formats: `23 Nov 2026 10:11:39` (date822fmt without the zone) and RFC 3339.

use jiff::tz::TimeZone;
use jiff::Timestamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The current time in unix seconds (this host's clock; 0 before 1970).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

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

/// Append [`qmail_date`]`(secs)` to `out`.
///
/// `read` writes a date a message: jiff's zoned conversion and `format!`'s String were about
/// 15 % of `read`'s user time (perf, the 100,000-message bench queue). jiff's fixed-offset
/// conversion and the digits pushed as bytes take about a tenth of it (13 ns a call against
/// 132 ns, and against 20 ns for the civil-from-days arithmetic this replaced, session 59).
pub fn write_qmail_date(out: &mut Vec<u8>, secs: i64) {
    // 1970 to the year 5138: four-digit years; the rest as qmail_date writes it.
    let civil = (0..100_000_000_000)
        .contains(&secs)
        .then(|| Timestamp::from_second(secs).ok())
        .flatten()
        .map(|t| jiff::tz::Offset::UTC.to_datetime(t));
    let Some(dt) = civil else {
        out.extend_from_slice(qmail_date(secs).as_bytes());
        return;
    };
    let digit = |v: i16| b'0' + (v % 10) as u8;
    let (day, year) = (i16::from(dt.day()), dt.year());
    if day >= 10 {
        out.push(digit(day / 10));
    }
    out.push(digit(day));
    out.push(b' ');
    out.extend_from_slice(MONTHS[(dt.month() - 1) as usize].as_bytes());
    let (h, m, s) = (
        i16::from(dt.hour()),
        i16::from(dt.minute()),
        i16::from(dt.second()),
    );
    out.extend_from_slice(&[
        b' ',
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b' ',
        digit(h / 10),
        digit(h),
        b':',
        digit(m / 10),
        digit(m),
        b':',
        digit(s / 10),
        digit(s),
    ]);
}

/// The time qmail's date822fmt wrote as `d Mon yyyy hh:mm:ss -0000` (qmail-queue's own
/// Received line ends with it), in unix seconds; `None` for any other shape. Strict on purpose:
/// a date in another shape was not written by qmail, and whoever reads it falls back to the
/// file's mtime rather than guess.
pub fn parse_qmail_date(v: &[u8]) -> Option<i64> {
    // The day has one digit or two; the rest has fixed widths: "Mon yyyy hh:mm:ss -0000".
    // Three bytes: a loop, not a memchr call's setup.
    let day_len = v.get(..3)?.iter().position(|&b| b == b' ')?;
    if v[0] == b'0' {
        // date822fmt does not pad the day.
        return None;
    }
    let rest: &[u8; 23] = v[day_len + 1..].try_into().ok()?;
    let [m0, m1, m2, b' ', y0, y1, y2, y3, b' ', h0, h1, b':', i0, i1, b':', s0, s1, b' ', b'-', b'0', b'0', b'0', b'0'] =
        *rest
    else {
        return None;
    };
    // A match, not a search of `MONTHS`: a flood's "Dec" is the twelfth, and the search cost 285
    // more instructions a message (callgrind, the header pass at 100,000).
    let month: i8 = match [m0, m1, m2] {
        [b'J', b'a', b'n'] => 1,
        [b'F', b'e', b'b'] => 2,
        [b'M', b'a', b'r'] => 3,
        [b'A', b'p', b'r'] => 4,
        [b'M', b'a', b'y'] => 5,
        [b'J', b'u', b'n'] => 6,
        [b'J', b'u', b'l'] => 7,
        [b'A', b'u', b'g'] => 8,
        [b'S', b'e', b'p'] => 9,
        [b'O', b'c', b't'] => 10,
        [b'N', b'o', b'v'] => 11,
        [b'D', b'e', b'c'] => 12,
        _ => return None,
    };
    let (hour, minute, second) = (number(&[h0, h1])?, number(&[i0, i1])?, number(&[s0, s1])?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let midnight = days_since_epoch(number(&[y0, y1, y2, y3])?, month, number(&v[..day_len])?)?;
    Some(midnight * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// Days from 1 January 1970 to `day`.`month`.`year` (proleptic Gregorian, as jiff counts), or
/// `None` when the month has no such day (what `jiff::civil::Date::new` refuses for a year
/// of four digits). Arithmetic, not jiff: the header pass reads a date a message, and jiff's
/// checked constructor and span took about a third of this parse (callgrind, the header pass
/// at 100,000 messages).
fn days_since_epoch(year: u32, month: i8, day: u32) -> Option<i64> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        2 => 28 + u32::from(leap),
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    // Howard Hinnant's days_from_civil: years counted from March, so the leap day ends one.
    let (m, d) = (i64::from(month), i64::from(day));
    let y = i64::from(year) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// `digits` as a decimal number: ASCII digits only, at least one.
fn number(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
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
    use jiff::civil::Date;

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
            parse_qmail_date(b"29 Feb 2024 23:59:59 -0000"),
            Some(1_709_251_199)
        );
    }

    /// The arithmetic against jiff's [`qmail_date`], which it stands in for: the edges of
    /// its range, leap days, and times it leaves to jiff (before 1970, far future, jiff's
    /// own limits).
    #[test]
    fn written_dates_are_qmail_date() {
        let written = |t: i64| {
            let mut out = b"x".to_vec();
            write_qmail_date(&mut out, t);
            String::from_utf8(out).expect("ascii")
        };
        for t in [
            0,
            59,
            86_399,
            86_400,
            951_782_400,
            951_868_799,
            1_709_251_199,
            1_795_428_699,
            1_796_590_417,
            4_102_444_799,
            4_102_444_800,
            99_999_999_999,
            100_000_000_000,
            253_402_300_799,
            253_402_300_800,
            -1,
            -86_401,
            i64::MIN,
            i64::MAX,
        ] {
            assert_eq!(written(t), format!("x{}", qmail_date(t)), "{t}");
        }
        // Every day of 1970-2500 at a time of day that moves with it.
        for day in 0..194_000i64 {
            let t = day * 86_400 + (day * 7_919) % 86_400;
            assert_eq!(written(t), format!("x{}", qmail_date(t)), "{t}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_second_is_written_as_qmail_date(t in proptest::num::i64::ANY) {
            let mut out = Vec::new();
            write_qmail_date(&mut out, t);
            proptest::prop_assert_eq!(out, qmail_date(t).into_bytes());
        }

        #[test]
        fn any_second_of_this_world_is_written_as_qmail_date(t in 0i64..100_000_000_000) {
            let mut out = Vec::new();
            write_qmail_date(&mut out, t);
            proptest::prop_assert_eq!(out, qmail_date(t).into_bytes());
        }

        #[test]
        fn any_bytes_are_read_without_panic(v in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let _ = parse_qmail_date(&v);
        }

        #[test]
        fn every_second_to_year_9999_is_read_back(t in 0i64..253_402_300_800) {
            let written = format!("{} -0000", qmail_date(t));
            proptest::prop_assert_eq!(parse_qmail_date(written.as_bytes()), Some(t));
        }
    }

    /// The arithmetic against jiff, which it replaced: every day of the years around leap
    /// rules and today, the first and last days of every year, and days past a month's end.
    #[test]
    fn days_since_epoch_equals_jiff() {
        let epoch = Date::constant(1970, 1, 1);
        let jiff = |y: u32, m: i8, d: u32| {
            let date = Date::new(i16::try_from(y).ok()?, m, i8::try_from(d).ok()?).ok()?;
            Some(date.duration_since(epoch).as_secs() / 86_400)
        };
        let years = [
            0, 1, 3, 4, 99, 100, 400, 1600, 1899, 1900, 1969, 1970, 2000, 2024, 2026, 2100,
        ];
        for y in years.into_iter().chain([9999]) {
            for m in 1..=12 {
                for d in 0..=40 {
                    assert_eq!(days_since_epoch(y, m, d), jiff(y, m, d), "{y}-{m}-{d}");
                }
            }
        }
        for y in 0..=9999 {
            for (m, d) in [(1, 1), (2, 28), (2, 29), (3, 1), (12, 31)] {
                assert_eq!(days_since_epoch(y, m, d), jiff(y, m, d), "{y}-{m}-{d}");
            }
        }
    }

    #[test]
    fn other_shapes_are_not_guessed() {
        for odd in [
            &b""[..],
            b"1 Dec 2026 23:19:35",
            b"1 Dec 2026 23:19:35 +0100",
            b"1 Dec 2026 23:19:35 +0000",
            b"01 Dec 2026 23:19:35 -0000",
            b"0 Dec 2026 23:19:35 -0000",
            b"29 Feb 2026 23:19:35 -0000",
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
