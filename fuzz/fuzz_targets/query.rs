//! Fuzz the query parser: never panic, and every parsed query prints to text that parses back
//! to the same query.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtriage::query::Query;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(q) = Query::parse(text) {
        let printed = q.to_string();
        let again = Query::parse(&printed).expect("a printed query parses");
        assert_eq!(q, again, "round trip of {text:?} via {printed:?}");
    }
});
