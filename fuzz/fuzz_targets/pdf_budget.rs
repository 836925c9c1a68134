//! The structural pre-checks run before any PDF parser: they must never panic, recurse or
//! allocate beyond their limits, whatever the bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = doxin_extract::DocumentLimits {
        // Small enough that libFuzzer's memory limit is never what stops a case.
        max_decompressed_bytes: 16 * 1024 * 1024,
        ..Default::default()
    };
    let _ = doxin_extract::pdf::budget::check(data, &limits);
});
