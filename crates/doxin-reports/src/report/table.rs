//! The shape every report takes before rendering: titled tables of typed cells, and charts
//! that point at ranges of a table (so XLSX charts are native charts over the sheet's cells).

use std::ops::Range;

use chrono::NaiveDate;
use doxin_model::Decimal;

use super::ReportKind;

/// A computed report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub kind: ReportKind,
    pub title: String,
    /// Lines under the title: what was covered, as of when, anything missing from the data.
    pub notes: Vec<String>,
    pub tables: Vec<Table>,
    /// Headline figures for the report's record (decimal strings, per currency).
    pub summary: serde_json::Value,
}

/// One table: a worksheet in XLSX, a section in CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Worksheet name (at most 31 characters, unique in the report).
    pub sheet: String,
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub charts: Vec<Chart>,
}

impl Table {
    pub fn new(sheet: &str, title: &str, columns: &[&str]) -> Table {
        Table {
            sheet: sheet.to_string(),
            title: title.to_string(),
            columns: columns
                .iter()
                .map(|c| Column {
                    name: (*c).to_string(),
                })
                .collect(),
            rows: Vec::new(),
            charts: Vec::new(),
        }
    }

    /// The index of column `name`; panics in tests only when a builder names a column it
    /// did not define (a programming error, never input).
    pub fn col(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_default()
    }

    /// Consecutive runs of rows with the same text in column `col` (rows are sorted by it),
    /// with that text: the per-currency blocks charts are drawn over.
    pub fn groups(&self, col: usize) -> Vec<(String, Range<usize>)> {
        let mut out: Vec<(String, Range<usize>)> = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            let key = row.get(col).map(Cell::text).unwrap_or_default();
            match out.last_mut() {
                Some((k, r)) if *k == key => r.end = i + 1,
                _ => out.push((key, i..i + 1)),
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
}

/// A typed cell: XLSX writes numbers as numbers with a format, CSV as exact decimal text.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Count(u64),
    /// An amount (two decimals shown; the exact decimal in CSV).
    Money(Decimal),
    /// A percentage as a number of percent (12.5 is 12.5 %).
    Percent(Decimal),
    /// A plain number, e.g. a VAT rate or a concentration index.
    Number(Decimal),
    Date(NaiveDate),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Money(d) => format!("{:.2}", d.round_dp(2)),
            Cell::Percent(d) | Cell::Number(d) => d.normalize().to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }

    pub fn text_of(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn percent(p: Option<Decimal>) -> Cell {
        p.map_or(Cell::Empty, Cell::Percent)
    }

    pub fn money(d: Option<Decimal>) -> Cell {
        d.map_or(Cell::Empty, Cell::Money)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Column,
    Bar,
    StackedBar,
    Line,
    Pie,
}

/// Which cells a chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum ChartData {
    /// Categories down column `category`, one series per column of `values`, over `rows`.
    Columns {
        rows: Range<usize>,
        category: usize,
        values: Vec<usize>,
    },
    /// One series along row `row`; its categories are the headers of the `values` columns.
    Row { row: usize, values: Range<usize> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub kind: ChartKind,
    pub title: String,
    pub data: ChartData,
}

impl Chart {
    /// One chart of `kind` per block of `table` with the same text in column `group` (a
    /// currency), of at most `limit` rows from each block's start.
    pub fn per_group(
        table: &Table,
        kind: ChartKind,
        title: &str,
        group: usize,
        category: usize,
        values: &[usize],
        limit: usize,
    ) -> Vec<Chart> {
        table
            .groups(group)
            .into_iter()
            .map(|(key, rows)| Chart {
                kind,
                title: format!("{title} ({key})"),
                data: ChartData::Columns {
                    rows: rows.start..rows.end.min(rows.start.saturating_add(limit)),
                    category,
                    values: values.to_vec(),
                },
            })
            .collect()
    }
}
