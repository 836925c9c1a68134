//! CSV: one row per invoice ([`invoices_csv`]) or one row per line ([`lines_csv`]).
//!
//! RFC 4180 with a header row, comma-separated, CRLF line ends, UTF-8 without a byte-order
//! mark; fields holding a comma, a quote or a line break are quoted by the `csv` writer, so
//! any text round-trips through a CSV reader. Amounts are the stored decimals, exactly (a `.`
//! as decimal separator, no grouping), dates ISO 8601, timestamps RFC 3339 in UTC.
//!
//! Formula injection (CWE-1236): spreadsheet programs opening a CSV run a cell starting with
//! `=`, `+`, `-` or `@` (and, in some, a tab or carriage return) as a formula, and invoice text
//! comes from outside (a supplier can name itself `=HYPERLINK(...)`). Such text cells are
//! neutralised by prefixing a single quote `'`, the OWASP recommendation, which spreadsheets
//! show as text. Only text cells are touched: amounts and dates are written by us from typed
//! values, so a negative amount stays `-12.00` and still reads as a number.

use super::ExportItem;
use super::RenderError;
use super::columns::{Cell, INVOICE_COLUMNS, LINE_COLUMNS, invoice_row, line_rows};

/// One row per invoice, with the [`INVOICE_COLUMNS`] header.
pub fn invoices_csv(items: &[ExportItem<'_>]) -> Result<Vec<u8>, RenderError> {
    write(INVOICE_COLUMNS, items.iter().map(invoice_row))
}

/// One row per invoice line (sub-lines included), with the [`LINE_COLUMNS`] header.
pub fn lines_csv(items: &[ExportItem<'_>]) -> Result<Vec<u8>, RenderError> {
    write(LINE_COLUMNS, items.iter().flat_map(line_rows))
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<Cell>>) -> Result<Vec<u8>, RenderError> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(row.iter().map(csv_text))?;
    }
    w.into_inner().map_err(|e| RenderError::Io(e.into_error()))
}

fn csv_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => neutralise_formula(s),
        other => other.to_text(),
    }
}

/// Prefixes `'` to text a spreadsheet would evaluate as a formula (see the module comment).
pub fn neutralise_formula(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_kept() {
        assert_eq!(neutralise_formula("=1+1"), "'=1+1");
        assert_eq!(neutralise_formula("+49 30 1"), "'+49 30 1");
        assert_eq!(neutralise_formula("-2"), "'-2");
        assert_eq!(neutralise_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise_formula("\tx"), "'\tx");
        assert_eq!(neutralise_formula("Muster = GmbH"), "Muster = GmbH");
        assert_eq!(neutralise_formula(""), "");
        // Numbers are not text cells: a negative amount stays a number.
        assert_eq!(
            csv_text(&Cell::Amount(doxin_model::Decimal::new(-1200, 2))),
            "-12.00"
        );
    }
}
