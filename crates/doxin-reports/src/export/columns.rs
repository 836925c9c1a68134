//! The columns of the tabular exports (CSV and XLSX), as typed cells.
//!
//! One definition for both formats, so a column means the same in each: CSV writes a cell's
//! text, XLSX writes numbers as numbers and dates as dates. The header names are stable
//! `snake_case` identifiers (importers map them), not translated labels.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use doxin_model::{Decimal, DocumentType, Field, Invoice, InvoiceLine};

use super::ExportItem;

/// One cell value, typed so each format can write it its own way.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A money amount: written exactly in CSV, as a number shown with 2 decimals in XLSX.
    Amount(Decimal),
    /// Another decimal (quantity, rate): written exactly in CSV, as a plain number in XLSX.
    Number(Decimal),
    /// A ratio such as a confidence, already rounded to 4 decimals.
    Ratio(f64),
    Count(u64),
    Date(NaiveDate),
    /// A UTC timestamp: RFC 3339 in CSV, a date-time cell in XLSX.
    Timestamp(DateTime<Utc>),
}

impl Cell {
    /// The cell as CSV text (before formula neutralisation, which [`super::csv`] applies to
    /// [`Cell::Text`] only: numbers and dates are written by us and cannot be formulas).
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            // The decimal's own digits and scale: never through a float.
            Cell::Amount(d) | Cell::Number(d) => d.to_string(),
            Cell::Ratio(r) => r.to_string(),
            Cell::Count(n) => n.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Timestamp(t) => t.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }
}

fn text(f: &Field<String>) -> Cell {
    match f {
        Some(e) if !e.value.is_empty() => Cell::Text(e.value.clone()),
        _ => Cell::Empty,
    }
}

fn amount(f: &Field<Decimal>) -> Cell {
    f.as_ref().map_or(Cell::Empty, |e| Cell::Amount(e.value))
}

fn number(f: &Field<Decimal>) -> Cell {
    f.as_ref().map_or(Cell::Empty, |e| Cell::Number(e.value))
}

fn date(f: &Field<NaiveDate>) -> Cell {
    f.as_ref().map_or(Cell::Empty, |e| Cell::Date(e.value))
}

/// Rounded to 4 decimals so that an `f32` such as 0.93 does not become 0.9300000071525574.
fn ratio(r: f32) -> Cell {
    Cell::Ratio((f64::from(r) * 10_000.0).round() / 10_000.0)
}

/// The header of the invoices table; [`invoice_row`] returns cells in this order.
pub const INVOICE_COLUMNS: &[&str] = &[
    "id",
    "status",
    "confidence",
    "created_at",
    "updated_at",
    "document_type",
    "type_code",
    "invoice_number",
    "issue_date",
    "due_date",
    "delivery_date",
    "currency",
    "seller_name",
    "seller_vat_id",
    "seller_country",
    "buyer_name",
    "buyer_vat_id",
    "buyer_country",
    "buyer_reference",
    "purchase_order_ref",
    "net_amount",
    "tax_amount",
    "gross_amount",
    "prepaid_amount",
    "payable_amount",
    "payment_terms",
    "payment_reference",
    "iban",
    "line_count",
];

/// One row of the invoices table. Names fall back to the trading name, as the store's list
/// columns do, so the export and the list show the same seller.
pub fn invoice_row(item: &ExportItem<'_>) -> Vec<Cell> {
    let inv: &Invoice = item.invoice;
    let name = |p: &doxin_model::Party| match text(&p.name) {
        Cell::Empty => text(&p.trading_name),
        c => c,
    };
    let iban = inv.bank_accounts.iter().find_map(|a| match text(&a.iban) {
        Cell::Empty => None,
        c => Some(c),
    });
    vec![
        Cell::Text(item.id.to_string()),
        Cell::Text(item.status.to_string()),
        ratio(item.confidence),
        Cell::Timestamp(item.created_at),
        Cell::Timestamp(item.updated_at),
        Cell::Text(
            match inv.document_type {
                DocumentType::Invoice => "invoice",
                DocumentType::CreditNote => "credit_note",
            }
            .to_string(),
        ),
        text(&inv.type_code),
        text(&inv.invoice_number),
        date(&inv.issue_date),
        date(&inv.due_date),
        date(&inv.delivery_date),
        text(&inv.currency),
        name(&inv.seller),
        text(&inv.seller.vat_id),
        text(&inv.seller.address.country),
        name(&inv.buyer),
        text(&inv.buyer.vat_id),
        text(&inv.buyer.address.country),
        text(&inv.buyer_reference),
        text(&inv.purchase_order_ref),
        amount(&inv.totals.tax_exclusive_amount),
        amount(&inv.totals.tax_amount),
        amount(&inv.totals.tax_inclusive_amount),
        amount(&inv.totals.prepaid_amount),
        amount(&inv.totals.payable_amount),
        text(&inv.payment_terms),
        text(&inv.payment_reference),
        iban.unwrap_or(Cell::Empty),
        Cell::Count(line_count(inv)),
    ]
}

/// The header of the lines table; [`line_rows`] returns cells in this order.
pub const LINE_COLUMNS: &[&str] = &[
    "invoice_id",
    "invoice_number",
    "currency",
    "line_id",
    "parent_line_id",
    "description",
    "item_description",
    "seller_item_id",
    "quantity",
    "unit_code",
    "unit_price",
    "price_base_quantity",
    "allowance_amount",
    "charge_amount",
    "line_amount",
    "vat_category",
    "vat_rate",
    "note",
];

/// The rows of the lines table for one invoice: every line, each followed by its sub-lines
/// (depth first, as the document lists them), a sub-line naming its parent.
pub fn line_rows(item: &ExportItem<'_>) -> Vec<Vec<Cell>> {
    let inv = item.invoice;
    let mut rows = Vec::new();
    // An explicit stack rather than recursion: sub-line nesting comes from documents, and a
    // deep one must not be able to exhaust the thread's stack.
    let mut stack: Vec<(&InvoiceLine, Cell)> =
        inv.lines.iter().rev().map(|l| (l, Cell::Empty)).collect();
    while let Some((line, parent)) = stack.pop() {
        let parent = match text(&line.parent_line_id) {
            Cell::Empty => parent,
            own => own,
        };
        let id = text(&line.id);
        rows.push(vec![
            Cell::Text(item.id.to_string()),
            text(&inv.invoice_number),
            text(&inv.currency),
            id.clone(),
            parent,
            text(&line.description),
            text(&line.item_description),
            text(&line.seller_item_id),
            number(&line.quantity),
            text(&line.unit_code),
            amount(&line.unit_price),
            number(&line.price_base_quantity),
            amount(&line.allowance_amount),
            amount(&line.charge_amount),
            amount(&line.line_amount),
            text(&line.vat_category),
            number(&line.vat_rate),
            text(&line.note),
        ]);
        stack.extend(line.sub_lines.iter().rev().map(|s| (s, id.clone())));
    }
    rows
}

/// Lines including sub-lines, as [`line_rows`] lists them.
fn line_count(inv: &Invoice) -> u64 {
    let mut n = 0u64;
    let mut stack: Vec<&InvoiceLine> = inv.lines.iter().collect();
    while let Some(l) = stack.pop() {
        n += 1;
        stack.extend(l.sub_lines.iter());
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use doxin_model::Extracted;
    use rust_decimal_macros::dec;
    use uuid::Uuid;

    fn s(v: &str) -> Field<String> {
        Some(Extracted::human(v.to_string()))
    }

    #[test]
    fn rows_match_their_headers_and_sub_lines_follow_their_parent() {
        let mut inv = Invoice {
            invoice_number: s("A-1"),
            currency: s("EUR"),
            ..Invoice::default()
        };
        inv.seller.trading_name = s("Trading only");
        inv.totals.payable_amount = Some(Extracted::human(dec!(-0.50)));
        let mut parent = InvoiceLine {
            id: s("1"),
            ..InvoiceLine::default()
        };
        let mut child = InvoiceLine {
            id: s("1.1"),
            ..InvoiceLine::default()
        };
        child.sub_lines = vec![InvoiceLine {
            id: s("1.1.1"),
            ..InvoiceLine::default()
        }];
        parent.sub_lines = vec![child];
        inv.lines = vec![
            parent,
            InvoiceLine {
                id: s("2"),
                ..InvoiceLine::default()
            },
        ];
        let t = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("time");
        let item = ExportItem {
            id: Uuid::nil(),
            status: "approved",
            confidence: 0.93,
            created_at: t,
            updated_at: t,
            invoice: &inv,
        };
        let row = invoice_row(&item);
        assert_eq!(row.len(), INVOICE_COLUMNS.len());
        let col = |name: &str| {
            let i = INVOICE_COLUMNS
                .iter()
                .position(|c| *c == name)
                .expect("column");
            row[i].to_text()
        };
        assert_eq!(col("confidence"), "0.93");
        assert_eq!(col("created_at"), "2026-01-02T03:04:05Z");
        assert_eq!(col("seller_name"), "Trading only");
        assert_eq!(col("payable_amount"), "-0.50");
        assert_eq!(col("line_count"), "4");

        let lines = line_rows(&item);
        assert!(lines.iter().all(|r| r.len() == LINE_COLUMNS.len()));
        let ids: Vec<(String, String)> = lines
            .iter()
            .map(|r| (r[3].to_text(), r[4].to_text()))
            .collect();
        let pairs = [("1", ""), ("1.1", "1"), ("1.1.1", "1.1"), ("2", "")];
        let expected: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(ids, expected);
    }
}
