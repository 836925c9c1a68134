//! Reports: figures computed from invoice facts ([`facts`]), shaped as titled tables with
//! chart descriptions ([`Report`]), and rendered to XLSX (native Excel charts), CSV or PDF.
//!
//! Each report type is a module with one `build` function from facts and [`Params`] to a
//! [`Report`]; nothing here reads a database or a clock (the caller passes "today"), so every
//! figure is a pure function of its inputs and is tested as such.
//!
//! Money is never added across currencies: every table that holds amounts has a currency
//! column, and charts are drawn per currency. Rejected invoices are left out of every amount
//! (they are counted where a table shows statuses), as in the analytics API.

pub mod aging;
pub mod csv;
pub mod facts;
pub mod financial;
pub mod kpi;
pub mod pdf;
pub mod profit;
pub mod sales;
mod table;
pub mod vat;
pub mod vendors;
pub mod xlsx;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use facts::{Facts, InvoiceFact, ProductFact, VatFact};
pub use table::{Cell, Chart, ChartData, ChartKind, Column, Report, Table};

/// The report types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Amounts by period, currency, status and document type.
    Financial,
    /// Amounts by customer, territory and salesperson.
    Sales,
    /// Key figures of a period beside the period before it.
    BusinessIntelligence,
    /// Open amounts by days past due, per vendor.
    ApAging,
    /// Taxable amounts and VAT per period, category and rate.
    VatSummary,
    /// Spend per vendor and how concentrated it is.
    VendorSpend,
    /// Revenue, cost and margin per product, where the product's cost is known.
    ProfitMargin,
}

impl ReportKind {
    pub const ALL: [ReportKind; 7] = [
        ReportKind::Financial,
        ReportKind::Sales,
        ReportKind::BusinessIntelligence,
        ReportKind::ApAging,
        ReportKind::VatSummary,
        ReportKind::VendorSpend,
        ReportKind::ProfitMargin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Financial => "financial",
            ReportKind::Sales => "sales",
            ReportKind::BusinessIntelligence => "business_intelligence",
            ReportKind::ApAging => "ap_aging",
            ReportKind::VatSummary => "vat_summary",
            ReportKind::VendorSpend => "vendor_spend",
            ReportKind::ProfitMargin => "profit_margin",
        }
    }

    pub fn parse(s: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The title a report gets when none is given.
    pub fn default_title(self) -> &'static str {
        match self {
            ReportKind::Financial => "Financial report",
            ReportKind::Sales => "Sales report",
            ReportKind::BusinessIntelligence => "Business intelligence: key figures",
            ReportKind::ApAging => "Accounts payable aging",
            ReportKind::VatSummary => "VAT summary",
            ReportKind::VendorSpend => "Vendor spend and concentration",
            ReportKind::ProfitMargin => "Profit margin by product",
        }
    }

    /// Whether the report needs the VAT breakdown rows besides the invoices.
    pub fn needs_vat_rows(self) -> bool {
        self == ReportKind::VatSummary
    }

    /// Whether the report reads payment status, territory or salesperson.
    pub fn needs_legacy_fields(self) -> bool {
        matches!(
            self,
            ReportKind::Sales | ReportKind::ApAging | ReportKind::BusinessIntelligence
        )
    }

    /// Whether the report needs the line totals per product.
    pub fn needs_products(self) -> bool {
        self == ReportKind::ProfitMargin
    }
}

/// The file formats reports are rendered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    Xlsx,
    Csv,
    Pdf,
}

impl ReportFormat {
    pub const ALL: [ReportFormat; 3] = [ReportFormat::Xlsx, ReportFormat::Csv, ReportFormat::Pdf];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => "xlsx",
            ReportFormat::Csv => "csv",
            ReportFormat::Pdf => "pdf",
        }
    }

    pub fn parse(s: &str) -> Option<ReportFormat> {
        ReportFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Pdf => "application/pdf",
        }
    }
}

/// How amounts are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    #[default]
    Month,
    Quarter,
    Year,
}

impl Period {
    /// The label of the period `d` falls in: `2026-03`, `2026-Q1`, `2026`.
    pub fn label(self, d: NaiveDate) -> String {
        match self {
            Period::Month => format!("{:04}-{:02}", d.year(), d.month()),
            Period::Quarter => format!("{:04}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
            Period::Year => format!("{:04}", d.year()),
        }
    }
}

/// What a report is asked for. Every field is optional; the server checks them before a
/// report is queued.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Issue dates from (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// Issue dates to (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
    /// Only invoices in this currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Only invoices whose vendor or customer is one of these companies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companies: Vec<Uuid>,
    /// The day aging and overdue figures are taken at (default: today).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
    /// Grouping in time for the financial report and the VAT summary (default: month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// How many vendors or customers charts show per currency (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<u32>,
    /// What one unit of a product costs, for the profit margin report (no invoice carries a
    /// cost): matched to line descriptions without regard to case or surrounding spaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_costs: Vec<UnitCost>,
}

/// The cost of one unit of a product in a currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitCost {
    pub product: String,
    pub currency: String,
    pub unit_cost: doxin_model::Decimal,
}

/// Charts' default and largest number of ranked bars.
pub const DEFAULT_TOP: u32 = 10;
pub const MAX_TOP: u32 = 50;

impl Params {
    pub fn top(&self) -> usize {
        self.top.unwrap_or(DEFAULT_TOP).clamp(1, MAX_TOP) as usize
    }

    /// The parameters as a line of the report's heading.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (self.from, self.to) {
            (None, None) => parts.push("all issue dates".to_string()),
            (from, to) => parts.push(format!(
                "issued {} to {}",
                from.map_or("the start".to_string(), |d| d.to_string()),
                to.map_or("the end".to_string(), |d| d.to_string())
            )),
        }
        if let Some(c) = &self.currency {
            parts.push(format!("currency {c}"));
        }
        if !self.companies.is_empty() {
            parts.push(format!("{} selected companies", self.companies.len()));
        }
        parts.join("; ")
    }
}

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("PDF: {0}")]
    Pdf(String),
    /// A table too long for a spreadsheet.
    #[error("table {table:?} has {rows} rows, more than a worksheet holds")]
    TooManyRows { table: String, rows: usize },
}

/// Builds a report of `kind` from `facts`; `today` is the default as-of day.
pub fn build(kind: ReportKind, params: &Params, facts: &Facts, today: NaiveDate) -> Report {
    let mut report = match kind {
        ReportKind::Financial => financial::build(params, facts),
        ReportKind::Sales => sales::build(params, facts),
        ReportKind::BusinessIntelligence => kpi::build(params, facts, today),
        ReportKind::ApAging => aging::build(params, facts, today),
        ReportKind::VatSummary => vat::build(params, facts),
        ReportKind::VendorSpend => vendors::build(params, facts),
        ReportKind::ProfitMargin => profit::build(params, facts),
    };
    report.kind = kind;
    report
}

/// Renders a report in `format`.
pub fn render(report: &Report, format: ReportFormat) -> Result<Vec<u8>, ReportError> {
    match format {
        ReportFormat::Xlsx => xlsx::to_xlsx(report),
        ReportFormat::Csv => csv::to_csv(report),
        ReportFormat::Pdf => pdf::to_pdf(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_periods_label() {
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::parse(k.as_str()), Some(k));
        }
        for f in ReportFormat::ALL {
            assert_eq!(ReportFormat::parse(f.as_str()), Some(f));
        }
        let d = NaiveDate::from_ymd_opt(2026, 5, 31).expect("date");
        assert_eq!(Period::Month.label(d), "2026-05");
        assert_eq!(Period::Quarter.label(d), "2026-Q2");
        assert_eq!(Period::Year.label(d), "2026");
    }

    fn fact(i: u128, currency: &str, status: facts::Status, gross: i64) -> InvoiceFact {
        InvoiceFact {
            id: Uuid::from_u128(i),
            status,
            document_type: "invoice".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 1 + (i % 6) as u32, 10),
            due_date: NaiveDate::from_ymd_opt(2026, 2 + (i % 6) as u32, 10),
            currency: Some(currency.into()),
            vendor: Some(format!("Vendor {}", i % 3)),
            customer: Some("=HYPERLINK(\"x\")".into()),
            net: Some(doxin_model::Decimal::new(gross * 100, 2)),
            tax: Some(doxin_model::Decimal::ZERO),
            gross: Some(doxin_model::Decimal::new(gross * 100, 2)),
            payable: None,
            payment_status: Some("open".into()),
            territory: None,
            salesperson: None,
        }
    }

    #[test]
    fn every_type_renders_in_every_format_with_and_without_data() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 30).expect("date");
        let some = Facts {
            invoices: (0..12)
                .map(|i| {
                    let status = if i == 5 {
                        facts::Status::Rejected
                    } else {
                        facts::Status::Approved
                    };
                    fact(
                        i,
                        if i % 2 == 0 { "EUR" } else { "GBP" },
                        status,
                        100 + i as i64,
                    )
                })
                .collect(),
            vat: Vec::new(),
            products: vec![ProductFact {
                currency: Some("EUR".into()),
                product: "Écran 24\"".into(),
                lines: 3,
                quantity: doxin_model::Decimal::new(4, 0),
                net: doxin_model::Decimal::new(80000, 2),
            }],
        };
        for facts in [Facts::default(), some] {
            for kind in ReportKind::ALL {
                let params = Params {
                    unit_costs: vec![UnitCost {
                        product: "ÉCRAN 24\"".into(),
                        currency: "eur".into(),
                        unit_cost: doxin_model::Decimal::new(150, 0),
                    }],
                    ..Params::default()
                };
                let mut report = build(kind, &params, &facts, today);
                if kind == ReportKind::ProfitMargin && !facts.products.is_empty() {
                    // 4 × 150 of 800 revenue: a margin of 200, 25 %.
                    assert_eq!(report.tables[1].rows.len(), 1, "{:?}", report.tables);
                    assert_eq!(
                        report.tables[1].rows[0][7],
                        Cell::Money(doxin_model::Decimal::new(200, 0))
                    );
                }
                report.title = "Test report".into();
                for format in ReportFormat::ALL {
                    let bytes = render(&report, format)
                        .unwrap_or_else(|e| panic!("{kind:?} {format:?}: {e}"));
                    let magic: &[u8] = match format {
                        ReportFormat::Xlsx => b"PK",
                        ReportFormat::Pdf => b"%PDF",
                        ReportFormat::Csv => b"Test report",
                    };
                    assert!(bytes.starts_with(magic), "{kind:?} {format:?}");
                    if format == ReportFormat::Csv {
                        // Formula-like names are neutralised.
                        let text = String::from_utf8_lossy(&bytes);
                        if !facts.invoices.is_empty() && kind == ReportKind::Sales {
                            assert!(text.contains("'=HYPERLINK"), "{text}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn unknown_parameters_are_refused() {
        assert!(
            serde_json::from_value::<Params>(serde_json::json!({"form": "2026-01-01"})).is_err()
        );
        let p: Params =
            serde_json::from_value(serde_json::json!({"from": "2026-01-01", "period": "quarter"}))
                .expect("params");
        assert_eq!(p.period, Some(Period::Quarter));
    }
}
