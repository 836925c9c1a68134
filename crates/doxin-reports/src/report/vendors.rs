//! Vendor spend and concentration: gross per vendor and currency, largest first, with each
//! vendor's share and the running share; and per currency how concentrated the spend is (the
//! shares of the largest 1, 5 and 10 vendors and the Herfindahl–Hirschman index, 0 to 10,000,
//! above 2,500 commonly read as highly concentrated).

use std::collections::BTreeMap;

use doxin_model::Decimal;
use serde_json::json;

use super::facts::{SumsBy, percent};
use super::sales::{Ranked, ranked};
use super::{Cell, Chart, ChartKind, Facts, InvoiceFact, Params, Report, ReportKind, Table};

/// Concentration figures of one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Concentration {
    pub vendors: u64,
    pub gross: Decimal,
    pub top1: Option<Decimal>,
    pub top5: Option<Decimal>,
    pub top10: Option<Decimal>,
    /// Σ (share in %)², two decimals.
    pub hhi: Option<Decimal>,
}

/// Concentration of gross amounts sorted largest first.
pub fn concentration(sorted_gross: &[Decimal]) -> Concentration {
    let gross: Decimal = sorted_gross.iter().copied().sum();
    let top = |n: usize| percent(sorted_gross.iter().take(n).copied().sum(), gross);
    let hhi = (!gross.is_zero()).then(|| {
        sorted_gross
            .iter()
            .map(|g| {
                let share = *g * Decimal::from(100) / gross;
                share * share
            })
            .sum::<Decimal>()
            .round_dp(2)
    });
    Concentration {
        vendors: sorted_gross.len() as u64,
        gross,
        top1: top(1),
        top5: top(5),
        top10: top(10),
        hhi,
    }
}

pub fn build(params: &Params, facts: &Facts) -> Report {
    let counted: Vec<&InvoiceFact> = facts.invoices.iter().filter(|f| f.counts()).collect();
    let mut totals: SumsBy<String> = BTreeMap::new();
    for f in &counted {
        totals.entry(f.currency_label()).or_default().add(f);
    }
    let rows = ranked(&counted, &totals, |f| f.vendor.clone());

    let mut spend = Table::new(
        "Vendor spend",
        "Gross per vendor and currency, largest first",
        &[
            "Currency",
            "Rank",
            "Vendor",
            "Invoices",
            "Net",
            "Gross",
            "Share of gross %",
            "Cumulative share %",
        ],
    );
    let mut by_currency: BTreeMap<String, Vec<&Ranked>> = BTreeMap::new();
    for r in &rows {
        by_currency.entry(r.currency.clone()).or_default().push(r);
    }
    for (c, group) in &by_currency {
        let whole = totals.get(c).map(|t| t.gross).unwrap_or_default();
        let mut running = Decimal::ZERO;
        for (i, r) in group.iter().enumerate() {
            running += r.sums.gross;
            spend.rows.push(vec![
                Cell::text_of(c),
                Cell::Count(i as u64 + 1),
                Cell::text_of(&r.name),
                Cell::Count(r.sums.count),
                Cell::Money(r.sums.net),
                Cell::Money(r.sums.gross),
                Cell::percent(r.share),
                Cell::percent(percent(running, whole)),
            ]);
        }
    }
    spend.charts = Chart::per_group(
        &spend,
        ChartKind::Bar,
        "Largest vendors by gross",
        0,
        2,
        &[5],
        params.top(),
    );

    let mut conc = Table::new(
        "Concentration",
        "How concentrated spend is per currency",
        &[
            "Currency",
            "Vendors",
            "Gross",
            "Largest vendor %",
            "Largest 5 %",
            "Largest 10 %",
            "HHI",
        ],
    );
    let mut summary = Vec::new();
    for (c, group) in &by_currency {
        let gross: Vec<Decimal> = group.iter().map(|r| r.sums.gross).collect();
        let k = concentration(&gross);
        conc.rows.push(vec![
            Cell::text_of(c),
            Cell::Count(k.vendors),
            Cell::Money(k.gross),
            Cell::percent(k.top1),
            Cell::percent(k.top5),
            Cell::percent(k.top10),
            k.hhi.map_or(Cell::Empty, Cell::Number),
        ]);
        summary.push(json!({
            "currency": c,
            "vendors": k.vendors,
            "gross": k.gross.to_string(),
            "top1_pct": k.top1.map(|d| d.to_string()),
            "top5_pct": k.top5.map(|d| d.to_string()),
            "hhi": k.hhi.map(|d| d.to_string()),
        }));
    }

    Report {
        kind: ReportKind::VendorSpend,
        title: String::new(),
        notes: vec![params.describe(), "Rejected invoices left out.".into()],
        summary: json!({ "by_currency": summary }),
        tables: vec![conc, spend],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concentration_of_one_vendor_is_total() {
        let k = concentration(&[Decimal::from(50)]);
        assert_eq!(k.top1, Some(Decimal::from(100)));
        assert_eq!(k.hhi, Some(Decimal::from(10_000)));
        let k = concentration(&[Decimal::from(50), Decimal::from(50)]);
        assert_eq!(k.top1, Some(Decimal::from(50)));
        assert_eq!(k.hhi, Some(Decimal::from(5_000)));
        assert_eq!(concentration(&[]).hhi, None);
    }
}
