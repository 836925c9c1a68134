//! CSV: the report's tables one after another, each as a section — a line with its name (the
//! XLSX sheet's) and title, the header, the rows — separated by empty lines, after the
//! report's title and notes.
//! Spreadsheets open it as one sheet; a program splits it at the empty lines.
//!
//! Amounts are exact decimals with two places (`1234.50`), percentages in percent; text a
//! spreadsheet would read as a formula is neutralised as in the invoice exports.

use crate::export::csv::neutralise_formula;

use super::{Cell, Report, ReportError};

pub fn to_csv(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut head = vec![vec![neutralise_formula(&report.title)]];
    head.extend(report.notes.iter().map(|n| vec![neutralise_formula(n)]));
    let mut out = section(&head)?;
    for table in &report.tables {
        let mut rows = vec![
            vec![table.sheet.clone(), neutralise_formula(&table.title)],
            table.columns.iter().map(|c| c.name.clone()).collect(),
        ];
        rows.extend(table.rows.iter().map(|row| {
            row.iter()
                .map(|c| match c {
                    Cell::Text(s) => neutralise_formula(s),
                    other => other.text(),
                })
                .collect()
        }));
        // An empty line between sections (a CSV writer would quote an empty record).
        out.push(b'\n');
        out.extend(section(&rows)?);
    }
    Ok(out)
}

fn section(rows: &[Vec<String>]) -> Result<Vec<u8>, ReportError> {
    let mut w = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        w.write_record(row)?;
    }
    w.into_inner().map_err(|e| ReportError::Io(e.into_error()))
}
