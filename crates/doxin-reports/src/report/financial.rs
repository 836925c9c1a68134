//! The financial report: invoiced amounts by currency, by period, by review status and by
//! document type.

use std::collections::BTreeMap;

use serde_json::json;

use super::facts::{NONE, Sums, SumsBy};
use super::{Cell, Chart, ChartKind, Facts, Params, Report, ReportKind, Table};

pub fn build(params: &Params, facts: &Facts) -> Report {
    let period = params.period.unwrap_or_default();
    let mut by_currency: SumsBy<String> = BTreeMap::new();
    let mut rejected: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_period: SumsBy<(String, String)> = BTreeMap::new();
    let mut by_status: SumsBy<(String, &'static str)> = BTreeMap::new();
    let mut by_type: SumsBy<(String, String)> = BTreeMap::new();
    for f in &facts.invoices {
        let c = f.currency_label();
        by_status
            .entry((c.clone(), f.status.as_str()))
            .or_default()
            .add(f);
        if !f.counts() {
            *rejected.entry(c).or_default() += 1;
            continue;
        }
        by_currency.entry(c.clone()).or_default().add(f);
        let p = f
            .issue_date
            .map_or_else(|| NONE.to_string(), |d| period.label(d));
        by_period.entry((c.clone(), p)).or_default().add(f);
        by_type
            .entry((c, f.document_type.clone()))
            .or_default()
            .add(f);
    }
    for c in rejected.keys() {
        by_currency.entry(c.clone()).or_default();
    }

    let mut summary = Table::new(
        "Summary",
        "Totals per currency (rejected invoices counted apart, not in the amounts)",
        &[
            "Currency",
            "Invoices",
            "Net",
            "Tax",
            "Gross",
            "Average gross",
            "Rejected",
        ],
    );
    for (c, s) in &by_currency {
        summary.rows.push(vec![
            Cell::text_of(c),
            Cell::Count(s.count),
            Cell::Money(s.net),
            Cell::Money(s.tax),
            Cell::Money(s.gross),
            Cell::money(s.average_gross()),
            Cell::Count(rejected.get(c).copied().unwrap_or(0)),
        ]);
    }

    let mut periods = Table::new(
        "By period",
        "Amounts per period",
        &["Currency", "Period", "Invoices", "Net", "Tax", "Gross"],
    );
    for ((c, p), s) in &by_period {
        periods
            .rows
            .push(money_row(vec![Cell::text_of(c), Cell::text_of(p)], s));
    }
    periods.charts = Chart::per_group(
        &periods,
        ChartKind::Column,
        "Net and gross per period",
        0,
        1,
        &[3, 5],
        usize::MAX,
    );

    let mut statuses = Table::new(
        "By status",
        "Invoices per review status (rejected ones included here)",
        &["Currency", "Status", "Invoices", "Net", "Tax", "Gross"],
    );
    for ((c, st), s) in &by_status {
        statuses
            .rows
            .push(money_row(vec![Cell::text_of(c), Cell::text_of(*st)], s));
    }

    let mut types = Table::new(
        "By document type",
        "Amounts per document type",
        &[
            "Currency",
            "Document type",
            "Invoices",
            "Net",
            "Tax",
            "Gross",
        ],
    );
    for ((c, t), s) in &by_type {
        types
            .rows
            .push(money_row(vec![Cell::text_of(c), Cell::text_of(t)], s));
    }

    Report {
        kind: ReportKind::Financial,
        title: String::new(),
        notes: vec![format!(
            "{}; amounts per {}",
            params.describe(),
            period_name(params)
        )],
        tables: vec![summary, periods, statuses, types],
        summary: json!({
            "by_currency": by_currency.iter().map(|(c, s)| json!({
                "currency": c,
                "invoices": s.count,
                "net": s.net.to_string(),
                "tax": s.tax.to_string(),
                "gross": s.gross.to_string(),
                "rejected": rejected.get(c).copied().unwrap_or(0),
            })).collect::<Vec<_>>(),
        }),
    }
}

fn period_name(params: &Params) -> &'static str {
    match params.period.unwrap_or_default() {
        super::Period::Month => "month",
        super::Period::Quarter => "quarter",
        super::Period::Year => "year",
    }
}

/// `head` followed by count, net, tax and gross.
pub(super) fn money_row(mut head: Vec<Cell>, s: &Sums) -> Vec<Cell> {
    head.extend([
        Cell::Count(s.count),
        Cell::Money(s.net),
        Cell::Money(s.tax),
        Cell::Money(s.gross),
    ]);
    head
}
