//! Exports of one invoice or a set: CSV, XLSX, JSON, and UBL (a ZIP of one UBL 2.1 document
//! per invoice).
//!
//! The caller (the server) reads invoices from the store and hands them over as
//! [`ExportItem`]s, which borrow the canonical invoice and carry the bookkeeping the store keeps
//! beside it (id, review status, confidence, timestamps). This crate has no database: the item
//! type is deliberately small so that the store's record type does not leak in here.
//!
//! The tabular formats share one column definition ([`columns`]): CSV writes it as text, XLSX
//! as typed cells (numbers, dates), so the two never disagree on what a column means.
//! [`render`] picks the renderer from an [`ExportFormat`]; the per-format modules can be used
//! directly too.

use chrono::{DateTime, Utc};
use doxin_model::Invoice;
use uuid::Uuid;

pub mod columns;
pub mod csv;
pub mod json;
pub mod ubl_zip;
pub mod xlsx;

/// One invoice to export, with the bookkeeping the store keeps beside it.
#[derive(Debug, Clone, Copy)]
pub struct ExportItem<'a> {
    pub id: Uuid,
    /// Review status as the API spells it (`needs_review`, `approved`, `rejected`).
    pub status: &'a str,
    /// Overall extraction confidence, 0..=1.
    pub confidence: f32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub invoice: &'a Invoice,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// One row per invoice.
    Csv,
    /// One row per invoice line (sub-lines included, with their parent line id).
    CsvLines,
    /// A workbook with an "Invoices" and a "Lines" sheet.
    Xlsx,
    /// The canonical invoices with bookkeeping, as JSON.
    Json,
    /// UBL 2.1: one XML document for a single invoice, a ZIP of documents for a set.
    Ubl,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Csv,
        ExportFormat::CsvLines,
        ExportFormat::Xlsx,
        ExportFormat::Json,
        ExportFormat::Ubl,
    ];

    /// The name used in `?format=`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::CsvLines => "csv-lines",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
            ExportFormat::Ubl => "ubl",
        }
    }

    /// Parses a `?format=` value (case-insensitive); `None` for anything else.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        let s = s.trim();
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
    }

    /// The media type of the rendered output; `set` is whether several invoices are exported
    /// (only UBL changes: a set is a ZIP).
    pub fn content_type(self, set: bool) -> &'static str {
        match self {
            // `header=present` (RFC 4180) tells importers to skip the first row.
            ExportFormat::Csv | ExportFormat::CsvLines => "text/csv; charset=utf-8; header=present",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Json => "application/json",
            ExportFormat::Ubl if set => "application/zip",
            ExportFormat::Ubl => "application/xml",
        }
    }

    /// The file name extension (without the dot) of the rendered output.
    pub fn extension(self, set: bool) -> &'static str {
        match self {
            ExportFormat::Csv | ExportFormat::CsvLines => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
            ExportFormat::Ubl if set => "zip",
            ExportFormat::Ubl => "xml",
        }
    }
}

impl std::fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an export could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("writing CSV failed: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("writing XLSX failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("writing JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("writing the ZIP archive failed: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// More rows than a spreadsheet holds (XLSX: 1,048,575 below the header); a narrower
    /// filter, or CSV, is the way out.
    #[error("the {sheet} sheet would have {rows} rows; a spreadsheet holds at most 1,048,575")]
    TooManyRows { sheet: &'static str, rows: usize },
    /// A single invoice that cannot be written as UBL (in a set such invoices are skipped and
    /// listed in the archive's manifest instead).
    #[error("invoice {id} cannot be written as UBL: {source}")]
    Ubl {
        id: Uuid,
        #[source]
        source: crate::ubl::ExportError,
    },
}

impl RenderError {
    /// Whether the error comes from the invoice's content (the client can fix it), rather than
    /// from writing (a server fault).
    pub fn is_content_error(&self) -> bool {
        matches!(
            self,
            RenderError::Ubl { .. } | RenderError::TooManyRows { .. }
        )
    }
}

/// The rendered bytes with what an HTTP response needs to describe them.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub extension: &'static str,
}

/// Renders one invoice (`single`: the JSON is an object, UBL a bare XML document) or a set
/// (JSON: an object with an `invoices` array; UBL: a ZIP).
///
/// `single` with more or fewer than one item renders as a set: the shape follows what was
/// asked for, never silently the first item.
pub fn render(
    items: &[ExportItem<'_>],
    format: ExportFormat,
    single: bool,
) -> Result<Rendered, RenderError> {
    let one = match items {
        [only] if single => Some(only),
        _ => None,
    };
    let set = one.is_none();
    let bytes = match (format, one) {
        (ExportFormat::Csv, _) => csv::invoices_csv(items)?,
        (ExportFormat::CsvLines, _) => csv::lines_csv(items)?,
        (ExportFormat::Xlsx, _) => xlsx::to_xlsx(items)?,
        (ExportFormat::Json, Some(item)) => json::to_json_one(item)?,
        (ExportFormat::Json, None) => json::to_json(items)?,
        (ExportFormat::Ubl, Some(item)) => {
            crate::ubl::to_ubl_bytes(item.invoice).map_err(|source| RenderError::Ubl {
                id: item.id,
                source,
            })?
        }
        (ExportFormat::Ubl, None) => ubl_zip::to_ubl_zip(items)?,
    };
    Ok(Rendered {
        bytes,
        content_type: format.content_type(set),
        extension: format.extension(set),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name_and_describe_their_output() {
        for f in ExportFormat::ALL {
            assert_eq!(ExportFormat::parse(f.as_str()), Some(f));
            assert_eq!(ExportFormat::parse(&f.as_str().to_uppercase()), Some(f));
        }
        assert_eq!(ExportFormat::parse("pdf"), None);
        assert_eq!(ExportFormat::parse(""), None);
        assert_eq!(ExportFormat::Ubl.content_type(true), "application/zip");
        assert_eq!(ExportFormat::Ubl.extension(false), "xml");
        assert!(
            ExportFormat::CsvLines
                .content_type(false)
                .starts_with("text/csv")
        );
    }
}
