//! Find where a header field's name ends and which of the fields the analysis keeps it names,
//! eight bytes at a time: every line of every header block goes through both.

/// The header fields [`super::summarize`] keeps.
pub(super) enum Wanted {
    Received,
    Subject,
    From,
    Mailer,
    PhpScript,
    /// `To:` (counted with Cc, and where PHP's mail() writes it first).
    To,
    /// `Cc:`.
    Rcpt,
    ReplyTo,
    /// `Date:`, `Message-ID:`, `Mail-Followup-To:`: fields qmail-inject adds above the ones it
    /// was given (with From and Cc).
    Injected,
    Other,
}

const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGHS: u64 = ONES * 0x80;

/// Does `b` end a field name: a colon, or anything but printable ASCII?
fn ends_name(b: u8) -> bool {
    b == b':' || b <= b' ' || b >= 127
}

/// The high bit of each byte of `w` that ends a name ([`ends_name`]) set, and maybe of bytes
/// above the lowest such one (a borrow or carry runs upward only from a byte that ends a name),
/// so the lowest set bit marks the first byte that ends the name.
fn name_ends(w: u64) -> u64 {
    let colon = w ^ (ONES * u64::from(b':'));
    let is_colon = colon.wrapping_sub(ONES) & !colon & HIGHS;
    let below_printable = w.wrapping_sub(ONES * 0x21) & !w & HIGHS;
    let above_printable = (w.wrapping_add(ONES) | w) & HIGHS;
    is_colon | below_printable | above_printable
}

/// The offset of the first byte of `raw` that ends a field name ([`ends_name`]).
pub(super) fn name_end(raw: &[u8]) -> Option<usize> {
    let mut words = raw.chunks_exact(8);
    let mut at = 0;
    for w in words.by_ref() {
        let m = name_ends(u64::from_le_bytes(w.try_into().expect("chunks of 8")));
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let rest = words.remainder();
    rest.iter().position(|&b| ends_name(b)).map(|p| at + p)
}

/// Bytes `at..at + N` of `name`, ASCII letters lowercased by setting bit 5: for a name (bytes
/// `0x21..=0x7e`) this matches a pattern of lowercase letters and `-` exactly as
/// `eq_ignore_ascii_case` does, since only `A-Z` and `a-z` map onto `a-z` and `-` is its own
/// only preimage above `0x20`.
fn folded<const N: usize>(name: &[u8], at: usize) -> [u8; N] {
    let mut w: [u8; N] = name[at..at + N].try_into().expect("the arm's length");
    w.iter_mut().for_each(|b| *b |= 0x20);
    w
}

/// Which kept field `name` names, case-insensitively. `name` holds no byte that
/// [`ends_name`] (as [`name_end`] leaves it).
pub(super) fn wanted(name: &[u8]) -> Wanted {
    match name.len() {
        2 => match &folded::<2>(name, 0) {
            b"to" => Wanted::To,
            b"cc" => Wanted::Rcpt,
            _ => Wanted::Other,
        },
        4 => match &folded::<4>(name, 0) {
            b"from" => Wanted::From,
            b"date" => Wanted::Injected,
            _ => Wanted::Other,
        },
        10 if &folded::<10>(name, 0) == b"message-id" => Wanted::Injected,
        16 if &folded::<16>(name, 0) == b"mail-followup-to" => Wanted::Injected,
        7 if &folded::<7>(name, 0) == b"subject" => Wanted::Subject,
        8 => match &folded::<8>(name, 0) {
            b"received" => Wanted::Received,
            b"x-mailer" => Wanted::Mailer,
            b"reply-to" => Wanted::ReplyTo,
            _ => Wanted::Other,
        },
        24 if &folded::<24>(name, 0) == b"x-php-originating-script" => Wanted::PhpScript,
        _ => Wanted::Other,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// [`wanted`] as first written, for names of any bytes.
    fn wanted_by_compare(name: &[u8]) -> u8 {
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        match name.len() {
            2 if is(b"to") => 8,
            2 if is(b"cc") => 1,
            4 if is(b"from") => 2,
            4 if is(b"date") => 9,
            10 if is(b"message-id") => 9,
            16 if is(b"mail-followup-to") => 9,
            7 if is(b"subject") => 3,
            8 if is(b"received") => 4,
            8 if is(b"x-mailer") => 5,
            8 if is(b"reply-to") => 7,
            24 if is(b"x-php-originating-script") => 6,
            _ => 0,
        }
    }

    fn code(w: Wanted) -> u8 {
        match w {
            Wanted::Rcpt => 1,
            Wanted::From => 2,
            Wanted::Subject => 3,
            Wanted::Received => 4,
            Wanted::Mailer => 5,
            Wanted::PhpScript => 6,
            Wanted::ReplyTo => 7,
            Wanted::To => 8,
            Wanted::Injected => 9,
            Wanted::Other => 0,
        }
    }

    #[test]
    fn every_byte_ends_a_name_as_the_rule_says() {
        for b in 0..=255u8 {
            for at in 0..12 {
                let mut raw = vec![b'a'; 12];
                raw[at] = b;
                let want = ends_name(b).then_some(at);
                assert_eq!(name_end(&raw), want, "byte {b:#x} at {at}");
            }
        }
    }

    #[test]
    fn names_in_any_case_and_their_near_misses() {
        for (name, want) in [
            (&b"Received"[..], 4),
            (b"RECEIVED", 4),
            (b"x-Mailer", 5),
            (b"X\rMailer", 0),
            (b"x\x0dmailer", 0),
            (b"Subject", 3),
            (b"SUBJECt", 3),
            (b"Subjec", 0),
            (b"From", 2),
            (b"Date", 9),
            (b"Dat", 0),
            (b"Message-ID", 9),
            (b"Reply-To", 7),
            (b"TO", 8),
            (b"cC", 1),
            (b"T\x0f", 0),
            (b"X-PHP-Originating-Script", 6),
            (b"X-PHP-Originating\x0dScript", 0),
        ] {
            let n = &name[..name_end(name).unwrap_or(name.len())];
            assert_eq!(code(wanted(n)), if n == name { want } else { 0 });
        }
    }

    /// Bytes near the patterns' letters in case and in bit 5.
    const NAME_BYTES: &[u8] =
        b"toTOcCfrFRomOMsubjectSUBJECTrcvRCVxX-\rMm\x0d\x0f@`[{~!\x7f\x80\xff :";

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn name_end_and_wanted_equal_the_byte_at_a_time_rules(
            raw in prop::collection::vec(prop::sample::select(NAME_BYTES), 0..30),
            pick in prop::sample::select(vec![
                &b"to"[..], b"cc", b"from", b"subject", b"received", b"x-mailer",
                b"x-php-originating-script", b"reply-to", b"date", b"message-id",
                b"mail-followup-to",
            ]),
            upper in prop::collection::vec(prop::bool::ANY, 24),
        ) {
            prop_assert_eq!(name_end(&raw), raw.iter().position(|&b| ends_name(b)));
            // A kept name in mixed case, or the generated bytes, cut where the name ends.
            let cased: Vec<u8> = pick
                .iter()
                .zip(&upper)
                .map(|(&b, &u)| if u { b.to_ascii_uppercase() } else { b })
                .collect();
            for v in [&raw[..], &cased[..]] {
                let name = &v[..name_end(v).unwrap_or(v.len())];
                prop_assert_eq!(code(wanted(name)), wanted_by_compare(name));
            }
        }
    }
}
