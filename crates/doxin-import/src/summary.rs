//! What an import did: counts per kind of record, and every rejected row with its reason.

use std::collections::BTreeMap;

use doxin_store::UpsertCounts;
use serde::Serialize;

/// A row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The sheet (or `csv` for a CSV file).
    pub sheet: String,
    /// The row number as a spreadsheet shows it (the header row is 1).
    pub row: u64,
    pub reason: String,
}

/// The outcome of one import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    /// Rows read per sheet (header rows not counted).
    pub rows_read: BTreeMap<String, u64>,
    /// Created, updated and unchanged records per kind (`category`, `product`, `company`,
    /// `invoice`, ...).
    pub records: BTreeMap<String, UpsertCounts>,
    /// Rejected rows in file order.
    pub rejections: Vec<Rejection>,
    /// Lines of the invoices created or updated.
    pub lines: u64,
    pub seconds: f64,
}

impl ImportSummary {
    pub(crate) fn reject(&mut self, sheet: &str, row: u64, reason: impl Into<String>) {
        self.rejections.push(Rejection {
            sheet: sheet.to_string(),
            row,
            reason: reason.into(),
        });
    }

    pub(crate) fn add(&mut self, kind: &str, counts: UpsertCounts) {
        *self.records.entry(kind.to_string()).or_default() += counts;
    }

    /// Rows read in all.
    pub fn total_rows(&self) -> u64 {
        self.rows_read.values().sum()
    }

    /// A plain-text account for a terminal: one line per kind, then the rejections (at most
    /// `max_rejections` of them; the rest counted).
    pub fn render(&self, max_rejections: usize) -> String {
        let mut out = String::new();
        for (kind, c) in &self.records {
            out.push_str(&format!(
                "{kind}: {} created, {} updated, {} unchanged\n",
                c.created, c.updated, c.unchanged
            ));
        }
        let rate = self.total_rows() as f64 / self.seconds.max(1e-9);
        out.push_str(&format!(
            "rows read: {} in {:.1} s ({rate:.0} rows/s); rejected: {}\n",
            self.total_rows(),
            self.seconds,
            self.rejections.len()
        ));
        for r in self.rejections.iter().take(max_rejections) {
            out.push_str(&format!("  {} row {}: {}\n", r.sheet, r.row, r.reason));
        }
        if self.rejections.len() > max_rejections {
            out.push_str(&format!(
                "  ... and {} more (--rejections FILE writes them all)\n",
                self.rejections.len() - max_rejections
            ));
        }
        out
    }
}
