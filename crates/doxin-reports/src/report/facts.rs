//! What reports are computed from: one fact per live invoice in scope, one per row of an
//! invoice's VAT breakdown. The caller reads them from the store; this crate does no I/O.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use doxin_model::Decimal;
use uuid::Uuid;

/// Review status of an invoice as reports distinguish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Approved,
    NeedsReview,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Approved => "approved",
            Status::NeedsReview => "needs_review",
            Status::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceFact {
    pub id: Uuid,
    pub status: Status,
    /// `invoice` or `credit_note`.
    pub document_type: String,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub vendor: Option<String>,
    pub customer: Option<String>,
    pub net: Option<Decimal>,
    pub tax: Option<Decimal>,
    pub gross: Option<Decimal>,
    /// Amount due (after prepayments), when the invoice states it.
    pub payable: Option<Decimal>,
    pub payment_status: Option<String>,
    pub territory: Option<String>,
    pub salesperson: Option<String>,
}

impl InvoiceFact {
    /// Whether its amounts count (rejected invoices are left out).
    pub fn counts(&self) -> bool {
        self.status != Status::Rejected
    }

    /// Not rejected and not marked paid: still owed.
    pub fn is_open(&self) -> bool {
        self.counts()
            && !self
                .payment_status
                .as_deref()
                .is_some_and(|s| s.trim().eq_ignore_ascii_case("paid"))
    }

    /// What is still owed: the amount due, else the gross total.
    pub fn open_amount(&self) -> Decimal {
        self.payable.or(self.gross).unwrap_or_default()
    }

    /// Overdue on `as_of`: open, issued by then, and its due date passed.
    pub fn overdue_on(&self, as_of: NaiveDate) -> bool {
        self.is_open()
            && self.issue_date.is_none_or(|d| d <= as_of)
            && self.due_date.is_some_and(|d| d < as_of)
    }

    pub fn currency_label(&self) -> String {
        currency_label(self.currency.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VatFact {
    pub invoice_id: Uuid,
    pub status: Status,
    pub issue_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub category: Option<String>,
    pub rate: Option<Decimal>,
    pub taxable: Option<Decimal>,
    pub tax: Option<Decimal>,
}

/// The lines of one product (description, lower-cased) in one currency, rejected invoices
/// left out.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFact {
    pub currency: Option<String>,
    pub product: String,
    pub lines: u64,
    pub quantity: Decimal,
    pub net: Decimal,
}

/// Everything one report is computed from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub invoices: Vec<InvoiceFact>,
    /// Filled only for reports that need them ([`super::ReportKind::needs_vat_rows`]).
    pub vat: Vec<VatFact>,
    /// Filled only for reports that need them ([`super::ReportKind::needs_products`]).
    pub products: Vec<ProductFact>,
}

/// How a currency is shown: its code, or `(none)` for invoices without one.
pub fn currency_label(c: Option<&str>) -> String {
    match c.map(str::trim) {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => NONE.to_string(),
    }
}

/// The label of a missing value (no currency, no vendor, no date).
pub const NONE: &str = "(none)";

/// Count and sums of a set of invoices in one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    pub count: u64,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

impl Sums {
    pub fn add(&mut self, f: &InvoiceFact) {
        self.count += 1;
        self.net += f.net.unwrap_or_default();
        self.tax += f.tax.unwrap_or_default();
        self.gross += f.gross.unwrap_or_default();
    }

    pub fn average_gross(&self) -> Option<Decimal> {
        (self.count > 0).then(|| (self.gross / Decimal::from(self.count)).round_dp(2))
    }
}

/// Sums keyed by any grouping; BTreeMap so output order is stable.
pub type SumsBy<K> = BTreeMap<K, Sums>;

/// `part` as a percentage of `whole`, two decimals; `None` of zero.
pub fn percent(part: Decimal, whole: Decimal) -> Option<Decimal> {
    (!whole.is_zero()).then(|| (part * Decimal::from(100) / whole).round_dp(2))
}

/// The change from `previous` to `current` in percent, two decimals; `None` from zero.
pub fn change_percent(current: Decimal, previous: Decimal) -> Option<Decimal> {
    (!previous.is_zero())
        .then(|| ((current - previous) * Decimal::from(100) / previous).round_dp(2))
}
