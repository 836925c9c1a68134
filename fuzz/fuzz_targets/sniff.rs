//! Type sniffing: any bytes give a kind or a typed error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(kind) = doxin_extract::sniff(data) {
        // A claim naming the sniffed type always agrees with it.
        assert!(doxin_extract::sniff::sniff_claimed(data, kind.mime_type()).is_ok());
    }
});
