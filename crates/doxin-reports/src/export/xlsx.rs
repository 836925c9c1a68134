//! XLSX: a workbook with an "Invoices" sheet (one row per invoice) and a "Lines" sheet (one
//! row per line), the same columns as the CSV exports.
//!
//! Cells are typed so a spreadsheet can compute with them: amounts are numbers shown with two
//! decimals (`#,##0.00`; the cell keeps the full value), quantities and rates plain numbers,
//! dates real date cells (`yyyy-mm-dd`), timestamps date-times in UTC. Text is written as
//! text cells, never as formulas, so hostile text cannot run; the writer escapes characters
//! XML cannot hold. Spreadsheets store numbers as binary floats, so an amount read back from
//! a cell is exact to 15 significant digits: the CSV and JSON exports keep the decimal itself.

use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet};

use super::columns::{Cell, INVOICE_COLUMNS, LINE_COLUMNS, invoice_row, line_rows};
use super::{ExportItem, RenderError};

/// Excel's row limit (header included).
pub const MAX_ROWS: usize = 1_048_576;
/// Excel's limit on one cell's text, in UTF-16 code units.
const MAX_TEXT_UNITS: usize = 32_767;

/// The sheet names, as readers look them up.
pub const INVOICES_SHEET: &str = "Invoices";
pub const LINES_SHEET: &str = "Lines";

struct Formats {
    header: Format,
    amount: Format,
    date: Format,
    timestamp: Format,
}

/// Renders the workbook into memory.
pub fn to_xlsx(items: &[ExportItem<'_>]) -> Result<Vec<u8>, RenderError> {
    let invoice_rows: Vec<Vec<Cell>> = items.iter().map(invoice_row).collect();
    let line_rows: Vec<Vec<Cell>> = items.iter().flat_map(line_rows).collect();
    for (sheet, rows) in [
        (INVOICES_SHEET, invoice_rows.len()),
        (LINES_SHEET, line_rows.len()),
    ] {
        // Checked up front, with a typed error, rather than failing on the row past the limit.
        if rows >= MAX_ROWS {
            return Err(RenderError::TooManyRows { sheet, rows });
        }
    }
    let formats = Formats {
        header: Format::new().set_bold(),
        amount: Format::new().set_num_format("#,##0.00"),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        timestamp: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
    };
    let mut book = Workbook::new();
    sheet(
        book.add_worksheet(),
        INVOICES_SHEET,
        INVOICE_COLUMNS,
        &invoice_rows,
        &formats,
    )?;
    sheet(
        book.add_worksheet(),
        LINES_SHEET,
        LINE_COLUMNS,
        &line_rows,
        &formats,
    )?;
    Ok(book.save_to_buffer()?)
}

fn sheet(
    ws: &mut Worksheet,
    name: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
    f: &Formats,
) -> Result<(), RenderError> {
    ws.set_name(name)?;
    for (c, title) in header.iter().enumerate() {
        let c = col(c);
        ws.write_string_with_format(0, c, *title, &f.header)?;
        // Wide enough for a UUID or a timestamp; autofit would measure every cell of a large
        // export for a cosmetic gain.
        ws.set_column_width(c, 16)?;
    }
    ws.set_freeze_panes(1, 0)?;
    if let Some(last) = header.len().checked_sub(1) {
        ws.autofilter(0, 0, row(rows.len()), col(last))?;
    }
    for (r, cells) in rows.iter().enumerate() {
        let r = row(r + 1);
        for (c, cell) in cells.iter().enumerate() {
            write_cell(ws, r, col(c), cell, f)?;
        }
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    r: RowNum,
    c: ColNum,
    cell: &Cell,
    f: &Formats,
) -> Result<(), RenderError> {
    use rust_decimal::prelude::ToPrimitive;
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string(r, c, truncate_utf16(s, MAX_TEXT_UNITS))?;
        }
        Cell::Amount(d) => match d.to_f64() {
            Some(n) => {
                ws.write_number_with_format(r, c, n, &f.amount)?;
            }
            None => {
                ws.write_string(r, c, d.to_string())?;
            }
        },
        Cell::Number(d) => match d.to_f64() {
            Some(n) => {
                ws.write_number(r, c, n)?;
            }
            None => {
                ws.write_string(r, c, d.to_string())?;
            }
        },
        Cell::Ratio(x) => {
            ws.write_number(r, c, *x)?;
        }
        Cell::Count(n) => {
            // Counts of lines: far below 2^53, exact as a float.
            #[allow(clippy::cast_precision_loss)]
            ws.write_number(r, c, *n as f64)?;
        }
        Cell::Date(d) if representable(d) => {
            ws.write_date_with_format(r, c, d, &f.date)?;
        }
        Cell::Timestamp(t) if representable(&t.date_naive()) => {
            ws.write_datetime_with_format(r, c, t.naive_utc(), &f.timestamp)?;
        }
        // A date Excel cannot show (it starts in 1900) is kept as its ISO text rather than
        // turned into a wrong or negative serial number.
        Cell::Date(_) | Cell::Timestamp(_) => {
            ws.write_string(r, c, cell.to_text())?;
        }
    }
    Ok(())
}

/// Excel's date range (1900 system), leaving out its fictitious 1900-02-29.
fn representable(d: &chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    (1901..=9999).contains(&d.year())
}

/// Indices are checked against the limits before writing (rows) or are constants (columns);
/// an index that did not fit would become `MAX`, which the writer refuses with an error.
fn row(i: usize) -> RowNum {
    RowNum::try_from(i).unwrap_or(RowNum::MAX)
}

fn col(i: usize) -> ColNum {
    ColNum::try_from(i).unwrap_or(ColNum::MAX)
}

/// The longest prefix of `s` within `max` UTF-16 code units, cut at a character boundary.
fn truncate_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, ch) in s.char_indices() {
        units += ch.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_character_boundary() {
        assert_eq!(truncate_utf16("abc", 2), "ab");
        assert_eq!(truncate_utf16("a😀b", 2), "a");
        assert_eq!(truncate_utf16("a😀b", 3), "a😀");
        assert_eq!(truncate_utf16("", 3), "");
    }
}
