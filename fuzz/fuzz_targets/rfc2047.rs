//! Fuzz RFC 2047 decoding of Subjects and From display names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtriage::queue::headers::{decode_text, parse_from, MAX_DECODE};

fuzz_target!(|data: &[u8]| {
    let decoded = decode_text(data);
    // Decoding is bounded: the input is cut at MAX_DECODE bytes before decoding, and no charset
    // expands a byte into more than 4 bytes of UTF-8 plus replacement characters.
    assert!(decoded.len() <= MAX_DECODE * 4 + 16);
    let mut field = b"From: ".to_vec();
    field.extend_from_slice(data);
    let _ = parse_from(&field);
});
