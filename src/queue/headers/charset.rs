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
    if is_utf8_with_strays(value) {
        return None;
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(value, true);
    let encoding = detector.guess(None, Utf8Detection::Deny);
    let (text, had_errors) = encoding.decode_without_bom_handling(value);
    (!had_errors && reads_as_text(&text)).then(|| text.into_owned())
}

/// Is `value` UTF-8 with a few stray bytes: at least as many whole multi-byte UTF-8 characters
/// as bytes that are not UTF-8? Its writer wrote UTF-8, and the strays are kept as bytes (`\xNN`
/// on screen): read in a legacy charset, a right-to-left mark and one stray byte came out as
/// Cyrillic letters (`тАо›`), words the message never had. Legacy 8-bit text rarely forms UTF-8
/// sequences (cp1251's and KOI8-R's letters are not continuation bytes), and GB2312's pairs now
/// and then do, among many more that do not.
fn is_utf8_with_strays(value: &[u8]) -> bool {
    let (mut whole, mut strays) = (0usize, 0usize);
    for chunk in value.utf8_chunks() {
        whole += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        strays += chunk.invalid().len();
    }
    whole > 0 && strays <= whole
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
    fn utf8_with_a_stray_byte_is_not_read_in_another_charset() {
        // A right-to-left override and a stray byte, which windows-1251 read as "тАо ... ›".
        assert_eq!(decode_8bit(b"\xe2\x80\xae Rechnung \x9b"), None);
        assert_eq!(decode_8bit(b"Gr\xc3\xbc\xc3\x9fe \xff"), None);
        // Chinese in GBK, whose pairs now and then form a UTF-8 character, is still told.
        let (gbk, _, _) = encoding_rs::GBK.encode("您的订单已经发货了，请注意查收包裹");
        assert_eq!(
            decode_8bit(&gbk).as_deref(),
            Some("您的订单已经发货了，请注意查收包裹")
        );
    }

    #[test]
    fn bytes_that_read_as_no_text_cannot_be_told() {
        assert_eq!(decode_8bit(b"\xff\xfe"), None);
        assert_eq!(decode_8bit(b"caf\xe9 \xff\xfe latin"), None);
        assert_eq!(decode_8bit(b"\xc3\x28\xa0\xa1 broken"), None);
    }
}
