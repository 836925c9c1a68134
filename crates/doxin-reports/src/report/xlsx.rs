//! XLSX: a "Report" sheet with the title, the notes and the list of tables, then one sheet per
//! table as a formatted Excel table (banded rows, filter buttons) with its charts beside it as
//! native Excel charts over the table's cells — so the numbers stay live in the spreadsheet
//! and a chart follows any edit.
//!
//! Amounts are numbers with two decimals shown (`#,##0.00`); a cell holds a binary float, exact
//! to 15 significant digits, while the CSV keeps the decimal itself.

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Chart as XChart, ChartType, ColNum, Format, RowNum, Table as XTable, TableColumn, TableStyle,
    Workbook, Worksheet,
};

use super::{Cell, ChartData, ChartKind, Report, ReportError, Table};

/// Excel's row limit.
const MAX_ROWS: usize = 1_048_576;
/// Where each table sheet's header row is (0-based); its title is in row 0.
pub const HEADER_ROW: RowNum = 2;
/// The first sheet's name.
pub const REPORT_SHEET: &str = "Report";
/// Rows a chart takes, so charts stacked beside a table do not overlap.
const CHART_ROWS: u32 = 16;

struct Formats {
    title: Format,
    bold: Format,
    money: Format,
    percent: Format,
    count: Format,
    number: Format,
    date: Format,
}

pub fn to_xlsx(report: &Report) -> Result<Vec<u8>, ReportError> {
    let f = Formats {
        title: Format::new().set_bold().set_font_size(14),
        bold: Format::new().set_bold(),
        money: Format::new().set_num_format("#,##0.00"),
        percent: Format::new().set_num_format("0.00"),
        count: Format::new().set_num_format("0"),
        number: Format::new().set_num_format("0.####"),
        date: Format::new().set_num_format("yyyy-mm-dd"),
    };
    let mut book = Workbook::new();
    let front = book.add_worksheet();
    front.set_name(REPORT_SHEET)?;
    front.set_column_width(0, 60)?;
    front.write_string_with_format(0, 0, &report.title, &f.title)?;
    let mut row: RowNum = 1;
    for note in &report.notes {
        front.write_string(row, 0, note)?;
        row += 1;
    }
    row += 1;
    front.write_string_with_format(row, 0, "Tables", &f.bold)?;
    for t in &report.tables {
        row += 1;
        front.write_string(row, 0, format!("{}: {}", t.sheet, t.title))?;
    }
    for t in &report.tables {
        table_sheet(book.add_worksheet(), t, &f)?;
    }
    Ok(book.save_to_buffer()?)
}

fn table_sheet(ws: &mut Worksheet, t: &Table, f: &Formats) -> Result<(), ReportError> {
    if t.rows.len() + HEADER_ROW as usize + 1 >= MAX_ROWS {
        return Err(ReportError::TooManyRows {
            table: t.sheet.clone(),
            rows: t.rows.len(),
        });
    }
    ws.set_name(&t.sheet)?;
    ws.write_string_with_format(0, 0, &t.title, &f.title)?;
    let cols = t.columns.len();
    let last_col = col(cols.saturating_sub(1));
    for (c, column) in t.columns.iter().enumerate() {
        let width = column.name.chars().count().clamp(10, 40) as f64 + 2.0;
        ws.set_column_width(col(c), width)?;
    }
    if t.rows.is_empty() {
        for (c, column) in t.columns.iter().enumerate() {
            ws.write_string_with_format(HEADER_ROW, col(c), &column.name, &f.bold)?;
        }
        ws.write_string(HEADER_ROW + 1, 0, "No data")?;
        return Ok(());
    }
    let table = XTable::new().set_style(TableStyle::Medium2).set_columns(
        &t.columns
            .iter()
            .map(|c| TableColumn::new().set_header(&c.name))
            .collect::<Vec<_>>(),
    );
    let last_row = HEADER_ROW + row(t.rows.len());
    ws.add_table(HEADER_ROW, 0, last_row, last_col, &table)?;
    for (r, cells) in t.rows.iter().enumerate() {
        let r = HEADER_ROW + 1 + row(r);
        for (c, cell) in cells.iter().enumerate() {
            write_cell(ws, r, col(c), cell, f)?;
        }
    }
    for (i, chart) in t.charts.iter().enumerate() {
        let mut x = XChart::new(match chart.kind {
            ChartKind::Column => ChartType::Column,
            ChartKind::Bar => ChartType::Bar,
            ChartKind::StackedBar => ChartType::BarStacked,
            ChartKind::Line => ChartType::Line,
            ChartKind::Pie => ChartType::Pie,
        });
        x.title().set_name(&chart.title);
        match &chart.data {
            ChartData::Columns {
                rows,
                category,
                values,
            } => {
                if rows.is_empty() {
                    continue;
                }
                let first = HEADER_ROW + 1 + row(rows.start);
                let last = HEADER_ROW + row(rows.end);
                let values = if chart.kind == ChartKind::Pie {
                    &values[..values.len().min(1)]
                } else {
                    &values[..]
                };
                for v in values {
                    let name = t.columns.get(*v).map(|c| c.name.as_str()).unwrap_or("");
                    x.add_series()
                        .set_name(name)
                        .set_categories((
                            t.sheet.as_str(),
                            first,
                            col(*category),
                            last,
                            col(*category),
                        ))
                        .set_values((t.sheet.as_str(), first, col(*v), last, col(*v)));
                }
            }
            ChartData::Row { row: r, values } => {
                if values.is_empty() {
                    continue;
                }
                let name = t
                    .rows
                    .get(*r)
                    .and_then(|cells| cells.first())
                    .map(Cell::text)
                    .unwrap_or_default();
                let r = HEADER_ROW + 1 + row(*r);
                x.add_series()
                    .set_name(name.as_str())
                    .set_categories((
                        t.sheet.as_str(),
                        HEADER_ROW,
                        col(values.start),
                        HEADER_ROW,
                        col(values.end - 1),
                    ))
                    .set_values((
                        t.sheet.as_str(),
                        r,
                        col(values.start),
                        r,
                        col(values.end - 1),
                    ));
                x.legend().set_hidden();
            }
        }
        ws.insert_chart(HEADER_ROW + row(i) * CHART_ROWS, last_col + 2, &x)?;
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    r: RowNum,
    c: ColNum,
    cell: &Cell,
    f: &Formats,
) -> Result<(), ReportError> {
    let num = |d: &doxin_model::Decimal| d.to_f64().unwrap_or(0.0);
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string(r, c, s)?;
        }
        Cell::Count(n) => {
            ws.write_number_with_format(r, c, *n as f64, &f.count)?;
        }
        Cell::Money(d) => {
            ws.write_number_with_format(r, c, num(d), &f.money)?;
        }
        Cell::Percent(d) => {
            ws.write_number_with_format(r, c, num(d), &f.percent)?;
        }
        Cell::Number(d) => {
            ws.write_number_with_format(r, c, num(d), &f.number)?;
        }
        Cell::Date(d) => {
            ws.write_date_with_format(r, c, *d, &f.date)?;
        }
    }
    Ok(())
}

fn row(i: usize) -> RowNum {
    RowNum::try_from(i).unwrap_or(RowNum::MAX)
}

fn col(i: usize) -> ColNum {
    ColNum::try_from(i).unwrap_or(ColNum::MAX)
}
