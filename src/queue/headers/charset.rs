//! Guess the charset of raw 8-bit header text that declares none, and decode it when the guess
//! reads as text; otherwise say it cannot be told, so the bytes are shown as `\xNN`.
//!
//! Floods carry Subjects in cp1251, KOI8-R, GB2312... written raw, with no RFC 2047 word to name
//! the charset. Read as Latin-1 (mailparse's fallback) they become mojibake ("Ñêèäêà"), which
//! hides the spam's own words from the operator and from `subject:` queries. chardetng (the
//! detector Firefox uses) guesses from byte statistics; the guess is kept only when its text
//! looks like words, because a detector always answers something, even for `\xff\xfe`.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};

/// `value` (not UTF-8) decoded from its likely charset, or `None` when no charset reads as
/// text (the caller keeps the bytes).
pub(crate) fn decode_8bit(value: &[u8]) -> Option<String> {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(value, true);
    let encoding = detector.guess(None, Utf8Detection::Deny);
    let (text, had_errors) = encoding.decode_without_bom_handling(value);
    (!had_errors && reads_as_text(&text)).then(|| text.into_owned())
}

/// Does decoded text look like words rather than bytes forced into letters? Every non-ASCII
/// character must be a letter, a digit or common punctuation; a word of two or more letters
/// may use accented Latin letters only beside plain ones (`café`, `Grüße`), as a word made of
/// accented Latin letters alone (`ÿþ`, `Ñêèäêà`) is what a wrong 8-bit guess produces, while
/// the other scripts' words (Cyrillic, Greek, CJK) are all their own letters; and at least one
/// such word of two or more letters must be there, since lone letters (`Ă( Ą`) prove nothing.
fn reads_as_text(text: &str) -> bool {
    let symbols_ok = text
        .chars()
        .all(|c| c.is_ascii() || c.is_alphanumeric() || is_common_punctuation(c));
    let mut words = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().nth(1).is_some() && !w.is_ascii());
    let mut any = false;
    symbols_ok
        && words.all(|w| {
            any = true;
            !is_accented_latin_only(w)
        })
        && any
}

fn is_accented_latin_only(word: &str) -> bool {
    word.chars().count() > 1
        && !word.chars().any(|c| c.is_ascii_alphabetic())
        && word.chars().any(|c| ('\u{c0}'..='\u{24f}').contains(&c))
}

/// Punctuation a subject line uses in the scripts chardetng guesses: quotes, dashes, the
/// ellipsis, the numero sign, currency, degrees.
fn is_common_punctuation(c: char) -> bool {
    matches!(
        c,
        '\u{a0}'
            | '«'
            | '»'
            | '–'
            | '—'
            | '‘'
            | '’'
            | '‚'
            | '“'
            | '”'
            | '„'
            | '…'
            | '№'
            | '€'
            | '£'
            | '¥'
            | '°'
            | '©'
            | '®'
            | '™'
            | '•'
            | '·'
            | '§'
            | '！'
            | '？'
            | '，'
            | '。'
            | '：'
            | '、'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Скидка 42% только сегодня" in windows-1251, as a flood writes it.
    const CP1251: &[u8] =
        b"\xd1\xea\xe8\xe4\xea\xe0 42% \xf2\xee\xeb\xfc\xea\xee \xf1\xe5\xe3\xee\xe4\xed\xff";

    #[test]
    fn cp1251_is_told_and_decoded() {
        assert_eq!(
            decode_8bit(CP1251).as_deref(),
            Some("Скидка 42% только сегодня")
        );
    }

    #[test]
    fn koi8_r_is_told_too() {
        let (koi8, _, _) = encoding_rs::KOI8_R.encode("Ваш заказ отправлен сегодня");
        assert_eq!(
            decode_8bit(&koi8).as_deref(),
            Some("Ваш заказ отправлен сегодня")
        );
    }

    #[test]
    fn latin1_words_stay_latin1() {
        assert_eq!(
            decode_8bit(b"Votre caf\xe9 est pr\xeat").as_deref(),
            Some("Votre café est prêt")
        );
    }

    #[test]
    fn bytes_that_read_as_no_text_cannot_be_told() {
        assert_eq!(decode_8bit(b"\xff\xfe"), None);
        assert_eq!(decode_8bit(b"caf\xe9 \xff\xfe latin"), None);
        assert_eq!(decode_8bit(b"\xc3\x28\xa0\xa1 broken"), None);
    }
}
