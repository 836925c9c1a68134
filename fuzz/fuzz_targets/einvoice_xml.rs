//! UBL / CII / ZUGFeRD 1 parsing: hostile XML (entities, depth, size) is a typed error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = doxin_extract::einvoice::parse(data);
});
