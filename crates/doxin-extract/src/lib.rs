//! Document in, canonical invoice out: DoxIn's extraction engine.
//!
//! The pipeline: [`sniff`] the bytes (never the file name); structured e-invoices are parsed
//! exactly ([`einvoice`]); PDFs use an embedded e-invoice when present, else their text layer
//! ([`pdf`]); images and text-less pages go to OCR; template-free rules read the rest; the
//! result is validated and scored. Each stage is a function over bytes or text; only the OCR
//! adapter starts a process. This crate knows nothing about HTTP or the database.
// Denied, not forbidden: `ocr::library` alone allows it, to call libtesseract (see there).
#![deny(unsafe_code)]

pub mod einvoice;
mod error;
pub mod fields;
pub mod layout;
pub mod limits;
pub mod ocr;
pub mod pdf;
pub mod pipeline;
pub mod render;
pub mod rules;
pub mod sniff;

pub use error::{ERROR_CODES, ExtractError};
pub use limits::DocumentLimits;
pub use sniff::{DocumentKind, sniff};
