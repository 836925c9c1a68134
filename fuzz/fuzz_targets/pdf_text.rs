//! The PDF text layer behind the pre-checks, as the sandbox runs it: a document that passes
//! the structural checks is read to positioned words, or refused with a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = doxin_extract::DocumentLimits {
        max_decompressed_bytes: 16 * 1024 * 1024,
        ..Default::default()
    };
    if doxin_extract::pdf::budget::check(data, &limits).is_ok() {
        let _ = doxin_extract::pdf::text_layer(data);
        let _ = doxin_extract::pdf::page_count_within(data, &limits);
    }
});
