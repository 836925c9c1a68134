//! The PDF text layer behind the pre-checks, as the sandbox runs it: a document that passes
//! the structural checks is read to positioned words, or refused with a typed error.
//!
//! DoxIn runs the PDF libraries behind `catch_unwind` (`pdf::guard::no_panic`): a panic inside
//! them is a `corrupt_file` error, by design. libFuzzer's panic hook would abort on such a
//! caught panic, so this target silences the hook; a panic that escapes DoxIn still aborts
//! (libfuzzer-sys aborts when the closure unwinds) and is a finding.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
        let limits = doxin_extract::DocumentLimits {
            max_decompressed_bytes: 16 * 1024 * 1024,
            ..Default::default()
        };
        if doxin_extract::pdf::budget::check(data, &limits).is_ok() {
            let _ = doxin_extract::pdf::text_layer(data);
            let _ = doxin_extract::pdf::page_count_within(data, &limits);
        }
    }
);
