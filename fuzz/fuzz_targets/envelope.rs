//! Fuzz the envelope parsers (info/, local/, remote/, todo/ bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtriage::queue::envelope::{parse_channel, parse_info, parse_todo};

fuzz_target!(|data: &[u8]| {
    let _ = parse_info(data);
    let (rcpts, _) = parse_channel(data);
    for (addr, _) in rcpts {
        assert!(!addr.contains(&0), "a record value never holds its terminator");
    }
    let (todo, _) = parse_todo(data);
    assert!(todo.recipients.len() <= data.len());
});
