//! The sales report: invoiced amounts by customer, territory (`legacy.territory`) and
//! salesperson (`legacy.salesperson`), each with its share of the currency's total. Tables for
//! fields no invoice carries are left out, and a note says so.

use std::collections::BTreeMap;

use serde_json::json;

use super::facts::{NONE, Sums, SumsBy, percent};
use super::{Cell, Chart, ChartKind, Facts, InvoiceFact, Params, Report, ReportKind, Table};

pub fn build(params: &Params, facts: &Facts) -> Report {
    let counted: Vec<&InvoiceFact> = facts.invoices.iter().filter(|f| f.counts()).collect();
    let mut totals: SumsBy<String> = BTreeMap::new();
    for f in &counted {
        totals.entry(f.currency_label()).or_default().add(f);
    }
    let mut notes = vec![params.describe()];
    let mut tables = Vec::new();

    let customers = ranked(&counted, &totals, |f| f.customer.clone());
    let mut t = table("By customer", "Customer", &customers);
    t.charts = Chart::per_group(
        &t,
        ChartKind::Bar,
        "Top customers by gross",
        0,
        2,
        &[5],
        params.top(),
    );
    tables.push(t);

    let has_territory = counted.iter().any(|f| f.territory.is_some());
    if has_territory {
        let territories = ranked(&counted, &totals, |f| f.territory.clone());
        let mut t = table("By territory", "Territory", &territories);
        t.charts = Chart::per_group(
            &t,
            ChartKind::Pie,
            "Gross by territory",
            0,
            2,
            &[5],
            params.top(),
        );
        tables.push(t);
    } else {
        notes.push("No invoice names a territory.".into());
    }
    let has_salesperson = counted.iter().any(|f| f.salesperson.is_some());
    if has_salesperson {
        let people = ranked(&counted, &totals, |f| f.salesperson.clone());
        let mut t = table("By salesperson", "Salesperson", &people);
        t.charts = Chart::per_group(
            &t,
            ChartKind::Bar,
            "Gross by salesperson",
            0,
            2,
            &[5],
            params.top(),
        );
        tables.push(t);
    } else {
        notes.push("No invoice names a salesperson: there is no table by salesperson.".into());
    }

    Report {
        kind: ReportKind::Sales,
        title: String::new(),
        notes,
        summary: json!({
            "customers": customers.iter().map(|r| (r.currency.clone(), r.name.clone())).collect::<std::collections::BTreeSet<_>>().len(),
            "by_currency": totals.iter().map(|(c, s)| json!({
                "currency": c,
                "invoices": s.count,
                "net": s.net.to_string(),
                "gross": s.gross.to_string(),
            })).collect::<Vec<_>>(),
        }),
        tables,
    }
}

/// One group's figures.
pub(super) struct Ranked {
    pub(super) currency: String,
    pub(super) name: String,
    pub(super) sums: Sums,
    pub(super) share: Option<doxin_model::Decimal>,
}

/// Groups by `key` within each currency, largest gross first (then name).
pub(super) fn ranked(
    facts: &[&InvoiceFact],
    totals: &SumsBy<String>,
    key: impl Fn(&InvoiceFact) -> Option<String>,
) -> Vec<Ranked> {
    let mut by: SumsBy<(String, String)> = BTreeMap::new();
    for f in facts {
        let name = key(f)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| NONE.to_string());
        by.entry((f.currency_label(), name)).or_default().add(f);
    }
    let mut rows: Vec<Ranked> = by
        .into_iter()
        .map(|((currency, name), sums)| {
            let whole = totals.get(&currency).map(|t| t.gross).unwrap_or_default();
            Ranked {
                share: percent(sums.gross, whole),
                currency,
                name,
                sums,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        a.currency
            .cmp(&b.currency)
            .then(b.sums.gross.cmp(&a.sums.gross))
            .then(a.name.cmp(&b.name))
    });
    rows
}

fn table(sheet: &str, what: &str, rows: &[Ranked]) -> Table {
    let mut t = Table::new(
        sheet,
        &format!(
            "Amounts per {} and currency, largest first",
            what.to_lowercase()
        ),
        &[
            "Currency",
            "Rank",
            what,
            "Invoices",
            "Net",
            "Gross",
            "Share of gross %",
        ],
    );
    let mut rank = 0u64;
    let mut last = String::new();
    for r in rows {
        if r.currency != last {
            rank = 0;
            last.clone_from(&r.currency);
        }
        rank += 1;
        t.rows.push(vec![
            Cell::text_of(&r.currency),
            Cell::Count(rank),
            Cell::text_of(&r.name),
            Cell::Count(r.sums.count),
            Cell::Money(r.sums.net),
            Cell::Money(r.sums.gross),
            Cell::percent(r.share),
        ]);
    }
    t
}
