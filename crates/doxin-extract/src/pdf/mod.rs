//! PDF reading: the embedded e-invoice ([`attachments`]) and the text layer with positions
//! ([`text`]).
//!
//! Everything here is a pure function over the file's bytes. Two parsers are used, each for what
//! it does best: `lopdf` walks the object graph (name trees, file specifications, embedded file
//! streams) and `pdf_oxide` interprets content streams into positioned glyphs. Both are wrapped
//! so that hostile input yields [`ExtractError::Corrupt`] (never a panic), and both refuse
//! encrypted files with [`ExtractError::EncryptedPdf`] — including files encrypted with an empty
//! user password, which readers open silently: for now DoxIn does not process them at all, so
//! that a document's text and its attachment are never read under different assumptions.

pub mod attachments;
pub mod budget;
mod guard;
pub mod text;

pub use attachments::{EmbeddedXml, embedded_einvoice};
pub use text::{Line, TextDocument, TextPage, Word, text_layer};

use crate::{DocumentLimits, ExtractError};

/// The number of pages of a PDF (at least 1).
///
/// Encrypted files are refused with [`ExtractError::EncryptedPdf`]; damaged files and files
/// without pages are [`ExtractError::Corrupt`].
pub fn page_count(bytes: &[u8]) -> Result<u32, ExtractError> {
    page_count_within(bytes, &DocumentLimits::default())
}

/// [`page_count`] after the structural checks of [`budget::check`] against `limits`: a file
/// over a limit is [`ExtractError::TooComplex`] before any parser reads it.
pub fn page_count_within(bytes: &[u8], limits: &DocumentLimits) -> Result<u32, ExtractError> {
    guard::precheck(bytes)?;
    budget::check(bytes, limits)?;
    let doc = guard::open_oxide(bytes)?;
    guard::page_count(&doc)
}
