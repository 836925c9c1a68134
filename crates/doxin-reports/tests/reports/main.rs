//! The crate's integration tests, one binary (linking the extraction engine once).

mod exports;
mod ubl_roundtrip;
