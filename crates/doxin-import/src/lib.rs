//! Imports into DoxIn.
//!
//! - [`reference`]: the earlier system's AdventureWorks-shaped workbook (nine sheets:
//!   categories, subcategories, products, territories, salespersons, ship methods, companies
//!   with their addresses, sales order headers and lines). Reference rows go to the
//!   workspace's reference data, companies to its customers, and every sales order becomes an
//!   invoice with its lines.
//! - [`invoices_csv`]: invoices and their lines from a CSV file whose header row names
//!   canonical fields.
//! - [`sample`]: writes a workbook of the reference shape, for trying the import, tests and
//!   benchmarks.
//!
//! Both imports read their file as a stream of rows, check each row on its own, import every
//! row that passes and report every one that does not with its sheet, row number and reason
//! ([`ImportSummary`]). Every record carries a natural key and a hash of the source rows it
//! came from, so importing the same file again changes nothing and a changed row updates its
//! record in place.
#![forbid(unsafe_code)]

mod cells;
pub mod invoices_csv;
pub mod reference;
pub mod sample;
mod summary;
mod workbook;
mod writer;

pub use summary::{ImportSummary, Rejection};

use doxin_store::StoreError;

/// Why an import could not run at all. Problems with single rows are not errors: they are
/// [`Rejection`]s in the summary.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("the workbook lacks the sheet(s) {missing} (it has: {found})")]
    MissingSheets { missing: String, found: String },
    #[error("sheet {sheet} lacks the column(s) {missing} in its header row")]
    MissingColumns { sheet: String, missing: String },
    #[error("unknown column(s) {unknown} in the header row; known: {known}")]
    UnknownColumns { unknown: String, known: String },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the importer reports while it works: `(stage, rows done, rows in all when known)`.
pub type Progress<'a> = &'a (dyn Fn(&str, u64, Option<u64>) + Sync);

/// SHA-256 of a value's JSON, as the content hash an import compares.
pub(crate) fn content_hash(value: &impl serde::Serialize) -> String {
    use sha2::Digest;
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(sha2::Sha256::digest(&bytes))
}
