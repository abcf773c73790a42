//! Fuzz the header block reader, field iteration, Received parsers and attribution, on raw
//! bytes and on bytes mapped into an alphabet of header delimiters (finds structure bugs faster).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtriage::queue::headers::{fields, header_end, summarize, MAX_FIELDS};
use qtriage::queue::origin::{attribute, EnvelopeHints};
use qtriage::queue::received::{parse_queue_line, parse_smtp_hop};
use qtriage::queue::Interner;

const ALPHABET: &[u8] = b"Received: (qmail 1 invoked from network)@ \n\t\r()[]:;=?QB";

fn exercise(data: &[u8]) {
    let end = header_end(data).unwrap_or(data.len());
    let block = &data[..end];
    assert!(fields(block).count() <= MAX_FIELDS);
    let s = summarize(block);
    if let Some(q) = s.queue_received.as_deref() {
        let _ = parse_queue_line(q);
    }
    if let Some(h) = s.hop_received.as_deref() {
        let _ = parse_smtp_hop(h);
    }
    let strings = Interner::new();
    let _ = attribute(&s, EnvelopeHints::default(), &strings);
}

fuzz_target!(|data: &[u8]| {
    exercise(data);
    let mapped: Vec<u8> = data.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()]).collect();
    exercise(&mapped);
});
