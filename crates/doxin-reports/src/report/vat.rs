//! The VAT summary: taxable amounts and VAT per period, currency, VAT category and rate — the
//! figures a VAT return is filled from — with totals per period.
//!
//! Read from each invoice's VAT breakdown (not recomputed from lines), rejected invoices left
//! out. A row without a category or rate is shown under `(none)` rather than guessed.

use std::collections::{BTreeMap, BTreeSet};

use doxin_model::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::facts::NONE;
use super::{Cell, Chart, ChartKind, Facts, Params, Report, ReportKind, Table};

#[derive(Debug, Clone, Default)]
struct VatSums {
    invoices: BTreeSet<Uuid>,
    taxable: Decimal,
    tax: Decimal,
}

impl VatSums {
    fn add(&mut self, id: Uuid, taxable: Option<Decimal>, tax: Option<Decimal>) {
        self.invoices.insert(id);
        self.taxable += taxable.unwrap_or_default();
        self.tax += tax.unwrap_or_default();
    }

    fn cells(&self, mut head: Vec<Cell>) -> Vec<Cell> {
        head.extend([
            Cell::Count(self.invoices.len() as u64),
            Cell::Money(self.taxable),
            Cell::Money(self.tax),
        ]);
        head
    }
}

/// A rate as sortable text-free key: rates sort numerically, `(none)` last.
type RateKey = (bool, Decimal);

pub fn build(params: &Params, facts: &Facts) -> Report {
    let period = params.period.unwrap_or_default();
    let mut detail: BTreeMap<(String, String, String, RateKey), VatSums> = BTreeMap::new();
    let mut per_period: BTreeMap<(String, String), VatSums> = BTreeMap::new();
    let mut per_rate: BTreeMap<(String, String, RateKey), VatSums> = BTreeMap::new();
    for v in facts
        .vat
        .iter()
        .filter(|v| v.status != super::facts::Status::Rejected)
    {
        let c = super::facts::currency_label(v.currency.as_deref());
        let p = v
            .issue_date
            .map_or_else(|| NONE.to_string(), |d| period.label(d));
        let cat = v
            .category
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| NONE.to_string());
        let rate: RateKey = (v.rate.is_none(), v.rate.unwrap_or_default().normalize());
        detail
            .entry((c.clone(), p.clone(), cat.clone(), rate))
            .or_default()
            .add(v.invoice_id, v.taxable, v.tax);
        per_period
            .entry((c.clone(), p))
            .or_default()
            .add(v.invoice_id, v.taxable, v.tax);
        per_rate
            .entry((c, cat, rate))
            .or_default()
            .add(v.invoice_id, v.taxable, v.tax);
    }
    let rate_cell = |r: &RateKey| {
        if r.0 {
            Cell::text_of(NONE)
        } else {
            Cell::Number(r.1)
        }
    };

    let mut totals = Table::new(
        "Per period",
        "Taxable amount and VAT per period",
        &["Currency", "Period", "Invoices", "Taxable amount", "VAT"],
    );
    for ((c, p), s) in &per_period {
        totals
            .rows
            .push(s.cells(vec![Cell::text_of(c), Cell::text_of(p)]));
    }
    totals.charts = Chart::per_group(
        &totals,
        ChartKind::Column,
        "VAT per period",
        0,
        1,
        &[4],
        usize::MAX,
    );

    let mut rates = Table::new(
        "Per rate",
        "Taxable amount and VAT per category and rate over the whole range",
        &[
            "Currency",
            "Category",
            "Rate %",
            "Invoices",
            "Taxable amount",
            "VAT",
        ],
    );
    for ((c, cat, r), s) in &per_rate {
        rates
            .rows
            .push(s.cells(vec![Cell::text_of(c), Cell::text_of(cat), rate_cell(r)]));
    }

    let mut details = Table::new(
        "Per period and rate",
        "Taxable amount and VAT per period, category and rate",
        &[
            "Currency",
            "Period",
            "Category",
            "Rate %",
            "Invoices",
            "Taxable amount",
            "VAT",
        ],
    );
    for ((c, p, cat, r), s) in &detail {
        details.rows.push(s.cells(vec![
            Cell::text_of(c),
            Cell::text_of(p),
            Cell::text_of(cat),
            rate_cell(r),
        ]));
    }

    let mut by_currency: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for ((c, _), s) in &per_period {
        let e = by_currency.entry(c.clone()).or_default();
        e.0 += s.taxable;
        e.1 += s.tax;
    }
    Report {
        kind: ReportKind::VatSummary,
        title: String::new(),
        notes: vec![
            params.describe(),
            "From each invoice's VAT breakdown; rejected invoices left out.".into(),
        ],
        summary: json!({
            "by_currency": by_currency.iter().map(|(c, (taxable, tax))| json!({
                "currency": c,
                "taxable": taxable.to_string(),
                "vat": tax.to_string(),
            })).collect::<Vec<_>>(),
        }),
        tables: vec![totals, rates, details],
    }
}
